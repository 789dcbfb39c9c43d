package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestBatchNormHandComputed(t *testing.T) {
	// BatchNorm1D, one feature over a batch of 4: mean 2.5, biased var 1.25,
	// unbiased var 5/3.
	s := NormShape{N: 4, C: 1, HW: 1}
	x := []float32{1, 2, 3, 4}
	gamma, beta := []float32{2}, []float32{0.5}
	runMean, runVar := []float32{0}, []float32{1}
	mean, inv := make([]float32, 1), make([]float32, 1)
	y := make([]float32, 4)
	const eps = 1e-5
	mustNil(t, BatchNormTrainForward(s, y, x, gamma, beta, runMean, runVar, mean, inv, 0.1, eps))
	is := 1 / math.Sqrt(1.25+eps)
	checkClose(t, "y", y, []float64{2*-1.5*is + 0.5, 2*-0.5*is + 0.5, 2*0.5*is + 0.5, 2*1.5*is + 0.5}, 1e-6, 1e-6)
	checkClose(t, "saveMean", mean, []float64{2.5}, 0, 0)
	checkClose(t, "saveInvStd", inv, []float64{is}, 0, 1e-7)
	checkClose(t, "runMean", runMean, []float64{0.25}, 1e-7, 0)          // 0.9·0 + 0.1·2.5
	checkClose(t, "runVar", runVar, []float64{0.9 + 0.1*5.0/3}, 1e-7, 0) // unbiased
	mustNil(t, BatchNormTrainForward(s, y, x, gamma, beta, runMean, runVar, mean, inv, 0.1, eps))
	checkClose(t, "runMean step 2", runMean, []float64{0.9*0.25 + 0.25}, 1e-7, 0)
	checkClose(t, "runVar step 2", runVar, []float64{0.9*(0.9+0.1*5.0/3) + 0.1*5.0/3}, 1e-6, 0)

	// Eval mode uses the running statistics.
	rm, rv := []float32{1}, []float32{4}
	mustNil(t, BatchNormEvalForward(s, y, x, gamma, beta, rm, rv, 0))
	checkClose(t, "eval y", y, []float64{0.5, 1.5, 2.5, 3.5}, 1e-6, 0)
	// In place.
	xc := append([]float32(nil), x...)
	mustNil(t, BatchNormEvalForward(s, xc, xc, gamma, beta, rm, rv, 0))
	checkClose(t, "eval in place", xc, []float64{0.5, 1.5, 2.5, 3.5}, 1e-6, 0)
}

// refBatchNorm2D is the textbook formula in float64.
func refBatchNorm2D(s NormShape, x, gamma, beta []float32, eps float64) []float64 {
	y := make([]float64, s.Len())
	m := float64(s.N * s.HW)
	for c := 0; c < s.C; c++ {
		var mean, v float64
		for n := 0; n < s.N; n++ {
			for i := 0; i < s.HW; i++ {
				mean += float64(x[(n*s.C+c)*s.HW+i])
			}
		}
		mean /= m
		for n := 0; n < s.N; n++ {
			for i := 0; i < s.HW; i++ {
				d := float64(x[(n*s.C+c)*s.HW+i]) - mean
				v += d * d
			}
		}
		v /= m
		for n := 0; n < s.N; n++ {
			for i := 0; i < s.HW; i++ {
				j := (n*s.C+c)*s.HW + i
				y[j] = (float64(x[j])-mean)/math.Sqrt(v+eps)*float64(gamma[c]) + float64(beta[c])
			}
		}
	}
	return y
}

var normShapes = []NormShape{
	{N: 3, C: 2, HW: 5},  // BatchNorm2D, 5 pixels
	{N: 2, C: 3, HW: 12}, // BatchNorm2D, 3×4 images
	{N: 6, C: 4, HW: 1},  // BatchNorm1D
}

