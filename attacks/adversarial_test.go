package attacks

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-ml/umbra/datasets"
	"github.com/umbra-ml/umbra/trainer"
)

// overfitFixture trains a small MLP on the first half of a 4-class set of
// 80 noisy examples in [0, 1]^12 (labels only weakly tied to the features,
// so the model memorises its members). keep[i] says whether example i was
// trained on.
func overfitFixture(t testing.TB) (*trainer.Model, *datasets.Dataset, []bool) {
	t.Helper()
	const n, d, classes = 80, 12, 4
	r := rand.New(rand.NewPCG(11, 12))
	ds := &datasets.Dataset{Name: "overfit", Shape: []int{d}, Classes: classes, X: make([]float32, n*d), Y: make([]int, n)}
	for i := range n {
		c := r.IntN(classes)
		ds.Y[i] = c
		for j := range d {
			v := 0.5 + 0.2*r.NormFloat64()
			if j == c {
				v += 0.1 // a weak class signal
			}
			ds.X[i*d+j] = float32(min(max(v, 0), 1))
		}
	}
	keep := make([]bool, n)
	var members []int
	for i := range n / 2 {
		keep[i] = true
		members = append(members, i)
	}
	m, err := trainer.NewModel(trainer.ArchConfig{Name: trainer.ArchMLP, Hidden: []int{64}}, ds.Shape, classes, 3, 32)
	if err != nil {
		t.Fatal(err)
	}
	recipe := trainer.Recipe{Epochs: 150, BatchSize: 20, Optimizer: trainer.OptimizerConfig{Kind: trainer.Adam, LR: 1e-2}}
	if _, err := trainer.Train(context.Background(), m, ds, recipe, trainer.TrainOptions{Indices: members}); err != nil {
		t.Fatal(err)
	}
	return m, ds, keep
}

