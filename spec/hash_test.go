package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// base is a spec written with some fields set; variants below rewrite it.
const base = `# base
name: base
dataset:
  name: purchase-synthetic
  universe: 1000
  population: 200
  split_seed: 3
model:
  arch: mlp
  hidden: [64]
train:
  epochs: 5
  optimizer: {name: sgd, lr: 0.05}
shadows:
  count: 8
eval:
  targets: 2
attacks:
  - name: lira-online
  - name: rmia
metrics:
  fpr: [0.001, 0.01]
`

func mustParse(t *testing.T, doc string) *Spec {
	t.Helper()
	s, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	return s
}

func TestHashInvariance(t *testing.T) {
	same := map[string]string{
		"field order and flow style": `metrics: {fpr: [0.001, 0.01]}
attacks: [{name: lira-online}, {name: rmia}]
eval: {targets: 2}
shadows: {count: 8}
train: {optimizer: {lr: 0.05, name: sgd}, epochs: 5}
model: {hidden: [64], arch: mlp}
dataset: {split_seed: 3, population: 200, universe: 1000, name: purchase-synthetic}
name: base
`,
		"comments and free text": strings.Replace(strings.Replace(base, "name: base", "name: other # renamed\ndescription: anything", 1),
			"# base", "# a different comment", 1),
		"explicit defaults": `version: 1
name: base
dataset:
  name: purchase-synthetic
  universe: 1000
  population: 200
  split_seed: 3
  synthetic: {size: 1200, dim: 600, classes: 100, flip_prob: 0, sensitive_fraction: 0.5, seed: 0}
model: {arch: mlp, hidden: [64], activation: relu}
train:
  epochs: 5
  batch_size: 128
  optimizer: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: false, weight_decay: 0}
  schedule: {name: constant, warmup_epochs: 0}
  augmentation: {crop_padding: 0, hflip: false}
  label_smoothing: 0.0
  defense: {name: none}
  seed: 0
  checkpoint_every: 1
shadows: {count: 8, keep: 0.5, mask_seed: 0}
eval: {targets: 2, augmentations: [identity]}
attacks:
  - {name: lira-online, label: lira-online, min_in: 2, min_out: 2}
  - {name: rmia, label: rmia, a: 0.3, gamma: 1, population_samples: 200}
metrics: {fpr: [0.001, 0.01]}
`,
		"checkpoint period":     strings.Replace(base, "epochs: 5", "epochs: 5\n  checkpoint_every: 2", 1),
		"fpr order":             strings.Replace(base, "[0.001, 0.01]", "[0.01, 1e-3]", 1),
		"number spelling":       strings.Replace(base, "universe: 1000", "universe: 1e3", 1),
		"shift:0,0 is identity": strings.Replace(base, "targets: 2", "targets: 2\n  augmentations: [\"shift:0,0\"]", 1),
		"aliases":               strings.Replace(strings.Replace(base, "count: 8", "count: &n 8", 1), "targets: 2", "targets: 2", 1),
	}
	want := mustParse(t, base)
	for name, doc := range same {
		t.Run(name, func(t *testing.T) {
			s := mustParse(t, doc)
			if s.Hash() != want.Hash() {
				t.Errorf("hash differs:\n%s\n%s", s.Canonical(), want.Canonical())
			}
			if s.ModelRecipeHash() != want.ModelRecipeHash() {
				t.Errorf("model recipe hash differs")
			}
		})
	}
}

