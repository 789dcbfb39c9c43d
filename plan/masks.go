package plan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// DefaultKeep is LiRA's default fraction of models that train on each
// example.
const DefaultKeep = 0.5

// MaxMaskCells bounds models×examples for Masks (1 GiB of bools).
const MaxMaskCells = 1 << 30

// ErrInvalid is wrapped by every argument error of this package.
var ErrInvalid = errors.New("plan: invalid argument")

// KeepCount is the number of models that train on each example:
// round(keep*models), halves away from zero.
func KeepCount(models int, keep float64) int {
	return int(math.Round(keep * float64(models)))
}

func checkMaskArgs(models, examples int, keep float64) error {
	switch {
	case models <= 0:
		return fmt.Errorf("%w: models = %d: must be > 0", ErrInvalid, models)
	case examples <= 0:
		return fmt.Errorf("%w: examples = %d: must be > 0", ErrInvalid, examples)
	case math.IsNaN(keep) || keep <= 0 || keep >= 1:
		return fmt.Errorf("%w: keep = %v: must be in (0, 1)", ErrInvalid, keep)
	case models > MaxMaskCells/examples:
		return fmt.Errorf("%w: models×examples = %d×%d exceeds %d cells", ErrInvalid, models, examples, MaxMaskCells)
	}
	return nil
}

// columnSampler draws, column by column, the k-subset of models that train
// on an example (see the package documentation for the exact algorithm).
type columnSampler struct {
	seedHi uint64
	perm   []int32 // identity between columns
	swaps  []int32 // swap partner of step i, to undo the shuffle
	k      int
	pcg    rand.PCG
}

func newColumnSampler(seed uint64, models, k int) *columnSampler {
	s := &columnSampler{
		seedHi: Mix(seed, TagMasks),
		perm:   make([]int32, models),
		swaps:  make([]int32, k),
		k:      k,
	}
	for i := range s.perm {
		s.perm[i] = int32(i)
	}
	for i := range s.swaps {
		s.swaps[i] = int32(i) // no-op swaps: nothing to undo before column 0
	}
	return s
}

// column returns the models (unordered) training on example j. The slice is
// valid until the next call.
func (s *columnSampler) column(j int) []int32 {
	// Undo the previous column's swaps (in reverse) to restore the identity
	// in O(k) instead of O(models).
	for i := s.k - 1; i >= 0; i-- {
		r := s.swaps[i]
		s.perm[i], s.perm[r] = s.perm[r], s.perm[i]
	}
	s.pcg.Seed(s.seedHi, uint64(j))
	m := uint64(len(s.perm))
	for i := 0; i < s.k; i++ {
		r := i + int(BoundedUint64(&s.pcg, m-uint64(i)))
		s.perm[i], s.perm[r] = s.perm[r], s.perm[i]
		s.swaps[i] = int32(r)
	}
	return s.perm[:s.k]
}

// Masks returns the membership matrix, row-major models×examples:
// mask[m*examples+j] is true when model m trains on example j. Every column
// has exactly KeepCount(models, keep) true entries.
func Masks(seed uint64, models, examples int, keep float64) ([]bool, error) {
	if err := checkMaskArgs(models, examples, keep); err != nil {
		return nil, err
	}
	out := make([]bool, models*examples)
	s := newColumnSampler(seed, models, KeepCount(models, keep))
	for j := 0; j < examples; j++ {
		for _, m := range s.column(j) {
			out[int(m)*examples+j] = true
		}
	}
	return out, nil
}

// MaskRow returns row model of Masks(seed, models, examples, keep) without
// building the matrix: the examples model trains on.
func MaskRow(seed uint64, models, examples int, keep float64, model int) ([]bool, error) {
	if err := checkMaskArgs(models, examples, keep); err != nil {
		return nil, err
	}
	if model < 0 || model >= models {
		return nil, fmt.Errorf("%w: model = %d: must be in [0, %d)", ErrInvalid, model, models)
	}
	row := make([]bool, examples)
	s := newColumnSampler(seed, models, KeepCount(models, keep))
	want := int32(model)
	for j := 0; j < examples; j++ {
		for _, m := range s.column(j) {
			if m == want {
				row[j] = true
				break
			}
		}
	}
	return row, nil
}
