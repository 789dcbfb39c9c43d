package trainer

import (
	"math/rand/v2"
	"testing"

	"github.com/umbra-ml/umbra/datasets"
)

// benchSession returns a training session of arch on random data, warmed up
// by one step, for benchmarking single training steps.
func benchSession(b *testing.B, arch ArchConfig, opt OptimizerConfig, shape []int, classes int) (*session, []int) {
	const batch = 128
	d := prod(shape)
	r := rand.New(rand.NewPCG(1, 1))
	ds := &datasets.Dataset{Name: "bench", Shape: shape, Classes: classes, X: make([]float32, batch*d), Y: make([]int, batch)}
	for i := range ds.X {
		ds.X[i] = r.Float32()
	}
	for i := range ds.Y {
		ds.Y[i] = r.IntN(classes)
	}
	m, err := NewModel(arch, shape, classes, 1, batch)
	if err != nil {
		b.Fatal(err)
	}
	s, err := newSession(m, ds, Recipe{Epochs: 1, BatchSize: batch, Optimizer: opt})
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
	}
	if _, _, err := s.step(idx, 0, opt.LR); err != nil {
		b.Fatal(err)
	}
	return s, idx
}

func benchStep(b *testing.B, arch ArchConfig, opt OptimizerConfig, shape []int, classes int) {
	s, idx := benchSession(b, arch, opt, shape, classes)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.step(idx, 0, opt.LR); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(idx))/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkStepMLP600 is one training step (batch 128) of 600→256→100 with Adam.
func BenchmarkStepMLP600(b *testing.B) {
	benchStep(b, ArchConfig{Name: ArchMLP, Hidden: []int{256}}, OptimizerConfig{Kind: Adam, LR: 1e-3}, []int{600}, 100)
}

// BenchmarkStepSimpleCNN is one training step (batch 128) of simplecnn on 1×28×28 with SGD+momentum.
func BenchmarkStepSimpleCNN(b *testing.B) {
	benchStep(b, ArchConfig{Name: ArchSimpleCNN}, OptimizerConfig{Kind: SGD, LR: 0.01, Momentum: 0.9}, []int{1, 28, 28}, 10)
}

// BenchmarkStepConv32 is one training step (batch 128) of conv3×3(3→32)-ReLU-maxpool-dense on 3×32×32 with Adam.
func BenchmarkStepConv32(b *testing.B) {
	benchStep(b, ArchConfig{Name: ArchCNN, Conv: []ConvBlock{{Channels: 32, Padding: 1, NoBias: true, Pool: MaxPool}}},
		OptimizerConfig{Kind: Adam, LR: 1e-3}, []int{3, 32, 32}, 10)
}

// BenchmarkStepResNet20 is one training step (batch 128) of ResNet-20 on 3×32×32.
func BenchmarkStepResNet20(b *testing.B) {
	benchStep(b, ArchConfig{Name: ArchResNet}, OptimizerConfig{Kind: SGD, LR: 0.1, Momentum: 0.9}, []int{3, 32, 32}, 10)
}
