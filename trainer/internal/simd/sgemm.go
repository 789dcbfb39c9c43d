// Package simd holds the engine's hand-vectorised float32 kernels for amd64
// CPUs with AVX2 and FMA: a packed-panel matrix product for builds without
// OpenBLAS, the Adam update and ReLU.
//
// gonum's pure-Go Sgemm computes each product with SSE dot products or
// axpys and reaches a few GFLOP/s; the engine trains with small dense and
// convolution products where that dominates. Gemm implements the
// classic Goto/BLIS blocking instead: op(B) is packed into k×16 column
// panels and op(A), scaled by alpha, into k×4 row panels, and a 4×16 AVX2
// FMA micro-kernel (kernel_amd64.s) accumulates each tile of C. It is
// single-threaded and, given a reusable Work, allocation-free. Results are
// deterministic for a given build and CPU but differ in rounding from other
// BLAS implementations. The build tag purego disables the assembly (to
// test the fallbacks on amd64).
//
// Why hand-written: gonum has no AVX2/FMA single-precision GEMM, and the
// only faster options (OpenBLAS, MKL) need cgo; this is the pure-Go (Go
// assembly) fallback that keeps default builds within a small factor of
// OpenBLAS.
package simd

const (
	mr = 4   // micro-tile rows
	nr = 16  // micro-tile columns
	kc = 256 // k block: a 4×256 and a 256×16 panel fit in L1
	mc = 128 // rows of A packed at once
	nc = 512 // columns of B packed at once (256×512 floats = 512 KiB)
)

// Work is the packing scratch of Gemm. Give each concurrently used caller
// (layer) its own; the zero value is ready to use.
type Work struct {
	ap, bp []float32
	tile   [mr * nr]float32
}

// packLens returns the lengths of the packed-A and packed-B buffers of an
// m×n×k product.
func packLens(m, n, k int) (ap, bp int) {
	roundUp := func(v, to int) int { return (v + to - 1) / to * to }
	kb := min(kc, k)
	return roundUp(min(mc, m), mr) * kb, roundUp(min(nc, n), nr) * kb
}

// PackLen is the number of float32s of packing space Gemm needs for an
// m×n×k product (at most 160 Ki floats, whatever the shape).
func PackLen(m, n, k int) int {
	ap, bp := packLens(m, n, k)
	return ap + bp
}

// Borrow makes w pack an m×n×k product into buf instead of buffers of its
// own, so that callers without a long-lived Work (the stateless kernels of
// trainer/kernels) stay allocation-free: buf must hold PackLen(m, n, k)
// float32s, and must not be used otherwise until the product is done.
func (w *Work) Borrow(buf []float32, m, n, k int) {
	ap, bp := packLens(m, n, k)
	w.ap = buf[:ap:ap]
	w.bp = buf[ap : ap+bp : ap+bp]
}

// grow sizes the packing buffers for an m×n×k product (first use only, for
// a caller whose shapes do not change).
func (w *Work) grow(m, n, k int) {
	ap, bp := packLens(m, n, k)
	if len(w.ap) < ap {
		w.ap = make([]float32, ap)
	}
	if len(w.bp) < bp {
		w.bp = make([]float32, bp)
	}
}

// Available reports whether Gemm can run on this CPU.
func Available() bool { return hasFMAKernel }

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices: op(A)
// is m×k (A is k×m when tA), op(B) is k×n (B is n×k when tB), C is m×n with
// row stride ldc. It must only be called when Available reports true.
func Gemm(w *Work, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				for j := range row {
					row[j] *= beta
				}
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	w.grow(m, n, k)
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			packB(w.bp, tB, b, ldb, pc, kb, jc, nb)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(w.ap, tA, a, lda, alpha, ic, mb, pc, kb)
				for jp := 0; jp < nb; jp += nr {
					bpan := w.bp[jp*kb : (jp+nr)*kb]
					nt := min(nr, nb-jp)
					for ip := 0; ip < mb; ip += mr {
						apan := w.ap[ip*kb : (ip+mr)*kb]
						mt := min(mr, mb-ip)
						ci := (ic+ip)*ldc + jc + jp
						if mt == mr && nt == nr {
							kernel4x16(kb, &apan[0], &bpan[0], &c[ci], ldc)
							continue
						}
						t := &w.tile
						clear(t[:])
						kernel4x16(kb, &apan[0], &bpan[0], &t[0], nr)
						for i := 0; i < mt; i++ {
							row := c[ci+i*ldc : ci+i*ldc+nt]
							for j := range row {
								row[j] += t[i*nr+j]
							}
						}
					}
				}
			}
		}
	}
}

// packB writes op(B)[pc:pc+kb, jc:jc+nb] as panels of nr columns: panel p
// holds kb rows of nr values (zero beyond nb).
func packB(dst []float32, tB bool, b []float32, ldb, pc, kb, jc, nb int) {
	for jp := 0; jp < nb; jp += nr {
		pan := dst[jp*kb : (jp+nr)*kb]
		nt := min(nr, nb-jp)
		if tB {
			// op(B)[l][j] = b[j*ldb + l]: read each row of b sequentially.
			for j := 0; j < nr; j++ {
				if j >= nt {
					for l := 0; l < kb; l++ {
						pan[l*nr+j] = 0
					}
					continue
				}
				src := b[(jc+jp+j)*ldb+pc : (jc+jp+j)*ldb+pc+kb]
				for l, v := range src {
					pan[l*nr+j] = v
				}
			}
			continue
		}
		for l := 0; l < kb; l++ {
			out := pan[l*nr : (l+1)*nr]
			copy(out[:nt], b[(pc+l)*ldb+jc+jp:])
			clear(out[nt:])
		}
	}
}

// packA writes alpha·op(A)[ic:ic+mb, pc:pc+kb] as panels of mr rows: panel
// p holds kb columns of mr values (zero beyond mb).
func packA(dst []float32, tA bool, a []float32, lda int, alpha float32, ic, mb, pc, kb int) {
	for ip := 0; ip < mb; ip += mr {
		pan := dst[ip*kb : (ip+mr)*kb]
		mt := min(mr, mb-ip)
		r0 := ic + ip
		if tA {
			// op(A)[r][l] = a[l*lda + r]: mt consecutive values per l.
			for l := 0; l < kb; l++ {
				src := a[(pc+l)*lda+r0 : (pc+l)*lda+r0+mt]
				out := pan[l*mr : (l+1)*mr]
				for i, v := range src {
					out[i] = alpha * v
				}
				clear(out[mt:])
			}
			continue
		}
		for i := 0; i < mr; i++ {
			if i >= mt {
				for l := 0; l < kb; l++ {
					pan[l*mr+i] = 0
				}
				continue
			}
			src := a[(r0+i)*lda+pc : (r0+i)*lda+pc+kb]
			for l, v := range src {
				pan[l*mr+i] = alpha * v
			}
		}
	}
}
