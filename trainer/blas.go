package trainer

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
	"github.com/umbra-ml/umbra/trainer/kernels"
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
	kernels.SgemmSerial(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
