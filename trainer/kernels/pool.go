package kernels

import (
	"fmt"
	"math"
)

// MaxPool2DForward computes y = max over each window of x (N×C×H×W) and
// records in argmax, for each output element, the position of the maximum
// within its input plane (h·W + w), which MaxPool2DBackward uses. Padding
// positions never win (they count as −∞, as in PyTorch). Ties go to the
// first maximum in row-major window order; a NaN in a window wins, so NaNs
// propagate. y and argmax have s.OutLen() elements.
func MaxPool2DForward(s Pool2DShape, y []float32, argmax []int32, x []float32) error {
	const fn = "MaxPool2DForward"
	if err := poolCheck(fn, s, y, "y", x, "x"); err != nil {
		return err
	}
	if len(argmax) != s.OutLen() {
		return fmt.Errorf("%s: len(argmax) = %d, want %d: %w", fn, len(argmax), s.OutLen(), ErrShape)
	}
	hw := s.H * s.W
	oh, ow := s.OutH(), s.OutW()
	ohw := oh * ow
	fast := s.KH == 2 && s.KW == 2 && s.StrideH == 2 && s.StrideW == 2 && s.PadH == 0 && s.PadW == 0
	for p := 0; p < s.N*s.C; p++ {
		xp := x[p*hw : (p+1)*hw]
		yp := y[p*ohw : (p+1)*ohw]
		ap := argmax[p*ohw : (p+1)*ohw]
		if fast {
			maxPool2x2(yp, ap, xp, s.W, oh, ow)
			continue
		}
		for o := 0; o < oh; o++ {
			h0 := o*s.StrideH - s.PadH
			hLo, hHi := max(h0, 0), min(h0+s.KH, s.H)
			for q := 0; q < ow; q++ {
				w0 := q*s.StrideW - s.PadW
				wLo, wHi := max(w0, 0), min(w0+s.KW, s.W)
				best := float32(math.Inf(-1))
				bi := hLo*s.W + wLo
			window:
				for h := hLo; h < hHi; h++ {
					row := xp[h*s.W : (h+1)*s.W]
					for w := wLo; w < wHi; w++ {
						v := row[w]
						if v > best {
							best, bi = v, h*s.W+w
						} else if v != v {
							best, bi = v, h*s.W+w
							break window
						}
					}
				}
				yp[o*ow+q] = best
				ap[o*ow+q] = int32(bi)
			}
		}
	}
	return nil
}

// maxPool2x2 is the 2×2, stride-2, unpadded case of MaxPool2DForward on one
// plane.
func maxPool2x2(yp []float32, ap []int32, xp []float32, w, oh, ow int) {
	for o := 0; o < oh; o++ {
		r0 := xp[2*o*w : 2*o*w+2*ow]
		r1 := xp[(2*o+1)*w : (2*o+1)*w+2*ow]
		yr := yp[o*ow : (o+1)*ow]
		ar := ap[o*ow : (o+1)*ow]
		base := 2 * o * w
		for q := range yr {
			a, b, c, d := r0[2*q], r0[2*q+1], r1[2*q], r1[2*q+1]
			best, bi := a, base+2*q
			if b > best || b != b && best == best {
				best, bi = b, base+2*q+1
			}
			if c > best || c != c && best == best {
				best, bi = c, base+w+2*q
			}
			if d > best || d != d && best == best {
				best, bi = d, base+w+2*q+1
			}
			yr[q] = best
			ar[q] = int32(bi)
		}
	}
}

// MaxPool2DBackward accumulates dx += ∂L/∂x: each dy element is added to
// the input position its forward maximum came from (argmax from
// MaxPool2DForward).
func MaxPool2DBackward(s Pool2DShape, dx, dy []float32, argmax []int32) error {
	const fn = "MaxPool2DBackward"
	if err := poolCheck(fn, s, dy, "dy", dx, "dx"); err != nil {
		return err
	}
	if len(argmax) != s.OutLen() {
		return fmt.Errorf("%s: len(argmax) = %d, want %d: %w", fn, len(argmax), s.OutLen(), ErrShape)
	}
	hw := s.H * s.W
	ohw := s.OutH() * s.OutW()
	for p := 0; p < s.N*s.C; p++ {
		dxp := dx[p*hw : (p+1)*hw]
		dyp := dy[p*ohw : (p+1)*ohw]
		ap := argmax[p*ohw : (p+1)*ohw]
		for o, g := range dyp {
			i := int(ap[o])
			if uint(i) >= uint(len(dxp)) {
				return fmt.Errorf("%s: argmax[%d] = %d outside the %d×%d plane: %w", fn, p*ohw+o, i, s.H, s.W, ErrShape)
			}
			dxp[i] += g
		}
	}
	return nil
}

