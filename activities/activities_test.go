package activities

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/artifacts/npy"
	"github.com/umbra-ml/umbra/report"
	"github.com/umbra-ml/umbra/spec"
)

// tinySpec is a small experiment that trains in well under a second per
// model.
const tinySpec = `name: tiny
dataset:
  name: purchase-synthetic
  universe: 120
  population: 40
  split_seed: 3
  synthetic: {dim: 24, classes: 4, seed: 5, flip_prob: 0.2}
model: {arch: mlp, hidden: [16]}
train:
  epochs: 3
  batch_size: 32
  optimizer: {name: adam, lr: 0.01}
  seed: 7
  checkpoint_every: 1
shadows: {count: 8, keep: 0.5, mask_seed: 11}
eval: {targets: 2, augmentations: [identity]}
attacks:
  - name: lira-offline
  - name: lira-online-fixed-variance
  - name: rmia
    gamma: 1
  - name: loss
  - name: confidence
  - name: shadow-classifier
  - name: adversarial
    eps: 0.1
    steps: 2
    step_size: 0.05
`

type fixture struct {
	t    *testing.T
	acts *Activities
	env  *testsuite.TestActivityEnvironment
	url  string
	dir  string
	spec []byte
	hash string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	s, err := spec.Parse([]byte(tinySpec), "tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	acts := New(Options{})
	acts.Register(env, "")
	return &fixture{t: t, acts: acts, env: env, url: "file://" + dir, dir: dir, spec: []byte(tinySpec), hash: s.Hash()}
}

func (f *fixture) prepare() api.PrepareOutput {
	f.t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.Prepare, api.PrepareInput{Spec: f.spec, SpecHash: f.hash, StoreURL: f.url, Models: 8, MaskSeed: 11})
	if err != nil {
		f.t.Fatalf("Prepare: %v", err)
	}
	var out api.PrepareOutput
	if err := v.Get(&out); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) train(prep api.PrepareOutput, i int) api.TrainModelOutput {
	f.t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.TrainModel, api.TrainModelInput{
		Spec: f.spec, StoreURL: f.url, ModelIndex: i, Models: 8, Universe: prep.Universe,
		DatasetFingerprint: prep.DatasetFingerprint, ModelKey: prep.Models.Key(i), MaskSeed: 11,
	})
	if err != nil {
		f.t.Fatalf("TrainModel %d: %v", i, err)
	}
	var out api.TrainModelOutput
	if err := v.Get(&out); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) read(key string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(key)))
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// TestPipeline runs Prepare, TrainModel for every model, Attack and Report
// on a local store and checks what each stores.
func TestPipeline(t *testing.T) {
	f := newFixture(t)
	prep := f.prepare()
	if prep.Universe != 120 || prep.Population != 40 || len(prep.Models.Keys) != 8 {
		t.Fatalf("prepare output %+v", prep)
	}
	keep, shape, err := npy.ReadBool(bytes.NewReader(f.read(prep.ExperimentPrefix + "keep.npy")))
	if err != nil || shape[0] != 8 || shape[1] != 160 {
		t.Fatalf("keep.npy: %v %v", shape, err)
	}
	for n := range 160 {
		c := 0
		for m := range 8 {
			if keep[m*160+n] {
				c++
			}
		}
		if want := map[bool]int{true: 4, false: 0}[n < 120]; c != want {
			t.Fatalf("example %d is kept by %d models, want %d", n, c, want)
		}
	}
	for i := range 8 {
		out := f.train(prep, i)
		if out.Reused || out.Epochs != 3 || out.ModelKey != prep.Models.Keys[i] {
			t.Fatalf("model %d: %+v", i, out)
		}
	}
	// A second TrainModel of a finished model reuses it.
	if out := f.train(prep, 1); !out.Reused {
		t.Fatalf("model 1 was not reused: %+v", out)
	}
	phi, shape, err := npy.ReadFloat32(bytes.NewReader(f.read(artifacts.ScoresKey(prep.Models.Keys[0]))))
	if err != nil || len(shape) != 2 || shape[0] != 160 || shape[1] != 1 || len(phi) != 160 {
		t.Fatalf("scores.npy: shape %v, %v", shape, err)
	}

	v, err := f.env.ExecuteActivity(f.acts.Attack, api.AttackInput{Spec: f.spec, StoreURL: f.url,
		ExperimentPrefix: prep.ExperimentPrefix, Models: prep.Models, MaskSeed: 11})
	if err != nil {
		t.Fatalf("Attack: %v", err)
	}
	var att api.AttackOutput
	if err := v.Get(&att); err != nil {
		t.Fatal(err)
	}
	var sum AttackSummary
	if err := json.Unmarshal(f.read(att.SummaryKey), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Attacks) != 7 {
		t.Fatalf("attack summary has %d attacks, want 7", len(sum.Attacks))
	}
	for _, a := range sum.Attacks {
		if len(a.Aggregate.PerTarget) != 2 {
			t.Errorf("%s: %d targets, want 2", a.Label, len(a.Aggregate.PerTarget))
		}
		for _, p := range a.Aggregate.PerTarget {
			// Population examples are excluded; the universe splits in halves.
			if p.Members+p.NonMembers+p.Excluded != 160 || p.Excluded < 40 {
				t.Errorf("%s target %d: members %d non-members %d excluded %d", a.Label, p.Target, p.Members, p.NonMembers, p.Excluded)
			}
		}
	}

	v, err = f.env.ExecuteActivity(f.acts.Report, api.ReportInput{Spec: f.spec, StoreURL: f.url,
		ExperimentPrefix: prep.ExperimentPrefix, AttackSummaryKey: att.SummaryKey, Models: prep.Models,
		DatasetFingerprint: prep.DatasetFingerprint, Trained: 8, Timing: api.ReportTiming{WallSeconds: 10, TrainSeconds: 8, TrainWorkers: 2, AttackSeconds: 1}})
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	var rep api.ReportOutput
	if err := v.Get(&rep); err != nil {
		t.Fatal(err)
	}
	r, err := report.ReadJSON(bytes.NewReader(f.read(rep.ReportJSONKey)))
	if err != nil {
		t.Fatal(err)
	}
	if r.SpecHash != f.hash || len(r.Attacks) != 7 || r.Models.Trained != 8 {
		t.Fatalf("report: hash %s attacks %d trained %d", r.SpecHash, len(r.Attacks), r.Models.Trained)
	}
	// The report's AUCs are the Attack activity's.
	for i, a := range r.Attacks {
		if a.AUC.Mean != sum.Attacks[i].Aggregate.AUC.Mean {
			t.Errorf("%s: report AUC %v, attack AUC %v", a.Name, a.AUC.Mean, sum.Attacks[i].Aggregate.AUC.Mean)
		}
	}
	all, shape, err := npy.ReadFloat32(bytes.NewReader(f.read(prep.ExperimentPrefix + "scores.npy")))
	if err != nil || len(shape) != 3 || shape[0] != 8 || shape[1] != 160 || shape[2] != 1 {
		t.Fatalf("exported scores.npy: %v %v", shape, err)
	}
	for n := range 160 {
		if all[n] != phi[n] {
			t.Fatalf("exported scores[0][%d] = %v, model file has %v", n, all[n], phi[n])
		}
	}
	if !bytes.Contains(f.read(rep.ReportHTMLKey), []byte("<svg")) {
		t.Error("report.html has no plot")
	}
}

