package trainer

import (
	"context"
	"fmt"
	"math"

	"github.com/umbra-ml/umbra/datasets"
)

// Logits returns the eval-mode outputs of m for the examples idx of data
// under each query augmentation, as a flat [len(idx)][len(augs)][Classes]
// array. No augmentation means the identity only. Batches hold up to
// m.MaxBatch examples; ctx is checked between batches.
func Logits(ctx context.Context, m *Model, data *datasets.Dataset, idx []int, augs []Augmentation) (out []float32, err error) {
	defer recoverInternal(&err)
	if err := checkData(m, data); err != nil {
		return nil, err
	}
	if len(augs) == 0 {
		augs = []Augmentation{{}}
	}
	for k, i := range idx {
		if i < 0 || i >= data.Len() {
			return nil, fmt.Errorf("trainer: logits: idx[%d] = %d out of range [0, %d)", k, i, data.Len())
		}
	}
	A, C, D := len(augs), m.Classes, m.inDim
	out = make([]float32, len(idx)*A*C)
	tmp := make([]float32, D)
	pass := &Pass{}
	for lo := 0; lo < len(idx); lo += m.MaxBatch {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("trainer: logits stopped at example %d: %w", lo, err)
		}
		batch := idx[lo:min(lo+m.MaxBatch, len(idx))]
		n := len(batch)
		for a, aug := range augs {
			x := m.xbuf[:n*D]
			for k, i := range batch {
				if err := aug.apply(x[k*D:(k+1)*D], data.X[i*D:(i+1)*D], tmp, m.InShape); err != nil {
					return nil, fmt.Errorf("trainer: logits: augmentation %d: %w", a, err)
				}
			}
			y := m.net.Forward(pass, x, n)
			for k := 0; k < n; k++ {
				copy(out[((lo+k)*A+a)*C:((lo+k)*A+a+1)*C], y[k*C:(k+1)*C])
			}
		}
	}
	return out, nil
}

// Evaluation is the eval-mode loss and accuracy on a set of examples.
type Evaluation struct {
	Loss     float64
	Accuracy float64
	Examples int
}

// Evaluate computes the mean cross-entropy (the recipe's loss when given a
// non-empty kind) and accuracy of m on the examples idx of data (nil: all).
func Evaluate(ctx context.Context, m *Model, data *datasets.Dataset, idx []int, loss LossKind) (Evaluation, error) {
	if idx == nil {
		idx = make([]int, data.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	if len(idx) == 0 {
		return Evaluation{}, fmt.Errorf("trainer: evaluate: no examples")
	}
	logits, err := Logits(ctx, m, data, idx, nil)
	if err != nil {
		return Evaluation{}, err
	}
	y := make([]int, len(idx))
	for k, i := range idx {
		y[k] = data.Y[i]
	}
	l, c := lossFunc(loss, 0, logits, y, len(idx), m.Classes, nil)
	if math.IsNaN(l) {
		return Evaluation{}, fmt.Errorf("trainer: evaluate: loss is NaN")
	}
	return Evaluation{Loss: l, Accuracy: float64(c) / float64(len(idx)), Examples: len(idx)}, nil
}
