package trainer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/umbra-ml/umbra/datasets"
)

// Recipe is a training recipe: everything about training except the
// architecture, the data and the seed.
type Recipe struct {
	Epochs    int
	BatchSize int
	Optimizer OptimizerConfig
	Schedule  Schedule
	// Loss defaults to cross_entropy.
	Loss LossKind
	// LabelSmoothing ε in [0, 1) for cross_entropy.
	LabelSmoothing float64
	Augment        Augment
	// DropLast skips the final partial batch of each epoch.
	DropLast bool
}

// Validate reports the first invalid field.
func (r Recipe) Validate() error {
	if r.Epochs <= 0 {
		return fmt.Errorf("epochs: %d must be > 0", r.Epochs)
	}
	if r.BatchSize <= 0 {
		return fmt.Errorf("batch_size: %d must be > 0", r.BatchSize)
	}
	if err := r.Optimizer.withDefaults().validate(); err != nil {
		return fmt.Errorf("optimizer.%w", err)
	}
	if err := r.Schedule.validate(); err != nil {
		return fmt.Errorf("schedule.%w", err)
	}
	if err := r.Loss.validate(); err != nil {
		return fmt.Errorf("loss: %w", err)
	}
	if r.LabelSmoothing < 0 || r.LabelSmoothing >= 1 {
		return fmt.Errorf("label_smoothing: %v must be in [0, 1)", r.LabelSmoothing)
	}
	if r.LabelSmoothing > 0 && r.Loss != "" && r.Loss != CrossEntropy {
		return fmt.Errorf("label_smoothing: only applies to cross_entropy, not %s", r.Loss)
	}
	return nil
}

// EpochStats summarises one training epoch.
type EpochStats struct {
	// Epoch is the 0-based index of the finished epoch.
	Epoch int
	// Loss is the mean training loss over the epoch's examples (on the
	// augmented inputs, in training mode).
	Loss float64
	// Accuracy is the fraction of the epoch's examples classified correctly
	// during training.
	Accuracy float64
	// LR is the learning rate of the epoch's last step.
	LR       float64
	Examples int
	Steps    int64
	Duration time.Duration
}

// DivergedError reports a NaN or infinite training loss. Retrying with the
// same inputs gives the same result, so callers should not retry.
type DivergedError struct {
	Epoch, Batch int
	Loss         float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("trainer: training diverged at epoch %d batch %d: loss %v", e.Epoch, e.Batch, e.Loss)
}

// NonRetryable marks the error as permanent for job runners.
func (e *DivergedError) NonRetryable() bool { return true }

// TrainOptions are the optional inputs of Train.
type TrainOptions struct {
	// Indices lists the dataset examples to train on (nil: all). Order
	// does not matter beyond determinism: each epoch shuffles a copy.
	Indices []int
	// StartFrom resumes from a checkpoint written by an earlier run of the
	// same model, data, recipe and seed; its weights replace the model's.
	StartFrom *Checkpoint
	// OnEpoch, when set, is called after every epoch. ckpt writes a
	// checkpoint of the state after that epoch; it is valid only during the
	// call. A returned error stops training and is returned wrapped.
	OnEpoch func(ctx context.Context, epoch int, stats EpochStats, ckpt func(io.Writer) error) error
	// Logger receives per-epoch debug records (nil: discard).
	Logger *slog.Logger
}

// Result is what Train returns on success.
type Result struct {
	// Epochs holds the stats of the epochs this call ran.
	Epochs []EpochStats
	// Steps is the optimiser step count at the end.
	Steps int64
}

// session is the mutable training state that a checkpoint captures.
type session struct {
	m         *Model
	data      *datasets.Dataset
	r         Recipe
	opt       *optimizer
	shuffle   *rand.PCG
	dropout   *rand.PCG
	pass      Pass
	epoch     int // completed epochs
	smoothing float32
	order     []int
	dataKey   string
}

func newSession(m *Model, data *datasets.Dataset, r Recipe) (*session, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("trainer: recipe.%w", err)
	}
	if err := r.Augment.validate(m.InShape); err != nil {
		return nil, fmt.Errorf("trainer: recipe.augment.%w", err)
	}
	if r.BatchSize > m.MaxBatch {
		return nil, fmt.Errorf("trainer: recipe.batch_size: %d exceeds the model's max batch %d", r.BatchSize, m.MaxBatch)
	}
	if err := checkData(m, data); err != nil {
		return nil, err
	}
	opt, err := newOptimizer(r.Optimizer, m.params)
	if err != nil {
		return nil, fmt.Errorf("trainer: recipe.optimizer.%w", err)
	}
	s := &session{
		m: m, data: data, r: r, opt: opt,
		shuffle:   newStream(m.Seed, streamShuffle),
		dropout:   newStream(m.Seed, streamDropout),
		smoothing: float32(r.LabelSmoothing),
	}
	s.pass = Pass{Train: true, Dropout: rand.New(s.dropout)}
	return s, nil
}

func checkData(m *Model, data *datasets.Dataset) error {
	if data == nil {
		return fmt.Errorf("trainer: nil dataset")
	}
	if !slices.Equal(data.Shape, m.InShape) {
		return fmt.Errorf("trainer: dataset %q has example shape %v, model expects %v", data.Name, data.Shape, m.InShape)
	}
	if data.Classes > m.Classes {
		return fmt.Errorf("trainer: dataset %q has %d classes, model outputs %d", data.Name, data.Classes, m.Classes)
	}
	if len(data.X) != data.Len()*data.Dim() {
		return fmt.Errorf("trainer: dataset %q: X has %d values, want %d examples × %d", data.Name, len(data.X), data.Len(), data.Dim())
	}
	return nil
}

