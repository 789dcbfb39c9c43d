package simd

import "math"

// AdamParams are the per-step constants of an Adam update.
type AdamParams struct {
	WD         float32 // L2 weight decay added to the gradient (0 for AdamW)
	B1, C1     float32 // β₁ and 1−β₁
	B2, C2     float32 // β₂ and 1−β₂
	InvSqrtBC2 float32 // 1/√(1−β₂ᵗ)
	Eps        float32
	StepSize   float32 // lr/(1−β₁ᵗ)
}

// AdamStep applies one Adam update to the n = len(g) weights w with moment
// buffers m and v:
//
//	g' = g + WD·w
//	m  = B1·m + C1·g'
//	v  = B2·v + (C2·g')·g'
//	w  = w − (StepSize·m)/(√v·InvSqrtBC2 + Eps)
//
// Every operation is a correctly rounded float32 operation in this order
// (no fused multiply-adds), so the AVX2 path and the scalar path give
// bitwise-identical results.
func AdamStep(p *AdamParams, w, g, m, v []float32) {
	n := len(g)
	w, m, v = w[:n], m[:n], v[:n]
	done := 0
	if hasFMAKernel && n >= 8 {
		done = n &^ 7
		adamAVX(p, &w[0], &g[0], &m[0], &v[0], done)
	}
	for j := done; j < n; j++ {
		// Explicit conversions keep the compiler from fusing a*b+c.
		gj := g[j] + float32(p.WD*w[j])
		mj := float32(p.B1*m[j]) + float32(p.C1*gj)
		vj := float32(p.B2*v[j]) + float32(float32(p.C2*gj)*gj)
		m[j], v[j] = mj, vj
		den := float32(float32(math.Sqrt(float64(vj)))*p.InvSqrtBC2) + p.Eps
		w[j] -= float32(p.StepSize*mj) / den
	}
}
