package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Key layout:
//
//	models/<model-key>/epoch-NNNN.safetensors   intermediate checkpoint after epoch N
//	models/<model-key>/final.safetensors        trained weights
//	models/<model-key>/scores.npy               per-example scores of this model
//	models/<model-key>/manifest.json            Manifest
//	experiments/<spec-hash>/<name>              attack outputs, reports, exports
const (
	modelsDir      = "models/"
	experimentsDir = "experiments/"
	finalName      = "final.safetensors"
	scoresName     = "scores.npy"
	manifestName   = "manifest.json"
	epochPrefix    = "epoch-"
	epochSuffix    = ".safetensors"
)

// modelKeyDomain separates model-key hashes from any other SHA-256 use.
const modelKeyDomain = "umbra/model-key/v1\x00"

// ModelKey returns the content address of one trained model: the lowercase
// hex SHA-256 of the canonical encoding
//
//	"umbra/model-key/v1\x00"
//	u64le(len(datasetFingerprint)) datasetFingerprint
//	u64le(len(recipeHash))         recipeHash
//	u64le(maskSeed)
//	u64le(modelIndex)
//
// Length prefixes make the encoding injective (no two argument lists give
// the same bytes); the version string lets a future encoding coexist. The
// same four inputs always give the same key, so re-running or growing an
// experiment finds every model it already trained. modelIndex must be >= 0.
func ModelKey(datasetFingerprint, recipeHash string, maskSeed uint64, modelIndex int) string {
	h := sha256.New()
	var n [8]byte
	h.Write([]byte(modelKeyDomain))
	for _, s := range []string{datasetFingerprint, recipeHash} {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	binary.LittleEndian.PutUint64(n[:], maskSeed)
	h.Write(n[:])
	binary.LittleEndian.PutUint64(n[:], uint64(modelIndex))
	h.Write(n[:])
	return hex.EncodeToString(h.Sum(nil))
}

// ModelPrefix is the key prefix of everything stored for a model.
func ModelPrefix(modelKey string) string { return modelsDir + modelKey + "/" }

// EpochCheckpointKey is the key of the checkpoint written after epoch
// (1-based, zero-padded to 4 digits).
func EpochCheckpointKey(modelKey string, epoch int) string {
	return fmt.Sprintf("%s%s%04d%s", ModelPrefix(modelKey), epochPrefix, epoch, epochSuffix)
}

// FinalCheckpointKey is the key of a model's trained weights.
func FinalCheckpointKey(modelKey string) string { return ModelPrefix(modelKey) + finalName }

// ScoresKey is the key of a model's score array.
func ScoresKey(modelKey string) string { return ModelPrefix(modelKey) + scoresName }

// ManifestKey is the key of a model's manifest.
func ManifestKey(modelKey string) string { return ModelPrefix(modelKey) + manifestName }

// ExperimentKey is the key of an experiment-level output, e.g.
// ExperimentKey(h, "report.json") or ExperimentKey(h, "attacks/lira.json").
func ExperimentKey(specHash, name string) string { return experimentsDir + specHash + "/" + name }

// ParseModelKey splits a key under models/ into the model key and the file
// name within the model's directory.
func ParseModelKey(key string) (modelKey, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, modelsDir)
	if !ok {
		return "", "", false
	}
	modelKey, name, ok = strings.Cut(rest, "/")
	if !ok || modelKey == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return modelKey, name, true
}

// ParseEpochName returns N for a name "epoch-NNNN.safetensors".
func ParseEpochName(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, epochPrefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, epochSuffix)
	if !ok || s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// ManifestVersion is the current manifest schema version.
const ManifestVersion = 1