// Train trains m on data with recipe r, from scratch or from
// opts.StartFrom, and leaves the trained weights in m. Runs with the same
// model seed, architecture, data, recipe and build are bitwise
// reproducible, whether or not they were interrupted and resumed from a
// checkpoint after some epoch. Cancelling ctx stops at the next batch
// boundary and returns an error wrapping ctx.Err(); a NaN or infinite loss
// returns a *DivergedError.
func Train(ctx context.Context, m *Model, data *datasets.Dataset, r Recipe, opts TrainOptions) (*Result, error) {
	s, err := newSession(m, data, r)
	if err != nil {
		return nil, err
	}
	idx := opts.Indices
	if idx == nil {
		idx = make([]int, data.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	for k, i := range idx {
		if i < 0 || i >= data.Len() {
			return nil, fmt.Errorf("trainer: indices[%d] = %d out of range [0, %d)", k, i, data.Len())
		}
		if data.Y[i] < 0 || data.Y[i] >= m.Classes {
			return nil, fmt.Errorf("trainer: dataset %q example %d: label %d out of range [0, %d)", data.Name, i, data.Y[i], m.Classes)
		}
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("trainer: no training examples")
	}
	s.dataKey = dataKey(data, idx)
	if opts.StartFrom != nil {
		if err := s.restore(opts.StartFrom); err != nil {
			return nil, err
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.order = make([]int, len(idx))
	res := &Result{}
	for s.epoch < r.Epochs {
		st, err := s.runEpoch(ctx, idx)
		if err != nil {
			return nil, err
		}
		s.epoch++
		res.Epochs = append(res.Epochs, st)
		log.Debug("epoch done", "model_seed", m.Seed, "epoch", st.Epoch, "loss", st.Loss, "accuracy", st.Accuracy, "lr", st.LR, "duration", st.Duration)
		if opts.OnEpoch != nil {
			if err := opts.OnEpoch(ctx, st.Epoch, st, s.writeCheckpoint); err != nil {
				return nil, fmt.Errorf("trainer: epoch %d callback: %w", st.Epoch, err)
			}
		}
	}
	res.Steps = s.opt.step
	return res, nil
}

func (s *session) stepsPerEpoch(n int) int {
	b := s.r.BatchSize
	if s.r.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

func (s *session) runEpoch(ctx context.Context, idx []int) (st EpochStats, err error) {
	start := time.Now()
	epoch := s.epoch
	copy(s.order, idx)
	rand.New(s.shuffle).Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
	steps := s.stepsPerEpoch(len(s.order))
	st.Epoch = epoch
	var lossSum float64
	var correct int
	for b := 0; b < steps; b++ {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("trainer: stopped at epoch %d batch %d: %w", epoch, b, err)
		}
		lo := b * s.r.BatchSize
		hi := min(lo+s.r.BatchSize, len(s.order))
		lr := s.r.Schedule.LR(s.r.Optimizer.LR, epoch, b, steps, s.r.Epochs)
		loss, c, err := s.step(s.order[lo:hi], epoch, lr)
		if err != nil {
			return st, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return st, &DivergedError{Epoch: epoch, Batch: b, Loss: loss}
		}
		lossSum += loss * float64(hi-lo)
		correct += c
		st.Examples += hi - lo
		st.LR = lr
	}
	if st.Examples > 0 {
		st.Loss = lossSum / float64(st.Examples)
		st.Accuracy = float64(correct) / float64(st.Examples)
	}
	st.Steps = s.opt.step
	st.Duration = time.Since(start)
	return st, nil
}

// gather copies (and, in training, augments) the batch's examples into the
// model's input buffer and their labels into its label buffer.
func (s *session) gather(batch []int, epoch int, augment bool) ([]float32, []int, error) {
	m := s.m
	x := m.xbuf[:len(batch)*m.inDim]
	y := m.ybuf[:len(batch)]
	for k, i := range batch {
		dst := x[k*m.inDim : (k+1)*m.inDim]
		src := s.data.X[i*m.inDim : (i+1)*m.inDim]
		if augment {
			if err := s.r.Augment.apply(dst, src, m.InShape, m.Seed, epoch, i); err != nil {
				return nil, nil, fmt.Errorf("trainer: augmenting example %d: %w", i, err)
			}
		} else {
			copy(dst, src)
		}
		y[k] = s.data.Y[i]
	}
	return x, y, nil
}

// step runs one forward/backward/update on the given examples.
func (s *session) step(batch []int, epoch int, lr float64) (loss float64, correct int, err error) {
	defer recoverInternal(&err)
	x, y, err := s.gather(batch, epoch, s.r.Augment.enabled())
	if err != nil {
		return 0, 0, err
	}
	n := len(batch)
	out := s.m.net.Forward(&s.pass, x, n)
	g := s.m.gbuf[:n*s.m.Classes]
	loss, correct = lossFunc(s.r.Loss, s.smoothing, out, y, n, s.m.Classes, g)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, correct, nil
	}
	s.m.net.Backward(&s.pass, g, n, false)
	s.opt.update(lr)
	return loss, correct, nil
}

func recoverInternal(err *error) {
	if r := recover(); r != nil {
		ie, ok := r.(internalError)
		if !ok {
			panic(r)
		}
		*err = fmt.Errorf("trainer: internal error: %w", ie.err)
	}
}
