package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamStepMatchesScalar checks the AVX2 path against the scalar
// formula bitwise, on lengths with and without a tail.
func TestAdamStepMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p := &AdamParams{WD: 0.01, B1: 0.9, C1: 1 - float32(0.9), B2: 0.999, C2: 1 - float32(0.999),
		InvSqrtBC2: 1 / float32(math.Sqrt(1-0.999*0.999)), Eps: 1e-8, StepSize: 1e-3 / (1 - 0.81)}
	for _, n := range []int{1, 7, 8, 9, 64, 1003} {
		w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range w {
			w[i], g[i], m[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(0.1*r.NormFloat64()), float32(0.01*r.Float64())
		}
		ww, mm, vv := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
		AdamStep(p, w, g, m, v)
		for j := 0; j < n; j++ {
			gj := g[j] + float32(p.WD*ww[j])
			mj := float32(p.B1*mm[j]) + float32(p.C1*gj)
			vj := float32(p.B2*vv[j]) + float32(float32(p.C2*gj)*gj)
			den := float32(float32(math.Sqrt(float64(vj)))*p.InvSqrtBC2) + p.Eps
			wj := ww[j] - float32(p.StepSize*mj)/den
			if math.Float32bits(wj) != math.Float32bits(w[j]) || mj != m[j] || vj != v[j] {
				t.Fatalf("n=%d j=%d: got (%v %v %v), want (%v %v %v)", n, j, w[j], m[j], v[j], wj, mj, vj)
			}
		}
	}
}
