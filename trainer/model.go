package trainer

import (
	"fmt"
	"math/rand/v2"
)

// DefaultMaxBatch is the batch size models are sized for when none is given.
const DefaultMaxBatch = 128

// Model is a built network: a layer graph with its parameters, buffers and
// the activation buffers for batches of up to MaxBatch examples. A Model is
// not safe for concurrent use; train one model per goroutine.
type Model struct {
	// Arch is the configuration the model was built from.
	Arch ArchConfig
	// InShape is the per-example input shape.
	InShape []int
	// Classes is the number of outputs.
	Classes int
	// Seed seeds every random stream of the model (init, shuffling,
	// dropout, augmentation).
	Seed uint64
	// MaxBatch is the largest batch Forward accepts.
	MaxBatch int

	net     *Sequential
	params  []*Param
	buffers []*Buffer
	inDim   int

	// scratch
	xbuf, gbuf []float32
	ybuf       []int
}

// NewModel builds the architecture arch for inputs of per-example shape
// inShape and `classes` outputs, initialising the weights from seed's "init"
// stream. maxBatch <= 0 means DefaultMaxBatch.
func NewModel(arch ArchConfig, inShape []int, classes int, seed uint64, maxBatch int) (*Model, error) {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	if classes <= 0 {
		return nil, fmt.Errorf("trainer: classes = %d, must be > 0", classes)
	}
	if len(inShape) == 0 || prod(inShape) <= 0 {
		return nil, fmt.Errorf("trainer: input shape %v must be non-empty and positive", inShape)
	}
	net, err := arch.build(inShape, classes)
	if err != nil {
		return nil, fmt.Errorf("trainer: arch %q: %w", arch.Name, err)
	}
	m, err := newModelFromNet(arch.effectiveInit(), net, inShape, classes, seed, maxBatch)
	if err != nil {
		return nil, err
	}
	m.Arch = arch
	return m, nil
}

// NewCustomModel wraps a hand-assembled layer sequence (named "layers") as
// a model. Its output must have `classes` values per example.
func NewCustomModel(net *Sequential, inShape []int, classes int, seed uint64, maxBatch int, init InitScheme) (*Model, error) {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	return newModelFromNet(ArchConfig{Name: "custom", Init: init}, net, inShape, classes, seed, maxBatch)
}

func newModelFromNet(arch ArchConfig, net *Sequential, inShape []int, classes int, seed uint64, maxBatch int) (*Model, error) {
	if err := arch.Init.validate(); err != nil {
		return nil, fmt.Errorf("trainer: arch %q: init: %w", arch.Name, err)
	}
	bc := &BuildContext{MaxBatch: maxBatch, Rng: rand.New(newStream(seed, streamInit)), Init: arch.Init}
	out, err := net.Build(bc, "", inShape)
	if err != nil {
		return nil, fmt.Errorf("trainer: arch %q: %w", arch.Name, err)
	}
	if prod(out) != classes {
		return nil, fmt.Errorf("trainer: arch %q: output shape %v, want %d classes", arch.Name, out, classes)
	}
	m := &Model{
		Arch: arch, InShape: append([]int(nil), inShape...), Classes: classes, Seed: seed, MaxBatch: maxBatch,
		net: net, params: net.Params(), buffers: net.Buffers(), inDim: prod(inShape),
	}
	seen := map[string]bool{}
	for _, p := range m.params {
		if seen[p.Name] {
			return nil, fmt.Errorf("trainer: arch %q: duplicate parameter name %q", arch.Name, p.Name)
		}
		seen[p.Name] = true
	}
	for _, b := range m.buffers {
		if seen[b.Name] {
			return nil, fmt.Errorf("trainer: arch %q: duplicate buffer name %q", arch.Name, b.Name)
		}
		seen[b.Name] = true
	}
	m.xbuf = make([]float32, maxBatch*m.inDim)
	m.gbuf = make([]float32, maxBatch*classes)
	m.ybuf = make([]int, maxBatch)
	return m, nil
}

// Params returns the model's parameters in state-dict order.
func (m *Model) Params() []*Param { return m.params }

// Buffers returns the model's non-trainable buffers.
func (m *Model) Buffers() []*Buffer { return m.buffers }

// NumParams returns the number of trainable scalars.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += len(p.W)
	}
	return n
}

// Forward runs n examples (n <= MaxBatch) of x through the network and
// returns the n×Classes outputs (a buffer owned by the model, valid until
// the next call).
func (m *Model) Forward(p *Pass, x []float32, n int) (out []float32, err error) {
	defer recoverInternal(&err)
	if n <= 0 || n > m.MaxBatch {
		return nil, fmt.Errorf("trainer: batch of %d examples, want 1..%d", n, m.MaxBatch)
	}
	if p.Train && p.Dropout == nil {
		return nil, fmt.Errorf("trainer: a training pass needs a dropout random stream (Pass.Dropout)")
	}
	if len(x) != n*m.inDim {
		return nil, fmt.Errorf("trainer: input has %d values, want %d examples × %d", len(x), n, m.inDim)
	}
	return m.net.Forward(p, x, n), nil
}

// Backward back-propagates dOut (the loss gradient w.r.t. the last
// Forward's outputs), filling every Param.G; with needDX it returns the
// gradient w.r.t. the input.
func (m *Model) Backward(p *Pass, dOut []float32, n int, needDX bool) (dx []float32, err error) {
	defer recoverInternal(&err)
	if len(dOut) != n*m.Classes {
		return nil, fmt.Errorf("trainer: output gradient has %d values, want %d examples × %d", len(dOut), n, m.Classes)
	}
	return m.net.Backward(p, dOut, n, needDX), nil
}
