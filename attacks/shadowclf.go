package attacks

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/umbra-ml/umbra/datasets"
	"github.com/umbra-ml/umbra/trainer"
)

// Defaults of ShadowClassifierConfig.
const (
	DefaultShadowTopK      = 3
	DefaultShadowMaxRows   = 20000
	DefaultShadowEpochs    = 30
	DefaultShadowBatchSize = 128
	DefaultShadowLR        = 1e-3
)

// ShadowAllClasses as ShadowClassifierConfig.TopK keeps the whole sorted
// posterior.
const ShadowAllClasses = -1

// ShadowClassifierConfig configures the shadow-model attack classifier
// (Shokri et al. 2017; Salem et al. 2019, "ML-Leaks"). Zero values mean the
// defaults.
type ShadowClassifierConfig struct {
	// TopK is the number of largest posterior probabilities in the
	// features (default 3, as in ML-Leaks; ShadowAllClasses for all). It is
	// capped at the number of classes.
	TopK int
	// Shadows, when non-nil, is a fixed shadow set: ONE attack model is
	// trained on these models' features and applied to every target, which
	// must not be among them. When nil, each target t gets its own attack
	// model trained on the other models (leave-one-out).
	Shadows []int
	// MaxRows caps the (model, example) rows the attack model trains on:
	// up to MaxRows/2 IN and MaxRows/2 OUT rows are drawn without
	// replacement (default 20000).
	MaxRows int
	// Hidden are the attack MLP's hidden widths (default [64]).
	Hidden []int
	// Epochs, BatchSize and LR configure Adam training of the attack
	// model (defaults 30, 128, 1e-3).
	Epochs    int
	BatchSize int
	LR        float64
	// Seed seeds row sampling, weight initialisation and shuffling.
	Seed uint64
}

// Name is a stable identifier for reports.
func (c ShadowClassifierConfig) Name() string { return "shadow-classifier" }

func (c ShadowClassifierConfig) withDefaults() (ShadowClassifierConfig, error) {
	switch {
	case c.TopK == 0:
		c.TopK = DefaultShadowTopK
	case c.TopK < 0 && c.TopK != ShadowAllClasses:
		return c, fmt.Errorf("%w: shadow classifier top_k = %d must be > 0 or %d (all classes)", ErrConfig, c.TopK, ShadowAllClasses)
	}
	if c.MaxRows < 0 || c.Epochs < 0 || c.BatchSize < 0 {
		return c, fmt.Errorf("%w: shadow classifier max_rows = %d, epochs = %d, batch_size = %d must be >= 0", ErrConfig, c.MaxRows, c.Epochs, c.BatchSize)
	}
	if !(c.LR >= 0) || math.IsInf(c.LR, 0) {
		return c, fmt.Errorf("%w: shadow classifier lr = %v must be finite and >= 0", ErrConfig, c.LR)
	}
	if c.MaxRows == 0 {
		c.MaxRows = DefaultShadowMaxRows
	}
	if c.MaxRows < 2 {
		return c, fmt.Errorf("%w: shadow classifier max_rows = %d must be >= 2 (one IN and one OUT row)", ErrConfig, c.MaxRows)
	}
	if c.Epochs == 0 {
		c.Epochs = DefaultShadowEpochs
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultShadowBatchSize
	}
	if c.LR == 0 {
		c.LR = DefaultShadowLR
	}
	if c.Hidden == nil {
		c.Hidden = []int{64}
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return c, fmt.Errorf("%w: shadow classifier hidden[%d] = %d must be > 0", ErrConfig, i, h)
		}
	}
	return c, nil
}

// featureDim is the number of features per row for c classes.
func (c ShadowClassifierConfig) featureDim(classes int) int { return topK(c.TopK, classes) + 1 }

func topK(k, classes int) int {
	if k == ShadowAllClasses || k > classes {
		return classes
	}
	return k
}

// LogitSource returns one model's logits on the N examples, N×C row-major
// (the identity query augmentation). Callers typically read a per-model
// score file.
type LogitSource func(model int) ([]float32, error)

// LogitSlices adapts in-memory per-model logits to a LogitSource.
func LogitSlices(logits [][]float32) LogitSource {
	return func(m int) ([]float32, error) {
		if m < 0 || m >= len(logits) {
			return nil, fmt.Errorf("%w: model %d has no logits (%d models)", ErrShape, m, len(logits))
		}
		return logits[m], nil
	}
}

