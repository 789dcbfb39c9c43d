package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// TestGemmPaths checks gemm against a float64 reference on every transpose
// combination, with packing space (the SIMD kernel where the CPU has it)
// and without (gonum in serial tiles), on shapes larger than one tile.
func TestGemmPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{1, 1, 1}, {64, 196, 288}, {130, 400, 70}, {9, 1030, 33}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			tA, tB := tr[0], tr[1]
			a, b, c0 := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for _, v := range [][]float32{a, b, c0} {
				for i := range v {
					v[i] = float32(r.NormFloat64())
				}
			}
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			const alpha, beta = 0.5, 2
			for _, packLen := range []int{0, simd.PackLen(m, n, k)} {
				c := append([]float32(nil), c0...)
				gemm(make([]float32, packLen), tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						s := 0.0
						for l := 0; l < k; l++ {
							var av, bv float32
							if tA {
								av = a[l*lda+i]
							} else {
								av = a[i*lda+l]
							}
							if tB {
								bv = b[j*ldb+l]
							} else {
								bv = b[l*ldb+j]
							}
							s += float64(av) * float64(bv)
						}
						want := alpha*s + beta*float64(c0[i*n+j])
						if got := float64(c[i*n+j]); math.Abs(got-want) > 1e-4*math.Sqrt(float64(k))+1e-5*math.Abs(want) {
							t.Fatalf("m=%d n=%d k=%d tA=%v tB=%v pack=%d: c[%d,%d] = %v, want %v", m, n, k, tA, tB, packLen, i, j, got, want)
						}
					}
				}
			}
		}
	}
}
