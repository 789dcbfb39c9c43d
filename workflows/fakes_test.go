package workflows

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/umbra-ml/umbra/activities/api"
)

// fakeActivities are test doubles of the real activities (which the lead
// wires in cmd/worker). They record what they were asked to do.
type fakeActivities struct {
	mu sync.Mutex

	// Behaviour.
	failTimes map[int]int // model → retryable failures before success
	diverge   map[int]int // model → epoch at which it diverges
	reused    func(int) bool
	badSpec   string        // Prepare fails non-retryably for this spec
	block     chan struct{} // when non-nil, TrainModel blocks until closed or cancelled
	onStart   func(started int)
	delay     time.Duration // TrainModel runs this long, heartbeating

	// Records.
	trained     map[int]int // model → successful completions
	attempts    map[int]int // model → attempts seen
	started     int
	inFlight    int
	maxInFlight int
	attacks     int
	reports     int
	keysSeen    map[string]bool
	recipeSeen  int // inputs carrying a recipe instead of a key
}

func newFakes() *fakeActivities {
	return &fakeActivities{
		failTimes: map[int]int{},
		diverge:   map[int]int{},
		trained:   map[int]int{},
		attempts:  map[int]int{},
		keysSeen:  map[string]bool{},
	}
}

func (f *fakeActivities) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(f.Prepare, activity.RegisterOptions{Name: api.ActivityPrepare})
	env.RegisterActivityWithOptions(f.TrainModel, activity.RegisterOptions{Name: api.ActivityTrainModel})
	env.RegisterActivityWithOptions(f.Attack, activity.RegisterOptions{Name: api.ActivityAttack})
	env.RegisterActivityWithOptions(f.Report, activity.RegisterOptions{Name: api.ActivityReport})
}

func modelKey(i int) string { return fmt.Sprintf("key-%05d", i) }

func (f *fakeActivities) Prepare(_ context.Context, in api.PrepareInput) (api.PrepareOutput, error) {
	if f.badSpec != "" && string(in.Spec) == f.badSpec {
		return api.PrepareOutput{}, temporal.NewNonRetryableApplicationError("spec does not validate: train.lr: must be > 0", api.ErrTypeInvalidSpec, nil)
	}
	out := api.PrepareOutput{
		DatasetFingerprint: "fp-" + in.SpecHash[:8],
		Universe:           1000,
		Population:         500,
		ExperimentPrefix:   "exp/" + in.SpecHash[:16],
	}
	if in.Models <= api.MaxInlineModelKeys {
		for i := 0; i < in.Models; i++ {
			out.Models.Keys = append(out.Models.Keys, modelKey(i))
		}
	} else {
		out.Models.Recipe = &api.ModelKeyRecipe{DatasetFingerprint: out.DatasetFingerprint, RecipeHash: "r", MaskSeed: in.MaskSeed, Count: in.Models}
	}
	return out, nil
}

func (f *fakeActivities) TrainModel(ctx context.Context, in api.TrainModelInput) (api.TrainModelOutput, error) {
	f.mu.Lock()
	i := in.ModelIndex
	f.attempts[i]++
	f.started++
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	attempt := f.attempts[i]
	started := f.started
	if in.ModelKey != "" && in.Universe == 1000 && in.DatasetFingerprint != "" {
		f.keysSeen[in.ModelKey] = true
	}
	if in.ModelKey == "" && in.Recipe != nil && in.Recipe.Count == in.Models {
		f.recipeSeen++
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.onStart != nil {
		f.onStart(started)
	}
	if f.delay > 0 {
		deadline := time.Now().Add(f.delay)
		for time.Now().Before(deadline) {
			activity.RecordHeartbeat(ctx, api.TrainHeartbeat{Epoch: 1})
			select {
			case <-ctx.Done():
				return api.TrainModelOutput{}, ctx.Err()
			case <-time.After(f.delay / 4):
			}
		}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return api.TrainModelOutput{}, ctx.Err()
		}
	}
	if n := f.failTimes[i]; attempt <= n {
		return api.TrainModelOutput{}, temporal.NewApplicationError(fmt.Sprintf("worker lost (attempt %d)", attempt), "Transient")
	}
	if epoch, ok := f.diverge[i]; ok {
		return api.TrainModelOutput{}, temporal.NewNonRetryableApplicationError("loss is not finite", api.ErrTypeDiverged, nil,
			api.DivergedDetails{ModelIndex: i, Epoch: epoch, Loss: "NaN"})
	}
	out := api.TrainModelOutput{
		ModelIndex: i, ModelKey: in.ModelKey, Epochs: 3, TrainSeconds: 60, SamplesPerSec: 1000,
		FinalLoss: 0.5, FinalAccuracy: 0.9,
	}
	if f.reused != nil && f.reused(i) {
		out.Reused = true
		out.Epochs, out.TrainSeconds, out.SamplesPerSec = 0, 0, 0
	}
	f.mu.Lock()
	f.trained[i]++
	f.mu.Unlock()
	return out, nil
}

func (f *fakeActivities) Attack(_ context.Context, in api.AttackInput) (api.AttackOutput, error) {
	f.mu.Lock()
	f.attacks++
	f.mu.Unlock()
	return api.AttackOutput{
		SummaryKey: in.ExperimentPrefix + "/attacks.json",
		Metrics:    map[string]float64{"lira/auc": 0.75, "models": float64(in.Models.Count())},
	}, nil
}

func (f *fakeActivities) Report(_ context.Context, in api.ReportInput) (api.ReportOutput, error) {
	f.mu.Lock()
	f.reports++
	f.mu.Unlock()
	return api.ReportOutput{ReportJSONKey: in.ExperimentPrefix + "/report.json", ReportHTMLKey: in.ExperimentPrefix + "/report.html"}, nil
}
