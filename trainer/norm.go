package trainer

import (
	"fmt"

	"github.com/umbra-ml/umbra/trainer/kernels"
)

// BatchNorm normalises each channel (CHW inputs) or feature ([F] inputs)
// with batch statistics in training and running statistics in eval, then
// applies a learnt per-channel affine transform, as PyTorch's
// BatchNorm2d/BatchNorm1d (momentum 0.1, eps 1e-5). Its running mean and
// variance are buffers named running_mean and running_var.
type BatchNorm struct {
	Momentum, Eps float32

	c, hw             int
	gamma, beta       *Param
	runMean, runVar   *Buffer
	saveMean, saveInv []float32
	x, y, dx          []float32
	train             bool
}

// NewBatchNorm returns a batch-norm layer with PyTorch's defaults.
func NewBatchNorm() *BatchNorm { return &BatchNorm{Momentum: 0.1, Eps: 1e-5} }

func channels(in []int, what string) (c, hw int, err error) {
	switch len(in) {
	case 1:
		return in[0], 1, nil
	case 3:
		return in[0], in[1] * in[2], nil
	}
	return 0, 0, fmt.Errorf("%s: input shape %v, want [C, H, W] or [F]", what, in)
}

// Build allocates parameters (gamma = 1, beta = 0), running statistics
// (mean 0, variance 1) and buffers.
func (l *BatchNorm) Build(b *BuildContext, prefix string, in []int) ([]int, error) {
	c, hw, err := channels(in, "batchnorm")
	if err != nil {
		return nil, err
	}
	l.c, l.hw = c, hw
	l.gamma = newParam(prefix+"weight", c)
	l.beta = newParam(prefix+"bias", c)
	for i := range l.gamma.W {
		l.gamma.W[i] = 1
	}
	l.runMean = &Buffer{Name: prefix + "running_mean", Shape: []int{c}, Data: make([]float32, c)}
	l.runVar = &Buffer{Name: prefix + "running_var", Shape: []int{c}, Data: make([]float32, c)}
	for i := range l.runVar.Data {
		l.runVar.Data[i] = 1
	}
	l.saveMean = make([]float32, c)
	l.saveInv = make([]float32, c)
	n := b.MaxBatch * c * hw
	l.y = make([]float32, n)
	l.dx = make([]float32, n)
	return append([]int(nil), in...), nil
}

// Forward normalises with batch statistics (updating the running ones) in
// training, with running statistics in eval.
func (l *BatchNorm) Forward(p *Pass, x []float32, n int) []float32 {
	s := kernels.NormShape{N: n, C: l.c, HW: l.hw}
	y := l.y[:s.Len()]
	l.x, l.train = x, p.Train
	if p.Train {
		must(kernels.BatchNormTrainForward(s, y, x, l.gamma.W, l.beta.W, l.runMean.Data, l.runVar.Data, l.saveMean, l.saveInv, l.Momentum, l.Eps))
	} else {
		must(kernels.BatchNormEvalForward(s, y, x, l.gamma.W, l.beta.W, l.runMean.Data, l.runVar.Data, l.Eps))
	}
	return y
}

// Backward computes the gradients through the statistics used in Forward.
func (l *BatchNorm) Backward(_ *Pass, dy []float32, n int, needDX bool) []float32 {
	s := kernels.NormShape{N: n, C: l.c, HW: l.hw}
	clear(l.gamma.G)
	clear(l.beta.G)
	var dx []float32
	if needDX {
		dx = l.dx[:s.Len()]
		clear(dx)
	}
	if l.train {
		must(kernels.BatchNormBackward(s, dx, l.gamma.G, l.beta.G, dy, l.x, l.gamma.W, l.saveMean, l.saveInv))
	} else {
		must(kernels.BatchNormEvalBackward(s, dx, l.gamma.G, l.beta.G, dy, l.x, l.gamma.W, l.runMean.Data, l.runVar.Data, l.Eps))
	}
	return dx
}

// Params returns gamma (weight) and beta (bias).
func (l *BatchNorm) Params() []*Param { return []*Param{l.gamma, l.beta} }

// Buffers returns the running mean and variance.
func (l *BatchNorm) Buffers() []*Buffer { return []*Buffer{l.runMean, l.runVar} }

// GroupNorm normalises groups of Groups consecutive channels of each
// example over their values, then applies a per-channel affine transform,
// as PyTorch's GroupNorm (eps 1e-5). It behaves the same in train and eval.
type GroupNorm struct {
	Groups int
	Eps    float32

	c, hw             int
	gamma, beta       *Param
	saveMean, saveInv []float32
	x, y, dx          []float32
}

// NewGroupNorm returns a group-norm layer with g groups.
func NewGroupNorm(g int) *GroupNorm { return &GroupNorm{Groups: g, Eps: 1e-5} }

// Build allocates parameters (gamma = 1, beta = 0) and buffers.
func (l *GroupNorm) Build(b *BuildContext, prefix string, in []int) ([]int, error) {
	c, hw, err := channels(in, "groupnorm")
	if err != nil {
		return nil, err
	}
	if err := (kernels.GroupNormShape{N: 1, C: c, HW: hw, G: l.Groups}).Validate(); err != nil {
		return nil, fmt.Errorf("groupnorm: %w", err)
	}
	l.c, l.hw = c, hw
	l.gamma = newParam(prefix+"weight", c)
	l.beta = newParam(prefix+"bias", c)
	for i := range l.gamma.W {
		l.gamma.W[i] = 1
	}
	l.saveMean = make([]float32, b.MaxBatch*l.Groups)
	l.saveInv = make([]float32, b.MaxBatch*l.Groups)
	n := b.MaxBatch * c * hw
	l.y = make([]float32, n)
	l.dx = make([]float32, n)
	return append([]int(nil), in...), nil
}

func (l *GroupNorm) shape(n int) kernels.GroupNormShape {
	return kernels.GroupNormShape{N: n, C: l.c, HW: l.hw, G: l.Groups}
}

// Forward normalises each group.
func (l *GroupNorm) Forward(_ *Pass, x []float32, n int) []float32 {
	s := l.shape(n)
	y := l.y[:s.Len()]
	l.x = x
	must(kernels.GroupNormForward(s, y, x, l.gamma.W, l.beta.W, l.saveMean[:s.StatLen()], l.saveInv[:s.StatLen()], l.Eps))
	return y
}

// Backward computes the parameter and input gradients.
func (l *GroupNorm) Backward(_ *Pass, dy []float32, n int, needDX bool) []float32 {
	s := l.shape(n)
	clear(l.gamma.G)
	clear(l.beta.G)
	var dx []float32
	if needDX {
		dx = l.dx[:s.Len()]
		clear(dx)
	}
	must(kernels.GroupNormBackward(s, dx, l.gamma.G, l.beta.G, dy, l.x, l.gamma.W, l.saveMean[:s.StatLen()], l.saveInv[:s.StatLen()]))
	return dx
}

// Params returns gamma (weight) and beta (bias).
func (l *GroupNorm) Params() []*Param { return []*Param{l.gamma, l.beta} }

// Buffers returns nil.
func (l *GroupNorm) Buffers() []*Buffer { return nil }
