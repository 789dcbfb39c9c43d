package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/artifacts/npy"
	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/spec"
)

// attackSummaryName is the experiment-level file listing every attack's
// score file and metrics.
const attackSummaryName = "attacks.json"

// AttackSummary is what the Attack activity stores as attacks.json.
type AttackSummary struct {
	SpecHash string `json:"spec_hash"`
	// Models, Examples, Universe, Augmentations give the score array shape.
	Models, Examples, Universe, Augmentations int
	Targets                                   []int `json:"targets"`
	// Attacks are in spec order.
	Attacks []AttackEntry `json:"attacks"`
}

// AttackEntry is one attack's outputs.
type AttackEntry struct {
	Label string `json:"label"`
	Name  string `json:"name"`
	// ScoresKey holds float64 targets × examples scores (NaN: excluded
	// from that target's evaluation).
	ScoresKey string            `json:"scores_key"`
	Aggregate attacks.Aggregate `json:"aggregate"`
	Seconds   float64           `json:"seconds"`
}

// scoreSet is the experiment's score array and membership.
type scoreSet struct {
	scores   *attacks.Scores
	keep     *attacks.Keep
	universe int
	labels   []int
}

// loadScores reads every model's scores.npy into one models × examples ×
// augmentations array, with the experiment's keep matrix and labels.
func loadScores(ctx context.Context, st artifacts.Store, s *spec.Spec, keys func(int) string, prefix string) (*scoreSet, error) {
	m, u := s.Shadows.Count, s.Dataset.Universe
	n := u + s.Dataset.Population
	na := max(len(s.Eval.Augmentations), 1)
	sc, err := attacks.NewScores(m, n, na)
	if err != nil {
		return nil, err
	}
	for i := range m {
		key := artifacts.ScoresKey(keys(i))
		rc, _, err := st.Get(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("model %d scores: %w", i, err)
		}
		vals, shape, err := npy.ReadFloat32(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("model %d scores %s: %w", i, key, err)
		}
		if len(shape) != 2 || shape[0] != n || shape[1] != na {
			return nil, fmt.Errorf("model %d scores %s: shape %v, want [%d %d]", i, key, shape, n, na)
		}
		copy(sc.Model(i), vals)
	}
	keepFlat, err := readBoolNPY(ctx, st, prefix+"keep.npy", m, n)
	if err != nil {
		return nil, err
	}
	keep := &attacks.Keep{M: m, N: n, In: keepFlat}
	rc, _, err := st.Get(ctx, prefix+"labels.npy")
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer rc.Close()
	lab, _, err := npy.ReadInt64(rc)
	if err != nil {
		return nil, fmt.Errorf("labels.npy: %w", err)
	}
	labels := make([]int, len(lab))
	for i, v := range lab {
		labels[i] = int(v)
	}
	return &scoreSet{scores: sc, keep: keep, universe: u, labels: labels}, nil
}

// readBoolNPY reads a bool m × n array.
func readBoolNPY(ctx context.Context, st artifacts.Store, key string, m, n int) ([]bool, error) {
	rc, _, err := st.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	defer rc.Close()
	v, shape, err := npy.ReadBool(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if len(shape) != 2 || shape[0] != m || shape[1] != n {
		return nil, fmt.Errorf("%s: shape %v, want [%d %d]", key, shape, m, n)
	}
	return v, nil
}

// modelKeys returns a function giving model i's key.
func modelKeys(k api.ModelKeys) func(int) string {
	return func(i int) string {
		if k.Recipe != nil {
			return modelKey(*k.Recipe, i)
		}
		return k.Key(i)
	}
}

// targets returns the leave-one-out targets: models 0 … k−1.
func targets(s *spec.Spec) []int {
	t := make([]int, s.Eval.Targets)
	for i := range t {
		t[i] = i
	}
	return t
}

// population returns the population example indices.
func (ss *scoreSet) population() []int {
	p := make([]int, ss.scores.N-ss.universe)
	for i := range p {
		p[i] = ss.universe + i
	}
	return p
}

// Attack runs every attack of the spec over the stored score arrays, with
// leave-one-out over the spec's targets, and stores each attack's
// per-target scores (float64 .npy) and attacks.json.
func (a *Activities) Attack(ctx context.Context, in api.AttackInput) (api.AttackOutput, error) {
	met := a.metrics(ctx)
	s, err := parseSpec(in.Spec)
	if err != nil {
		return api.AttackOutput{}, err
	}
	st, err := a.store(ctx, in.StoreURL)
	if err != nil {
		return api.AttackOutput{}, err
	}
	ss, err := loadScores(ctx, st, s, modelKeys(in.Models), in.ExperimentPrefix)
	if err != nil {
		return api.AttackOutput{}, err
	}
	tg := targets(s)
	summary := AttackSummary{SpecHash: s.Hash(), Models: ss.scores.M, Examples: ss.scores.N, Universe: ss.universe,
		Augmentations: ss.scores.A, Targets: tg}
	out := api.AttackOutput{Metrics: map[string]float64{}}
	mopts := attacks.MetricOptions{FPRs: s.Metrics.FPR}
	for _, atk := range s.Attacks {
		t0 := time.Now()
		results, err := a.runAttack(ctx, st, s, atk, ss, tg, in)
		if err != nil {
			return api.AttackOutput{}, attackError(atk, s, err)
		}
		// Population examples are never members of any model; attacks
		// that score them anyway leave them out of the evaluation.
		results = excludePopulation(results, ss)
		agg, _, err := attacks.Evaluate(atk.Label, results, ss.keep, mopts)
		if err != nil {
			return api.AttackOutput{}, attackError(atk, s, err)
		}
		secs := time.Since(t0).Seconds()
		met.ObserveAttack(atk.Label, time.Since(t0))
		key := in.ExperimentPrefix + "attacks/" + atk.Label + ".npy"
		if err := putTargetScores(ctx, st, key, results, ss.scores.N); err != nil {
			return api.AttackOutput{}, err
		}
		summary.Attacks = append(summary.Attacks, AttackEntry{Label: atk.Label, Name: atk.Name, ScoresKey: key, Aggregate: agg, Seconds: secs})
		out.Metrics[atk.Label+".auc"] = agg.AUC.Mean
		a.logger(ctx).Info("attack done", "attack", atk.Label, "auc", fmt.Sprintf("%.4f", agg.AUC.Mean), "seconds", fmt.Sprintf("%.2f", secs))
	}
	body, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return api.AttackOutput{}, fmt.Errorf("attacks.json: %w", err)
	}
	out.SummaryKey = in.ExperimentPrefix + attackSummaryName
	if _, err := artifacts.PutStream(ctx, st, out.SummaryKey, int64(len(body)), artifacts.PutOptions{}, func(w io.Writer) error {
		_, err := w.Write(body)
		return err
	}); err != nil {
		return api.AttackOutput{}, fmt.Errorf("store attacks.json: %w", err)
	}
	return out, nil
}

