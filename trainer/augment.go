package trainer

import (
	"fmt"

	"github.com/umbra-ml/umbra/trainer/kernels"
)

// Augment configures training-time image augmentation. Each example's
// transform is drawn from a counter-based generator keyed by (model seed,
// epoch, dataset index), so it does not depend on batch order or on where
// training was resumed.
type Augment struct {
	// CropPad, when > 0, zero-pads the image by CropPad pixels and crops a
	// random H×W window (torchvision's RandomCrop(padding=CropPad)).
	CropPad int
	// Flip mirrors the image left-right with probability 1/2.
	Flip bool
}

func (a Augment) enabled() bool { return a.CropPad > 0 || a.Flip }

func (a Augment) validate(shape []int) error {
	if a.CropPad < 0 {
		return fmt.Errorf("crop_pad: %d must be >= 0", a.CropPad)
	}
	if a.enabled() && len(shape) != 3 {
		return fmt.Errorf("crop_pad, flip: image augmentation needs [C, H, W] inputs, got shape %v", shape)
	}
	return nil
}

// apply writes the augmented copy of src (CHW) to dst.
func (a Augment) apply(dst, src []float32, shape []int, seed uint64, epoch, index int) error {
	r := newExampleRand(seed, streamAugment, epoch, index)
	dx, dy := 0, 0
	if a.CropPad > 0 {
		dx = r.intn(2*a.CropPad+1) - a.CropPad
		dy = r.intn(2*a.CropPad+1) - a.CropPad
	}
	flip := a.Flip && r.next()&1 == 1
	return kernels.PadCropFlip(dst, src, shape[0], shape[1], shape[2], a.CropPad, dx, dy, flip)
}

// Augmentation is a deterministic query-time transform of an image:
// Mirror flips it left-right, then the content is shifted by DX pixels
// right and DY pixels down with zero fill. The zero value is the identity.
// Non-image inputs accept only the identity.
type Augmentation struct {
	Mirror bool
	DX, DY int
}

// String names the augmentation, e.g. "id", "mirror", "shift(1,-2)".
func (a Augmentation) String() string {
	s := "id"
	if a.Mirror {
		s = "mirror"
	}
	if a.DX != 0 || a.DY != 0 {
		if a.Mirror {
			return fmt.Sprintf("mirror+shift(%d,%d)", a.DX, a.DY)
		}
		return fmt.Sprintf("shift(%d,%d)", a.DX, a.DY)
	}
	return s
}

func (a Augmentation) identity() bool { return a == Augmentation{} }

// apply writes the transformed src to dst, using tmp (same length) as
// scratch when both mirroring and shifting.
func (a Augmentation) apply(dst, src, tmp []float32, shape []int) error {
	if a.identity() {
		copy(dst, src)
		return nil
	}
	if len(shape) != 3 {
		return fmt.Errorf("augmentation %s needs [C, H, W] inputs, got shape %v", a, shape)
	}
	c, h, w := shape[0], shape[1], shape[2]
	if !a.Mirror {
		return kernels.Shift(dst, src, c, h, w, a.DX, a.DY)
	}
	if a.DX == 0 && a.DY == 0 {
		return kernels.FlipH(dst, src, c, h, w)
	}
	if err := kernels.FlipH(tmp, src, c, h, w); err != nil {
		return err
	}
	return kernels.Shift(dst, tmp, c, h, w, a.DX, a.DY)
}
