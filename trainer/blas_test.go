package trainer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// TestGemmPaths checks that gemm through the selected BLAS in serial tiles
// (w == nil) and through the packed kernel (w != nil, when available) agree
// with a float64 reference on shapes larger than one tile.
func TestGemmPaths(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	const m, n, k = 130, 400, 70
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		tA, tB := tr[0], tr[1]
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		lda, ldb := k, n
		if tA {
			lda = m
		}
		if tB {
			ldb = k
		}
		at := func(i, l int) float32 {
			if tA {
				return a[l*lda+i]
			}
			return a[i*lda+l]
		}
		bt := func(l, j int) float32 {
			if tB {
				return b[j*ldb+l]
			}
			return b[l*ldb+j]
		}
		for _, w := range []*simd.Work{nil, {}} {
			c := make([]float32, m*n)
			gemm(w, tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
			for i := 0; i < m; i += 7 {
				for j := 0; j < n; j += 11 {
					s := 0.0
					for l := 0; l < k; l++ {
						s += float64(at(i, l)) * float64(bt(l, j))
					}
					if math.Abs(s-float64(c[i*n+j])) > 1e-3 {
						t.Fatalf("tA=%v tB=%v work=%v: c[%d,%d] = %v, want %v", tA, tB, w != nil, i, j, c[i*n+j], s)
					}
				}
			}
		}
	}
}
