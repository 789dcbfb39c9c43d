package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/umbra-ml/umbra/attacks"
)

// ThinROC reduces an exact ROC curve to the points worth storing and
// plotting on log axes, without changing the low-FPR end:
//
//  1. attacks.ROC.Downsample keeps every point with FPR ≤ 1e-3 and, above,
//     the first and last point of each of 25 logarithmic FPR bins per
//     decade, plus (1,1);
//  2. inside runs of points with equal FPR (vertical segments) or equal TPR
//     (horizontal segments) only the two ends are kept. This step loses
//     nothing (the dropped points lie on the segment between the ends) and
//     matters: a strong attack has one point per member at FPR = 0.
//
// So TPR at any FPR ≤ 1e-3, read off the thinned curve as the largest TPR
// among points with FPR ≤ that rate, equals attacks.ROC.TPRAtFPR.
func ThinROC(roc attacks.ROC) (Curve, error) {
	if len(roc.Points) < 2 {
		return Curve{}, fmt.Errorf("%w: ROC has %d points; a curve runs from (0,0) to (1,1)", ErrInput, len(roc.Points))
	}
	for i, p := range roc.Points {
		if !(p.FPR >= 0 && p.FPR <= 1 && p.TPR >= 0 && p.TPR <= 1) {
			return Curve{}, fmt.Errorf("%w: ROC point %d = (%v, %v) is outside [0,1]²", ErrInput, i, p.FPR, p.TPR)
		}
	}
	pts, err := roc.Downsample(exactBelowFPR, pointsPerDecade)
	if err != nil {
		return Curve{}, fmt.Errorf("%w: %w", ErrInput, err)
	}
	c := Curve{FPR: make([]float64, 0, len(pts)), TPR: make([]float64, 0, len(pts))}
	last := len(pts) - 1
	for i, p := range pts {
		if i > 0 && i < last {
			prev, next := pts[i-1], pts[i+1]
			if (prev.FPR == p.FPR && p.FPR == next.FPR) || (prev.TPR == p.TPR && p.TPR == next.TPR) {
				continue
			}
		}
		c.FPR = append(c.FPR, p.FPR)
		c.TPR = append(c.TPR, p.TPR)
	}
	if err := c.validate(); err != nil {
		return Curve{}, err
	}
	return c, nil
}

// TPRAt is the largest TPR among the curve's points with FPR ≤ rate (0 if
// none), the same reading as attacks.ROC.TPRAtFPR.
func (c *Curve) TPRAt(rate float64) float64 {
	k := sort.Search(len(c.FPR), func(i int) bool { return c.FPR[i] > rate })
	if k == 0 {
		return 0
	}
	return c.TPR[k-1]
}

// meanCurve is the vertical average of curves: at each FPR of grid, the
// mean over curves of TPRAt.
func meanCurve(curves []*Curve, grid []float64) []float64 {
	out := make([]float64, len(grid))
	for i, f := range grid {
		var sum float64
		for _, c := range curves {
			sum += c.TPRAt(f)
		}
		out[i] = sum / float64(len(curves))
	}
	return out
}

// Histogram bins one target's scores of members and non-members into bins
// equal-width bins spanning the finite scores (one bin of width 1 around
// them when they are all equal). NaN scores (excluded examples) are
// skipped; ±Inf is an error naming the example.
func Histogram(s ScoreSample, bins int) (ScoreHistogram, error) {
	if bins < 1 {
		return ScoreHistogram{}, fmt.Errorf("%w: histogram needs ≥ 1 bin, got %d", ErrInput, bins)
	}
	if len(s.Scores) != len(s.Member) {
		return ScoreHistogram{}, fmt.Errorf("%w: target %d: %d scores but %d membership labels", ErrInput, s.Target, len(s.Scores), len(s.Member))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for n, v := range s.Scores {
		if math.IsNaN(v) {
			continue
		}
		if math.IsInf(v, 0) {
			return ScoreHistogram{}, fmt.Errorf("%w: target %d: score of example %d is %v", ErrInput, s.Target, n, v)
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo > hi {
		return ScoreHistogram{}, fmt.Errorf("%w: target %d: no finite score to histogram", ErrInput, s.Target)
	}
	edges := equalEdges(lo, hi, bins)
	h := ScoreHistogram{Target: s.Target, Edges: edges,
		Members: make([]int, len(edges)-1), NonMembers: make([]int, len(edges)-1)}
	for n, v := range s.Scores {
		if math.IsNaN(v) {
			continue
		}
		// The last bin is closed on the right; search the upper edges.
		k := sort.SearchFloat64s(edges[1:len(edges)-1], v)
		if k < len(edges)-2 && edges[k+1] == v {
			k++ // a score on an inner edge belongs to the bin it opens
		}
		if s.Member[n] {
			h.Members[k]++
		} else {
			h.NonMembers[k]++
		}
	}
	return h, nil
}

// equalEdges returns bins+1 strictly increasing edges from lo to hi, or,
// where rounding cannot separate them, the fewest bins that it can (down
// to one bin of width 1 around equal values).
func equalEdges(lo, hi float64, bins int) []float64 {
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
		if lo == hi || math.IsInf(lo, 0) || math.IsInf(hi, 0) { // |v| too large to widen by 1
			lo, hi = math.Nextafter(lo, math.Inf(-1)), math.Nextafter(hi, math.Inf(1))
		}
	}
	for ; bins > 1; bins /= 2 {
		w := hi/float64(bins) - lo/float64(bins) // no overflow for |lo|, |hi| near MaxFloat64
		e := make([]float64, bins+1)
		ok := true
		for i := range bins {
			e[i] = lo + float64(i)*w
			if i > 0 && !(e[i] > e[i-1]) {
				ok = false
				break
			}
		}
		e[bins] = hi
		if ok && e[bins] > e[bins-1] {
			return e
		}
	}
	return []float64{lo, hi}
}

// sortedFPRKeys returns the tpr_at_fpr keys in increasing order of rate.
func sortedFPRKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		fa, ea := strconv.ParseFloat(a, 64)
		fb, eb := strconv.ParseFloat(b, 64)
		if ea == nil && eb == nil && fa != fb {
			return cmp.Compare(fa, fb)
		}
		return cmp.Compare(a, b)
	})
	return keys
}

// axisMin is the lower end of both log axes of the ROC plots: 1e-5, or,
// when no target has that many examples in a class, the power of ten at or
// below 1/(largest class size), so the plot does not show decades no
// operating point can reach; never above 1e-2.
func axisMin(r *Report) float64 {
	n := 0
	for _, a := range r.Attacks {
		for _, pt := range a.PerTarget {
			n = max(n, pt.Members, pt.NonMembers)
		}
	}
	if n == 0 {
		return 1e-5
	}
	p := 1.0 // smallest power of ten ≥ n, counted exactly
	for p < float64(n) && p < 1e5 {
		p *= 10
	}
	return min(1/p, 1e-2)
}
