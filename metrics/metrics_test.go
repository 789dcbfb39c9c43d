package metrics

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// family gathers reg and returns the named family, failing when absent.
func family(t *testing.T, g prometheus.Gatherer, name string) *dto.MetricFamily {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f
		}
	}
	t.Fatalf("metric family %s not gathered", name)
	return nil
}

// value returns the single unlabelled sample of a counter or gauge.
func value(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	f := family(t, g, name)
	if len(f.Metric) != 1 {
		t.Fatalf("%s: %d series, want 1", name, len(f.Metric))
	}
	m := f.Metric[0]
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s: neither counter nor gauge", name)
	return 0
}

// histogram returns the sample count and sum of the series with the given
// label value ("" for an unlabelled histogram).
func histogram(t *testing.T, g prometheus.Gatherer, name, label string) (uint64, float64) {
	t.Helper()
	for _, m := range family(t, g, name).Metric {
		if label != "" && (len(m.Label) != 1 || m.Label[0].GetValue() != label) {
			continue
		}
		return m.Histogram.GetSampleCount(), m.Histogram.GetSampleSum()
	}
	t.Fatalf("%s{%q}: no such series", name, label)
	return 0, 0
}

func newTest(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, reg
}

func TestCounters(t *testing.T) {
	m, reg := newTest(t)
	for range 3 {
		m.TrainingStarted()
	}
	m.TrainingFinished()
	m.TrainingFailed()
	m.TrainingReused()
	m.TrainingReused()
	m.ObserveEpoch(1000, 500*time.Millisecond) // 2000 samples/s
	m.ObserveEpoch(3000, time.Second)          // 3000 samples/s
	m.ObserveEpoch(50, 0)                      // counted, no throughput
	m.ObserveCheckpoint(1<<20, 250*time.Millisecond)
	m.ObserveCheckpoint(1000, 750*time.Millisecond)
	m.ObserveActivity("TrainModel", 2*time.Second)
	m.ObserveActivity("TrainModel", 3*time.Second)
	m.ObserveActivity("Report", time.Second)
	m.ObserveAttack("lira", 1500*time.Millisecond)

	for _, tc := range []struct {
		name string
		want float64
	}{
		{"umbra_trainings_started_total", 3},
		{"umbra_trainings_finished_total", 1},
		{"umbra_trainings_failed_total", 1},
		{"umbra_trainings_reused_total", 2},
		{"umbra_trainings_running", 1}, // 3 − 1 − 1
		{"umbra_epochs_total", 3},
		{"umbra_train_samples_total", 4050},
		{"umbra_checkpoint_bytes_total", 1<<20 + 1000},
	} {
		if got := value(t, reg, tc.name); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name, label string
		count       uint64
		sum         float64
	}{
		{"umbra_train_samples_per_second", "", 2, 5000},
		{"umbra_checkpoint_seconds", "", 2, 1},
		{"umbra_activity_duration_seconds", "TrainModel", 2, 5},
		{"umbra_activity_duration_seconds", "Report", 1, 1},
		{"umbra_attack_seconds", "lira", 1, 1.5},
	} {
		count, sum := histogram(t, reg, tc.name, tc.label)
		if count != tc.count || math.Abs(sum-tc.sum) > 1e-9 {
			t.Errorf("%s{%q}: count %d sum %v, want %d and %v", tc.name, tc.label, count, sum, tc.count, tc.sum)
		}
	}
}

func TestNilReceiver(t *testing.T) {
	var m *Metrics
	m.TrainingStarted()
	m.TrainingFinished()
	m.TrainingFailed()
	m.TrainingReused()
	m.ObserveEpoch(10, time.Second)
	m.ObserveCheckpoint(10, time.Second)
	m.ObserveActivity("Prepare", time.Second)
	m.ObserveAttack("rmia", time.Second)
	if g := m.Gatherer(); g != nil {
		t.Errorf("nil Metrics: Gatherer = %v, want nil", g)
	}
	if err := m.Push(context.Background(), "http://127.0.0.1:1", "job"); err != nil {
		t.Errorf("nil Metrics: Push = %v, want nil", err)
	}
}

func TestNewTwiceSharesInstruments(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(reg)
	if err != nil {
		t.Fatalf("second New on the same registry: %v", err)
	}
	a.TrainingReused()
	b.TrainingReused()
	if got := value(t, reg, "umbra_trainings_reused_total"); got != 2 {
		t.Errorf("reused = %v, want 2 (shared counter)", got)
	}
}

func TestNewConflict(t *testing.T) {
	reg := prometheus.NewRegistry()
	// A gauge squatting on a counter's name, with a different help text.
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "umbra_epochs_total", Help: "something else"}))
	_, err := New(reg)
	if err == nil || !strings.Contains(err.Error(), "umbra_epochs_total") {
		t.Fatalf("New with a conflicting collector: err = %v, want one naming umbra_epochs_total", err)
	}
}

