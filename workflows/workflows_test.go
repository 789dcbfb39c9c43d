package workflows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/umbra-ml/umbra/activities/api"
)

const testHash = "0123456789abcdef0123456789abcdef"

func testInput(models int) api.ExperimentInput {
	return api.ExperimentInput{
		Spec:     []byte("name: test\n"),
		SpecHash: testHash,
		StoreURL: "file:///tmp/store",
		Models:   models,
		MaskSeed: 7,
	}
}

func newEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *fakeActivities) {
	t.Helper()
	env := newSuite().NewTestWorkflowEnvironment()
	env.SetStartWorkflowOptions(startOptions(api.ExperimentWorkflowID(testHash)))
	Register(env)
	f := newFakes()
	f.register(env)
	return env, f
}

// newSuite returns a test suite whose logs are discarded (set
// UMBRA_TEST_LOG=1 to see them).
func newSuite() *testsuite.WorkflowTestSuite {
	s := &testsuite.WorkflowTestSuite{}
	if os.Getenv("UMBRA_TEST_LOG") == "" {
		s.SetLogger(quietLogger())
	}
	return s
}

func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func startOptions(id string) client.StartWorkflowOptions { return client.StartWorkflowOptions{ID: id} }

type childStart struct {
	id string
	in api.BatchInput
}

func recordChildren(env *testsuite.TestWorkflowEnvironment) *[]childStart {
	var starts []childStart
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, args converter.EncodedValues) {
		if info.WorkflowType.Name != api.WorkflowBatch {
			return
		}
		var in api.BatchInput
		if err := args.Get(&in); err != nil {
			panic(err)
		}
		starts = append(starts, childStart{id: info.WorkflowExecution.ID, in: in})
	})
	return &starts
}

func runExperiment(t *testing.T, env *testsuite.TestWorkflowEnvironment, in api.ExperimentInput) (api.ExperimentResult, error) {
	t.Helper()
	env.ExecuteWorkflow(api.WorkflowExperiment, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var res api.ExperimentResult
	if err := env.GetWorkflowError(); err != nil {
		return res, err
	}
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatalf("decoding result: %v", err)
	}
	return res, nil
}

func queryProgress(t *testing.T, env *testsuite.TestWorkflowEnvironment) api.Progress {
	t.Helper()
	v, err := env.QueryWorkflow(api.QueryProgress)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var p api.Progress
	if err := v.Get(&p); err != nil {
		t.Fatalf("decoding progress: %v", err)
	}
	return p
}

