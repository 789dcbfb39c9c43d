package trainer

import (
	"fmt"
)

// Architecture names accepted by ArchConfig.Name.
const (
	ArchMLP       = "mlp"
	ArchSimpleCNN = "simplecnn"
	ArchCNN       = "cnn"
	ArchResNet    = "resnet"
)

// ArchConfig selects and parameterises an architecture. Zero values mean
// the documented defaults.
type ArchConfig struct {
	// Name is one of mlp, simplecnn, cnn, resnet.
	Name string
	// Hidden lists hidden layer widths: the MLP's layers, or the dense
	// layers after the convolutions of cnn (simplecnn uses [128] when empty).
	Hidden []int
	// Activation is the nonlinearity (relu by default).
	Activation ActivationKind
	// Dropout, when > 0, adds dropout with this probability after every
	// hidden dense layer.
	Dropout float64
	// Conv lists the convolution blocks of cnn.
	Conv []ConvBlock
	// Norm adds normalisation after each convolution of cnn and resnet:
	// "" (none; resnet defaults to "batch"), "batch" or "group".
	Norm string
	// Groups is GroupNorm's group count (default 8, capped at the channels).
	Groups int
	// Depth is the ResNet depth 6n+2 (default 20).
	Depth int
	// Width is the ResNet's first-stage channel count (default 16).
	Width int
	// ValidConv makes simplecnn's convolutions unpadded (ML-Doctor's
	// original); by default they use padding 1.
	ValidConv bool
	// Init is the weight initialisation; resnet defaults to he_fan_out.
	Init InitScheme
}

// ConvBlock is one convolution of a cnn: Conv2D(Channels, Kernel, Stride,
// Padding), optional normalisation, the activation, then optional pooling.
type ConvBlock struct {
	Channels int
	Kernel   int // default 3
	Stride   int // default 1
	// Padding is the zero padding; -1 means Kernel/2 ("same" at stride 1).
	Padding int
	NoBias  bool
	// Pool is "", "max" or "avg" with a PoolSize×PoolSize window (default 2).
	Pool     PoolKind
	PoolSize int
}

// effectiveInit returns a with the architecture's default init filled in.
func (a ArchConfig) effectiveInit() ArchConfig {
	if a.Name == ArchResNet && a.Init == InitDefault {
		a.Init = InitHeFanOut
	}
	return a
}

func (a ArchConfig) activation() ActivationKind {
	if a.Activation == "" {
		return ReLU
	}
	return a.Activation
}

func (a ArchConfig) build(in []int, classes int) (*Sequential, error) {
	if err := a.activation().validate(); err != nil {
		return nil, fmt.Errorf("activation: %w", err)
	}
	if a.Dropout < 0 || a.Dropout >= 1 {
		return nil, fmt.Errorf("dropout: %v must be in [0, 1)", a.Dropout)
	}
	switch a.Name {
	case ArchMLP:
		return a.mlp(classes)
	case ArchSimpleCNN:
		return a.simpleCNN(in, classes)
	case ArchCNN:
		return a.cnn(in, classes)
	case ArchResNet:
		return a.resnet(in, classes)
	}
	return nil, fmt.Errorf("name: unknown architecture %q (want mlp, simplecnn, cnn or resnet)", a.Name)
}

func (a ArchConfig) denseHead(ls []Layer, hidden []int, classes int) ([]Layer, error) {
	for i, h := range hidden {
		if h <= 0 {
			return nil, fmt.Errorf("hidden[%d]: width %d must be > 0", i, h)
		}
		ls = append(ls, NewDense(h, false), NewActivation(a.activation()))
		if a.Dropout > 0 {
			ls = append(ls, NewDropout(a.Dropout))
		}
	}
	return append(ls, NewDense(classes, false)), nil
}

func (a ArchConfig) mlp(classes int) (*Sequential, error) {
	ls, err := a.denseHead(nil, a.Hidden, classes)
	if err != nil {
		return nil, err
	}
	return NewSequential("layers", ls...), nil
}

func needImage(in []int) error {
	if len(in) != 3 {
		return fmt.Errorf("input shape %v: convolutional architectures need [C, H, W]", in)
	}
	return nil
}

func (a ArchConfig) simpleCNN(in []int, classes int) (*Sequential, error) {
	if err := needImage(in); err != nil {
		return nil, err
	}
	pad := 1
	if a.ValidConv {
		pad = 0
	}
	act := a.activation()
	ls := []Layer{
		NewConv2D(32, 3, 1, pad, false), NewActivation(act), NewMaxPool2D(2),
		NewConv2D(64, 3, 1, pad, false), NewActivation(act), NewMaxPool2D(2),
		Flatten{},
	}
	hidden := a.Hidden
	if len(hidden) == 0 {
		hidden = []int{128}
	}
	ls, err := a.denseHead(ls, hidden, classes)
	if err != nil {
		return nil, err
	}
	return NewSequential("layers", ls...), nil
}

