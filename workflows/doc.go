// Package workflows holds Umbra's deterministic Temporal workflow code: the
// Experiment workflow (prepare → train many models → attack → report), its
// Batch children that fan TrainModel activities out, and Sweep, which runs
// many experiments.
//
// It imports only the Temporal SDK and activities/api (names and payload
// types); activities are invoked by name, so this package never links the
// trainer, the attacks or the storage clients, and stays light and
// deterministic.
//
// # Fan-out and history bounds
//
// Temporal stalls silently past 2,000 pending activities in one workflow and
// warns at 10,240 history events. Experiment therefore never schedules
// TrainModel itself: it splits the models into Batch children of at most
// api.MaxModelsPerBatch (500) models, runs at most MaxConcurrentBatches of
// them at once, and each Batch keeps at most MaxConcurrentTrainings
// activities pending. A Batch's history is about 6 events per model (≈3,000
// for 500), the parent's a few dozen events per batch.
//
// # Progress
//
// The Experiment workflow answers the api.QueryProgress query. Per-model
// progress comes from its Batch children, which signal the parent
// (api.SignalBatchProgress, cumulative counts for that batch) each time
// their finished-model count crosses a fifth of the batch, and on their
// first failure: at most five signals per batch, so the parent's history
// grows by a bounded ~25 events per 500 models (≈200,000 models before the
// 10,240-event warning). Completed batches are counted from the child
// results themselves. Between signals the query is therefore up to a fifth of
// a batch behind.
//
// # Failure, retry and cancellation
//
// TrainModel attempts heartbeat (api.TrainHeartbeat) within
// TrainHeartbeatTimeout; when a worker dies, the attempt times out after at
// most that long and is retried (exponential backoff from 5 s, capped at one
// minute) on any worker, which resumes from the heartbeat's checkpoint. Errors
// of the types in api.NonRetryableErrorTypes (e.g. api.ErrTypeDiverged) are
// not retried; the batch stops scheduling, cancels its running activities,
// and fails with a message naming the model and, for divergence, the epoch.
// The experiment then cancels its other batches and fails.
//
// Cancelling an Experiment (or Sweep) stops scheduling new work and requests
// cancellation of running activities and children; TrainModel activities are
// awaited (WaitForCancellation) so they can write a checkpoint before the
// workflow reports itself cancelled.
//
// # IDs
//
// Experiments run as api.ExperimentWorkflowID(specHash)
// ("umbra-exp-<hash[:16]>"), so starting a spec twice finds the same
// workflow; batch children are api.BatchWorkflowID(parentID, index).
// Sweep starts each experiment under its own spec-derived ID, records a
// failed (or duplicate) experiment in its result rather than failing, and
// continues as new after SweepInput.ContinueAfter experiments.
package workflows
