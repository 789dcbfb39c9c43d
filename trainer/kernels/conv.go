package kernels

import "fmt"

// Conv2DForward computes y = conv(x, w) + b for a batch: x is N×C×H×W, w is
// K×C×KH×KW (PyTorch's layout), b is K or nil (no bias), y is N×K×OH×OW and
// is overwritten. scratch must hold s.ScratchLen() float32s.
func Conv2DForward(s Conv2DShape, y, x, w, b, scratch []float32) error {
	const fn = "Conv2DForward"
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	if err := convCheck(fn, s, y, x, w, b, scratch); err != nil {
		return err
	}
	inImg := s.C * s.H * s.W
	ohw := s.OutH() * s.OutW()
	outImg := s.K * ohw
	ckk := s.C * s.KH * s.KW
	pack := scratch[s.colLen():]
	for n := 0; n < s.N; n++ {
		xn := x[n*inImg : (n+1)*inImg]
		yn := y[n*outImg : (n+1)*outImg]
		col := xn
		if !s.pointwise() {
			col = scratch[:ckk*ohw]
			im2col(s, col, xn)
		}
		beta := float32(0)
		if b != nil {
			for k, bk := range b[:s.K] {
				fill(yn[k*ohw:(k+1)*ohw], bk)
			}
			beta = 1
		}
		// yn[K×OHW] = w[K×CKK] · col[CKK×OHW] (+ yn holding the bias).
		gemm(pack, false, false, s.K, ohw, ckk, 1, w, ckk, col, ohw, beta, yn, ohw)
	}
	return nil
}

// Conv2DBackward accumulates the gradients of a convolution given dy, the
// gradient of its output: dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b. x and w are
// the forward inputs. dx and db may be nil to skip them; dw is required.
// scratch must hold s.ScratchLen() float32s.
func Conv2DBackward(s Conv2DShape, dx, dw, db, dy, x, w, scratch []float32) error {
	const fn = "Conv2DBackward"
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	if err := convCheck(fn, s, dy, x, w, db, scratch); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dx", dx, s.InLen()); err != nil {
		return err
	}
	if err := checkLen(fn, "dw", dw, s.WeightLen()); err != nil {
		return err
	}
	inImg := s.C * s.H * s.W
	ohw := s.OutH() * s.OutW()
	outImg := s.K * ohw
	ckk := s.C * s.KH * s.KW
	pw := s.pointwise()
	pack := scratch[s.colLen():]
	for n := 0; n < s.N; n++ {
		xn := x[n*inImg : (n+1)*inImg]
		dyn := dy[n*outImg : (n+1)*outImg]
		if db != nil {
			for k := range s.K {
				db[k] += sum(dyn[k*ohw : (k+1)*ohw])
			}
		}
		col := xn
		if !pw {
			col = scratch[:ckk*ohw]
			im2col(s, col, xn)
		}
		// dw[K×CKK] += dyn[K×OHW] · colᵀ[OHW×CKK].
		gemm(pack, false, true, s.K, ckk, ohw, 1, dyn, ohw, col, ohw, 1, dw, ckk)
		if dx == nil {
			continue
		}
		dxn := dx[n*inImg : (n+1)*inImg]
		if pw {
			// dxn[C×HW] += wᵀ[C×K] · dyn[K×HW].
			gemm(pack, true, false, ckk, ohw, s.K, 1, w, ckk, dyn, ohw, 1, dxn, ohw)
			continue
		}
		// dcol[CKK×OHW] = wᵀ[CKK×K] · dyn[K×OHW], then scatter-add into dxn.
		gemm(pack, true, false, ckk, ohw, s.K, 1, w, ckk, dyn, ohw, 0, col, ohw)
		col2im(s, dxn, col)
	}
	return nil
}

