package attacks

import (
	"fmt"
	"math"
	"slices"
)

// LiRAConfig selects the LiRA variant and its guards.
type LiRAConfig struct {
	// Offline uses only OUT shadows and the one-sided test
	// score = log Pr[Z ≤ φ_target], Z ~ N(μ_out, σ_out²).
	Offline bool
	// FixedVariance replaces the per-example σ_in, σ_out by one pooled σ_in and
	// one pooled σ_out for the whole attack (see doc.go for the estimator).
	FixedVariance bool
	// MinIn and MinOut are the fewest IN and OUT shadows an example needs to
	// be scored (MinIn is ignored offline). Zero selects the default: 2 with
	// per-example variance (one sample has a zero population std), 1 with
	// fixed variance. Examples below the minimum are listed in
	// TargetScores.Excluded and their score is NaN.
	MinIn, MinOut int
	// MinStd floors every σ before it is used, so examples whose shadow
	// scores are all identical (e.g. saturated float32 φ) do not divide by
	// zero. Zero selects DefaultMinStd.
	MinStd float64
}

// DefaultMinStd is the σ floor used when LiRAConfig.MinStd is zero. φ is
// stored in float32, so spreads below ~1e-6 carry no information anyway.
const DefaultMinStd = 1e-6

// Name is a stable identifier for the variant, e.g. "lira-online-fixed-variance".
func (c LiRAConfig) Name() string {
	n := "lira-online"
	if c.Offline {
		n = "lira-offline"
	}
	if c.FixedVariance {
		n += "-fixed-variance"
	}
	return n
}

func (c LiRAConfig) withDefaults() (LiRAConfig, error) {
	if c.MinIn < 0 || c.MinOut < 0 {
		return c, fmt.Errorf("%w: lira.min_in=%d, lira.min_out=%d must be ≥ 0", ErrConfig, c.MinIn, c.MinOut)
	}
	if c.MinStd < 0 || math.IsNaN(c.MinStd) || math.IsInf(c.MinStd, 0) {
		return c, fmt.Errorf("%w: lira.min_std=%v must be finite and ≥ 0", ErrConfig, c.MinStd)
	}
	def := 2
	if c.FixedVariance {
		def = 1
	}
	if c.MinIn == 0 {
		c.MinIn = def
	}
	if c.MinOut == 0 {
		c.MinOut = def
	}
	if c.MinStd == 0 {
		c.MinStd = DefaultMinStd
	}
	return c, nil
}

// TargetScores are one target model's per-example attack scores (higher
// means "member"). Scores has one entry per example; Excluded lists, in
// increasing order, the examples the attack could not or must not score
// (too few IN/OUT shadows, population examples); their score is NaN and
// every metric skips them.
type TargetScores struct {
	Target   int       `json:"target"`
	Scores   []float64 `json:"-"`
	Excluded []int     `json:"excluded,omitempty"`
}

// shadowStats are per-example Gaussian fits: counts per example, means and
// population variances (ddof = 0) per example × augmentation.
type shadowStats struct {
	n, a            int
	cntIn, cntOut   []int32
	meanIn, meanOut []float64
	varIn, varOut   []float64
}

func newShadowStats(n, a int) *shadowStats {
	return &shadowStats{
		n: n, a: a,
		cntIn: make([]int32, n), cntOut: make([]int32, n),
		meanIn: make([]float64, n*a), meanOut: make([]float64, n*a),
		varIn: make([]float64, n*a), varOut: make([]float64, n*a),
	}
}

// LiRA runs LiRA against one target model with an explicit shadow set,
// estimating every mean and variance from scratch (two passes, model-major).
// It is the reference that LiRALeaveOneOut's shortcut is tested against, and
// the entry point when shadows are not "all other models".
func LiRA(s *Scores, k *Keep, target int, shadows []int, cfg LiRAConfig) (TargetScores, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return TargetScores{}, err
	}
	if err := checkModelSet(s, k, target, shadows); err != nil {
		return TargetScores{}, err
	}
	for _, m := range append([]int{target}, shadows...) {
		if err := checkRowFinite(s, m); err != nil {
			return TargetScores{}, err
		}
	}
	st := newShadowStats(s.N, s.A)
	na := s.N * s.A
	// Pass 1: counts and sums.
	for _, m := range shadows {
		row, keep := s.Model(m), k.Row(m)
		for n := range s.N {
			if keep[n] {
				st.cntIn[n]++
			} else {
				st.cntOut[n]++
			}
			for j := n * s.A; j < (n+1)*s.A; j++ {
				if keep[n] {
					st.meanIn[j] += float64(row[j])
				} else {
					st.meanOut[j] += float64(row[j])
				}
			}
		}
	}
	for j := range na {
		st.meanIn[j] /= float64(st.cntIn[j/s.A])
		st.meanOut[j] /= float64(st.cntOut[j/s.A])
	}
	// Pass 2: squared deviations from the means.
	for _, m := range shadows {
		row, keep := s.Model(m), k.Row(m)
		for j := range na {
			if keep[j/s.A] {
				d := float64(row[j]) - st.meanIn[j]
				st.varIn[j] += d * d
			} else {
				d := float64(row[j]) - st.meanOut[j]
				st.varOut[j] += d * d
			}
		}
	}
	for j := range na {
		st.varIn[j] /= float64(st.cntIn[j/s.A])
		st.varOut[j] /= float64(st.cntOut[j/s.A])
	}
	return scoreLiRA(st, s.Model(target), target, cfg), nil
}

