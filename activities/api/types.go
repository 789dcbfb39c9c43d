package api

import (
	"fmt"
	"time"
)

// ExperimentInput starts one Experiment workflow.
type ExperimentInput struct {
	// Spec is the experiment spec, YAML, as the user wrote it.
	Spec []byte `json:"spec"`
	// SpecHash is the spec's content hash (hex); the workflow ID derives
	// from it.
	SpecHash string `json:"spec_hash"`
	// StoreURL locates the artifact store (s3://bucket/prefix or
	// file:///dir).
	StoreURL string `json:"store_url"`
	// Models is the number of models to train (shadow and target).
	Models int `json:"models"`
	// MaskSeed seeds the membership masks (plan.Masks).
	MaskSeed uint64 `json:"mask_seed"`
	// CheckpointEvery is the epoch interval between checkpoints (0: the
	// trainer's default).
	CheckpointEvery int `json:"checkpoint_every,omitempty"`
	// BatchSize is the number of models per Batch child (0 or more than
	// MaxModelsPerBatch: MaxModelsPerBatch).
	BatchSize int `json:"batch_size,omitempty"`
	// MaxConcurrentTrainings bounds the TrainModel activities pending at
	// once in each Batch child (0: DefaultMaxConcurrentTrainings).
	MaxConcurrentTrainings int `json:"max_concurrent_trainings,omitempty"`
	// MaxConcurrentBatches bounds the Batch children running at once
	// (0: DefaultMaxConcurrentBatches).
	MaxConcurrentBatches int `json:"max_concurrent_batches,omitempty"`
	// TaskQueue for activities and children (empty: the workflow's own).
	TaskQueue string `json:"task_queue,omitempty"`
	// TrainQueue, when set, receives the TrainModel activities instead of
	// TaskQueue (e.g. QueueTrain).
	TrainQueue string `json:"train_queue,omitempty"`
	// TrainSlots is the number of models expected to train at once (for the
	// report's orchestration overhead; 0: unknown, taken as 1).
	TrainSlots int `json:"train_slots,omitempty"`
	// Version is the version of the submitting binary, for the report.
	Version string `json:"version,omitempty"`
	// TrainTimeout is the StartToClose timeout of one TrainModel attempt
	// (0: DefaultTrainTimeout).
	TrainTimeout time.Duration `json:"train_timeout,omitempty"`
}

// Defaults for ExperimentInput's zero fields.
const (
	DefaultMaxConcurrentTrainings = 64
	DefaultMaxConcurrentBatches   = 4
	DefaultTrainTimeout           = 24 * time.Hour
)

// Validate reports the first invalid field by name.
func (in ExperimentInput) Validate() error {
	switch {
	case len(in.Spec) == 0:
		return fmt.Errorf("experiment input: spec: empty")
	case len(in.SpecHash) < 16:
		return fmt.Errorf("experiment input: spec_hash %q: want at least 16 hex characters", in.SpecHash)
	case in.Models <= 0:
		return fmt.Errorf("experiment input: models = %d: must be > 0", in.Models)
	case in.BatchSize < 0:
		return fmt.Errorf("experiment input: batch_size = %d: must be >= 0", in.BatchSize)
	case in.MaxConcurrentTrainings < 0:
		return fmt.Errorf("experiment input: max_concurrent_trainings = %d: must be >= 0", in.MaxConcurrentTrainings)
	case in.MaxConcurrentBatches < 0:
		return fmt.Errorf("experiment input: max_concurrent_batches = %d: must be >= 0", in.MaxConcurrentBatches)
	case in.CheckpointEvery < 0:
		return fmt.Errorf("experiment input: checkpoint_every = %d: must be >= 0", in.CheckpointEvery)
	case in.TrainTimeout < 0:
		return fmt.Errorf("experiment input: train_timeout = %v: must be >= 0", in.TrainTimeout)
	}
	for i, c := range in.SpecHash {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("experiment input: spec_hash: character %d %q is not lower-case hex", i, c)
		}
	}
	return nil
}

// ExperimentWorkflowID is the workflow ID of the experiment whose spec hash
// is specHash: "umbra-exp-" and the hash's first 16 characters. Starting
// the same spec twice finds the running (or finished) workflow.
func ExperimentWorkflowID(specHash string) string {
	if len(specHash) > 16 {
		specHash = specHash[:16]
	}
	return "umbra-exp-" + specHash
}

// BatchWorkflowID is the ID of an experiment's batch child number index.
func BatchWorkflowID(experimentID string, index int) string {
	return fmt.Sprintf("%s-batch-%04d", experimentID, index)
}