func TestExperimentFanOut(t *testing.T) {
	for _, c := range []struct {
		name       string
		models     int
		batchSize  int
		wantCounts []int
	}{
		{"1201 models default batches", 1201, 0, []int{500, 500, 201}},
		{"batch size above 500 is clamped", 1001, 800, []int{500, 500, 1}},
		{"small batches", 7, 3, []int{3, 3, 1}},
		{"single model", 1, 0, []int{1}},
		{"2001 models use a key recipe", 2001, 0, []int{500, 500, 500, 500, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env, f := newEnv(t)
			children := recordChildren(env)
			in := testInput(c.models)
			in.BatchSize = c.batchSize
			in.MaxConcurrentTrainings = 16
			res, err := runExperiment(t, env, in)
			if err != nil {
				t.Fatal(err)
			}
			// Children start in one workflow task; order them by index.
			slices.SortFunc(*children, func(a, b childStart) int { return a.in.Index - b.in.Index })
			if len(*children) != len(c.wantCounts) {
				t.Fatalf("%d batch children, want %d", len(*children), len(c.wantCounts))
			}
			parentID := api.ExperimentWorkflowID(testHash)
			first := 0
			for i, ch := range *children {
				if ch.id != fmt.Sprintf("%s-batch-%04d", parentID, i) {
					t.Errorf("child %d ID = %q", i, ch.id)
				}
				if ch.in.Index != i || ch.in.First != first || ch.in.Count != c.wantCounts[i] {
					t.Errorf("child %d = index %d [%d, +%d), want [%d, +%d)", i, ch.in.Index, ch.in.First, ch.in.Count, first, c.wantCounts[i])
				}
				if ch.in.Count > api.MaxModelsPerBatch {
					t.Errorf("child %d has %d models", i, ch.in.Count)
				}
				first += ch.in.Count
			}
			if len(f.trained) != c.models {
				t.Fatalf("%d distinct models trained, want %d", len(f.trained), c.models)
			}
			for i := 0; i < c.models; i++ {
				if f.trained[i] != 1 {
					t.Fatalf("model %d trained %d times", i, f.trained[i])
				}
				if c.models <= api.MaxInlineModelKeys && !f.keysSeen[modelKey(i)] {
					t.Fatalf("model %d's key not passed", i)
				}
			}
			if c.models > api.MaxInlineModelKeys && f.recipeSeen != c.models {
				t.Errorf("%d TrainModel inputs carried the recipe, want %d", f.recipeSeen, c.models)
			}
			if f.maxInFlight > 16*api.DefaultMaxConcurrentBatches {
				t.Errorf("%d TrainModel in flight, cap %d", f.maxInFlight, 16*api.DefaultMaxConcurrentBatches)
			}
			if res.Trained != c.models || res.Reused != 0 {
				t.Errorf("trained %d reused %d, want %d, 0", res.Trained, res.Reused, c.models)
			}
			if res.TrainTotals.Epochs != 3*c.models {
				t.Errorf("epochs = %d, want %d", res.TrainTotals.Epochs, 3*c.models)
			}
			if f.attacks != 1 || f.reports != 1 {
				t.Errorf("attack ran %d times, report %d", f.attacks, f.reports)
			}
			if res.Attack.Metrics["models"] != float64(c.models) {
				t.Errorf("attack saw %v models", res.Attack.Metrics["models"])
			}
			if res.Report.ReportJSONKey != "exp/"+testHash[:16]+"/report.json" {
				t.Errorf("report key %q", res.Report.ReportJSONKey)
			}
			p := queryProgress(t, env)
			if p.Phase != api.PhaseDone || p.Done != c.models || p.BatchesDone != len(c.wantCounts) || p.Running != 0 {
				t.Errorf("final progress %+v", p)
			}
		})
	}
}

func TestBatchConcurrencyCap(t *testing.T) {
	env, f := newEnv(t)
	in := testInput(40)
	in.BatchSize = 20
	in.MaxConcurrentTrainings = 3
	in.MaxConcurrentBatches = 1
	// Each model takes a minute of workflow time, so activities overlap.
	env.OnActivity(api.ActivityTrainModel, mock.Anything, mock.Anything).After(time.Minute).Return(f.TrainModel)
	var inFlight, maxInFlight int
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == api.ActivityTrainModel {
			inFlight++
			maxInFlight = max(maxInFlight, inFlight)
		}
	})
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		if info.ActivityType.Name == api.ActivityTrainModel {
			inFlight--
		}
	})
	if _, err := runExperiment(t, env, in); err != nil {
		t.Fatal(err)
	}
	if maxInFlight != 3 {
		t.Errorf("max in flight = %d, want exactly the cap 3", maxInFlight)
	}
	if len(f.trained) != 40 {
		t.Errorf("%d models trained, want 40", len(f.trained))
	}
}

func TestBatchRejectsMoreThan500(t *testing.T) {
	env := newSuite().NewTestWorkflowEnvironment()
	Register(env)
	in := testInput(1000)
	env.ExecuteWorkflow(api.WorkflowBatch, api.BatchInput{Experiment: in, Index: 0, First: 0, Count: 501})
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "count = 501") {
		t.Fatalf("error = %v, want one naming count = 501", err)
	}
}