// runAttack computes one attack's per-target scores.
func (a *Activities) runAttack(ctx context.Context, st artifacts.Store, s *spec.Spec, atk spec.Attack, ss *scoreSet, tg []int, in api.AttackInput) ([]attacks.TargetScores, error) {
	switch {
	case spec.IsLiRA(atk.Name):
		return attacks.LiRALeaveOneOut(ss.scores, ss.keep, tg, liraConfig(atk))
	case atk.Name == spec.AttackRMIA:
		return attacks.RMIALeaveOneOut(ss.scores, ss.keep, tg, ss.population(), rmiaConfig(atk, uint64(s.Shadows.MaskSeed)))
	case atk.Name == spec.AttackLoss:
		return attacks.BaselineScores(ss.scores, tg, attacks.BaselineLoss)
	case atk.Name == spec.AttackConfidence:
		return attacks.BaselineScores(ss.scores, tg, attacks.BaselineConfidence)
	}
	return a.runModelAttack(ctx, st, s, atk, ss, tg, in)
}

// excludePopulation adds the population examples to every target's
// exclusions (they are nobody's members: scoring them would inflate the
// non-member class with examples the attack used as references).
func excludePopulation(results []attacks.TargetScores, ss *scoreSet) []attacks.TargetScores {
	for i := range results {
		ex := map[int]bool{}
		for _, e := range results[i].Excluded {
			ex[e] = true
		}
		for n := ss.universe; n < ss.scores.N; n++ {
			if !ex[n] {
				results[i].Excluded = append(results[i].Excluded, n)
			}
			results[i].Scores[n] = math.NaN()
		}
	}
	return results
}

// putTargetScores stores targets × examples float64 scores.
func putTargetScores(ctx context.Context, st artifacts.Store, key string, results []attacks.TargetScores, n int) error {
	flat := make([]float64, 0, len(results)*n)
	for _, r := range results {
		flat = append(flat, r.Scores...)
	}
	_, err := artifacts.PutStream(ctx, st, key, -1, artifacts.PutOptions{}, func(w io.Writer) error {
		return npy.WriteFloat64(w, []int{len(results), n}, flat)
	})
	if err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}

// attackError reports an attack that cannot be computed. Errors of the
// attack computations themselves (shapes, empty classes, non-finite scores)
// are deterministic, so they are non-retryable, with a hint when too few
// shadow models are the likely cause; store and context errors stay
// retryable.
func attackError(atk spec.Attack, s *spec.Spec, err error) error {
	err = fmt.Errorf("attack %s: %w", atk.Label, err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var attackErr bool
	for _, e := range []error{attacks.ErrEmptyClass, attacks.ErrShape, attacks.ErrNonFinite, attacks.ErrConfig} {
		attackErr = attackErr || errors.Is(err, e)
	}
	if !attackErr {
		return err
	}
	msg := err.Error()
	if errors.Is(err, attacks.ErrEmptyClass) {
		msg += fmt.Sprintf(" (with %d models each example has about %d IN and %d OUT shadows per target, "+
			"so examples below the attack's min_in/min_out are excluded; use more shadows, lower min_in/min_out, "+
			"or a fixed-variance LiRA variant; trained models are reused on the next run)",
			s.Shadows.Count, int(float64(s.Shadows.Count-1)*s.Shadows.Keep), int(float64(s.Shadows.Count-1)*(1-s.Shadows.Keep)))
	}
	return temporal.NewNonRetryableApplicationError(msg, api.ErrTypeAttack, err)
}
