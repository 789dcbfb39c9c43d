package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/umbra-ml/umbra/metrics"
	"github.com/umbra-ml/umbra/workflows"
)

// PushJob is the Pushgateway job name Run pushes under.
const PushJob = "umbra-worker"

// Env is what an activity registration receives for one queue.
type Env struct {
	// Queue is the task queue being registered (QueueTrain or QueueAttack).
	Queue string
	// Store is Config.Store (may be empty).
	Store string
	// Metrics records Umbra's metrics; activities also find it with
	// metrics.FromContext(ctx).
	Metrics *metrics.Metrics
	// Logger is the worker's logger.
	Logger *slog.Logger
}

// Registrations is the seam through which the caller supplies the code a
// worker runs.
type Registrations struct {
	// Workflows registers workflow functions; it is called for every polled
	// queue. Nil registers workflows.Register (Experiment, Batch, Sweep).
	Workflows func(r sdkworker.WorkflowRegistry)
	// Activities registers the activities that run on env.Queue; it is
	// called once per polled queue. An error aborts Run before any queue is
	// polled. Nil registers no activity (a workflow-only worker).
	Activities func(r sdkworker.ActivityRegistry, env Env) error
}

// Run polls cfg.Queues on c until ctx is cancelled or a worker fails
// fatally (the namespace does not exist, …), then stops: polling stops at
// once, activity.GetWorkerStopChannel closes in every running activity, and
// Run waits up to cfg.StopTimeout for them to return before their contexts
// are cancelled. It serves /metrics and /healthz on cfg.MetricsAddr
// meanwhile (/healthz answers 503 before the workers have started and once
// they are stopping), and pushes the metrics to cfg.Pushgateway at the end.
//
// Run returns nil after a stop requested through ctx, and an error naming
// the queue after a fatal worker error or a failed start.
func Run(ctx context.Context, cfg Config, c client.Client, regs Registrations) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if c == nil {
		return errors.New("worker: nil Temporal client")
	}
	logger := cfg.logger()
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := metrics.New(reg)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}

	fatal := make(chan error, len(cfg.Queues))
	workers, err := newWorkers(c, cfg, regs, m, func(queue string, err error) {
		fatal <- fmt.Errorf("worker: queue %s: %w", queue, err)
	})
	if err != nil {
		return err
	}

	var state atomic.Int32 // 0 starting, 1 running, 2 stopping
	var srvDone chan struct{}
	var srv *http.Server
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return &ConfigError{Flag: "metrics-addr", Err: err}
		}
		health := func() error {
			switch state.Load() {
			case 0:
				return errors.New("starting")
			case 1:
				return nil
			}
			return errors.New("stopping")
		}
		srv = &http.Server{
			Handler:           metrics.Handler(reg, health, logger),
			ReadHeaderTimeout: 10 * time.Second,
		}
		srvDone = make(chan struct{})
		go func() {
			defer close(srvDone)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("metrics server stopped", "addr", ln.Addr().String(), "error", err)
			}
		}()
		logger.Info("serving metrics", "addr", ln.Addr().String(), "paths", "/metrics /healthz")
	}
	shutdownHTTP := func() {
		if srv == nil {
			return
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-srvDone
	}

	var runErr error
	started := workers[:0:0]
	for _, qw := range workers {
		if err := qw.w.Start(); err != nil {
			runErr = fmt.Errorf("worker: start queue %s on %s (namespace %q): %w", qw.queue, cfg.Temporal, cfg.Namespace, err)
			break
		}
		started = append(started, qw)
		logger.Info("polling", "queue", qw.queue, "slots", slotsFor(cfg, qw.queue))
	}
	if runErr == nil {
		state.Store(1)
		select {
		case <-ctx.Done():
			logger.Info("stopping: finishing running activities", "stop_timeout", cfg.StopTimeout)
		case runErr = <-fatal:
			logger.Error("stopping after a fatal worker error", "error", runErr)
		}
	}
	state.Store(2)
	stopAll(started)
	shutdownHTTP()
	if cfg.Pushgateway != "" {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := m.Push(pctx, cfg.Pushgateway, PushJob); err != nil {
			logger.Warn("pushing metrics", "error", err)
		}
		cancel()
	}
	logger.Info("worker stopped")
	return runErr
}

