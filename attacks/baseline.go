package attacks

import "fmt"

// Baseline selects a global-threshold attack.
type Baseline int

const (
	// BaselineLoss is Yeom et al.'s loss attack: score = −(cross-entropy loss),
	// averaged over augmentations.
	BaselineLoss Baseline = iota
	// BaselineConfidence is Song & Mittal's I_B: score = true-class
	// probability, averaged over augmentations.
	BaselineConfidence
)

// Name is a stable identifier for the baseline.
func (b Baseline) Name() string {
	switch b {
	case BaselineLoss:
		return "loss"
	case BaselineConfidence:
		return "confidence"
	default:
		return fmt.Sprintf("baseline(%d)", int(b))
	}
}

// BaselineScores scores every example on each target model with a global-
// threshold baseline. No shadow model is used; nothing is excluded.
func BaselineScores(s *Scores, targets []int, b Baseline) ([]TargetScores, error) {
	if b != BaselineLoss && b != BaselineConfidence {
		return nil, fmt.Errorf("%w: unknown baseline %d", ErrConfig, int(b))
	}
	if err := s.checkShape(); err != nil {
		return nil, err
	}
	if err := checkTargets(targets, s.M); err != nil {
		return nil, err
	}
	out := make([]TargetScores, 0, len(targets))
	for _, t := range targets {
		if err := checkRowFinite(s, t); err != nil {
			return nil, err
		}
		row := s.Model(t)
		res := TargetScores{Target: t, Scores: make([]float64, s.N)}
		for n := range s.N {
			var sum float64
			for _, v := range row[n*s.A : (n+1)*s.A] {
				if b == BaselineLoss {
					sum -= LossFromPhi(float64(v))
				} else {
					sum += ProbFromPhi(float64(v))
				}
			}
			res.Scores[n] = sum / float64(s.A)
		}
		out = append(out, res)
	}
	return out, nil
}
