package attacks

import (
	"fmt"
	"math"
	"slices"
)

// TargetMetrics are one target's metrics plus the class sizes they rest on.
type TargetMetrics struct {
	Target int `json:"target"`
	Metrics
	Members    int `json:"members"`
	NonMembers int `json:"non_members"`
	Excluded   int `json:"excluded"`
}

// MeanStd is a mean ± sample standard deviation (ddof = 1; 0 for one target).
type MeanStd struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Aggregate summarises an attack over its targets.
type Aggregate struct {
	Attack           string             `json:"attack,omitempty"`
	AUC              MeanStd            `json:"auc"`
	TPRAtFPR         map[string]MeanStd `json:"tpr_at_fpr"`
	BalancedAccuracy MeanStd            `json:"balanced_accuracy"`
	Advantage        MeanStd            `json:"advantage"`
	PerTarget        []TargetMetrics    `json:"per_target"`
}

// EvaluateTarget turns one target's per-example scores and its keep row (the
// ground truth) into metrics and the exact ROC curve. Examples listed in
// excluded (sorted or not) are skipped; any other non-finite score is an
// error naming its example index. This is the generic entry point for any
// attack that produces scores (e.g. adversarial-distance or shadow-classifier
// attacks).
func EvaluateTarget(scores []float64, keepRow []bool, excluded []int, opts MetricOptions) (Metrics, ROC, error) {
	if len(scores) != len(keepRow) {
		return Metrics{}, ROC{}, fmt.Errorf("%w: %d scores but keep row has %d examples", ErrShape, len(scores), len(keepRow))
	}
	s, mem := scores, keepRow
	if len(excluded) > 0 {
		skip := make([]bool, len(scores))
		for i, n := range excluded {
			if n < 0 || n >= len(scores) {
				return Metrics{}, ROC{}, fmt.Errorf("%w: excluded[%d] = %d is not an example index in [0,%d)", ErrShape, i, n, len(scores))
			}
			skip[n] = true
		}
		s = make([]float64, 0, len(scores)-len(excluded))
		mem = make([]bool, 0, len(scores)-len(excluded))
		for n, v := range scores {
			if skip[n] {
				continue
			}
			if !finite64(v) {
				return Metrics{}, ROC{}, fmt.Errorf("%w: score of example %d is %v", ErrNonFinite, n, v)
			}
			s = append(s, v)
			mem = append(mem, keepRow[n])
		}
	}
	roc, err := ComputeROC(s, mem)
	if err != nil {
		return Metrics{}, ROC{}, err
	}
	m, err := roc.Summarize(opts)
	return m, roc, err
}

// Evaluate computes metrics for every target of an attack, using each
// target's keep row as ground truth, and aggregates them. The ROC curves are
// returned in target order.
func Evaluate(attack string, results []TargetScores, k *Keep, opts MetricOptions) (Aggregate, []ROC, error) {
	if k == nil || len(k.In) != k.M*k.N {
		return Aggregate{}, nil, fmt.Errorf("%w: keep mask missing or not M·N", ErrShape)
	}
	per := make([]TargetMetrics, 0, len(results))
	rocs := make([]ROC, 0, len(results))
	for _, r := range results {
		if r.Target < 0 || r.Target >= k.M {
			return Aggregate{}, nil, fmt.Errorf("%w: target %d is not a model index in [0,%d)", ErrShape, r.Target, k.M)
		}
		m, roc, err := EvaluateTarget(r.Scores, k.Row(r.Target), r.Excluded, opts)
		if err != nil {
			return Aggregate{}, nil, fmt.Errorf("%s, target model %d: %w", attack, r.Target, err)
		}
		per = append(per, TargetMetrics{Target: r.Target, Metrics: m,
			Members: roc.Positives, NonMembers: roc.Negatives, Excluded: len(r.Excluded)})
		rocs = append(rocs, roc)
	}
	agg, err := AggregateTargets(per)
	agg.Attack = attack
	return agg, rocs, err
}

// AggregateTargets reduces per-target metrics to mean ± sample std.
func AggregateTargets(per []TargetMetrics) (Aggregate, error) {
	if len(per) == 0 {
		return Aggregate{}, fmt.Errorf("%w: no targets to aggregate", ErrConfig)
	}
	col := func(f func(TargetMetrics) float64) MeanStd {
		xs := make([]float64, len(per))
		for i, p := range per {
			xs[i] = f(p)
		}
		return meanStd(xs)
	}
	agg := Aggregate{
		AUC:              col(func(p TargetMetrics) float64 { return p.AUC }),
		BalancedAccuracy: col(func(p TargetMetrics) float64 { return p.BalancedAccuracy }),
		Advantage:        col(func(p TargetMetrics) float64 { return p.Advantage }),
		TPRAtFPR:         make(map[string]MeanStd),
		PerTarget:        slices.Clone(per),
	}
	for key := range per[0].TPRAtFPR {
		for i, p := range per {
			if _, ok := p.TPRAtFPR[key]; !ok {
				return Aggregate{}, fmt.Errorf("%w: per_target[%d] (target %d) lacks tpr_at_fpr %q", ErrShape, i, p.Target, key)
			}
		}
		agg.TPRAtFPR[key] = col(func(p TargetMetrics) float64 { return p.TPRAtFPR[key] })
	}
	return agg, nil
}

func meanStd(xs []float64) MeanStd {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if len(xs) < 2 {
		return MeanStd{Mean: mean}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return MeanStd{Mean: mean, Std: math.Sqrt(ss / float64(len(xs)-1))}
}

// ScoreMatrix stacks per-target scores into one flat row-major
// len(results)×N float32 array (NaN where excluded), ready for a .npy export.
func ScoreMatrix(results []TargetScores) ([]float32, error) {
	if len(results) == 0 {
		return nil, nil
	}
	n := len(results[0].Scores)
	out := make([]float32, 0, len(results)*n)
	for i, r := range results {
		if len(r.Scores) != n {
			return nil, fmt.Errorf("%w: results[%d] (target %d) has %d scores, results[0] has %d", ErrShape, i, r.Target, len(r.Scores), n)
		}
		for _, v := range r.Scores {
			out = append(out, float32(v))
		}
	}
	return out, nil
}
