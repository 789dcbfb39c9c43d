package attacks

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLogitScaledConfidence(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := range 200 {
		c := 2 + rng.IntN(10)
		z := make([]float64, c)
		for i := range z {
			z[i] = 5 * rng.NormFloat64()
		}
		y := rng.IntN(c)
		// Naive: softmax, then log(p/(1−p)).
		var sum float64
		for _, v := range z {
			sum += math.Exp(v)
		}
		p := math.Exp(z[y]) / sum
		naive := math.Log(p / (1 - p))
		got, err := LogitScaledConfidence(z, y)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-naive) > 1e-9*math.Max(1, math.Abs(naive)) {
			t.Errorf("trial %d: φ = %v, naive %v", trial, got, naive)
		}
		prob, _ := TrueClassProb(z, y)
		if math.Abs(prob-p) > 1e-12 {
			t.Errorf("trial %d: p = %v, naive %v", trial, prob, p)
		}
		if loss := LossFromPhi(got); math.Abs(loss+math.Log(p)) > 1e-9*math.Max(1, -math.Log(p)) {
			t.Errorf("trial %d: loss %v, naive %v", trial, loss, -math.Log(p))
		}
	}
}

func TestLogitScaledConfidenceHuge(t *testing.T) {
	tests := []struct {
		logits []float32
		label  int
		phi    float64
		prob   float64
	}{
		{[]float32{1e4, -1e4, 0}, 0, 1e4, 1},
		{[]float32{1e4, -1e4, 0}, 1, -2e4, 0},
		{[]float32{3e38, -3e38}, 0, 2 * float64(float32(3e38)), 1}, // difference overflows float32 but not float64
		{[]float32{1000, 1000}, 0, 0, 0.5},
		{[]float32{800, 800, 800, 800}, 2, -math.Log(3), 0.25},
	}
	for _, tc := range tests {
		phi, err := LogitScaledConfidence(tc.logits, tc.label)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(phi-tc.phi) > 1e-12*math.Max(1, math.Abs(tc.phi)) {
			t.Errorf("φ(%v, %d) = %v, want %v", tc.logits, tc.label, phi, tc.phi)
		}
		if p := ProbFromPhi(phi); math.Abs(p-tc.prob) > 1e-15 {
			t.Errorf("p(%v, %d) = %v, want %v", tc.logits, tc.label, p, tc.prob)
		}
	}
	if got := LogProbFromPhi(-2e4); got != -2e4 {
		t.Errorf("log p at φ=−2e4 = %v, want −2e4", got)
	}
	if got := LossFromPhi(1e4); got != 0 || LossFromPhi(-1e4) != 1e4 {
		t.Errorf("loss at φ=±1e4: %v, %v", got, LossFromPhi(-1e4))
	}
}

func TestLogitErrors(t *testing.T) {
	if _, err := LogitScaledConfidence([]float32{1}, 0); !errors.Is(err, ErrShape) {
		t.Errorf("one class: %v", err)
	}
	if _, err := LogitScaledConfidence([]float32{1, 2}, 2); !errors.Is(err, ErrShape) {
		t.Errorf("bad label: %v", err)
	}
	if _, err := LogitScaledConfidence([]float64{1, math.Inf(1)}, 0); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "class 1") {
		t.Errorf("Inf logit: %v", err)
	}
	s, _ := NewScores(2, 2, 2)
	logits := []float32{0, 1, 2, 0, 1, 1, float32(math.NaN()), 0} // N=2, A=2, C=2
	err := s.SetModelFromLogits(1, logits, 2, []int{0, 1})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "example 1, augmentation 1") {
		t.Errorf("NaN logit: %v", err)
	}
	if err := s.SetModelFromLogits(1, logits[:6], 2, []int{0, 1}); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "model 1") {
		t.Errorf("short logits: %v", err)
	}
	if err := s.SetModelFromLogits(2, logits, 2, []int{0, 1}); !errors.Is(err, ErrShape) {
		t.Errorf("bad model: %v", err)
	}
	if err := s.SetModelFromLogits(0, []float32{3e38, -3e38, 0, 0, 0, 0, 0, 0}, 2, []int{0, 0}); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "overflows float32") {
		t.Errorf("φ overflow: %v", err)
	}
}

