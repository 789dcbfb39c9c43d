package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/umbra-ml/umbra/activities/api"
)

// Timeouts and retry settings for the activities. TrainModel's StartToClose
// comes from ExperimentInput.TrainTimeout.
const (
	// TrainHeartbeatTimeout: a TrainModel attempt that has not heartbeaten
	// for this long (its worker died) is retried elsewhere. The SDK sends
	// heartbeats at 0.8 × this.
	TrainHeartbeatTimeout = 20 * time.Second
	// TrainMaxAttempts bounds retries of one model (retryable errors only).
	TrainMaxAttempts = 10

	PrepareTimeout = 2 * time.Hour
	AttackTimeout  = 12 * time.Hour
	ReportTimeout  = time.Hour
	// OtherMaxAttempts bounds retries of Prepare, Attack and Report.
	OtherMaxAttempts = 5
)

func retryPolicy(maxAttempts int32) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        5 * time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        maxAttempts,
		NonRetryableErrorTypes: api.NonRetryableErrorTypes(),
	}
}

// trainOptions are TrainModel's activity options.
func trainOptions(in api.ExperimentInput) workflow.ActivityOptions {
	timeout := in.TrainTimeout
	if timeout <= 0 {
		timeout = api.DefaultTrainTimeout
	}
	queue := in.TaskQueue
	if in.TrainQueue != "" {
		queue = in.TrainQueue
	}
	return workflow.ActivityOptions{
		TaskQueue:           queue,
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    TrainHeartbeatTimeout,
		WaitForCancellation: true,
		RetryPolicy:         retryPolicy(TrainMaxAttempts),
	}
}

// stepOptions are the options of Prepare, Attack and Report, which are not
// required to heartbeat.
func stepOptions(in api.ExperimentInput, timeout time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:           in.TaskQueue,
		StartToCloseTimeout: timeout,
		RetryPolicy:         retryPolicy(OtherMaxAttempts),
	}
}

func batchSize(in api.ExperimentInput) int {
	if in.BatchSize <= 0 || in.BatchSize > api.MaxModelsPerBatch {
		return api.MaxModelsPerBatch
	}
	return in.BatchSize
}

func maxTrainings(in api.ExperimentInput) int {
	if in.MaxConcurrentTrainings <= 0 {
		return api.DefaultMaxConcurrentTrainings
	}
	return in.MaxConcurrentTrainings
}

func maxBatches(in api.ExperimentInput) int {
	if in.MaxConcurrentBatches <= 0 {
		return api.DefaultMaxConcurrentBatches
	}
	return in.MaxConcurrentBatches
}
