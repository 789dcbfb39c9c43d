package kernels

import "fmt"

// Shift moves the content of a C×H×W image by dx pixels right and dy
// pixels down (negative values move left and up), filling uncovered pixels
// with zeros: dst[c][y][x] = src[c][y−dy][x−dx], or 0 outside src. It is
// the pixel shift used for query augmentations. dst and src must not
// overlap.
func Shift(dst, src []float32, c, h, w, dx, dy int) error {
	if err := augCheck("Shift", dst, src, c, h, w); err != nil {
		return err
	}
	window(dst, src, c, h, w, -dx, -dy, false)
	return nil
}

// FlipH mirrors a C×H×W image left to right: dst[c][y][x] = src[c][y][W−1−x].
// dst may be src (in place); otherwise they must not overlap.
func FlipH(dst, src []float32, c, h, w int) error {
	if err := augCheck("FlipH", dst, src, c, h, w); err != nil {
		return err
	}
	if &dst[0] == &src[0] {
		for r := 0; r < c*h; r++ {
			row := dst[r*w : (r+1)*w]
			for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
				row[i], row[j] = row[j], row[i]
			}
		}
		return nil
	}
	window(dst, src, c, h, w, 0, 0, true)
	return nil
}

// PadCrop is the random-crop augmentation with zero padding (torchvision's
// RandomCrop(size=(H, W), padding=pad)) for given offsets: the image is
// zero-padded by pad on every side and the H×W window whose top-left corner
// is (pad+dy, pad+dx) in the padded image is cut out, so
// dst[c][y][x] = src[c][y+dy][x+dx], or 0 outside src. Offsets must lie in
// [−pad, pad]; the engine draws them from its seeded RNG. dst and src must
// not overlap.
func PadCrop(dst, src []float32, c, h, w, pad, dx, dy int) error {
	return PadCropFlip(dst, src, c, h, w, pad, dx, dy, false)
}

// PadCropFlip is PadCrop followed, when flip is true, by FlipH (the usual
// RandomCrop + RandomHorizontalFlip pipeline) in one pass:
// dst[c][y][x] = src[c][y+dy][W−1−x+dx] when flipping.
func PadCropFlip(dst, src []float32, c, h, w, pad, dx, dy int, flip bool) error {
	const fn = "PadCropFlip"
	if err := augCheck(fn, dst, src, c, h, w); err != nil {
		return err
	}
	if pad < 0 || dx < -pad || dx > pad || dy < -pad || dy > pad {
		return fmt.Errorf("%s: offsets (dx=%d, dy=%d) outside [−pad, pad] with pad = %d: %w", fn, dx, dy, pad, ErrShape)
	}
	window(dst, src, c, h, w, dx, dy, flip)
	return nil
}

// window writes dst[ch][y][x] = src[ch][y+oy][x'+ox] (0 outside src) where
// x' = W−1−x when flip is set and x otherwise.
func window(dst, src []float32, c, h, w, ox, oy int, flip bool) {
	// Output columns x whose source column x'+ox lies in [0, w).
	lo, hi := max(0, -ox), min(w, w-ox)
	if flip {
		// W−1−x+ox in [0, w) ⇔ x in (ox−1, w−1+ox].
		lo, hi = max(0, ox), min(w, w+ox)
	}
	if lo >= hi {
		clear(dst[:c*h*w])
		return
	}
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			d := dst[(ch*h+y)*w : (ch*h+y+1)*w]
			sy := y + oy
			if sy < 0 || sy >= h {
				clear(d)
				continue
			}
			s := src[(ch*h+sy)*w : (ch*h+sy+1)*w]
			clear(d[:lo])
			clear(d[hi:])
			if !flip {
				copy(d[lo:hi], s[lo+ox:hi+ox])
				continue
			}
			// d[x] = s[w−1−x+ox] for x in [lo, hi).
			dd := d[lo:hi]
			j := w - 1 - lo + ox
			for i := range dd {
				dd[i] = s[j]
				j--
			}
		}
	}
}

func augCheck(fn string, dst, src []float32, c, h, w int) error {
	if err := positive(fn, []string{"c", "h", "w"}, c, h, w); err != nil {
		return err
	}
	if err := checkLen(fn, "src", src, c*h*w); err != nil {
		return err
	}
	return checkLen(fn, "dst", dst, c*h*w)
}
