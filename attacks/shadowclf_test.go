package attacks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestShadowClassifierFeatures(t *testing.T) {
	ln := func(v float64) float32 { return float32(math.Log(v)) }
	// Example 0: posterior (.1,.2,.3,.4), label 3 (correct).
	// Example 1: posterior (.4,.1,.3,.2) shifted by +5, label 2 (wrong).
	// Example 2: tie between classes 0 and 1, label 1: argmax is the first
	// index, 0, so the bit is 0; posterior (e,e,1,1)/(2e+2).
	logits := []float32{
		ln(.1), ln(.2), ln(.3), ln(.4),
		5 + ln(.4), 5 + ln(.1), 5 + ln(.3), 5 + ln(.2),
		1, 1, 0, 0,
	}
	labels := []int{3, 2, 1}
	e := math.E
	pt, pb := e/(2*e+2), 1/(2*e+2)
	tests := []struct {
		name string
		topk int
		want [][]float64
	}{
		{"top1", 1, [][]float64{{.4, 1}, {.4, 0}, {pt, 0}}},
		{"top3", 3, [][]float64{{.4, .3, .2, 1}, {.4, .3, .2, 0}, {pt, pt, pb, 0}}},
		{"all", ShadowAllClasses, [][]float64{{.4, .3, .2, .1, 1}, {.4, .3, .2, .1, 0}, {pt, pt, pb, pb, 0}}},
		{"capped", 10, [][]float64{{.4, .3, .2, .1, 1}, {.4, .3, .2, .1, 0}, {pt, pt, pb, pb, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ShadowFeatures(logits, labels, 4, tc.topk)
			if err != nil {
				t.Fatal(err)
			}
			f := len(tc.want[0])
			if len(got) != 3*f {
				t.Fatalf("%d features, want 3×%d", len(got), f)
			}
			for i, row := range tc.want {
				for j, w := range row {
					if g := float64(got[i*f+j]); math.Abs(g-w) > 1e-6 {
						t.Errorf("example %d feature %d = %v, want %v", i, j, g, w)
					}
				}
			}
		})
	}

	for _, tc := range []struct {
		name    string
		logits  []float32
		labels  []int
		topk    int
		wantErr error
		wantMsg string
	}{
		{"short logits", logits[:11], labels, 3, ErrShape, "11 logits"},
		{"bad label", logits, []int{3, 4, 1}, 3, ErrShape, "example 1"},
		{"NaN logit", append(slices.Clone(logits[:8]), 1, float32(math.NaN()), 0, 0), labels, 3, ErrNonFinite, "example 2"},
		{"zero k", logits, labels, 0, ErrConfig, "top_k"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ShadowFeatures(tc.logits, tc.labels, 4, tc.topk)
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

// shadowFixture returns M models' logits over N examples of C classes with
// a random half-membership mask: members get a true-class logit around 4,
// non-members around 1.5, the other classes standard normal.
func shadowFixture(mods, n, c int, seed uint64) ([][]float32, *Keep, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	k, _ := NewKeep(mods, n)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(c)
	}
	logits := make([][]float32, mods)
	for m := range mods {
		logits[m] = make([]float32, n*c)
		for i := range n {
			in := r.IntN(2) == 0
			k.In[m*n+i] = in
			for j := range c {
				logits[m][i*c+j] = float32(r.NormFloat64())
			}
			mu := 1.5
			if in {
				mu = 4
			}
			logits[m][i*c+labels[i]] = float32(mu + 0.7*r.NormFloat64())
		}
	}
	return logits, k, labels
}

func fastShadowConfig() ShadowClassifierConfig {
	return ShadowClassifierConfig{MaxRows: 1000, Epochs: 15, BatchSize: 64, LR: 1e-2, Hidden: []int{16}, Seed: 4}
}

func TestShadowClassifierSeparates(t *testing.T) {
	const mods, n, c = 6, 200, 10
	logits, k, labels := shadowFixture(mods, n, c, 9)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		shadows []int
		targets []int
		calls   int // models whose logits are needed
	}{
		{"leave-one-out", nil, []int{0, 1}, mods},
		{"fixed shadows", []int{2, 3, 4}, []int{0, 5}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastShadowConfig()
			cfg.Shadows = tc.shadows
			calls := map[int]int{}
			src := func(m int) ([]float32, error) {
				calls[m]++
				return logits[m], nil
			}
			res, agg, rocs, err := ShadowClassifier(ctx, src, k, labels, c, tc.targets, cfg, MetricOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != tc.calls {
				t.Errorf("logits of %d models requested, want %d", len(calls), tc.calls)
			}
			for m, cnt := range calls {
				if cnt != 1 {
					t.Errorf("logits of model %d requested %d times", m, cnt)
				}
			}
			if len(res) != len(tc.targets) || len(rocs) != len(tc.targets) {
				t.Fatalf("%d results, %d ROCs for %d targets", len(res), len(rocs), len(tc.targets))
			}
			for i, r := range res {
				if r.Target != tc.targets[i] || len(r.Scores) != n || len(r.Excluded) != 0 {
					t.Fatalf("result %d: target %d, %d scores, %d excluded", i, r.Target, len(r.Scores), len(r.Excluded))
				}
				for j, s := range r.Scores {
					if !(s >= 0 && s <= 1) {
						t.Fatalf("target %d example %d: P(IN) = %v", r.Target, j, s)
					}
				}
				if auc := agg.PerTarget[i].AUC; !(auc > 0.9) {
					t.Errorf("target %d: AUC %.3f, want > 0.9", r.Target, auc)
				}
			}
			t.Logf("AUC %.3f ± %.3f", agg.AUC.Mean, agg.AUC.Std)
		})
	}
}

func TestShadowClassifierDeterministic(t *testing.T) {
	logits, k, labels := shadowFixture(4, 100, 5, 2)
	ctx := context.Background()
	run := func(seed uint64) []TargetScores {
		cfg := fastShadowConfig()
		cfg.Seed = seed
		cfg.MaxRows = 200 // fewer rows than available: sampling matters
		cfg.Epochs = 5
		res, err := ShadowClassifierScores(ctx, LogitSlices(logits), k, labels, 5, []int{1, 3}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, other := run(1), run(1), run(2)
	for i := range a {
		if !slices.Equal(a[i].Scores, b[i].Scores) {
			t.Errorf("target %d: same seed gave different scores", a[i].Target)
		}
		if slices.Equal(a[i].Scores, other[i].Scores) {
			t.Errorf("target %d: seeds 1 and 2 gave identical scores", a[i].Target)
		}
	}
}

func TestShadowClassifierSampling(t *testing.T) {
	_, k, _ := shadowFixture(5, 60, 3, 5)
	pool := []bool{true, false, true, true, false}
	var nIn, nOut int
	for _, m := range []int{0, 2, 3} {
		for _, in := range k.Row(m) {
			if in {
				nIn++
			} else {
				nOut++
			}
		}
	}
	for _, per := range []int{1, 25, 60, 1000} {
		rows, err := sampleShadowRows(k, pool, per, 3)
		if err != nil {
			t.Fatal(err)
		}
		var in, out int
		seen := map[[2]int]bool{}
		for i, r := range rows {
			if !pool[r.m] {
				t.Fatalf("per %d: row %d from model %d, not in the pool", per, i, r.m)
			}
			if r.in != k.In[r.m*k.N+r.n] {
				t.Fatalf("per %d: row %d (model %d, example %d) labelled in=%v against the mask", per, i, r.m, r.n, r.in)
			}
			if i > 0 && (r.m < rows[i-1].m || r.m == rows[i-1].m && r.n <= rows[i-1].n) {
				t.Fatalf("per %d: rows not sorted and distinct at %d", per, i)
			}
			seen[[2]int{r.m, r.n}] = true
			if r.in {
				in++
			} else {
				out++
			}
		}
		if in != min(per, nIn) || out != min(per, nOut) {
			t.Errorf("per %d: %d IN and %d OUT rows, want %d and %d", per, in, out, min(per, nIn), min(per, nOut))
		}
	}
}

func TestShadowClassifierErrors(t *testing.T) {
	logits, k, labels := shadowFixture(5, 40, 4, 3)
	ctx := context.Background()
	short := slices.Clone(logits)
	short[3] = short[3][:len(short[3])-1]
	failing := func(m int) ([]float32, error) {
		if m == 2 {
			return nil, fmt.Errorf("object missing")
		}
		return logits[m], nil
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	allIn, _ := NewKeep(5, 40)
	for i := range allIn.In {
		allIn.In[i] = true
	}
	withCfg := func(f func(*ShadowClassifierConfig)) ShadowClassifierConfig {
		c := fastShadowConfig()
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		ctx     context.Context
		src     LogitSource
		k       *Keep
		labels  []int
		targets []int
		cfg     ShadowClassifierConfig
		wantErr error
		wantMsg string
	}{
		{"short logits", ctx, LogitSlices(short), k, labels, []int{0}, fastShadowConfig(), ErrShape, "model 3 has 159 logits"},
		{"source error", ctx, failing, k, labels, []int{0}, fastShadowConfig(), nil, "logits of model 2: object missing"},
		{"missing model", ctx, LogitSlices(logits[:4]), k, labels, []int{0}, fastShadowConfig(), ErrShape, "model 4"},
		{"labels", ctx, LogitSlices(logits), k, labels[:39], []int{0}, fastShadowConfig(), ErrShape, "39 labels"},
		{"label range", ctx, LogitSlices(logits), k, append(slices.Clone(labels[:39]), 4), []int{0}, fastShadowConfig(), ErrShape, "example 39"},
		{"target shadow", ctx, LogitSlices(logits), k, labels, []int{0, 1},
			withCfg(func(c *ShadowClassifierConfig) { c.Shadows = []int{1, 2} }), ErrConfig, "shadows[0] = 1 is also a target"},
		{"bad target", ctx, LogitSlices(logits), k, labels, []int{5}, fastShadowConfig(), ErrConfig, "targets[0] = 5"},
		{"top_k", ctx, LogitSlices(logits), k, labels, []int{0}, withCfg(func(c *ShadowClassifierConfig) { c.TopK = -2 }), ErrConfig, "top_k"},
		{"no OUT rows", ctx, LogitSlices(logits), allIn, labels, []int{0}, fastShadowConfig(), ErrEmptyClass, "0 OUT"},
		{"cancelled", cancelled, LogitSlices(logits), k, labels, []int{0}, fastShadowConfig(), context.Canceled, "model 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ShadowClassifierScores(tc.ctx, tc.src, tc.k, tc.labels, 4, tc.targets, tc.cfg)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

// BenchmarkShadowClassifier times leave-one-out over 2 targets of 8 models
// × 2000 examples × 10 classes with the default 20000 rows and 30 epochs.
func BenchmarkShadowClassifier(b *testing.B) {
	logits, k, labels := shadowFixture(8, 2000, 10, 1)
	for b.Loop() {
		if _, err := ShadowClassifierScores(context.Background(), LogitSlices(logits), k, labels, 10, []int{0, 1}, ShadowClassifierConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
