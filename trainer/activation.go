package trainer

import (
	"fmt"
	"math"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// ActivationKind names an element-wise nonlinearity.
type ActivationKind string

// Supported activations.
const (
	ReLU      ActivationKind = "relu"
	LeakyReLU ActivationKind = "leaky_relu"
	Tanh      ActivationKind = "tanh"
	Sigmoid   ActivationKind = "sigmoid"
	SiLU      ActivationKind = "silu"
)

func (k ActivationKind) validate() error {
	switch k {
	case ReLU, LeakyReLU, Tanh, Sigmoid, SiLU:
		return nil
	}
	return fmt.Errorf("unknown activation %q (want relu, leaky_relu, tanh, sigmoid or silu)", string(k))
}

// Activation applies an element-wise nonlinearity. Slope is LeakyReLU's
// negative slope (PyTorch's default 0.01 when zero).
type Activation struct {
	Kind  ActivationKind
	Slope float32

	x, y, dx []float32
}

// NewActivation returns an activation layer of the given kind.
func NewActivation(kind ActivationKind) *Activation { return &Activation{Kind: kind} }

// Build allocates the buffers; the shape is unchanged.
func (a *Activation) Build(b *BuildContext, _ string, in []int) ([]int, error) {
	if err := a.Kind.validate(); err != nil {
		return nil, err
	}
	if a.Kind == LeakyReLU && a.Slope == 0 {
		a.Slope = 0.01
	}
	d := prod(in)
	a.y = make([]float32, b.MaxBatch*d)
	a.dx = make([]float32, b.MaxBatch*d)
	return append([]int(nil), in...), nil
}

func sigmoid32(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}

// Forward applies the nonlinearity.
func (a *Activation) Forward(_ *Pass, x []float32, n int) []float32 {
	y := a.y[:len(x)]
	a.x = x
	switch a.Kind {
	case ReLU:
		simd.ReLU(y, x) // NaN stays NaN, as in PyTorch
	case LeakyReLU:
		s := a.Slope
		for i, v := range x {
			if v < 0 {
				v *= s
			}
			y[i] = v
		}
	case Tanh:
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case Sigmoid:
		for i, v := range x {
			y[i] = sigmoid32(v)
		}
	case SiLU:
		for i, v := range x {
			y[i] = v * sigmoid32(v)
		}
	}
	return y
}

// Backward multiplies dy by the derivative.
func (a *Activation) Backward(_ *Pass, dy []float32, n int, needDX bool) []float32 {
	if !needDX {
		return nil
	}
	dx := a.dx[:len(dy)]
	x, y := a.x, a.y
	switch a.Kind {
	case ReLU:
		simd.ReLUBackward(dx, dy, x)
	case LeakyReLU:
		s := a.Slope
		for i, v := range x[:len(dy)] {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = s * dy[i]
			}
		}
	case Tanh:
		for i, v := range y[:len(dy)] {
			dx[i] = dy[i] * (1 - v*v)
		}
	case Sigmoid:
		for i, v := range y[:len(dy)] {
			dx[i] = dy[i] * v * (1 - v)
		}
	case SiLU:
		for i, v := range x[:len(dy)] {
			s := sigmoid32(v)
			dx[i] = dy[i] * s * (1 + v*(1-s))
		}
	}
	return dx
}

// Params returns nil.
func (a *Activation) Params() []*Param { return nil }

// Buffers returns nil.
func (a *Activation) Buffers() []*Buffer { return nil }

// Flatten reshapes each example to a vector. It does not copy.
type Flatten struct{}

// Build returns the flattened shape.
func (Flatten) Build(_ *BuildContext, _ string, in []int) ([]int, error) {
	return []int{prod(in)}, nil
}

// Forward returns x unchanged.
func (Flatten) Forward(_ *Pass, x []float32, _ int) []float32 { return x }

// Backward returns dy unchanged.
func (Flatten) Backward(_ *Pass, dy []float32, _ int, needDX bool) []float32 {
	if !needDX {
		return nil
	}
	return dy
}

// Params returns nil.
func (Flatten) Params() []*Param { return nil }

// Buffers returns nil.
func (Flatten) Buffers() []*Buffer { return nil }

// Dropout zeroes each element with probability P during training and scales
// the survivors by 1/(1-P) (inverted dropout); it is the identity in eval.
type Dropout struct {
	P float64

	mask, y, dx []float32
}

// NewDropout returns a dropout layer with drop probability p.
func NewDropout(p float64) *Dropout { return &Dropout{P: p} }

// Build allocates the mask and buffers.
func (d *Dropout) Build(b *BuildContext, _ string, in []int) ([]int, error) {
	if d.P < 0 || d.P >= 1 || math.IsNaN(d.P) {
		return nil, fmt.Errorf("dropout: probability %v must be in [0, 1)", d.P)
	}
	n := b.MaxBatch * prod(in)
	d.mask = make([]float32, n)
	d.y = make([]float32, n)
	d.dx = make([]float32, n)
	return append([]int(nil), in...), nil
}

func (d *Dropout) active(p *Pass) bool { return p.Train && d.P > 0 }

// Forward draws a fresh mask from the pass's dropout stream in training.
func (d *Dropout) Forward(p *Pass, x []float32, _ int) []float32 {
	if !d.active(p) {
		return x
	}
	// Compare 32-bit uniforms against a threshold: two draws per Uint64.
	thr := uint32(d.P * (1 << 32))
	scale := float32(1 / (1 - d.P))
	m, y := d.mask[:len(x)], d.y[:len(x)]
	for i := 0; i < len(x); i += 2 {
		r := p.Dropout.Uint64()
		for j, u := range [2]uint32{uint32(r), uint32(r >> 32)} {
			k := i + j
			if k >= len(x) {
				break
			}
			if u < thr {
				m[k] = 0
			} else {
				m[k] = scale
			}
			y[k] = x[k] * m[k]
		}
	}
	return y
}

// Backward applies the same mask to dy.
func (d *Dropout) Backward(p *Pass, dy []float32, _ int, needDX bool) []float32 {
	if !needDX {
		return nil
	}
	if !d.active(p) {
		return dy
	}
	dx := d.dx[:len(dy)]
	for i, v := range dy {
		dx[i] = v * d.mask[i]
	}
	return dx
}

// Params returns nil.
func (d *Dropout) Params() []*Param { return nil }

// Buffers returns nil.
func (d *Dropout) Buffers() []*Buffer { return nil }