func TestSetModelFromLogits(t *testing.T) {
	s, _ := NewScores(2, 2, 2)
	// Model 1, N=2, A=2, C=3.
	logits := []float32{
		2, 0, 0, 1, 1, 1, // example 0 (label 0): aug 0, aug 1
		0, 0, 5, 0, 3, 0, // example 1 (label 2)
	}
	if err := s.SetModelFromLogits(1, logits, 3, []int{0, 2}); err != nil {
		t.Fatal(err)
	}
	want := []float64{2 - math.Log(2), -math.Log(2), 5 - math.Log(2), -math.Log(1 + math.Exp(3))}
	for i, w := range want {
		if got := float64(s.Phi[4+i]); math.Abs(got-w) > 1e-6 {
			t.Errorf("φ[1][%d] = %v, want %v", i, got, w)
		}
	}
	for i := range 4 {
		if s.Phi[i] != 0 {
			t.Errorf("model 0 touched: %v", s.Phi[:4])
		}
	}
	probs := make([]float64, 4)
	if err := TrueClassProbsFromLogits(probs, logits, 2, 2, 3, []int{0, 2}); err != nil {
		t.Fatal(err)
	}
	e2 := math.Exp(2)
	wantP := []float64{e2 / (e2 + 2), 1.0 / 3, math.Exp(5) / (math.Exp(5) + 2), 1 / (2 + math.Exp(3))}
	for i, w := range wantP {
		if math.Abs(probs[i]-w) > 1e-15 {
			t.Errorf("p[%d] = %v, want %v", i, probs[i], w)
		}
	}
	if s.At(1, 1, 0) != s.Phi[6] {
		t.Errorf("At(1,1,0) = %v, want %v", s.At(1, 1, 0), s.Phi[6])
	}
}

func TestScoresValidate(t *testing.T) {
	s, _ := NewScores(2, 3, 2)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Phi[(1*3+2)*2+1] = float32(math.Inf(-1))
	if err := s.Validate(); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "model 1, example 2, augmentation 1 is -Inf") {
		t.Errorf("err = %v", err)
	}
	s.Phi = s.Phi[:5]
	if err := s.Validate(); !errors.Is(err, ErrShape) {
		t.Errorf("short: %v", err)
	}
	if _, err := NewScores(0, 1, 1); !errors.Is(err, ErrShape) {
		t.Errorf("M=0: %v", err)
	}
}

func TestBaselines(t *testing.T) {
	s, _ := NewScores(2, 2, 2)
	copy(s.Phi, []float32{0, 0, 1, 3, 2, -2, 0, 0})
	loss, err := BaselineScores(s, []int{1, 0}, BaselineLoss)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := BaselineScores(s, []int{1, 0}, BaselineConfidence)
	if err != nil {
		t.Fatal(err)
	}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	sp := func(x float64) float64 { return math.Log(1 + math.Exp(x)) }
	checkScores(t, loss[0].Scores, []float64{-(sp(-2) + sp(2)) / 2, -math.Ln2}, 1e-15)
	checkScores(t, loss[1].Scores, []float64{-math.Ln2, -(sp(-1) + sp(-3)) / 2}, 1e-15)
	checkScores(t, conf[0].Scores, []float64{0.5, 0.5}, 1e-15)
	checkScores(t, conf[1].Scores, []float64{0.5, (sig(1) + sig(3)) / 2}, 1e-15)
	if loss[0].Target != 1 || conf[1].Target != 0 {
		t.Errorf("targets out of order")
	}
	s.Phi[5] = float32(math.NaN())
	if _, err := BaselineScores(s, []int{1}, BaselineLoss); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "model 1, example 0, augmentation 1") {
		t.Errorf("NaN: %v", err)
	}
	if _, err := BaselineScores(s, []int{0}, Baseline(7)); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown baseline: %v", err)
	}
}
