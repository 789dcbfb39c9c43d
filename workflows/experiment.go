package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/umbra-ml/umbra/activities/api"
)

// Experiment runs one experiment: Prepare, then TrainModel for every model
// through Batch children, then Attack and Report. It answers the
// api.QueryProgress query throughout.
func Experiment(ctx workflow.Context, in api.ExperimentInput) (api.ExperimentResult, error) {
	info := workflow.GetInfo(ctx)
	res := api.ExperimentResult{WorkflowID: info.WorkflowExecution.ID}
	if err := in.Validate(); err != nil {
		return res, temporal.NewNonRetryableApplicationError(err.Error(), api.ErrTypeInvalidSpec, err)
	}
	size := batchSize(in)
	prog := newProgressState(in.Models, size, maxTrainings(in))
	if err := workflow.SetQueryHandler(ctx, api.QueryProgress, func() (api.Progress, error) {
		return prog.snapshot(), nil
	}); err != nil {
		return res, fmt.Errorf("registering %s query: %w", api.QueryProgress, err)
	}
	fail := func(err error) (api.ExperimentResult, error) {
		if temporal.IsCanceledError(err) || ctx.Err() != nil {
			prog.phase = api.PhaseCancelled
			return res, err
		}
		prog.phase = api.PhaseFailed
		prog.err = err.Error()
		return res, err
	}

	// Progress signals from batches, handled for the workflow's lifetime.
	sigCh := workflow.GetSignalChannel(ctx, api.SignalBatchProgress)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var bp api.BatchProgress
			if more := sigCh.Receive(gctx, &bp); !more {
				return
			}
			prog.signal(bp, workflow.Now(gctx))
		}
	})

	// Prepare.
	prepCtx := workflow.WithActivityOptions(ctx, stepOptions(in, PrepareTimeout))
	prepIn := api.PrepareInput{Spec: in.Spec, SpecHash: in.SpecHash, StoreURL: in.StoreURL, Models: in.Models, MaskSeed: in.MaskSeed}
	if err := workflow.ExecuteActivity(prepCtx, api.ActivityPrepare, prepIn).Get(ctx, &res.Prepare); err != nil {
		return fail(fmt.Errorf("prepare: %w", err))
	}
	if err := res.Prepare.Models.Validate(); err != nil {
		return fail(temporal.NewNonRetryableApplicationError("prepare returned "+err.Error(), api.ErrTypeInvalidSpec, err))
	}
	if n := res.Prepare.Models.Count(); n != in.Models {
		return fail(temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("prepare returned %d model keys for %d models", n, in.Models), api.ErrTypeInvalidSpec, nil))
	}

	// Train.
	prog.phase = api.PhaseTraining
	prog.trainStart = workflow.Now(ctx)
	prog.lastUpdate = prog.trainStart
	batches, err := runBatches(ctx, in, res.Prepare, prog, size)
	res.Batches = batches
	for _, b := range batches {
		res.Trained += b.Trained
		res.Reused += b.Reused
		res.TrainTotals.Merge(b.Totals)
	}
	if err != nil {
		return fail(err)
	}

	// Attack, then report.
	prog.phase = api.PhaseAttacking
	attackCtx := workflow.WithActivityOptions(ctx, stepOptions(in, AttackTimeout))
	attackIn := api.AttackInput{
		Spec: in.Spec, StoreURL: in.StoreURL, ExperimentPrefix: res.Prepare.ExperimentPrefix,
		Models: res.Prepare.Models, MaskSeed: in.MaskSeed,
	}
	attackStart := workflow.Now(ctx)
	if err := workflow.ExecuteActivity(attackCtx, api.ActivityAttack, attackIn).Get(ctx, &res.Attack); err != nil {
		return fail(fmt.Errorf("attack: %w", err))
	}
	attackSecs := workflow.Now(ctx).Sub(attackStart).Seconds()
	prog.phase = api.PhaseReporting
	reportCtx := workflow.WithActivityOptions(ctx, stepOptions(in, ReportTimeout))
	reportIn := api.ReportInput{
		Spec: in.Spec, StoreURL: in.StoreURL, ExperimentPrefix: res.Prepare.ExperimentPrefix,
		AttackSummaryKey: res.Attack.SummaryKey,
		Models:           res.Prepare.Models, DatasetFingerprint: res.Prepare.DatasetFingerprint,
		Trained: res.Trained, Reused: res.Reused, Version: in.Version,
		Timing: api.ReportTiming{
			WallSeconds:   workflow.Now(ctx).Sub(info.WorkflowStartTime).Seconds(),
			TrainSeconds:  res.TrainTotals.TrainSeconds,
			TrainWorkers:  max(in.TrainSlots, 1),
			AttackSeconds: attackSecs,
		},
	}
	if err := workflow.ExecuteActivity(reportCtx, api.ActivityReport, reportIn).Get(ctx, &res.Report); err != nil {
		return fail(fmt.Errorf("report: %w", err))
	}
	prog.phase = api.PhaseDone
	return res, nil
}

// runBatches runs the Batch children, at most maxBatches at a time, and
// returns their summaries in batch order (finished ones only on error). The
// first failure cancels the other children and is returned once they have
// stopped.
func runBatches(ctx workflow.Context, in api.ExperimentInput, prep api.PrepareOutput, prog *progressState, size int) ([]api.BatchSummary, error) {
	parentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	n := len(prog.state)
	childCtx, cancelChildren := workflow.WithCancel(ctx)
	defer cancelChildren()

	var (
		results  = make([]api.BatchSummary, n)
		finished = make([]bool, n)
		next     int
		pending  int
		firstErr error
		limit    = maxBatches(in)
		sel      = workflow.NewSelector(ctx)
	)
	start := func(i int) {
		first := i * size
		bin := api.BatchInput{
			Experiment: in, Prepare: prep, Index: i, First: first,
			Count: prog.perBatch[i], ParentID: parentID,
		}
		cctx := workflow.WithChildOptions(childCtx, workflow.ChildWorkflowOptions{
			WorkflowID:          api.BatchWorkflowID(parentID, i),
			TaskQueue:           in.TaskQueue,
			WaitForCancellation: true,
			ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		})
		f := workflow.ExecuteChildWorkflow(cctx, api.WorkflowBatch, bin)
		prog.started(i)
		pending++
		sel.AddFuture(f, func(f workflow.Future) {
			pending--
			var s api.BatchSummary
			if err := f.Get(ctx, &s); err != nil {
				prog.failed(i, workflow.Now(ctx))
				if firstErr == nil {
					firstErr = batchError(i, err)
					cancelChildren()
				}
				return
			}
			results[i] = s
			finished[i] = true
			prog.finished(s, workflow.Now(ctx))
		})
	}
	for {
		for firstErr == nil && ctx.Err() == nil && pending < limit && next < n {
			start(next)
			next++
		}
		if pending == 0 {
			break
		}
		sel.Select(ctx)
	}
	var out []api.BatchSummary
	for i, ok := range finished {
		if ok {
			out = append(out, results[i])
		}
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, firstErr
}

// batchError keeps the application error's type (e.g. divergence) visible
// and adds the batch index.
func batchError(i int, err error) error {
	if temporal.IsCanceledError(err) {
		return err
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("batch %d: %s", i, appErr.Message()), appErr.Type(), err)
	}
	return fmt.Errorf("batch %d: %w", i, err)
}