// ShadowFeatures computes the attack features of one model: per example,
// the softmax posterior (float64, max-subtracted) sorted in decreasing
// order and truncated to its topK largest values (ShadowAllClasses: all;
// capped at the class count), followed by the correctness bit, 1 when the
// first index of the largest logit is the label and 0 otherwise. logits are
// N×numClasses row-major; the result is N×(k+1) row-major.
func ShadowFeatures(logits []float32, labels []int, numClasses, topk int) ([]float32, error) {
	if numClasses < 2 {
		return nil, fmt.Errorf("%w: need at least 2 classes, got %d", ErrShape, numClasses)
	}
	if topk <= 0 && topk != ShadowAllClasses {
		return nil, fmt.Errorf("%w: top_k = %d must be > 0 or %d (all classes)", ErrConfig, topk, ShadowAllClasses)
	}
	n := len(labels)
	if len(logits) != n*numClasses {
		return nil, fmt.Errorf("%w: %d logits, want N·C = %d·%d = %d", ErrShape, len(logits), n, numClasses, n*numClasses)
	}
	k := topK(topk, numClasses)
	f := k + 1
	out := make([]float32, n*f)
	p := make([]float64, numClasses)
	for i := range n {
		if err := shadowRow(out[i*f:(i+1)*f], logits[i*numClasses:(i+1)*numClasses], labels[i], p); err != nil {
			return nil, fmt.Errorf("example %d: %w", i, err)
		}
	}
	return out, nil
}

