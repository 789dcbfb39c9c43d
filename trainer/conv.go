package trainer

import (
	"fmt"

	"github.com/umbra-ml/umbra/trainer/kernels"
)

// internalError is the panic value a layer raises when a kernel rejects
// buffers the layer sized itself: a bug, not bad input. Model methods
// recover it and return it as an error.
type internalError struct{ err error }

func must(err error) {
	if err != nil {
		panic(internalError{err})
	}
}

// Conv2D is a 2-D convolution over CHW inputs with a [Out, C, K, K] weight
// (PyTorch's Conv2d layout), stride Stride and zero padding Pad.
type Conv2D struct {
	Out, Kernel, Stride, Pad int
	NoBias                   bool

	s       kernels.Conv2DShape
	w, b    *Param
	x       []float32
	y, dx   []float32
	scratch []float32
	inLen   int
	outLen  int
}

// NewConv2D returns a convolution with out channels, a k×k kernel, the given
// stride and padding.
func NewConv2D(out, k, stride, pad int, noBias bool) *Conv2D {
	return &Conv2D{Out: out, Kernel: k, Stride: stride, Pad: pad, NoBias: noBias}
}

func chw(in []int, what string) (c, h, w int, err error) {
	if len(in) != 3 {
		return 0, 0, 0, fmt.Errorf("%s: input shape %v, want [C, H, W]", what, in)
	}
	return in[0], in[1], in[2], nil
}

// Build validates the geometry and allocates weights and buffers.
func (l *Conv2D) Build(b *BuildContext, prefix string, in []int) ([]int, error) {
	c, h, w, err := chw(in, "conv2d")
	if err != nil {
		return nil, err
	}
	if l.Stride == 0 {
		l.Stride = 1
	}
	l.s = kernels.Conv2DShape{N: 1, C: c, H: h, W: w, K: l.Out, KH: l.Kernel, KW: l.Kernel,
		StrideH: l.Stride, StrideW: l.Stride, PadH: l.Pad, PadW: l.Pad}
	if err := l.s.Validate(); err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	fanIn := c * l.Kernel * l.Kernel
	l.w = newParam(prefix+"weight", l.Out, c, l.Kernel, l.Kernel)
	initWeights(l.w.W, fanIn, l.Out*l.Kernel*l.Kernel, b.Init, b.Rng)
	if !l.NoBias {
		l.b = newParam(prefix+"bias", l.Out)
		initBias(l.b.W, fanIn, b.Rng)
	}
	l.inLen, l.outLen = l.s.InLen(), l.s.OutLen()
	l.y = make([]float32, b.MaxBatch*l.outLen)
	l.dx = make([]float32, b.MaxBatch*l.inLen)
	l.scratch = make([]float32, l.s.ScratchLen())
	return []int{l.Out, l.s.OutH(), l.s.OutW()}, nil
}

func (l *Conv2D) shape(n int) kernels.Conv2DShape { s := l.s; s.N = n; return s }

func (l *Conv2D) bias() []float32 {
	if l.b == nil {
		return nil
	}
	return l.b.W
}

// Forward convolves the batch.
func (l *Conv2D) Forward(_ *Pass, x []float32, n int) []float32 {
	l.x = x
	y := l.y[:n*l.outLen]
	must(kernels.Conv2DForward(l.shape(n), y, x, l.w.W, l.bias(), l.scratch))
	return y
}

// Backward computes the weight, bias and (if needed) input gradients.
func (l *Conv2D) Backward(_ *Pass, dy []float32, n int, needDX bool) []float32 {
	clear(l.w.G)
	var db, dx []float32
	if l.b != nil {
		db = l.b.G
		clear(db)
	}
	if needDX {
		dx = l.dx[:n*l.inLen]
		clear(dx)
	}
	must(kernels.Conv2DBackward(l.shape(n), dx, l.w.G, db, dy, l.x, l.w.W, l.scratch))
	return dx
}

// Params returns the weight and, if present, the bias.
func (l *Conv2D) Params() []*Param {
	if l.b == nil {
		return []*Param{l.w}
	}
	return []*Param{l.w, l.b}
}

// Buffers returns nil.
func (l *Conv2D) Buffers() []*Buffer { return nil }

// PoolKind names a pooling operation.
type PoolKind string

// Pooling kinds.
const (
	MaxPool PoolKind = "max"
	AvgPool PoolKind = "avg"
)

