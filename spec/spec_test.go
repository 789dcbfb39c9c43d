package spec

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func exampleFiles(t testing.TB) []string {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	return files
}

func TestExamplesParse(t *testing.T) {
	for _, f := range exampleFiles(t) {
		if _, err := Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
	s, err := Load("../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dataset.Name != DatasetPurchaseSynthetic || s.Dataset.Universe != 4000 || s.Dataset.Population != 1000 ||
		s.Dataset.Synthetic.Dim != 600 || s.Dataset.Synthetic.Classes != 100 || s.Dataset.Synthetic.Size != 5000 {
		t.Errorf("quickstart dataset: %+v %+v", s.Dataset, s.Dataset.Synthetic)
	}
	if s.Model.Arch != ArchMLP || !slices.Equal(s.Model.MLP.Hidden, []int{256}) {
		t.Errorf("quickstart model: %+v", s.Model.MLP)
	}
	if s.Shadows.Count != 16 || s.Train.Epochs != 20 || s.Train.Optimizer.Name != OptimizerAdam {
		t.Errorf("quickstart: %+v %+v", s.Shadows, s.Train)
	}
	var names []string
	for _, a := range s.Attacks {
		names = append(names, a.Name)
	}
	want := []string{AttackLiRAOnline, AttackLiRAOffline, AttackLiRAOnlineFixedVar, AttackLiRAOfflineFixedVar,
		AttackRMIA, AttackLoss, AttackConfidence}
	if !slices.Equal(names, want) {
		t.Errorf("quickstart attacks %v, want %v", names, want)
	}
	if s.Attacks[4].RMIA.PopulationSamples != 1000 {
		t.Errorf("rmia population_samples = %d, want 1000 (all of the population)", s.Attacks[4].RMIA.PopulationSamples)
	}
	m, err := Load("../examples/mnist-lira.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Shadows.Count != 64 || m.Model.Arch != ArchSimpleCNN || len(m.Eval.Augmentations) != 5 ||
		m.Eval.Augmentations[2] != (QueryAugmentation{DX: -1}) {
		t.Errorf("mnist-lira: %+v %+v", m.Shadows, m.Eval)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("got %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(p, []byte(minimal+"train: {epochs: -3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p)
	if err == nil || err.Error() != p+":9: train.epochs: must be > 0 (got -3)" {
		t.Fatalf("got %v", err)
	}
}

func TestDefaults(t *testing.T) {
	s, err := Parse([]byte(minimal), "")
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		Version: 1,
		Dataset: Dataset{Name: DatasetPurchaseSynthetic, Universe: 1000, Population: 200,
			Synthetic: &Synthetic{Size: 1200, Dim: 600, Classes: 100, SensitiveFraction: 0.5}},
		Model: Model{Arch: ArchMLP, MLP: &MLP{Hidden: []int{256}, Activation: ActivationReLU}},
		Train: Train{Epochs: 10, BatchSize: 128,
			Optimizer:       Optimizer{Name: OptimizerAdam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			Schedule:        Schedule{Name: ScheduleConstant},
			Defense:         Defense{Name: DefenseNone},
			CheckpointEvery: 1},
		Shadows: Shadows{Count: 16, Keep: 0.5},
		Eval:    Eval{Targets: 1, Augmentations: []QueryAugmentation{{}}},
		Attacks: []Attack{{Name: AttackLoss, Label: AttackLoss}},
		Metrics: Metrics{FPR: []float64{1e-5, 1e-3, 1e-2, 1e-1}},
	}
	if !reflect.DeepEqual(s, want) {
		got, _ := json.MarshalIndent(s, "", " ")
		exp, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("defaults:\n%s\nwant:\n%s", got, exp)
	}
}

func TestVariantDefaults(t *testing.T) {
	cases := []struct {
		name, yaml string
		check      func(*Spec) bool
	}{
		{"sgd", "train: {optimizer: {name: sgd}}", func(s *Spec) bool {
			return s.Train.Optimizer == Optimizer{Name: "sgd", LR: 0.1, Momentum: 0.9}
		}},
		{"adamw", "train: {optimizer: {name: adamw, lr: 0.01}}", func(s *Spec) bool {
			return s.Train.Optimizer == Optimizer{Name: "adamw", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
		}},
		{"explicit zero weight decay kept", "train: {optimizer: {name: adamw, weight_decay: 0}}", func(s *Spec) bool {
			return s.Train.Optimizer.WeightDecay == 0
		}},
		{"step", "train: {schedule: {name: step, step_size: 3}}", func(s *Spec) bool {
			return s.Train.Schedule == Schedule{Name: "step", StepSize: 3, Gamma: 0.1}
		}},
		{"dp-sgd", "train: {defense: {name: dp-sgd, noise_multiplier: 0.5}}", func(s *Spec) bool {
			return s.Train.Defense == Defense{Name: "dp-sgd", ClipNorm: 1, NoiseMultiplier: 0.5}
		}},
		{"lira online", "  - name: lira-online", func(s *Spec) bool {
			return *s.Attacks[1].LiRA == LiRA{MinIn: 2, MinOut: 2} && s.Attacks[1].RMIA == nil
		}},
		{"lira offline fixed", "  - name: lira-offline-fixed-variance", func(s *Spec) bool {
			return *s.Attacks[1].LiRA == LiRA{MinOut: 1}
		}},
		{"rmia", "  - {name: rmia, population_samples: 50}", func(s *Spec) bool {
			return *s.Attacks[1].RMIA == RMIA{A: 0.3, Gamma: 1, PopulationSamples: 50}
		}},
		{"adversarial step derived", "  - {name: adversarial, eps: 0.1, label: adv}", func(s *Spec) bool {
			return *s.Attacks[1].Adversarial == Adversarial{Eps: 0.1, Steps: 10, StepSize: 0.025} && s.Attacks[1].Label == "adv"
		}},
		{"tabular-synthetic", "dataset: {name: tabular-synthetic, universe: 10, population: 5, synthetic: {flip_prob: 0.1}}", func(s *Spec) bool {
			return *s.Dataset.Synthetic == Synthetic{Size: 15, Dim: 20, Classes: 2, FlipProb: 0.1, SensitiveFraction: 0.5}
		}},
		{"integral float for int", "dataset: {name: tabular-synthetic, universe: 4e3}", func(s *Spec) bool {
			return s.Dataset.Universe == 4000
		}},
		{"null section keeps defaults", "train:\neval:", func(s *Spec) bool {
			return s.Train.Epochs == 10 && s.Eval.Targets == 1
		}},
		{"fpr sorted", "metrics: {fpr: [0.1, 0.001]}", func(s *Spec) bool {
			return slices.Equal(s.Metrics.FPR, []float64{0.001, 0.1})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := minimal
			switch {
			case strings.HasPrefix(tc.yaml, "  -"):
				doc += tc.yaml + "\n"
			case strings.HasPrefix(tc.yaml, "dataset:"):
				doc = strings.Replace(doc, "dataset:\n  name: purchase-synthetic\n  universe: 1000\n  population: 200\n", tc.yaml+"\n", 1)
			default:
				doc += tc.yaml + "\n"
			}
			s, err := Parse([]byte(doc), "")
			if err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
			if !tc.check(s) {
				got, _ := json.Marshal(s)
				t.Fatalf("unexpected spec: %s", got)
			}
		})
	}
}

func TestDefaultsAreFresh(t *testing.T) {
	a, b := Default(), Default()
	a.Metrics.FPR[0] = 0.5
	a.Eval.Augmentations[0].Mirror = true
	if b.Metrics.FPR[0] != 1e-5 || b.Eval.Augmentations[0].Mirror {
		t.Fatal("Default shares slices between calls")
	}
	m1, m2 := DefaultModel(ArchMLP), DefaultModel(ArchMLP)
	m1.MLP.Hidden[0] = 1
	if m2.MLP.Hidden[0] != 256 {
		t.Fatal("DefaultModel shares slices between calls")
	}
}

func TestValidateInCode(t *testing.T) {
	s := Default()
	s.Dataset = DefaultDataset(DatasetTabularSynthetic)
	s.Dataset.Universe = 500
	s.Model = DefaultModel(ArchMLP)
	s.Attacks = []Attack{DefaultAttack(AttackLoss), DefaultAttack(AttackLiRAOffline)}
	if err := s.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	if s.Dataset.Synthetic.Size != 0 || s.Attacks[0].Label != "" {
		t.Fatal("Validate modified the spec")
	}
	s.Train.Optimizer.Momentum = 0.9 // adam has no momentum
	s.Model.CNN = &CNN{}             // not the chosen arch
	s.Attacks[0].RMIA = &RMIA{}
	err := s.Validate()
	var paths []string
	for _, fe := range FieldErrors(err) {
		paths = append(paths, fe.Path+": "+fe.Msg)
	}
	want := []string{
		`model.cnn: not a field of arch "mlp"`,
		`train.optimizer.momentum: not a field of optimizer "adam"`,
		`attacks[0].rmia: not a field of attack "loss"`,
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("got %q\nwant %q", paths, want)
	}
}

// TestYAMLRoundTrip checks that a resolved spec marshals (yaml.Marshal, via
// the MarshalYAML methods) to a file Parse accepts with the same hash.
func TestYAMLRoundTrip(t *testing.T) {
	for _, f := range exampleFiles(t) {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := yaml.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Parse(out, f+" (marshalled)")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Errorf("%s: round trip changed the spec:\n%s", f, out)
		}
	}
}

// TestJSONRoundTrip checks the encoding/json form (used for Temporal
// payloads) round-trips.
func TestJSONRoundTrip(t *testing.T) {
	for _, f := range exampleFiles(t) {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var s2 Spec
		if err := json.Unmarshal(b, &s2); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s, &s2) || s.Hash() != s2.Hash() {
			t.Errorf("%s: JSON round trip changed the spec", f)
		}
	}
}

func TestQueryAugmentation(t *testing.T) {
	cases := []struct {
		in, canon string
		want      QueryAugmentation
		err       string
	}{
		{"identity", "identity", QueryAugmentation{}, ""},
		{"mirror", "mirror", QueryAugmentation{Mirror: true}, ""},
		{"shift:2,-1", "shift:2,-1", QueryAugmentation{DX: 2, DY: -1}, ""},
		{" shift: 1 , 0 + mirror ", "mirror+shift:1,0", QueryAugmentation{Mirror: true, DX: 1}, ""},
		{"shift:0,0", "identity", QueryAugmentation{}, ""},
		{"", "", QueryAugmentation{}, "empty query augmentation"},
		{"flip", "", QueryAugmentation{}, `"flip" is not a query augmentation; want identity`},
		{"mirror+mirror", "", QueryAugmentation{}, `"mirror+mirror" is not a query augmentation`},
		{"shift:a,1", "", QueryAugmentation{}, `shift offset "a" is not an integer`},
		{"shift:33,0", "", QueryAugmentation{}, "shift offset 33 is outside [-32, 32]"},
		{"identity+mirror", "", QueryAugmentation{}, `"identity+mirror" is not a query augmentation`},
	}
	for _, tc := range cases {
		got, err := ParseQueryAugmentation(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.canon {
			t.Errorf("%q: got %+v (%s), %v; want %+v (%s)", tc.in, got, got, err, tc.want, tc.canon)
		}
	}
}

func TestAliases(t *testing.T) {
	doc := strings.Replace(minimal, "population: 200", "population: &p 200", 1) +
		"  - {name: rmia, population_samples: *p}\n" +
		"shadows: &sh {count: 6}\n"
	s, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Attacks[1].RMIA.PopulationSamples != 200 || s.Shadows.Count != 6 {
		t.Fatalf("aliases not followed: %+v %+v", s.Attacks[1].RMIA, s.Shadows)
	}
	_, err = Parse([]byte(minimal+"eval: {targets: *sh}\nshadows: &sh {count: 6}\n"), "")
	if err == nil || !strings.Contains(err.Error(), "unknown anchor") {
		t.Fatalf("want an unknown-anchor error, got %v", err)
	}
	_, err = Parse([]byte(minimal+"shadows: &sh {count: 6}\neval: {targets: *sh}\n"), "")
	if fes := FieldErrors(err); len(fes) != 1 || fes[0].Path != "eval.targets" || fes[0].Msg != `must be an integer (got a mapping)` || fes[0].Line != 10 {
		t.Fatalf("got %v", err)
	}
}