// AvgPool2DForward computes y = mean over each window of x. Padding counts
// as zeros in the mean (PyTorch's default count_include_pad=True), so every
// window divides by KH·KW.
func AvgPool2DForward(s Pool2DShape, y, x []float32) error {
	const fn = "AvgPool2DForward"
	if err := poolCheck(fn, s, y, "y", x, "x"); err != nil {
		return err
	}
	hw := s.H * s.W
	oh, ow := s.OutH(), s.OutW()
	ohw := oh * ow
	inv := 1 / float32(s.KH*s.KW)
	for p := 0; p < s.N*s.C; p++ {
		xp := x[p*hw : (p+1)*hw]
		yp := y[p*ohw : (p+1)*ohw]
		for o := 0; o < oh; o++ {
			h0 := o*s.StrideH - s.PadH
			hLo, hHi := max(h0, 0), min(h0+s.KH, s.H)
			for q := 0; q < ow; q++ {
				w0 := q*s.StrideW - s.PadW
				wLo, wHi := max(w0, 0), min(w0+s.KW, s.W)
				var acc float32
				for h := hLo; h < hHi; h++ {
					acc += sum(xp[h*s.W+wLo : h*s.W+wHi])
				}
				yp[o*ow+q] = acc * inv
			}
		}
	}
	return nil
}

// AvgPool2DBackward accumulates dx += ∂L/∂x for AvgPool2DForward: each dy
// element is spread evenly (÷ KH·KW) over the input positions of its
// window.
func AvgPool2DBackward(s Pool2DShape, dx, dy []float32) error {
	const fn = "AvgPool2DBackward"
	if err := poolCheck(fn, s, dy, "dy", dx, "dx"); err != nil {
		return err
	}
	hw := s.H * s.W
	oh, ow := s.OutH(), s.OutW()
	ohw := oh * ow
	inv := 1 / float32(s.KH*s.KW)
	for p := 0; p < s.N*s.C; p++ {
		dxp := dx[p*hw : (p+1)*hw]
		dyp := dy[p*ohw : (p+1)*ohw]
		for o := 0; o < oh; o++ {
			h0 := o*s.StrideH - s.PadH
			hLo, hHi := max(h0, 0), min(h0+s.KH, s.H)
			for q := 0; q < ow; q++ {
				w0 := q*s.StrideW - s.PadW
				wLo, wHi := max(w0, 0), min(w0+s.KW, s.W)
				g := dyp[o*ow+q] * inv
				for h := hLo; h < hHi; h++ {
					row := dxp[h*s.W+wLo : h*s.W+wHi]
					for i := range row {
						row[i] += g
					}
				}
			}
		}
	}
	return nil
}

func poolCheck(fn string, s Pool2DShape, out []float32, outName string, in []float32, inName string) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	if err := checkLen(fn, inName, in, s.InLen()); err != nil {
		return err
	}
	return checkLen(fn, outName, out, s.OutLen())
}

// GlobalAvgPoolForward computes y[n, c] = mean over the HW values of
// x[n, c] (x is N×C×HW, y is N×C), like AdaptiveAvgPool2d(1) + flatten.
func GlobalAvgPoolForward(n, c, hw int, y, x []float32) error {
	const fn = "GlobalAvgPoolForward"
	if err := globalCheck(fn, n, c, hw, y, "y", x, "x"); err != nil {
		return err
	}
	inv := 1 / float32(hw)
	for p := range y {
		y[p] = sum(x[p*hw:(p+1)*hw]) * inv
	}
	return nil
}

// GlobalAvgPoolBackward accumulates dx[n, c, i] += dy[n, c] / HW.
func GlobalAvgPoolBackward(n, c, hw int, dx, dy []float32) error {
	const fn = "GlobalAvgPoolBackward"
	if err := globalCheck(fn, n, c, hw, dy, "dy", dx, "dx"); err != nil {
		return err
	}
	inv := 1 / float32(hw)
	for p, g := range dy {
		g *= inv
		row := dx[p*hw : (p+1)*hw]
		for i := range row {
			row[i] += g
		}
	}
	return nil
}

func globalCheck(fn string, n, c, hw int, out []float32, outName string, in []float32, inName string) error {
	if err := positive(fn, []string{"n", "c", "hw"}, n, c, hw); err != nil {
		return err
	}
	if err := checkLen(fn, inName, in, n*c*hw); err != nil {
		return err
	}
	return checkLen(fn, outName, out, n*c)
}
