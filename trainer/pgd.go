package trainer

import (
	"context"
	"fmt"
	"math"
)

// InputGradient returns, for each of the n = len(y) examples in x (row
// major, n×input size), the gradient of that example's cross-entropy loss
// with label y[i] with respect to its input, computed in eval mode (running
// batch-norm statistics, no dropout). It also returns the per-example
// losses.
func InputGradient(ctx context.Context, m *Model, x []float32, y []int) (grad []float32, losses []float64, err error) {
	defer recoverInternal(&err)
	n := len(y)
	if len(x) != n*m.inDim {
		return nil, nil, fmt.Errorf("trainer: input gradient: x has %d values, want %d examples × %d", len(x), n, m.inDim)
	}
	for i, c := range y {
		if c < 0 || c >= m.Classes {
			return nil, nil, fmt.Errorf("trainer: input gradient: y[%d] = %d out of range [0, %d)", i, c, m.Classes)
		}
	}
	grad = make([]float32, len(x))
	losses = make([]float64, n)
	pass := &Pass{}
	C := m.Classes
	for lo := 0; lo < n; lo += m.MaxBatch {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("trainer: input gradient stopped at example %d: %w", lo, err)
		}
		hi := min(lo+m.MaxBatch, n)
		b := hi - lo
		xb := m.xbuf[:b*m.inDim]
		copy(xb, x[lo*m.inDim:hi*m.inDim])
		out := m.net.Forward(pass, xb, b)
		g := m.gbuf[:b*C]
		for k := 0; k < b; k++ {
			// The per-example loss gradient: the batch mean's times b.
			l, _ := SoftmaxCrossEntropy(out[k*C:(k+1)*C], y[lo+k:lo+k+1], 1, C, 0, g[k*C:(k+1)*C])
			losses[lo+k] = l
		}
		dx := m.net.Backward(pass, g, b, true)
		copy(grad[lo*m.inDim:hi*m.inDim], dx)
	}
	return grad, losses, nil
}

// PGDConfig configures projected gradient descent under an L∞ budget.
type PGDConfig struct {
	// Epsilon is the L∞ radius around the clean input.
	Epsilon float32
	// StepSize is the signed-gradient step α.
	StepSize float32
	// Steps is the number of iterations.
	Steps int
	// RandomStart starts from a uniform point of the ε-ball.
	RandomStart bool
	// Targeted makes labels the target classes and descends their loss;
	// otherwise labels are the true classes and their loss is ascended.
	Targeted bool
	// Min and Max bound valid inputs; both zero means [0, 1].
	Min, Max float32
	// Seed seeds the random start (per-example, order independent).
	Seed uint64
}

// PGD returns adversarial examples for the n = len(labels) inputs x (Madry
// et al. 2018): x' ← clip_{[x−ε, x+ε] ∩ [Min, Max]}(x' ± α·sign(∇ₓ loss)),
// with the gradient taken in eval mode.
func PGD(ctx context.Context, m *Model, x []float32, labels []int, cfg PGDConfig) ([]float32, error) {
	if !(cfg.Epsilon >= 0) || !(cfg.StepSize > 0) || cfg.Steps <= 0 {
		return nil, fmt.Errorf("trainer: pgd: need epsilon >= 0, step_size > 0 and steps > 0 (got %v, %v, %d)", cfg.Epsilon, cfg.StepSize, cfg.Steps)
	}
	lo, hi := cfg.Min, cfg.Max
	if lo == 0 && hi == 0 {
		hi = 1
	}
	if !(lo < hi) {
		return nil, fmt.Errorf("trainer: pgd: valid range [%v, %v] is empty", lo, hi)
	}
	if len(x) != len(labels)*m.inDim {
		return nil, fmt.Errorf("trainer: pgd: x has %d values, want %d examples × %d", len(x), len(labels), m.inDim)
	}
	adv := make([]float32, len(x))
	copy(adv, x)
	project := func(i int, v float32) float32 {
		v = min(max(v, x[i]-cfg.Epsilon), x[i]+cfg.Epsilon)
		return min(max(v, lo), hi)
	}
	if cfg.RandomStart {
		for e := 0; e < len(labels); e++ {
			r := newExampleRand(cfg.Seed, streamPGD, 0, e)
			for j := e * m.inDim; j < (e+1)*m.inDim; j++ {
				u := float32(r.next()>>40) / (1 << 24) // [0, 1)
				adv[j] = project(j, x[j]+(2*u-1)*cfg.Epsilon)
			}
		}
	}
	sign := float32(1)
	if cfg.Targeted {
		sign = -1
	}
	for s := 0; s < cfg.Steps; s++ {
		g, _, err := InputGradient(ctx, m, adv, labels)
		if err != nil {
			return nil, fmt.Errorf("trainer: pgd step %d: %w", s, err)
		}
		for j, gj := range g {
			var d float32
			switch {
			case gj > 0:
				d = 1
			case gj < 0:
				d = -1
			case math.IsNaN(float64(gj)):
				return nil, fmt.Errorf("trainer: pgd step %d: NaN gradient at value %d", s, j)
			}
			adv[j] = project(j, adv[j]+sign*cfg.StepSize*d)
		}
	}
	return adv, nil
}