// ExperimentResult is the Experiment workflow's result.
type ExperimentResult struct {
	WorkflowID  string         `json:"workflow_id"`
	Prepare     PrepareOutput  `json:"prepare"`
	Trained     int            `json:"trained"`
	Reused      int            `json:"reused"`
	TrainTotals TrainTotals    `json:"train_totals"`
	Attack      AttackOutput   `json:"attack"`
	Report      ReportOutput   `json:"report"`
	Batches     []BatchSummary `json:"batches,omitempty"`
}

// TrainTotals sums TrainModel results.
type TrainTotals struct {
	Epochs       int     `json:"epochs"`
	TrainSeconds float64 `json:"train_seconds"`
	// Samples is Σ samples/sec × seconds over freshly trained models.
	Samples float64 `json:"samples"`
}

// Add accumulates one model's result.
func (t *TrainTotals) Add(o TrainModelOutput) {
	if o.Reused {
		return
	}
	t.Epochs += o.Epochs
	t.TrainSeconds += o.TrainSeconds
	t.Samples += o.SamplesPerSec * o.TrainSeconds
}

// Merge adds another total.
func (t *TrainTotals) Merge(o TrainTotals) {
	t.Epochs += o.Epochs
	t.TrainSeconds += o.TrainSeconds
	t.Samples += o.Samples
}

// PrepareInput is the Prepare activity's input.
type PrepareInput struct {
	Spec     []byte `json:"spec"`
	SpecHash string `json:"spec_hash"`
	StoreURL string `json:"store_url"`
	Models   int    `json:"models"`
	MaskSeed uint64 `json:"mask_seed"`
}

// PrepareOutput is the Prepare activity's result: what every later step needs
// to find its inputs.
type PrepareOutput struct {
	// DatasetFingerprint is the content hash of the dataset (hex).
	DatasetFingerprint string `json:"dataset_fingerprint"`
	// Universe is N, the examples whose membership is randomised.
	Universe int `json:"universe"`
	// Population is the held-out population size.
	Population int `json:"population"`
	// ExperimentPrefix is the artifact-store prefix of this experiment's
	// outputs (keep.npy, scores, report).
	ExperimentPrefix string `json:"experiment_prefix"`
	// Models holds the model keys (index order) or a recipe to derive
	// them; see ModelKeys.
	Models ModelKeys `json:"models"`
}

// ModelKeyRecipe derives model keys without listing them: key i is the
// content hash of (DatasetFingerprint, RecipeHash, MaskSeed, i), computed by
// the activities package (workflows never compute it).
type ModelKeyRecipe struct {
	DatasetFingerprint string `json:"dataset_fingerprint"`
	RecipeHash         string `json:"recipe_hash"`
	MaskSeed           uint64 `json:"mask_seed"`
	Count              int    `json:"count"`
}

// ModelKeys is either an explicit list (at most MaxInlineModelKeys) or a
// recipe; exactly one is set.
type ModelKeys struct {
	Keys   []string        `json:"keys,omitempty"`
	Recipe *ModelKeyRecipe `json:"recipe,omitempty"`
}

// Count is the number of models the keys describe.
func (k ModelKeys) Count() int {
	if k.Recipe != nil {
		return k.Recipe.Count
	}
	return len(k.Keys)
}

// Key returns model i's key when listed, and "" when keys come from a
// recipe (the activity derives it).
func (k ModelKeys) Key(i int) string {
	if k.Recipe != nil || i < 0 || i >= len(k.Keys) {
		return ""
	}
	return k.Keys[i]
}

// Validate checks that exactly one form is set and the list is bounded.
func (k ModelKeys) Validate() error {
	switch {
	case k.Recipe != nil && len(k.Keys) > 0:
		return fmt.Errorf("model keys: both keys (%d) and recipe set", len(k.Keys))
	case k.Recipe == nil && len(k.Keys) == 0:
		return fmt.Errorf("model keys: neither keys nor recipe set")
	case len(k.Keys) > MaxInlineModelKeys:
		return fmt.Errorf("model keys: %d keys exceed %d inline; use a recipe", len(k.Keys), MaxInlineModelKeys)
	case k.Recipe != nil && k.Recipe.Count <= 0:
		return fmt.Errorf("model keys: recipe.count = %d: must be > 0", k.Recipe.Count)
	}
	return nil
}

