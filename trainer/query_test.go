package trainer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/umbra-ml/umbra/datasets"
)

func TestLogitsAugmentations(t *testing.T) {
	t.Parallel()
	ds := images(5, 2, 6, 6, 1)
	arch := ArchConfig{Name: ArchCNN, Norm: "group", Groups: 2, Conv: []ConvBlock{{Channels: 4, Padding: -1, Pool: MaxPool}}}
	m, err := NewModel(arch, ds.Shape, ds.Classes, 3, 2) // max batch 2: exercises batching
	if err != nil {
		t.Fatal(err)
	}
	augs := []Augmentation{{}, {Mirror: true}, {DX: 1, DY: -2}, {Mirror: true, DX: -1}}
	idx := []int{4, 0, 2}
	got, err := Logits(context.Background(), m, ds, idx, augs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(idx)*len(augs)*ds.Classes {
		t.Fatalf("len = %d, want %d", len(got), len(idx)*len(augs)*ds.Classes)
	}
	// Build the transformed images by hand and query them as identity.
	c, h, w := 2, 6, 6
	man := &datasets.Dataset{Name: "manual", Shape: ds.Shape, Classes: ds.Classes}
	for _, i := range idx {
		src := ds.Example(i)
		for _, a := range augs {
			img := make([]float32, c*h*w)
			for ch := 0; ch < c; ch++ {
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						sy, sx := y-a.DY, x-a.DX
						if sy < 0 || sy >= h || sx < 0 || sx >= w {
							continue
						}
						if a.Mirror {
							sx = w - 1 - sx
						}
						img[(ch*h+y)*w+x] = src[(ch*h+sy)*w+sx]
					}
				}
			}
			man.X = append(man.X, img...)
			man.Y = append(man.Y, 0)
		}
	}
	all := make([]int, man.Len())
	for i := range all {
		all[i] = i
	}
	want, err := Logits(context.Background(), m, man, all, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bitsEqual(got, want) {
		t.Fatalf("augmented logits differ from logits of hand-transformed images:\n%v\n%v", got, want)
	}
	if bitsEqual(got[:ds.Classes], got[ds.Classes:2*ds.Classes]) {
		t.Error("mirror gave the same logits as identity")
	}
	if _, err := Logits(context.Background(), m, ds, []int{5}, nil); err == nil {
		t.Error("out-of-range index: want error")
	}
}