func TestRetryThenSucceed(t *testing.T) {
	env, f := newEnv(t)
	f.failTimes[3] = 2
	res, err := runExperiment(t, env, testInput(5))
	if err != nil {
		t.Fatal(err)
	}
	if f.attempts[3] != 3 {
		t.Errorf("model 3 attempts = %d, want 3", f.attempts[3])
	}
	if f.attempts[2] != 1 {
		t.Errorf("model 2 attempts = %d, want 1", f.attempts[2])
	}
	if res.Trained != 5 {
		t.Errorf("trained = %d, want 5", res.Trained)
	}
}

func TestDivergenceFailsExperiment(t *testing.T) {
	env, f := newEnv(t)
	f.diverge[7] = 4
	in := testInput(10)
	in.MaxConcurrentTrainings = 1 // models run in order: 8 and 9 never start
	_, err := runExperiment(t, env, in)
	if err == nil {
		t.Fatal("experiment succeeded despite divergence")
	}
	for _, want := range []string{"model 7 diverged at epoch 4", "loss NaN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != api.ErrTypeDiverged {
		t.Errorf("error type: %v", err)
	}
	if f.attempts[7] != 1 {
		t.Errorf("diverged model retried: %d attempts", f.attempts[7])
	}
	if f.attempts[8] != 0 || f.attempts[9] != 0 {
		t.Errorf("models after the failure started: %v", f.attempts)
	}
	if f.attacks != 0 || f.reports != 0 {
		t.Error("attack/report ran after a failed training")
	}
	p := queryProgress(t, env)
	if p.Phase != api.PhaseFailed || !strings.Contains(p.Error, "epoch 4") || p.Failed != 1 || p.Done != 7 {
		t.Errorf("progress after failure: %+v", p)
	}
}

func TestReuseCounted(t *testing.T) {
	env, f := newEnv(t)
	f.reused = func(i int) bool { return i%3 == 0 } // 0,3,6,9 of 10
	res, err := runExperiment(t, env, testInput(10))
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused != 4 || res.Trained != 6 {
		t.Errorf("reused %d trained %d, want 4, 6", res.Reused, res.Trained)
	}
	if res.TrainTotals.Epochs != 18 {
		t.Errorf("epochs %d, want 18 (reused models add none)", res.TrainTotals.Epochs)
	}
	p := queryProgress(t, env)
	if p.Reused != 4 || p.Done != 10 || p.EpochsCompleted != 18 {
		t.Errorf("progress %+v", p)
	}
}

func TestCancellation(t *testing.T) {
	env, f := newEnv(t)
	in := testInput(40)
	in.BatchSize = 10
	in.MaxConcurrentTrainings = 4
	in.MaxConcurrentBatches = 2 // 8 activities in flight at most
	f.block = make(chan struct{})
	defer close(f.block)
	f.onStart = func(started int) {
		if started == 8 {
			env.CancelWorkflow()
		}
	}
	var cancelled int
	env.SetOnActivityCanceledListener(func(*activity.Info) { cancelled++ })
	_, err := runExperiment(t, env, in)
	if err == nil || !temporal.IsCanceledError(err) {
		t.Fatalf("error = %v, want cancelled", err)
	}
	if f.started != 8 {
		t.Errorf("%d TrainModel started, want 8 (none after cancellation)", f.started)
	}
	if cancelled != 8 {
		t.Errorf("%d activities cancelled, want 8", cancelled)
	}
	if f.attacks != 0 {
		t.Error("attack ran after cancellation")
	}
	if p := queryProgress(t, env); p.Phase != api.PhaseCancelled {
		t.Errorf("phase %q, want cancelled", p.Phase)
	}
}

