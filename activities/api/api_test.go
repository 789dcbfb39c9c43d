package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func validInput() ExperimentInput {
	return ExperimentInput{Spec: []byte("x: 1\n"), SpecHash: "0123456789abcdef00", Models: 3}
}

func TestExperimentInputValidate(t *testing.T) {
	if err := validInput().Validate(); err != nil {
		t.Fatalf("valid input: %v", err)
	}
	for _, c := range []struct {
		mut  func(*ExperimentInput)
		want string
	}{
		{func(in *ExperimentInput) { in.Spec = nil }, "spec: empty"},
		{func(in *ExperimentInput) { in.SpecHash = "abc" }, "spec_hash"},
		{func(in *ExperimentInput) { in.SpecHash = "0123456789ABCDEF" }, "character 10"},
		{func(in *ExperimentInput) { in.Models = 0 }, "models = 0"},
		{func(in *ExperimentInput) { in.BatchSize = -1 }, "batch_size = -1"},
		{func(in *ExperimentInput) { in.MaxConcurrentTrainings = -2 }, "max_concurrent_trainings = -2"},
		{func(in *ExperimentInput) { in.MaxConcurrentBatches = -3 }, "max_concurrent_batches = -3"},
		{func(in *ExperimentInput) { in.CheckpointEvery = -1 }, "checkpoint_every = -1"},
		{func(in *ExperimentInput) { in.TrainTimeout = -time.Second }, "train_timeout"},
	} {
		in := validInput()
		c.mut(&in)
		if err := in.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

func TestIDs(t *testing.T) {
	if got := ExperimentWorkflowID("0123456789abcdef0123"); got != "umbra-exp-0123456789abcdef" {
		t.Errorf("ExperimentWorkflowID = %q", got)
	}
	if got := BatchWorkflowID("umbra-exp-0123456789abcdef", 12); got != "umbra-exp-0123456789abcdef-batch-0012" {
		t.Errorf("BatchWorkflowID = %q", got)
	}
}

func TestModelKeys(t *testing.T) {
	listed := ModelKeys{Keys: []string{"a", "b"}}
	recipe := ModelKeys{Recipe: &ModelKeyRecipe{Count: 5000}}
	if listed.Count() != 2 || listed.Key(1) != "b" || listed.Key(2) != "" || listed.Key(-1) != "" {
		t.Errorf("listed keys: count %d key(1) %q", listed.Count(), listed.Key(1))
	}
	if recipe.Count() != 5000 || recipe.Key(0) != "" {
		t.Errorf("recipe keys: count %d", recipe.Count())
	}
	for _, c := range []struct {
		k    ModelKeys
		want string
	}{
		{listed, ""},
		{recipe, ""},
		{ModelKeys{}, "neither"},
		{ModelKeys{Keys: []string{"a"}, Recipe: &ModelKeyRecipe{Count: 1}}, "both"},
		{ModelKeys{Keys: make([]string, MaxInlineModelKeys+1)}, "exceed"},
		{ModelKeys{Recipe: &ModelKeyRecipe{}}, "recipe.count = 0"},
	} {
		err := c.k.Validate()
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v, want %q", err, c.want)
		}
	}
}

func TestTrainTotals(t *testing.T) {
	var tt TrainTotals
	tt.Add(TrainModelOutput{Epochs: 3, TrainSeconds: 10, SamplesPerSec: 100})
	tt.Add(TrainModelOutput{Reused: true, Epochs: 9, TrainSeconds: 99, SamplesPerSec: 1})
	tt.Merge(TrainTotals{Epochs: 1, TrainSeconds: 2, Samples: 5})
	if tt != (TrainTotals{Epochs: 4, TrainSeconds: 12, Samples: 1005}) {
		t.Errorf("totals %+v", tt)
	}
}

// TestPayloadSizes checks the worst-case payloads stay far below
// Temporal's 2 MB limit.
func TestPayloadSizes(t *testing.T) {
	keys := make([]string, MaxInlineModelKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("%064x", i)
	}
	out := PrepareOutput{DatasetFingerprint: strings.Repeat("f", 64), Universe: 60000, Models: ModelKeys{Keys: keys}, ExperimentPrefix: "exp/x"}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 256<<10 {
		t.Errorf("PrepareOutput with %d keys is %d bytes", len(keys), len(b))
	}
	// A batch carries the experiment input and the prepare output.
	bin := BatchInput{Experiment: ExperimentInput{Spec: make([]byte, 16<<10)}, Prepare: out, Count: MaxModelsPerBatch}
	if b, err = json.Marshal(bin); err != nil {
		t.Fatal(err)
	}
	if len(b) > 512<<10 {
		t.Errorf("BatchInput is %d bytes", len(b))
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := TrainModelInput{Spec: []byte("a: b\n"), ModelIndex: 4, Models: 8, ModelKey: "k", MaskSeed: 1 << 63, CheckpointEvery: 2}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var back TrainModelInput
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if string(back.Spec) != "a: b\n" || back.MaskSeed != 1<<63 || back.ModelIndex != 4 || back.Recipe != nil {
		t.Errorf("round trip %+v", back)
	}
	d, err := json.Marshal(DivergedDetails{Epoch: 7, Loss: "NaN"})
	if err != nil || string(d) != `{"model_index":0,"epoch":7,"loss":"NaN"}` {
		t.Errorf("diverged details %s, %v", d, err)
	}
}

func TestNonRetryableErrorTypes(t *testing.T) {
	types := NonRetryableErrorTypes()
	found := false
	for _, ty := range types {
		found = found || ty == "UmbraDiverged"
	}
	if !found {
		t.Errorf("%v lacks UmbraDiverged", types)
	}
}