// Pool2D is max or average pooling with a square window (PyTorch's
// MaxPool2d/AvgPool2d; average pooling counts padding as zeros,
// count_include_pad=True). Stride 0 means the window size.
type Pool2D struct {
	Kind                PoolKind
	Kernel, Stride, Pad int

	s      kernels.Pool2DShape
	inLen  int
	outLen int
	argmax []int32
	y, dx  []float32
}

// NewMaxPool2D returns k×k max pooling with stride k.
func NewMaxPool2D(k int) *Pool2D { return &Pool2D{Kind: MaxPool, Kernel: k} }

// NewAvgPool2D returns k×k average pooling with stride k.
func NewAvgPool2D(k int) *Pool2D { return &Pool2D{Kind: AvgPool, Kernel: k} }

// Build validates the geometry and allocates buffers.
func (l *Pool2D) Build(b *BuildContext, _ string, in []int) ([]int, error) {
	c, h, w, err := chw(in, "pool2d")
	if err != nil {
		return nil, err
	}
	if l.Kind != MaxPool && l.Kind != AvgPool {
		return nil, fmt.Errorf("pool2d: unknown kind %q (want max or avg)", string(l.Kind))
	}
	if l.Stride == 0 {
		l.Stride = l.Kernel
	}
	l.s = kernels.Pool2DShape{N: 1, C: c, H: h, W: w, KH: l.Kernel, KW: l.Kernel,
		StrideH: l.Stride, StrideW: l.Stride, PadH: l.Pad, PadW: l.Pad}
	if err := l.s.Validate(); err != nil {
		return nil, fmt.Errorf("pool2d: %w", err)
	}
	l.inLen, l.outLen = l.s.InLen(), l.s.OutLen()
	l.y = make([]float32, b.MaxBatch*l.outLen)
	l.dx = make([]float32, b.MaxBatch*l.inLen)
	if l.Kind == MaxPool {
		l.argmax = make([]int32, b.MaxBatch*l.outLen)
	}
	return []int{c, l.s.OutH(), l.s.OutW()}, nil
}

// Forward pools the batch.
func (l *Pool2D) Forward(_ *Pass, x []float32, n int) []float32 {
	s := l.s
	s.N = n
	y := l.y[:n*l.outLen]
	if l.Kind == MaxPool {
		must(kernels.MaxPool2DForward(s, y, l.argmax[:n*l.outLen], x))
	} else {
		must(kernels.AvgPool2DForward(s, y, x))
	}
	return y
}

// Backward routes dy back to the inputs.
func (l *Pool2D) Backward(_ *Pass, dy []float32, n int, needDX bool) []float32 {
	if !needDX {
		return nil
	}
	s := l.s
	s.N = n
	dx := l.dx[:n*l.inLen]
	clear(dx)
	if l.Kind == MaxPool {
		must(kernels.MaxPool2DBackward(s, dx, dy, l.argmax[:n*l.outLen]))
	} else {
		must(kernels.AvgPool2DBackward(s, dx, dy))
	}
	return dx
}

// Params returns nil.
func (l *Pool2D) Params() []*Param { return nil }

// Buffers returns nil.
func (l *Pool2D) Buffers() []*Buffer { return nil }

// GlobalAvgPool averages each channel over its spatial positions: CHW → C.
type GlobalAvgPool struct {
	c, hw int
	y, dx []float32
}

// Build allocates buffers.
func (l *GlobalAvgPool) Build(b *BuildContext, _ string, in []int) ([]int, error) {
	c, h, w, err := chw(in, "global_avg_pool")
	if err != nil {
		return nil, err
	}
	l.c, l.hw = c, h*w
	l.y = make([]float32, b.MaxBatch*c)
	l.dx = make([]float32, b.MaxBatch*c*h*w)
	return []int{c}, nil
}

// Forward averages.
func (l *GlobalAvgPool) Forward(_ *Pass, x []float32, n int) []float32 {
	y := l.y[:n*l.c]
	must(kernels.GlobalAvgPoolForward(n, l.c, l.hw, y, x))
	return y
}

// Backward spreads dy evenly.
func (l *GlobalAvgPool) Backward(_ *Pass, dy []float32, n int, needDX bool) []float32 {
	if !needDX {
		return nil
	}
	dx := l.dx[:n*l.c*l.hw]
	clear(dx)
	must(kernels.GlobalAvgPoolBackward(n, l.c, l.hw, dx, dy))
	return dx
}

// Params returns nil.
func (l *GlobalAvgPool) Params() []*Param { return nil }

// Buffers returns nil.
func (l *GlobalAvgPool) Buffers() []*Buffer { return nil }