func TestInputGradientMatchesFiniteDifference(t *testing.T) {
	t.Parallel()
	ds := blobs(3, 6, 3, 2)
	m, err := NewModel(ArchConfig{Name: ArchMLP, Hidden: []int{8}, Activation: Tanh}, ds.Shape, 3, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	x := append([]float32(nil), ds.X...)
	g, losses, err := InputGradient(context.Background(), m, x, ds.Y)
	if err != nil {
		t.Fatal(err)
	}
	loss := func(i int) float64 {
		_, l, err := InputGradient(context.Background(), m, x, ds.Y)
		if err != nil {
			t.Fatal(err)
		}
		return l[i]
	}
	if l0 := loss(0); l0 != losses[0] {
		t.Fatalf("losses not reproducible: %v vs %v", l0, losses[0])
	}
	const h = 1e-2
	for j := range x {
		e := j / 6
		old := x[j]
		x[j] = old + h
		fp := loss(e)
		x[j] = old - h
		fm := loss(e)
		x[j] = old
		if num := (fp - fm) / (2 * h); math.Abs(num-float64(g[j])) > 1e-3*math.Max(1, math.Abs(num)) {
			t.Errorf("dloss_%d/dx[%d]: analytic %v, numeric %v", e, j, g[j], num)
		}
	}
}

func TestPGD(t *testing.T) {
	t.Parallel()
	ds := images(40, 1, 8, 8, 4)
	m, err := NewModel(ArchConfig{Name: ArchCNN, Conv: []ConvBlock{{Channels: 4, Padding: -1, Pool: MaxPool}}}, ds.Shape, ds.Classes, 2, 16)
	if err != nil {
		t.Fatal(err)
	}
	r := Recipe{Epochs: 10, BatchSize: 8, Optimizer: OptimizerConfig{Kind: Adam, LR: 1e-2}}
	if _, err := Train(context.Background(), m, ds, r, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	n := 8
	x := ds.X[:n*64]
	y := ds.Y[:n]
	_, clean, err := InputGradient(context.Background(), m, x, y)
	if err != nil {
		t.Fatal(err)
	}
	cfg := PGDConfig{Epsilon: 0.1, StepSize: 0.02, Steps: 10, RandomStart: true, Seed: 5}
	adv, err := PGD(context.Background(), m, x, y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range adv {
		if v < 0 || v > 1 || math.Abs(float64(v-x[j])) > 0.1+1e-6 {
			t.Fatalf("adv[%d] = %v outside the budget around %v or [0, 1]", j, v, x[j])
		}
	}
	_, advLoss, _ := InputGradient(context.Background(), m, adv, y)
	if sum(advLoss) <= sum(clean) {
		t.Errorf("untargeted PGD did not raise the loss: %v -> %v", sum(clean), sum(advLoss))
	}
	adv2, _ := PGD(context.Background(), m, x, y, cfg)
	if !bitsEqual(adv, adv2) {
		t.Error("PGD with the same seed is not reproducible")
	}
	// Targeted: lower the loss of target class (y+1)%4.
	tgt := make([]int, n)
	for i := range tgt {
		tgt[i] = (y[i] + 1) % 4
	}
	_, before, _ := InputGradient(context.Background(), m, x, tgt)
	cfg.Targeted = true
	tadv, err := PGD(context.Background(), m, x, tgt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := InputGradient(context.Background(), m, tadv, tgt)
	if sum(after) >= sum(before) {
		t.Errorf("targeted PGD did not lower the target loss: %v -> %v", sum(before), sum(after))
	}
	if _, err := PGD(context.Background(), m, x, y, PGDConfig{Epsilon: 0.1, Steps: 1}); err == nil {
		t.Error("zero step size: want error")
	}
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func TestArchitectures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		arch    ArchConfig
		in      []int
		classes int
		params  int
		names   []string
	}{
		// 600·256+256 + 256·100+100.
		{"mlp", ArchConfig{Name: ArchMLP, Hidden: []int{256}}, []int{600}, 100, 600*256 + 256 + 256*100 + 100, []string{"layers.0.weight", "layers.2.bias"}},
		// conv 1→32 (288+32), conv 32→64 (18432+64), dense 3136→128, dense 128→10.
		{"simplecnn_mnist", ArchConfig{Name: ArchSimpleCNN}, []int{1, 28, 28}, 10, 320 + 18496 + 3136*128 + 128 + 1290, []string{"layers.0.weight", "layers.3.weight", "layers.7.weight", "layers.9.bias"}},
		// Valid convolutions on 32×32×3: 30→15→13→6: dense 2304→128.
		{"simplecnn_valid", ArchConfig{Name: ArchSimpleCNN, ValidConv: true}, []int{3, 32, 32}, 10, 896 + 18496 + 2304*128 + 128 + 1290, nil},
		{"conv32", ArchConfig{Name: ArchCNN, Conv: []ConvBlock{{Channels: 32, Padding: 1, NoBias: true, Pool: MaxPool}}}, []int{3, 32, 32}, 10, 864 + 8192*10 + 10, nil},
		// ResNet-20 with 1×1 projection shortcuts: 0.27M parameters (He et al.)
		// plus the two projections (16·32+2·32 and 32·64+2·64).
		{"resnet20", ArchConfig{Name: ArchResNet}, []int{3, 32, 32}, 10, resnet20Params(), []string{"layers.0.weight", "layers.1.running_var", "layers.3.body.0.weight", "layers.9.shortcut.0.weight", "layers.15.shortcut.1.running_mean", "layers.22.weight"}},
	}
	for _, c := range cases {
		m, err := NewModel(c.arch, c.in, c.classes, 1, 4)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.NumParams() != c.params {
			t.Errorf("%s: %d parameters, want %d", c.name, m.NumParams(), c.params)
		}
		var names []string
		for _, p := range m.Params() {
			names = append(names, p.Name)
		}
		for _, b := range m.Buffers() {
			names = append(names, b.Name)
		}
		for _, want := range c.names {
			if !slices.Contains(names, want) {
				t.Errorf("%s: no tensor %q in %v", c.name, want, names)
			}
		}
	}
	bad := []struct {
		name string
		arch ArchConfig
		in   []int
	}{
		{"unknown", ArchConfig{Name: "vgg"}, []int{3}},
		{"cnn_on_vector", ArchConfig{Name: ArchSimpleCNN}, []int{30}},
		{"resnet_depth", ArchConfig{Name: ArchResNet, Depth: 21}, []int{3, 32, 32}},
		{"activation", ArchConfig{Name: ArchMLP, Activation: "gelu"}, []int{3}},
		{"groups", ArchConfig{Name: ArchCNN, Norm: "group", Groups: 3, Conv: []ConvBlock{{Channels: 4}}}, []int{1, 4, 4}},
		{"init", ArchConfig{Name: ArchMLP, Init: "orthogonal"}, []int{3}},
		{"too_small", ArchConfig{Name: ArchCNN, Conv: []ConvBlock{{Channels: 4, Kernel: 5}}}, []int{1, 3, 3}},
	}
	for _, c := range bad {
		if _, err := NewModel(c.arch, c.in, 2, 1, 4); err == nil {
			t.Errorf("%s: want error", c.name)
		}
	}
}

// resnet20Params counts ResNet-20's parameters by hand: each conv K·C·9
// (no bias), each norm 2·C.
func resnet20Params() int {
	conv := func(c, k, ks int) int { return k * c * ks * ks }
	n := conv(3, 16, 3) + 2*16
	ch := 16
	for stage, w := range []int{16, 32, 64} {
		for blk := 0; blk < 3; blk++ {
			n += conv(ch, w, 3) + 2*w + conv(w, w, 3) + 2*w
			if stage > 0 && blk == 0 {
				n += conv(ch, w, 1) + 2*w
			}
			ch = w
		}
	}
	return n + 64*10 + 10
}

func TestTrainAugmentDeterministic(t *testing.T) {
	t.Parallel()
	shape := []int{1, 6, 6}
	src := make([]float32, 36)
	for i := range src {
		src[i] = float32(i + 1) // distinct, non-zero
	}
	a := Augment{CropPad: 2, Flip: true}
	get := func(seed uint64, epoch, index int) []float32 {
		dst := make([]float32, 36)
		if err := a.apply(dst, src, shape, seed, epoch, index); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	if !bitsEqual(get(1, 3, 7), get(1, 3, 7)) {
		t.Fatal("same (seed, epoch, index) gave different augmentations")
	}
	distinct := map[string]bool{}
	flips := 0
	for e := 0; e < 40; e++ {
		img := get(1, e, 7)
		distinct[fmt.Sprint(img)] = true
		// Every output pixel is zero padding or a source pixel; a flip
		// makes some row decrease left to right.
		for i, v := range img {
			if v != 0 && (v < 1 || v > 36 || v != float32(int(v))) {
				t.Fatalf("epoch %d pixel %d = %v is not from the source", e, i, v)
			}
		}
		for y := 0; y < 6; y++ {
			if img[y*6+2] != 0 && img[y*6+3] != 0 {
				if img[y*6+2] > img[y*6+3] {
					flips++
				}
				break
			}
		}
	}
	if len(distinct) < 15 {
		t.Errorf("only %d distinct augmentations in 40 epochs", len(distinct))
	}
	if flips < 8 || flips > 32 {
		t.Errorf("%d of 40 augmentations flipped, want about half", flips)
	}
}
