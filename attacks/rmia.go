package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// RMIAConfig parameterises RMIA.
type RMIAConfig struct {
	// Offline estimates Pr(x) from the OUT reference models only, as
	// ((1+a)·mean_OUT + (1−a))/2 with a = OfflineA.
	Offline bool
	// OfflineA is the paper's a ∈ [0,1]; used only when Offline.
	OfflineA float64
	// Gamma is the likelihood-ratio threshold γ > 0; zero selects 1.
	Gamma float64
	// NumZ is how many population examples to compare against, sampled
	// without replacement with Seed; zero (or ≥ the population size) uses
	// the whole population.
	NumZ int
	Seed uint64
}

// Name is a stable identifier for the variant.
func (c RMIAConfig) Name() string {
	if c.Offline {
		return "rmia-offline"
	}
	return "rmia-online"
}

func (c RMIAConfig) withDefaults() (RMIAConfig, error) {
	if c.Gamma == 0 {
		c.Gamma = 1
	}
	if !(c.Gamma > 0) || math.IsInf(c.Gamma, 0) {
		return c, fmt.Errorf("%w: rmia.gamma=%v must be finite and > 0", ErrConfig, c.Gamma)
	}
	if c.Offline && !(c.OfflineA >= 0 && c.OfflineA <= 1) {
		return c, fmt.Errorf("%w: rmia.offline_a=%v must be in [0,1]", ErrConfig, c.OfflineA)
	}
	if c.NumZ < 0 {
		return c, fmt.Errorf("%w: rmia.num_z=%d must be ≥ 0", ErrConfig, c.NumZ)
	}
	return c, nil
}

// logModelProb returns log of the model's true-class probability averaged
// over augmentations, log((1/A)·Σ_a sigmoid(φ_a)), in the log domain.
func logModelProb(phis []float32) float64 {
	if len(phis) == 1 {
		return LogProbFromPhi(float64(phis[0]))
	}
	mx := math.Inf(-1)
	for _, v := range phis {
		mx = math.Max(mx, LogProbFromPhi(float64(v)))
	}
	var sum float64
	for _, v := range phis {
		sum += math.Exp(LogProbFromPhi(float64(v)) - mx)
	}
	return mx + math.Log(sum/float64(len(phis)))
}

// modelProb is the probability-domain counterpart of logModelProb.
func modelProb(phis []float32) float64 {
	var sum float64
	for _, v := range phis {
		sum += ProbFromPhi(float64(v))
	}
	return sum / float64(len(phis))
}

// logAddExp returns log(e^x + e^y).
func logAddExp(x, y float64) float64 {
	if math.IsInf(x, -1) {
		return y
	}
	if math.IsInf(y, -1) {
		return x
	}
	if x < y {
		x, y = y, x
	}
	return x + math.Log1p(math.Exp(y-x))
}

// offlineLogPr applies the paper's offline correction in the log domain:
// log(((1+a)·P_out + (1−a))/2) given log P_out.
func offlineLogPr(logOut, a float64) float64 {
	return logAddExp(math.Log((1+a)/2)+logOut, math.Log((1-a)/2))
}

// population validates the population indices against the models in use
// (target and references must all exclude them) and draws the seeded sample.
func samplePopulation(s *Scores, k *Keep, models []int, population []int, cfg RMIAConfig) (sample []int, isPop []bool, err error) {
	if len(population) == 0 {
		return nil, nil, fmt.Errorf("%w: RMIA needs a non-empty population", ErrConfig)
	}
	isPop = make([]bool, s.N)
	for i, z := range population {
		if z < 0 || z >= s.N {
			return nil, nil, fmt.Errorf("%w: population[%d] = %d is not an example index in [0,%d)", ErrConfig, i, z, s.N)
		}
		if isPop[z] {
			return nil, nil, fmt.Errorf("%w: population[%d] = %d is repeated", ErrConfig, i, z)
		}
		isPop[z] = true
		for _, m := range models {
			if k.In[m*s.N+z] {
				return nil, nil, fmt.Errorf("%w: population example %d (population[%d]) is in the training set of model %d", ErrConfig, z, i, m)
			}
		}
	}
	sample = slices.Clone(population)
	if cfg.NumZ > 0 && cfg.NumZ < len(sample) {
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
		for i := range cfg.NumZ { // partial Fisher–Yates
			j := i + rng.IntN(len(sample)-i)
			sample[i], sample[j] = sample[j], sample[i]
		}
		sample = sample[:cfg.NumZ]
	}
	slices.Sort(sample)
	return sample, isPop, nil
}

