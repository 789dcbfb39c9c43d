package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/umbra-ml/umbra/activities/api"
)

// progressSteps is how many progress signals (at most) a batch sends its
// parent as models finish: one per fifth of the batch, the last fifth being
// reported by the batch's result.
const progressSteps = 5

// Batch trains models [in.First, in.First+in.Count) of an experiment with at
// most MaxConcurrentTrainings TrainModel activities pending, and returns
// their aggregate. On the first failed model it stops scheduling, cancels
// the running activities, waits for them, and fails.
func Batch(ctx workflow.Context, in api.BatchInput) (api.BatchSummary, error) {
	sum := api.BatchSummary{Index: in.Index, First: in.First, Count: in.Count}
	switch {
	case in.Count <= 0 || in.Count > api.MaxModelsPerBatch:
		return sum, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("batch %d: count = %d: must be in 1..%d", in.Index, in.Count, api.MaxModelsPerBatch), api.ErrTypeInvalidSpec, nil)
	case in.First < 0 || in.First+in.Count > in.Experiment.Models:
		return sum, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("batch %d: models [%d, %d) outside [0, %d)", in.Index, in.First, in.First+in.Count, in.Experiment.Models), api.ErrTypeInvalidSpec, nil)
	}
	logger := workflow.GetLogger(ctx)

	// Activities run under actCtx so that a failed model can cancel its
	// siblings; cancelling the workflow cancels actCtx too.
	actCtx, cancelActs := workflow.WithCancel(workflow.WithActivityOptions(ctx, trainOptions(in.Experiment)))
	defer cancelActs()

	limit := maxTrainings(in.Experiment)
	var (
		next, pending   int
		prog            = api.BatchProgress{Index: in.Index}
		firstErr        error
		lossSum, accSum float64
		signalled       int  // progress steps already reported
		needSignal      bool // send progress after the next refill
	)
	signal := func() {
		if in.ParentID == "" || ctx.Err() != nil {
			return
		}
		prog.Running = pending
		// Fire and forget: a lost progress signal only delays the parent's
		// view; the batch result is authoritative.
		workflow.SignalExternalWorkflow(ctx, in.ParentID, "", api.SignalBatchProgress, prog)
	}

	sel := workflow.NewSelector(ctx)
	schedule := func(i int) {
		model := in.First + i
		input := api.TrainModelInput{
			Spec:               in.Experiment.Spec,
			StoreURL:           in.Experiment.StoreURL,
			ModelIndex:         model,
			Models:             in.Experiment.Models,
			Universe:           in.Prepare.Universe,
			DatasetFingerprint: in.Prepare.DatasetFingerprint,
			ModelKey:           in.Prepare.Models.Key(model),
			Recipe:             in.Prepare.Models.Recipe,
			MaskSeed:           in.Experiment.MaskSeed,
			CheckpointEvery:    in.Experiment.CheckpointEvery,
		}
		f := workflow.ExecuteActivity(actCtx, api.ActivityTrainModel, input)
		pending++
		sel.AddFuture(f, func(f workflow.Future) {
			pending--
			var out api.TrainModelOutput
			err := f.Get(ctx, &out)
			if err != nil {
				if firstErr == nil {
					firstErr = modelError(model, err)
					if !temporal.IsCanceledError(err) {
						prog.Failed++
						needSignal = true
					}
					cancelActs()
				} else if !temporal.IsCanceledError(err) {
					prog.Failed++
				}
				return
			}
			prog.Done++
			if out.Reused {
				prog.Reused++
			}
			prog.Totals.Add(out)
			lossSum += out.FinalLoss
			accSum += out.FinalAccuracy
			if step := prog.Done * progressSteps / in.Count; step > signalled && step < progressSteps {
				signalled = step
				needSignal = true
			}
		})
	}

	for {
		for firstErr == nil && ctx.Err() == nil && pending < limit && next < in.Count {
			schedule(next)
			next++
		}
		if needSignal {
			// After the refill, so that Running counts the new activities.
			signal()
			needSignal = false
		}
		if pending == 0 {
			break
		}
		sel.Select(ctx)
	}

	sum.Reused = prog.Reused
	sum.Trained = prog.Done - prog.Reused
	sum.Totals = prog.Totals
	if prog.Done > 0 {
		sum.MeanFinalLoss = lossSum / float64(prog.Done)
		sum.MeanFinalAccuracy = accSum / float64(prog.Done)
	}
	if ctx.Err() != nil {
		logger.Info("batch cancelled", "batch", in.Index, "done", prog.Done, "scheduled", next)
		return sum, ctx.Err()
	}
	if firstErr != nil {
		return sum, firstErr
	}
	return sum, nil
}

// modelError describes a failed TrainModel. Divergence keeps its error type
// (so it stays non-retryable up the chain) and names the epoch.
func modelError(model int, err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == api.ErrTypeDiverged {
		var d api.DivergedDetails
		if appErr.HasDetails() {
			if derr := appErr.Details(&d); derr != nil {
				d = api.DivergedDetails{}
			}
		}
		d.ModelIndex = model
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("model %d diverged at epoch %d (loss %s): %s", model, d.Epoch, d.Loss, appErr.Message()),
			api.ErrTypeDiverged, err, d)
	}
	if temporal.IsCanceledError(err) {
		return err
	}
	return fmt.Errorf("model %d: %w", model, err)
}
