package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/umbra-ml/umbra/datasets"
	"github.com/umbra-ml/umbra/spec"
)

// experimentData is an experiment's examples: the universe followed by the
// population.
type experimentData struct {
	Data        *datasets.Dataset
	Universe    int
	Population  int
	Fingerprint string
}

// Examples is the number of scored examples (universe + population).
func (e *experimentData) Examples() int { return e.Universe + e.Population }

// seedHash derives a 64-bit seed: the first 8 bytes, little-endian, of
// SHA-256(label ‖ data).
func seedHash(label string, data []byte) uint64 {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write(data)
	return binary.LittleEndian.Uint64(h.Sum(nil)[:8])
}

// experimentDataOf loads (once per process) the experiment data of s.
func (a *Activities) experimentDataOf(ctx context.Context, s *spec.Spec) (*experimentData, error) {
	key, err := json.Marshal(s.Dataset)
	if err != nil {
		return nil, fmt.Errorf("dataset section: %w", err)
	}
	return a.dataset(ctx, string(key), func() (*experimentData, error) {
		return loadExperimentData(ctx, s.Dataset, a.opts.DataDir)
	})
}

// loadExperimentData loads the dataset a spec names and draws the universe
// and population from it with the split seed. Tabular features are
// standardised with statistics of the universe only (the examples models
// may train on), never of the population.
func loadExperimentData(ctx context.Context, d spec.Dataset, dataDir string) (*experimentData, error) {
	path := d.Path
	if path != "" && !filepath.IsAbs(path) && dataDir != "" {
		path = filepath.Join(dataDir, path)
	}
	opts := datasets.LoadOptions{}
	if spec.IsImageDataset(d.Name) {
		opts.Split = "all"
	}
	if d.Name == spec.DatasetCSV {
		opts.CSV.Label = d.LabelColumn
	}
	if syn := d.Synthetic; syn != nil {
		opts.Purchase = datasets.PurchaseConfig{N: syn.Size, Dim: syn.Dim, Classes: syn.Classes, FlipProb: syn.FlipProb, Seed: uint64(syn.Seed)}
		opts.TabularSynthetic = datasets.TabularSyntheticConfig{N: syn.Size, Dim: syn.Dim, Classes: syn.Classes, SensitiveFraction: syn.SensitiveFraction, Seed: uint64(syn.Seed)}
	}
	full, err := datasets.Load(ctx, d.Name, path, opts)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	if need := d.Universe + d.Population; need > full.Len() {
		return nil, fmt.Errorf("dataset %s: universe %d + population %d = %d examples, but %s holds %d",
			d.Name, d.Universe, d.Population, need, path, full.Len())
	}
	parts, err := datasets.SplitIndices(full.Len(), []int{d.Universe, d.Population}, uint64(d.SplitSeed))
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	idx := slices.Concat(parts[0], parts[1])
	sub, err := full.Subset(idx)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	if tabular(d.Name) {
		universe := make([]int, d.Universe)
		for i := range universe {
			universe[i] = i
		}
		st, err := datasets.FitStandardizer(sub, universe)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: standardise: %w", d.Name, err)
		}
		if err := st.Apply(sub); err != nil {
			return nil, fmt.Errorf("dataset %s: standardise: %w", d.Name, err)
		}
	}
	return &experimentData{Data: sub, Universe: d.Universe, Population: d.Population, Fingerprint: sub.Fingerprint()}, nil
}

// tabular reports whether a dataset's numeric features are standardised.
func tabular(name string) bool {
	switch name {
	case spec.DatasetAdult, spec.DatasetCreditG, spec.DatasetCSV:
		return true
	}
	return false
}

// bytesReader wraps b for the readers that take an io.Reader.
func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
