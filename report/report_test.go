package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/spec"
)

// testSpec is a small valid spec: 4 models, 2 targets, two attacks.
func testSpec(t testing.TB, name string, labels ...string) *spec.Spec {
	t.Helper()
	s := spec.Default()
	s.Name = name
	s.Description = "tiny hand-made experiment"
	s.Dataset = spec.DefaultDataset(spec.DatasetTabularSynthetic)
	s.Dataset.Universe = 4
	s.Dataset.Population = 0
	s.Model = spec.DefaultModel(spec.ArchMLP)
	s.Shadows.Count = 4
	s.Eval.Targets = 2
	s.Attacks = []spec.Attack{spec.DefaultAttack(spec.AttackLiRAOnline), spec.DefaultAttack(spec.AttackLoss)}
	for i, l := range labels {
		s.Attacks[i].Label = l
	}
	s.Resolve()
	if err := s.Validate(); err != nil {
		t.Fatalf("test spec invalid: %v", err)
	}
	return s
}

// tinyResults evaluates hand-made scores with attacks.Evaluate.
//
// "lira-online", target 0: keep [T T F F], scores [4 1 3 0]: members {4,1},
// non-members {3,0}: AUC 3/4; ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1); TPR at
// every FPR < .5 is .5; balanced accuracy .75; advantage .5.
// Target 1: keep [F T T F], scores [0 2 3 1]: perfectly separated: all 1.
//
// "loss", target 0 only: scores [1 2 0 3]: members {1,2}, non-members
// {0,3}: AUC .5; ROC (0,0) (.5,0) (.5,.5) (.5,1) (1,1): TPR .0 below FPR
// .5; balanced accuracy .75; advantage .5.
func tinyResults(t testing.TB, liraLabel, lossLabel string) []AttackResult {
	t.Helper()
	k, err := attacks.NewKeep(4, 4)
	if err != nil {
		t.Fatal(err)
	}
	copy(k.In, []bool{
		true, true, false, false,
		false, true, true, false,
		true, false, true, false,
		false, false, false, true,
	})
	eval := func(label string, ts []attacks.TargetScores) AttackResult {
		agg, rocs, err := attacks.Evaluate(label, ts, k, attacks.MetricOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return AttackResult{Label: label, PerTarget: agg.PerTarget, ROCs: rocs}
	}
	return []AttackResult{
		eval(liraLabel, []attacks.TargetScores{
			{Target: 0, Scores: []float64{4, 1, 3, 0}},
			{Target: 1, Scores: []float64{0, 2, 3, 1}},
		}),
		eval(lossLabel, []attacks.TargetScores{{Target: 0, Scores: []float64{1, 2, 0, 3}}}),
	}
}

func tinyInput(t testing.TB) Input {
	return Input{
		Spec:               testSpec(t, "tiny"),
		DatasetFingerprint: "sha256:abc",
		Trained:            3,
		Reused:             1,
		Timing:             Timing{WallSeconds: 100, TrainSeconds: 120, TrainWorkers: 4, AttackSeconds: 10},
		Attacks:            tinyResults(t, "lira-online", "loss"),
		UmbraVersion:       "v0.1.0",
	}
}

func keysOf(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sorted(ks ...string) []string { slices.Sort(ks); return ks }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// decoded builds the tiny report and decodes its JSON generically.
func decoded(t *testing.T, in Input) map[string]any {
	t.Helper()
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("report.json does not decode: %v\n%s", err, buf.String())
	}
	return m
}

func TestJSONSchema(t *testing.T) {
	in := tinyInput(t)
	m := decoded(t, in)

	if got, want := keysOf(m), sorted("version", "umbra_version", "experiment", "description", "spec_hash",
		"targets", "models", "dataset", "model", "training", "query_augmentations", "attacks", "timing"); !slices.Equal(got, want) {
		t.Fatalf("top-level keys %q, want %q", got, want)
	}
	if m["version"] != 1.0 || m["umbra_version"] != "v0.1.0" || m["experiment"] != "tiny" ||
		m["spec_hash"] != in.Spec.Hash() || len(in.Spec.Hash()) != 64 {
		t.Errorf("header: version %v umbra %v experiment %v hash %v", m["version"], m["umbra_version"], m["experiment"], m["spec_hash"])
	}
	if got := m["targets"]; !reflect.DeepEqual(got, []any{0.0, 1.0}) {
		t.Errorf("targets = %v, want [0 1]", got)
	}
	if got := m["models"]; !reflect.DeepEqual(got, map[string]any{"count": 4.0, "trained": 3.0, "reused": 1.0}) {
		t.Errorf("models = %v", got)
	}
	if got := m["dataset"]; !reflect.DeepEqual(got, map[string]any{"name": "tabular-synthetic",
		"fingerprint": "sha256:abc", "universe": 4.0, "population": 0.0}) {
		t.Errorf("dataset = %v", got)
	}
	if got := m["model"].(map[string]any); got["arch"] != "mlp" || got["mlp"] == nil {
		t.Errorf("model = %v", got)
	}
	if got := m["training"].(map[string]any); got["epochs"] != 10.0 || got["batch_size"] != 128.0 ||
		got["optimizer"].(map[string]any)["name"] != "adam" {
		t.Errorf("training = %v", got)
	}
	if got := m["query_augmentations"]; !reflect.DeepEqual(got, []any{"identity"}) {
		t.Errorf("query_augmentations = %v", got)
	}
	// overhead = (100 − 120/4 − 10)/100 = 0.6
	if got := m["timing"]; !reflect.DeepEqual(got, map[string]any{"wall_seconds": 100.0, "train_seconds": 120.0,
		"train_workers": 4.0, "attack_seconds": 10.0, "orchestration_overhead": 0.6}) {
		t.Errorf("timing = %v", got)
	}

	atts := m["attacks"].([]any)
	if len(atts) != 2 {
		t.Fatalf("%d attacks, want 2", len(atts))
	}
	fprKeys := sorted("0.00001", "0.001", "0.01", "0.1")
	attackKeys := sorted("name", "method", "auc", "tpr_at_fpr", "balanced_accuracy", "advantage", "excluded", "per_target")
	targetKeys := sorted("target", "auc", "tpr_at_fpr", "balanced_accuracy", "advantage", "members", "non_members", "excluded", "roc")
	sd := math.Sqrt(2 * 0.125 * 0.125) // sample std of {0.75, 1}
	sd2 := math.Sqrt(2 * 0.25 * 0.25)  // sample std of {0.5, 1}
	type ms struct {
		mean float64
		std  any // float64 or nil
	}
	for i, want := range []struct {
		name                string
		auc, tpr, bacc, adv ms
		targets             []float64
		aucs                []float64
		firstFPR, firstTPR  []float64
	}{
		{"lira-online", ms{0.875, sd}, ms{0.75, sd2}, ms{0.875, sd}, ms{0.75, sd2}, []float64{0, 1}, []float64{0.75, 1},
			[]float64{0, 0, 0.5, 0.5, 1}, []float64{0, 0.5, 0.5, 1, 1}},
		{"loss", ms{0.5, nil}, ms{0, nil}, ms{0.75, nil}, ms{0.5, nil}, []float64{0}, []float64{0.5},
			[]float64{0, 0.5, 0.5, 1}, []float64{0, 0, 1, 1}},
	} {
		a := atts[i].(map[string]any)
		if got := keysOf(a); !slices.Equal(got, attackKeys) {
			t.Fatalf("attack %d keys %q, want %q", i, got, attackKeys)
		}
		if a["name"] != want.name || a["method"] != want.name || a["excluded"] != 0.0 {
			t.Errorf("attack %d: name %v method %v excluded %v", i, a["name"], a["method"], a["excluded"])
		}
		check := func(field string, got any, w ms) {
			t.Helper()
			g := got.(map[string]any)
			if keys := keysOf(g); !slices.Equal(keys, []string{"mean", "std"}) {
				t.Errorf("%s.%s keys %q", want.name, field, keys)
			}
			if !near(g["mean"].(float64), w.mean) {
				t.Errorf("%s.%s.mean = %v, want %v", want.name, field, g["mean"], w.mean)
			}
			switch ws := w.std.(type) {
			case nil:
				if g["std"] != nil {
					t.Errorf("%s.%s.std = %v, want null (one target)", want.name, field, g["std"])
				}
			case float64:
				if gs, ok := g["std"].(float64); !ok || !near(gs, ws) {
					t.Errorf("%s.%s.std = %v, want %v", want.name, field, g["std"], ws)
				}
			}
		}
		check("auc", a["auc"], want.auc)
		check("balanced_accuracy", a["balanced_accuracy"], want.bacc)
		check("advantage", a["advantage"], want.adv)
		tpr := a["tpr_at_fpr"].(map[string]any)
		if got := keysOf(tpr); !slices.Equal(got, fprKeys) {
			t.Errorf("%s tpr_at_fpr keys %q, want %q", want.name, got, fprKeys)
		}
		for k, v := range tpr {
			check("tpr_at_fpr."+k, v, want.tpr)
		}
		per := a["per_target"].([]any)
		if len(per) != len(want.targets) {
			t.Fatalf("%s: %d per_target entries, want %d", want.name, len(per), len(want.targets))
		}
		for j, p := range per {
			pt := p.(map[string]any)
			if got := keysOf(pt); !slices.Equal(got, targetKeys) {
				t.Errorf("%s per_target[%d] keys %q, want %q", want.name, j, got, targetKeys)
			}
			if pt["target"] != want.targets[j] || !near(pt["auc"].(float64), want.aucs[j]) ||
				pt["members"] != 2.0 || pt["non_members"] != 2.0 || pt["excluded"] != 0.0 {
				t.Errorf("%s per_target[%d] = %v", want.name, j, pt)
			}
			if got := keysOf(pt["tpr_at_fpr"].(map[string]any)); !slices.Equal(got, fprKeys) {
				t.Errorf("%s per_target[%d] tpr_at_fpr keys %q", want.name, j, got)
			}
		}
		roc := per[0].(map[string]any)["roc"].(map[string]any)
		if !reflect.DeepEqual(roc["fpr"], floatsAny(want.firstFPR)) || !reflect.DeepEqual(roc["tpr"], floatsAny(want.firstTPR)) {
			t.Errorf("%s per_target[0].roc = %v, want fpr %v tpr %v", want.name, roc, want.firstFPR, want.firstTPR)
		}
	}
}

func floatsAny(xs []float64) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func TestJSONOptionalSections(t *testing.T) {
	in := tinyInput(t)
	in.Timing = Timing{} // wall time unknown
	in.Attacks[0].ROCs = nil
	in.Attacks[1].Scores = &ScoreSample{Target: 0, Scores: []float64{1, 2, 0, 3}, Member: []bool{true, true, false, false}}
	m := decoded(t, in)
	timing := m["timing"].(map[string]any)
	if v, ok := timing["orchestration_overhead"]; !ok || v != nil {
		t.Errorf("orchestration_overhead = %v (present %v), want null", v, ok)
	}
	if timing["train_workers"] != 1.0 {
		t.Errorf("train_workers = %v, want 1 (0 means 1)", timing["train_workers"])
	}
	atts := m["attacks"].([]any)
	lira, loss := atts[0].(map[string]any), atts[1].(map[string]any)
	if _, ok := lira["per_target"].([]any)[0].(map[string]any)["roc"]; ok {
		t.Error("per_target.roc present without ROC input")
	}
	if _, ok := lira["score_histogram"]; ok {
		t.Error("score_histogram present without scores")
	}
	h, ok := loss["score_histogram"].(map[string]any)
	if !ok {
		t.Fatal("score_histogram missing")
	}
	if got := keysOf(h); !slices.Equal(got, sorted("target", "edges", "members", "non_members")) {
		t.Errorf("score_histogram keys %q", got)
	}
	var members, non float64
	for i := range h["members"].([]any) {
		members += h["members"].([]any)[i].(float64)
		non += h["non_members"].([]any)[i].(float64)
	}
	if members != 2 || non != 2 || len(h["edges"].([]any)) != histogramBins+1 {
		t.Errorf("histogram: %v members, %v non-members, %d edges", members, non, len(h["edges"].([]any)))
	}
}

func TestBuildOrdersAttacksLikeSpec(t *testing.T) {
	in := tinyInput(t)
	slices.Reverse(in.Attacks)
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Attacks[0].Name != "lira-online" || r.Attacks[1].Name != "loss" {
		t.Errorf("attack order %q, %q; want spec order lira-online, loss", r.Attacks[0].Name, r.Attacks[1].Name)
	}
	// A spec attack without a result is simply absent.
	in.Attacks = in.Attacks[:1]
	r, err = Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Attacks) != 1 || r.Attacks[0].Name != "loss" {
		t.Errorf("attacks = %+v", r.Attacks)
	}
}

