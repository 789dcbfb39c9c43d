package trainer

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"

	"github.com/umbra-ml/umbra/artifacts/safetensors"
	"github.com/umbra-ml/umbra/datasets"
)

// Checkpoint layout (safetensors):
//
//   - every parameter and buffer under its state-dict name
//     ("layers.0.weight", "layers.1.running_mean", ...), float32;
//   - optimiser state under "__optim__.<param>.<slot>" with PyTorch's slot
//     names (momentum_buffer; exp_avg, exp_avg_sq);
//   - __metadata__: format, epoch (completed epochs), step (optimiser
//     steps), seed, optimizer kind, the RNG states (hex of PCG's
//     MarshalBinary) under rng.<stream>, and the arch and recipe as JSON.
const (
	checkpointFormat = "umbra-trainer-checkpoint/1"
	weightsFormat    = "umbra-trainer-weights/1"
	optimPrefix      = "__optim__."

	metaFormat    = "format"
	metaEpoch     = "epoch"
	metaStep      = "step"
	metaSeed      = "seed"
	metaOptimizer = "optimizer"
	metaArch      = "arch"
	metaRecipe    = "recipe"
	metaData      = "data"
	metaRNG       = "rng."
)

// Checkpoint is a decoded checkpoint or weights file.
type Checkpoint struct {
	// Epoch is the number of completed epochs (0 for a weights file).
	Epoch int
	// Step is the optimiser step count.
	Step int64
	// Seed is the model seed the run used.
	Seed uint64
	// Metadata is the raw __metadata__ map.
	Metadata map[string]string

	file *safetensors.File
}

// ReadCheckpoint decodes a checkpoint (or weights file) written by Train's
// OnEpoch callback or by WriteWeights.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	f, err := safetensors.Read(r)
	if err != nil {
		return nil, fmt.Errorf("trainer: reading checkpoint: %w", err)
	}
	c := &Checkpoint{Metadata: f.Metadata, file: f}
	switch f.Metadata[metaFormat] {
	case checkpointFormat:
		if c.Epoch, err = strconv.Atoi(f.Metadata[metaEpoch]); err != nil || c.Epoch < 0 {
			return nil, fmt.Errorf("trainer: checkpoint metadata %q = %q: not a non-negative integer", metaEpoch, f.Metadata[metaEpoch])
		}
		if c.Step, err = strconv.ParseInt(f.Metadata[metaStep], 10, 64); err != nil || c.Step < 0 {
			return nil, fmt.Errorf("trainer: checkpoint metadata %q = %q: not a non-negative integer", metaStep, f.Metadata[metaStep])
		}
	case weightsFormat:
	default:
		return nil, fmt.Errorf("trainer: checkpoint metadata %q = %q, want %q or %q", metaFormat, f.Metadata[metaFormat], checkpointFormat, weightsFormat)
	}
	if c.Seed, err = strconv.ParseUint(f.Metadata[metaSeed], 10, 64); err != nil {
		return nil, fmt.Errorf("trainer: checkpoint metadata %q = %q: %w", metaSeed, f.Metadata[metaSeed], err)
	}
	return c, nil
}

// IsTrainingState reports whether c holds optimiser and RNG state (a
// checkpoint) rather than weights only.
func (c *Checkpoint) IsTrainingState() bool { return c.Metadata[metaFormat] == checkpointFormat }

func addModel(w *safetensors.Writer, m *Model) error {
	for _, p := range m.params {
		if err := w.AddF32(p.Name, p.Shape, p.W); err != nil {
			return err
		}
	}
	for _, b := range m.buffers {
		if err := w.AddF32(b.Name, b.Shape, b.Data); err != nil {
			return err
		}
	}
	return nil
}

func archJSON(m *Model) string {
	b, err := json.Marshal(m.Arch)
	if err != nil {
		return ""
	}
	return string(b)
}

// WriteWeights writes the model's parameters and buffers (no optimiser or
// RNG state) as safetensors.
func WriteWeights(w io.Writer, m *Model) error {
	var sw safetensors.Writer
	sw.Metadata = map[string]string{metaFormat: weightsFormat, metaSeed: strconv.FormatUint(m.Seed, 10), metaArch: archJSON(m)}
	if err := addModel(&sw, m); err != nil {
		return fmt.Errorf("trainer: writing weights: %w", err)
	}
	if _, err := sw.WriteTo(w); err != nil {
		return fmt.Errorf("trainer: writing weights: %w", err)
	}
	return nil
}

// LoadWeights copies a checkpoint's parameters and buffers into m. Every
// parameter and buffer of m must be present with the same shape.
func LoadWeights(m *Model, c *Checkpoint) error {
	load := func(name string, shape []int, dst []float32) error {
		v, sh, err := c.file.F32(name)
		if err != nil {
			return fmt.Errorf("trainer: checkpoint: %w", err)
		}
		if !slices.Equal(sh, shape) {
			return fmt.Errorf("trainer: checkpoint tensor %q has shape %v, model expects %v", name, sh, shape)
		}
		copy(dst, v)
		return nil
	}
	for _, p := range m.params {
		if err := load(p.Name, p.Shape, p.W); err != nil {
			return err
		}
	}
	for _, b := range m.buffers {
		if err := load(b.Name, b.Shape, b.Data); err != nil {
			return err
		}
	}
	return nil
}

