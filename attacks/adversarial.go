package attacks

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/umbra-ml/umbra/datasets"
	"github.com/umbra-ml/umbra/trainer"
)

// AdversarialConfig configures the adversarial-example confidence attack
// (Song, Shokri & Mittal, CCS 2019, I_A): an untargeted L∞ PGD attack on
// every query example, then the target's true-class probability on the
// result.
type AdversarialConfig struct {
	// Epsilon is the L∞ radius. 0 disables the attack: the score is the
	// clean true-class probability (Steps, StepSize, RandomStart and the
	// input range are then ignored, and inputs are not clipped).
	Epsilon float32
	// Steps is the number of PGD iterations; it must be > 0 when Epsilon > 0.
	Steps int
	// StepSize is the signed-gradient step α; 0 means 2.5·Epsilon/Steps
	// (Madry et al.'s rule).
	StepSize float32
	// RandomStart starts PGD from a uniform point of the ε-ball.
	RandomStart bool
	// Min and Max bound valid inputs (the adversarial example is clipped
	// to them); both zero means [0, 1], as for images. Unbounded removes
	// the bound (for standardised tabular features).
	Min, Max  float32
	Unbounded bool
	// Seed seeds the random start.
	Seed uint64
	// BatchSize is the number of examples per PGD call (0: the model's
	// MaxBatch). The random start of an example depends on Seed, its
	// position in idx and BatchSize.
	BatchSize int
}

// Name is a stable identifier for reports.
func (c AdversarialConfig) Name() string { return "adversarial-confidence" }

func (c AdversarialConfig) pgd(chunkStart int) (trainer.PGDConfig, error) {
	if !(c.Epsilon >= 0) || math.IsInf(float64(c.Epsilon), 0) {
		return trainer.PGDConfig{}, fmt.Errorf("%w: adversarial epsilon = %v must be finite and >= 0", ErrConfig, c.Epsilon)
	}
	if c.Steps < 0 {
		return trainer.PGDConfig{}, fmt.Errorf("%w: adversarial steps = %d must be >= 0", ErrConfig, c.Steps)
	}
	if !(c.StepSize >= 0) || math.IsInf(float64(c.StepSize), 0) {
		return trainer.PGDConfig{}, fmt.Errorf("%w: adversarial step_size = %v must be finite and >= 0", ErrConfig, c.StepSize)
	}
	if c.BatchSize < 0 {
		return trainer.PGDConfig{}, fmt.Errorf("%w: adversarial batch_size = %d must be >= 0", ErrConfig, c.BatchSize)
	}
	if c.Epsilon > 0 && c.Steps == 0 {
		return trainer.PGDConfig{}, fmt.Errorf("%w: adversarial epsilon = %v needs steps > 0", ErrConfig, c.Epsilon)
	}
	lo, hi := c.Min, c.Max
	switch {
	case c.Unbounded:
		lo, hi = -math.MaxFloat32, math.MaxFloat32
	case lo == 0 && hi == 0:
		hi = 1
	case !(lo < hi):
		return trainer.PGDConfig{}, fmt.Errorf("%w: adversarial input range [min=%v, max=%v] is empty", ErrConfig, c.Min, c.Max)
	}
	step := c.StepSize
	if step == 0 && c.Steps > 0 {
		step = 2.5 * c.Epsilon / float32(c.Steps)
	}
	return trainer.PGDConfig{
		Epsilon: c.Epsilon, StepSize: step, Steps: c.Steps, RandomStart: c.RandomStart,
		Min: lo, Max: hi,
		// Distinct chunks get distinct random-start streams (the trainer
		// hashes the seed, so an additive offset is enough).
		Seed: c.Seed + uint64(chunkStart)*0x9e3779b97f4a7c15,
	}, nil
}

// AdversarialScores runs the I_A attack white-box against m on the examples
// idx of data and returns, per query (in idx order), m's true-class softmax
// probability on the adversarial example: a score in [0, 1], higher means
// member. Examples are processed BatchSize at a time; ctx is checked
// between chunks and inside every PGD step.
func AdversarialScores(ctx context.Context, m *trainer.Model, data *datasets.Dataset, idx []int, cfg AdversarialConfig) ([]float64, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: adversarial: target model is nil", ErrConfig)
	}
	if data == nil {
		return nil, fmt.Errorf("%w: adversarial: dataset is nil", ErrShape)
	}
	if _, err := cfg.pgd(0); err != nil {
		return nil, err
	}
	if !slices.Equal(data.Shape, m.InShape) {
		return nil, fmt.Errorf("%w: adversarial: dataset %q has example shape %v, model expects %v", ErrShape, data.Name, data.Shape, m.InShape)
	}
	d := data.Dim()
	if len(data.X) != data.Len()*d {
		return nil, fmt.Errorf("%w: adversarial: dataset %q has %d feature values, want %d examples × %d", ErrShape, data.Name, len(data.X), data.Len(), d)
	}
	for k, i := range idx {
		if i < 0 || i >= data.Len() {
			return nil, fmt.Errorf("%w: adversarial: idx[%d] = %d is not an example of dataset %q in [0,%d)", ErrShape, k, i, data.Name, data.Len())
		}
		if y := data.Y[i]; y < 0 || y >= m.Classes {
			return nil, fmt.Errorf("%w: adversarial: dataset %q example %d has label %d, model has %d classes", ErrShape, data.Name, i, y, m.Classes)
		}
	}
	if m.Classes < 2 {
		return nil, fmt.Errorf("%w: adversarial: model has %d outputs, need at least 2 classes", ErrShape, m.Classes)
	}
	bs := cfg.BatchSize
	if bs == 0 {
		bs = m.MaxBatch
	}
	out := make([]float64, len(idx))
	C := m.Classes
	for lo := 0; lo < len(idx); lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("adversarial: stopped at query %d of %d: %w", lo, len(idx), err)
		}
		chunk := idx[lo:min(lo+bs, len(idx))]
		logits, err := adversarialLogits(ctx, m, data, chunk, lo, cfg)
		if err != nil {
			return nil, fmt.Errorf("adversarial: queries %d..%d: %w", lo, lo+len(chunk)-1, err)
		}
		for k, i := range chunk {
			p, err := TrueClassProb(logits[k*C:(k+1)*C], data.Y[i])
			if err != nil {
				return nil, fmt.Errorf("adversarial: example %d (idx[%d]): %w", i, lo+k, err)
			}
			out[lo+k] = p
		}
	}
	return out, nil
}