func TestBuildErrors(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		mutate func(*Input)
		want   string
	}{
		{"nil spec", func(in *Input) { in.Spec = nil }, "spec is nil"},
		{"unknown label", func(in *Input) { in.Attacks[1].Label = "rmia" }, `label "rmia" is not an attack of the spec`},
		{"duplicate label", func(in *Input) { in.Attacks[1].Label = "lira-online" }, "both have label"},
		{"NaN auc", func(in *Input) { in.Attacks[0].PerTarget[1].AUC = nan },
			`attacks[0] ("lira-online"): report: invalid input: per_target[1] (target 1).auc = NaN`},
		{"Inf tpr", func(in *Input) { in.Attacks[1].PerTarget[0].TPRAtFPR["0.01"] = math.Inf(1) },
			`per_target[0] (target 0).tpr_at_fpr."0.01" = +Inf`},
		{"fpr keys", func(in *Input) { delete(in.Attacks[0].PerTarget[0].TPRAtFPR, "0.1") }, "tpr_at_fpr has keys"},
		{"roc count", func(in *Input) { in.Attacks[0].ROCs = in.Attacks[0].ROCs[:1] }, "1 ROC curves for 2 targets"},
		{"roc classes", func(in *Input) { in.Attacks[0].ROCs[0].Negatives = 3 }, "ROC has 2 positives and 3 negatives"},
		{"target range", func(in *Input) { in.Attacks[1].PerTarget[0].Target = 4 }, "not a model index in [0,4)"},
		{"target twice", func(in *Input) { in.Attacks[0].PerTarget[1].Target = 0 }, "target listed twice"},
		{"no targets", func(in *Input) { in.Attacks[0].PerTarget = nil; in.Attacks[0].ROCs = nil }, "per_target is empty"},
		{"NaN wall", func(in *Input) { in.Timing.WallSeconds = nan }, "timing.wall_seconds = NaN"},
		{"negative train", func(in *Input) { in.Timing.TrainSeconds = -1 }, "timing.train_seconds = -1"},
		{"models", func(in *Input) { in.Trained = 4 }, "trained=4 reused=1"},
		{"Inf score", func(in *Input) {
			in.Attacks[1].Scores = &ScoreSample{Target: 0, Scores: []float64{1, math.Inf(-1)}, Member: []bool{true, false}}
		}, "score of example 1 is -Inf"},
		{"score shape", func(in *Input) {
			in.Attacks[1].Scores = &ScoreSample{Target: 0, Scores: []float64{1}, Member: []bool{true, false}}
		}, "1 scores but 2 membership labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tinyInput(t)
			tc.mutate(&in)
			_, err := Build(in)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrInput containing %q", err, tc.want)
			}
		})
	}
}