func recipeJSON(r Recipe) string {
	r.Epochs = 0 // a resumed run may train for longer
	b, err := json.Marshal(r)
	if err != nil {
		return ""
	}
	return string(b)
}

// dataKey identifies the training set: dataset name, size and a hash of the
// training indices, so that a checkpoint is not resumed on other data.
func dataKey(data *datasets.Dataset, idx []int) string {
	h := fnv.New64a()
	var b [8]byte
	for _, i := range idx {
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		h.Write(b[:])
	}
	return fmt.Sprintf("%s n=%d train=%d idxhash=%016x", data.Name, data.Len(), len(idx), h.Sum64())
}

func (s *session) writeCheckpoint(w io.Writer) error {
	var sw safetensors.Writer
	meta := map[string]string{
		metaFormat:    checkpointFormat,
		metaEpoch:     strconv.Itoa(s.epoch),
		metaStep:      strconv.FormatInt(s.opt.step, 10),
		metaSeed:      strconv.FormatUint(s.m.Seed, 10),
		metaOptimizer: string(s.opt.cfg.Kind),
		metaArch:      archJSON(s.m),
		metaRecipe:    recipeJSON(s.r),
		metaData:      s.dataKey,
	}
	for name, g := range map[string]interface{ MarshalBinary() ([]byte, error) }{streamShuffle: s.shuffle, streamDropout: s.dropout} {
		b, err := g.MarshalBinary()
		if err != nil {
			return fmt.Errorf("trainer: checkpoint: rng %s: %w", name, err)
		}
		meta[metaRNG+name] = hex.EncodeToString(b)
	}
	sw.Metadata = meta
	if err := addModel(&sw, s.m); err != nil {
		return fmt.Errorf("trainer: writing checkpoint: %w", err)
	}
	for _, slot := range s.opt.slotNames() {
		for i, p := range s.opt.params {
			if err := sw.AddF32(optimPrefix+p.Name+"."+slot, p.Shape, s.opt.slots[slot][i]); err != nil {
				return fmt.Errorf("trainer: writing checkpoint: %w", err)
			}
		}
	}
	if _, err := sw.WriteTo(w); err != nil {
		return fmt.Errorf("trainer: writing checkpoint: %w", err)
	}
	return nil
}

func (s *session) restore(c *Checkpoint) error {
	if !c.IsTrainingState() {
		return fmt.Errorf("trainer: resume: checkpoint is a weights file without optimiser and RNG state")
	}
	if c.Seed != s.m.Seed {
		return fmt.Errorf("trainer: resume: checkpoint seed %d differs from model seed %d", c.Seed, s.m.Seed)
	}
	if got, want := c.Metadata[metaRecipe], recipeJSON(s.r); got != want {
		return fmt.Errorf("trainer: resume: checkpoint recipe %s differs from %s (only epochs may change)", got, want)
	}
	if got, want := c.Metadata[metaArch], archJSON(s.m); got != want {
		return fmt.Errorf("trainer: resume: checkpoint arch %s differs from %s", got, want)
	}
	if got := c.Metadata[metaData]; got != s.dataKey {
		return fmt.Errorf("trainer: resume: checkpoint was trained on %s, not %s", got, s.dataKey)
	}
	if c.Epoch > s.r.Epochs {
		return fmt.Errorf("trainer: resume: checkpoint is after epoch %d, beyond the recipe's %d epochs", c.Epoch, s.r.Epochs)
	}
	if err := LoadWeights(s.m, c); err != nil {
		return fmt.Errorf("trainer: resume: %w", err)
	}
	for _, slot := range s.opt.slotNames() {
		for i, p := range s.opt.params {
			name := optimPrefix + p.Name + "." + slot
			v, sh, err := c.file.F32(name)
			if err != nil {
				return fmt.Errorf("trainer: resume: %w", err)
			}
			if !slices.Equal(sh, p.Shape) {
				return fmt.Errorf("trainer: resume: tensor %q has shape %v, want %v", name, sh, p.Shape)
			}
			copy(s.opt.slots[slot][i], v)
		}
	}
	for name, g := range map[string]interface{ UnmarshalBinary([]byte) error }{streamShuffle: s.shuffle, streamDropout: s.dropout} {
		b, err := hex.DecodeString(c.Metadata[metaRNG+name])
		if err != nil {
			return fmt.Errorf("trainer: resume: metadata %q: %w", metaRNG+name, err)
		}
		if err := g.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("trainer: resume: metadata %q: %w", metaRNG+name, err)
		}
	}
	s.epoch = c.Epoch
	s.opt.step = c.Step
	return nil
}
