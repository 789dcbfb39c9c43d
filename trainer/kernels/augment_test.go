package kernels

import (
	"errors"
	"testing"
)

func TestAugmentHandComputed(t *testing.T) {
	// Two channels of a 3×3 image.
	src := []float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,

		10, 20, 30,
		40, 50, 60,
		70, 80, 90,
	}
	tests := []struct {
		name string
		call func(dst []float32) error
		want []float32
	}{
		{"shift right 1", func(d []float32) error { return Shift(d, src, 2, 3, 3, 1, 0) }, []float32{
			0, 1, 2, 0, 4, 5, 0, 7, 8,
			0, 10, 20, 0, 40, 50, 0, 70, 80,
		}},
		{"shift up 1 left 2", func(d []float32) error { return Shift(d, src, 2, 3, 3, -2, -1) }, []float32{
			6, 0, 0, 9, 0, 0, 0, 0, 0,
			60, 0, 0, 90, 0, 0, 0, 0, 0,
		}},
		{"shift out of frame", func(d []float32) error { return Shift(d, src, 2, 3, 3, 3, 0) }, make([]float32, 18)},
		{"shift zero", func(d []float32) error { return Shift(d, src, 2, 3, 3, 0, 0) }, src},
		{"flip", func(d []float32) error { return FlipH(d, src, 2, 3, 3) }, []float32{
			3, 2, 1, 6, 5, 4, 9, 8, 7,
			30, 20, 10, 60, 50, 40, 90, 80, 70,
		}},
		// Window at (pad+dy, pad+dx) of the padded image: dst[y][x] = src[y+dy][x+dx].
		{"crop dx=1 dy=-1", func(d []float32) error { return PadCrop(d, src, 2, 3, 3, 2, 1, -1) }, []float32{
			0, 0, 0, 2, 3, 0, 5, 6, 0,
			0, 0, 0, 20, 30, 0, 50, 60, 0,
		}},
		{"crop dx=-2 dy=2", func(d []float32) error { return PadCrop(d, src, 2, 3, 3, 2, -2, 2) }, []float32{
			0, 0, 7, 0, 0, 0, 0, 0, 0,
			0, 0, 70, 0, 0, 0, 0, 0, 0,
		}},
		// Crop, then flip: rows of the crop above, reversed.
		{"crop+flip dx=1 dy=-1", func(d []float32) error { return PadCropFlip(d, src, 2, 3, 3, 2, 1, -1, true) }, []float32{
			0, 0, 0, 0, 3, 2, 0, 6, 5,
			0, 0, 0, 0, 30, 20, 0, 60, 50,
		}},
		{"crop+flip dx=-1 dy=0", func(d []float32) error { return PadCropFlip(d, src, 2, 3, 3, 1, -1, 0, true) }, []float32{
			2, 1, 0, 5, 4, 0, 8, 7, 0,
			20, 10, 0, 50, 40, 0, 80, 70, 0,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]float32, len(src))
			fill(dst, -1) // every pixel must be written
			mustNil(t, tc.call(dst))
			checkClose(t, "dst", dst, to64(tc.want), 0, 0)
		})
	}
}

func TestFlipHInPlace(t *testing.T) {
	v := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	mustNil(t, FlipH(v, v, 1, 2, 5))
	checkClose(t, "flipped", v, []float64{5, 4, 3, 2, 1, 10, 9, 8, 7, 6}, 0, 0)
}

// Shift by (dx, dy) equals a crop with offsets (−dx, −dy), and a flip of a
// flip is the identity.
func TestAugmentIdentities(t *testing.T) {
	const c, h, w = 3, 5, 7
	src := make([]float32, c*h*w)
	for i := range src {
		src[i] = float32(i + 1)
	}
	a, b := make([]float32, len(src)), make([]float32, len(src))
	for dx := -3; dx <= 3; dx++ {
		for dy := -3; dy <= 3; dy++ {
			mustNil(t, Shift(a, src, c, h, w, dx, dy))
			mustNil(t, PadCrop(b, src, c, h, w, 3, -dx, -dy))
			checkClose(t, "shift vs crop", a, to64(b), 0, 0)
			// crop+flip == flip(crop)
			mustNil(t, PadCropFlip(a, src, c, h, w, 3, dx, dy, true))
			mustNil(t, PadCrop(b, src, c, h, w, 3, dx, dy))
			mustNil(t, FlipH(b, b, c, h, w))
			checkClose(t, "crop+flip", a, to64(b), 0, 0)
		}
	}
	mustNil(t, FlipH(a, src, c, h, w))
	mustNil(t, FlipH(b, a, c, h, w))
	checkClose(t, "flip twice", b, to64(src), 0, 0)
}

func TestAugmentErrors(t *testing.T) {
	buf := func(n int) []float32 { return make([]float32, n) }
	tests := []struct {
		name string
		err  error
	}{
		{"offset beyond pad", PadCrop(buf(9), buf(9), 1, 3, 3, 1, 2, 0)},
		{"negative offset beyond pad", PadCrop(buf(9), buf(9), 1, 3, 3, 1, 0, -2)},
		{"short dst", Shift(buf(8), buf(9), 1, 3, 3, 0, 0)},
		{"short src", FlipH(buf(9), buf(8), 1, 3, 3)},
		{"zero channels", FlipH(nil, nil, 0, 3, 3)},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, ErrShape) {
			t.Errorf("%s: err = %v, want ErrShape", tc.name, tc.err)
		}
	}
}