// RMIA runs RMIA against one target with an explicit reference-model list,
// computing every Pr(x) from scratch in the log domain. Examples in the
// population are never scored (they are the z's) and appear in Excluded, as
// do examples with no OUT reference in offline mode.
func RMIA(s *Scores, k *Keep, target int, refs []int, population []int, cfg RMIAConfig) (TargetScores, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return TargetScores{}, err
	}
	if err := checkModelSet(s, k, target, refs); err != nil {
		return TargetScores{}, err
	}
	models := append([]int{target}, refs...)
	for _, m := range models {
		if err := checkRowFinite(s, m); err != nil {
			return TargetScores{}, err
		}
	}
	sample, isPop, err := samplePopulation(s, k, models, population, cfg)
	if err != nil {
		return TargetScores{}, err
	}
	// logPr[n] = log Pr(n) over the references, by a streaming logsumexp:
	// maxLP[n] is the running maximum and sum[n] = Σ exp(lp − maxLP[n]).
	logPr := make([]float64, s.N)
	cnt := make([]int32, s.N)
	maxLP := make([]float64, s.N)
	for n := range maxLP {
		maxLP[n] = math.Inf(-1)
	}
	sum := logPr // reused: holds the scaled sums until the last loop
	for _, m := range refs {
		row, keep := s.Model(m), k.Row(m)
		for n := range s.N {
			if cfg.Offline && keep[n] {
				continue
			}
			cnt[n]++
			lp := logModelProb(row[n*s.A : (n+1)*s.A])
			if lp > maxLP[n] {
				sum[n] = sum[n]*math.Exp(maxLP[n]-lp) + 1
				maxLP[n] = lp
			} else {
				sum[n] += math.Exp(lp - maxLP[n])
			}
		}
	}
	for n := range s.N {
		logPr[n] = maxLP[n] + math.Log(sum[n]/float64(cnt[n]))
		if cfg.Offline {
			logPr[n] = offlineLogPr(logPr[n], cfg.OfflineA)
		}
	}
	return scoreRMIA(s, target, logPr, cnt, sample, isPop, cfg), nil
}

// RMIALeaveOneOut runs RMIA with each target in turn against all other M−1
// models as references. The per-example sums of reference probabilities
// (all models, and OUT models only) are accumulated once; each target's
// contribution is subtracted. Where that subtraction is ill-conditioned or
// the sum underflows, the example's Pr(x) is recomputed in the log domain.
func RMIALeaveOneOut(s *Scores, k *Keep, targets []int, population []int, cfg RMIAConfig) ([]TargetScores, error) {
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
	all := make([]int, s.M)
	for m := range all {
		all[m] = m
	}
	sample, isPop, err := samplePopulation(s, k, all, population, cfg)
	if err != nil {
		return nil, err
	}
	sumAll, sumOut := make([]float64, s.N), make([]float64, s.N)
	cntOut := make([]int32, s.N)
	na := s.N * s.A
	for m := range s.M {
		row, keep := s.Model(m), k.Row(m)
		for n, in := range keep {
			phis := row[n*s.A : (n+1)*s.A]
			for j, v := range phis {
				if !finite32(v) {
					return nil, s.nonFinite(m*na + n*s.A + j)
				}
			}
			p := modelProb(phis)
			sumAll[n] += p
			if !in {
				sumOut[n] += p
				cntOut[n]++
			}
		}
	}
	logPr := make([]float64, s.N)
	cnt := make([]int32, s.N)
	out := make([]TargetScores, 0, len(targets))
	for _, t := range targets {
		row, keep := s.Model(t), k.Row(t)
		for n, in := range keep {
			p := modelProb(row[n*s.A : (n+1)*s.A])
			total, c := sumAll[n], int32(s.M)
			if cfg.Offline {
				total, c = sumOut[n], cntOut[n]
			}
			rest := total
			if !cfg.Offline || !in {
				rest -= p
				c--
			}
			cnt[n] = c
			if c <= 0 {
				logPr[n] = math.NaN()
				continue
			}
			if rest < 1e-6*total || rest < 1e-280 {
				logPr[n] = directLogPr(s, k, t, n, cfg.Offline)
			} else {
				logPr[n] = math.Log(rest / float64(c))
			}
			if cfg.Offline {
				logPr[n] = offlineLogPr(logPr[n], cfg.OfflineA)
			}
		}
		out = append(out, scoreRMIA(s, t, logPr, cnt, sample, isPop, cfg))
	}
	return out, nil
}

// directLogPr is log of the mean reference probability of example n over all
// models but target (OUT models only when offline), by logsumexp.
func directLogPr(s *Scores, k *Keep, target, n int, offline bool) float64 {
	mx := math.Inf(-1)
	var c int
	for m := range s.M {
		if m != target && (!offline || !k.In[m*s.N+n]) {
			mx = math.Max(mx, logModelProb(s.Model(m)[n*s.A:(n+1)*s.A]))
			c++
		}
	}
	var sum float64
	for m := range s.M {
		if m != target && (!offline || !k.In[m*s.N+n]) {
			sum += math.Exp(logModelProb(s.Model(m)[n*s.A:(n+1)*s.A]) - mx)
		}
	}
	return mx + math.Log(sum/float64(c))
}

// scoreRMIA computes log r(n) = log Pr(n|θ) − log Pr(n) for every example,
// sorts the sampled z's ratios, and scores each non-population x as the
// fraction of z with log r(x) − log r(z) ≥ log γ. The predicate is
// non-increasing in log r(z) under IEEE rounding, so a binary search on the
// sorted ratios counts exactly what the O(N·Z) double loop counts.
func scoreRMIA(s *Scores, target int, logPr []float64, cnt []int32, sample []int, isPop []bool, cfg RMIAConfig) TargetScores {
	row := s.Model(target)
	logRatio := func(n int) float64 { return logModelProb(row[n*s.A:(n+1)*s.A]) - logPr[n] }
	zs := make([]float64, len(sample))
	for i, z := range sample {
		zs[i] = logRatio(z)
	}
	slices.Sort(zs)
	logGamma := math.Log(cfg.Gamma)
	res := TargetScores{Target: target, Scores: make([]float64, s.N)}
	for n := range s.N {
		if isPop[n] || cnt[n] <= 0 {
			res.Scores[n] = math.NaN()
			res.Excluded = append(res.Excluded, n)
			continue
		}
		lx := logRatio(n)
		c := sort.Search(len(zs), func(j int) bool { return !(lx-zs[j] >= logGamma) })
		res.Scores[n] = float64(c) / float64(len(zs))
	}
	return res
}
