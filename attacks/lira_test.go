package attacks

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// liraFixture: M=5 (target 0, shadows 1..4), N=3, A=2.
//
//	example 0: IN {1,2}, OUT {3,4}; example 1: same; example 2: IN {1}, OUT {2,3,4}.
func liraFixture() (*Scores, *Keep) {
	phi := [][3][2]float32{
		{{3, 1}, {6, 0}, {1, 2}},   // target
		{{2, 0}, {5, 1}, {10, 10}}, // IN for 0,1,2
		{{4, 2}, {7, 3}, {0, 0}},   // IN for 0,1; OUT for 2
		{{-1, 0}, {4, -1}, {1, 0}}, // OUT
		{{1, 4}, {6, 1}, {2, 3}},   // OUT
	}
	keep := [][3]bool{{true, false, false}, {true, true, true}, {true, true, false}, {}, {}}
	s, _ := NewScores(5, 3, 2)
	k, _ := NewKeep(5, 3)
	for m := range 5 {
		for n := range 3 {
			k.In[m*3+n] = keep[m][n]
			for a := range 2 {
				s.Phi[(m*3+n)*2+a] = phi[m][n][a]
			}
		}
	}
	return s, k
}

func lpdf(x, mu, sd float64) float64 {
	z := (x - mu) / sd
	return -z*z/2 - math.Log(sd) - 0.5*math.Log(2*math.Pi)
}

