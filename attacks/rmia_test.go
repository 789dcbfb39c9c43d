package attacks

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func logit(p float64) float32 { return float32(math.Log(p / (1 - p))) }

// rmiaFixture: M=3 (target 0, references 1 and 2), N=4, A=1, population {2,3}.
// True-class probabilities:
//
//	target: x0 .8, x1 .5, z2 .4, z3 .45
//	ref 1:  x0 .6 (IN), x1 .2, z2 .5, z3 .1
//	ref 2:  x0 .2, x1 .6 (IN), z2 .3, z3 .5
func rmiaFixture() (*Scores, *Keep) {
	p := [][]float64{{.8, .5, .4, .45}, {.6, .2, .5, .1}, {.2, .6, .3, .5}}
	s, _ := NewScores(3, 4, 1)
	k, _ := NewKeep(3, 4)
	for m := range 3 {
		for n := range 4 {
			s.Phi[m*4+n] = logit(p[m][n])
		}
	}
	k.In[0*4+0] = true // target trained on x0
	k.In[1*4+0] = true
	k.In[2*4+1] = true
	return s, k
}

func TestRMIAHandFixture(t *testing.T) {
	s, k := rmiaFixture()
	nan := math.NaN()
	// Online: Pr(x0)=Pr(x1)=Pr(z2)=.4, Pr(z3)=.3, so the ratios are
	// x0 2, x1 1.25, z2 1, z3 1.5.
	// Offline, a=.5: Pr = (1.5·mean_OUT + .5)/2: x0 (.3+.5)/2=.4, x1 .4,
	// z2 (.6+.5)/2=.55, z3 (.45+.5)/2=.475; ratios x0 2, x1 1.25,
	// z2 .727…, z3 .947….
	tests := []struct {
		name string
		cfg  RMIAConfig
		want []float64
	}{
		{"online γ=1", RMIAConfig{}, []float64{1, 0.5, nan, nan}},             // x1: 1.25/1 ≥ 1, 1.25/1.5 < 1
		{"online γ=1.5", RMIAConfig{Gamma: 1.5}, []float64{0.5, 0, nan, nan}}, // x0: 2 ≥ 1.5, 1.33 < 1.5
		{"offline γ=2", RMIAConfig{Offline: true, OfflineA: .5, Gamma: 2}, []float64{1, 0, nan, nan}},
		{"offline γ=1.5", RMIAConfig{Offline: true, OfflineA: .5, Gamma: 1.5}, []float64{1, 0.5, nan, nan}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RMIA(s, k, 0, []int{1, 2}, []int{2, 3}, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkScores(t, got.Scores, tc.want, 0)
			if !equalInts(got.Excluded, []int{2, 3}) {
				t.Errorf("excluded %v, want population [2 3]", got.Excluded)
			}
			loo, err := RMIALeaveOneOut(s, k, []int{0}, []int{3, 2}, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkScores(t, loo[0].Scores, tc.want, 0)
		})
	}
}

// rmiaBrute is the O(N·Z) definition in the probability domain:
// LR(x,z) = (Pr(x|θ)/Pr(x)) / (Pr(z|θ)/Pr(z)), score = fraction of z with LR ≥ γ.
func rmiaBrute(s *Scores, k *Keep, target int, refs, sample []int, isPop []bool, cfg RMIAConfig) []float64 {
	pr := func(m, n int) float64 { return modelProb(s.Model(m)[n*s.A : (n+1)*s.A]) }
	ref := func(n int) float64 {
		var sum, c float64
		for _, m := range refs {
			if !cfg.Offline || !k.In[m*s.N+n] {
				sum += pr(m, n)
				c++
			}
		}
		if c == 0 {
			return math.NaN() // no OUT reference: excluded
		}
		if cfg.Offline {
			return ((1+cfg.OfflineA)*sum/c + 1 - cfg.OfflineA) / 2
		}
		return sum / c
	}
	out := make([]float64, s.N)
	for x := range s.N {
		if isPop[x] {
			out[x] = math.NaN()
			continue
		}
		rx := pr(target, x) / ref(x)
		if math.IsNaN(rx) {
			out[x] = math.NaN()
			continue
		}
		var cnt float64
		for _, z := range sample {
			if rx/(pr(target, z)/ref(z)) >= cfg.Gamma {
				cnt++
			}
		}
		out[x] = cnt / float64(len(sample))
	}
	return out
}

func TestRMIAFastMatchesBruteForce(t *testing.T) {
	const m, n, a = 9, 300, 2
	s, k := randomExperiment(21, m, n, a)
	// Population: examples 250..299, never trained on.
	var pop []int
	for z := 250; z < n; z++ {
		pop = append(pop, z)
		for j := range m {
			k.In[j*n+z] = false
		}
	}
	targets := []int{0, 4, 8}
	for _, cfg := range []RMIAConfig{
		{}, {Gamma: 2}, {Offline: true, OfflineA: 0.3}, {Offline: true, OfflineA: 1, Gamma: 0.5},
		{NumZ: 17, Seed: 5}, {Offline: true, OfflineA: 0.6, NumZ: 30, Seed: 9},
	} {
		t.Run(cfg.Name(), func(t *testing.T) {
			loo, err := RMIALeaveOneOut(s, k, targets, pop, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, tg := range targets {
				var refs []int
				for j := range m {
					if j != tg {
						refs = append(refs, j)
					}
				}
				fast, err := RMIA(s, k, tg, refs, pop, cfg)
				if err != nil {
					t.Fatal(err)
				}
				c, _ := cfg.withDefaults()
				sample, isPop, err := samplePopulation(s, k, refs, pop, c)
				if err != nil {
					t.Fatal(err)
				}
				if cfg.NumZ > 0 && len(sample) != cfg.NumZ {
					t.Fatalf("sampled %d z, want %d", len(sample), cfg.NumZ)
				}
				brute := rmiaBrute(s, k, tg, refs, sample, isPop, c)
				checkScores(t, fast.Scores, brute, 0)
				checkScores(t, loo[i].Scores, fast.Scores, 0)
				var wantEx []int
				for x, v := range brute {
					if math.IsNaN(v) {
						wantEx = append(wantEx, x)
					}
				}
				if len(wantEx) < len(pop) || !equalInts(loo[i].Excluded, wantEx) || !equalInts(fast.Excluded, wantEx) {
					t.Errorf("excluded %v / %v, want %v", loo[i].Excluded, fast.Excluded, wantEx)
				}
			}
		})
	}
}

func TestRMIASampling(t *testing.T) {
	pop := make([]int, 100)
	for i := range pop {
		pop[i] = i
	}
	s, _ := NewScores(2, 100, 1)
	k, _ := NewKeep(2, 100)
	a, _, err := samplePopulation(s, k, []int{0, 1}, pop, RMIAConfig{NumZ: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := samplePopulation(s, k, []int{0, 1}, pop, RMIAConfig{NumZ: 10, Seed: 1})
	c, _, _ := samplePopulation(s, k, []int{0, 1}, pop, RMIAConfig{NumZ: 10, Seed: 2})
	if !equalInts(a, b) || equalInts(a, c) || len(a) != 10 {
		t.Errorf("seed 1: %v, again %v, seed 2: %v", a, b, c)
	}
	seen := map[int]bool{}
	for _, z := range a {
		if seen[z] {
			t.Errorf("sample %v repeats %d", a, z)
		}
		seen[z] = true
	}
}

func TestRMIAExtremeProbabilities(t *testing.T) {
	// φ of −1000 underflows p = sigmoid(φ) to 0 in float64; the log-domain
	// fallback must still give finite ratios and agree with the reference.
	s, k := rmiaFixture()
	for m := range 3 {
		s.Phi[m*4+1] = float32(-1000 - 10*m)
		s.Phi[m*4+2] = float32(-900 - 5*m)
	}
	for _, cfg := range []RMIAConfig{{}, {Offline: true, OfflineA: 1}} {
		ref, err := RMIA(s, k, 0, []int{1, 2}, []int{2, 3}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		loo, err := RMIALeaveOneOut(s, k, []int{0}, []int{2, 3}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range ref.Scores[:2] {
			if !finite64(v) {
				t.Fatalf("%s: non-finite score %v", cfg.Name(), ref.Scores)
			}
		}
		checkScores(t, loo[0].Scores, ref.Scores, 0)
	}
	// Online: log r(x1) = log p_t − log mean(p_1, p_2) ≈ −1000 − (−1010 − log 2)
	// = 10 + log 2; log r(z2) ≈ −900 − (−905 − log 2) = 5 + log 2, log r(z3)
	// is O(1), so x1 beats both z at γ=1.
	res, _ := RMIA(s, k, 0, []int{1, 2}, []int{2, 3}, RMIAConfig{})
	if res.Scores[1] != 1 {
		t.Errorf("x1 score %v, want 1", res.Scores[1])
	}
}

func TestRMIAErrors(t *testing.T) {
	s, k := rmiaFixture()
	for name, tc := range map[string]struct {
		call func() error
		want error
		msg  string
	}{
		"trained population": {func() error {
			_, err := RMIA(s, k, 0, []int{1, 2}, []int{1, 2}, RMIAConfig{})
			return err
		}, ErrConfig, "population example 1 (population[0]) is in the training set of model 2"},
		"empty population": {func() error { _, err := RMIALeaveOneOut(s, k, []int{0}, nil, RMIAConfig{}); return err }, ErrConfig, "population"},
		"bad a": {func() error {
			_, err := RMIALeaveOneOut(s, k, []int{0}, []int{2}, RMIAConfig{Offline: true, OfflineA: 2})
			return err
		}, ErrConfig, "offline_a"},
		"bad gamma":      {func() error { _, err := RMIALeaveOneOut(s, k, []int{0}, []int{2}, RMIAConfig{Gamma: -1}); return err }, ErrConfig, "gamma"},
		"dup population": {func() error { _, err := RMIALeaveOneOut(s, k, []int{0}, []int{2, 2}, RMIAConfig{}); return err }, ErrConfig, "repeated"},
	} {
		if err := tc.call(); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want %v containing %q", name, err, tc.want, tc.msg)
		}
	}
	s.Phi[2*4+3] = float32(math.NaN())
	if _, err := RMIALeaveOneOut(s, k, []int{0}, []int{2, 3}, RMIAConfig{}); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "model 2, example 3") {
		t.Errorf("NaN: err = %v", err)
	}
}

func TestRMIARandomPopulationOrderIrrelevant(t *testing.T) {
	s, k := randomExperiment(3, 5, 60, 1)
	pop := []int{50, 51, 52, 53, 54, 55}
	for _, z := range pop {
		for j := range 5 {
			k.In[j*60+z] = false
		}
	}
	rev := []int{55, 54, 53, 52, 51, 50}
	a, err := RMIALeaveOneOut(s, k, []int{1}, pop, RMIAConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := RMIALeaveOneOut(s, k, []int{1}, rev, RMIAConfig{})
	if err != nil {
		t.Fatal(err)
	}
	checkScores(t, a[0].Scores, b[0].Scores, 0)
}