// shadowRow writes one example's features into dst (k+1 values), using p
// (numClasses values) as scratch.
func shadowRow(dst []float32, z []float32, label int, p []float64) error {
	if label < 0 || label >= len(z) {
		return fmt.Errorf("%w: label %d is not a class in [0,%d)", ErrShape, label, len(z))
	}
	arg := 0
	for c, v := range z {
		if !finite32(v) {
			return fmt.Errorf("%w: logit of class %d is %v", ErrNonFinite, c, v)
		}
		if v > z[arg] {
			arg = c
		}
	}
	mx := float64(z[arg])
	var sum float64
	for c, v := range z {
		p[c] = math.Exp(float64(v) - mx)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
	slices.Sort(p)
	k := len(dst) - 1
	for j := range k {
		dst[j] = float32(p[len(p)-1-j])
	}
	dst[k] = 0
	if arg == label {
		dst[k] = 1
	}
	return nil
}

// shadowRowRef names one training row: model m's features on example n.
type shadowRowRef struct {
	m, n int
	in   bool
}

// ShadowClassifierScores runs the shadow attack classifier against each
// target. logits(m) must return model m's N×numClasses logits for every m
// in [0, k.M); labels are the N true labels. Each target's TargetScores
// holds the attack model's P(IN) for every example (nothing is excluded).
//
// Training rows are (model, example) pairs labelled by the keep mask,
// sampled once (seeded, balanced): from the models in cfg.Shadows, or, in
// leave-one-out mode (cfg.Shadows nil), from all models, in which case the
// attack model of target t is trained on the sample minus model t's rows.
// Every model's logits are requested at most once, in increasing order.
func ShadowClassifierScores(ctx context.Context, logits LogitSource, k *Keep, labels []int, numClasses int, targets []int, cfg ShadowClassifierConfig) ([]TargetScores, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logits == nil {
		return nil, fmt.Errorf("%w: shadow classifier: no logit source", ErrConfig)
	}
	if k == nil || k.M <= 0 || k.N <= 0 || len(k.In) != k.M*k.N {
		return nil, fmt.Errorf("%w: shadow classifier: keep mask missing or not M·N", ErrShape)
	}
	if len(labels) != k.N {
		return nil, fmt.Errorf("%w: shadow classifier: %d labels for %d examples", ErrShape, len(labels), k.N)
	}
	if numClasses < 2 {
		return nil, fmt.Errorf("%w: shadow classifier: need at least 2 classes, got %d", ErrShape, numClasses)
	}
	for i, y := range labels {
		if y < 0 || y >= numClasses {
			return nil, fmt.Errorf("%w: shadow classifier: label of example %d is %d, not a class in [0,%d)", ErrShape, i, y, numClasses)
		}
	}
	if err := checkTargets(targets, k.M); err != nil {
		return nil, err
	}
	isTarget := make([]bool, k.M)
	for _, t := range targets {
		isTarget[t] = true
	}
	inPool := make([]bool, k.M)
	if cfg.Shadows == nil {
		for m := range inPool {
			inPool[m] = true
		}
	} else {
		if len(cfg.Shadows) == 0 {
			return nil, fmt.Errorf("%w: shadow classifier: shadows is empty", ErrConfig)
		}
		for i, s := range cfg.Shadows {
			switch {
			case s < 0 || s >= k.M:
				return nil, fmt.Errorf("%w: shadow classifier: shadows[%d] = %d is not a model index in [0,%d)", ErrConfig, i, s, k.M)
			case inPool[s]:
				return nil, fmt.Errorf("%w: shadow classifier: shadows[%d] = %d is repeated", ErrConfig, i, s)
			case isTarget[s]:
				return nil, fmt.Errorf("%w: shadow classifier: shadows[%d] = %d is also a target", ErrConfig, i, s)
			}
			inPool[s] = true
		}
	}
	rows, err := sampleShadowRows(k, inPool, cfg.MaxRows/2, cfg.Seed)
	if err != nil {
		return nil, err
	}

	// One pass over the models: features of the sampled rows, and of every
	// example for the targets.
	f := cfg.featureDim(numClasses)
	x := make([]float32, len(rows)*f)
	y := make([]int, len(rows))
	targetX := make(map[int][]float32, len(targets))
	p := make([]float64, numClasses)
	r := 0
	for m := range k.M {
		need := isTarget[m] || (r < len(rows) && rows[r].m == m)
		if !need {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("shadow classifier: stopped before model %d: %w", m, err)
		}
		z, err := logits(m)
		if err != nil {
			return nil, fmt.Errorf("shadow classifier: logits of model %d: %w", m, err)
		}
		if len(z) != k.N*numClasses {
			return nil, fmt.Errorf("%w: shadow classifier: model %d has %d logits, want N·C = %d·%d = %d",
				ErrShape, m, len(z), k.N, numClasses, k.N*numClasses)
		}
		if isTarget[m] {
			tf, err := ShadowFeatures(z, labels, numClasses, cfg.TopK)
			if err != nil {
				return nil, fmt.Errorf("shadow classifier: model %d: %w", m, err)
			}
			targetX[m] = tf
		}
		for ; r < len(rows) && rows[r].m == m; r++ {
			n := rows[r].n
			if err := shadowRow(x[r*f:(r+1)*f], z[n*numClasses:(n+1)*numClasses], labels[n], p); err != nil {
				return nil, fmt.Errorf("shadow classifier: model %d, example %d: %w", m, n, err)
			}
			if rows[r].in {
				y[r] = 1
			}
		}
	}

	out := make([]TargetScores, 0, len(targets))
	var fixed *trainer.Model
	for _, t := range targets {
		att := fixed
		if att == nil {
			tx, ty := x, y
			if cfg.Shadows == nil { // leave-one-out: drop the target's rows
				tx, ty = withoutModel(rows, x, y, f, t)
			}
			att, err = trainShadowAttack(ctx, tx, ty, f, cfg)
			if err != nil {
				return nil, fmt.Errorf("shadow classifier, attack model for target %d: %w", t, err)
			}
			if cfg.Shadows != nil {
				fixed = att
			}
		}
		s, err := attackProbIn(ctx, att, targetX[t], f)
		if err != nil {
			return nil, fmt.Errorf("shadow classifier, target %d: %w", t, err)
		}
		out = append(out, TargetScores{Target: t, Scores: s})
	}
	return out, nil
}

// ShadowClassifier runs ShadowClassifierScores and evaluates every target
// against its keep row.
func ShadowClassifier(ctx context.Context, logits LogitSource, k *Keep, labels []int, numClasses int, targets []int, cfg ShadowClassifierConfig, opts MetricOptions) ([]TargetScores, Aggregate, []ROC, error) {
	res, err := ShadowClassifierScores(ctx, logits, k, labels, numClasses, targets, cfg)
	if err != nil {
		return nil, Aggregate{}, nil, err
	}
	agg, rocs, err := Evaluate(cfg.Name(), res, k, opts)
	if err != nil {
		return nil, Aggregate{}, nil, err
	}
	return res, agg, rocs, nil
}

// sampleShadowRows draws up to perClass IN and perClass OUT (model,
// example) pairs without replacement from the models in pool, uniformly
// within each class, and returns them sorted by (model, example). Ranks are
// drawn with Floyd's algorithm, so memory is O(rows), not O(M·N).
func sampleShadowRows(k *Keep, pool []bool, perClass int, seed uint64) ([]shadowRowRef, error) {
	var nIn, nOut int
	for m, ok := range pool {
		if !ok {
			continue
		}
		for _, in := range k.Row(m) {
			if in {
				nIn++
			} else {
				nOut++
			}
		}
	}
	if nIn == 0 || nOut == 0 {
		return nil, fmt.Errorf("%w: shadow classifier: the shadow models have %d IN and %d OUT examples; the attack model needs both", ErrEmptyClass, nIn, nOut)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5ad0c1f))
	pickIn := floydSample(rng, nIn, min(perClass, nIn))
	pickOut := floydSample(rng, nOut, min(perClass, nOut))
	rows := make([]shadowRowRef, 0, len(pickIn)+len(pickOut))
	var rIn, rOut int // ranks within each class
	for m, ok := range pool {
		if !ok {
			continue
		}
		for n, in := range k.Row(m) {
			if in {
				if pickIn[rIn] {
					rows = append(rows, shadowRowRef{m: m, n: n, in: true})
				}
				rIn++
			} else {
				if pickOut[rOut] {
					rows = append(rows, shadowRowRef{m: m, n: n})
				}
				rOut++
			}
		}
	}
	return rows, nil
}

