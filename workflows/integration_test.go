//go:build integration

package workflows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/internal/temporaltest"
)

// TestIntegrationServerRestart runs an Experiment against a real embedded
// server in a separate process, SIGKILLs the server mid-run, restarts it on
// the same SQLite file, and checks the experiment completes.
//
//	go test -tags integration -run Integration ./workflows/
//
// It builds ./cmd/starter first unless UMBRA_STARTER_BIN names a binary.
func TestIntegrationServerRestart(t *testing.T) {
	srv, c := startServer(t)
	ctx := context.Background()
	const queue = "umbra-it"
	w := worker.New(c, queue, worker.Options{})
	Register(w)
	f := newFakes()
	f.delay = 300 * time.Millisecond
	f.registerWorker(w, f.TrainModel)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	in := testInput(30)
	in.SpecHash = "fedcba987654321000"
	in.BatchSize = 10
	in.MaxConcurrentTrainings = 3
	in.MaxConcurrentBatches = 2
	in.TaskQueue = queue
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: api.ExperimentWorkflowID(in.SpecHash), TaskQueue: queue,
	}, api.WorkflowExperiment, in)
	if err != nil {
		t.Fatal(err)
	}
	// Let some models finish, then crash and restart the server.
	deadline := time.Now().Add(2 * time.Minute)
	var n int
	for {
		f.mu.Lock()
		n = len(f.trained)
		f.mu.Unlock()
		if n >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d models trained before the restart deadline", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("killing server after %d models", n)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	restart := time.Now()
	if err := srv.Start(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("server restarted in %v", time.Since(restart))

	waitCtx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	var res api.ExperimentResult
	if err := run.Get(waitCtx, &res); err != nil {
		t.Fatalf("experiment: %v", err)
	}
	if res.Trained+res.Reused != 30 {
		t.Errorf("trained %d + reused %d, want 30", res.Trained, res.Reused)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < 30; i++ {
		if f.trained[i] < 1 {
			t.Errorf("model %d never completed", i)
		}
	}
	if f.reports != 1 {
		t.Errorf("%d reports", f.reports)
	}
	q, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), api.QueryProgress)
	if err != nil {
		t.Fatal(err)
	}
	var p api.Progress
	if err := q.Get(&p); err != nil {
		t.Fatal(err)
	}
	if p.Phase != api.PhaseDone || p.Done != 30 {
		t.Errorf("progress %+v", p)
	}
}

// startServer starts an umbra-starter server process on a temporary SQLite
// file and dials it.
func startServer(t *testing.T) (*temporaltest.Server, client.Client) {
	t.Helper()
	bin := temporaltest.BuildStarter(t, temporaltest.ModuleRoot(t))
	port, err := temporaltest.FreePortBlock(temporaltest.PortsUsed)
	if err != nil {
		t.Fatal(err)
	}
	srv := &temporaltest.Server{Bin: bin, DB: filepath.Join(t.TempDir(), "temporal.db"), Port: port}
	if os.Getenv("UMBRA_TEST_LOG") != "" {
		srv.Log = os.Stderr
	}
	if err := srv.Start(context.Background(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.Addr(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return srv, c
}

// registerWorker registers the fakes, with train as TrainModel.
func (f *fakeActivities) registerWorker(w worker.Worker, train func(context.Context, api.TrainModelInput) (api.TrainModelOutput, error)) {
	w.RegisterActivityWithOptions(f.Prepare, activity.RegisterOptions{Name: api.ActivityPrepare})
	w.RegisterActivityWithOptions(train, activity.RegisterOptions{Name: api.ActivityTrainModel})
	w.RegisterActivityWithOptions(f.Attack, activity.RegisterOptions{Name: api.ActivityAttack})
	w.RegisterActivityWithOptions(f.Report, activity.RegisterOptions{Name: api.ActivityReport})
}

// TestIntegrationHeartbeatResume simulates a worker that dies in the middle
// of training model 1: its first attempt heartbeats epoch 2 with a
// checkpoint key and then goes silent. The workflow's heartbeat timeout must
// get the model retried, and the retry must see the heartbeat details to
// resume from.
func TestIntegrationHeartbeatResume(t *testing.T) {
	_, c := startServer(t)
	ctx := context.Background()
	const queue = "umbra-it-hb"
	f := newFakes()
	dead := make(chan struct{})
	defer close(dead)
	var resumedFrom api.TrainHeartbeat
	train := func(actx context.Context, in api.TrainModelInput) (api.TrainModelOutput, error) {
		info := activity.GetInfo(actx)
		if in.ModelIndex == 1 && info.Attempt == 1 {
			activity.RecordHeartbeat(actx, api.TrainHeartbeat{Epoch: 2, CheckpointKey: "ckpt/model-1/epoch-2"})
			<-dead // the "worker" is gone: no more heartbeats, no result
			return api.TrainModelOutput{}, errors.New("unreachable")
		}
		if in.ModelIndex == 1 && activity.HasHeartbeatDetails(actx) {
			f.mu.Lock()
			err := activity.GetHeartbeatDetails(actx, &resumedFrom)
			f.mu.Unlock()
			if err != nil {
				return api.TrainModelOutput{}, err
			}
		}
		return f.TrainModel(actx, in)
	}
	w := worker.New(c, queue, worker.Options{})
	Register(w)
	f.registerWorker(w, train)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	in := testInput(3)
	in.SpecHash = "abcabcabcabcabca00"
	in.TaskQueue = queue
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: api.ExperimentWorkflowID(in.SpecHash), TaskQueue: queue,
	}, api.WorkflowExperiment, in)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var res api.ExperimentResult
	if err := run.Get(waitCtx, &res); err != nil {
		t.Fatalf("experiment: %v", err)
	}
	t.Logf("experiment with one dead attempt finished in %v", time.Since(start))
	f.mu.Lock()
	defer f.mu.Unlock()
	if res.Trained != 3 || f.trained[1] != 1 {
		t.Errorf("trained %d, model 1 completed %d times", res.Trained, f.trained[1])
	}
	if resumedFrom != (api.TrainHeartbeat{Epoch: 2, CheckpointKey: "ckpt/model-1/epoch-2"}) {
		t.Errorf("retry resumed from %+v", resumedFrom)
	}
}