// Manifest records what is stored for one model and how it was made. The
// trainer rewrites it after each checkpoint; Final marks a finished model.
type Manifest struct {
	Version            int    `json:"version"`
	ModelKey           string `json:"model_key"`
	SpecHash           string `json:"spec_hash"`
	DatasetFingerprint string `json:"dataset_fingerprint"`
	RecipeHash         string `json:"recipe_hash"`
	MaskSeed           uint64 `json:"mask_seed"`
	ModelIndex         int    `json:"model_index"`
	// EpochsPlanned is the number of epochs the recipe asks for.
	EpochsPlanned int `json:"epochs_planned"`
	// EpochsDone is the number of completed epochs.
	EpochsDone int `json:"epochs_done"`
	// Final is true once final.safetensors (and scores, if any) are stored.
	Final bool `json:"final"`
	// Checksums maps file names in the model's directory
	// ("final.safetensors", "epoch-0003.safetensors", "scores.npy") to
	// their checksums.
	Checksums map[string]Checksum `json:"checksums"`
	Timings   Timings             `json:"timings"`
	// Worker identifies the process that last wrote the manifest.
	Worker    string    `json:"worker,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Timings are wall-clock durations in seconds.
type Timings struct {
	// EpochSeconds[i] is the duration of epoch i+1.
	EpochSeconds []float64 `json:"epoch_seconds,omitempty"`
	TrainSeconds float64   `json:"train_seconds"`
	ScoreSeconds float64   `json:"score_seconds"`
}

// Validate checks a manifest's internal consistency.
func (m *Manifest) Validate() error {
	switch {
	case m.Version != ManifestVersion:
		return fmt.Errorf("manifest: version: %d is not the supported %d", m.Version, ManifestVersion)
	case m.ModelKey == "" || strings.ContainsAny(m.ModelKey, "/\\"):
		return fmt.Errorf("manifest: model_key: %q is not a single path segment", m.ModelKey)
	case m.EpochsDone < 0:
		return fmt.Errorf("manifest: epochs_done: %d is negative", m.EpochsDone)
	case m.EpochsPlanned > 0 && m.EpochsDone > m.EpochsPlanned:
		return fmt.Errorf("manifest: epochs_done: %d exceeds epochs_planned %d", m.EpochsDone, m.EpochsPlanned)
	case m.ModelIndex < 0:
		return fmt.Errorf("manifest: model_index: %d is negative", m.ModelIndex)
	}
	for name, c := range m.Checksums {
		if err := ValidateKey(name); err != nil || strings.Contains(name, "/") {
			return fmt.Errorf("manifest: checksums[%q]: not a file name in the model directory", name)
		}
		if _, err := parseChecksum(c); err != nil {
			return fmt.Errorf("manifest: checksums[%q]: %w", name, err)
		}
	}
	if m.Final {
		if _, ok := m.Checksums[finalName]; !ok {
			return fmt.Errorf("manifest: final is true but checksums lacks %q", finalName)
		}
	}
	return nil
}

// WriteManifest validates m and stores it at ManifestKey(m.ModelKey),
// replacing any previous version.
func WriteManifest(ctx context.Context, s Store, m *Manifest) (ObjectInfo, error) {
	if err := m.Validate(); err != nil {
		return ObjectInfo{}, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("manifest %s: %w", m.ModelKey, err)
	}
	b = append(b, '\n')
	return s.Put(ctx, ManifestKey(m.ModelKey), strings.NewReader(string(b)), int64(len(b)), PutOptions{})
}

// maxManifestSize bounds what ReadManifest accepts.
const maxManifestSize = 16 << 20

// ReadManifest loads and validates the manifest of modelKey. Unknown fields
// are errors (they mean a newer writer; refuse rather than drop data).
func ReadManifest(ctx context.Context, s Store, modelKey string) (*Manifest, error) {
	key := ManifestKey(modelKey)
	rc, info, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if info.Size > maxManifestSize {
		return nil, fmt.Errorf("manifest %q: %d bytes exceeds %d", key, info.Size, maxManifestSize)
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("manifest %q: byte %d: %w", key, se.Offset, err)
		}
		return nil, fmt.Errorf("manifest %q: %w", key, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%q: %w", key, err)
	}
	if m.ModelKey != modelKey {
		return nil, fmt.Errorf("manifest %q: model_key is %q", key, m.ModelKey)
	}
	return &m, nil
}
