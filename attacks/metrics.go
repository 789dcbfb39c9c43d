package attacks

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
)

// DefaultFPRs are the false-positive rates at which TPR is reported.
var DefaultFPRs = [...]float64{1e-5, 1e-3, 1e-2, 1e-1}

// ROCPoint is one operating point: predicting "member" for every score ≥
// Threshold gives these rates. The first point, (0,0), has Threshold +Inf.
type ROCPoint struct {
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
	Threshold float64 `json:"threshold"`
}

// ROC is the exact ROC curve: one point per distinct score (tied scores move
// together), from (0,0) to (1,1), FPR and TPR non-decreasing.
type ROC struct {
	Points    []ROCPoint
	Positives int
	Negatives int
	// auc2PN is 2·P·N·AUC, an exact integer (tie-corrected Mann–Whitney U, doubled).
	auc2PN int64
}

// ComputeROC builds the exact ROC curve of scores (higher means member)
// against the ground truth member. It errors on a length mismatch, on a
// non-finite score (naming its index) and when either class is empty.
// Cost: two sorts, O(n log n).
func ComputeROC(scores []float64, member []bool) (ROC, error) {
	if len(scores) != len(member) {
		return ROC{}, fmt.Errorf("%w: %d scores but %d membership labels", ErrShape, len(scores), len(member))
	}
	var p int
	for i, v := range scores {
		if !finite64(v) {
			return ROC{}, fmt.Errorf("%w: score of example %d is %v", ErrNonFinite, i, v)
		}
		if member[i] {
			p++
		}
	}
	nn := len(scores) - p
	if p == 0 || nn == 0 {
		return ROC{}, fmt.Errorf("%w: %d members and %d non-members; ROC needs both", ErrEmptyClass, p, nn)
	}
	pos, neg := make([]float64, 0, p), make([]float64, 0, nn)
	for i, v := range scores {
		if member[i] {
			pos = append(pos, v)
		} else {
			neg = append(neg, v)
		}
	}
	slices.Sort(pos)
	slices.Sort(neg)
	r := ROC{Positives: p, Negatives: nn, Points: make([]ROCPoint, 1, 1+distinct(pos)+distinct(neg))}
	r.Points[0] = ROCPoint{Threshold: math.Inf(1)}
	i, j := p-1, nn-1 // walk both from the top score down
	var tp, fp int64
	for i >= 0 || j >= 0 {
		thr := math.Inf(-1)
		if i >= 0 {
			thr = pos[i]
		}
		if j >= 0 && neg[j] > thr {
			thr = neg[j]
		}
		var dtp, dfp int64
		for i >= 0 && pos[i] == thr {
			dtp++
			i--
		}
		for j >= 0 && neg[j] == thr {
			dfp++
			j--
		}
		// Area under this (possibly diagonal) segment, doubled and scaled by P·N.
		r.auc2PN += dfp * (2*tp + dtp)
		tp += dtp
		fp += dfp
		r.Points = append(r.Points, ROCPoint{
			FPR:       float64(fp) / float64(nn),
			TPR:       float64(tp) / float64(p),
			Threshold: thr,
		})
	}
	return r, nil
}

// distinct counts the distinct values of a sorted slice.
func distinct(sorted []float64) int {
	c := 0
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			c++
		}
	}
	return c
}

// AUC is the area under the ROC curve, equal to the tie-corrected
// Mann–Whitney statistic Pr[s_member > s_non] + ½·Pr[s_member = s_non].
func (r ROC) AUC() float64 {
	return float64(r.auc2PN) / (2 * float64(r.Positives) * float64(r.Negatives))
}

// TPRAtFPR is the largest TPR among ROC points with FPR ≤ rate (no
// interpolation).
func (r ROC) TPRAtFPR(rate float64) float64 {
	k := sort.Search(len(r.Points), func(i int) bool { return r.Points[i].FPR > rate })
	if k == 0 {
		return 0
	}
	return r.Points[k-1].TPR
}

// Advantage is max over ROC points of TPR − FPR (≥ 0: the (0,0) point counts).
func (r ROC) Advantage() float64 {
	var best float64
	for _, pt := range r.Points {
		best = math.Max(best, pt.TPR-pt.FPR)
	}
	return best
}

// BalancedAccuracy is max over ROC points of 1 − (FPR + FNR)/2.
func (r ROC) BalancedAccuracy() float64 {
	var best float64
	for _, pt := range r.Points {
		best = math.Max(best, 1-(pt.FPR+(1-pt.TPR))/2)
	}
	return best
}

// Downsample returns a subset of the points for log-scale plotting: every
// point with FPR ≤ exactBelowFPR is kept, so the low-FPR end is exact; above
// it, the first and last point of each of pointsPerDecade logarithmic FPR
// bins per decade are kept, plus the final (1,1) point.
func (r ROC) Downsample(exactBelowFPR float64, pointsPerDecade int) ([]ROCPoint, error) {
	if !(exactBelowFPR >= 0 && exactBelowFPR <= 1) || pointsPerDecade <= 0 {
		return nil, fmt.Errorf("%w: downsample exact_below_fpr=%v must be in [0,1] and points_per_decade=%d > 0",
			ErrConfig, exactBelowFPR, pointsPerDecade)
	}
	out := make([]ROCPoint, 0, 256)
	bin := func(i int) int {
		f := r.Points[i].FPR
		if f <= exactBelowFPR {
			return math.MinInt // the exact region is its own bin
		}
		return int(math.Floor(math.Log10(f) * float64(pointsPerDecade)))
	}
	last := len(r.Points) - 1
	prev := math.MinInt
	for i, pt := range r.Points {
		b := bin(i)
		switch {
		case b == math.MinInt, i == last:
			out = append(out, pt)
		default:
			next := bin(i + 1)
			if b != prev || b != next { // first or last point of its bin
				out = append(out, pt)
			}
		}
		prev = b
	}
	return out, nil
}

// Metrics is the per-target summary serialised into report.json.
type Metrics struct {
	AUC              float64            `json:"auc"`
	TPRAtFPR         map[string]float64 `json:"tpr_at_fpr"`
	BalancedAccuracy float64            `json:"balanced_accuracy"`
	Advantage        float64            `json:"advantage"`
}

// FPRKey formats a false-positive rate as a tpr_at_fpr key: 1e-5 → "0.00001".
func FPRKey(rate float64) string { return strconv.FormatFloat(rate, 'f', -1, 64) }

// MetricOptions configures Summarize; a nil FPRs selects DefaultFPRs.
type MetricOptions struct {
	FPRs []float64
}

func (o MetricOptions) fprs() ([]float64, error) {
	if o.FPRs == nil {
		return DefaultFPRs[:], nil
	}
	for i, f := range o.FPRs {
		if !(f > 0 && f <= 1) {
			return nil, fmt.Errorf("%w: fprs[%d] = %v must be in (0,1]", ErrConfig, i, f)
		}
	}
	return o.FPRs, nil
}

// Summarize computes every metric from the ROC curve.
func (r ROC) Summarize(opts MetricOptions) (Metrics, error) {
	fprs, err := opts.fprs()
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{
		AUC:              r.AUC(),
		TPRAtFPR:         make(map[string]float64, len(fprs)),
		BalancedAccuracy: r.BalancedAccuracy(),
		Advantage:        r.Advantage(),
	}
	for _, f := range fprs {
		m.TPRAtFPR[FPRKey(f)] = r.TPRAtFPR(f)
	}
	return m, nil
}
