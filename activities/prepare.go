package activities

import (
	"context"
	"fmt"
	"io"

	"go.temporal.io/sdk/temporal"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/artifacts/npy"
	"github.com/umbra-ml/umbra/plan"
	"github.com/umbra-ml/umbra/spec"
)

// parseSpec decodes a spec carried in an activity input; an invalid spec is
// a non-retryable failure.
func parseSpec(b []byte) (*spec.Spec, error) {
	s, err := spec.Parse(b, "spec")
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), api.ErrTypeInvalidSpec, err)
	}
	return s, nil
}

// datasetError marks a dataset failure non-retryable: the same files would
// fail again.
func datasetError(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), api.ErrTypeDataset, err)
}

// Prepare loads the dataset, fixes the experiment's examples and model keys,
// and stores keep.npy (bool, models × examples; population columns false)
// and labels.npy (int64, examples) under the experiment's prefix.
func (a *Activities) Prepare(ctx context.Context, in api.PrepareInput) (api.PrepareOutput, error) {
	s, err := parseSpec(in.Spec)
	if err != nil {
		return api.PrepareOutput{}, err
	}
	st, err := a.store(ctx, in.StoreURL)
	if err != nil {
		return api.PrepareOutput{}, err
	}
	exp, err := a.experimentDataOf(ctx, s)
	if err != nil {
		return api.PrepareOutput{}, datasetError(err)
	}
	m, n := s.Shadows.Count, exp.Examples()
	keep, err := keepMatrix(s, exp)
	if err != nil {
		return api.PrepareOutput{}, err
	}
	prefix := experimentPrefix(in.SpecHash)
	if _, err := artifacts.PutStream(ctx, st, prefix+"keep.npy", -1, artifacts.PutOptions{}, func(w io.Writer) error {
		return npy.WriteBool(w, []int{m, n}, keep)
	}); err != nil {
		return api.PrepareOutput{}, fmt.Errorf("store keep.npy: %w", err)
	}
	labels := make([]int64, n)
	for i, y := range exp.Data.Y {
		labels[i] = int64(y)
	}
	if _, err := artifacts.PutStream(ctx, st, prefix+"labels.npy", -1, artifacts.PutOptions{}, func(w io.Writer) error {
		return npy.WriteInt64(w, []int{n}, labels)
	}); err != nil {
		return api.PrepareOutput{}, fmt.Errorf("store labels.npy: %w", err)
	}
	recipe := api.ModelKeyRecipe{
		DatasetFingerprint: exp.Fingerprint,
		RecipeHash:         s.ModelRecipeHash(),
		MaskSeed:           uint64(s.Shadows.MaskSeed),
		Count:              m,
	}
	out := api.PrepareOutput{
		DatasetFingerprint: exp.Fingerprint,
		Universe:           exp.Universe,
		Population:         exp.Population,
		ExperimentPrefix:   prefix,
	}
	if m <= api.MaxInlineModelKeys {
		for i := range m {
			out.Models.Keys = append(out.Models.Keys, modelKey(recipe, i))
		}
	} else {
		out.Models.Recipe = &recipe
	}
	a.logger(ctx).Info("prepared experiment", "spec_hash", in.SpecHash, "dataset", s.Dataset.Name,
		"fingerprint", exp.Fingerprint[:12], "universe", exp.Universe, "population", exp.Population, "models", m)
	return out, nil
}

// experimentPrefix is the store prefix of an experiment's outputs.
func experimentPrefix(specHash string) string { return artifacts.ExperimentKey(specHash, "") }

// modelKey derives model i's content key.
func modelKey(r api.ModelKeyRecipe, i int) string {
	return artifacts.ModelKey(r.DatasetFingerprint, r.RecipeHash, r.MaskSeed, i)
}

// keepMatrix returns the membership of every model (row) in every
// experiment example (column); population columns are always false.
func keepMatrix(s *spec.Spec, exp *experimentData) ([]bool, error) {
	m, u, n := s.Shadows.Count, exp.Universe, exp.Examples()
	masks, err := plan.Masks(uint64(s.Shadows.MaskSeed), m, u, s.Shadows.Keep)
	if err != nil {
		return nil, fmt.Errorf("shadows: %w", err)
	}
	keep := make([]bool, m*n)
	for i := range m {
		copy(keep[i*n:i*n+u], masks[i*u:(i+1)*u])
	}
	return keep, nil
}
