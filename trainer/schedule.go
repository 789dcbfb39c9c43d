package trainer

import (
	"fmt"
	"math"
)

// ScheduleKind names a learning-rate schedule.
type ScheduleKind string

// Supported schedules.
const (
	// Constant keeps the base learning rate.
	Constant ScheduleKind = "constant"
	// Step multiplies the rate by Gamma every StepEpochs epochs.
	Step ScheduleKind = "step"
	// Cosine warms up linearly over WarmupEpochs, then decays with a half
	// cosine to MinLR at the end of training; it is evaluated per batch.
	Cosine ScheduleKind = "cosine"
)

// Schedule configures the learning-rate schedule.
type Schedule struct {
	Kind         ScheduleKind
	StepEpochs   int     // Step
	Gamma        float64 // Step; 0.1 when zero
	WarmupEpochs float64 // Cosine (fractions allowed)
	MinLR        float64 // Cosine
}

func (s Schedule) validate() error {
	switch s.Kind {
	case "", Constant, Cosine:
	case Step:
		if s.StepEpochs <= 0 {
			return fmt.Errorf("step_epochs: %d must be > 0", s.StepEpochs)
		}
	default:
		return fmt.Errorf("kind: unknown schedule %q (want constant, step or cosine)", string(s.Kind))
	}
	if s.WarmupEpochs < 0 || s.MinLR < 0 || s.Gamma < 0 {
		return fmt.Errorf("warmup_epochs, min_lr and gamma must be >= 0")
	}
	return nil
}

// LR returns the learning rate for batch `batch` (of stepsPerEpoch) in
// epoch `epoch` (0-based) of a run of `epochs` epochs with base rate base.
func (s Schedule) LR(base float64, epoch, batch, stepsPerEpoch, epochs int) float64 {
	switch s.Kind {
	case Step:
		g := s.Gamma
		if g == 0 {
			g = 0.1
		}
		return base * math.Pow(g, float64(epoch/s.StepEpochs))
	case Cosine:
		total := float64(epochs * stepsPerEpoch)
		t := float64(epoch*stepsPerEpoch + batch)
		warm := s.WarmupEpochs * float64(stepsPerEpoch)
		if t < warm {
			return base * (t + 1) / warm
		}
		span := total - warm
		if span <= 0 {
			return base
		}
		frac := (t - warm) / span
		return s.MinLR + (base-s.MinLR)*0.5*(1+math.Cos(math.Pi*frac))
	default:
		return base
	}
}