func allIdx(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func TestAdversarialCleanEqualsSoftmax(t *testing.T) {
	m, ds, _ := overfitFixture(t)
	idx := []int{5, 0, 79, 41, 41, 12}
	// BatchSize 4 splits the queries into two chunks.
	for _, cfg := range []AdversarialConfig{{}, {BatchSize: 4}, {Steps: 3, RandomStart: true, BatchSize: 1}} {
		got, err := AdversarialScores(context.Background(), m, ds, idx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		logits, err := trainer.Logits(context.Background(), m, ds, idx, nil)
		if err != nil {
			t.Fatal(err)
		}
		C := ds.Classes
		for k, i := range idx {
			z := logits[k*C : (k+1)*C]
			var sum float64
			for _, v := range z {
				sum += math.Exp(float64(v))
			}
			want := math.Exp(float64(z[ds.Y[i]])) / sum
			if math.Abs(got[k]-want) > 1e-12 {
				t.Errorf("cfg %+v: query %d (example %d): score %v, softmax %v", cfg, k, i, got[k], want)
			}
			exact, _ := TrueClassProb(z, ds.Y[i])
			if got[k] != exact {
				t.Errorf("cfg %+v: query %d: score %v differs from TrueClassProb of trainer.Logits %v", cfg, k, got[k], exact)
			}
		}
	}
}

func TestAdversarialMembersKeepConfidence(t *testing.T) {
	m, ds, keep := overfitFixture(t)
	cfg := AdversarialConfig{Epsilon: 0.05, Steps: 5, RandomStart: true, Seed: 7}
	ctx := context.Background()
	adv, err := AdversarialScores(ctx, m, ds, allIdx(ds.Len()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	clean, err := AdversarialScores(ctx, m, ds, allIdx(ds.Len()), AdversarialConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var memAdv, nonAdv, sumAdv, sumClean float64
	for i, p := range adv {
		if !(p >= 0 && p <= 1) {
			t.Fatalf("score of example %d is %v, not a probability", i, p)
		}
		if keep[i] {
			memAdv += p
		} else {
			nonAdv += p
		}
		sumAdv += p
		sumClean += clean[i]
	}
	memAdv /= float64(ds.Len() / 2)
	nonAdv /= float64(ds.Len() / 2)
	t.Logf("mean adversarial confidence: members %.3f, non-members %.3f; mean clean %.3f, adversarial %.3f",
		memAdv, nonAdv, sumClean/float64(ds.Len()), sumAdv/float64(ds.Len()))
	if !(memAdv > nonAdv+0.1) {
		t.Errorf("members' mean adversarial confidence %.3f is not above non-members' %.3f", memAdv, nonAdv)
	}
	if !(sumAdv < sumClean) {
		t.Errorf("PGD did not lower the mean confidence: adversarial %v, clean %v", sumAdv, sumClean)
	}

	// Deterministic for a seed; another seed moves the random start.
	again, err := AdversarialScores(ctx, m, ds, allIdx(ds.Len()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(adv, again) {
		t.Error("same config gave different scores")
	}
	cfg.Seed = 8
	other, err := AdversarialScores(ctx, m, ds, allIdx(ds.Len()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(adv, other) {
		t.Error("a different random-start seed gave identical scores")
	}

	// AdversarialTarget: the same scores on a subset, the rest excluded.
	cfg.Seed = 7
	idx := []int{0, 1, 2, 3, 4, 40, 41, 42, 43, 44}
	res, met, roc, err := AdversarialTarget(ctx, m, 3, ds, idx, keep, AdversarialConfig{Epsilon: 0.05, Steps: 5}, MetricOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Target != 3 || len(res.Scores) != ds.Len() || len(res.Excluded) != ds.Len()-len(idx) {
		t.Fatalf("target %d, %d scores, %d excluded; want 3, %d, %d", res.Target, len(res.Scores), len(res.Excluded), ds.Len(), ds.Len()-len(idx))
	}
	if !math.IsNaN(res.Scores[5]) || math.IsNaN(res.Scores[41]) {
		t.Errorf("example 5 (not queried) scored %v, example 41 (queried) %v", res.Scores[5], res.Scores[41])
	}
	if roc.Positives != 5 || roc.Negatives != 5 || !(met.AUC > 0.5) {
		t.Errorf("ROC has %d members, %d non-members, AUC %v; want 5, 5, > 0.5", roc.Positives, roc.Negatives, met.AUC)
	}
}

func TestAdversarialCancel(t *testing.T) {
	m, ds, _ := overfitFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, cfg := range []AdversarialConfig{{}, {Epsilon: 0.1, Steps: 2}} {
		_, err := AdversarialScores(ctx, m, ds, allIdx(ds.Len()), cfg)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cfg %+v: error %v, want context.Canceled", cfg, err)
		}
	}
}

func TestAdversarialErrors(t *testing.T) {
	m, ds, keep := overfitFixture(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		cfg     AdversarialConfig
		idx     []int
		wantErr error
		wantMsg string
	}{
		{"eps without steps", AdversarialConfig{Epsilon: 0.1}, []int{0}, ErrConfig, "needs steps"},
		{"negative eps", AdversarialConfig{Epsilon: -1, Steps: 1}, []int{0}, ErrConfig, "epsilon"},
		{"NaN step", AdversarialConfig{Epsilon: 0.1, Steps: 1, StepSize: float32(math.NaN())}, []int{0}, ErrConfig, "step_size"},
		{"empty range", AdversarialConfig{Epsilon: 0.1, Steps: 1, Min: 1, Max: 1}, []int{0}, ErrConfig, "range"},
		{"index out of range", AdversarialConfig{}, []int{0, 80}, ErrShape, "idx[1] = 80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AdversarialScores(ctx, m, ds, tc.idx, tc.cfg)
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
	bad := *ds
	bad.Shape = []int{3, 4}
	if _, err := AdversarialScores(ctx, m, &bad, []int{0}, AdversarialConfig{}); !errors.Is(err, ErrShape) {
		t.Errorf("wrong example shape: error %v, want ErrShape", err)
	}
	if _, _, _, err := AdversarialTarget(ctx, m, 0, ds, []int{1, 1}, keep, AdversarialConfig{}, MetricOptions{}); !errors.Is(err, ErrConfig) {
		t.Errorf("repeated idx: error %v, want ErrConfig", err)
	}
	if _, _, _, err := AdversarialTarget(ctx, m, 0, ds, nil, keep[:10], AdversarialConfig{}, MetricOptions{}); !errors.Is(err, ErrShape) {
		t.Errorf("short keep row: error %v, want ErrShape", err)
	}
}

// BenchmarkAdversarialScores times PGD-10 on 80 examples of the fixture.
func BenchmarkAdversarialScores(b *testing.B) {
	m, ds, _ := overfitFixture(b)
	idx := allIdx(ds.Len())
	cfg := AdversarialConfig{Epsilon: 0.05, Steps: 10, RandomStart: true}
	for b.Loop() {
		if _, err := AdversarialScores(context.Background(), m, ds, idx, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