// LiRALeaveOneOut runs LiRA with each target in turn against all other M−1
// models as shadows. Per-example sufficient statistics (counts, and sums and
// sums of squares shifted by model 0's score for numerical stability) are
// accumulated in one pass over the score array; each target's own
// contribution is then subtracted, so k targets cost one pass plus k·N·A
// work. Where the subtraction would lose more than ~6 of 16 digits of a
// variance, that example × augmentation is recomputed from scratch.
func LiRALeaveOneOut(s *Scores, k *Keep, targets []int, cfg LiRAConfig) ([]TargetScores, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := s.checkShape(); err != nil {
		return nil, err
	}
	if err := k.check(s); err != nil {
		return nil, err
	}
	if err := checkTargets(targets, s.M); err != nil {
		return nil, err
	}
	if s.M < 2 {
		return nil, fmt.Errorf("%w: leave-one-out needs at least 2 models, have %d", ErrConfig, s.M)
	}
	na := s.N * s.A
	shift := make([]float64, na)
	for j, v := range s.Model(0) {
		shift[j] = float64(v)
	}
	cntIn := make([]int32, s.N)
	s1In, s2In := make([]float64, na), make([]float64, na)
	s1Out, s2Out := make([]float64, na), make([]float64, na)
	for m := range s.M {
		row, keep := s.Model(m), k.Row(m)
		for n, in := range keep {
			if in {
				cntIn[n]++
			}
			for j := n * s.A; j < (n+1)*s.A; j++ {
				v := row[j]
				if !finite32(v) {
					return nil, s.nonFinite(m*na + j)
				}
				d := float64(v) - shift[j]
				if in {
					s1In[j] += d
					s2In[j] += d * d
				} else {
					s1Out[j] += d
					s2Out[j] += d * d
				}
			}
		}
	}
	st := newShadowStats(s.N, s.A)
	out := make([]TargetScores, 0, len(targets))
	for _, t := range targets {
		row, keep := s.Model(t), k.Row(t)
		for n, in := range keep {
			ci, co := cntIn[n], int32(s.M)-cntIn[n]
			if in {
				ci--
			} else {
				co--
			}
			st.cntIn[n], st.cntOut[n] = ci, co
			for j := n * s.A; j < (n+1)*s.A; j++ {
				d := float64(row[j]) - shift[j]
				a1, a2, b1, b2 := s1In[j], s2In[j], s1Out[j], s2Out[j]
				if in {
					a1, a2 = a1-d, a2-d*d
				} else {
					b1, b2 = b1-d, b2-d*d
				}
				st.meanIn[j], st.varIn[j] = looMoments(a1, a2, s2In[j], ci, shift[j])
				st.meanOut[j], st.varOut[j] = looMoments(b1, b2, s2Out[j], co, shift[j])
				if math.IsNaN(st.varIn[j]) && ci > 0 {
					st.meanIn[j], st.varIn[j] = directMoments(s, k, t, n, j-n*s.A, true)
				}
				if math.IsNaN(st.varOut[j]) && co > 0 {
					st.meanOut[j], st.varOut[j] = directMoments(s, k, t, n, j-n*s.A, false)
				}
			}
		}
		out = append(out, scoreLiRA(st, row, t, cfg))
	}
	return out, nil
}

// looMoments turns shifted sums into a mean and a population variance. It
// returns a NaN variance when the subtraction is ill-conditioned (the
// variance is below 1e-6 of the total sum of squares it was derived from),
// asking the caller to recompute from scratch.
func looMoments(s1, s2, s2Total float64, c int32, shift float64) (mean, variance float64) {
	if c <= 0 {
		return math.NaN(), math.NaN()
	}
	fc := float64(c)
	mean = shift + s1/fc
	ss := s2 - s1*s1/fc
	if ss < 1e-6*s2Total {
		return mean, math.NaN()
	}
	return mean, ss / fc
}