func TestBatchNormGradients(t *testing.T) {
	const eps = 1e-5
	for i, s := range normShapes {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 13))
			x := randSlice(r, s.Len())
			for j := range x {
				x[j] = x[j]*2 + 1 // mean and scale away from the standard normal
			}
			gamma, beta := randSlice(r, s.C), randSlice(r, s.C)
			dy := randSlice(r, s.Len())
			y := make([]float32, s.Len())
			mean, inv := make([]float32, s.C), make([]float32, s.C)
			loss := func() float64 {
				mustNil(t, BatchNormTrainForward(s, y, x, gamma, beta, nil, nil, mean, inv, 0.1, eps))
				return dot64(dy, y)
			}
			loss()
			checkClose(t, "y vs formula", y, refBatchNorm2D(s, x, gamma, beta, eps), 1e-5, 1e-5)
			dx, dg, db := make([]float32, s.Len()), make([]float32, s.C), make([]float32, s.C)
			mustNil(t, BatchNormBackward(s, dx, dg, db, dy, x, gamma, mean, inv))
			// The loss is nonlinear in x: h = 1e-2 keeps truncation error
			// ~h² small and float32 rounding noise ~1e-7/h small.
			checkClose(t, "dx", dx, numGrad(x, 1e-2, loss), 3e-3, 3e-3)
			checkClose(t, "dgamma", dg, numGrad(gamma, 1e-2, loss), 3e-3, 3e-3)
			checkClose(t, "dbeta", db, numGrad(beta, 1e-2, loss), 3e-3, 3e-3)

			// Eval mode: running statistics are constants.
			rm, rv := randSlice(r, s.C), randSlice(r, s.C)
			for j := range rv {
				rv[j] = rv[j]*rv[j] + 0.5
			}
			evalLoss := func() float64 {
				mustNil(t, BatchNormEvalForward(s, y, x, gamma, beta, rm, rv, eps))
				return dot64(dy, y)
			}
			clear(dx)
			clear(dg)
			clear(db)
			mustNil(t, BatchNormEvalBackward(s, dx, dg, db, dy, x, gamma, rm, rv, eps))
			checkClose(t, "eval dx", dx, numGrad(x, 1e-2, evalLoss), 3e-3, 3e-3)
			checkClose(t, "eval dgamma", dg, numGrad(gamma, 1e-2, evalLoss), 3e-3, 3e-3)
			checkClose(t, "eval dbeta", db, numGrad(beta, 1e-2, evalLoss), 3e-3, 3e-3)
		})
	}
}

func TestBatchNormNoAffine(t *testing.T) {
	s := NormShape{N: 2, C: 2, HW: 3}
	r := rand.New(rand.NewPCG(1, 2))
	x, dy := randSlice(r, s.Len()), randSlice(r, s.Len())
	ones, zeros := []float32{1, 1}, []float32{0, 0}
	y, yRef := make([]float32, s.Len()), make([]float32, s.Len())
	m, inv := make([]float32, 2), make([]float32, 2)
	mustNil(t, BatchNormTrainForward(s, yRef, x, ones, zeros, nil, nil, m, inv, 0.1, 1e-5))
	mustNil(t, BatchNormTrainForward(s, y, x, nil, nil, nil, nil, m, inv, 0.1, 1e-5))
	checkClose(t, "y", y, to64(yRef), 0, 0)
	dx, dxRef := make([]float32, s.Len()), make([]float32, s.Len())
	mustNil(t, BatchNormBackward(s, dxRef, nil, nil, dy, x, ones, m, inv))
	mustNil(t, BatchNormBackward(s, dx, nil, nil, dy, x, nil, m, inv))
	checkClose(t, "dx", dx, to64(dxRef), 0, 0)
}

var groupShapes = []GroupNormShape{
	{N: 2, C: 4, HW: 6, G: 2},
	{N: 3, C: 6, HW: 4, G: 3},
	{N: 2, C: 3, HW: 5, G: 1}, // LayerNorm over C,H,W
	{N: 2, C: 3, HW: 4, G: 3}, // InstanceNorm
}

