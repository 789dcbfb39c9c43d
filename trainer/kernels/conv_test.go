package kernels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestConv2DHandComputed(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 2, 3, 4}
	tests := []struct {
		name    string
		s       Conv2DShape
		b       []float32
		want    []float32
		wantDX  []float32 // for dy = ones
		wantDW  []float32
		wantDB  []float32
		scratch int
	}{
		{
			name:   "3x3 input 2x2 kernel",
			s:      Conv2DShape{N: 1, C: 1, H: 3, W: 3, K: 1, KH: 2, KW: 2, StrideH: 1, StrideW: 1},
			b:      []float32{0.5},
			want:   []float32{37.5, 47.5, 67.5, 77.5},
			wantDX: []float32{1, 3, 2, 4, 10, 6, 3, 7, 4},
			wantDW: []float32{12, 16, 24, 28},
			wantDB: []float32{4},
		},
		{
			// Padded input rows/cols -1..3; windows start at -1 and 1.
			name:   "pad 1 stride 2",
			s:      Conv2DShape{N: 1, C: 1, H: 3, W: 3, K: 1, KH: 2, KW: 2, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
			want:   []float32{4, 18, 36, 77},
			wantDX: []float32{4, 3, 4, 2, 1, 2, 4, 3, 4},
			// dW[kh][kw] = Σ over the 4 windows of the pixel under tap (kh,kw).
			wantDW: []float32{0 + 0 + 0 + 5, 0 + 0 + 4 + 6, 0 + 2 + 0 + 8, 1 + 3 + 7 + 9},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			y := make([]float32, s.OutLen())
			scratch := make([]float32, s.ScratchLen())
			mustNil(t, Conv2DForward(s, y, x, w, tc.b, scratch))
			checkClose(t, "y", y, to64(tc.want), 0, 0)
			dy := []float32{1, 1, 1, 1}
			dx := make([]float32, s.InLen())
			dw := make([]float32, s.WeightLen())
			var db []float32
			if tc.b != nil {
				db = make([]float32, 1)
			}
			mustNil(t, Conv2DBackward(s, dx, dw, db, dy, x, w, scratch))
			checkClose(t, "dx", dx, to64(tc.wantDX), 0, 0)
			checkClose(t, "dw", dw, to64(tc.wantDW), 0, 0)
			if tc.b != nil {
				checkClose(t, "db", db, to64(tc.wantDB), 0, 0)
			}
		})
	}
}

// refConv is a direct float64 convolution and its adjoint, the reference
// for the im2col kernels.
func refConv(s Conv2DShape, x, w, b []float32) []float64 {
	oh, ow := s.OutH(), s.OutW()
	y := make([]float64, s.OutLen())
	for n := 0; n < s.N; n++ {
		for k := 0; k < s.K; k++ {
			for o := 0; o < oh; o++ {
				for q := 0; q < ow; q++ {
					var acc float64
					if b != nil {
						acc = float64(b[k])
					}
					for c := 0; c < s.C; c++ {
						for i := 0; i < s.KH; i++ {
							for j := 0; j < s.KW; j++ {
								ih, iw := o*s.StrideH-s.PadH+i, q*s.StrideW-s.PadW+j
								if ih < 0 || ih >= s.H || iw < 0 || iw >= s.W {
									continue
								}
								acc += float64(x[((n*s.C+c)*s.H+ih)*s.W+iw]) * float64(w[((k*s.C+c)*s.KH+i)*s.KW+j])
							}
						}
					}
					y[((n*s.K+k)*oh+o)*ow+q] = acc
				}
			}
		}
	}
	return y
}