func TestProgressQueryMidRun(t *testing.T) {
	env, f := newEnv(t)
	in := testInput(20)
	in.BatchSize = 10
	in.MaxConcurrentTrainings = 2
	in.MaxConcurrentBatches = 1
	env.OnActivity(api.ActivityTrainModel, mock.Anything, mock.Anything).After(time.Minute).Return(f.TrainModel)
	var mid api.Progress
	env.RegisterDelayedCallback(func() { mid = queryProgress(t, env) }, 7*time.Minute+30*time.Second)
	if _, err := runExperiment(t, env, in); err != nil {
		t.Fatal(err)
	}
	// Batch 0 ran minutes 0–5 (two models a minute), batch 1 started at 5;
	// by 7:30 batch 1 has finished 4 models and signalled at 2 and 4.
	want := api.Progress{
		Phase: api.PhaseTraining, Models: 20, Done: 14, Running: 2,
		Batches: 2, BatchesDone: 1, EpochsCompleted: 42,
		// 14 models × 60 s × 1000 samples/s over the 7 minutes to the
		// last update.
		SamplesPerSec: 14 * 60 * 1000 / 420.0,
		ModelsPerHour: 14 / (7.0 / 60),
		ETA:           3 * time.Minute, // 6 models at 120 per hour
	}
	if mid != want {
		t.Errorf("progress at 7:30\n got %+v\nwant %+v", mid, want)
	}
}

func TestSweep(t *testing.T) {
	env := newSuite().NewTestWorkflowEnvironment()
	Register(env)
	f := newFakes()
	f.badSpec = "bad: spec\n"
	f.register(env)
	exps := make([]api.ExperimentInput, 3)
	for i := range exps {
		exps[i] = testInput(5)
		exps[i].SpecHash = fmt.Sprintf("%016x", i+1)
	}
	exps[1].Spec = []byte(f.badSpec)
	env.ExecuteWorkflow(api.WorkflowSweep, api.SweepInput{Experiments: exps, Concurrency: 2})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("sweep failed: %v", err)
	}
	var res api.SweepResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 2 || res.Failed != 1 || len(res.Entries) != 3 {
		t.Fatalf("result %+v", res)
	}
	for i, e := range res.Entries {
		if e.Index != i || e.WorkflowID != api.ExperimentWorkflowID(exps[i].SpecHash) {
			t.Errorf("entry %d = %+v", i, e)
		}
	}
	if res.Entries[1].OK || !strings.Contains(res.Entries[1].Error, "train.lr") {
		t.Errorf("failed entry %+v", res.Entries[1])
	}
	if !res.Entries[0].OK || res.Entries[0].ReportJSONKey != "exp/0000000000000001/report.json" {
		t.Errorf("entry 0 %+v", res.Entries[0])
	}
	if len(f.trained) != 5 || f.reports != 2 {
		// Experiments 0 and 2 share model keys in the fake; both ran.
		t.Errorf("trained %d distinct models, %d reports", len(f.trained), f.reports)
	}
}

func TestSweepContinuesAsNew(t *testing.T) {
	s := newSuite()
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	f := newFakes()
	f.register(env)
	exps := make([]api.ExperimentInput, 3)
	for i := range exps {
		exps[i] = testInput(2)
		exps[i].SpecHash = fmt.Sprintf("%016x", i+1)
	}
	env.ExecuteWorkflow(api.WorkflowSweep, api.SweepInput{Experiments: exps, Concurrency: 3, ContinueAfter: 2})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("error = %v, want continue-as-new", err)
	}
	var next api.SweepInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Next != 2 || len(next.Results) != 2 || !next.Results[0].OK || !next.Results[1].OK {
		t.Fatalf("continued input: next %d results %+v", next.Next, next.Results)
	}
	if f.reports != 2 {
		t.Errorf("%d experiments ran before continue-as-new, want 2", f.reports)
	}

	env2 := s.NewTestWorkflowEnvironment()
	Register(env2)
	newFakes().register(env2)
	env2.ExecuteWorkflow(api.WorkflowSweep, next)
	var res api.SweepResult
	if err := env2.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 3 || len(res.Entries) != 3 || res.Entries[2].Index != 2 {
		t.Errorf("final %+v", res)
	}
}
