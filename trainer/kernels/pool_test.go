package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMaxPool2DHandComputed(t *testing.T) {
	// One 4×4 plane, two channels (the second is the first negated).
	x := []float32{
		1, 5, 2, 0,
		3, 4, 8, 7,
		9, 6, 1, 1,
		2, 2, 3, 0,

		-1, -5, -2, -0.5,
		-3, -4, -8, -7,
		-9, -6, -1, -1,
		-2, -2, -3, -0.25,
	}
	tests := []struct {
		name    string
		s       Pool2DShape
		want    []float32
		wantArg []int32
	}{
		{
			name:    "2x2 stride 2",
			s:       Pool2DShape{N: 1, C: 2, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
			want:    []float32{5, 8, 9, 3, -1, -0.5, -2, -0.25},
			wantArg: []int32{1, 6, 8, 14, 0, 3, 12, 15},
		},
		{
			// Windows rows/cols {-1..1} and {1..3}: padding never wins.
			name:    "3x3 stride 2 pad 1",
			s:       Pool2DShape{N: 1, C: 2, H: 4, W: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
			want:    []float32{5, 8, 9, 8, -1, -0.5, -2, -0.25},
			wantArg: []int32{1, 6, 8, 6, 0, 3, 12, 15},
		},
		{
			name:    "3x2 stride 1x2 (non-square)",
			s:       Pool2DShape{N: 1, C: 1, H: 4, W: 4, KH: 3, KW: 2, StrideH: 1, StrideW: 2},
			want:    []float32{9, 8, 9, 8},
			wantArg: []int32{8, 6, 8, 6},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			xs := x[:s.InLen()]
			y := make([]float32, s.OutLen())
			arg := make([]int32, s.OutLen())
			mustNil(t, MaxPool2DForward(s, y, arg, xs))
			checkClose(t, "y", y, to64(tc.want), 0, 0)
			for i := range arg {
				if arg[i] != tc.wantArg[i] {
					t.Errorf("argmax[%d] = %d, want %d", i, arg[i], tc.wantArg[i])
				}
			}
			// Backward routes each dy to its argmax (and accumulates overlaps).
			dy := make([]float32, s.OutLen())
			for i := range dy {
				dy[i] = float32(i + 1)
			}
			dx := make([]float32, s.InLen())
			mustNil(t, MaxPool2DBackward(s, dx, dy, arg))
			want := make([]float64, s.InLen())
			ohw := s.OutH() * s.OutW()
			for i, a := range tc.wantArg {
				want[(i/ohw)*s.H*s.W+int(a)] += float64(i + 1)
			}
			checkClose(t, "dx", dx, want, 0, 0)
		})
	}
}

func TestMaxPool2DNaN(t *testing.T) {
	nan := float32(math.NaN())
	x := []float32{1, nan, 3, 4}
	for _, s := range []Pool2DShape{
		{N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, StrideH: 2, StrideW: 2}, // fast path
		{N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, StrideH: 1, StrideW: 1}, // general path
	} {
		y, arg := make([]float32, 1), make([]int32, 1)
		mustNil(t, MaxPool2DForward(s, y, arg, x))
		if y[0] == y[0] || arg[0] != 1 {
			t.Errorf("%+v: y = %v at %d, want NaN at 1", s, y[0], arg[0])
		}
	}
}

func TestAvgPool2DHandComputed(t *testing.T) {
	x := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
	}
	tests := []struct {
		name   string
		s      Pool2DShape
		want   []float32
		wantDX []float32 // for dy = ones
	}{
		{
			name:   "2x2 stride 2",
			s:      Pool2DShape{N: 1, C: 1, H: 3, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
			want:   []float32{3.5, 5.5},
			wantDX: []float32{.25, .25, .25, .25, .25, .25, .25, .25, 0, 0, 0, 0},
		},
		{
			// count_include_pad: the corner window sees 1,2,5,6 and five zeros.
			name: "3x3 stride 2 pad 1",
			s:    Pool2DShape{N: 1, C: 1, H: 3, W: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
			want: []float32{14.0 / 9, 30.0 / 9, 30.0 / 9, 54.0 / 9},
			wantDX: []float32{
				1.0 / 9, 2.0 / 9, 1.0 / 9, 1.0 / 9,
				2.0 / 9, 4.0 / 9, 2.0 / 9, 2.0 / 9,
				1.0 / 9, 2.0 / 9, 1.0 / 9, 1.0 / 9,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			y := make([]float32, s.OutLen())
			mustNil(t, AvgPool2DForward(s, y, x))
			checkClose(t, "y", y, to64(tc.want), 1e-6, 1e-6)
			dy := make([]float32, s.OutLen())
			fill(dy, 1)
			dx := make([]float32, s.InLen())
			mustNil(t, AvgPool2DBackward(s, dx, dy))
			checkClose(t, "dx", dx, to64(tc.wantDX), 1e-7, 1e-6)
		})
	}
}

var poolShapes = []Pool2DShape{
	{N: 2, C: 3, H: 6, W: 6, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{N: 2, C: 2, H: 7, W: 5, KH: 2, KW: 2, StrideH: 2, StrideW: 2}, // odd sizes drop a row
	{N: 2, C: 2, H: 7, W: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{N: 3, C: 1, H: 5, W: 8, KH: 3, KW: 2, StrideH: 1, StrideW: 2, PadH: 1},
	{N: 1, C: 2, H: 6, W: 6, KH: 4, KW: 4, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
}

func TestPool2DGradients(t *testing.T) {
	for i, s := range poolShapes {
		t.Run(fmt.Sprintf("%d/%+v", i, s), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 11))
			// Distinct, well separated values so ±h never changes an argmax.
			x := make([]float32, s.InLen())
			for j, p := range r.Perm(len(x)) {
				x[j] = float32(p) * 0.1
			}
			dy := randSlice(r, s.OutLen())
			y := make([]float32, s.OutLen())
			arg := make([]int32, s.OutLen())

			maxLoss := func() float64 {
				mustNil(t, MaxPool2DForward(s, y, arg, x))
				return dot64(dy, y)
			}
			maxLoss()
			dx := make([]float32, s.InLen())
			mustNil(t, MaxPool2DBackward(s, dx, dy, arg))
			checkClose(t, "maxpool dx", dx, numGrad(x, 1e-3, maxLoss), 1e-3, 1e-3)

			avgLoss := func() float64 {
				mustNil(t, AvgPool2DForward(s, y, x))
				return dot64(dy, y)
			}
			clear(dx)
			mustNil(t, AvgPool2DBackward(s, dx, dy))
			checkClose(t, "avgpool dx", dx, numGrad(x, 1e-2, avgLoss), 1e-3, 1e-3)
		})
	}
}

func TestGlobalAvgPool(t *testing.T) {
	x := []float32{1, 2, 3, 4, 10, 20, 30, 40, -1, -1, -1, -5}
	y := make([]float32, 3)
	mustNil(t, GlobalAvgPoolForward(3, 1, 4, y, x))
	checkClose(t, "y", y, []float64{2.5, 25, -2}, 0, 0)
	dx := make([]float32, 12)
	fill(dx, 1)
	mustNil(t, GlobalAvgPoolBackward(3, 1, 4, dx, []float32{4, 8, -2}))
	checkClose(t, "dx", dx, []float64{2, 2, 2, 2, 3, 3, 3, 3, 0.5, 0.5, 0.5, 0.5}, 0, 0)

	r := rand.New(rand.NewPCG(5, 5))
	n, c, hw := 2, 3, 5
	xs, dy := randSlice(r, n*c*hw), randSlice(r, n*c)
	ys := make([]float32, n*c)
	loss := func() float64 {
		mustNil(t, GlobalAvgPoolForward(n, c, hw, ys, xs))
		return dot64(dy, ys)
	}
	g := make([]float32, n*c*hw)
	mustNil(t, GlobalAvgPoolBackward(n, c, hw, g, dy))
	checkClose(t, "gradient", g, numGrad(xs, 1e-2, loss), 1e-3, 1e-3)
}

func TestPoolErrors(t *testing.T) {
	good := Pool2DShape{N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	buf := func(n int) []float32 { return make([]float32, n) }
	tests := []struct {
		name string
		call func() error
	}{
		{"pad over half window", func() error {
			s := good
			s.PadH = 2
			return AvgPool2DForward(s, buf(s.OutLen()), buf(16))
		}},
		{"zero kernel", func() error {
			s := good
			s.KW = 0
			return AvgPool2DForward(s, buf(4), buf(16))
		}},
		{"short argmax", func() error { return MaxPool2DForward(good, buf(4), make([]int32, 3), buf(16)) }},
		{"short y", func() error { return MaxPool2DForward(good, buf(3), make([]int32, 4), buf(16)) }},
		{"argmax outside plane", func() error {
			return MaxPool2DBackward(good, buf(16), buf(4), []int32{0, 1, 16, 2})
		}},
		{"global bad y", func() error { return GlobalAvgPoolForward(2, 2, 2, buf(3), buf(8)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, ErrShape) {
				t.Errorf("err = %v, want ErrShape", err)
			}
		})
	}
}