func convCheck(fn string, s Conv2DShape, y, x, w, b, scratch []float32) error {
	if err := checkLen(fn, "x", x, s.InLen()); err != nil {
		return err
	}
	name := "y"
	if fn == "Conv2DBackward" {
		name = "dy"
	}
	if err := checkLen(fn, name, y, s.OutLen()); err != nil {
		return err
	}
	if err := checkLen(fn, "w", w, s.WeightLen()); err != nil {
		return err
	}
	name = "b"
	if fn == "Conv2DBackward" {
		name = "db"
	}
	if err := checkOptLen(fn, name, b, s.BiasLen()); err != nil {
		return err
	}
	if len(scratch) < s.ScratchLen() {
		return fmt.Errorf("%s: len(scratch) = %d, want >= %d: %w", fn, len(scratch), s.ScratchLen(), ErrShape)
	}
	return nil
}

// outRange returns the output columns [lo, hi) whose input column
// o·stride − pad + k lies inside [0, size).
func outRange(size, out, stride, pad, k int) (lo, hi int) {
	// o·stride >= pad − k  ⇔  o >= ceil((pad − k)/stride)
	num := pad - k
	if num > 0 {
		lo = (num + stride - 1) / stride
	}
	// o·stride − pad + k <= size − 1  ⇔  o <= floor((size − 1 + pad − k)/stride)
	num = size - 1 + pad - k
	if num < 0 {
		return 0, 0
	}
	hi = min(num/stride+1, out)
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// im2col unrolls one C×H×W image into col, a [C·KH·KW × OH·OW] matrix whose
// row (c, kh, kw) holds, for each output pixel, the input value the kernel
// tap (kh, kw) of channel c sees there (0 in the padding).
func im2col(s Conv2DShape, col, x []float32) {
	if s.rowContiguous() {
		im2colSame(s, col, x)
		return
	}
	oh, ow := s.OutH(), s.OutW()
	ohw := oh * ow
	r := 0
	for c := 0; c < s.C; c++ {
		xc := x[c*s.H*s.W : (c+1)*s.H*s.W]
		for kh := 0; kh < s.KH; kh++ {
			for kw := 0; kw < s.KW; kw++ {
				row := col[r*ohw : (r+1)*ohw]
				r++
				lo, hi := outRange(s.W, ow, s.StrideW, s.PadW, kw)
				for o := 0; o < oh; o++ {
					dst := row[o*ow : (o+1)*ow]
					ih := o*s.StrideH - s.PadH + kh
					if ih < 0 || ih >= s.H || lo == hi {
						clear(dst)
						continue
					}
					clear(dst[:lo])
					clear(dst[hi:])
					src := xc[ih*s.W : (ih+1)*s.W]
					iw := lo*s.StrideW - s.PadW + kw
					if s.StrideW == 1 {
						copy(dst[lo:hi], src[iw:iw+hi-lo])
						continue
					}
					d := dst[lo:hi]
					for i := range d {
						d[i] = src[iw]
						iw += s.StrideW
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds each entry of col into the input
// pixel it was read from (entries read from the padding are dropped).
func col2im(s Conv2DShape, dx, col []float32) {
	if s.rowContiguous() {
		col2imSame(s, dx, col)
		return
	}
	oh, ow := s.OutH(), s.OutW()
	ohw := oh * ow
	r := 0
	for c := 0; c < s.C; c++ {
		dxc := dx[c*s.H*s.W : (c+1)*s.H*s.W]
		for kh := 0; kh < s.KH; kh++ {
			for kw := 0; kw < s.KW; kw++ {
				row := col[r*ohw : (r+1)*ohw]
				r++
				lo, hi := outRange(s.W, ow, s.StrideW, s.PadW, kw)
				if lo == hi {
					continue
				}
				for o := 0; o < oh; o++ {
					ih := o*s.StrideH - s.PadH + kh
					if ih < 0 || ih >= s.H {
						continue
					}
					src := row[o*ow+lo : o*ow+hi]
					dst := dxc[ih*s.W : (ih+1)*s.W]
					iw := lo*s.StrideW - s.PadW + kw
					if s.StrideW == 1 {
						d := dst[iw : iw+len(src)]
						for i, v := range src {
							d[i] += v
						}
						continue
					}
					for _, v := range src {
						dst[iw] += v
						iw += s.StrideW
					}
				}
			}
		}
	}
}

// rowContiguous reports whether the convolution has stride 1 and an
// output as wide as its input ("same" padding along W). Then a row of the
// unrolled matrix is the input plane read at a constant offset,
// δ = (kh − PadH)·W + (kw − PadW), except in the columns where the tap
// falls in the left or right padding, so im2col and col2im can move whole
// planes at once instead of one output row at a time.
func (s Conv2DShape) rowContiguous() bool {
	return s.StrideH == 1 && s.StrideW == 1 && s.OutW() == s.W
}

// tapRows returns the output rows [lo, hi) whose input row o − PadH + kh
// lies inside the image, for a stride-1 convolution.
func (s Conv2DShape) tapRows(kh int) (lo, hi int) {
	return max(0, s.PadH-kh), min(s.OutH(), s.H+s.PadH-kh)
}

// im2colSame is im2col for rowContiguous shapes.
func im2colSame(s Conv2DShape, col, x []float32) {
	oh, w := s.OutH(), s.W
	ohw := oh * w
	hw := s.H * w
	r := 0
	for c := 0; c < s.C; c++ {
		xc := x[c*hw : (c+1)*hw]
		for kh := 0; kh < s.KH; kh++ {
			rlo, rhi := s.tapRows(kh)
			for kw := 0; kw < s.KW; kw++ {
				row := col[r*ohw : (r+1)*ohw]
				r++
				if rlo >= rhi {
					clear(row)
					continue
				}
				clear(row[:rlo*w])
				clear(row[rhi*w:])
				delta := (kh-s.PadH)*w + (kw - s.PadW)
				a, b := rlo*w, rhi*w // col range; x range is shifted by delta
				// Clip the range so x indices stay in the plane; the clipped
				// entries are padding columns and are zeroed below.
				a0, b0 := max(a, -delta), min(b, hw-delta)
				clear(row[a:a0])
				copy(row[a0:b0], xc[a0+delta:b0+delta])
				clear(row[b0:b])
				// Zero the columns whose tap lies in the left/right padding.
				lo, hi := outRange(w, w, 1, s.PadW, kw)
				if lo == 0 && hi == w {
					continue
				}
				for o := rlo; o < rhi; o++ {
					seg := row[o*w : (o+1)*w]
					clear(seg[:lo])
					clear(seg[hi:])
				}
			}
		}
	}
}

// col2imSame is col2im for rowContiguous shapes. It zeroes the entries of
// col that fall in the left/right padding (col is scratch) so that each
// unrolled row is added to the plane in one contiguous pass.
func col2imSame(s Conv2DShape, dx, col []float32) {
	oh, w := s.OutH(), s.W
	ohw := oh * w
	hw := s.H * w
	r := 0
	for c := 0; c < s.C; c++ {
		dxc := dx[c*hw : (c+1)*hw]
		for kh := 0; kh < s.KH; kh++ {
			rlo, rhi := s.tapRows(kh)
			for kw := 0; kw < s.KW; kw++ {
				row := col[r*ohw : (r+1)*ohw]
				r++
				if rlo >= rhi {
					continue
				}
				lo, hi := outRange(w, w, 1, s.PadW, kw)
				if lo != 0 || hi != w {
					for o := rlo; o < rhi; o++ {
						seg := row[o*w : (o+1)*w]
						clear(seg[:lo])
						clear(seg[hi:])
					}
				}
				delta := (kh-s.PadH)*w + (kw - s.PadW)
				a, b := rlo*w, rhi*w
				a0, b0 := max(a, -delta), min(b, hw-delta)
				src := row[a0:b0]
				dst := dxc[a0+delta : b0+delta]
				dst = dst[:len(src)]
				for i, v := range src {
					dst[i] += v
				}
			}
		}
	}
}

func fill(dst []float32, v float32) {
	for i := range dst {
		dst[i] = v
	}
}

// sum adds v in float32 with four partial sums (faster and slightly more
// accurate than one running sum).
func sum(v []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}