func refConvBackward(s Conv2DShape, dy, x, w []float32) (dx, dw, db []float64) {
	oh, ow := s.OutH(), s.OutW()
	dx = make([]float64, s.InLen())
	dw = make([]float64, s.WeightLen())
	db = make([]float64, s.K)
	for n := 0; n < s.N; n++ {
		for k := 0; k < s.K; k++ {
			for o := 0; o < oh; o++ {
				for q := 0; q < ow; q++ {
					g := float64(dy[((n*s.K+k)*oh+o)*ow+q])
					db[k] += g
					for c := 0; c < s.C; c++ {
						for i := 0; i < s.KH; i++ {
							for j := 0; j < s.KW; j++ {
								ih, iw := o*s.StrideH-s.PadH+i, q*s.StrideW-s.PadW+j
								if ih < 0 || ih >= s.H || iw < 0 || iw >= s.W {
									continue
								}
								xi := ((n*s.C+c)*s.H+ih)*s.W + iw
								wi := ((k*s.C+c)*s.KH+i)*s.KW + j
								dx[xi] += g * float64(w[wi])
								dw[wi] += g * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return dx, dw, db
}

var convShapes = []Conv2DShape{
	{N: 2, C: 3, H: 5, W: 7, K: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{N: 3, C: 2, H: 7, W: 6, K: 3, KH: 3, KW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0},
	{N: 2, C: 2, H: 6, W: 5, K: 2, KH: 3, KW: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2},
	{N: 2, C: 1, H: 4, W: 5, K: 3, KH: 5, KW: 5, StrideH: 1, StrideW: 2, PadH: 2, PadW: 2},
	{N: 2, C: 4, H: 3, W: 4, K: 5, KH: 1, KW: 1, StrideH: 1, StrideW: 1},                   // pointwise, no unrolling
	{N: 2, C: 3, H: 5, W: 5, K: 2, KH: 1, KW: 1, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, // 1×1 strided, padded
	{N: 1, C: 2, H: 2, W: 3, K: 2, KH: 3, KW: 3, StrideH: 3, StrideW: 3, PadH: 2, PadW: 2}, // taps entirely in padding
	{N: 2, C: 2, H: 4, W: 5, K: 3, KH: 2, KW: 5, StrideH: 1, StrideW: 1, PadH: 0, PadW: 2}, // same width, shorter output
	{N: 2, C: 2, H: 1, W: 4, K: 2, KH: 5, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 1}, // rows of taps in padding
}

// TestConv2DRandomShapes compares forward and backward with the direct
// reference on many random geometries.
func TestConv2DRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(99, 1))
	for i := 0; i < 300; i++ {
		s := Conv2DShape{
			N: 1 + r.IntN(2), C: 1 + r.IntN(3), H: 1 + r.IntN(7), W: 1 + r.IntN(7), K: 1 + r.IntN(3),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			PadH: r.IntN(3), PadW: r.IntN(3),
		}
		if r.IntN(2) == 0 {
			s.StrideH, s.StrideW = 1, 1
		}
		if s.Validate() != nil {
			continue
		}
		x, w, b := randSlice(r, s.InLen()), randSlice(r, s.WeightLen()), randSlice(r, s.K)
		dy := randSlice(r, s.OutLen())
		y := make([]float32, s.OutLen())
		scratch := make([]float32, s.ScratchLen())
		mustNil(t, Conv2DForward(s, y, x, w, b, scratch))
		checkClose(t, fmt.Sprintf("%+v y", s), y, refConv(s, x, w, b), 1e-5, 1e-5)
		dx, dw, db := make([]float32, s.InLen()), make([]float32, s.WeightLen()), make([]float32, s.K)
		mustNil(t, Conv2DBackward(s, dx, dw, db, dy, x, w, scratch))
		rdx, rdw, rdb := refConvBackward(s, dy, x, w)
		checkClose(t, fmt.Sprintf("%+v dx", s), dx, rdx, 1e-5, 1e-5)
		checkClose(t, fmt.Sprintf("%+v dw", s), dw, rdw, 1e-5, 1e-5)
		checkClose(t, fmt.Sprintf("%+v db", s), db, rdb, 1e-5, 1e-5)
		if t.Failed() {
			return
		}
	}
}

func TestConv2DGradients(t *testing.T) {
	for i, s := range convShapes {
		for _, bias := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d/%+v/bias=%v", i, s, bias), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(i), 7))
				x := randSlice(r, s.InLen())
				w := randSlice(r, s.WeightLen())
				var b, db []float32
				if bias {
					b = randSlice(r, s.K)
					db = make([]float32, s.K)
				}
				dy := randSlice(r, s.OutLen())
				y := make([]float32, s.OutLen())
				scratch := make([]float32, s.ScratchLen())
				loss := func() float64 {
					mustNil(t, Conv2DForward(s, y, x, w, b, scratch))
					return dot64(dy, y)
				}
				loss()
				checkClose(t, "y vs direct", y, refConv(s, x, w, b), 1e-5, 1e-5)

				dx := make([]float32, s.InLen())
				dw := make([]float32, s.WeightLen())
				mustNil(t, Conv2DBackward(s, dx, dw, db, dy, x, w, scratch))
				// Conv is linear in each argument, so central differences are
				// exact up to float32 rounding of the forward pass.
				const atol, rtol = 2e-3, 2e-3
				checkClose(t, "dx", dx, numGrad(x, 1e-2, loss), atol, rtol)
				checkClose(t, "dw", dw, numGrad(w, 1e-2, loss), atol, rtol)
				if bias {
					checkClose(t, "db", db, numGrad(b, 1e-2, loss), atol, rtol)
				}
				rdx, rdw, rdb := refConvBackward(s, dy, x, w)
				checkClose(t, "dx vs direct", dx, rdx, 1e-5, 1e-5)
				checkClose(t, "dw vs direct", dw, rdw, 1e-5, 1e-5)
				if bias {
					checkClose(t, "db vs direct", db, rdb, 1e-5, 1e-5)
				}

				// A second call accumulates; nil dx and db are skipped.
				mustNil(t, Conv2DBackward(s, nil, dw, nil, dy, x, w, scratch))
				twice := make([]float64, len(rdw))
				for j := range rdw {
					twice[j] = 2 * rdw[j]
				}
				checkClose(t, "dw accumulated", dw, twice, 1e-5, 1e-5)
				checkClose(t, "dx untouched", dx, rdx, 1e-5, 1e-5)
			})
		}
	}
}

// TestConv2DLarge uses a shape big enough that gonum's Sgemm would go
// parallel, exercising the serial tiling in gemm, and checks it against the
// direct reference.
func TestConv2DLarge(t *testing.T) {
	s := Conv2DShape{N: 2, C: 9, H: 17, W: 18, K: 70, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	r := rand.New(rand.NewPCG(3, 3))
	x, w, b := randSlice(r, s.InLen()), randSlice(r, s.WeightLen()), randSlice(r, s.K)
	dy := randSlice(r, s.OutLen())
	y := make([]float32, s.OutLen())
	scratch := make([]float32, s.ScratchLen())
	mustNil(t, Conv2DForward(s, y, x, w, b, scratch))
	checkClose(t, "y", y, refConv(s, x, w, b), 1e-4, 1e-4)
	dx, dw, db := make([]float32, s.InLen()), make([]float32, s.WeightLen()), make([]float32, s.K)
	mustNil(t, Conv2DBackward(s, dx, dw, db, dy, x, w, scratch))
	rdx, rdw, rdb := refConvBackward(s, dy, x, w)
	checkClose(t, "dx", dx, rdx, 1e-4, 1e-4)
	checkClose(t, "dw", dw, rdw, 1e-3, 1e-4)
	checkClose(t, "db", db, rdb, 1e-3, 1e-4)

	allocs := testing.AllocsPerRun(3, func() {
		_ = Conv2DForward(s, y, x, w, b, scratch)
		_ = Conv2DBackward(s, dx, dw, db, dy, x, w, scratch)
	})
	if allocs != 0 {
		t.Errorf("allocations per forward+backward = %v, want 0", allocs)
	}
}

func TestConv2DErrors(t *testing.T) {
	good := Conv2DShape{N: 1, C: 1, H: 3, W: 3, K: 1, KH: 2, KW: 2, StrideH: 1, StrideW: 1}
	buf := func(n int) []float32 { return make([]float32, n) }
	tests := []struct {
		name string
		call func() error
	}{
		{"zero stride", func() error {
			s := good
			s.StrideW = 0
			return Conv2DForward(s, buf(4), buf(9), buf(4), nil, buf(100))
		}},
		{"kernel too big", func() error {
			s := good
			s.KH = 4
			return Conv2DForward(s, buf(4), buf(9), buf(4), nil, buf(100))
		}},
		{"negative pad", func() error {
			s := good
			s.PadH = -1
			return Conv2DForward(s, buf(4), buf(9), buf(4), nil, buf(100))
		}},
		{"short y", func() error { return Conv2DForward(good, buf(3), buf(9), buf(4), nil, buf(16)) }},
		{"short x", func() error { return Conv2DForward(good, buf(4), buf(8), buf(4), nil, buf(16)) }},
		{"bad w", func() error { return Conv2DForward(good, buf(4), buf(9), buf(5), nil, buf(16)) }},
		{"bad bias", func() error { return Conv2DForward(good, buf(4), buf(9), buf(4), buf(2), buf(16)) }},
		{"short scratch", func() error { return Conv2DForward(good, buf(4), buf(9), buf(4), nil, buf(15)) }},
		{"backward no dw", func() error { return Conv2DBackward(good, buf(9), nil, nil, buf(4), buf(9), buf(4), buf(16)) }},
		{"backward bad dx", func() error { return Conv2DBackward(good, buf(8), buf(4), nil, buf(4), buf(9), buf(4), buf(16)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, ErrShape) {
				t.Errorf("err = %v, want ErrShape", err)
			}
		})
	}
}