// TrainModelInput is one TrainModel activity's input. The activity derives
// its own membership row with plan.MaskRow(MaskSeed, Models, Universe, keep,
// ModelIndex), keep coming from the spec.
type TrainModelInput struct {
	Spec       []byte `json:"spec"`
	StoreURL   string `json:"store_url"`
	ModelIndex int    `json:"model_index"`
	Models     int    `json:"models"`
	// Universe (N) and DatasetFingerprint come from PrepareOutput, so the
	// activity needs no second look at the dataset to derive its mask row.
	Universe           int    `json:"universe"`
	DatasetFingerprint string `json:"dataset_fingerprint"`
	// ModelKey is the content-addressed key; empty when the keys come from
	// a recipe (the activity derives it from Recipe).
	ModelKey        string          `json:"model_key,omitempty"`
	Recipe          *ModelKeyRecipe `json:"recipe,omitempty"`
	MaskSeed        uint64          `json:"mask_seed"`
	CheckpointEvery int             `json:"checkpoint_every,omitempty"`
}

// TrainModelOutput is one TrainModel activity's result.
type TrainModelOutput struct {
	ModelIndex int    `json:"model_index"`
	ModelKey   string `json:"model_key"`
	// Reused is true when a finished model with this key already existed.
	Reused bool `json:"reused"`
	Epochs int  `json:"epochs"`
	// TrainSeconds is the attempt's work on the model: training,
	// checkpoints and scoring (what the orchestration overhead is measured
	// against).
	TrainSeconds float64 `json:"train_seconds"`
	// SamplesPerSec counts training steps only.
	SamplesPerSec float64 `json:"samples_per_sec"`
	FinalLoss     float64 `json:"final_loss"`
	FinalAccuracy float64 `json:"final_accuracy"`
}

// TrainHeartbeat is TrainModel's heartbeat details: the last completed
// epoch and the checkpoint a retried attempt resumes from.
type TrainHeartbeat struct {
	Epoch         int    `json:"epoch"`
	CheckpointKey string `json:"checkpoint_key,omitempty"`
}

// BatchInput starts one Batch child workflow: models [First, First+Count).
type BatchInput struct {
	Experiment ExperimentInput `json:"experiment"`
	Prepare    PrepareOutput   `json:"prepare"`
	Index      int             `json:"index"`
	First      int             `json:"first"`
	Count      int             `json:"count"`
	// ParentID receives BatchProgress signals (empty: none sent).
	ParentID string `json:"parent_id,omitempty"`
}

// BatchProgress is the signal a Batch sends its parent after each finished
// model (cumulative for the batch, so a lost or repeated signal is harmless).
type BatchProgress struct {
	Index   int         `json:"index"`
	Done    int         `json:"done"`
	Reused  int         `json:"reused"`
	Failed  int         `json:"failed"`
	Running int         `json:"running"`
	Totals  TrainTotals `json:"totals"`
}

// BatchSummary is a Batch child's result: counts, not per-model records,
// to keep the parent's history small.
type BatchSummary struct {
	Index   int         `json:"index"`
	First   int         `json:"first"`
	Count   int         `json:"count"`
	Trained int         `json:"trained"`
	Reused  int         `json:"reused"`
	Totals  TrainTotals `json:"totals"`
	// Final loss and accuracy averaged over the batch's models.
	MeanFinalLoss     float64 `json:"mean_final_loss"`
	MeanFinalAccuracy float64 `json:"mean_final_accuracy"`
}

// AttackInput is the Attack activity's input: it reads score arrays of the
// listed (or derived) models from the store.
type AttackInput struct {
	Spec             []byte    `json:"spec"`
	StoreURL         string    `json:"store_url"`
	ExperimentPrefix string    `json:"experiment_prefix"`
	Models           ModelKeys `json:"models"`
	MaskSeed         uint64    `json:"mask_seed"`
}

