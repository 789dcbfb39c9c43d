package report

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/spec"
)

// SchemaVersion is the version of the report.json layout written by this
// package; ReadJSON accepts only this version.
const SchemaVersion = 1

// ErrInput marks an Input (or a decoded Report) that cannot make a report:
// missing spec, unknown attack label, non-finite number, mismatched shapes.
var ErrInput = errors.New("report: invalid input")

// Input is everything Build needs. Spec must be resolved (spec.Parse and
// spec.Load resolve it).
type Input struct {
	// Spec is the experiment's spec: name, hash, dataset, model, training,
	// targets, attack order and FPR list come from it.
	Spec *spec.Spec
	// DatasetFingerprint is the content fingerprint of the dataset (package
	// datasets); may be empty when unknown.
	DatasetFingerprint string
	// Trained and Reused count the models trained by this run and those
	// found already trained; Trained+Reused ≤ spec.shadows.count.
	Trained, Reused int
	// Timing holds the measured durations.
	Timing Timing
	// Attacks are the attack results; each Label must be one of the spec's
	// attack labels (at most once). The report lists them in spec order.
	Attacks []AttackResult
	// UmbraVersion is the version of the binary that ran the experiment
	// ("" is written as "unknown").
	UmbraVersion string
}

// Timing is the measured time of an experiment, in seconds.
type Timing struct {
	// WallSeconds is the experiment's wall-clock time, start to report.
	WallSeconds float64
	// TrainSeconds is the sum over freshly trained models of their
	// training time (models train in parallel, so it may exceed WallSeconds).
	TrainSeconds float64
	// TrainWorkers is the number of models that trained concurrently
	// (0 means 1).
	TrainWorkers int
	// AttackSeconds is the wall-clock time of the attack (fan-in) phase.
	AttackSeconds float64
}

// AttackResult is one attack's evaluation, as returned by attacks.Evaluate:
// PerTarget is Aggregate.PerTarget and ROCs the curves, in the same order.
type AttackResult struct {
	// Label is the spec's attacks[i].label (the name, unless relabelled).
	Label string
	// PerTarget holds each target's metrics; their tpr_at_fpr keys must be
	// exactly attacks.FPRKey of the spec's metrics.fpr.
	PerTarget []attacks.TargetMetrics
	// ROCs are the exact ROC curves, one per PerTarget entry; nil when not
	// available (the report then has no curves for this attack).
	ROCs []attacks.ROC
	// Scores optionally carries one target's per-example scores for the
	// member / non-member histogram.
	Scores *ScoreSample
}

// ScoreSample is one target's per-example attack scores and ground truth.
type ScoreSample struct {
	Target int
	// Scores has one score per example; NaN marks an excluded example.
	Scores []float64
	// Member is the target's keep row (true: trained on the example).
	Member []bool
}

// Report is the content of report.json (see the package documentation for
// the schema). Build makes one; ReadJSON decodes one.
type Report struct {
	Version            int          `json:"version"`
	UmbraVersion       string       `json:"umbra_version"`
	Experiment         string       `json:"experiment"`
	Description        string       `json:"description"`
	SpecHash           string       `json:"spec_hash"`
	Targets            []int        `json:"targets"`
	Models             Models       `json:"models"`
	Dataset            Dataset      `json:"dataset"`
	Model              spec.Model   `json:"model"`
	Training           spec.Train   `json:"training"`
	QueryAugmentations []string     `json:"query_augmentations"`
	Attacks            []Attack     `json:"attacks"`
	Timing             TimingReport `json:"timing"`
}

// Models counts the experiment's models.
type Models struct {
	Count   int `json:"count"`
	Trained int `json:"trained"`
	Reused  int `json:"reused"`
}

// Dataset describes the data the models were trained on.
type Dataset struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	Universe    int    `json:"universe"`
	Population  int    `json:"population"`
}

// TimingReport is the timing section of report.json.
type TimingReport struct {
	WallSeconds   float64 `json:"wall_seconds"`
	TrainSeconds  float64 `json:"train_seconds"`
	TrainWorkers  int     `json:"train_workers"`
	AttackSeconds float64 `json:"attack_seconds"`
	// OrchestrationOverhead is the fraction of the wall time not explained
	// by ideal-parallel training and the attack phase:
	// clamp((wall − train/workers − attack)/wall, 0, 1); null when the wall
	// time is 0 (unknown).
	OrchestrationOverhead *float64 `json:"orchestration_overhead"`
}

