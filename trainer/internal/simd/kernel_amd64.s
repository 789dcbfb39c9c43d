//go:build !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax, edx uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	BYTE $0x0f; BYTE $0x01; BYTE $0xd0 // XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func kernel4x16(k int, a, b, c *float32, ldc int)
//
// c[i][j] += Σ_l a[l*4+i] · b[l*16+j] for a 4×16 tile of c with row stride
// ldc floats; a and b are packed panels (see sgemm_amd64.go). AVX2 + FMA.
TEXT ·kernel4x16(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JE done

loop:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VBROADCASTSS 4(SI), Y11
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS 8(SI), Y12
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VBROADCASTSS 12(SI), Y13
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ $16, SI
	ADDQ $64, DI
	DECQ CX
	JNE loop

done:
	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DX)
	VADDPS 32(DX), Y1, Y1
	VMOVUPS Y1, 32(DX)
	ADDQ R8, DX
	VADDPS (DX), Y2, Y2
	VMOVUPS Y2, (DX)
	VADDPS 32(DX), Y3, Y3
	VMOVUPS Y3, 32(DX)
	ADDQ R8, DX
	VADDPS (DX), Y4, Y4
	VMOVUPS Y4, (DX)
	VADDPS 32(DX), Y5, Y5
	VMOVUPS Y5, 32(DX)
	ADDQ R8, DX
	VADDPS (DX), Y6, Y6
	VMOVUPS Y6, (DX)
	VADDPS 32(DX), Y7, Y7
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func adamAVX(p *AdamParams, wp, gp, mp, vp *float32, n int)
//
// n must be a positive multiple of 8. See AdamStep for the arithmetic; the
// operation order matches the scalar code exactly.
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), AX
	MOVQ wp+8(FP), DI
	MOVQ gp+16(FP), SI
	MOVQ mp+24(FP), DX
	MOVQ vp+32(FP), R8
	MOVQ n+40(FP), CX
	VBROADCASTSS 0(AX), Y8   // WD
	VBROADCASTSS 4(AX), Y9   // B1
	VBROADCASTSS 8(AX), Y10  // C1
	VBROADCASTSS 12(AX), Y11 // B2
	VBROADCASTSS 16(AX), Y12 // C2
	VBROADCASTSS 20(AX), Y13 // InvSqrtBC2
	VBROADCASTSS 24(AX), Y14 // Eps
	VBROADCASTSS 28(AX), Y15 // StepSize

adamloop:
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VMOVUPS (DX), Y2
	VMOVUPS (R8), Y3
	VMULPS Y0, Y8, Y4
	VADDPS Y4, Y1, Y1
	VMULPS Y2, Y9, Y2
	VMULPS Y1, Y10, Y4
	VADDPS Y4, Y2, Y2
	VMULPS Y3, Y11, Y3
	VMULPS Y1, Y12, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y4, Y3, Y3
	VSQRTPS Y3, Y4
	VMULPS Y4, Y13, Y4
	VADDPS Y14, Y4, Y4
	VMULPS Y2, Y15, Y5
	VDIVPS Y4, Y5, Y5
	VSUBPS Y5, Y0, Y0
	VMOVUPS Y0, (DI)
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, (R8)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	SUBQ $8, CX
	JNE adamloop
	VZEROUPPER
	RET

// func reluAVX(y, x *float32, n int)
//
// y = max(0, x) with x as the operand MAXPS returns on NaN; n is a positive
// multiple of 8.
TEXT ·reluAVX(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y1, Y1, Y1

reluloop:
	VMOVUPS (SI), Y0
	VMAXPS Y0, Y1, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNE reluloop
	VZEROUPPER
	RET

// func reluBackwardAVX(dx, dy, x *float32, n int)
//
// dx = dy where x > 0 (ordered compare: NaN gives 0); n is a positive
// multiple of 8.
TEXT ·reluBackwardAVX(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y1, Y1, Y1

relubloop:
	VMOVUPS (DX), Y0
	VCMPPS $0x1e, Y1, Y0, Y2 // Y2 = (x > 0), ordered, quiet (GT_OQ)
	VANDPS (SI), Y2, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JNE relubloop
	VZEROUPPER
	RET
