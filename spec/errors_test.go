package spec

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// minimal is a valid spec every error case starts from.
const minimal = `dataset:
  name: purchase-synthetic
  universe: 1000
  population: 200
model:
  arch: mlp
attacks:
  - name: loss
`

// lineOf returns the 1-based line of the first line of doc containing
// marker, so expectations stay right when a case's text changes.
func lineOf(t *testing.T, doc, marker string) int {
	t.Helper()
	if marker == "" {
		return 0
	}
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("marker %q not in document", marker)
	return 0
}

func TestParseErrors(t *testing.T) {
	type want struct {
		path, msg, line string // line: a marker on the expected line ("" = no line)
	}
	cases := []struct {
		name string
		doc  string
		want []want
	}{
		{"unknown top-level field", minimal + "bogus: 1\n",
			[]want{{"bogus", "unknown field; allowed: version, name, description, dataset, model, train, shadows, eval, attacks, metrics", "bogus"}}},
		{"misspelled field suggests", minimal + "shadow:\n  count: 3\n",
			[]want{{"shadow", `unknown field (did you mean "shadows"?); allowed: version,`, "shadow:"}}},
		{"misspelled nested field", minimal + "train:\n  epoch: 3\n",
			[]want{{"train.epoch", `unknown field (did you mean "epochs"?); allowed: epochs, batch_size, optimizer, schedule, augmentation, label_smoothing, defense, seed, checkpoint_every`, "epoch:"}}},
		{"optimizer name", minimal + "train:\n  optimizer:\n    name: adamm\n",
			[]want{{"train.optimizer.name", `"adamm" is not one of sgd, adam, adamw`, "adamm"}}},
		{"bad optimizer name still checks lr", minimal + "train:\n  optimizer: {name: adamm, lr: -1}\n",
			[]want{{"train.optimizer.name", `"adamm" is not one of sgd, adam, adamw`, "adamm"},
				{"train.optimizer.lr", "must be > 0 (got -1)", "adamm"}}},
		{"negative lr", minimal + "train:\n  optimizer:\n    lr: -1\n",
			[]want{{"train.optimizer.lr", "must be > 0 (got -1)", "lr:"}}},
		{"momentum is sgd only", minimal + "train:\n  optimizer:\n    name: adam\n    momentum: 0.9\n",
			[]want{{"train.optimizer.momentum", `not a field of optimizer "adam" (only of sgd); allowed: name, lr, weight_decay, beta1, beta2, eps`, "momentum"}}},
		{"betas are adam only", minimal + "train:\n  optimizer: {name: sgd, beta1: 0.5}\n",
			[]want{{"train.optimizer.beta1", `not a field of optimizer "sgd" (only of adam, adamw); allowed: name, lr, momentum, nesterov, weight_decay`, "beta1"}}},
		{"nesterov needs momentum", minimal + "train:\n  optimizer: {name: sgd, momentum: 0, nesterov: true}\n",
			[]want{{"train.optimizer.nesterov", "needs train.optimizer.momentum > 0", "nesterov"}}},
		{"beta2 range", minimal + "train:\n  optimizer: {beta2: 1}\n",
			[]want{{"train.optimizer.beta2", "must be in [0, 1) (got 1)", "beta2"}}},
		{"defense field without dp-sgd", minimal + "train:\n  defense:\n    clip_norm: 2\n",
			[]want{{"train.defense.clip_norm", `not a field of defense "none" (only of dp-sgd); allowed: name`, "clip_norm"}}},
		{"dp-sgd clip norm", minimal + "train:\n  defense: {name: dp-sgd, clip_norm: 0}\n",
			[]want{{"train.defense.clip_norm", "must be > 0 (got 0)", "dp-sgd"}}},
		{"dp-sgd with batch norm", strings.Replace(minimal, "purchase-synthetic\n  universe: 1000\n  population: 200", "mnist\n  path: x\n  universe: 1000\n  population: 200", 1) +
			"train:\n  defense: {name: dp-sgd}\n",
			nil}, // valid: mlp has no batch norm
		{"schedule step needs step_size", minimal + "train:\n  schedule: {name: step}\n",
			[]want{{"train.schedule.step_size", "must be > 0 epochs for schedule step (got 0)", "step"}}},
		{"step_size is step only", minimal + "train:\n  schedule: {name: cosine, step_size: 3}\n",
			[]want{{"train.schedule.step_size", `not a field of schedule "cosine" (only of step); allowed: name, warmup_epochs`, "cosine"}}},
		{"warmup longer than training", minimal + "train:\n  epochs: 5\n  schedule:\n    warmup_epochs: 5\n",
			[]want{{"train.schedule.warmup_epochs", "must be < train.epochs = 5 (got 5)", "warmup"}}},
		{"epochs not an integer", minimal + "train:\n  epochs: ten\n",
			[]want{{"train.epochs", `must be an integer (got "ten")`, "ten"}}},
		{"epochs fractional", minimal + "train:\n  epochs: 2.5\n",
			[]want{{"train.epochs", `must be an integer (got "2.5")`, "2.5"}}},
		{"quoted number is a string", minimal + "train:\n  epochs: \"10\"\n",
			[]want{{"train.epochs", `must be an integer (got "10")`, "epochs"}}},
		{"epochs zero", minimal + "train:\n  epochs: 0\n",
			[]want{{"train.epochs", "must be > 0 (got 0)", "epochs"}}},
		{"nan lr", minimal + "train:\n  optimizer: {lr: .nan}\n",
			[]want{{"train.optimizer.lr", "must be a finite number (got .nan)", "nan"}}},
		{"lr a string", minimal + "train:\n  optimizer: {lr: fast}\n",
			[]want{{"train.optimizer.lr", `must be a number (got "fast")`, "fast"}}},
		{"bool field", strings.Replace(minimal, "purchase-synthetic\n", "mnist\n  path: d\n", 1) + "train:\n  augmentation:\n    hflip: yes\n",
			[]want{{"train.augmentation.hflip", `must be true or false (got "yes")`, "hflip"}}},
		{"label smoothing", minimal + "train:\n  label_smoothing: 1\n",
			[]want{{"train.label_smoothing", "must be in [0, 1) (got 1)", "label_smoothing"}}},
		{"augmentation on tabular", minimal + "train:\n  augmentation: {crop_padding: 4, hflip: true}\n",
			[]want{{"train.augmentation.crop_padding", "applies to image datasets only (dataset.name is purchase-synthetic)", "crop_padding"},
				{"train.augmentation.hflip", "applies to image datasets only (dataset.name is purchase-synthetic)", "crop_padding"}}},
		{"list expected", strings.Replace(minimal, "arch: mlp", "arch: mlp\n  hidden: 5", 1),
			[]want{{"model.hidden", `expected a list, got "5"`, "hidden"}}},
		{"mapping expected", minimal + "train: [1]\n",
			[]want{{"train", "expected a mapping, got a list", "train"}}},
		{"list item must be a mapping", strings.Replace(minimal, "  - name: loss", "  - loss", 1),
			[]want{{"attacks[0]", `expected a mapping, got "loss"`, "- loss"}}},
		{"duplicate field", minimal + "shadows:\n  count: 4\n  count: 5\n",
			[]want{{"shadows.count", "duplicate field (first at line 10)", "count: 5"}}},
		{"merge key", minimal + "base: &b {count: 4}\nshadows:\n  <<: *b\n",
			[]want{{"base", `unknown field (did you mean "name"?); allowed: version,`, "base"},
				{"shadows.<<", "merge keys (<<) are not supported; write the fields out", "<<"}}},
		{"field of another arch", strings.Replace(minimal, "arch: mlp", "arch: mlp\n  channels: [3]", 1),
			[]want{{"model.channels", `not a field of arch "mlp" (only of cnn); allowed: arch, hidden, activation`, "channels"}}},
		{"unknown arch", strings.Replace(minimal, "arch: mlp", "arch: transformer\n  hiden: [3]\n  hidden: [3]", 1),
			[]want{{"model.arch", `"transformer" is not one of mlp, simplecnn, cnn, resnet`, "transformer"},
				{"model.hiden", `unknown field (did you mean "hidden"?); allowed: arch, hidden, activation, width, channels, kernel, batch_norm, depth`, "hiden"}}},
		{"activation", strings.Replace(minimal, "arch: mlp", "arch: mlp\n  activation: gelu", 1),
			[]want{{"model.activation", `"gelu" is not one of relu, tanh, sigmoid, silu, leakyrelu`, "gelu"}}},
		{"hidden width", strings.Replace(minimal, "arch: mlp", "arch: mlp\n  hidden: [64, 0]", 1),
			[]want{{"model.hidden[1]", "must be > 0 (got 0)", "hidden"}}},
		{"cnn on tabular data", strings.Replace(minimal, "arch: mlp", "arch: cnn", 1),
			[]want{{"model.arch", "cnn needs an image dataset (dataset.name is purchase-synthetic); use mlp", "arch"}}},
		{"cnn kernel", strings.Replace(minimal, "purchase-synthetic\n", "cifar10\n  path: d\n", 1) + "",
			nil},
		{"cnn even kernel", strings.Replace(strings.Replace(minimal, "purchase-synthetic\n", "cifar10\n  path: d\n", 1), "arch: mlp", "arch: cnn\n  kernel: 4", 1),
			[]want{{"model.kernel", "must be odd, between 1 and 15 (got 4)", "kernel"}}},
		{"cnn batch norm under dp-sgd", strings.Replace(strings.Replace(minimal, "purchase-synthetic\n", "cifar10\n  path: d\n", 1), "arch: mlp", "arch: cnn\n  batch_norm: true", 1) +
			"train:\n  defense: {name: dp-sgd}\n",
			[]want{{"model.batch_norm", "batch normalisation mixes examples, which dp-sgd (train.defense) does not allow", "batch_norm"}}},
		{"resnet depth", strings.Replace(strings.Replace(minimal, "purchase-synthetic\n", "cifar10\n  path: d\n", 1), "arch: mlp", "arch: resnet\n  depth: 21", 1),
			[]want{{"model.depth", "must be 6n+2 with n ≥ 1, e.g. 20, 32, 44, 56, 110 (got 21)", "depth"}}},
		{"missing dataset name", strings.Replace(minimal, "  name: purchase-synthetic\n", "", 1),
			[]want{{"dataset.name", "required; one of mnist, fashion-mnist, cifar10, cifar100, adult, credit-g, csv, purchase-synthetic, tabular-synthetic", "dataset:"}}},
		{"missing model", strings.Replace(minimal, "model:\n  arch: mlp\n", "", 1),
			[]want{{"model.arch", "required; one of mlp, simplecnn, cnn, resnet", ""}}},
		{"missing attacks", strings.Replace(minimal, "attacks:\n  - name: loss\n", "", 1),
			[]want{{"attacks", "must list at least one attack; one of lira-online,", ""}}},
		{"universe required", strings.Replace(minimal, "  universe: 1000\n", "", 1),
			[]want{{"dataset.universe", "must be > 0 (got 0)", "dataset:"}}},
		{"negative population", strings.Replace(minimal, "population: 200", "population: -1", 1),
			[]want{{"dataset.population", "must be ≥ 0 (got -1)", "population"}}},
		{"path required for files", strings.Replace(minimal, "purchase-synthetic", "adult", 1),
			[]want{{"dataset.path", "required for dataset adult (a file or directory)", "dataset:"}}},
		{"path not for synthetic", strings.Replace(minimal, "universe: 1000", "universe: 1000\n  path: /x", 1),
			[]want{{"dataset.path", `not a field of dataset "purchase-synthetic" (only of mnist, fashion-mnist, cifar10, cifar100, adult, credit-g, csv); allowed: name, universe, population, split_seed, synthetic`, "path"}}},
		{"csv needs label column", strings.Replace(minimal, "purchase-synthetic", "csv\n  path: t.csv", 1),
			[]want{{"dataset.label_column", "required for dataset csv (the name of the label column)", "dataset:"}}},
		{"label column only for csv", strings.Replace(minimal, "purchase-synthetic", "adult\n  path: a\n  label_column: y", 1),
			[]want{{"dataset.label_column", `not a field of dataset "adult" (only of csv)`, "label_column"}}},
		{"universe larger than dataset", strings.Replace(minimal, "purchase-synthetic\n  universe: 1000", "credit-g\n  path: c.arff\n  universe: 900", 1),
			[]want{{"dataset.universe", "universe + population must be ≤ 1000, the size of credit-g (got 900 + 200 = 1100)", "universe"}}},
		{"synthetic size too small", strings.Replace(minimal, "population: 200", "population: 200\n  synthetic: {size: 1100, classes: 1}", 1),
			[]want{{"dataset.synthetic.size", "must be ≥ universe + population = 1200 (got 1100)", "synthetic:"},
				{"dataset.synthetic.classes", "must be ≥ 2 (got 1)", "synthetic:"}}},
		{"synthetic unknown field", strings.Replace(minimal, "population: 200", "population: 200\n  synthetic:\n    dims: 3", 1),
			[]want{{"dataset.synthetic.dims", `unknown field (did you mean "dim"?); allowed: size, dim, classes, flip_prob, sensitive_fraction, seed`, "dims"}}},
		{"keep range", minimal + "shadows:\n  keep: 1\n",
			[]want{{"shadows.keep", "must be in (0, 1) (got 1)", "keep"}}},
		{"count too small", minimal + "shadows:\n  count: 1\n",
			[]want{{"shadows.count", "must be ≥ 2: a target and at least one shadow (got 1)", "count"}}},
		{"targets exceed count", minimal + "shadows:\n  count: 4\neval:\n  targets: 5\n",
			[]want{{"eval.targets", "must be ≤ shadows.count = 4 (got 5)", "targets"}}},
		{"bad query augmentation", minimal + "eval:\n  augmentations: [identity, \"shift:1\"]\n",
			[]want{{"eval.augmentations[1]", `"shift:1" is not a query augmentation: shift needs two offsets; want identity, mirror, shift:DX,DY or mirror+shift:DX,DY`, "augmentations"}}},
		{"mirror on tabular", minimal + "eval:\n  augmentations:\n    - identity\n    - mirror\n",
			[]want{{"eval.augmentations[1]", "mirror applies to image datasets only (dataset.name is purchase-synthetic); use identity", "- mirror"}}},
		{"duplicate query augmentation", strings.Replace(minimal, "purchase-synthetic\n", "mnist\n  path: d\n", 1) + "eval:\n  augmentations: [identity, \"shift:0,0\"]\n",
			[]want{{"eval.augmentations[1]", "identity repeats eval.augmentations[0]", "augmentations"}}},
		{"unknown attack", minimal + "  - name: lirra\n",
			[]want{{"attacks[1].name", `"lirra" is not one of lira-online, lira-offline, lira-online-fixed-variance, lira-offline-fixed-variance, rmia, loss, confidence, adversarial, shadow-classifier`, "lirra"}}},
		{"attack field of another attack", minimal + "  - name: lira-offline\n    min_in: 3\n",
			[]want{{"attacks[1].min_in", `not a field of attack "lira-offline" (only of lira-online, lira-online-fixed-variance); allowed: name, label, min_out`, "min_in"}}},
		{"loss has no parameters", strings.Replace(minimal, "  - name: loss", "  - name: loss\n    eps: 3", 1),
			[]want{{"attacks[0].eps", `not a field of attack "loss" (only of adversarial); allowed: name, label`, "eps"}}},
		{"lira min_in per-example variance", minimal + "  - name: lira-online\n    min_in: 1\n",
			[]want{{"attacks[1].min_in", "must be ≥ 2 to estimate a per-example variance (got 1); the -fixed-variance variants accept 1", "min_in"}}},
		{"lira min_out above shadows", minimal + "shadows:\n  count: 4\n" + "  keep: 0.5\n" + "eval: {targets: 1}\n" + strings.Replace("attacks2", "attacks2", "", 1) +
			"", nil},
		{"lira min_out too large", strings.Replace(minimal, "  - name: loss", "  - name: lira-offline-fixed-variance\n    min_out: 4", 1) + "shadows: {count: 4}\n",
			[]want{{"attacks[0].min_out", "must be ≤ shadows.count - 1 = 3 shadow models per target (got 4)", "min_out"}}},
		{"rmia needs population", strings.Replace(minimal, "  population: 200\n", "", 1) + "  - name: rmia\n",
			[]want{{"dataset.population", "must be > 0 for attack rmia, which compares against population examples (got 0)", "dataset:"}}},
		{"rmia population samples", minimal + "  - name: rmia\n    population_samples: 300\n    a: 2\n",
			[]want{{"attacks[1].population_samples", "must be in [1, dataset.population = 200] (got 300)", "population_samples"},
				{"attacks[1].a", "must be in [0, 1] (got 2)", "a: 2"}}},
		{"adversarial", minimal + "  - name: adversarial\n    eps: 0\n    steps: 0\n",
			[]want{{"attacks[1].eps", "must be > 0 (got 0)", "eps"}, {"attacks[1].steps", "must be in [1, 100000] (got 0)", "steps"}}},
		{"duplicate labels", minimal + "  - {name: loss}\n",
			[]want{{"attacks[1].label", `"loss" is already the label of attacks[0]; give each attack a distinct label`, "{name: loss}"}}},
		{"distinct labels", minimal + "  - {name: loss, label: loss-2}\n", nil},
		{"fpr out of range", minimal + "metrics:\n  fpr: [0.1, 0, 0.1]\n",
			[]want{{"metrics.fpr", "0 is not in (0, 1)", "fpr"}, {"metrics.fpr", "0.1 is listed twice", "fpr"}}},
		{"version", minimal + "version: 2\n",
			[]want{{"version", "2 is not a supported version; want 1", "version"}}},
		{"field names must be strings", minimal + "? [a]\n: 1\n",
			[]want{{"", "field names must be strings, got a list", "[a]"}}},
		{"top level not a mapping", "- 1\n",
			[]want{{"", "expected a mapping, got a list", "- 1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "case.yaml")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors, got none")
			}
			fes := FieldErrors(err)
			for _, w := range tc.want {
				line := lineOf(t, tc.doc, w.line)
				found := false
				for _, fe := range fes {
					if fe.Path == w.path && strings.HasPrefix(fe.Msg, w.msg) && fe.Line == line && fe.File == "case.yaml" {
						found = true
					}
				}
				if !found {
					t.Errorf("want %s:%d: %s: %s\ngot:\n%v", "case.yaml", line, w.path, w.msg, err)
				}
			}
			if len(fes) != len(tc.want) {
				t.Errorf("want %d errors, got %d:\n%v", len(tc.want), len(fes), err)
			}
		})
	}
}

