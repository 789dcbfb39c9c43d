package trainer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/umbra-ml/umbra/datasets"
)

// blobs returns n examples of d features in `classes` Gaussian clusters.
func blobs(n, d, classes int, seed uint64) *datasets.Dataset {
	r := rand.New(rand.NewPCG(seed, 99))
	centers := make([]float32, classes*d)
	for i := range centers {
		centers[i] = float32(2 * r.NormFloat64())
	}
	ds := &datasets.Dataset{Name: "blobs", Shape: []int{d}, Classes: classes, X: make([]float32, n*d), Y: make([]int, n)}
	for i := 0; i < n; i++ {
		c := r.IntN(classes)
		ds.Y[i] = c
		for j := 0; j < d; j++ {
			ds.X[i*d+j] = centers[c*d+j] + float32(0.5*r.NormFloat64())
		}
	}
	return ds
}

// images returns n c×h×w images in [0, 1] whose class is the quadrant
// holding a bright square.
func images(n, c, h, w int, seed uint64) *datasets.Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	d := c * h * w
	ds := &datasets.Dataset{Name: "squares", Shape: []int{c, h, w}, Classes: 4, X: make([]float32, n*d), Y: make([]int, n)}
	for i := 0; i < n; i++ {
		q := r.IntN(4)
		ds.Y[i] = q
		img := ds.X[i*d : (i+1)*d]
		for k := range img {
			img[k] = 0.2 * r.Float32()
		}
		y0, x0 := (q/2)*h/2+r.IntN(h/4), (q%2)*w/2+r.IntN(w/4)
		for ch := 0; ch < c; ch++ {
			for y := y0; y < y0+h/4; y++ {
				for x := x0; x < x0+w/4; x++ {
					img[(ch*h+y)*w+x] = 1
				}
			}
		}
	}
	return ds
}

func mlpSetup(t testing.TB) (ArchConfig, Recipe, *datasets.Dataset) {
	arch := ArchConfig{Name: ArchMLP, Hidden: []int{16, 8}, Dropout: 0.1}
	r := Recipe{Epochs: 4, BatchSize: 16, Optimizer: OptimizerConfig{Kind: Adam, LR: 1e-2, WeightDecay: 1e-4},
		Schedule: Schedule{Kind: Cosine, WarmupEpochs: 1}, LabelSmoothing: 0.1}
	return arch, r, blobs(200, 10, 3, 5)
}

func cnnSetup(t testing.TB) (ArchConfig, Recipe, *datasets.Dataset) {
	arch := ArchConfig{Name: ArchCNN, Norm: "batch", Dropout: 0.2, Hidden: []int{16},
		Conv: []ConvBlock{{Channels: 4, Padding: -1, Pool: MaxPool}, {Channels: 8, Padding: -1, NoBias: true, Pool: AvgPool}}}
	r := Recipe{Epochs: 3, BatchSize: 10, Optimizer: OptimizerConfig{Kind: SGD, LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4},
		Schedule: Schedule{Kind: Step, StepEpochs: 2, Gamma: 0.5}, Augment: Augment{CropPad: 2, Flip: true}}
	return arch, r, images(64, 2, 8, 8, 3)
}

