package activities

import (
	"context"
	"fmt"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/artifacts/npy"
	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/spec"
	"github.com/umbra-ml/umbra/trainer"
)

// runModelAttack runs the attacks that need more than φ scores: the
// adversarial-example attack (white-box: the target's weights and the
// dataset) and the shadow attack classifier (every model's logits).
func (a *Activities) runModelAttack(ctx context.Context, st artifacts.Store, s *spec.Spec, atk spec.Attack, ss *scoreSet, tg []int, in api.AttackInput) ([]attacks.TargetScores, error) {
	keys := modelKeys(in.Models)
	switch atk.Name {
	case spec.AttackAdversarial:
		exp, err := a.experimentDataOf(ctx, s)
		if err != nil {
			return nil, datasetError(err)
		}
		cfg := attacks.AdversarialConfig{RandomStart: true, Seed: uint64(s.Shadows.MaskSeed), Unbounded: !spec.IsImageDataset(s.Dataset.Name)}
		if p := atk.Adversarial; p != nil {
			cfg.Epsilon, cfg.Steps, cfg.StepSize = float32(p.Eps), p.Steps, float32(p.StepSize)
		}
		idx := make([]int, ss.universe)
		for i := range idx {
			idx[i] = i
		}
		out := make([]attacks.TargetScores, 0, len(tg))
		for _, t := range tg {
			m, err := a.loadModel(ctx, st, s, exp, keys(t), t)
			if err != nil {
				return nil, err
			}
			ts, _, _, err := attacks.AdversarialTarget(ctx, m, t, exp.Data, idx, ss.keep.Row(t), cfg, attacks.MetricOptions{FPRs: s.Metrics.FPR})
			if err != nil {
				return nil, fmt.Errorf("target %d: %w", t, err)
			}
			out = append(out, ts)
		}
		return out, nil
	case spec.AttackShadowClassifier:
		aug := identityAug(s.Eval)
		na := max(len(s.Eval.Augmentations), 1)
		var classes int
		src := func(model int) ([]float32, error) {
			key := artifacts.ModelPrefix(keys(model)) + logitsName
			rc, _, err := st.Get(ctx, key)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			v, shape, err := npy.ReadFloat32(rc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			if len(shape) != 3 || shape[0] != ss.scores.N || shape[1] != na || shape[2] != classes {
				return nil, fmt.Errorf("%s: shape %v, want [%d %d %d]", key, shape, ss.scores.N, na, classes)
			}
			n, c := shape[0], shape[2]
			out := make([]float32, n*c)
			for i := range n {
				copy(out[i*c:(i+1)*c], v[(i*na+aug)*c:(i*na+aug+1)*c])
			}
			return out, nil
		}
		classes = maxLabel(ss.labels) + 1
		if exp, err := a.experimentDataOf(ctx, s); err == nil {
			classes = exp.Data.Classes
		}
		cfg := attacks.ShadowClassifierConfig{Seed: uint64(s.Shadows.MaskSeed)}
		return attacks.ShadowClassifierScores(ctx, src, ss.keep, ss.labels, classes, tg, cfg)
	}
	return nil, fmt.Errorf("attack %q is not implemented", atk.Name)
}

// loadModel rebuilds model index's architecture and loads its final weights.
func (a *Activities) loadModel(ctx context.Context, st artifacts.Store, s *spec.Spec, exp *experimentData, key string, index int) (*trainer.Model, error) {
	arch, err := archConfig(s.Model)
	if err != nil {
		return nil, err
	}
	m, err := trainer.NewModel(arch, exp.Data.Shape, exp.Data.Classes, modelSeed(s.Train.Seed, index), s.Train.BatchSize)
	if err != nil {
		return nil, err
	}
	b, err := artifacts.Get(ctx, st, artifacts.FinalCheckpointKey(key))
	if err != nil {
		return nil, fmt.Errorf("model %d weights: %w", index, err)
	}
	c, err := trainer.ReadCheckpoint(bytesReader(b))
	if err != nil {
		return nil, fmt.Errorf("model %d weights: %w", index, err)
	}
	if err := trainer.LoadWeights(m, c); err != nil {
		return nil, fmt.Errorf("model %d weights: %w", index, err)
	}
	return m, nil
}

// identityAug returns the index of the identity query augmentation (0 when
// there is none: the first augmentation stands in).
func identityAug(e spec.Eval) int {
	for i, q := range e.Augmentations {
		if q.IsIdentity() {
			return i
		}
	}
	return 0
}

func maxLabel(ys []int) int {
	m := 0
	for _, y := range ys {
		m = max(m, y)
	}
	return m
}
