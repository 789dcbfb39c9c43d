package trainer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gradCheck builds l for input shape in and batch n, and compares the
// analytic gradients of L = Σ r·forward(x) (r fixed random) with respect to
// the input and every parameter against central finite differences.
func gradCheck(t *testing.T, name string, l Layer, in []int, n int, train bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	b := &BuildContext{MaxBatch: n, Rng: r}
	out, err := l.Build(b, "", in)
	if err != nil {
		t.Fatalf("%s: build: %v", name, err)
	}
	d, od := prod(in), prod(out)
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	// Perturb parameters away from their init (e.g. batch-norm gamma = 1).
	for _, p := range l.Params() {
		for i := range p.W {
			p.W[i] += float32(0.3 * r.NormFloat64())
		}
	}
	rw := make([]float32, n*od)
	for i := range rw {
		rw[i] = float32(r.NormFloat64())
	}
	// Dropout needs the same mask on every evaluation: reseed per call.
	pass := func() *Pass { return &Pass{Train: train, Dropout: rand.New(rand.NewPCG(7, 7))} }
	objective := func() float64 {
		y := l.Forward(pass(), x, n)
		var s float64
		for i, v := range y {
			s += float64(v) * float64(rw[i])
		}
		return s
	}
	objective()
	p := pass()
	l.Forward(p, x, n)
	dx := append([]float32(nil), l.Backward(p, rw, n, true)...)
	grads := map[*Param][]float32{}
	for _, p := range l.Params() {
		grads[p] = append([]float32(nil), p.G...)
	}
	const h = 1e-2
	check := func(what string, v []float32, i int, analytic float32) {
		old := v[i]
		v[i] = old + h
		fp := objective()
		v[i] = old - h
		fm := objective()
		v[i] = old
		num := (fp - fm) / (2 * h)
		tol := 2e-2 * math.Max(1, math.Abs(num))
		if math.Abs(num-float64(analytic)) > tol {
			t.Errorf("%s: d/d%s[%d]: analytic %v, numeric %v", name, what, i, analytic, num)
		}
	}
	for i := range x {
		check("x", x, i, dx[i])
	}
	for _, p := range l.Params() {
		stride := max(1, len(p.W)/40)
		for i := 0; i < len(p.W); i += stride {
			check(p.Name, p.W, i, grads[p][i])
		}
	}
}

func TestLayerGradients(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		layer func() Layer
		in    []int
		n     int
		train bool
	}{
		{"dense", func() Layer { return NewDense(5, false) }, []int{7}, 3, true},
		{"dense_nobias_image_input", func() Layer { return NewDense(4, true) }, []int{2, 3, 3}, 2, true},
		{"relu", func() Layer { return NewActivation(ReLU) }, []int{9}, 3, true},
		{"leaky_relu", func() Layer { return NewActivation(LeakyReLU) }, []int{9}, 3, true},
		{"tanh", func() Layer { return NewActivation(Tanh) }, []int{9}, 3, true},
		{"sigmoid", func() Layer { return NewActivation(Sigmoid) }, []int{9}, 3, true},
		{"silu", func() Layer { return NewActivation(SiLU) }, []int{9}, 3, true},
		{"dropout_train", func() Layer { return NewDropout(0.4) }, []int{20}, 3, true},
		{"dropout_eval", func() Layer { return NewDropout(0.4) }, []int{20}, 3, false},
		{"flatten", func() Layer { return Flatten{} }, []int{2, 3, 3}, 2, true},
		{"conv3x3_pad1", func() Layer { return NewConv2D(3, 3, 1, 1, false) }, []int{2, 5, 5}, 2, true},
		{"conv3x3_stride2_nobias", func() Layer { return NewConv2D(2, 3, 2, 1, true) }, []int{2, 6, 6}, 2, true},
		{"conv1x1", func() Layer { return NewConv2D(3, 1, 1, 0, false) }, []int{2, 4, 4}, 2, true},
		{"maxpool2", func() Layer { return NewMaxPool2D(2) }, []int{2, 4, 4}, 2, true},
		{"avgpool2", func() Layer { return NewAvgPool2D(2) }, []int{2, 4, 4}, 2, true},
		{"avgpool3_stride1_pad1", func() Layer { return &Pool2D{Kind: AvgPool, Kernel: 3, Stride: 1, Pad: 1} }, []int{1, 4, 4}, 2, true},
		{"global_avg_pool", func() Layer { return &GlobalAvgPool{} }, []int{3, 2, 2}, 2, true},
		{"batchnorm2d_train", func() Layer { return NewBatchNorm() }, []int{3, 2, 2}, 4, true},
		{"batchnorm2d_eval", func() Layer { return NewBatchNorm() }, []int{3, 2, 2}, 4, false},
		{"batchnorm1d_train", func() Layer { return NewBatchNorm() }, []int{5}, 6, true},
		{"groupnorm", func() Layer { return NewGroupNorm(2) }, []int{4, 2, 2}, 3, true},
		{"residual_identity", func() Layer {
			return NewResidual([]Layer{NewDense(6, false), NewActivation(Tanh)}, nil)
		}, []int{6}, 3, true},
		{"residual_projection", func() Layer {
			return NewResidual([]Layer{NewConv2D(4, 3, 2, 1, true), NewBatchNorm()}, []Layer{NewConv2D(4, 1, 2, 0, true)})
		}, []int{2, 4, 4}, 3, true},
		{"concat", func() Layer {
			return NewConcat([]Layer{NewConv2D(2, 3, 1, 1, false)}, []Layer{NewConv2D(3, 1, 1, 0, false), NewActivation(SiLU)})
		}, []int{2, 3, 3}, 2, true},
		{"sequential", func() Layer {
			return NewSequential("layers", NewConv2D(2, 3, 1, 1, false), NewGroupNorm(1), NewActivation(Tanh), NewAvgPool2D(2), Flatten{}, NewDense(3, false))
		}, []int{1, 4, 4}, 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gradCheck(t, c.name, c.layer(), c.in, c.n, c.train)
		})
	}
}

