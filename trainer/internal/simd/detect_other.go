//go:build !amd64 || purego

package simd

// hasFMAKernel is false off amd64 and in builds tagged purego: the scalar
// Go loops (and, for products, gonum's pure-Go Sgemm) are used.
const hasFMAKernel = false

func kernel4x16(k int, a, b, c *float32, ldc int) {
	panic("trainer: kernel4x16 called without AVX2/FMA support")
}

func adamAVX(p *AdamParams, wp, gp, mp, vp *float32, n int) {
	panic("trainer: adamAVX called without AVX2 support")
}

func reluAVX(y, x *float32, n int) { panic("trainer: reluAVX called without AVX2 support") }

func reluBackwardAVX(dx, dy, x *float32, n int) {
	panic("trainer: reluBackwardAVX called without AVX2 support")
}