// MeanStd is a mean ± sample standard deviation (ddof = 1) over targets.
// Std is null (nil) when there are fewer than two targets: the sample
// standard deviation of one value is undefined, and null keeps that
// distinguishable from a true zero spread.
type MeanStd struct {
	Mean float64  `json:"mean"`
	Std  *float64 `json:"std"`
}

// Attack is one attack's entry in report.json.
type Attack struct {
	// Name is the spec's attack label (the attack name unless relabelled).
	Name string `json:"name"`
	// Method is the spec's attack name (lira-online, rmia, loss, …).
	Method           string             `json:"method"`
	AUC              MeanStd            `json:"auc"`
	TPRAtFPR         map[string]MeanStd `json:"tpr_at_fpr"`
	BalancedAccuracy MeanStd            `json:"balanced_accuracy"`
	Advantage        MeanStd            `json:"advantage"`
	// Excluded is the number of (target, example) pairs the attack did not
	// score, summed over targets (per_target has each target's count).
	Excluded  int            `json:"excluded"`
	PerTarget []TargetResult `json:"per_target"`
	// ScoreHistogram is present only when the input carried scores.
	ScoreHistogram *ScoreHistogram `json:"score_histogram,omitempty"`
}

// TargetResult is one target's metrics (attacks.TargetMetrics: target,
// auc, tpr_at_fpr, balanced_accuracy, advantage, members, non_members,
// excluded) plus its thinned ROC curve.
type TargetResult struct {
	attacks.TargetMetrics
	// ROC is present only when the input carried the attack's ROC curves.
	ROC *Curve `json:"roc,omitempty"`
}

// Curve is a thinned ROC curve as two parallel arrays, FPR and TPR
// non-decreasing, from (0,0) to (1,1); see ThinROC.
type Curve struct {
	FPR []float64 `json:"fpr"`
	TPR []float64 `json:"tpr"`
}

// ScoreHistogram counts one target's scores of members and non-members in
// equal-width bins: Edges has one more entry than Members and NonMembers.
// Excluded (NaN) scores are not counted.
type ScoreHistogram struct {
	Target     int       `json:"target"`
	Edges      []float64 `json:"edges"`
	Members    []int     `json:"members"`
	NonMembers []int     `json:"non_members"`
}

// Thinning and histogram parameters.
const (
	exactBelowFPR   = 1e-3 // ROC points at FPR ≤ this are all kept
	pointsPerDecade = 25   // above it, bins per decade of FPR (attacks.ROC.Downsample)
	histogramBins   = 40
)