func newTestModel(t testing.TB, arch ArchConfig, ds *datasets.Dataset, seed uint64) *Model {
	t.Helper()
	m, err := NewModel(arch, ds.Shape, ds.Classes, seed, 32)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func weights(m *Model) []float32 {
	var w []float32
	for _, p := range m.Params() {
		w = append(w, p.W...)
	}
	for _, b := range m.Buffers() {
		w = append(w, b.Data...)
	}
	return w
}

func bitsEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func TestTrainDeterministic(t *testing.T) {
	t.Parallel()
	for _, setup := range []struct {
		name string
		f    func(testing.TB) (ArchConfig, Recipe, *datasets.Dataset)
	}{{"mlp", mlpSetup}, {"cnn", cnnSetup}} {
		t.Run(setup.name, func(t *testing.T) {
			arch, r, ds := setup.f(t)
			run := func(seed uint64) ([]float32, []float32) {
				m := newTestModel(t, arch, ds, seed)
				if _, err := Train(context.Background(), m, ds, r, TrainOptions{}); err != nil {
					t.Fatal(err)
				}
				lg, err := Logits(context.Background(), m, ds, []int{0, 1, 2, 3}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return weights(m), lg
			}
			w1, l1 := run(11)
			w2, l2 := run(11)
			w3, _ := run(12)
			if !bitsEqual(w1, w2) || !bitsEqual(l1, l2) {
				t.Fatal("same seed gave different weights or logits")
			}
			if bitsEqual(w1, w3) {
				t.Fatal("different seeds gave identical weights")
			}
		})
	}
}

func TestResumeBitwise(t *testing.T) {
	t.Parallel()
	for _, setup := range []struct {
		name string
		f    func(testing.TB) (ArchConfig, Recipe, *datasets.Dataset)
	}{{"mlp", mlpSetup}, {"cnn_bn_dropout_aug", cnnSetup}} {
		t.Run(setup.name, func(t *testing.T) {
			arch, r, ds := setup.f(t)
			idx := make([]int, 0, ds.Len())
			for i := 0; i < ds.Len(); i += 3 {
				idx = append(idx, i, i+1)
			}
			idx = idx[:len(idx)-1]
			ref := newTestModel(t, arch, ds, 42)
			ckpts := map[int][]byte{}
			_, err := Train(context.Background(), ref, ds, r, TrainOptions{Indices: idx,
				OnEpoch: func(_ context.Context, epoch int, _ EpochStats, ckpt func(io.Writer) error) error {
					var b bytes.Buffer
					if err := ckpt(&b); err != nil {
						return err
					}
					ckpts[epoch] = b.Bytes()
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			want := weights(ref)
			for e := 0; e < r.Epochs-1; e++ {
				c, err := ReadCheckpoint(bytes.NewReader(ckpts[e]))
				if err != nil {
					t.Fatalf("epoch %d: %v", e, err)
				}
				if c.Epoch != e+1 {
					t.Fatalf("checkpoint after epoch %d says %d completed epochs", e, c.Epoch)
				}
				// A different seed for init shows the weights come from the checkpoint.
				m := newTestModel(t, arch, ds, 42)
				for _, p := range m.Params() {
					clear(p.W)
				}
				res, err := Train(context.Background(), m, ds, r, TrainOptions{Indices: idx, StartFrom: c})
				if err != nil {
					t.Fatalf("resume after epoch %d: %v", e, err)
				}
				if len(res.Epochs) != r.Epochs-e-1 {
					t.Fatalf("resume after epoch %d ran %d epochs, want %d", e, len(res.Epochs), r.Epochs-e-1)
				}
				if !bitsEqual(weights(m), want) {
					t.Fatalf("resume after epoch %d: final weights differ from the uninterrupted run", e)
				}
			}
		})
	}
}

func TestCheckpointRejectsMismatch(t *testing.T) {
	t.Parallel()
	arch, r, ds := mlpSetup(t)
	r.Epochs = 1
	m := newTestModel(t, arch, ds, 1)
	var buf bytes.Buffer
	if _, err := Train(context.Background(), m, ds, r, TrainOptions{OnEpoch: func(_ context.Context, _ int, _ EpochStats, ckpt func(io.Writer) error) error {
		return ckpt(&buf)
	}}); err != nil {
		t.Fatal(err)
	}
	c, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	r2 := r
	r2.Epochs = 2
	r2.Optimizer.LR = 0.5
	if _, err := Train(context.Background(), newTestModel(t, arch, ds, 1), ds, r2, TrainOptions{StartFrom: c}); err == nil {
		t.Error("resuming with a different learning rate: want error")
	}
	if _, err := Train(context.Background(), newTestModel(t, arch, ds, 2), ds, r, TrainOptions{StartFrom: c}); err == nil {
		t.Error("resuming with a different seed: want error")
	}
	if _, err := Train(context.Background(), newTestModel(t, arch, ds, 1), ds, r, TrainOptions{StartFrom: c, Indices: []int{0, 1, 2}}); err == nil {
		t.Error("resuming on other training indices: want error")
	}
	if _, err := Train(context.Background(), newTestModel(t, arch, ds, 1), ds, r, TrainOptions{StartFrom: c}); err != nil {
		t.Errorf("resuming with matching inputs: %v", err)
	}
	if _, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()[:buf.Len()-3])); err == nil {
		t.Error("truncated checkpoint: want error")
	}
}

func TestWeightsRoundTrip(t *testing.T) {
	t.Parallel()
	arch, r, ds := cnnSetup(t)
	r.Epochs = 1
	m := newTestModel(t, arch, ds, 3)
	if _, err := Train(context.Background(), m, ds, r, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteWeights(&buf, m); err != nil {
		t.Fatal(err)
	}
	c, err := ReadCheckpoint(&buf)
	if err != nil {
		t.Fatal(err)
	}
	m2 := newTestModel(t, arch, ds, 4)
	if err := LoadWeights(m2, c); err != nil {
		t.Fatal(err)
	}
	if !bitsEqual(weights(m), weights(m2)) {
		t.Fatal("weights differ after round trip")
	}
	names := c.file.Names()
	for _, want := range []string{"layers.0.weight", "layers.0.bias", "layers.1.running_mean", "layers.5.weight"} {
		if !slices.Contains(names, want) {
			t.Errorf("weights file lacks %q (has %v)", want, names)
		}
	}
}

func TestTrainCancel(t *testing.T) {
	t.Parallel()
	arch, r, ds := mlpSetup(t)
	ctx, cancel := context.WithCancel(context.Background())
	m := newTestModel(t, arch, ds, 1)
	_, err := Train(ctx, m, ds, r, TrainOptions{OnEpoch: func(context.Context, int, EpochStats, func(io.Writer) error) error {
		cancel()
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestTrainDiverged(t *testing.T) {
	t.Parallel()
	arch, r, ds := mlpSetup(t)
	ds.X[5*10+3] = float32(math.Inf(1))
	m := newTestModel(t, arch, ds, 1)
	_, err := Train(context.Background(), m, ds, r, TrainOptions{})
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want *DivergedError", err)
	}
	if de.Epoch != 0 || !de.NonRetryable() {
		t.Errorf("got %+v, want epoch 0", de)
	}
}

func TestTrainLearns(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		f    func(testing.TB) (ArchConfig, Recipe, *datasets.Dataset)
		want float64
	}{{"mlp", mlpSetup, 0.95}, {"cnn", cnnSetup, 0.9}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			arch, r, ds := c.f(t)
			r.Epochs = 15
			r.Schedule = Schedule{}
			r.Augment.Flip = false // a mirror changes the quadrant label
			m := newTestModel(t, arch, ds, 9)
			if _, err := Train(context.Background(), m, ds, r, TrainOptions{}); err != nil {
				t.Fatal(err)
			}
			ev, err := Evaluate(context.Background(), m, ds, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("training accuracy %.3f", ev.Accuracy)
			if ev.Accuracy < c.want {
				t.Errorf("training accuracy %.3f, want >= %.2f", ev.Accuracy, c.want)
			}
		})
	}
}

func TestRecipeValidate(t *testing.T) {
	t.Parallel()
	ok := Recipe{Epochs: 1, BatchSize: 2, Optimizer: OptimizerConfig{Kind: SGD, LR: 0.1}}
	cases := []struct {
		name string
		mod  func(*Recipe)
	}{
		{"epochs", func(r *Recipe) { r.Epochs = 0 }},
		{"batch", func(r *Recipe) { r.BatchSize = -1 }},
		{"lr", func(r *Recipe) { r.Optimizer.LR = 0 }},
		{"kind", func(r *Recipe) { r.Optimizer.Kind = "lion" }},
		{"nesterov", func(r *Recipe) { r.Optimizer.Nesterov = true }},
		{"schedule", func(r *Recipe) { r.Schedule.Kind = Step }},
		{"loss", func(r *Recipe) { r.Loss = "hinge" }},
		{"smoothing", func(r *Recipe) { r.LabelSmoothing = 1 }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		r := ok
		c.mod(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: want error", c.name)
		}
	}
}

func TestModelAPIErrors(t *testing.T) {
	t.Parallel()
	ds := blobs(5, 4, 2, 1)
	m, err := NewModel(ArchConfig{Name: ArchMLP, Hidden: []int{3}, Dropout: 0.5}, ds.Shape, 2, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Forward(&Pass{}, ds.X[:4*5], 5); err == nil {
		t.Error("batch above MaxBatch: want error")
	}
	if _, err := m.Forward(&Pass{}, ds.X[:7], 2); err == nil {
		t.Error("short input: want error")
	}
	if _, err := m.Forward(&Pass{Train: true}, ds.X[:8], 2); err == nil {
		t.Error("training pass without dropout stream: want error")
	}
	out, err := m.Forward(&Pass{}, ds.X[:8], 2)
	if err != nil || len(out) != 4 {
		t.Fatalf("forward: %v, %d outputs", err, len(out))
	}
	if _, err := m.Backward(&Pass{}, out[:3], 2, true); err == nil {
		t.Error("short output gradient: want error")
	}
	if _, err := NewModel(ArchConfig{Name: ArchMLP}, ds.Shape, 0, 1, 4); err == nil {
		t.Error("zero classes: want error")
	}
}

// A kernel rejecting its input inside a training step (batch norm over a
// final batch of one example) must come back as an error, not a panic.
func TestTrainKernelErrorIsReturned(t *testing.T) {
	t.Parallel()
	ds := blobs(5, 4, 2, 1)
	m, err := NewCustomModel(NewSequential("layers", NewDense(3, false), NewBatchNorm(), NewDense(2, false)), ds.Shape, 2, 1, 4, InitDefault)
	if err != nil {
		t.Fatal(err)
	}
	r := Recipe{Epochs: 1, BatchSize: 4, Optimizer: OptimizerConfig{Kind: SGD, LR: 0.1}}
	if _, err := Train(context.Background(), m, ds, r, TrainOptions{}); err == nil {
		t.Fatal("batch norm on a batch of one: want error")
	}
	r.DropLast = true
	if _, err := Train(context.Background(), m, ds, r, TrainOptions{}); err != nil {
		t.Fatalf("with DropLast: %v", err)
	}
}
