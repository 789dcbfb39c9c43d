package trainer

import (
	"math"
	"testing"
)

// TestOptimizerSteps checks two steps of each optimiser on a single weight
// w0 = 1 with gradients 0.5 then -0.25 against hand-computed values.
func TestOptimizerSteps(t *testing.T) {
	t.Parallel()
	const lr = 0.1
	adam := func(decoupled bool, wd float64) float64 {
		// Hand-rolled Adam in float64 for the two steps.
		w, m, v := 1.0, 0.0, 0.0
		for k, g := range []float64{0.5, -0.25} {
			step := float64(k + 1)
			if decoupled {
				w *= 1 - lr*wd
			} else {
				g += wd * w
			}
			m = 0.9*m + 0.1*g
			v = 0.999*v + 0.001*g*g
			mh := m / (1 - math.Pow(0.9, step))
			vh := v / (1 - math.Pow(0.999, step))
			w -= lr * mh / (math.Sqrt(vh) + 1e-8)
		}
		return w
	}
	cases := []struct {
		name string
		cfg  OptimizerConfig
		want float64
	}{
		// w1 = 1 - 0.1·0.5 = 0.95; w2 = 0.95 + 0.025 = 0.975.
		{"sgd", OptimizerConfig{Kind: SGD, LR: lr}, 0.975},
		// d1 = 0.5+0.1 = 0.6, w1 = 0.94; d2 = -0.25+0.094 = -0.156, w2 = 0.9556.
		{"sgd_wd", OptimizerConfig{Kind: SGD, LR: lr, WeightDecay: 0.1}, 0.9556},
		// b1 = 0.5, w1 = 0.95; b2 = 0.45-0.25 = 0.2, w2 = 0.93.
		{"sgd_momentum", OptimizerConfig{Kind: SGD, LR: lr, Momentum: 0.9}, 0.93},
		// b1 = 0.5, d1 = 0.5+0.45 = 0.95, w1 = 0.905; b2 = 0.2, d2 = -0.25+0.18 = -0.07, w2 = 0.912.
		{"sgd_nesterov", OptimizerConfig{Kind: SGD, LR: lr, Momentum: 0.9, Nesterov: true}, 0.912},
		{"adam", OptimizerConfig{Kind: Adam, LR: lr}, adam(false, 0)},
		{"adam_wd", OptimizerConfig{Kind: Adam, LR: lr, WeightDecay: 0.1}, adam(false, 0.1)},
		{"adamw", OptimizerConfig{Kind: AdamW, LR: lr, WeightDecay: 0.1}, adam(true, 0.1)},
	}
	for _, c := range cases {
		p := newParam("w", 1)
		p.W[0] = 1
		o, err := newOptimizer(c.cfg, []*Param{p})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, g := range []float32{0.5, -0.25} {
			p.G[0] = g
			o.update(lr)
		}
		if math.Abs(float64(p.W[0])-c.want) > 1e-6 {
			t.Errorf("%s: w = %v, want %v", c.name, p.W[0], c.want)
		}
		if o.step != 2 {
			t.Errorf("%s: step = %d, want 2", c.name, o.step)
		}
	}
}

func TestScheduleLR(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                        string
		s                           Schedule
		epoch, batch, steps, epochs int
		want                        float64
	}{
		{"constant", Schedule{}, 3, 1, 10, 5, 0.1},
		{"step_before", Schedule{Kind: Step, StepEpochs: 2, Gamma: 0.5}, 1, 9, 10, 6, 0.1},
		{"step_after_one", Schedule{Kind: Step, StepEpochs: 2, Gamma: 0.5}, 2, 0, 10, 6, 0.05},
		{"step_after_two_default_gamma", Schedule{Kind: Step, StepEpochs: 2}, 5, 0, 10, 6, 0.001},
		// Warm-up over 1 epoch of 10 steps: step t has lr·(t+1)/10.
		{"cosine_warmup_first", Schedule{Kind: Cosine, WarmupEpochs: 1}, 0, 0, 10, 3, 0.01},
		{"cosine_warmup_mid", Schedule{Kind: Cosine, WarmupEpochs: 1}, 0, 4, 10, 3, 0.05},
		// After warm-up: t = 10 of 30 is the start of the cosine: lr.
		{"cosine_start", Schedule{Kind: Cosine, WarmupEpochs: 1}, 1, 0, 10, 3, 0.1},
		// Half-way (t = 20, span 20, frac 1/2): (lr+min)/2.
		{"cosine_half", Schedule{Kind: Cosine, WarmupEpochs: 1, MinLR: 0.02}, 2, 0, 10, 3, 0.06},
	}
	for _, c := range cases {
		got := c.s.LR(0.1, c.epoch, c.batch, c.steps, c.epochs)
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: lr = %v, want %v", c.name, got, c.want)
		}
	}
}