func TestHashChanges(t *testing.T) {
	type change struct {
		old, new   string
		sameRecipe bool // the change must keep ModelRecipeHash
	}
	changes := map[string]change{
		"universe":           {"universe: 1000", "universe: 1001", false},
		"population":         {"population: 200", "population: 201", false},
		"split seed":         {"split_seed: 3", "split_seed: 4", false},
		"synthetic dim":      {"split_seed: 3", "split_seed: 3\n  synthetic: {dim: 601}", false},
		"synthetic size":     {"split_seed: 3", "split_seed: 3\n  synthetic: {size: 5000}", false},
		"dataset":            {"purchase-synthetic", "tabular-synthetic", false},
		"hidden":             {"hidden: [64]", "hidden: [65]", false},
		"activation":         {"hidden: [64]", "hidden: [64]\n  activation: tanh", false},
		"epochs":             {"epochs: 5", "epochs: 6", false},
		"batch size":         {"epochs: 5", "epochs: 5\n  batch_size: 64", false},
		"optimizer":          {"name: sgd, lr: 0.05", "name: adam, lr: 0.05", false},
		"lr":                 {"lr: 0.05", "lr: 0.06", false},
		"momentum":           {"lr: 0.05", "lr: 0.05, momentum: 0.8", false},
		"nesterov":           {"lr: 0.05", "lr: 0.05, nesterov: true", false},
		"weight decay":       {"lr: 0.05", "lr: 0.05, weight_decay: 0.001", false},
		"schedule":           {"epochs: 5", "epochs: 5\n  schedule: {name: cosine}", false},
		"warmup":             {"epochs: 5", "epochs: 5\n  schedule: {warmup_epochs: 1}", false},
		"label smoothing":    {"epochs: 5", "epochs: 5\n  label_smoothing: 0.1", false},
		"defense":            {"epochs: 5", "epochs: 5\n  defense: {name: dp-sgd}", false},
		"train seed":         {"epochs: 5", "epochs: 5\n  seed: 9", false},
		"count":              {"count: 8", "count: 9", false},
		"keep":               {"count: 8", "count: 8\n  keep: 0.4", false},
		"mask seed":          {"count: 8", "count: 8\n  mask_seed: 1", false},
		"targets":            {"targets: 2", "targets: 3", true},
		"attack param":       {"name: rmia", "name: rmia\n    gamma: 2", true},
		"attack added":       {"name: rmia", "name: rmia\n  - name: loss", true},
		"attack order":       {"  - name: lira-online\n  - name: rmia", "  - name: rmia\n  - name: lira-online", true},
		"attack label":       {"name: rmia", "name: rmia\n    label: rmia-a", true},
		"lira min":           {"name: lira-online", "name: lira-online\n    min_in: 3", true},
		"population samples": {"name: rmia", "name: rmia\n    population_samples: 100", true},
		"fpr":                {"[0.001, 0.01]", "[0.001, 0.1]", true},
	}
	b := mustParse(t, base)
	seen := map[string]string{b.Hash(): "base"}
	for name, c := range changes {
		if !strings.Contains(base, c.old) {
			t.Fatalf("%s: %q not in base", name, c.old)
		}
		s := mustParse(t, strings.Replace(base, c.old, c.new, 1))
		if prev, dup := seen[s.Hash()]; dup {
			t.Errorf("%s: hash equals that of %s", name, prev)
		}
		seen[s.Hash()] = name
		if got := s.ModelRecipeHash() == b.ModelRecipeHash(); got != c.sameRecipe {
			t.Errorf("%s: model recipe hash unchanged = %v, want %v", name, got, c.sameRecipe)
		}
	}
}

func TestImageFieldsHash(t *testing.T) {
	doc := `dataset: {name: cifar10, path: c, universe: 100}
model: {arch: resnet}
attacks: [{name: loss}]
`
	b := mustParse(t, doc)
	for _, c := range []struct {
		name, old, new string
		sameRecipe     bool
	}{
		{"query augmentations", "attacks:", "eval: {augmentations: [identity, mirror]}\nattacks:", true},
		{"query augmentation order", "attacks:", "eval: {augmentations: [mirror, identity]}\nattacks:", true},
		{"crop padding", "attacks:", "train: {augmentation: {crop_padding: 4}}\nattacks:", false},
		{"hflip", "attacks:", "train: {augmentation: {hflip: true}}\nattacks:", false},
		{"resnet depth", "arch: resnet", "arch: resnet, depth: 32", false},
		{"resnet width", "arch: resnet", "arch: resnet, width: 32", false},
		{"arch", "arch: resnet", "arch: simplecnn", false},
	} {
		s := mustParse(t, strings.Replace(doc, c.old, c.new, 1))
		if s.Hash() == b.Hash() {
			t.Errorf("%s: hash unchanged", c.name)
		}
		if got := s.ModelRecipeHash() == b.ModelRecipeHash(); got != c.sameRecipe {
			t.Errorf("%s: model recipe hash unchanged = %v, want %v", c.name, got, c.sameRecipe)
		}
	}
	m := mustParse(t, strings.Replace(doc, "attacks:", "eval: {augmentations: [mirror, identity]}\nattacks:", 1))
	n := mustParse(t, strings.Replace(doc, "attacks:", "eval: {augmentations: [identity, mirror]}\nattacks:", 1))
	if m.Hash() == n.Hash() {
		t.Error("query augmentation order must change Hash (it is the scores' last axis)")
	}
}

