package attacks

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func pts(xy ...float64) []ROCPoint {
	out := make([]ROCPoint, 0, len(xy)/2)
	for i := 0; i < len(xy); i += 2 {
		out = append(out, ROCPoint{FPR: xy[i], TPR: xy[i+1]})
	}
	return out
}

func TestROCHandFixtures(t *testing.T) {
	tests := []struct {
		name        string
		scores      []float64
		member      []bool
		points      []ROCPoint // FPR, TPR only
		auc         float64
		adv, balacc float64
		tpr         map[float64]float64
	}{
		{
			name:   "interleaved",
			scores: []float64{0.9, 0.8, 0.7, 0.6},
			member: []bool{true, false, true, false},
			points: pts(0, 0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 1),
			auc:    0.75, adv: 0.5, balacc: 0.75,
			tpr: map[float64]float64{1e-5: 0.5, 0.1: 0.5, 0.5: 1, 1: 1},
		},
		{
			name:   "ties across classes move as one point",
			scores: []float64{3, 2, 2, 2, 1},
			member: []bool{true, true, false, false, false},
			points: pts(0, 0, 0, 0.5, 2.0/3, 1, 1, 1),
			auc:    5.0 / 6, adv: 0.5, balacc: 0.75,
			tpr: map[float64]float64{0.5: 0.5, 2.0 / 3: 1},
		},
		{
			name:   "pairwise ties",
			scores: []float64{1, 1, 0, 0},
			member: []bool{true, false, true, false},
			points: pts(0, 0, 0.5, 0.5, 1, 1),
			auc:    0.5, adv: 0, balacc: 0.5,
			tpr: map[float64]float64{0.1: 0, 0.5: 0.5},
		},
		{
			name:   "all scores equal",
			scores: []float64{5, 5, 5, 5, 5},
			member: []bool{true, false, true, false, false},
			points: pts(0, 0, 1, 1),
			auc:    0.5, adv: 0, balacc: 0.5,
			tpr: map[float64]float64{1e-5: 0, 0.99: 0, 1: 1},
		},
		{
			name:   "perfect separation",
			scores: []float64{-1, 10, -2, 7},
			member: []bool{false, true, false, true},
			points: pts(0, 0, 0, 0.5, 0, 1, 0.5, 1, 1, 1),
			auc:    1, adv: 1, balacc: 1,
			tpr: map[float64]float64{1e-5: 1},
		},
		{
			name:   "perfectly wrong",
			scores: []float64{1, 2},
			member: []bool{true, false},
			points: pts(0, 0, 1, 0, 1, 1),
			auc:    0, adv: 0, balacc: 0.5,
			tpr: map[float64]float64{0.5: 0, 1: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roc, err := ComputeROC(tc.scores, tc.member)
			if err != nil {
				t.Fatal(err)
			}
			if len(roc.Points) != len(tc.points) {
				t.Fatalf("got %d points %v, want %v", len(roc.Points), roc.Points, tc.points)
			}
			for i, p := range tc.points {
				if math.Abs(roc.Points[i].FPR-p.FPR) > 1e-15 || math.Abs(roc.Points[i].TPR-p.TPR) > 1e-15 {
					t.Errorf("point %d = (%v,%v), want (%v,%v)", i, roc.Points[i].FPR, roc.Points[i].TPR, p.FPR, p.TPR)
				}
			}
			if !math.IsInf(roc.Points[0].Threshold, 1) {
				t.Errorf("first threshold %v, want +Inf", roc.Points[0].Threshold)
			}
			if got := roc.AUC(); math.Abs(got-tc.auc) > 1e-15 {
				t.Errorf("AUC = %v, want %v", got, tc.auc)
			}
			if got := roc.Advantage(); math.Abs(got-tc.adv) > 1e-15 {
				t.Errorf("advantage = %v, want %v", got, tc.adv)
			}
			if got := roc.BalancedAccuracy(); math.Abs(got-tc.balacc) > 1e-15 {
				t.Errorf("balanced accuracy = %v, want %v", got, tc.balacc)
			}
			for f, want := range tc.tpr {
				if got := roc.TPRAtFPR(f); got != want {
					t.Errorf("TPR@FPR %v = %v, want %v", f, got, want)
				}
			}
		})
	}
}

func TestROCThresholds(t *testing.T) {
	roc, err := ComputeROC([]float64{3, 2, 2, 1}, []bool{true, true, false, false})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{math.Inf(1), 3, 2, 1}
	for i, p := range roc.Points {
		if p.Threshold != want[i] {
			t.Errorf("threshold %d = %v, want %v", i, p.Threshold, want[i])
		}
	}
}