// AttackOutput is the Attack activity's result.
type AttackOutput struct {
	// SummaryKey is the artifact key of the full attack results.
	SummaryKey string `json:"summary_key"`
	// Metrics maps "<attack label>.auc" (e.g. "lira-online.auc") to the
	// attack's mean AUC over targets: a few numbers at most.
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// ReportInput is the Report activity's input.
type ReportInput struct {
	Spec             []byte `json:"spec"`
	StoreURL         string `json:"store_url"`
	ExperimentPrefix string `json:"experiment_prefix"`
	AttackSummaryKey string `json:"attack_summary_key"`
	// Models gives the model keys (for the scores.npy export).
	Models             ModelKeys `json:"models"`
	DatasetFingerprint string    `json:"dataset_fingerprint"`
	// Trained and Reused count this run's fresh and reused models.
	Trained int          `json:"trained"`
	Reused  int          `json:"reused"`
	Timing  ReportTiming `json:"timing"`
	Version string       `json:"version,omitempty"`
}

// ReportTiming carries the experiment's measured durations to the report.
type ReportTiming struct {
	// WallSeconds runs from the workflow's start to the report.
	WallSeconds float64 `json:"wall_seconds"`
	// TrainSeconds sums the TrainModel work time (training, checkpoints,
	// scoring) of freshly trained models.
	TrainSeconds float64 `json:"train_seconds"`
	// TrainWorkers is the number of models that trained at once.
	TrainWorkers int `json:"train_workers"`
	// AttackSeconds is the wall time of the Attack activity.
	AttackSeconds float64 `json:"attack_seconds"`
}

// ReportOutput lists the keys of the written report files.
type ReportOutput struct {
	ReportJSONKey string   `json:"report_json_key"`
	ReportHTMLKey string   `json:"report_html_key"`
	OtherKeys     []string `json:"other_keys,omitempty"`
}

// Phase names the stage an experiment is in.
type Phase string

// Phases of an experiment, in order.
const (
	PhasePreparing Phase = "preparing"
	PhaseTraining  Phase = "training"
	PhaseAttacking Phase = "attacking"
	PhaseReporting Phase = "reporting"
	PhaseDone      Phase = "done"
	PhaseFailed    Phase = "failed"
	PhaseCancelled Phase = "cancelled"
)

// Progress is the Experiment workflow's "progress" query result.
type Progress struct {
	Phase   Phase `json:"phase"`
	Models  int   `json:"models"`
	Done    int   `json:"done"` // finished, reused included
	Reused  int   `json:"reused"`
	Running int   `json:"running"`
	Failed  int   `json:"failed"`
	// BatchesDone counts finished Batch children out of Batches.
	Batches     int `json:"batches"`
	BatchesDone int `json:"batches_done"`
	// EpochsCompleted sums epochs of freshly trained, finished models.
	EpochsCompleted int `json:"epochs_completed"`
	// SamplesPerSec is the aggregate training throughput since training
	// started (workflow time), 0 before the first model finishes.
	SamplesPerSec float64 `json:"samples_per_sec"`
	// ModelsPerHour is the finished-model rate, reused excluded.
	ModelsPerHour float64 `json:"models_per_hour"`
	// ETA estimates the remaining training time from ModelsPerHour; 0 when
	// unknown or done.
	ETA time.Duration `json:"eta"`
	// Error is the failure message when Phase is failed.
	Error string `json:"error,omitempty"`
}

// SweepInput starts a Sweep: several experiments, at most Concurrency at a
// time (0: DefaultSweepConcurrency).
type SweepInput struct {
	Experiments []ExperimentInput `json:"experiments"`
	Concurrency int               `json:"concurrency,omitempty"`
	// Next is the index of the first experiment not yet started; set by
	// continue-as-new, 0 for a new sweep.
	Next int `json:"next,omitempty"`
	// Results carried across continue-as-new.
	Results []SweepEntry `json:"results,omitempty"`
	// ContinueAfter is how many experiments one run of the workflow starts
	// before it drains and continues as new, bounding its history
	// (0: DefaultSweepContinueAfter).
	ContinueAfter int `json:"continue_after,omitempty"`
}

// DefaultSweepContinueAfter bounds the experiments per Sweep run: each child
// adds about 8 history events.
const DefaultSweepContinueAfter = 200

// DefaultSweepConcurrency is the default number of concurrent experiments.
const DefaultSweepConcurrency = 2

// SweepEntry is one experiment's outcome in a sweep.
type SweepEntry struct {
	Index      int    `json:"index"`
	WorkflowID string `json:"workflow_id"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
	// ReportJSONKey is set on success.
	ReportJSONKey string `json:"report_json_key,omitempty"`
}

// SweepResult is the Sweep workflow's result, Entries in input order.
type SweepResult struct {
	Entries   []SweepEntry `json:"entries"`
	Succeeded int          `json:"succeeded"`
	Failed    int          `json:"failed"`
}

// DivergedDetails is the details payload of an ErrTypeDiverged application
// error: where training stopped.
type DivergedDetails struct {
	ModelIndex int `json:"model_index"`
	Epoch      int `json:"epoch"`
	// Loss as text ("NaN", "+Inf", "3.2e+38"): JSON cannot carry NaN.
	Loss string `json:"loss"`
}
