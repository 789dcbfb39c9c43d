package kernels

import (
	"errors"
	"math"
	"testing"
)

func TestReLU(t *testing.T) {
	x := []float32{-2, -0.0, 0, 1.5, float32(math.NaN()), 3}
	y := make([]float32, len(x))
	mustNil(t, ReLU(y, x))
	want := []float32{0, -0.0, 0, 1.5, 0, 3}
	for i := range y {
		if i == 4 {
			if y[i] == y[i] {
				t.Errorf("y[4] = %v, want NaN", y[i])
			}
			continue
		}
		if y[i] != want[i] {
			t.Errorf("y[%d] = %v, want %v", i, y[i], want[i])
		}
	}
	mustNil(t, ReLU(x, x)) // in place
	if x[0] != 0 || x[3] != 1.5 {
		t.Errorf("in place: %v", x)
	}

	yb := []float32{0, 2, 0, 1}
	dy := []float32{5, 6, 7, 8}
	dx := []float32{1, 1, 1, 1}
	mustNil(t, ReLUBackward(dx, dy, yb))
	checkClose(t, "dx", dx, []float64{1, 7, 1, 9}, 0, 0)
	mustNil(t, ReLUMask(dy, yb))
	checkClose(t, "masked", dy, []float64{0, 6, 0, 8}, 0, 0)
	if err := ReLUBackward(dx, dy[:3], yb); !errors.Is(err, ErrShape) {
		t.Errorf("err = %v, want ErrShape", err)
	}
}

func TestBias(t *testing.T) {
	// N=2, C=2, HW=3.
	x := make([]float32, 12)
	mustNil(t, AddBias(x, 2, 2, 3, []float32{1, -2}))
	checkClose(t, "x", x, []float64{1, 1, 1, -2, -2, -2, 1, 1, 1, -2, -2, -2}, 0, 0)
	dy := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	db := []float32{100, 0}
	mustNil(t, BiasGrad(db, dy, 2, 2, 3))
	checkClose(t, "db", db, []float64{100 + 6 + 24, 15 + 33}, 0, 0)
	// HW = 1 (dense layer bias).
	db = []float32{0, 0, 0}
	mustNil(t, BiasGrad(db, dy[:6], 2, 3, 1))
	checkClose(t, "db dense", db, []float64{5, 7, 9}, 0, 0)
	if err := AddBias(x, 2, 2, 3, []float32{1}); !errors.Is(err, ErrShape) {
		t.Errorf("err = %v, want ErrShape", err)
	}
}