func TestBuildDoesNotAliasInput(t *testing.T) {
	in := tinyInput(t)
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Attacks[0].PerTarget[0].TPRAtFPR["0.1"] = 0.123
	if got := r.Attacks[0].PerTarget[0].TPRAtFPR["0.1"]; got != 0.5 {
		t.Errorf("report changed with the input: %v", got)
	}
}

func TestWriteJSONRejectsNaN(t *testing.T) {
	r, err := Build(tinyInput(t))
	if err != nil {
		t.Fatal(err)
	}
	r.Attacks[1].Advantage.Mean = math.NaN()
	var buf bytes.Buffer
	err = r.WriteJSON(&buf)
	if err == nil || !strings.Contains(err.Error(), `attacks[1] ("loss").advantage.mean = NaN`) {
		t.Errorf("error %v, want one naming attacks[1].advantage.mean", err)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written despite the error", buf.Len())
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := tinyInput(t)
	in.Attacks[1].Scores = &ScoreSample{Target: 0, Scores: []float64{1, 2, 0, 3}, Member: []bool{true, true, false, false}}
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, r)
	}
	var again bytes.Buffer
	if err := got.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Error("re-encoded JSON differs from the original bytes")
	}
}

func TestReadJSONErrors(t *testing.T) {
	r, err := Build(tinyInput(t))
	if err != nil {
		t.Fatal(err)
	}
	good, err := r.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"syntax", `{"version": 1,}`, "byte offset 15"},
		{"type", `{"version": "one"}`, "field version"},
		{"version", `{"version": 2}`, "version = 2, want 1"},
		{"auc range", strings.Replace(string(good), `"auc": 0.5,`, `"auc": 1.5,`, 1), `attacks[1] ("loss"): report: invalid input: per_target[0] (target 0).auc = 1.5`},
		{"trailing", string(good) + "{}", "data after the report object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestWriteDir(t *testing.T) {
	r, err := Build(tinyInput(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	for range 2 { // the second write replaces the first
		if err := WriteDir(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{HTMLFile, JSONFile}) {
		t.Errorf("dir holds %q, want only the two report files", names)
	}
	got, err := ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Error("report.json read back differs")
	}
	html, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(html, []byte("<!DOCTYPE html>")) || !bytes.Contains(html, []byte("<svg")) {
		t.Error("report.html is not the rendered page")
	}

	// A report that cannot be rendered writes nothing.
	bad := filepath.Join(t.TempDir(), "bad")
	r.Attacks[0].AUC.Mean = math.Inf(1)
	if err := WriteDir(bad, r); err == nil {
		t.Error("WriteDir of an invalid report succeeded")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("WriteDir of an invalid report created %s (%v)", bad, err)
	}
}
