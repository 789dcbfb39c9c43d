package trainer

import (
	"fmt"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// Dense is a fully connected layer y = x·Wᵀ + b with W of shape [out, in].
// Inputs of any per-example shape are treated as flat vectors.
type Dense struct {
	Out    int
	NoBias bool

	in    int
	w, b  *Param
	x     []float32
	y, dx []float32
	work  simd.Work
}

// NewDense returns a Dense layer with out outputs (and a bias unless noBias).
func NewDense(out int, noBias bool) *Dense { return &Dense{Out: out, NoBias: noBias} }

// Build allocates the weights and activation buffers.
func (d *Dense) Build(b *BuildContext, prefix string, in []int) ([]int, error) {
	if d.Out <= 0 {
		return nil, fmt.Errorf("dense: output width %d must be > 0", d.Out)
	}
	d.in = prod(in)
	d.w = newParam(prefix+"weight", d.Out, d.in)
	initWeights(d.w.W, d.in, d.Out, b.Init, b.Rng)
	if !d.NoBias {
		d.b = newParam(prefix+"bias", d.Out)
		initBias(d.b.W, d.in, b.Rng)
	}
	d.y = make([]float32, b.MaxBatch*d.Out)
	d.dx = make([]float32, b.MaxBatch*d.in)
	return []int{d.Out}, nil
}

// Forward computes x·Wᵀ + b.
func (d *Dense) Forward(_ *Pass, x []float32, n int) []float32 {
	d.x = x
	y := d.y[:n*d.Out]
	beta := float32(0)
	if d.b != nil {
		for i := 0; i < n; i++ {
			copy(y[i*d.Out:(i+1)*d.Out], d.b.W)
		}
		beta = 1
	}
	gemm(&d.work, false, true, n, d.Out, d.in, 1, x, d.in, d.w.W, d.in, beta, y, d.Out)
	return y
}

// Backward computes dW = dyᵀ·x, db = Σ dy and dx = dy·W.
func (d *Dense) Backward(_ *Pass, dy []float32, n int, needDX bool) []float32 {
	gemm(&d.work, true, false, d.Out, d.in, n, 1, dy, d.Out, d.x, d.in, 0, d.w.G, d.in)
	if d.b != nil {
		g := d.b.G
		clear(g)
		for i := 0; i < n; i++ {
			row := dy[i*d.Out : (i+1)*d.Out]
			for j, v := range row {
				g[j] += v
			}
		}
	}
	if !needDX {
		return nil
	}
	dx := d.dx[:n*d.in]
	gemm(&d.work, false, false, n, d.in, d.Out, 1, dy, d.Out, d.w.W, d.in, 0, dx, d.in)
	return dx
}

// Params returns the weight and, if present, the bias.
func (d *Dense) Params() []*Param {
	if d.b == nil {
		return []*Param{d.w}
	}
	return []*Param{d.w, d.b}
}

// Buffers returns nil: Dense has no buffers.
func (d *Dense) Buffers() []*Buffer { return nil }
