package activities

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"go.temporal.io/sdk/activity"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/metrics"
	"github.com/umbra-ml/umbra/worker"
)

// Options configure Activities.
type Options struct {
	// DataDir resolves relative dataset paths of specs (empty: the
	// process's working directory).
	DataDir string
	// Logger receives progress records (nil: slog.Default()).
	Logger *slog.Logger
	// Metrics records trainings, epochs, checkpoints and attack durations
	// (nil: the Metrics in the activity context, if any).
	Metrics *metrics.Metrics
	// OpenStore opens an artifact store by URL (nil: artifacts.Open).
	OpenStore func(ctx context.Context, url string) (artifacts.Store, error)
}

// Activities implements Umbra's activities. Its zero value is not usable:
// build it with New. One value serves every activity of a worker process
// concurrently.
type Activities struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	stores map[string]artifacts.Store
	data   map[string]*dataEntry
}

// dataEntry is a dataset being loaded or loaded once per process.
type dataEntry struct {
	once sync.Once
	exp  *experimentData
	err  error
}

// New returns Activities with opts.
func New(opts Options) *Activities {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Activities{
		opts:   opts,
		log:    log,
		stores: map[string]artifacts.Store{},
		data:   map[string]*dataEntry{},
	}
}

// Register registers the activities that belong on queue: TrainModel on the
// training queue, Prepare, Attack and Report on the attack queue, and all of
// them on any other queue (the single-queue embedded mode).
func (a *Activities) Register(r sdkworker.ActivityRegistry, queue string) {
	reg := func(name string, fn any) {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	train, attack := true, true
	switch queue {
	case api.QueueTrain:
		attack = false
	case api.QueueAttack:
		train = false
	}
	if train {
		reg(api.ActivityTrainModel, a.TrainModel)
	}
	if attack {
		reg(api.ActivityPrepare, a.Prepare)
		reg(api.ActivityAttack, a.Attack)
		reg(api.ActivityReport, a.Report)
	}
}

// store returns the store for url, opening it once per process.
func (a *Activities) store(ctx context.Context, url string) (artifacts.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.stores[url]; ok {
		return s, nil
	}
	open := a.opts.OpenStore
	if open == nil {
		open = artifacts.Open
	}
	s, err := open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open artifact store: %w", err)
	}
	a.stores[url] = s
	return s, nil
}

// metrics returns the configured metrics or those carried by ctx.
func (a *Activities) metrics(ctx context.Context) *metrics.Metrics {
	if a.opts.Metrics != nil {
		return a.opts.Metrics
	}
	return metrics.FromContext(ctx)
}

// logger returns the activity logger when running inside an activity.
func (a *Activities) logger(ctx context.Context) *slog.Logger {
	return a.log
}

// dataset loads the experiment data of a spec once per process.
func (a *Activities) dataset(ctx context.Context, key string, load func() (*experimentData, error)) (*experimentData, error) {
	a.mu.Lock()
	e, ok := a.data[key]
	if !ok {
		e = &dataEntry{}
		a.data[key] = e
	}
	a.mu.Unlock()
	e.once.Do(func() { e.exp, e.err = load() })
	if e.err != nil {
		// Forget failures so that a later attempt (after the user fixed the
		// data) loads again.
		a.mu.Lock()
		if a.data[key] == e {
			delete(a.data, key)
		}
		a.mu.Unlock()
	}
	return e.exp, e.err
}

// WorkerRegistrations returns what a worker process runs: the workflows
// (worker.Run's default) and these activities, one Activities per process
// so that every polled queue shares opened stores and loaded datasets. The
// worker's logger and metrics are used unless opts sets its own.
func WorkerRegistrations(opts Options) worker.Registrations {
	var (
		once sync.Once
		acts *Activities
	)
	return worker.Registrations{
		Activities: func(r sdkworker.ActivityRegistry, env worker.Env) error {
			once.Do(func() {
				o := opts
				if o.Logger == nil {
					o.Logger = env.Logger
				}
				if o.Metrics == nil {
					o.Metrics = env.Metrics
				}
				acts = New(o)
			})
			acts.Register(r, env.Queue)
			return nil
		},
	}
}