// directMoments computes the two-pass mean and population variance of
// example n, augmentation a over the models other than target on the given
// side (IN when in is true).
func directMoments(s *Scores, k *Keep, target, n, a int, in bool) (mean, variance float64) {
	var sum float64
	var c int
	for m := range s.M {
		if m != target && k.In[m*s.N+n] == in {
			sum += float64(s.At(m, n, a))
			c++
		}
	}
	mean = sum / float64(c)
	var ss float64
	for m := range s.M {
		if m != target && k.In[m*s.N+n] == in {
			d := float64(s.At(m, n, a)) - mean
			ss += d * d
		}
	}
	return mean, ss / float64(c)
}

// scoreLiRA scores the target's row from fitted shadow statistics.
func scoreLiRA(st *shadowStats, row []float32, target int, cfg LiRAConfig) TargetScores {
	res := TargetScores{Target: target, Scores: make([]float64, st.n)}
	eligible := func(n int) bool {
		if int(st.cntOut[n]) < cfg.MinOut {
			return false
		}
		return cfg.Offline || int(st.cntIn[n]) >= cfg.MinIn
	}
	// Pooled variances: Σ over eligible examples and augmentations of the
	// within-example sums of squares, divided by the number of scores.
	var pooledIn, pooledOut float64
	if cfg.FixedVariance {
		var ssIn, ssOut, nIn, nOut float64
		for n := range st.n {
			if !eligible(n) {
				continue
			}
			ci, co := float64(st.cntIn[n]), float64(st.cntOut[n])
			for j := n * st.a; j < (n+1)*st.a; j++ {
				if ci > 0 {
					ssIn += ci * st.varIn[j]
					nIn += ci
				}
				ssOut += co * st.varOut[j]
				nOut += co
			}
		}
		pooledIn, pooledOut = math.NaN(), math.NaN()
		if nIn > 0 {
			pooledIn = ssIn / nIn
		}
		if nOut > 0 {
			pooledOut = ssOut / nOut
		}
	}
	for n := range st.n {
		if !eligible(n) {
			res.Scores[n] = math.NaN()
			res.Excluded = append(res.Excluded, n)
			continue
		}
		var sum float64
		for j := n * st.a; j < (n+1)*st.a; j++ {
			vIn, vOut := st.varIn[j], st.varOut[j]
			if cfg.FixedVariance {
				vIn, vOut = pooledIn, pooledOut
			}
			sdOut := math.Max(math.Sqrt(vOut), cfg.MinStd)
			x := float64(row[j])
			if cfg.Offline {
				sum += normLogCDF((x - st.meanOut[j]) / sdOut)
			} else {
				sdIn := math.Max(math.Sqrt(vIn), cfg.MinStd)
				sum += normLogPDF(x, st.meanIn[j], sdIn) - normLogPDF(x, st.meanOut[j], sdOut)
			}
		}
		res.Scores[n] = sum / float64(st.a)
	}
	return res
}

// checkModelSet validates shapes, the target and a reference/shadow list
// (distinct model indices, target excluded, at least one).
func checkModelSet(s *Scores, k *Keep, target int, refs []int) error {
	if err := s.checkShape(); err != nil {
		return err
	}
	if err := k.check(s); err != nil {
		return err
	}
	if target < 0 || target >= s.M {
		return fmt.Errorf("%w: target %d is not a model index in [0,%d)", ErrConfig, target, s.M)
	}
	if len(refs) == 0 {
		return fmt.Errorf("%w: no shadow/reference models given for target %d", ErrConfig, target)
	}
	sorted := slices.Clone(refs)
	slices.Sort(sorted)
	for i, m := range sorted {
		if m < 0 || m >= s.M {
			return fmt.Errorf("%w: shadow model %d is not a model index in [0,%d)", ErrConfig, m, s.M)
		}
		if m == target {
			return fmt.Errorf("%w: target %d is also listed as its own shadow", ErrConfig, target)
		}
		if i > 0 && sorted[i-1] == m {
			return fmt.Errorf("%w: shadow model %d is listed twice", ErrConfig, m)
		}
	}
	return nil
}

// checkRowFinite reports the first non-finite score of model m.
func checkRowFinite(s *Scores, m int) error {
	base := m * s.N * s.A
	for j, v := range s.Model(m) {
		if !finite32(v) {
			return s.nonFinite(base + j)
		}
	}
	return nil
}