// TestResumeIsBitwise simulates a worker that died after the first epoch's
// checkpoint (every later file is removed) and checks that the resumed
// training's scores equal an uninterrupted run's, byte for byte.
func TestResumeIsBitwise(t *testing.T) {
	whole := newFixture(t)
	prep := whole.prepare()
	whole.train(prep, 0)
	key := prep.Models.Keys[0]
	want := whole.read(artifacts.ScoresKey(key))

	crashed := newFixture(t)
	prep2 := crashed.prepare()
	crashed.train(prep2, 0)
	for _, name := range []string{"epoch-0002.safetensors", "epoch-0003.safetensors", "final.safetensors", "scores.npy", logitsName, "manifest.json"} {
		if err := os.Remove(filepath.Join(crashed.dir, filepath.FromSlash(artifacts.ModelPrefix(key)+name))); err != nil {
			t.Fatal(err)
		}
	}
	// A fresh process (no dataset cache, no heartbeat details) resumes from
	// the store.
	resumed := newFixture(t)
	resumed.url, resumed.dir = crashed.url, crashed.dir
	out := resumed.train(prep2, 0)
	if out.Reused || out.Epochs != 2 {
		t.Fatalf("resumed training ran %d epochs (reused %v), want the 2 after the checkpoint", out.Epochs, out.Reused)
	}
	if got := resumed.read(artifacts.ScoresKey(key)); !bytes.Equal(got, want) {
		t.Fatal("scores.npy after resume differ from an uninterrupted run's")
	}
	if !bytes.Equal(resumed.read(artifacts.FinalCheckpointKey(key)), whole.read(artifacts.FinalCheckpointKey(key))) {
		t.Fatal("final weights after resume differ from an uninterrupted run's")
	}
}

// TestInvalidSpecIsNonRetryable checks the error type workflows rely on.
func TestInvalidSpecIsNonRetryable(t *testing.T) {
	f := newFixture(t)
	_, err := f.env.ExecuteActivity(f.acts.Prepare, api.PrepareInput{Spec: []byte(strings.Replace(tinySpec, "adam", "adamm", 1)), SpecHash: f.hash, StoreURL: f.url, Models: 4})
	if err == nil || !strings.Contains(err.Error(), "train.optimizer.name") {
		t.Fatalf("err = %v, want a field error naming train.optimizer.name", err)
	}
	if !strings.Contains(err.Error(), api.ErrTypeInvalidSpec) {
		t.Errorf("err = %v, want type %s", err, api.ErrTypeInvalidSpec)
	}
}

// TestTooFewShadowsIsNonRetryable runs LiRA offline on 4 models: with
// leave-one-out, a target's non-members have a single OUT shadow, below
// min_out = 2, so the attack cannot be evaluated. The error must say why and
// must not be retried.
func TestTooFewShadowsIsNonRetryable(t *testing.T) {
	f := newFixture(t)
	f.spec = []byte(strings.Replace(tinySpec, "count: 8", "count: 4", 1))
	s, err := spec.Parse(f.spec, "four.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.hash = s.Hash()
	v, err := f.env.ExecuteActivity(f.acts.Prepare, api.PrepareInput{Spec: f.spec, SpecHash: f.hash, StoreURL: f.url, Models: 4, MaskSeed: 11})
	if err != nil {
		t.Fatal(err)
	}
	var prep api.PrepareOutput
	if err := v.Get(&prep); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := f.env.ExecuteActivity(f.acts.TrainModel, api.TrainModelInput{Spec: f.spec, StoreURL: f.url, ModelIndex: i,
			Models: 4, Universe: prep.Universe, ModelKey: prep.Models.Key(i), MaskSeed: 11}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.env.ExecuteActivity(f.acts.Attack, api.AttackInput{Spec: f.spec, StoreURL: f.url,
		ExperimentPrefix: prep.ExperimentPrefix, Models: prep.Models, MaskSeed: 11})
	if err == nil {
		t.Fatal("attack on 4 models succeeded; want an empty-class error")
	}
	for _, want := range []string{"lira-offline", "one class is empty", "use more shadows", api.ErrTypeAttack} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