func TestNewNilRegisterer(t *testing.T) {
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	m.TrainingStarted() // counts, unexported
	if m.Gatherer() != nil {
		t.Error("Gatherer of an unregistered Metrics is not nil")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

func TestHandler(t *testing.T) {
	m, reg := newTest(t)
	m.TrainingStarted()
	m.ObserveEpoch(100, time.Second)
	m.ObserveActivity("TrainModel", time.Second)
	m.ObserveAttack("lira", time.Second)

	var mu sync.Mutex
	var healthErr error
	srv := httptest.NewServer(Handler(reg, func() error {
		mu.Lock()
		defer mu.Unlock()
		return healthErr
	}, nil))
	defer srv.Close()

	code, body := get(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d", code)
	}
	for _, want := range []string{
		"umbra_trainings_started_total 1",
		"umbra_trainings_finished_total 0",
		"umbra_trainings_failed_total 0",
		"umbra_trainings_reused_total 0",
		"umbra_epochs_total 1",
		"umbra_train_samples_total 100",
		"umbra_train_samples_per_second_count 1",
		"umbra_checkpoint_bytes_total 0",
		"# TYPE umbra_checkpoint_seconds histogram",
		`umbra_activity_duration_seconds_count{activity="TrainModel"} 1`,
		`umbra_attack_seconds_count{attack="lira"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if code, body := get(t, srv.URL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz healthy: %d %q, want 200 \"ok\\n\"", code, body)
	}
	mu.Lock()
	healthErr = errors.New("worker stopping")
	mu.Unlock()
	if code, body := get(t, srv.URL+"/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "worker stopping") {
		t.Errorf("/healthz unhealthy: %d %q, want 503 with the reason", code, body)
	}
	if code, _ := get(t, srv.URL+"/other"); code != http.StatusNotFound {
		t.Errorf("/other: status %d, want 404", code)
	}
}

// pushRecorder is a fake Pushgateway that records each request.
type pushRecorder struct {
	mu       sync.Mutex
	method   string
	path     string
	body     string
	user     string
	password string
}

func (p *pushRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.method, p.path, p.body = r.Method, r.URL.Path, string(b)
	p.user, p.password, _ = r.BasicAuth()
	w.WriteHeader(http.StatusOK)
}

func TestPush(t *testing.T) {
	rec := &pushRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	for _, viaGatherer := range []bool{true, false} {
		var reg prometheus.Registerer = prometheus.NewRegistry()
		if !viaGatherer {
			reg = registererOnly{reg}
		}
		m, err := New(reg)
		if err != nil {
			t.Fatal(err)
		}
		m.TrainingStarted()
		m.TrainingFinished()
		m.ObserveCheckpoint(4096, time.Second)
		if err := m.Push(context.Background(), srv.URL, "umbra-run"); err != nil {
			t.Fatalf("gatherer=%v: Push: %v", viaGatherer, err)
		}
		rec.mu.Lock()
		if rec.method != http.MethodPut || rec.path != "/metrics/job/umbra-run" {
			t.Errorf("gatherer=%v: request %s %s, want PUT /metrics/job/umbra-run", viaGatherer, rec.method, rec.path)
		}
		// The body is protobuf-delimited; metric names appear verbatim.
		for _, want := range []string{"umbra_trainings_started_total", "umbra_trainings_finished_total", "umbra_checkpoint_bytes_total", "umbra_checkpoint_seconds"} {
			if !strings.Contains(rec.body, want) {
				t.Errorf("gatherer=%v: pushed body lacks %s", viaGatherer, want)
			}
		}
		rec.mu.Unlock()
	}
}

// registererOnly hides a registry's Gather method.
type registererOnly struct{ prometheus.Registerer }

func TestPushCredentialsAndErrors(t *testing.T) {
	rec := &pushRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	m, _ := newTest(t)

	withAuth := strings.Replace(srv.URL, "http://", "http://pusher:s3cret@", 1)
	if err := m.Push(context.Background(), withAuth, "j"); err != nil {
		t.Fatalf("Push with credentials: %v", err)
	}
	if rec.user != "pusher" || rec.password != "s3cret" {
		t.Errorf("basic auth = %q/%q, want pusher/s3cret", rec.user, rec.password)
	}

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusBadGateway)
	}))
	defer failing.Close()
	for _, tc := range []struct {
		name, url, job, want string
	}{
		{"bad scheme", "ftp://host/", "j", "want http(s)"},
		{"no host", "http://", "j", "want http(s)"},
		{"empty job", srv.URL, "", "job name is empty"},
		{"server error", strings.Replace(failing.URL, "http://", "http://u:hidden-pw@", 1), "j", "502"},
	} {
		err := m.Push(context.Background(), tc.url, tc.job)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hidden-pw") {
			t.Errorf("%s: error reveals the password: %v", tc.name, err)
		}
	}
}

func TestContext(t *testing.T) {
	m, reg := newTest(t)
	ctx := NewContext(context.Background(), m)
	FromContext(ctx).TrainingReused()
	if got := value(t, reg, "umbra_trainings_reused_total"); got != 1 {
		t.Errorf("reused via context = %v, want 1", got)
	}
	if got := FromContext(context.Background()); got != nil {
		t.Errorf("FromContext(empty) = %p, want nil", got)
	}
	FromContext(context.Background()).TrainingReused() // nil-safe
}