func TestROCErrors(t *testing.T) {
	tests := []struct {
		name    string
		scores  []float64
		member  []bool
		wantErr error
		msg     string
	}{
		{"no members", []float64{1, 2}, []bool{false, false}, ErrEmptyClass, "0 members"},
		{"no non-members", []float64{1, 2}, []bool{true, true}, ErrEmptyClass, "0 non-members"},
		{"empty", nil, nil, ErrEmptyClass, "0 members"},
		{"NaN", []float64{1, 2, math.NaN()}, []bool{true, false, true}, ErrNonFinite, "example 2"},
		{"Inf", []float64{math.Inf(-1), 2}, []bool{true, false}, ErrNonFinite, "example 0"},
		{"length", []float64{1}, []bool{true, false}, ErrShape, "1 scores but 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ComputeROC(tc.scores, tc.member)
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.wantErr, tc.msg)
			}
		})
	}
}

func randomScores(rng *rand.Rand, n, levels int) ([]float64, []bool) {
	s := make([]float64, n)
	m := make([]bool, n)
	for i := range s {
		m[i] = rng.IntN(3) == 0
		v := float64(rng.IntN(levels))
		if m[i] {
			v += float64(rng.IntN(levels / 2))
		}
		s[i] = v
	}
	m[0], m[1] = true, false
	return s, m
}

func bruteAUC(s []float64, m []bool) float64 {
	var num, den float64
	for i := range s {
		if !m[i] {
			continue
		}
		for j := range s {
			if m[j] {
				continue
			}
			den++
			switch {
			case s[i] > s[j]:
				num++
			case s[i] == s[j]:
				num += 0.5
			}
		}
	}
	return num / den
}

func TestAUCProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		levels := []int{4, 50, 100000}[trial%3]
		s, m := randomScores(rng, 50+rng.IntN(400), levels)
		roc, err := ComputeROC(s, m)
		if err != nil {
			t.Fatal(err)
		}
		auc := roc.AUC()
		if want := bruteAUC(s, m); math.Abs(auc-want) > 1e-12 {
			t.Errorf("trial %d: AUC %v, brute-force pairwise %v", trial, auc, want)
		}
		// Trapezoid area over the ROC points agrees.
		var trap float64
		for i := 1; i < len(roc.Points); i++ {
			a, b := roc.Points[i-1], roc.Points[i]
			trap += (b.FPR - a.FPR) * (a.TPR + b.TPR) / 2
		}
		if math.Abs(trap-auc) > 1e-12 {
			t.Errorf("trial %d: trapezoid %v vs AUC %v", trial, trap, auc)
		}
		// Strictly increasing transforms (exact on these integer scores).
		for name, f := range map[string]func(float64) float64{
			"cube":  func(x float64) float64 { return x*x*x + 7*x - 3 },
			"exp":   func(x float64) float64 { return math.Exp(x / 1e5) },
			"atan":  func(x float64) float64 { return math.Atan(x / 1e5) },
			"shift": func(x float64) float64 { return 2*x + 1 },
		} {
			ts := make([]float64, len(s))
			for i, v := range s {
				ts[i] = f(v)
			}
			r2, err := ComputeROC(ts, m)
			if err != nil {
				t.Fatal(err)
			}
			if r2.AUC() != auc {
				t.Errorf("trial %d: AUC under %s = %v, want %v", trial, name, r2.AUC(), auc)
			}
		}
		neg := make([]float64, len(s))
		for i, v := range s {
			neg[i] = -v
		}
		rn, err := ComputeROC(neg, m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(rn.AUC()-(1-auc)) > 1e-15 {
			t.Errorf("trial %d: AUC(−s) = %v, want 1−%v", trial, rn.AUC(), auc)
		}
		// Balanced accuracy and advantage: brute force over all thresholds.
		var bestAdv float64
		for _, thr := range append(s, math.Inf(1)) {
			var tp, fp, p, n float64
			for i, v := range s {
				if m[i] {
					p++
				} else {
					n++
				}
				if v >= thr {
					if m[i] {
						tp++
					} else {
						fp++
					}
				}
			}
			bestAdv = math.Max(bestAdv, tp/p-fp/n)
		}
		if math.Abs(roc.Advantage()-bestAdv) > 1e-12 || math.Abs(roc.BalancedAccuracy()-(1+bestAdv)/2) > 1e-12 {
			t.Errorf("trial %d: advantage %v balanced %v, brute %v", trial, roc.Advantage(), roc.BalancedAccuracy(), bestAdv)
		}
	}
}

