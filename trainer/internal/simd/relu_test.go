package simd

import (
	"math"
	"testing"
)

func TestReLU(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	x := []float32{-1, 2, nan, negZero, 0, -3.5, 7, float32(math.Inf(-1)), float32(math.Inf(1)), -0.25, 0.5, nan}
	wantY := []float32{0, 2, nan, negZero, 0, 0, 7, 0, float32(math.Inf(1)), 0, 0.5, nan}
	dy := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	wantDX := []float32{0, 2, 0, 0, 0, 0, 7, 0, 9, 0, 11, 0}
	y := make([]float32, len(x))
	ReLU(y, x)
	dx := make([]float32, len(x))
	ReLUBackward(dx, dy, x)
	for i := range x {
		if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) && !(y[i] != y[i] && wantY[i] != wantY[i]) {
			t.Errorf("relu(%v) = %v, want %v", x[i], y[i], wantY[i])
		}
		if math.Signbit(float64(y[i])) != math.Signbit(float64(wantY[i])) && y[i] == y[i] {
			t.Errorf("relu(%v) = %v: sign differs from %v", x[i], y[i], wantY[i])
		}
		if dx[i] != wantDX[i] {
			t.Errorf("relu'(%v)·%v = %v, want %v", x[i], dy[i], dx[i], wantDX[i])
		}
	}
}