func TestLossGradients(t *testing.T) {
	t.Parallel()
	const n, c = 3, 4
	r := rand.New(rand.NewPCG(3, 4))
	y := []int{2, 0, 3}
	for _, tc := range []struct {
		name string
		f    func(out []float32, grad []float32) float64
	}{
		{"cross_entropy", func(o, g []float32) float64 { l, _ := SoftmaxCrossEntropy(o, y, n, c, 0, g); return l }},
		{"cross_entropy_smoothed", func(o, g []float32) float64 { l, _ := SoftmaxCrossEntropy(o, y, n, c, 0.2, g); return l }},
		{"mse", func(o, g []float32) float64 { l, _ := MSELoss(o, y, n, c, g); return l }},
		{"bce_with_logits", func(o, g []float32) float64 { l, _ := BCEWithLogitsLoss(o, y, n, c, g); return l }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := make([]float32, n*c)
			for i := range out {
				out[i] = float32(2 * r.NormFloat64())
			}
			g := make([]float32, n*c)
			tc.f(out, g)
			const h = 1e-2
			for i := range out {
				old := out[i]
				out[i] = old + h
				fp := tc.f(out, nil)
				out[i] = old - h
				fm := tc.f(out, nil)
				out[i] = old
				num := (fp - fm) / (2 * h)
				if math.Abs(num-float64(g[i])) > 1e-3 {
					t.Errorf("d/dout[%d]: analytic %v, numeric %v", i, g[i], num)
				}
			}
		})
	}
}

func TestLossValues(t *testing.T) {
	t.Parallel()
	// Two classes, logits (0, ln 3): softmax (1/4, 3/4).
	logits := []float32{0, float32(math.Log(3))}
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"ce_label1", first(SoftmaxCrossEntropy(logits, []int{1}, 1, 2, 0, nil)), -math.Log(0.75)},
		{"ce_label0", first(SoftmaxCrossEntropy(logits, []int{0}, 1, 2, 0, nil)), -math.Log(0.25)},
		// Smoothing 0.2 over 2 classes: targets (0.1, 0.9).
		{"ce_smoothed", first(SoftmaxCrossEntropy(logits, []int{1}, 1, 2, 0.2, nil)), -(0.1*math.Log(0.25) + 0.9*math.Log(0.75))},
		// MSE of (0, ln3) against (0, 1): (ln3 - 1)²/2.
		{"mse", first(MSELoss(logits, []int{1}, 1, 2, nil)), (math.Log(3) - 1) * (math.Log(3) - 1) / 2},
		// BCE: mean of -log(1-σ(0)) and -log σ(ln 3) = (ln 2 + ln(4/3))/2.
		{"bce", first(BCEWithLogitsLoss(logits, []int{1}, 1, 2, nil)), (math.Log(2) + math.Log(4.0/3)) / 2},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func first(v float64, _ int) float64 { return v }
