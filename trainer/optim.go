package trainer

import (
	"fmt"
	"math"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// OptimizerKind names an optimiser.
type OptimizerKind string

// Supported optimisers.
const (
	SGD   OptimizerKind = "sgd"
	Adam  OptimizerKind = "adam"
	AdamW OptimizerKind = "adamw"
)

// OptimizerConfig configures an optimiser. Semantics follow PyTorch's
// torch.optim.SGD, Adam and AdamW (weight decay applies to every parameter,
// as with a single PyTorch parameter group).
type OptimizerConfig struct {
	Kind        OptimizerKind
	LR          float64
	Momentum    float64 // SGD
	Nesterov    bool    // SGD
	WeightDecay float64 // L2 for SGD/Adam, decoupled for AdamW
	Beta1       float64 // Adam/AdamW; 0.9 when zero
	Beta2       float64 // Adam/AdamW; 0.999 when zero
	Eps         float64 // Adam/AdamW; 1e-8 when zero
}

func (c OptimizerConfig) withDefaults() OptimizerConfig {
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	return c
}

func (c OptimizerConfig) validate() error {
	switch c.Kind {
	case SGD, Adam, AdamW:
	default:
		return fmt.Errorf("kind: unknown optimizer %q (want sgd, adam or adamw)", string(c.Kind))
	}
	if !(c.LR > 0) {
		return fmt.Errorf("lr: %v must be > 0", c.LR)
	}
	if c.Momentum < 0 || c.Momentum >= 1 {
		return fmt.Errorf("momentum: %v must be in [0, 1)", c.Momentum)
	}
	if c.Nesterov && (c.Kind != SGD || c.Momentum == 0) {
		return fmt.Errorf("nesterov: needs sgd with momentum > 0")
	}
	if c.WeightDecay < 0 {
		return fmt.Errorf("weight_decay: %v must be >= 0", c.WeightDecay)
	}
	if c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 {
		return fmt.Errorf("betas: (%v, %v) must be in [0, 1)", c.Beta1, c.Beta2)
	}
	return nil
}

// optimizer updates parameters from their gradients. Its state (one or two
// slots per parameter plus the step count) is part of a checkpoint.
type optimizer struct {
	cfg    OptimizerConfig
	params []*Param
	// slots[name][i] is state slot name for params[i]: "momentum_buffer"
	// for SGD, "exp_avg" and "exp_avg_sq" for Adam/AdamW.
	slots map[string][][]float32
	step  int64
}

func (o *optimizer) slotNames() []string {
	switch o.cfg.Kind {
	case SGD:
		if o.cfg.Momentum == 0 {
			return nil
		}
		return []string{"momentum_buffer"}
	default:
		return []string{"exp_avg", "exp_avg_sq"}
	}
}

func newOptimizer(cfg OptimizerConfig, params []*Param) (*optimizer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := &optimizer{cfg: cfg, params: params, slots: map[string][][]float32{}}
	for _, s := range o.slotNames() {
		bufs := make([][]float32, len(params))
		for i, p := range params {
			bufs[i] = make([]float32, len(p.W))
		}
		o.slots[s] = bufs
	}
	return o, nil
}

// update applies one step with learning rate lr.
func (o *optimizer) update(lr float64) {
	o.step++
	c := o.cfg
	switch c.Kind {
	case SGD:
		mu, wd, fl := float32(c.Momentum), float32(c.WeightDecay), float32(lr)
		for i, p := range o.params {
			var buf []float32
			if mu != 0 {
				buf = o.slots["momentum_buffer"][i]
			}
			for j, g := range p.G {
				d := g + wd*p.W[j]
				if buf != nil {
					b := mu*buf[j] + d
					buf[j] = b
					if c.Nesterov {
						d += mu * b
					} else {
						d = b
					}
				}
				p.W[j] -= fl * d
			}
		}
	case Adam, AdamW:
		b1, b2 := float32(c.Beta1), float32(c.Beta2)
		bc1 := 1 - math.Pow(c.Beta1, float64(o.step))
		bc2 := 1 - math.Pow(c.Beta2, float64(o.step))
		stepSize := float32(lr / bc1)
		invSqrtBC2 := float32(1 / math.Sqrt(bc2))
		eps := float32(c.Eps)
		wd := float32(c.WeightDecay)
		if c.Kind == AdamW {
			wd = 0
		}
		decay := float32(1 - lr*c.WeightDecay)
		ap := simd.AdamParams{WD: wd, B1: b1, C1: 1 - b1, B2: b2, C2: 1 - b2, InvSqrtBC2: invSqrtBC2, Eps: eps, StepSize: stepSize}
		ms, vs := o.slots["exp_avg"], o.slots["exp_avg_sq"]
		for i, p := range o.params {
			if c.Kind == AdamW && c.WeightDecay != 0 {
				for j := range p.W {
					p.W[j] *= decay
				}
			}
			simd.AdamStep(&ap, p.W, p.G, ms[i], vs[i])
		}
	}
}
