package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemm compares Gemm with a float64 reference on every transpose combination and sizes that
// are not multiples of the blocking.
func TestGemm(t *testing.T) {
	if !Available() {
		t.Skip("no AVX2/FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	for _, sz := range [][3]int{{1, 1, 1}, {4, 16, 3}, {5, 17, 300}, {130, 600, 9}, {64, 529, 257}, {3, 1030, 20}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				a, b, c0 := fill(m*k), fill(k*n), fill(m*n)
				lda, ldb := k, n
				if tA {
					lda = m
				}
				if tB {
					ldb = k
				}
				const alpha, beta = 0.5, -1.5
				want := make([]float64, m*n)
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
						want[i*n+j] = alpha*s + beta*float64(c0[i*n+j])
					}
				}
				check := func(name string, c []float32) {
					for i, v := range c {
						if math.Abs(float64(v)-want[i]) > 1e-4*math.Max(1, math.Sqrt(float64(k))) {
							t.Fatalf("%s m=%d n=%d k=%d tA=%v tB=%v: c[%d] = %v, want %v", name, m, n, k, tA, tB, i, v, want[i])
						}
					}
				}
				c := append([]float32(nil), c0...)
				Gemm(&Work{}, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
				check("gemm", c)
			}
		}
	}
}