// adversarialLogits returns m's logits ([len(chunk)][C]) on the adversarial
// versions of the examples chunk (clean ones when Epsilon is 0).
func adversarialLogits(ctx context.Context, m *trainer.Model, data *datasets.Dataset, chunk []int, chunkStart int, cfg AdversarialConfig) ([]float32, error) {
	if cfg.Epsilon == 0 {
		return trainer.Logits(ctx, m, data, chunk, nil)
	}
	pc, err := cfg.pgd(chunkStart)
	if err != nil {
		return nil, err
	}
	d := data.Dim()
	x := make([]float32, len(chunk)*d)
	y := make([]int, len(chunk))
	for k, i := range chunk {
		copy(x[k*d:(k+1)*d], data.X[i*d:(i+1)*d])
		y[k] = data.Y[i]
	}
	adv, err := trainer.PGD(ctx, m, x, y, pc)
	if err != nil {
		return nil, err
	}
	// Query the adversarial batch through the same eval-mode path as clean
	// scoring, so Epsilon → 0 and Epsilon = 0 agree.
	advData := &datasets.Dataset{Name: data.Name + "-pgd", Shape: data.Shape, X: adv, Y: y, Classes: data.Classes}
	all := make([]int, len(chunk))
	for k := range all {
		all[k] = k
	}
	return trainer.Logits(ctx, m, advData, all, nil)
}

// AdversarialTarget attacks one target model: it scores the examples idx
// of data with AdversarialScores and evaluates them against keepRow (the
// target's membership row over all data.Len() examples). The returned
// TargetScores has one score per dataset example; examples not in idx are
// Excluded (NaN), so the result also fits Evaluate. idx nil means every
// example; repeated indices are an error.
func AdversarialTarget(ctx context.Context, m *trainer.Model, target int, data *datasets.Dataset, idx []int, keepRow []bool, cfg AdversarialConfig, opts MetricOptions) (TargetScores, Metrics, ROC, error) {
	if data == nil {
		return TargetScores{}, Metrics{}, ROC{}, fmt.Errorf("%w: adversarial: dataset is nil", ErrShape)
	}
	n := data.Len()
	if len(keepRow) != n {
		return TargetScores{}, Metrics{}, ROC{}, fmt.Errorf("%w: adversarial target %d: keep row has %d examples, dataset %q has %d", ErrShape, target, len(keepRow), data.Name, n)
	}
	if idx == nil {
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
	}
	queried := make([]bool, n)
	for k, i := range idx {
		if i < 0 || i >= n {
			return TargetScores{}, Metrics{}, ROC{}, fmt.Errorf("%w: adversarial target %d: idx[%d] = %d is not an example in [0,%d)", ErrShape, target, k, i, n)
		}
		if queried[i] {
			return TargetScores{}, Metrics{}, ROC{}, fmt.Errorf("%w: adversarial target %d: idx[%d] = %d is repeated", ErrConfig, target, k, i)
		}
		queried[i] = true
	}
	s, err := AdversarialScores(ctx, m, data, idx, cfg)
	if err != nil {
		return TargetScores{}, Metrics{}, ROC{}, fmt.Errorf("target model %d: %w", target, err)
	}
	res := TargetScores{Target: target, Scores: make([]float64, n)}
	for i := range res.Scores {
		res.Scores[i] = math.NaN()
	}
	for k, i := range idx {
		res.Scores[i] = s[k]
	}
	for i, q := range queried {
		if !q {
			res.Excluded = append(res.Excluded, i)
		}
	}
	met, roc, err := EvaluateTarget(res.Scores, keepRow, res.Excluded, opts)
	if err != nil {
		return TargetScores{}, Metrics{}, ROC{}, fmt.Errorf("%s, target model %d: %w", cfg.Name(), target, err)
	}
	return res, met, roc, nil
}
