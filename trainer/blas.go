package trainer

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// Tile sizes under which gonum's pure-Go Sgemm stays on its serial path (it
// starts goroutines and allocates once C has 4 or more 64×64 blocks). The
// engine runs one model per goroutine, so BLAS must stay single-threaded.
const (
	serialTileM = 64
	serialTileN = 192
)

// gemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices through
// the BLAS implementation currently selected in gonum's blas32 (pure Go by
// default, OpenBLAS after UseOpenBLAS in builds tagged openblas), on the
// calling goroutine only. op(A) is m×k, op(B) is k×n and C is m×n. With
// gonum's pure-Go BLAS on a CPU with AVX2 and FMA, the packed-panel kernel
// of trainer/internal/simd is used instead, with w as its scratch.
func gemm(w *simd.Work, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	impl := blas32.Implementation()
	_, native := impl.(gonum.Implementation)
	if native && w != nil && simd.Available() {
		simd.Gemm(w, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
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
			ai = a[i:] // rows i.. of op(A) are columns i.. of A
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
