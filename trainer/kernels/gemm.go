package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// Tile sizes under which gonum's pure-Go Sgemm stays on its serial path: it
// goes parallel (starting goroutines and allocating) once the product has 4
// or more 64×64 blocks of C, so tiles of at most 64 rows × 192 columns
// (3 blocks) are always computed serially.
const (
	serialTileM = 64
	serialTileN = 192
)

// simdMinN is the narrowest product (columns of C) given to the SIMD kernel:
// its micro-tile is 16 columns wide, so on narrower products (the weight
// gradient of a convolution with few input channels, C·KH·KW < 16) most of
// each tile is padding and gonum's dot-product loops are faster.
const simdMinN = 16

// useSIMD reports whether products run on the AVX2/FMA kernel of
// trainer/internal/simd: the CPU supports it and the process has not
// switched blas32 away from gonum's pure-Go implementation (to OpenBLAS).
func useSIMD() bool {
	if !simd.Available() {
		return false
	}
	_, native := blas32.Implementation().(gonum.Implementation)
	return native
}

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, with
// op(A) m×k, op(B) k×n and C m×n, single-threaded and without allocating.
// Under gonum's pure-Go blas32 on a CPU with AVX2 and FMA it uses the
// packed-panel kernel of trainer/internal/simd, packing into pack, which
// must then hold simd.PackLen(m, n, k) float32s (a shorter pack falls back
// to gonum); otherwise it calls the selected blas32 implementation, in
// tiles small enough for gonum's serial path.
func gemm(pack []float32, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	impl := blas32.Implementation()
	_, native := impl.(gonum.Implementation)
	if native && simd.Available() && n >= simdMinN && len(pack) >= simd.PackLen(m, n, k) {
		var w simd.Work
		w.Borrow(pack, m, n, k)
		simd.Gemm(&w, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	SgemmSerial(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial computes C = alpha·op(A)·op(B) + beta·C for row-major
// matrices through the selected blas32 implementation, on the calling
// goroutine only: with gonum's pure-Go BLAS the product is issued in tiles
// small enough for gonum's serial path (no goroutines, no allocation). The
// training engine runs one model per goroutine, so BLAS must not fan out.
func SgemmSerial(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	impl := blas32.Implementation()
	_, native := impl.(gonum.Implementation)
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	if !native || (m <= serialTileM && n <= serialTileN) {
		impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for i := 0; i < m; i += serialTileM {
		mt := min(serialTileM, m-i)
		var ai []float32
		if tA {
			ai = a[i:] // op(A) rows i.. are columns i.. of A
		} else {
			ai = a[i*lda:]
		}
		for j := 0; j < n; j += serialTileN {
			nt := min(serialTileN, n-j)
			var bj []float32
			if tB {
				bj = b[j*ldb:]
			} else {
				bj = b[j:]
			}
			impl.Sgemm(ta, tb, mt, nt, k, alpha, ai, lda, bj, ldb, beta, c[i*ldc+j:], ldc)
		}
	}
}