func TestLiRAHandFixture(t *testing.T) {
	s, k := liraFixture()
	nan := math.NaN()
	// Means/std by hand (population std):
	// ex0 a0: IN {2,4} μ3 σ1, OUT {-1,1} μ0 σ1; a1: IN {0,2} μ1 σ1, OUT {0,4} μ2 σ2.
	// ex1 a0: IN {5,7} μ6 σ1, OUT {4,6} μ5 σ1; a1: IN {1,3} μ2 σ1, OUT {-1,1} μ0 σ1.
	// ex2 a0: OUT {0,1,2} μ1 σ²=2/3; a1: OUT {0,0,3} μ1 σ²=2. One IN only.
	// Fixed variance pools within-example sums of squares:
	//   online, MinIn=1 (default): IN (8+0+0)/10 = 0.8, OUT (2+8+2+2+2+6)/14 = 11/7.
	//   offline: OUT pool is the same 11/7 (all three examples eligible).
	sIn, sOut := math.Sqrt(0.8), math.Sqrt(11.0/7)
	tests := []struct {
		cfg      LiRAConfig
		want     []float64
		excluded []int
	}{
		{LiRAConfig{}, []float64{(4.5 + 0.125 + math.Ln2) / 2, (0.5 - 2) / 2, nan}, []int{2}},
		{LiRAConfig{MinIn: 1, MinStd: 1e-3}, []float64{(4.5 + 0.125 + math.Ln2) / 2, (0.5 - 2) / 2,
			(lpdf(1, 10, 1e-3) - lpdf(1, 1, math.Sqrt(2.0/3)) + lpdf(2, 10, 1e-3) - lpdf(2, 1, math.Sqrt2)) / 2}, nil},
		{LiRAConfig{MinOut: 3}, []float64{nan, nan, nan}, []int{0, 1, 2}},
		{LiRAConfig{Offline: true}, []float64{
			(-0.0013508099647481937988 + -1.1759117615936186089) / 2,
			(-0.17275377902344988953 + -0.69314718055994530942) / 2,
			(-0.69314718055994530942 + -0.27410803278438572905) / 2}, nil},
		{LiRAConfig{FixedVariance: true}, []float64{
			(lpdf(3, 3, sIn) - lpdf(3, 0, sOut) + lpdf(1, 1, sIn) - lpdf(1, 2, sOut)) / 2,
			(lpdf(6, 6, sIn) - lpdf(6, 5, sOut) + lpdf(0, 2, sIn) - lpdf(0, 0, sOut)) / 2,
			(lpdf(1, 10, sIn) - lpdf(1, 1, sOut) + lpdf(2, 10, sIn) - lpdf(2, 1, sOut)) / 2}, nil},
		{LiRAConfig{FixedVariance: true, Offline: true}, []float64{
			(normLogCDF(3/sOut) + normLogCDF(-1/sOut)) / 2,
			(normLogCDF(1/sOut) + normLogCDF(0)) / 2,
			(normLogCDF(0) + normLogCDF(1/sOut)) / 2}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.cfg.Name(), func(t *testing.T) {
			got, err := LiRA(s, k, 0, []int{1, 2, 3, 4}, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkScores(t, got.Scores, tc.want, 1e-12)
			if !equalInts(got.Excluded, tc.excluded) {
				t.Errorf("excluded %v, want %v", got.Excluded, tc.excluded)
			}
			loo, err := LiRALeaveOneOut(s, k, []int{0}, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkScores(t, loo[0].Scores, tc.want, 1e-12)
		})
	}
}

func checkScores(t *testing.T, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d scores, want %d", len(got), len(want))
	}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Errorf("score[%d] = %.17g, want %.17g", i, got[i], want[i])
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// randomExperiment makes M models × N examples × A augmentations with random
// keep and scores where members score higher; a few examples are planted to
// be hard (huge offsets, identical shadows, a single IN model).
func randomExperiment(seed uint64, m, n, a int) (*Scores, *Keep) {
	rng := rand.New(rand.NewPCG(seed, 7))
	s, _ := NewScores(m, n, a)
	k, _ := NewKeep(m, n)
	base := make([]float64, n*a)
	for j := range base {
		base[j] = 3 * rng.NormFloat64()
	}
	for i := range k.In {
		k.In[i] = rng.IntN(2) == 0
	}
	for mi := range m {
		for ni := range n {
			for ai := range a {
				v := base[ni*a+ai] + rng.NormFloat64()
				if k.In[mi*n+ni] {
					v += 1
				}
				switch ni {
				case 0: // large offset: sums of squares cancel badly
					v += 1e4
				case 1: // identical shadows
					v = 2.5
				}
				s.Phi[(mi*n+ni)*a+ai] = float32(v)
			}
		}
		k.In[mi*n+2] = mi == 3 // exactly one IN model
	}
	s.Phi[(0*n+1)*a] = 7 // model 0 differs on example 1 (shift = model 0)
	return s, k
}

func TestLiRALeaveOneOutMatchesScratch(t *testing.T) {
	const m, n, a = 13, 400, 3
	s, k := randomExperiment(11, m, n, a)
	targets := []int{0, 3, 5, 12}
	for _, cfg := range []LiRAConfig{
		{}, {Offline: true}, {FixedVariance: true}, {Offline: true, FixedVariance: true},
		{MinIn: 1, MinOut: 1},
	} {
		t.Run(cfg.Name(), func(t *testing.T) {
			loo, err := LiRALeaveOneOut(s, k, targets, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, tg := range targets {
				var shadows []int
				for j := range m {
					if j != tg {
						shadows = append(shadows, j)
					}
				}
				ref, err := LiRA(s, k, tg, shadows, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if loo[i].Target != tg || !equalInts(loo[i].Excluded, ref.Excluded) {
					t.Fatalf("target %d: excluded %v, scratch %v", tg, loo[i].Excluded, ref.Excluded)
				}
				checkScores(t, loo[i].Scores, ref.Scores, 1e-9)
			}
		})
	}
}

func TestLiRAExclusionRules(t *testing.T) {
	s, k := randomExperiment(5, 6, 20, 1)
	for j := range 6 { // example 4: nobody trains on it
		k.In[j*20+4] = false
	}
	res, err := LiRALeaveOneOut(s, k, []int{0}, LiRAConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ex := map[int]bool{}
	for _, n := range res[0].Excluded {
		ex[n] = true
		if !math.IsNaN(res[0].Scores[n]) {
			t.Errorf("excluded example %d scored %v, want NaN", n, res[0].Scores[n])
		}
	}
	if !ex[2] || !ex[4] {
		t.Errorf("excluded %v lacks examples 2 (one IN) and 4 (no IN)", res[0].Excluded)
	}
	for n, v := range res[0].Scores {
		if !ex[n] && !finite64(v) {
			t.Errorf("example %d not excluded but scored %v", n, v)
		}
	}
}

func TestLiRAInputErrors(t *testing.T) {
	s, k := liraFixture()
	s.Phi[(3*3+1)*2+1] = float32(math.NaN())
	_, err := LiRALeaveOneOut(s, k, []int{0}, LiRAConfig{})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "model 3, example 1, augmentation 1") {
		t.Errorf("NaN: err = %v", err)
	}
	_, err = LiRA(s, k, 0, []int{1, 2, 3}, LiRAConfig{})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "model 3, example 1") {
		t.Errorf("NaN scratch: err = %v", err)
	}
	s, k = liraFixture()
	s.Phi[0] = float32(math.Inf(1))
	if _, err := LiRALeaveOneOut(s, k, []int{1}, LiRAConfig{}); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "model 0, example 0") {
		t.Errorf("Inf: err = %v", err)
	}
	s, k = liraFixture()
	for name, call := range map[string]func() error{
		"self shadow":  func() error { _, err := LiRA(s, k, 0, []int{0, 1}, LiRAConfig{}); return err },
		"dup shadow":   func() error { _, err := LiRA(s, k, 0, []int{1, 1}, LiRAConfig{}); return err },
		"bad target":   func() error { _, err := LiRALeaveOneOut(s, k, []int{5}, LiRAConfig{}); return err },
		"dup target":   func() error { _, err := LiRALeaveOneOut(s, k, []int{1, 1}, LiRAConfig{}); return err },
		"negative min": func() error { _, err := LiRALeaveOneOut(s, k, []int{1}, LiRAConfig{MinIn: -1}); return err },
		"no shadows":   func() error { _, err := LiRA(s, k, 0, nil, LiRAConfig{}); return err },
		"NaN min std":  func() error { _, err := LiRA(s, k, 0, []int{1}, LiRAConfig{MinStd: math.NaN()}); return err },
	} {
		if err := call(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
	bad := &Keep{M: 5, N: 2, In: make([]bool, 10)}
	if _, err := LiRALeaveOneOut(s, bad, []int{0}, LiRAConfig{}); !errors.Is(err, ErrShape) {
		t.Errorf("keep shape: err = %v", err)
	}
}

// TestLiRAGaussian checks LiRA on synthetic scores where the optimal test is
// known: per example, IN ~ N(μ_n + d, 1) and OUT ~ N(μ_n, 1). The log
// likelihood ratio is d·(x − μ_n − d/2), the analytic ROC is
// TPR(f) = 1 − Φ(Φ⁻¹(1−f) − d) and AUC = Φ(d/√2).
func TestLiRAGaussian(t *testing.T) {
	const m, n, d = 513, 4000, 1.5
	rng := rand.New(rand.NewPCG(42, 43))
	s, _ := NewScores(m, n, 1)
	k, _ := NewKeep(m, n)
	mu := make([]float64, n)
	for i := range mu {
		mu[i] = 2 * rng.NormFloat64()
	}
	for mi := range m {
		for ni := range n {
			in := rng.IntN(2) == 0
			k.In[mi*n+ni] = in
			v := mu[ni] + rng.NormFloat64()
			if in {
				v += d
			}
			s.Phi[mi*n+ni] = float32(v)
		}
	}
	res, err := LiRALeaveOneOut(s, k, []int{0}, LiRAConfig{FixedVariance: true})
	if err != nil {
		t.Fatal(err)
	}
	var absErr float64
	for ni := range n {
		x := float64(s.Phi[ni])
		absErr += math.Abs(res[0].Scores[ni] - d*(x-mu[ni]-d/2))
	}
	if absErr /= n; absErr > 0.1 {
		t.Errorf("mean |LiRA − analytic LLR| = %v, want < 0.1", absErr)
	}
	// With equal IN/OUT variances the one-sided offline test orders examples
	// by x − μ_n exactly as the log likelihood ratio does, so it is optimal too.
	for _, cfg := range []LiRAConfig{{FixedVariance: true}, {}, {Offline: true}, {Offline: true, FixedVariance: true}} {
		res, err := LiRALeaveOneOut(s, k, []int{0}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, roc, err := EvaluateTarget(res[0].Scores, k.Row(0), res[0].Excluded, MetricOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantAUC := 0.5 * math.Erfc(-d/math.Sqrt2/math.Sqrt2)
		if got := roc.AUC(); math.Abs(got-wantAUC) > 0.02 {
			t.Errorf("%s: AUC %v, analytic %v", cfg.Name(), got, wantAUC)
		}
		for _, f := range []float64{0.05, 0.1, 0.2, 0.4, 0.7} {
			want := 0.5 * math.Erfc((mathext.NormalQuantile(1-f)-d)/math.Sqrt2)
			if got := roc.TPRAtFPR(f); math.Abs(got-want) > 0.04 {
				t.Errorf("%s: TPR@%v = %v, analytic %v", cfg.Name(), f, got, want)
			}
		}
	}
}

func TestNormLogCDF(t *testing.T) {
	// Reference values from mpmath (40 digits).
	for _, tc := range []struct{ z, want float64 }{
		{-40, -804.60844201375378817},
		{-37, -689.0305855768905936},
		{-36.99, -688.66036566365896753},
		{-30, -454.32124395634319711},
		{-20, -203.91715537109726394},
		{-10, -53.231285150512470578},
		{-5, -15.064998393988725736},
		{0, -0.69314718055994530942},
		{3, -0.0013508099647481937988},
		{5, -2.8665161296376359338e-7},
		{5.01, -2.7215021431844815596e-7},
		{8, -6.2209605742717860585e-16},
		{20, -2.7536241186062336951e-89},
	} {
		got := normLogCDF(tc.z)
		if math.Abs(got-tc.want) > 1e-13*math.Abs(tc.want) {
			t.Errorf("normLogCDF(%v) = %.17g, want %.17g", tc.z, got, tc.want)
		}
	}
	if got := normLogCDF(-1e30); math.IsInf(got, 0) || got > -1e59 {
		t.Errorf("normLogCDF(-1e30) = %v, want finite ≈ −5e59", got)
	}
}
