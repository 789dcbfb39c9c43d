package trainer

import (
	"fmt"
	"slices"
	"strconv"
)

// Residual computes body(x) + shortcut(x), with the identity as shortcut
// when Shortcut is nil. Parameters are named <prefix>body.<i>.* and
// <prefix>shortcut.<i>.*.
type Residual struct {
	Body     *Sequential
	Shortcut *Sequential

	dim   int
	y, dx []float32
}

// NewResidual returns a residual block; shortcut may be nil (identity).
func NewResidual(body []Layer, shortcut []Layer) *Residual {
	r := &Residual{Body: NewSequential("body", body...)}
	if shortcut != nil {
		r.Shortcut = NewSequential("shortcut", shortcut...)
	}
	return r
}

// Build builds both branches and checks their outputs agree.
func (r *Residual) Build(b *BuildContext, prefix string, in []int) ([]int, error) {
	out, err := r.Body.Build(b, prefix, in)
	if err != nil {
		return nil, err
	}
	sc := in
	if r.Shortcut != nil {
		if sc, err = r.Shortcut.Build(b, prefix, in); err != nil {
			return nil, err
		}
	}
	if !slices.Equal(out, sc) {
		return nil, fmt.Errorf("residual: body output %v and shortcut output %v differ", out, sc)
	}
	r.dim = prod(out)
	r.y = make([]float32, b.MaxBatch*r.dim)
	r.dx = make([]float32, b.MaxBatch*prod(in))
	return out, nil
}

// Forward adds the two branches.
func (r *Residual) Forward(p *Pass, x []float32, n int) []float32 {
	a := r.Body.Forward(p, x, n)
	s := x
	if r.Shortcut != nil {
		s = r.Shortcut.Forward(p, x, n)
	}
	y := r.y[:n*r.dim]
	for i := range y {
		y[i] = a[i] + s[i]
	}
	return y
}

// Backward sends dy through both branches and sums their input gradients.
func (r *Residual) Backward(p *Pass, dy []float32, n int, needDX bool) []float32 {
	da := r.Body.Backward(p, dy, n, needDX)
	ds := dy
	if r.Shortcut != nil {
		ds = r.Shortcut.Backward(p, dy, n, needDX)
	}
	if !needDX {
		return nil
	}
	dx := r.dx[:len(da)]
	for i := range dx {
		dx[i] = da[i] + ds[i]
	}
	return dx
}

// Params returns the body's then the shortcut's parameters.
func (r *Residual) Params() []*Param {
	ps := r.Body.Params()
	if r.Shortcut != nil {
		ps = append(ps, r.Shortcut.Params()...)
	}
	return ps
}

// Buffers returns the body's then the shortcut's buffers.
func (r *Residual) Buffers() []*Buffer {
	bs := r.Body.Buffers()
	if r.Shortcut != nil {
		bs = append(bs, r.Shortcut.Buffers()...)
	}
	return bs
}

// Concat runs several branches on the same input and concatenates their
// outputs along the first per-example axis (channels for CHW, features for
// vectors). The other axes must agree. Branch k's parameters are named
// <prefix>branches.<k>.<i>.*.
type Concat struct {
	Branches []*Sequential

	outDims []int // per-example output size of each branch
	dim     int
	inDim   int
	y, dx   []float32
	dys     [][]float32
}

// NewConcat returns a concatenation of the given branches.
func NewConcat(branches ...[]Layer) *Concat {
	c := &Concat{}
	for k, b := range branches {
		c.Branches = append(c.Branches, NewSequential("branches."+strconv.Itoa(k), b...))
	}
	return c
}

// Build builds the branches and checks their trailing axes agree.
func (c *Concat) Build(b *BuildContext, prefix string, in []int) ([]int, error) {
	if len(c.Branches) == 0 {
		return nil, fmt.Errorf("concat: no branches")
	}
	var out []int
	c.outDims = c.outDims[:0]
	for k, br := range c.Branches {
		o, err := br.Build(b, prefix, in)
		if err != nil {
			return nil, err
		}
		if k == 0 {
			out = append([]int(nil), o...)
		} else {
			if len(o) != len(out) || !slices.Equal(o[1:], out[1:]) {
				return nil, fmt.Errorf("concat: branch %d output %v does not match branch 0's trailing axes %v", k, o, out)
			}
			out[0] += o[0]
		}
		c.outDims = append(c.outDims, prod(o))
	}
	c.dim, c.inDim = prod(out), prod(in)
	c.y = make([]float32, b.MaxBatch*c.dim)
	c.dx = make([]float32, b.MaxBatch*c.inDim)
	c.dys = make([][]float32, len(c.Branches))
	for k, d := range c.outDims {
		c.dys[k] = make([]float32, b.MaxBatch*d)
	}
	return out, nil
}

// Forward concatenates the branch outputs example by example.
func (c *Concat) Forward(p *Pass, x []float32, n int) []float32 {
	off := 0
	for k, br := range c.Branches {
		o := br.Forward(p, x, n)
		d := c.outDims[k]
		for i := 0; i < n; i++ {
			copy(c.y[i*c.dim+off:i*c.dim+off+d], o[i*d:(i+1)*d])
		}
		off += d
	}
	return c.y[:n*c.dim]
}

// Backward splits dy among the branches and sums their input gradients.
func (c *Concat) Backward(p *Pass, dy []float32, n int, needDX bool) []float32 {
	var dx []float32
	if needDX {
		dx = c.dx[:n*c.inDim]
		clear(dx)
	}
	off := 0
	for k, br := range c.Branches {
		d := c.outDims[k]
		dyk := c.dys[k][:n*d]
		for i := 0; i < n; i++ {
			copy(dyk[i*d:(i+1)*d], dy[i*c.dim+off:i*c.dim+off+d])
		}
		off += d
		g := br.Backward(p, dyk, n, needDX)
		for i, v := range g {
			dx[i] += v
		}
	}
	return dx
}

// Params returns the branches' parameters in order.
func (c *Concat) Params() []*Param {
	var ps []*Param
	for _, br := range c.Branches {
		ps = append(ps, br.Params()...)
	}
	return ps
}

// Buffers returns the branches' buffers in order.
func (c *Concat) Buffers() []*Buffer {
	var bs []*Buffer
	for _, br := range c.Branches {
		bs = append(bs, br.Buffers()...)
	}
	return bs
}
