package kernels

import (
	"errors"
	"fmt"

	"github.com/umbra-ml/umbra/trainer/internal/simd"
)

// ErrShape is wrapped by every error a kernel returns for inconsistent
// geometry or a buffer of the wrong length.
var ErrShape = errors.New("kernels: bad shape")

// checkLen reports an error unless len(buf) == want. Optional buffers are
// checked by the caller before calling checkLen.
func checkLen(fn, name string, buf []float32, want int) error {
	if len(buf) != want {
		return fmt.Errorf("%s: len(%s) = %d, want %d: %w", fn, name, len(buf), want, ErrShape)
	}
	return nil
}

// checkOptLen is checkLen for a buffer that may be nil.
func checkOptLen(fn, name string, buf []float32, want int) error {
	if buf == nil {
		return nil
	}
	return checkLen(fn, name, buf, want)
}

func positive(fn string, names []string, vals ...int) error {
	for i, v := range vals {
		if v <= 0 {
			return fmt.Errorf("%s: %s = %d, must be > 0: %w", fn, names[i], v, ErrShape)
		}
	}
	return nil
}

// Conv2DShape is the geometry of a 2-D convolution over an N×C×H×W input
// with K output channels, a KH×KW kernel, stride (StrideH, StrideW) and
// zero padding (PadH, PadW) on each side. Output sizes use floor division,
// as PyTorch's Conv2d: OH = (H + 2·PadH − KH)/StrideH + 1.
type Conv2DShape struct {
	N, C, H, W       int // input: batch, channels, height, width
	K                int // output channels
	KH, KW           int // kernel height and width
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH is the output height.
func (s Conv2DShape) OutH() int { return (s.H+2*s.PadH-s.KH)/s.StrideH + 1 }

// OutW is the output width.
func (s Conv2DShape) OutW() int { return (s.W+2*s.PadW-s.KW)/s.StrideW + 1 }

// InLen is the length of x and dx: N·C·H·W.
func (s Conv2DShape) InLen() int { return s.N * s.C * s.H * s.W }

// OutLen is the length of y and dy: N·K·OH·OW.
func (s Conv2DShape) OutLen() int { return s.N * s.K * s.OutH() * s.OutW() }

// WeightLen is the length of w and dw: K·C·KH·KW.
func (s Conv2DShape) WeightLen() int { return s.K * s.C * s.KH * s.KW }

// BiasLen is the length of b and db: K.
func (s Conv2DShape) BiasLen() int { return s.K }

// pointwise reports whether the convolution is a plain per-pixel matrix
// product (1×1 kernel, stride 1, no padding), which needs no unrolling.
func (s Conv2DShape) pointwise() bool {
	return s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0
}

// ScratchLen is the number of float32s of scratch that Conv2DForward and
// Conv2DBackward need: one image's unrolled input, C·KH·KW × OH·OW
// (none for a 1×1, stride-1, unpadded convolution), followed, on CPUs where
// the products run on the AVX2/FMA kernel of trainer/internal/simd, by that
// kernel's packing space for the largest of the convolution's products.
// The same buffer serves both calls.
func (s Conv2DShape) ScratchLen() int {
	return s.colLen() + s.packLen()
}

// colLen is the length of one image's unrolled input (0 when pointwise).
func (s Conv2DShape) colLen() int {
	if s.pointwise() {
		return 0
	}
	return s.C * s.KH * s.KW * s.OutH() * s.OutW()
}

// packLen is the packing space of the products of Conv2DForward and
// Conv2DBackward on the SIMD kernel, or 0 where it is not used.
func (s Conv2DShape) packLen() int {
	if !useSIMD() {
		return 0
	}
	ohw := s.OutH() * s.OutW()
	ckk := s.C * s.KH * s.KW
	return max(simd.PackLen(s.K, ohw, ckk), simd.PackLen(s.K, ckk, ohw), simd.PackLen(ckk, ohw, s.K))
}

// Validate reports whether the geometry is usable.
func (s Conv2DShape) Validate() error {
	const fn = "Conv2DShape"
	if err := positive(fn, []string{"N", "C", "H", "W", "K", "KH", "KW", "StrideH", "StrideW"},
		s.N, s.C, s.H, s.W, s.K, s.KH, s.KW, s.StrideH, s.StrideW); err != nil {
		return err
	}
	if s.PadH < 0 || s.PadW < 0 {
		return fmt.Errorf("%s: padding (%d, %d) must be >= 0: %w", fn, s.PadH, s.PadW, ErrShape)
	}
	if s.H+2*s.PadH < s.KH || s.W+2*s.PadW < s.KW {
		return fmt.Errorf("%s: kernel %d×%d larger than padded input %d×%d: %w",
			fn, s.KH, s.KW, s.H+2*s.PadH, s.W+2*s.PadW, ErrShape)
	}
	return nil
}

// Pool2DShape is the geometry of a 2-D pooling window over an N×C×H×W
// input: window KH×KW, stride (StrideH, StrideW), implicit padding
// (PadH, PadW) on each side, floor output sizes (PyTorch's default
// ceil_mode=False). Padding must not exceed half the window, as in PyTorch.
type Pool2DShape struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH is the output height.
func (s Pool2DShape) OutH() int { return (s.H+2*s.PadH-s.KH)/s.StrideH + 1 }

// OutW is the output width.
func (s Pool2DShape) OutW() int { return (s.W+2*s.PadW-s.KW)/s.StrideW + 1 }

// InLen is the length of x and dx: N·C·H·W.
func (s Pool2DShape) InLen() int { return s.N * s.C * s.H * s.W }

// OutLen is the length of y, dy and the argmax indices: N·C·OH·OW.
func (s Pool2DShape) OutLen() int { return s.N * s.C * s.OutH() * s.OutW() }

// Validate reports whether the geometry is usable.
func (s Pool2DShape) Validate() error {
	const fn = "Pool2DShape"
	if err := positive(fn, []string{"N", "C", "H", "W", "KH", "KW", "StrideH", "StrideW"},
		s.N, s.C, s.H, s.W, s.KH, s.KW, s.StrideH, s.StrideW); err != nil {
		return err
	}
	if s.PadH < 0 || s.PadW < 0 || 2*s.PadH > s.KH || 2*s.PadW > s.KW {
		return fmt.Errorf("%s: padding (%d, %d) must be >= 0 and at most half the window %d×%d: %w",
			fn, s.PadH, s.PadW, s.KH, s.KW, ErrShape)
	}
	if s.H+2*s.PadH < s.KH || s.W+2*s.PadW < s.KW {
		return fmt.Errorf("%s: window %d×%d larger than padded input %d×%d: %w",
			fn, s.KH, s.KW, s.H+2*s.PadH, s.W+2*s.PadW, ErrShape)
	}
	return nil
}

// NormShape is the geometry of batch normalisation over an N×C×HW array
// (statistics per channel over N and HW). BatchNorm2d is NormShape{N, C,
// H·W}; BatchNorm1d over N×C features is NormShape{N, C, 1}.
type NormShape struct {
	N, C, HW int
}

// Len is the length of x, y, dx and dy: N·C·HW.
func (s NormShape) Len() int { return s.N * s.C * s.HW }

// Validate reports whether the geometry is usable. Training mode needs at
// least two values per channel (N·HW > 1) for an unbiased variance; that is
// checked by BatchNormTrainForward.
func (s NormShape) Validate() error {
	return positive("NormShape", []string{"N", "C", "HW"}, s.N, s.C, s.HW)
}

// GroupNormShape is the geometry of group normalisation: the C channels of
// each example are split into G groups of C/G consecutive channels, and each
// group of each example is normalised over its (C/G)·HW values.
type GroupNormShape struct {
	N, C, HW, G int
}

// Len is the length of x, y, dx and dy: N·C·HW.
func (s GroupNormShape) Len() int { return s.N * s.C * s.HW }

// StatLen is the length of the saved mean and inverse standard deviation
// buffers: N·G.
func (s GroupNormShape) StatLen() int { return s.N * s.G }

// Validate reports whether the geometry is usable.
func (s GroupNormShape) Validate() error {
	const fn = "GroupNormShape"
	if err := positive(fn, []string{"N", "C", "HW", "G"}, s.N, s.C, s.HW, s.G); err != nil {
		return err
	}
	if s.C%s.G != 0 {
		return fmt.Errorf("%s: C = %d not divisible by G = %d: %w", fn, s.C, s.G, ErrShape)
	}
	return nil
}