func (a ArchConfig) norm(channels int) (Layer, error) {
	switch a.Norm {
	case "":
		return nil, nil
	case "batch":
		return NewBatchNorm(), nil
	case "group":
		g := a.Groups
		if g == 0 {
			g = 8
		}
		g = min(g, channels)
		if channels%g != 0 {
			return nil, fmt.Errorf("groups: %d channels are not divisible into %d groups", channels, g)
		}
		return NewGroupNorm(g), nil
	}
	return nil, fmt.Errorf("norm: unknown normalisation %q (want \"\", batch or group)", a.Norm)
}

func (a ArchConfig) cnn(in []int, classes int) (*Sequential, error) {
	if err := needImage(in); err != nil {
		return nil, err
	}
	if len(a.Conv) == 0 {
		return nil, fmt.Errorf("conv: cnn needs at least one convolution block")
	}
	var ls []Layer
	for i, cb := range a.Conv {
		if cb.Channels <= 0 {
			return nil, fmt.Errorf("conv[%d].channels: %d must be > 0", i, cb.Channels)
		}
		k := cb.Kernel
		if k == 0 {
			k = 3
		}
		pad := cb.Padding
		if pad < 0 {
			pad = k / 2
		}
		ls = append(ls, NewConv2D(cb.Channels, k, max(cb.Stride, 1), pad, cb.NoBias))
		nl, err := a.norm(cb.Channels)
		if err != nil {
			return nil, fmt.Errorf("conv[%d]: %w", i, err)
		}
		if nl != nil {
			ls = append(ls, nl)
		}
		ls = append(ls, NewActivation(a.activation()))
		ps := cb.PoolSize
		if ps == 0 {
			ps = 2
		}
		switch cb.Pool {
		case "":
		case MaxPool:
			ls = append(ls, NewMaxPool2D(ps))
		case AvgPool:
			ls = append(ls, NewAvgPool2D(ps))
		default:
			return nil, fmt.Errorf("conv[%d].pool: unknown pooling %q (want max or avg)", i, string(cb.Pool))
		}
	}
	ls = append(ls, Flatten{})
	ls, err := a.denseHead(ls, a.Hidden, classes)
	if err != nil {
		return nil, err
	}
	return NewSequential("layers", ls...), nil
}

// resnet builds a CIFAR-style ResNet (He et al. 2016, §4.2): a 3×3 stem,
// three stages of n basic blocks with Width, 2·Width, 4·Width channels
// (stride 2 at the start of stages 2 and 3, with a 1×1 convolution +
// normalisation projection shortcut), global average pooling and a dense
// classifier. Depth = 6n+2 (20 → n = 3).
func (a ArchConfig) resnet(in []int, classes int) (*Sequential, error) {
	if err := needImage(in); err != nil {
		return nil, err
	}
	depth := a.Depth
	if depth == 0 {
		depth = 20
	}
	if depth < 8 || (depth-2)%6 != 0 {
		return nil, fmt.Errorf("depth: %d must be 6n+2 with n >= 1 (8, 14, 20, 32, ...)", depth)
	}
	n := (depth - 2) / 6
	width := a.Width
	if width == 0 {
		width = 16
	}
	if a.Norm == "" {
		a.Norm = "batch"
	}
	act := a.activation()
	convNorm := func(ch, k, stride, pad int) ([]Layer, error) {
		nl, err := a.norm(ch)
		if err != nil {
			return nil, err
		}
		return []Layer{NewConv2D(ch, k, stride, pad, true), nl}, nil
	}
	stem, err := convNorm(width, 3, 1, 1)
	if err != nil {
		return nil, err
	}
	ls := append(stem, NewActivation(act))
	ch := width
	for stage := 0; stage < 3; stage++ {
		for blk := 0; blk < n; blk++ {
			out, stride := width<<stage, 1
			if stage > 0 && blk == 0 {
				stride = 2
			}
			c1, err := convNorm(out, 3, stride, 1)
			if err != nil {
				return nil, err
			}
			c2, err := convNorm(out, 3, 1, 1)
			if err != nil {
				return nil, err
			}
			body := append(append(c1, NewActivation(act)), c2...)
			var sc []Layer
			if stride != 1 || out != ch {
				if sc, err = convNorm(out, 1, stride, 0); err != nil {
					return nil, err
				}
			}
			ls = append(ls, NewResidual(body, sc), NewActivation(act))
			ch = out
		}
	}
	ls = append(ls, &GlobalAvgPool{}, NewDense(classes, false))
	return NewSequential("layers", ls...), nil
}
