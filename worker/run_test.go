package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/umbra-ml/umbra/metrics"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDialUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name     string
		registry bool
	}{{"plain", false}, {"with sdk metrics", true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			cfg.Temporal = "127.0.0.1:1"
			cfg.DialTimeout = 2 * time.Second
			cfg.Logger = quietLogger()
			if tc.registry {
				cfg.Registry = prometheus.NewRegistry()
			}
			c, closeFn, err := Dial(context.Background(), cfg)
			if err == nil {
				closeFn()
				t.Fatalf("Dial(127.0.0.1:1) succeeded: %v", c)
			}
			t.Log(err)
			for _, want := range []string{"127.0.0.1:1", `namespace "default"`, "unreachable"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestDialInterrupted(t *testing.T) {
	cfg := Default()
	cfg.Temporal = freeAddr(t)
	cfg.Logger = quietLogger()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Dial(ctx, cfg); err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), cfg.Temporal) {
		t.Errorf("Dial with a cancelled context: %v, want an 'interrupted' error naming %s", err, cfg.Temporal)
	}
}

func TestDialBadTLSFile(t *testing.T) {
	cfg := Default()
	cfg.TLSCA = "/nonexistent/ca.pem"
	_, _, err := Dial(context.Background(), cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Flag != "tls-ca" {
		t.Errorf("Dial with a missing CA file: %v, want a --tls-ca ConfigError", err)
	}
}

func lazyClient(t *testing.T) client.Client {
	t.Helper()
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNewWorkersRegistersPerQueue(t *testing.T) {
	cfg := Default()
	cfg.Slots, cfg.AttackSlots, cfg.Store = 3, 2, "file:///tmp/umbra"
	cfg.Logger = quietLogger()
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var envs []Env
	workflowsRegistered := 0
	regs := Registrations{
		Workflows: func(r sdkworker.WorkflowRegistry) { workflowsRegistered++ },
		Activities: func(r sdkworker.ActivityRegistry, env Env) error {
			mu.Lock()
			envs = append(envs, env)
			mu.Unlock()
			r.RegisterActivity(func(context.Context) error { return nil })
			return nil
		},
	}
	ws, err := newWorkers(lazyClient(t), cfg, regs, m, func(string, error) {})
	if err != nil {
		t.Fatalf("newWorkers: %v", err)
	}
	if len(ws) != 2 || ws[0].queue != QueueTrain || ws[1].queue != QueueAttack {
		t.Fatalf("workers for %v, want train then attack", ws)
	}
	if workflowsRegistered != 2 {
		t.Errorf("workflows registered on %d queues, want 2", workflowsRegistered)
	}
	if len(envs) != 2 || envs[0].Queue != QueueTrain || envs[1].Queue != QueueAttack {
		t.Fatalf("activity registrations %+v, want one per queue in order", envs)
	}
	for _, e := range envs {
		if e.Store != "file:///tmp/umbra" || e.Metrics != m || e.Logger != cfg.Logger {
			t.Errorf("env for %s = %+v: store, metrics or logger not passed through", e.Queue, e)
		}
	}
}

func TestNewWorkersDefaultWorkflowsAndErrors(t *testing.T) {
	cfg := Default()
	cfg.Queues = []string{QueueTrain}
	cfg.Logger = quietLogger()
	// Default workflows (workflows.Register) register without panicking.
	if _, err := newWorkers(lazyClient(t), cfg, Registrations{}, nil, func(string, error) {}); err != nil {
		t.Fatalf("default registrations: %v", err)
	}
	// An activity registration error names the queue.
	_, err := newWorkers(lazyClient(t), cfg, Registrations{
		Activities: func(sdkworker.ActivityRegistry, Env) error { return errors.New("store unreachable") },
	}, nil, func(string, error) {})
	if err == nil || !strings.Contains(err.Error(), "umbra-train") || !strings.Contains(err.Error(), "store unreachable") {
		t.Errorf("failing registration: %v, want an error naming the queue and the cause", err)
	}
	// The SDK panics on a duplicate registration; it becomes an error.
	_, err = newWorkers(lazyClient(t), cfg, Registrations{
		Activities: func(r sdkworker.ActivityRegistry, _ Env) error {
			f := func(context.Context) error { return nil }
			r.RegisterActivityWithOptions(f, activityOpts("Dup"))
			r.RegisterActivityWithOptions(f, activityOpts("Dup"))
			return nil
		},
	}, nil, func(string, error) {})
	if err == nil || !strings.Contains(err.Error(), "registration") {
		t.Errorf("duplicate registration: %v, want a registration error", err)
	}
}

func TestWorkerOptions(t *testing.T) {
	cfg := Default()
	cfg.Slots, cfg.AttackSlots, cfg.StopTimeout = 7, 2, 90*time.Second
	for _, tc := range []struct {
		queue string
		slots int
	}{{QueueTrain, 7}, {QueueAttack, 2}} {
		o := workerOptions(cfg, tc.queue, nil, nil)
		if o.MaxConcurrentActivityExecutionSize != tc.slots {
			t.Errorf("%s: MaxConcurrentActivityExecutionSize = %d, want %d", tc.queue, o.MaxConcurrentActivityExecutionSize, tc.slots)
		}
		if o.WorkerStopTimeout != 90*time.Second {
			t.Errorf("%s: WorkerStopTimeout = %v, want 90s", tc.queue, o.WorkerStopTimeout)
		}
	}
}

// TestActivityInstrumentation runs an activity under the train queue's
// worker options in the SDK's test environment: the activity finds the
// Metrics in its context, and the interceptor times it.
func TestActivityInstrumentation(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.SetWorkerOptions(workerOptions(Default(), QueueTrain, m, nil))
	train := func(ctx context.Context) error {
		metrics.FromContext(ctx).TrainingReused()
		time.Sleep(20 * time.Millisecond)
		return nil
	}
	env.RegisterActivityWithOptions(train, activityOpts("TrainModel"))
	if _, err := env.ExecuteActivity("TrainModel"); err != nil {
		t.Fatalf("ExecuteActivity: %v", err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var reused float64
	var hist *dto.Histogram
	for _, f := range fams {
		switch f.GetName() {
		case "umbra_trainings_reused_total":
			reused = f.Metric[0].Counter.GetValue()
		case "umbra_activity_duration_seconds":
			for _, s := range f.Metric {
				if s.Label[0].GetValue() == "TrainModel" {
					hist = s.Histogram
				}
			}
		}
	}
	if reused != 1 {
		t.Errorf("reused = %v, want 1: activity did not find Metrics in its context", reused)
	}
	if hist == nil || hist.GetSampleCount() != 1 || hist.GetSampleSum() < 0.02 {
		t.Errorf("activity duration histogram %v, want one sample of at least 20 ms", hist)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	cfg := Default()
	cfg.Slots = 0
	var ce *ConfigError
	if err := Run(context.Background(), cfg, lazyClient(t), Registrations{}); !errors.As(err, &ce) || ce.Flag != "slots" {
		t.Errorf("Run with slots 0: %v, want a --slots ConfigError", err)
	}
	if err := Run(context.Background(), Default(), nil, Registrations{}); err == nil || !strings.Contains(err.Error(), "nil Temporal client") {
		t.Errorf("Run with a nil client: %v", err)
	}
}

func TestRunMetricsAddrBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := Default()
	cfg.MetricsAddr = ln.Addr().String()
	cfg.Logger = quietLogger()
	err = Run(context.Background(), cfg, lazyClient(t), Registrations{})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Flag != "metrics-addr" {
		t.Errorf("Run with a busy metrics port: %v, want a --metrics-addr error", err)
	}
}

func TestRunStartFailureNamesQueue(t *testing.T) {
	// A lazy client to a closed port: the first worker's Start fails to
	// reach the server, Run stops and reports the queue and address.
	cfg := Default()
	cfg.MetricsAddr = ""
	cfg.Logger = quietLogger()
	addr := freeAddr(t)
	c, err := client.NewLazyClient(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg.Temporal = addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = Run(ctx, cfg, c, Registrations{})
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "start queue umbra-train") || !strings.Contains(err.Error(), addr) {
		t.Errorf("Run against a closed port: %v, want a start error naming the queue and %s", err, addr)
	}
}

func activityOpts(name string) activity.RegisterOptions {
	return activity.RegisterOptions{Name: name}
}

// TestDialSilentServer dials a port that accepts connections and never
// answers: Dial gives up at DialTimeout and says so.
func TestDialSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	cfg := Default()
	cfg.Temporal = ln.Addr().String()
	cfg.DialTimeout = time.Second
	cfg.Logger = quietLogger()
	_, _, err = Dial(context.Background(), cfg)
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "unreachable within 1s (--dial-timeout)") || !strings.Contains(err.Error(), cfg.Temporal) {
		t.Errorf("Dial to a silent server: %v, want a timeout error naming %s", err, cfg.Temporal)
	}
}
