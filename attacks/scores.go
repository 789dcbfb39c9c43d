package attacks

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors. Callers match them with errors.Is; the wrapped message names
// the model, example, augmentation or field that is wrong.
var (
	// ErrShape reports inconsistent dimensions or slice lengths.
	ErrShape = errors.New("attacks: shape mismatch")
	// ErrNonFinite reports a NaN or ±Inf input score or logit.
	ErrNonFinite = errors.New("attacks: non-finite value")
	// ErrEmptyClass reports metrics asked for with no members or no non-members.
	ErrEmptyClass = errors.New("attacks: one class is empty")
	// ErrConfig reports an invalid attack or metric parameter.
	ErrConfig = errors.New("attacks: invalid configuration")
)

// Scores holds one per-example score (normally LiRA's logit-scaled confidence
// φ) for M models × N examples × A query augmentations. Phi is flat and
// model-major: the score of model m on example n under augmentation a is
// Phi[(m*N+n)*A+a]. float32 keeps the array at 4·M·N·A bytes; every attack
// accumulates in float64.
type Scores struct {
	M, N, A int
	Phi     []float32
}

// NewScores allocates a zeroed M×N×A score array.
func NewScores(m, n, a int) (*Scores, error) {
	if m <= 0 || n <= 0 || a <= 0 {
		return nil, fmt.Errorf("%w: scores dimensions M=%d N=%d A=%d must all be > 0", ErrShape, m, n, a)
	}
	return &Scores{M: m, N: n, A: a, Phi: make([]float32, m*n*a)}, nil
}

// At returns the score of model m on example n under augmentation a.
func (s *Scores) At(m, n, a int) float32 { return s.Phi[(m*s.N+n)*s.A+a] }

// Model returns the N×A block of model m (a view, not a copy).
func (s *Scores) Model(m int) []float32 {
	w := s.N * s.A
	return s.Phi[m*w : (m+1)*w]
}

// checkShape verifies the dimensions and the slice length.
func (s *Scores) checkShape() error {
	if s == nil {
		return fmt.Errorf("%w: scores are nil", ErrShape)
	}
	if s.M <= 0 || s.N <= 0 || s.A <= 0 {
		return fmt.Errorf("%w: scores dimensions M=%d N=%d A=%d must all be > 0", ErrShape, s.M, s.N, s.A)
	}
	if len(s.Phi) != s.M*s.N*s.A {
		return fmt.Errorf("%w: scores.Phi has %d values, want M·N·A = %d·%d·%d = %d",
			ErrShape, len(s.Phi), s.M, s.N, s.A, s.M*s.N*s.A)
	}
	return nil
}

// Validate checks the shape and that every score is finite; the error names
// the first offending model, example and augmentation.
func (s *Scores) Validate() error {
	if err := s.checkShape(); err != nil {
		return err
	}
	for i, v := range s.Phi {
		if !finite32(v) {
			return s.nonFinite(i)
		}
	}
	return nil
}

func (s *Scores) nonFinite(flat int) error {
	a := flat % s.A
	n := (flat / s.A) % s.N
	m := flat / (s.A * s.N)
	return fmt.Errorf("%w: score of model %d, example %d, augmentation %d is %v",
		ErrNonFinite, m, n, a, s.Phi[flat])
}

func finite32(v float32) bool { return v == v && v <= math.MaxFloat32 && v >= -math.MaxFloat32 }

