package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

type convBench struct {
	name      string
	s         Conv2DShape
	bias, dx  bool // bias term; input gradient (false for a first layer)
	poolInput bool
}

var convBenches = []convBench{
	{name: "1to32_28x28_b128", s: Conv2DShape{N: 128, C: 1, H: 28, W: 28, K: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, bias: true},
	{name: "32to64_14x14_b128", s: Conv2DShape{N: 128, C: 32, H: 14, W: 14, K: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, bias: true, dx: true},
	{name: "3to32_32x32_b128_nobias", s: Conv2DShape{N: 128, C: 3, H: 32, W: 32, K: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}},
}

// BenchmarkConv2D times forward, backward and both for the engine's
// reference layers and reports GFLOP/s (2 flops per multiply-add; the
// backward counts dW and, when computed, dX).
func BenchmarkConv2D(b *testing.B) {
	for _, cb := range convBenches {
		s := cb.s
		r := rand.New(rand.NewPCG(1, 1))
		x, w := randSlice(r, s.InLen()), randSlice(r, s.WeightLen())
		var bias, db, dx []float32
		if cb.bias {
			bias, db = randSlice(r, s.K), make([]float32, s.K)
		}
		if cb.dx {
			dx = make([]float32, s.InLen())
		}
		y, dy := make([]float32, s.OutLen()), randSlice(r, s.OutLen())
		dw := make([]float32, s.WeightLen())
		scratch := make([]float32, s.ScratchLen())
		macs := float64(s.N * s.K * s.C * s.KH * s.KW * s.OutH() * s.OutW())
		bwdFlops := 2 * macs
		if cb.dx {
			bwdFlops += 2 * macs
		}
		run := func(b *testing.B, flops float64, fwd, bwd bool) {
			b.ReportAllocs()
			c0 := cpuTime(b)
			for b.Loop() {
				if fwd {
					if err := Conv2DForward(s, y, x, w, bias, scratch); err != nil {
						b.Fatal(err)
					}
				}
				if bwd {
					if err := Conv2DBackward(s, dx, dw, db, dy, x, w, scratch); err != nil {
						b.Fatal(err)
					}
				}
			}
			cpu := (cpuTime(b) - c0).Seconds()
			b.ReportMetric(cpu*1e9/float64(b.N), "cpu-ns/op")
			b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/s(cpu)")
		}
		b.Run(cb.name+"/fwd", func(b *testing.B) { run(b, 2*macs, true, false) })
		b.Run(cb.name+"/bwd", func(b *testing.B) { run(b, bwdFlops, false, true) })
		b.Run(cb.name+"/fwdbwd", func(b *testing.B) { run(b, 2*macs+bwdFlops, true, true) })
	}
}

// BenchmarkMaxPool2 times 2×2, stride-2 max pooling forward + backward on
// the outputs of the BenchmarkConv2D layers.
func BenchmarkMaxPool2(b *testing.B) {
	for _, cb := range convBenches {
		cs := cb.s
		s := Pool2DShape{N: cs.N, C: cs.K, H: cs.OutH(), W: cs.OutW(), KH: 2, KW: 2, StrideH: 2, StrideW: 2}
		r := rand.New(rand.NewPCG(2, 2))
		x, dy := randSlice(r, s.InLen()), randSlice(r, s.OutLen())
		y, dx := make([]float32, s.OutLen()), make([]float32, s.InLen())
		arg := make([]int32, s.OutLen())
		b.Run(fmt.Sprintf("%dx%dx%dx%d", s.N, s.C, s.H, s.W), func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuTime(b)
			for b.Loop() {
				if err := MaxPool2DForward(s, y, arg, x); err != nil {
					b.Fatal(err)
				}
				if err := MaxPool2DBackward(s, dx, dy, arg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func BenchmarkBatchNorm2D(b *testing.B) {
	s := NormShape{N: 128, C: 32, HW: 28 * 28}
	r := rand.New(rand.NewPCG(3, 3))
	x, dy := randSlice(r, s.Len()), randSlice(r, s.Len())
	y, dx := make([]float32, s.Len()), make([]float32, s.Len())
	g, be := randSlice(r, s.C), randSlice(r, s.C)
	rm, rv, m, inv, dg, db := make([]float32, s.C), make([]float32, s.C), make([]float32, s.C), make([]float32, s.C), make([]float32, s.C), make([]float32, s.C)
	b.ReportAllocs()
	for b.Loop() {
		if err := BatchNormTrainForward(s, y, x, g, be, rm, rv, m, inv, 0.1, 1e-5); err != nil {
			b.Fatal(err)
		}
		if err := BatchNormBackward(s, dx, dg, db, dy, x, g, m, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPadCropFlip(b *testing.B) {
	const c, h, w = 3, 32, 32
	src, dst := make([]float32, c*h*w), make([]float32, c*h*w)
	b.ReportAllocs()
	for b.Loop() {
		if err := PadCropFlip(dst, src, c, h, w, 4, 3, -2, true); err != nil {
			b.Fatal(err)
		}
	}
}
