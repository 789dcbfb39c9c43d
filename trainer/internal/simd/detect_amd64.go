//go:build !purego

package simd

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv0() (eax, edx uint32)

//go:noescape
func kernel4x16(k int, a, b, c *float32, ldc int)

// hasFMAKernel reports whether the CPU and OS support AVX2 and FMA. It is
// computed once at start-up and never changes.
var hasFMAKernel = detectFMA()

func detectFMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&fma == 0 || ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

//go:noescape
func adamAVX(p *AdamParams, wp, gp, mp, vp *float32, n int)

//go:noescape
func reluAVX(y, x *float32, n int)

//go:noescape
func reluBackwardAVX(dx, dy, x *float32, n int)