func TestSummarizeAndJSON(t *testing.T) {
	m, roc, err := EvaluateTarget([]float64{0.9, math.NaN(), 0.8, 0.7, 0.6}, []bool{true, true, false, true, false}, []int{1}, MetricOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if roc.Positives != 2 || roc.Negatives != 2 {
		t.Fatalf("classes %d/%d, want 2/2", roc.Positives, roc.Negatives)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"auc":0.75,"tpr_at_fpr":{"0.00001":0.5,"0.001":0.5,"0.01":0.5,"0.1":0.5},"balanced_accuracy":0.75,"advantage":0.5}`
	if string(b) != want {
		t.Errorf("json\n got %s\nwant %s", b, want)
	}
	if _, _, err := EvaluateTarget([]float64{1, math.NaN()}, []bool{true, false}, nil, MetricOptions{}); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "example 1") {
		t.Errorf("NaN not excluded: err = %v", err)
	}
	if _, _, err := EvaluateTarget([]float64{1, 2}, []bool{true, false}, nil, MetricOptions{FPRs: []float64{0}}); !errors.Is(err, ErrConfig) {
		t.Errorf("fpr 0 accepted: %v", err)
	}
}

func TestEvaluateAggregate(t *testing.T) {
	k := &Keep{M: 3, N: 4, In: []bool{
		true, false, true, false,
		false, false, false, false,
		true, true, false, false,
	}}
	results := []TargetScores{
		{Target: 0, Scores: []float64{0.9, 0.8, 0.7, 0.6}}, // AUC 0.75
		{Target: 2, Scores: []float64{4, 3, 2, 1}},         // AUC 1
	}
	agg, rocs, err := Evaluate("test", results, k, MetricOptions{FPRs: []float64{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rocs) != 2 || len(agg.PerTarget) != 2 {
		t.Fatalf("got %d rocs, %d per-target", len(rocs), len(agg.PerTarget))
	}
	if agg.AUC.Mean != 0.875 || math.Abs(agg.AUC.Std-math.Sqrt(0.03125)) > 1e-15 {
		t.Errorf("AUC aggregate %+v, want mean 0.875 std sqrt(0.03125)", agg.AUC)
	}
	if got := agg.TPRAtFPR["0.5"]; got.Mean != 1 || got.Std != 0 {
		t.Errorf("tpr@0.5 aggregate %+v, want {1 0}", got)
	}
	if agg.PerTarget[1].Target != 2 || agg.PerTarget[1].Advantage != 1 {
		t.Errorf("per target %+v", agg.PerTarget[1])
	}
	// Target 1 has no members: a clear error naming the target.
	_, _, err = Evaluate("test", []TargetScores{{Target: 1, Scores: []float64{1, 2, 3, 4}}}, k, MetricOptions{})
	if !errors.Is(err, ErrEmptyClass) || !strings.Contains(err.Error(), "target model 1") {
		t.Errorf("err = %v", err)
	}
}

func TestDownsample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	s := make([]float64, n)
	m := make([]bool, n)
	for i := range s {
		m[i] = i%2 == 0
		s[i] = rng.NormFloat64()
		if m[i] {
			s[i] += 1
		}
	}
	roc, err := ComputeROC(s, m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := roc.Downsample(1e-3, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) >= len(roc.Points)/10 {
		t.Errorf("downsampled to %d of %d points", len(d), len(roc.Points))
	}
	// Exact at the low-FPR end: every original point with FPR ≤ 1e-3 is present in order.
	var exact []ROCPoint
	for _, p := range roc.Points {
		if p.FPR <= 1e-3 {
			exact = append(exact, p)
		}
	}
	for i, p := range exact {
		if d[i] != p {
			t.Fatalf("low-FPR point %d = %+v, want %+v", i, d[i], p)
		}
	}
	if last := d[len(d)-1]; last.FPR != 1 || last.TPR != 1 {
		t.Errorf("last point %+v, want (1,1)", last)
	}
	for i := 1; i < len(d); i++ {
		if d[i].FPR < d[i-1].FPR || d[i].TPR < d[i-1].TPR {
			t.Fatalf("not monotone at %d", i)
		}
	}
	if _, err := roc.Downsample(2, 10); !errors.Is(err, ErrConfig) {
		t.Errorf("bad exact_below accepted: %v", err)
	}
}

func TestFPRKey(t *testing.T) {
	for f, want := range map[float64]string{1e-5: "0.00001", 1e-3: "0.001", 1e-2: "0.01", 1e-1: "0.1"} {
		if got := FPRKey(f); got != want {
			t.Errorf("FPRKey(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestScoreMatrix(t *testing.T) {
	got, err := ScoreMatrix([]TargetScores{{Scores: []float64{1, math.NaN()}}, {Scores: []float64{3, 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != 1 || !math.IsNaN(float64(got[1])) || got[2] != 3 || got[3] != 4 {
		t.Errorf("got %v", got)
	}
	if _, err := ScoreMatrix([]TargetScores{{Scores: []float64{1}}, {Scores: nil}}); !errors.Is(err, ErrShape) {
		t.Errorf("ragged: %v", err)
	}
}

// FuzzAUC checks the exact AUC against the pairwise count on arbitrary data
// with many ties.
func FuzzAUC(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6})
	f.Add([]byte{0, 0, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := make([]float64, len(data))
		m := make([]bool, len(data))
		for i, b := range data {
			s[i] = float64(b >> 4)
			m[i] = b&1 == 1
		}
		roc, err := ComputeROC(s, m)
		if err != nil {
			if !errors.Is(err, ErrEmptyClass) {
				t.Fatal(err)
			}
			return
		}
		if got, want := roc.AUC(), bruteAUC(s, m); math.Abs(got-want) > 1e-12 {
			t.Fatalf("AUC %v, pairwise %v", got, want)
		}
		last := roc.Points[len(roc.Points)-1]
		if last.FPR != 1 || last.TPR != 1 {
			t.Fatalf("last point %+v", last)
		}
	})
}