// Build assembles a Report from the input, checking it: every attack label
// must be in the spec, every per-target metric finite and keyed by exactly
// the spec's FPR list, ROC curves (when given) one per target with matching
// class sizes, timings finite and non-negative. Mean and standard deviation
// over targets come from attacks.AggregateTargets.
func Build(in Input) (*Report, error) {
	s := in.Spec
	if s == nil {
		return nil, fmt.Errorf("%w: spec is nil", ErrInput)
	}
	if in.Trained < 0 || in.Reused < 0 || in.Trained+in.Reused > s.Shadows.Count {
		return nil, fmt.Errorf("%w: models: trained=%d reused=%d: each must be ≥ 0 and their sum ≤ shadows.count=%d",
			ErrInput, in.Trained, in.Reused, s.Shadows.Count)
	}
	timing, err := buildTiming(in.Timing)
	if err != nil {
		return nil, err
	}
	r := &Report{
		Version:      SchemaVersion,
		UmbraVersion: in.UmbraVersion,
		Experiment:   s.Name,
		Description:  s.Description,
		SpecHash:     s.Hash(),
		Targets:      make([]int, s.Eval.Targets),
		Models:       Models{Count: s.Shadows.Count, Trained: in.Trained, Reused: in.Reused},
		Dataset: Dataset{Name: s.Dataset.Name, Fingerprint: in.DatasetFingerprint,
			Universe: s.Dataset.Universe, Population: s.Dataset.Population},
		Model:              s.Model,
		Training:           s.Train,
		QueryAugmentations: make([]string, len(s.Eval.Augmentations)),
		Attacks:            []Attack{},
		Timing:             timing,
	}
	if r.UmbraVersion == "" {
		r.UmbraVersion = "unknown"
	}
	for i := range r.Targets {
		r.Targets[i] = i
	}
	for i, a := range s.Eval.Augmentations {
		r.QueryAugmentations[i] = a.String()
	}
	wantKeys := make([]string, len(s.Metrics.FPR))
	for i, f := range s.Metrics.FPR {
		wantKeys[i] = attacks.FPRKey(f)
	}
	slices.Sort(wantKeys)

	byLabel := make(map[string]int, len(in.Attacks))
	for i, a := range in.Attacks {
		if j, dup := byLabel[a.Label]; dup {
			return nil, fmt.Errorf("%w: attacks[%d] and attacks[%d] both have label %q", ErrInput, j, i, a.Label)
		}
		byLabel[a.Label] = i
	}
	known := make(map[string]bool, len(s.Attacks))
	for _, sa := range s.Attacks { // spec order is report order
		label := sa.Label
		if label == "" {
			label = sa.Name
		}
		known[label] = true
		i, ok := byLabel[label]
		if !ok {
			continue
		}
		a, err := buildAttack(in.Attacks[i], sa.Name, wantKeys, s.Shadows.Count)
		if err != nil {
			return nil, fmt.Errorf("attacks[%d] (%q): %w", i, label, err)
		}
		r.Attacks = append(r.Attacks, a)
	}
	for i, a := range in.Attacks {
		if !known[a.Label] {
			return nil, fmt.Errorf("%w: attacks[%d]: label %q is not an attack of the spec", ErrInput, i, a.Label)
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

func buildTiming(t Timing) (TimingReport, error) {
	for _, f := range []struct {
		name string
		v    float64
	}{{"wall_seconds", t.WallSeconds}, {"train_seconds", t.TrainSeconds}, {"attack_seconds", t.AttackSeconds}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return TimingReport{}, fmt.Errorf("%w: timing.%s = %v: must be finite and ≥ 0", ErrInput, f.name, f.v)
		}
	}
	if t.TrainWorkers < 0 {
		return TimingReport{}, fmt.Errorf("%w: timing.train_workers = %d: must be ≥ 0", ErrInput, t.TrainWorkers)
	}
	workers := max(t.TrainWorkers, 1)
	out := TimingReport{WallSeconds: t.WallSeconds, TrainSeconds: t.TrainSeconds,
		TrainWorkers: workers, AttackSeconds: t.AttackSeconds}
	if t.WallSeconds > 0 {
		busy := t.TrainSeconds/float64(workers) + t.AttackSeconds
		o := min(max((t.WallSeconds-busy)/t.WallSeconds, 0), 1)
		out.OrchestrationOverhead = &o
	}
	return out, nil
}

func buildAttack(in AttackResult, method string, wantKeys []string, models int) (Attack, error) {
	if len(in.PerTarget) == 0 {
		return Attack{}, fmt.Errorf("%w: per_target is empty", ErrInput)
	}
	if in.ROCs != nil && len(in.ROCs) != len(in.PerTarget) {
		return Attack{}, fmt.Errorf("%w: %d ROC curves for %d targets", ErrInput, len(in.ROCs), len(in.PerTarget))
	}
	seen := make(map[int]bool, len(in.PerTarget))
	out := Attack{Name: in.Label, Method: method, PerTarget: make([]TargetResult, len(in.PerTarget))}
	for i, pt := range in.PerTarget {
		path := fmt.Sprintf("per_target[%d] (target %d)", i, pt.Target)
		if pt.Target < 0 || pt.Target >= models {
			return Attack{}, fmt.Errorf("%w: %s: target is not a model index in [0,%d)", ErrInput, path, models)
		}
		if seen[pt.Target] {
			return Attack{}, fmt.Errorf("%w: %s: target listed twice", ErrInput, path)
		}
		seen[pt.Target] = true
		keys := make([]string, 0, len(pt.TPRAtFPR))
		for k := range pt.TPRAtFPR {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			return Attack{}, fmt.Errorf("%w: %s.tpr_at_fpr has keys %q, want %q (metrics.fpr)", ErrInput, path, keys, wantKeys)
		}
		if pt.Members < 0 || pt.NonMembers < 0 || pt.Excluded < 0 {
			return Attack{}, fmt.Errorf("%w: %s: members=%d non_members=%d excluded=%d must be ≥ 0",
				ErrInput, path, pt.Members, pt.NonMembers, pt.Excluded)
		}
		tr := TargetResult{TargetMetrics: pt}
		tr.TPRAtFPR = maps.Clone(pt.TPRAtFPR) // do not alias the caller's map
		if in.ROCs != nil {
			roc := in.ROCs[i]
			if roc.Positives != pt.Members || roc.Negatives != pt.NonMembers {
				return Attack{}, fmt.Errorf("%w: %s: ROC has %d positives and %d negatives, metrics say %d members and %d non-members",
					ErrInput, path, roc.Positives, roc.Negatives, pt.Members, pt.NonMembers)
			}
			c, err := ThinROC(roc)
			if err != nil {
				return Attack{}, fmt.Errorf("%s.roc: %w", path, err)
			}
			tr.ROC = &c
		}
		out.PerTarget[i] = tr
		out.Excluded += pt.Excluded
	}
	if err := checkMetricsFinite(in.PerTarget); err != nil {
		return Attack{}, err
	}
	agg, err := attacks.AggregateTargets(in.PerTarget)
	if err != nil {
		return Attack{}, fmt.Errorf("%w: %w", ErrInput, err)
	}
	n := len(in.PerTarget)
	out.AUC = meanStd(agg.AUC, n)
	out.BalancedAccuracy = meanStd(agg.BalancedAccuracy, n)
	out.Advantage = meanStd(agg.Advantage, n)
	out.TPRAtFPR = make(map[string]MeanStd, len(agg.TPRAtFPR))
	for k, v := range agg.TPRAtFPR {
		out.TPRAtFPR[k] = meanStd(v, n)
	}
	if in.Scores != nil {
		h, err := Histogram(*in.Scores, histogramBins)
		if err != nil {
			return Attack{}, fmt.Errorf("scores: %w", err)
		}
		out.ScoreHistogram = &h
	}
	return out, nil
}

func checkMetricsFinite(per []attacks.TargetMetrics) error {
	for i, pt := range per {
		path := fmt.Sprintf("per_target[%d] (target %d)", i, pt.Target)
		if err := checkUnit(path+".auc", pt.AUC); err != nil {
			return err
		}
		if err := checkUnit(path+".balanced_accuracy", pt.BalancedAccuracy); err != nil {
			return err
		}
		if err := checkUnit(path+".advantage", pt.Advantage); err != nil {
			return err
		}
		for k, v := range pt.TPRAtFPR {
			if err := checkUnit(path+".tpr_at_fpr."+strconv.Quote(k), v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkUnit rejects values outside [0, 1], NaN included.
func checkUnit(path string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("%w: %s = %v: must be in [0,1]", ErrInput, path, v)
	}
	return nil
}

func meanStd(m attacks.MeanStd, n int) MeanStd {
	out := MeanStd{Mean: m.Mean}
	if n >= 2 {
		s := m.Std
		out.Std = &s
	}
	return out
}

// Validate checks that every number in the report is finite (so the JSON
// encodes) and that the sections are consistent: schema version, metrics
// in [0,1], tpr_at_fpr keys equal across an attack's targets, curves and
// histograms well formed. Errors name the field path.
func (r *Report) Validate() error {
	if r.Version != SchemaVersion {
		return fmt.Errorf("%w: version = %d, want %d", ErrInput, r.Version, SchemaVersion)
	}
	t := r.Timing
	for _, f := range []struct {
		name string
		v    float64
	}{{"wall_seconds", t.WallSeconds}, {"train_seconds", t.TrainSeconds}, {"attack_seconds", t.AttackSeconds}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%w: timing.%s = %v: must be finite and ≥ 0", ErrInput, f.name, f.v)
		}
	}
	if o := t.OrchestrationOverhead; o != nil {
		if err := checkUnit("timing.orchestration_overhead", *o); err != nil {
			return err
		}
	}
	for i, a := range r.Attacks {
		path := fmt.Sprintf("attacks[%d] (%q)", i, a.Name)
		if err := a.validate(path); err != nil {
			return err
		}
	}
	return nil
}

func (a *Attack) validate(path string) error {
	ms := []struct {
		name string
		v    MeanStd
	}{{"auc", a.AUC}, {"balanced_accuracy", a.BalancedAccuracy}, {"advantage", a.Advantage}}
	for k, v := range a.TPRAtFPR {
		ms = append(ms, struct {
			name string
			v    MeanStd
		}{"tpr_at_fpr." + strconv.Quote(k), v})
	}
	for _, m := range ms {
		if err := checkUnit(path+"."+m.name+".mean", m.v.Mean); err != nil {
			return err
		}
		if m.v.Std != nil && (!(*m.v.Std >= 0) || math.IsInf(*m.v.Std, 0)) {
			return fmt.Errorf("%w: %s.%s.std = %v: must be finite and ≥ 0", ErrInput, path, m.name, *m.v.Std)
		}
	}
	per := make([]attacks.TargetMetrics, len(a.PerTarget))
	for i, pt := range a.PerTarget {
		per[i] = pt.TargetMetrics
		if len(pt.TPRAtFPR) != len(a.TPRAtFPR) {
			return fmt.Errorf("%w: %s.per_target[%d]: %d tpr_at_fpr entries, the attack has %d", ErrInput, path, i, len(pt.TPRAtFPR), len(a.TPRAtFPR))
		}
		for k := range a.TPRAtFPR {
			if _, ok := pt.TPRAtFPR[k]; !ok {
				return fmt.Errorf("%w: %s.per_target[%d].tpr_at_fpr lacks %q", ErrInput, path, i, k)
			}
		}
		if pt.ROC != nil {
			if err := pt.ROC.validate(); err != nil {
				return fmt.Errorf("%s.per_target[%d].roc: %w", path, i, err)
			}
		}
	}
	if err := checkMetricsFinite(per); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if h := a.ScoreHistogram; h != nil {
		if err := h.validate(); err != nil {
			return fmt.Errorf("%s.score_histogram: %w", path, err)
		}
	}
	return nil
}

func (c *Curve) validate() error {
	if len(c.FPR) != len(c.TPR) || len(c.FPR) < 2 {
		return fmt.Errorf("%w: %d fpr and %d tpr values; need equal lengths ≥ 2", ErrInput, len(c.FPR), len(c.TPR))
	}
	for i := range c.FPR {
		if !(c.FPR[i] >= 0 && c.FPR[i] <= 1 && c.TPR[i] >= 0 && c.TPR[i] <= 1) {
			return fmt.Errorf("%w: point %d = (%v, %v) is outside [0,1]²", ErrInput, i, c.FPR[i], c.TPR[i])
		}
		if i > 0 && (c.FPR[i] < c.FPR[i-1] || c.TPR[i] < c.TPR[i-1]) {
			return fmt.Errorf("%w: point %d = (%v, %v) decreases from point %d = (%v, %v)",
				ErrInput, i, c.FPR[i], c.TPR[i], i-1, c.FPR[i-1], c.TPR[i-1])
		}
	}
	return nil
}

func (h *ScoreHistogram) validate() error {
	nb := len(h.Members)
	if nb == 0 || len(h.NonMembers) != nb || len(h.Edges) != nb+1 {
		return fmt.Errorf("%w: %d edges, %d member and %d non-member counts; need n+1, n, n with n ≥ 1",
			ErrInput, len(h.Edges), len(h.Members), len(h.NonMembers))
	}
	for i, e := range h.Edges {
		if math.IsNaN(e) || math.IsInf(e, 0) || (i > 0 && e <= h.Edges[i-1]) {
			return fmt.Errorf("%w: edges[%d] = %v: edges must be finite and increasing", ErrInput, i, e)
		}
	}
	for i := range nb {
		if h.Members[i] < 0 || h.NonMembers[i] < 0 {
			return fmt.Errorf("%w: bin %d has a negative count", ErrInput, i)
		}
	}
	return nil
}