type queueWorker struct {
	queue string
	w     sdkworker.Worker
}

// stopAll stops the workers concurrently: each Stop waits up to
// StopTimeout for its activities.
func stopAll(ws []queueWorker) {
	var wg sync.WaitGroup
	for _, qw := range ws {
		wg.Go(qw.w.Stop)
	}
	wg.Wait()
}

func slotsFor(cfg Config, queue string) int {
	if queue == QueueTrain {
		return cfg.Slots
	}
	return cfg.AttackSlots
}

// workerOptions are the SDK options of the worker polling queue.
func workerOptions(cfg Config, queue string, m *metrics.Metrics, onFatal func(error)) sdkworker.Options {
	return sdkworker.Options{
		// Train queue: one model per slot, each on one thread.
		// Attack queue: a few score-array fan-ins at a time.
		MaxConcurrentActivityExecutionSize: slotsFor(cfg, queue),
		// Activities see GetWorkerStopChannel close at Stop and have this
		// long to checkpoint and return before their context is cancelled.
		WorkerStopTimeout: cfg.StopTimeout,
		// Activities inherit this context's values (not its lifetime, which
		// is the worker's): metrics.FromContext finds m.
		BackgroundActivityContext: metrics.NewContext(context.Background(), m),
		Interceptors:              []interceptor.WorkerInterceptor{&activityTimer{m: m}},
		OnFatalError:              onFatal,
	}
}

// newWorkers creates (without starting) one SDK worker per queue and runs
// the registrations on each.
func newWorkers(c client.Client, cfg Config, regs Registrations, m *metrics.Metrics, onFatal func(queue string, err error)) (ws []queueWorker, err error) {
	registerWorkflows := regs.Workflows
	if registerWorkflows == nil {
		registerWorkflows = func(r sdkworker.WorkflowRegistry) { workflows.Register(r) }
	}
	for _, q := range cfg.Queues {
		w, err := newSDKWorker(c, q, workerOptions(cfg, q, m, func(err error) { onFatal(q, err) }))
		if err != nil {
			return nil, err
		}
		if err := register(w, q, registerWorkflows, regs.Activities, Env{Queue: q, Store: cfg.Store, Metrics: m, Logger: cfg.logger()}); err != nil {
			return nil, err
		}
		ws = append(ws, queueWorker{queue: q, w: w})
	}
	return ws, nil
}

// newSDKWorker turns the SDK's panic on a client it cannot use (one not
// made by client.Dial or client.NewLazyClient) into an error.
func newSDKWorker(c client.Client, queue string, opts sdkworker.Options) (w sdkworker.Worker, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("worker: queue %s: creating the Temporal worker: %v", queue, p)
		}
	}()
	return sdkworker.New(c, queue, opts), nil
}

// register runs the registrations, turning the SDK's panics on a bad
// registration (duplicate name, not a function, …) into errors naming the
// queue.
func register(w sdkworker.Worker, queue string, wf func(sdkworker.WorkflowRegistry), act func(sdkworker.ActivityRegistry, Env) error, env Env) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("worker: queue %s: registration: %v", queue, p)
		}
	}()
	wf(w)
	if act != nil {
		if err := act(w, env); err != nil {
			return fmt.Errorf("worker: queue %s: registering activities: %w", queue, err)
		}
	}
	return nil
}

// activityTimer records umbra_activity_duration_seconds for every activity
// attempt, so activities need not time themselves.
type activityTimer struct {
	interceptor.WorkerInterceptorBase
	m *metrics.Metrics
}

func (t *activityTimer) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &activityTimerInbound{m: t.m}
	i.Next = next
	return i
}

type activityTimerInbound struct {
	interceptor.ActivityInboundInterceptorBase
	m *metrics.Metrics
}

func (a *activityTimerInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	start := time.Now()
	res, err := a.Next.ExecuteActivity(ctx, in)
	a.m.ObserveActivity(activity.GetInfo(ctx).ActivityType.Name, time.Since(start))
	return res, err
}