func TestParseDocumentErrors(t *testing.T) {
	cases := []struct {
		name, doc, file, want string
	}{
		{"empty", "", "e.yaml", "e.yaml: empty spec: no YAML document"},
		{"comments only", "# nothing\n", "", "empty spec: no YAML document"},
		{"two documents", minimal + "---\n" + minimal, "two.yaml", "two.yaml: line 9: a spec is one YAML document; found another"},
		{"syntax", "dataset: [\n", "s.yaml", "s.yaml: yaml: line 1: did not find expected node content"},
		{"tab indentation", "dataset:\n\tname: mnist\n", "t.yaml", "t.yaml: yaml: line 2: found character that cannot start any token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), tc.file)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestParseReportsAllErrorsInLineOrder(t *testing.T) {
	doc := `dataset:
  name: adult
  universe: 40000
model: {arch: mlp, hiden: [3]}
train:
  optimizer: {name: adamm, lr: -1}
shadows: {keep: 0}
attacks: [{name: foo}]
`
	_, err := Parse([]byte(doc), "all.yaml")
	want := `all.yaml:1: dataset.path: required for dataset adult (a file or directory)
all.yaml:4: model.hiden: unknown field (did you mean "hidden"?); allowed: arch, hidden, activation
all.yaml:6: train.optimizer.name: "adamm" is not one of sgd, adam, adamw
all.yaml:6: train.optimizer.lr: must be > 0 (got -1)
all.yaml:7: shadows.keep: must be in (0, 1) (got 0)
all.yaml:8: attacks[0].name: "foo" is not one of lira-online, lira-offline, lira-online-fixed-variance, lira-offline-fixed-variance, rmia, loss, confidence, adversarial, shadow-classifier`
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "dataset.path" || fe.Line != 1 {
		t.Fatalf("errors.As: got %+v", fe)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	cases := []struct {
		e    FieldError
		want string
	}{
		{FieldError{File: "a.yaml", Line: 3, Path: "x.y", Msg: "bad"}, "a.yaml:3: x.y: bad"},
		{FieldError{File: "a.yaml", Path: "x.y", Msg: "bad"}, "a.yaml: x.y: bad"},
		{FieldError{Line: 3, Path: "x.y", Msg: "bad"}, "line 3: x.y: bad"},
		{FieldError{Msg: "bad"}, "bad"},
	}
	for _, tc := range cases {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	big := make([]byte, maxSpecBytes+1)
	_, err := Parse(big, "big.yaml")
	if err == nil || !strings.Contains(err.Error(), "big.yaml: spec is 4194305 bytes; the limit is 4194304") {
		t.Fatalf("got %v", err)
	}
}

func TestAliasBombUnderUnknownFieldIsNotExpanded(t *testing.T) {
	// Each level doubles the expansion: 2^24 leaves if walked naively;
	// the decoder walks only the schema, so unknown fields cost nothing.
	var b strings.Builder
	b.WriteString("x0: &a0 [1, 1]\n")
	for i := 1; i <= 24; i++ {
		b.WriteString("x" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [*a" + strconv.Itoa(i-1) + ", *a" + strconv.Itoa(i-1) + "]\n")
	}
	b.WriteString(minimal)
	_, err := Parse([]byte(b.String()), "bomb.yaml")
	if err == nil {
		t.Fatal("want an error")
	}
	if !strings.Contains(err.Error(), "x0: unknown field") {
		t.Errorf("want unknown-field errors, got %v", err)
	}
}