// floydSample marks k distinct values of [0, n) chosen uniformly (Floyd's
// algorithm: k draws, no rejection).
func floydSample(rng *rand.Rand, n, k int) map[int]bool {
	set := make(map[int]bool, k)
	for j := n - k; j < n; j++ {
		t := rng.IntN(j + 1)
		if set[t] {
			set[j] = true
		} else {
			set[t] = true
		}
	}
	return set
}

// withoutModel returns the feature rows and labels not taken from model t.
func withoutModel(rows []shadowRowRef, x []float32, y []int, f, t int) ([]float32, []int) {
	tx := make([]float32, 0, len(x))
	ty := make([]int, 0, len(y))
	for r, ref := range rows {
		if ref.m != t {
			tx = append(tx, x[r*f:(r+1)*f]...)
			ty = append(ty, y[r])
		}
	}
	return tx, ty
}

// trainShadowAttack trains the attack MLP (2 outputs: OUT, IN) on x (rows ×
// f) and labels y.
func trainShadowAttack(ctx context.Context, x []float32, y []int, f int, cfg ShadowClassifierConfig) (*trainer.Model, error) {
	var nIn int
	for _, v := range y {
		nIn += v
	}
	if nIn == 0 || nIn == len(y) {
		return nil, fmt.Errorf("%w: %d IN and %d OUT training rows; the attack model needs both", ErrEmptyClass, nIn, len(y)-nIn)
	}
	arch := trainer.ArchConfig{Name: trainer.ArchMLP, Hidden: cfg.Hidden}
	m, err := trainer.NewModel(arch, []int{f}, 2, cfg.Seed, cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	data := &datasets.Dataset{Name: "shadow-attack-features", Shape: []int{f}, X: x, Y: y, Classes: 2}
	recipe := trainer.Recipe{
		Epochs: cfg.Epochs, BatchSize: cfg.BatchSize,
		Optimizer: trainer.OptimizerConfig{Kind: trainer.Adam, LR: cfg.LR},
		Schedule:  trainer.Schedule{Kind: trainer.Constant},
	}
	if _, err := trainer.Train(ctx, m, data, recipe, trainer.TrainOptions{}); err != nil {
		return nil, err
	}
	return m, nil
}

// attackProbIn returns the attack model's P(IN) for each feature row.
func attackProbIn(ctx context.Context, att *trainer.Model, x []float32, f int) ([]float64, error) {
	n := len(x) / f
	data := &datasets.Dataset{Name: "shadow-attack-features", Shape: []int{f}, X: x, Y: make([]int, n), Classes: 2}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	z, err := trainer.Logits(ctx, att, data, idx, nil)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		p, err := TrueClassProb(z[2*i:2*i+2], 1)
		if err != nil {
			return nil, fmt.Errorf("example %d: %w", i, err)
		}
		out[i] = p
	}
	return out, nil
}