func TestDatasetPathHashes(t *testing.T) {
	doc := `dataset: {name: adult, path: a/adult.data, universe: 100, population: 10}
model: {arch: mlp}
attacks: [{name: loss}]
`
	a := mustParse(t, doc)
	b := mustParse(t, strings.Replace(doc, "a/adult.data", "b/adult.data", 1))
	if a.Hash() == b.Hash() {
		t.Error("dataset.path must change Hash")
	}
	if a.ModelRecipeHash() != b.ModelRecipeHash() {
		t.Error("dataset.path must not change ModelRecipeHash (the dataset fingerprint stands for content)")
	}
}

func TestCanonicalForm(t *testing.T) {
	doc := `dataset: {name: adult, path: d, universe: 100}
model: {arch: mlp, hidden: []}
train: {epochs: 1, batch_size: 10, optimizer: {name: sgd, lr: 0.5, momentum: 0}}
shadows: {count: 2}
attacks: [{name: loss}]
metrics: {fpr: [0.25]}
`
	s := mustParse(t, doc)
	want := `{"attacks":[{"label":"loss","name":"loss"}],` +
		`"dataset":{"name":"adult","path":"d","population":0,"split_seed":0,"universe":100},` +
		`"eval":{"augmentations":["identity"],"targets":1},` +
		`"metrics":{"fpr":[0.25]},` +
		`"model":{"activation":"relu","arch":"mlp","hidden":[]},` +
		`"shadows":{"count":2,"keep":0.5,"mask_seed":0},` +
		`"train":{"augmentation":{"crop_padding":0,"hflip":false},"batch_size":10,"defense":{"name":"none"},` +
		`"epochs":1,"label_smoothing":0,"optimizer":{"lr":0.5,"momentum":0,"name":"sgd","nesterov":false,"weight_decay":0},` +
		`"schedule":{"name":"constant","warmup_epochs":0},"seed":0},` +
		`"version":1}`
	if got := string(s.Canonical()); got != want {
		t.Fatalf("canonical:\n%s\nwant:\n%s", got, want)
	}
	sum := sha256.Sum256([]byte(want))
	if s.Hash() != hex.EncodeToString(sum[:]) {
		t.Fatalf("Hash is not the SHA-256 of Canonical")
	}
	wantRecipe := `{"dataset":{"name":"adult","population":0,"split_seed":0,"universe":100},` +
		`"model":{"activation":"relu","arch":"mlp","hidden":[]},` +
		`"shadows":{"count":2,"keep":0.5,"mask_seed":0},` +
		`"train":{"augmentation":{"crop_padding":0,"hflip":false},"batch_size":10,"defense":{"name":"none"},` +
		`"epochs":1,"label_smoothing":0,"optimizer":{"lr":0.5,"momentum":0,"name":"sgd","nesterov":false,"weight_decay":0},` +
		`"schedule":{"name":"constant","warmup_epochs":0},"seed":0}}`
	if got := string(s.ModelRecipeCanonical()); got != wantRecipe {
		t.Fatalf("model recipe canonical:\n%s\nwant:\n%s", got, wantRecipe)
	}
	sum = sha256.Sum256([]byte(wantRecipe))
	if s.ModelRecipeHash() != hex.EncodeToString(sum[:]) {
		t.Fatalf("ModelRecipeHash is not the SHA-256 of ModelRecipeCanonical")
	}
}

func TestCanonicalInCodeMatchesParsed(t *testing.T) {
	// A spec built in code hashes like the same spec parsed from YAML, and
	// Canonical does not modify it.
	s := Default()
	s.Dataset = DefaultDataset(DatasetPurchaseSynthetic)
	s.Dataset.Universe, s.Dataset.Population = 1000, 200
	s.Model = DefaultModel(ArchMLP)
	s.Attacks = []Attack{DefaultAttack(AttackLoss)}
	p := mustParse(t, minimal)
	if s.Hash() != p.Hash() {
		t.Fatalf("in code:\n%s\nparsed:\n%s", s.Canonical(), p.Canonical())
	}
	if s.Dataset.Synthetic.Size != 0 || s.Attacks[0].Label != "" {
		t.Fatal("Canonical modified the spec")
	}
	s.Metrics.FPR = []float64{-0.0, 0.5}
	q := s.clone()
	q.Metrics.FPR = []float64{0, 0.5}
	if s.Hash() != q.Hash() {
		t.Fatal("-0 and 0 hash differently")
	}
}
