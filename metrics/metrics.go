package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds Umbra's instruments. The zero value is not usable; create
// one with New. A nil *Metrics records nothing.
type Metrics struct {
	gatherer prometheus.Gatherer // nil when the Registerer is not also a Gatherer

	trainingsStarted  prometheus.Counter
	trainingsFinished prometheus.Counter
	trainingsFailed   prometheus.Counter
	trainingsReused   prometheus.Counter
	trainingsRunning  prometheus.Gauge
	epochs            prometheus.Counter
	trainSamples      prometheus.Counter
	samplesPerSecond  prometheus.Histogram
	checkpointBytes   prometheus.Counter
	checkpointSeconds prometheus.Histogram
	activitySeconds   *prometheus.HistogramVec
	attackSeconds     *prometheus.HistogramVec
}

// New creates the instruments and registers them with reg. A nil reg leaves
// them unregistered (they still count; nothing exposes them). When reg is
// also a prometheus.Gatherer (a *prometheus.Registry is), Push sends
// everything registered there, the Temporal SDK's metrics included.
//
// Calling New twice with the same registry returns a second Metrics that
// shares the first one's instruments. Any other registration conflict (a
// different collector already owns one of the names) is an error.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		trainingsStarted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "umbra_trainings_started_total",
			Help: "TrainModel attempts that started or resumed training.",
		}),
		trainingsFinished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "umbra_trainings_finished_total",
			Help: "Trainings that completed and stored their model.",
		}),
		trainingsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "umbra_trainings_failed_total",
			Help: "Training attempts that ended with an error (retried or not).",
		}),
		trainingsReused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "umbra_trainings_reused_total",
			Help: "TrainModel activities that found the content-addressed model already trained.",
		}),
		trainingsRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "umbra_trainings_running",
			Help: "Trainings in progress on this process.",
		}),
		epochs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "umbra_epochs_total",
			Help: "Training epochs completed.",
		}),
		trainSamples: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "umbra_train_samples_total",
			Help: "Training samples processed; rate() of it is the aggregate throughput.",
		}),
		samplesPerSecond: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "umbra_train_samples_per_second",
			Help: "Per-epoch training throughput of one model, samples per second.",
			// 100 … 819,200: convolutional models on one thread (hundreds)
			// up to small MLPs (tens of thousands).
			Buckets: prometheus.ExponentialBuckets(100, 2, 14),
		}),
		checkpointBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "umbra_checkpoint_bytes_total",
			Help: "Bytes of checkpoints written to the artifact store.",
		}),
		checkpointSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "umbra_checkpoint_seconds",
			Help:    "Time to encode and store one checkpoint, seconds.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14), // 5 ms … 41 s
		}),
		activitySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "umbra_activity_duration_seconds",
			Help: "Duration of one activity attempt by activity type, seconds.",
			// 10 ms (a reused model) … 24 h (TrainModel's default StartToClose).
			Buckets: prometheus.ExponentialBucketsRange(0.01, 86400, 20),
		}, []string{"activity"}),
		attackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "umbra_attack_seconds",
			Help:    "Duration of one attack computation by attack name, seconds.",
			Buckets: prometheus.ExponentialBucketsRange(0.01, 6*3600, 16), // 10 ms … 6 h
		}, []string{"attack"}),
	}
	if reg == nil {
		return m, nil
	}
	if g, ok := reg.(prometheus.Gatherer); ok {
		m.gatherer = g
	}
	var err error
	if m.trainingsStarted, err = register(reg, "umbra_trainings_started_total", m.trainingsStarted); err != nil {
		return nil, err
	}
	if m.trainingsFinished, err = register(reg, "umbra_trainings_finished_total", m.trainingsFinished); err != nil {
		return nil, err
	}
	if m.trainingsFailed, err = register(reg, "umbra_trainings_failed_total", m.trainingsFailed); err != nil {
		return nil, err
	}
	if m.trainingsReused, err = register(reg, "umbra_trainings_reused_total", m.trainingsReused); err != nil {
		return nil, err
	}
	if m.trainingsRunning, err = register(reg, "umbra_trainings_running", m.trainingsRunning); err != nil {
		return nil, err
	}
	if m.epochs, err = register(reg, "umbra_epochs_total", m.epochs); err != nil {
		return nil, err
	}
	if m.trainSamples, err = register(reg, "umbra_train_samples_total", m.trainSamples); err != nil {
		return nil, err
	}
	if m.samplesPerSecond, err = register(reg, "umbra_train_samples_per_second", m.samplesPerSecond); err != nil {
		return nil, err
	}
	if m.checkpointBytes, err = register(reg, "umbra_checkpoint_bytes_total", m.checkpointBytes); err != nil {
		return nil, err
	}
	if m.checkpointSeconds, err = register(reg, "umbra_checkpoint_seconds", m.checkpointSeconds); err != nil {
		return nil, err
	}
	if m.activitySeconds, err = register(reg, "umbra_activity_duration_seconds", m.activitySeconds); err != nil {
		return nil, err
	}
	if m.attackSeconds, err = register(reg, "umbra_attack_seconds", m.attackSeconds); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// the same descriptor when it has c's type.