func finite64(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Keep is the membership mask: In[m*N+n] is true when model m trained on
// example n.
type Keep struct {
	M, N int
	In   []bool
}

// NewKeep allocates an all-false M×N mask.
func NewKeep(m, n int) (*Keep, error) {
	if m <= 0 || n <= 0 {
		return nil, fmt.Errorf("%w: keep dimensions M=%d N=%d must be > 0", ErrShape, m, n)
	}
	return &Keep{M: m, N: n, In: make([]bool, m*n)}, nil
}

// Row returns model m's row (a view).
func (k *Keep) Row(m int) []bool { return k.In[m*k.N : (m+1)*k.N] }

// check verifies that the mask matches the score array.
func (k *Keep) check(s *Scores) error {
	if k == nil {
		return fmt.Errorf("%w: keep mask is nil", ErrShape)
	}
	if k.M != s.M || k.N != s.N {
		return fmt.Errorf("%w: keep is %d×%d but scores are %d models × %d examples", ErrShape, k.M, k.N, s.M, s.N)
	}
	if len(k.In) != k.M*k.N {
		return fmt.Errorf("%w: keep.In has %d values, want M·N = %d", ErrShape, len(k.In), k.M*k.N)
	}
	return nil
}

// checkTargets verifies that targets are distinct model indices.
func checkTargets(targets []int, m int) error {
	if len(targets) == 0 {
		return fmt.Errorf("%w: no target models given", ErrConfig)
	}
	seen := make(map[int]bool, len(targets))
	for i, t := range targets {
		if t < 0 || t >= m {
			return fmt.Errorf("%w: targets[%d] = %d is not a model index in [0,%d)", ErrConfig, i, t, m)
		}
		if seen[t] {
			return fmt.Errorf("%w: targets[%d] = %d is repeated", ErrConfig, i, t)
		}
		seen[t] = true
	}
	return nil
}

// LogitScaledConfidence returns LiRA's φ = log(p_y/(1−p_y)) for one logit
// vector, computed stably as z_y − logsumexp_{c≠y} z_c in float64. It needs at
// least two classes and finite logits.
func LogitScaledConfidence[F float32 | float64](logits []F, label int) (float64, error) {
	if len(logits) < 2 {
		return 0, fmt.Errorf("%w: need at least 2 classes, got %d logits", ErrShape, len(logits))
	}
	if label < 0 || label >= len(logits) {
		return 0, fmt.Errorf("%w: label %d is not a class in [0,%d)", ErrShape, label, len(logits))
	}
	mx := math.Inf(-1)
	for c, z := range logits {
		v := float64(z)
		if !finite64(v) {
			return 0, fmt.Errorf("%w: logit of class %d is %v", ErrNonFinite, c, v)
		}
		if c != label && v > mx {
			mx = v
		}
	}
	var sum float64
	for c, z := range logits {
		if c != label {
			sum += math.Exp(float64(z) - mx)
		}
	}
	return float64(logits[label]) - mx - math.Log(sum), nil
}

// TrueClassProb returns softmax(logits)[label] in float64, computed with the
// max subtracted so huge logits do not overflow.
func TrueClassProb[F float32 | float64](logits []F, label int) (float64, error) {
	phi, err := LogitScaledConfidence(logits, label)
	if err != nil {
		return 0, err
	}
	return ProbFromPhi(phi), nil
}

// ProbFromPhi maps φ back to the true-class probability p = 1/(1+e^{−φ}).
func ProbFromPhi(phi float64) float64 {
	if phi >= 0 {
		return 1 / (1 + math.Exp(-phi))
	}
	e := math.Exp(phi)
	return e / (1 + e)
}

// LogProbFromPhi returns log p = −log(1+e^{−φ}) without underflow.
func LogProbFromPhi(phi float64) float64 { return -softplus(-phi) }

// LossFromPhi returns the cross-entropy loss −log p_y = log(1+e^{−φ}); it
// equals logsumexp(z) − z_y exactly.
func LossFromPhi(phi float64) float64 { return softplus(-phi) }

// softplus returns log(1+e^x) stably.
func softplus(x float64) float64 {
	switch {
	case x > 35:
		return x + math.Exp(-x) // log1p(e^-x) == e^-x to double precision
	case x < -35:
		return math.Exp(x)
	default:
		return math.Log1p(math.Exp(x))
	}
}

// SetModelFromLogits fills model m's block of s from its logits, laid out
// [N][A][C] flat, and the N labels. It lets callers build the score array one
// model at a time from per-model score files. The error names the example and
// augmentation of the first bad logit.
func (s *Scores) SetModelFromLogits(m int, logits []float32, numClasses int, labels []int) error {
	if err := s.checkShape(); err != nil {
		return err
	}
	if m < 0 || m >= s.M {
		return fmt.Errorf("%w: model %d is not in [0,%d)", ErrShape, m, s.M)
	}
	if err := checkLogitShape(len(logits), s.N, s.A, numClasses, len(labels)); err != nil {
		return fmt.Errorf("model %d: %w", m, err)
	}
	return PhiFromLogits(s.Model(m), logits, s.N, s.A, numClasses, labels)
}

func checkLogitShape(nLogits, n, a, c, nLabels int) error {
	if c < 2 {
		return fmt.Errorf("%w: need at least 2 classes, got %d", ErrShape, c)
	}
	if nLogits != n*a*c {
		return fmt.Errorf("%w: %d logits, want N·A·C = %d·%d·%d = %d", ErrShape, nLogits, n, a, c, n*a*c)
	}
	if nLabels != n {
		return fmt.Errorf("%w: %d labels for %d examples", ErrShape, nLabels, n)
	}
	return nil
}

// PhiFromLogits writes φ for one model into dst ([N][A] flat) from logits
// ([N][A][C] flat).
func PhiFromLogits(dst []float32, logits []float32, n, a, numClasses int, labels []int) error {
	if err := checkLogitShape(len(logits), n, a, numClasses, len(labels)); err != nil {
		return err
	}
	if len(dst) != n*a {
		return fmt.Errorf("%w: destination has %d values, want N·A = %d", ErrShape, len(dst), n*a)
	}
	for i := range n {
		for j := range a {
			off := (i*a + j) * numClasses
			phi, err := LogitScaledConfidence(logits[off:off+numClasses], labels[i])
			if err != nil {
				return fmt.Errorf("example %d, augmentation %d: %w", i, j, err)
			}
			if math.Abs(phi) > math.MaxFloat32 {
				return fmt.Errorf("%w: example %d, augmentation %d: φ = %g overflows float32", ErrNonFinite, i, j, phi)
			}
			dst[i*a+j] = float32(phi)
		}
	}
	return nil
}

// TrueClassProbsFromLogits writes the true-class probability for one model
// into dst ([N][A] flat) from logits ([N][A][C] flat), for callers that want
// probabilities rather than φ.
func TrueClassProbsFromLogits(dst []float64, logits []float32, n, a, numClasses int, labels []int) error {
	if err := checkLogitShape(len(logits), n, a, numClasses, len(labels)); err != nil {
		return err
	}
	if len(dst) != n*a {
		return fmt.Errorf("%w: destination has %d values, want N·A = %d", ErrShape, len(dst), n*a)
	}
	for i := range n {
		for j := range a {
			off := (i*a + j) * numClasses
			p, err := TrueClassProb(logits[off:off+numClasses], labels[i])
			if err != nil {
				return fmt.Errorf("example %d, augmentation %d: %w", i, j, err)
			}
			dst[i*a+j] = p
		}
	}
	return nil
}
