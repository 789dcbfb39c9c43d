package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// Tile sizes under which gonum's pure-Go Sgemm stays on its serial path: it
// goes parallel (starting goroutines and allocating) once the product has 4
// or more 64×64 blocks of C, so tiles of at most 64 rows × 192 columns
// (3 blocks) are always computed serially.
const (
	serialTileM = 64
	serialTileN = 192
)

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, with
// op(A) m×k, op(B) k×n and C m×n, through the process's blas32
// implementation, single-threaded.
func gemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	impl := blas32.Implementation()
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	if _, native := impl.(gonum.Implementation); !native || (m <= serialTileM && n <= serialTileN) {
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