func TestGroupNormGradients(t *testing.T) {
	const eps = 1e-5
	for i, s := range groupShapes {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 17))
			x := randSlice(r, s.Len())
			gamma, beta := randSlice(r, s.C), randSlice(r, s.C)
			dy := randSlice(r, s.Len())
			y := make([]float32, s.Len())
			mean, inv := make([]float32, s.StatLen()), make([]float32, s.StatLen())
			loss := func() float64 {
				mustNil(t, GroupNormForward(s, y, x, gamma, beta, mean, inv, eps))
				return dot64(dy, y)
			}
			loss()
			// Formula check: each group of each example, normalised.
			cg, gl := s.C/s.G, s.C/s.G*s.HW
			want := make([]float64, s.Len())
			for ng := 0; ng < s.N*s.G; ng++ {
				grp := x[ng*gl : (ng+1)*gl]
				var mu, v float64
				for _, a := range grp {
					mu += float64(a)
				}
				mu /= float64(gl)
				for _, a := range grp {
					v += (float64(a) - mu) * (float64(a) - mu)
				}
				v /= float64(gl)
				for j, a := range grp {
					c := (ng%s.G)*cg + j/s.HW
					want[ng*gl+j] = (float64(a)-mu)/math.Sqrt(v+eps)*float64(gamma[c]) + float64(beta[c])
				}
			}
			checkClose(t, "y vs formula", y, want, 1e-5, 1e-5)
			dx, dg, db := make([]float32, s.Len()), make([]float32, s.C), make([]float32, s.C)
			mustNil(t, GroupNormBackward(s, dx, dg, db, dy, x, gamma, mean, inv))
			checkClose(t, "dx", dx, numGrad(x, 1e-2, loss), 3e-3, 3e-3)
			checkClose(t, "dgamma", dg, numGrad(gamma, 1e-2, loss), 3e-3, 3e-3)
			checkClose(t, "dbeta", db, numGrad(beta, 1e-2, loss), 3e-3, 3e-3)
		})
	}
}

func TestNormErrors(t *testing.T) {
	buf := func(n int) []float32 { return make([]float32, n) }
	s := NormShape{N: 2, C: 2, HW: 2}
	tests := []struct {
		name string
		call func() error
	}{
		{"one value per channel", func() error {
			return BatchNormTrainForward(NormShape{N: 1, C: 2, HW: 1}, buf(2), buf(2), nil, nil, nil, nil, buf(2), buf(2), 0.1, 1e-5)
		}},
		{"only runMean", func() error {
			return BatchNormTrainForward(s, buf(8), buf(8), nil, nil, buf(2), nil, buf(2), buf(2), 0.1, 1e-5)
		}},
		{"bad gamma", func() error {
			return BatchNormTrainForward(s, buf(8), buf(8), buf(3), nil, nil, nil, buf(2), buf(2), 0.1, 1e-5)
		}},
		{"missing save", func() error {
			return BatchNormTrainForward(s, buf(8), buf(8), nil, nil, nil, nil, nil, buf(2), 0.1, 1e-5)
		}},
		{"eval missing running", func() error { return BatchNormEvalForward(s, buf(8), buf(8), nil, nil, nil, buf(2), 1e-5) }},
		{"groups do not divide", func() error {
			return GroupNormForward(GroupNormShape{N: 1, C: 3, HW: 2, G: 2}, buf(6), buf(6), nil, nil, buf(2), buf(2), 1e-5)
		}},
		{"group stats length", func() error {
			return GroupNormForward(GroupNormShape{N: 2, C: 4, HW: 2, G: 2}, buf(16), buf(16), nil, nil, buf(2), buf(4), 1e-5)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, ErrShape) {
				t.Errorf("err = %v, want ErrShape", err)
			}
		})
	}
}