func register[C prometheus.Collector](reg prometheus.Registerer, name string, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("metrics: register %s: %w", name, err)
}

// Gatherer returns the registry New was given when it is also a Gatherer,
// and nil otherwise.
func (m *Metrics) Gatherer() prometheus.Gatherer {
	if m == nil {
		return nil
	}
	return m.gatherer
}

// TrainingStarted records a TrainModel attempt that begins (or resumes from
// a checkpoint) training a model. Pair it with TrainingFinished or
// TrainingFailed.
func (m *Metrics) TrainingStarted() {
	if m == nil {
		return
	}
	m.trainingsStarted.Inc()
	m.trainingsRunning.Inc()
}

// TrainingFinished records a training that completed and stored its model.
func (m *Metrics) TrainingFinished() {
	if m == nil {
		return
	}
	m.trainingsFinished.Inc()
	m.trainingsRunning.Dec()
}

// TrainingFailed records a training attempt that ended with an error,
// cancellation and worker shutdown included.
func (m *Metrics) TrainingFailed() {
	if m == nil {
		return
	}
	m.trainingsFailed.Inc()
	m.trainingsRunning.Dec()
}

// TrainingReused records a TrainModel activity that found its model already
// trained. It is not paired with TrainingStarted.
func (m *Metrics) TrainingReused() {
	if m == nil {
		return
	}
	m.trainingsReused.Inc()
}

// ObserveEpoch records one completed epoch of samples training samples that
// took d. A non-positive d counts the epoch and samples but observes no
// throughput.
func (m *Metrics) ObserveEpoch(samples int, d time.Duration) {
	if m == nil {
		return
	}
	m.epochs.Inc()
	if samples > 0 {
		m.trainSamples.Add(float64(samples))
		if d > 0 {
			m.samplesPerSecond.Observe(float64(samples) / d.Seconds())
		}
	}
}

// ObserveCheckpoint records one checkpoint of size bytes that took d to
// encode and store.
func (m *Metrics) ObserveCheckpoint(bytes int64, d time.Duration) {
	if m == nil {
		return
	}
	if bytes > 0 {
		m.checkpointBytes.Add(float64(bytes))
	}
	m.checkpointSeconds.Observe(nonNegative(d))
}

// ObserveActivity records one attempt of the named activity that took d.
// The worker package calls it for every activity through an interceptor.
func (m *Metrics) ObserveActivity(activity string, d time.Duration) {
	if m == nil {
		return
	}
	m.activitySeconds.WithLabelValues(activity).Observe(nonNegative(d))
}

// ObserveAttack records one run of the named attack that took d.
func (m *Metrics) ObserveAttack(attack string, d time.Duration) {
	if m == nil {
		return
	}
	m.attackSeconds.WithLabelValues(attack).Observe(nonNegative(d))
}

func nonNegative(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return d.Seconds()
}

// collectors lists the instruments, for pushing without a Gatherer.
func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.trainingsStarted, m.trainingsFinished, m.trainingsFailed, m.trainingsReused,
		m.trainingsRunning, m.epochs, m.trainSamples, m.samplesPerSecond,
		m.checkpointBytes, m.checkpointSeconds, m.activitySeconds, m.attackSeconds,
	}
}
