package trainer

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Param is a trainable parameter with its gradient. W and G have the same
// length; Shape follows PyTorch's layout (Dense: [out, in]; Conv2D:
// [out, in, kh, kw]).
type Param struct {
	// Name is the PyTorch-like state-dict name, e.g. "layers.0.weight".
	Name  string
	Shape []int
	W     []float32
	// G holds the gradient of the last backward pass. Layers overwrite it
	// (each parameter is used once per pass), so it needs no zeroing.
	G []float32
}

// Buffer is non-trainable model state saved with the weights, such as a
// batch-norm layer's running statistics.
type Buffer struct {
	Name  string
	Shape []int
	Data  []float32
}

// BuildContext carries what layers need while they are sized and initialised.
type BuildContext struct {
	// MaxBatch is the largest batch the layer must handle.
	MaxBatch int
	// Rng is the model's initialisation stream.
	Rng *rand.Rand
	// Init names the weight initialisation scheme (see InitScheme).
	Init InitScheme
}

// Pass carries per-pass state through Forward and Backward.
type Pass struct {
	// Train selects training behaviour (dropout active, batch statistics).
	Train bool
	// Dropout is the dropout random stream; used only when Train is set.
	Dropout *rand.Rand
}

// Layer is a node of a model's layer graph. Activations are row-major
// float32 batches: n examples of the per-example shape given to Build.
//
// Forward returns a buffer owned by the layer (valid until its next
// Forward); it may keep x for the backward pass, so callers must not
// overwrite x before Backward. Backward takes the gradient of the loss with
// respect to the output, stores parameter gradients in Param.G and, when
// needDX is set, returns the gradient with respect to the input (again a
// buffer owned by the layer). Buffers are allocated once in Build for
// BuildContext.MaxBatch examples, so a steady-state training step allocates
// nothing.
type Layer interface {
	Build(b *BuildContext, prefix string, in []int) (out []int, err error)
	Forward(p *Pass, x []float32, n int) []float32
	Backward(p *Pass, dy []float32, n int, needDX bool) []float32
	Params() []*Param
	Buffers() []*Buffer
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

func newParam(name string, shape ...int) *Param {
	n := prod(shape)
	return &Param{Name: name, Shape: shape, W: make([]float32, n), G: make([]float32, n)}
}

// Sequential chains layers; its children are named <prefix><Name>.<i>.
type Sequential struct {
	// Name is the state-dict component for the children ("layers" at the
	// top of a model, "body" and "shortcut" inside residual blocks).
	Name   string
	Layers []Layer
	dims   []int // per-example input size of each layer, then the output size
}

// NewSequential returns a Sequential named name over layers.
func NewSequential(name string, layers ...Layer) *Sequential {
	return &Sequential{Name: name, Layers: layers}
}

// Build builds every child in turn.
func (s *Sequential) Build(b *BuildContext, prefix string, in []int) ([]int, error) {
	s.dims = s.dims[:0]
	shape := append([]int(nil), in...)
	for i, l := range s.Layers {
		s.dims = append(s.dims, prod(shape))
		p := prefix + s.Name + "." + strconv.Itoa(i) + "."
		out, err := l.Build(b, p, shape)
		if err != nil {
			return nil, fmt.Errorf("%s%s.%d: %w", prefix, s.Name, i, err)
		}
		shape = out
	}
	s.dims = append(s.dims, prod(shape))
	return shape, nil
}

// Forward runs the children in order.
func (s *Sequential) Forward(p *Pass, x []float32, n int) []float32 {
	for _, l := range s.Layers {
		x = l.Forward(p, x, n)
	}
	return x
}

// Backward runs the children in reverse order.
func (s *Sequential) Backward(p *Pass, dy []float32, n int, needDX bool) []float32 {
	for i := len(s.Layers) - 1; i >= 0; i-- {
		dy = s.Layers[i].Backward(p, dy, n, needDX || i > 0)
	}
	return dy
}

// Params returns the children's parameters in order.
func (s *Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Buffers returns the children's buffers in order.
func (s *Sequential) Buffers() []*Buffer {
	var bs []*Buffer
	for _, l := range s.Layers {
		bs = append(bs, l.Buffers()...)
	}
	return bs
}
