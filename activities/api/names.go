package api

// Workflow type names, as registered with the worker.
const (
	WorkflowExperiment = "Experiment"
	WorkflowBatch      = "Batch"
	WorkflowSweep      = "Sweep"
)

// Activity type names, as registered with the worker.
const (
	ActivityPrepare    = "Prepare"
	ActivityTrainModel = "TrainModel"
	ActivityAttack     = "Attack"
	ActivityReport     = "Report"
)

// QueryProgress is the Experiment workflow's query; it returns Progress.
const QueryProgress = "progress"

// SignalBatchProgress is the signal a Batch child sends its parent
// Experiment; its payload is BatchProgress.
const SignalBatchProgress = "batch-progress"

// DefaultTaskQueue is the task queue workers poll when none is configured.
const DefaultTaskQueue = "umbra"

// Task queues of a split deployment: training activities go to QueueTrain
// (workers with training slots); workflows, Prepare, Attack and Report go to
// QueueAttack.
const (
	QueueTrain  = "umbra-train"
	QueueAttack = "umbra-attack"
)

// Application-error type names (temporal.NewApplicationError's errType).
// Workflows list them as non-retryable in activity retry policies.
const (
	// ErrTypeDiverged: training produced a non-finite loss; retrying the
	// same deterministic recipe would diverge again.
	ErrTypeDiverged = "UmbraDiverged"
	// ErrTypeInvalidSpec: the spec does not validate.
	ErrTypeInvalidSpec = "UmbraInvalidSpec"
	// ErrTypeDataset: the dataset is missing or does not match its
	// fingerprint.
	ErrTypeDataset = "UmbraDataset"
	// ErrTypeAttack: an attack cannot be computed from the stored scores
	// (e.g. too few shadow models for its IN/OUT minimums); recomputing
	// from the same scores would fail again. Fix the spec's attacks and
	// run again: every trained model is reused.
	ErrTypeAttack = "UmbraAttack"
)

// NonRetryableErrorTypes lists the error types above, for RetryPolicy.
func NonRetryableErrorTypes() []string {
	return []string{ErrTypeDiverged, ErrTypeInvalidSpec, ErrTypeDataset, ErrTypeAttack}
}

// MaxModelsPerBatch bounds the TrainModel activities one Batch workflow
// schedules. Temporal stalls silently past 2,000 pending activities per
// workflow and warns at 10,240 history events; 500 activities at about 6
// events each stay well inside both.
const MaxModelsPerBatch = 500

// MaxInlineModelKeys bounds the model keys carried inline in a payload
// (2,000 × 64 hex characters ≈ 130 kB). Larger experiments carry a
// ModelKeyRecipe instead.
const MaxInlineModelKeys = 2000
