package workflows

import (
	"cmp"
	"fmt"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/umbra-ml/umbra/activities/api"
)

// Sweep runs in.Experiments as child Experiment workflows, at most
// in.Concurrency at a time. A failed experiment is recorded in the result,
// not returned as the sweep's error. After starting in.ContinueAfter
// experiments in one run it waits for them and continues as new, carrying
// the results.
func Sweep(ctx workflow.Context, in api.SweepInput) (api.SweepResult, error) {
	total := len(in.Experiments)
	switch {
	case in.Next < 0 || in.Next > total:
		return api.SweepResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("sweep: next = %d outside [0, %d]", in.Next, total), api.ErrTypeInvalidSpec, nil)
	case in.Concurrency < 0:
		return api.SweepResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("sweep: concurrency = %d: must be >= 0", in.Concurrency), api.ErrTypeInvalidSpec, nil)
	}
	limit := in.Concurrency
	if limit == 0 {
		limit = api.DefaultSweepConcurrency
	}
	perRun := in.ContinueAfter
	if perRun <= 0 {
		perRun = api.DefaultSweepContinueAfter
	}
	results := append([]api.SweepEntry(nil), in.Results...)

	var (
		next       = in.Next
		startedNow int
		pending    int
		sel        = workflow.NewSelector(ctx)
	)
	start := func(i int) {
		exp := in.Experiments[i]
		id := api.ExperimentWorkflowID(exp.SpecHash)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:          id,
			TaskQueue:           exp.TaskQueue,
			WaitForCancellation: true,
			ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		})
		f := workflow.ExecuteChildWorkflow(cctx, api.WorkflowExperiment, exp)
		pending++
		sel.AddFuture(f, func(f workflow.Future) {
			pending--
			entry := api.SweepEntry{Index: i, WorkflowID: id}
			var r api.ExperimentResult
			if err := f.Get(ctx, &r); err != nil {
				entry.Error = err.Error()
			} else {
				entry.OK = true
				entry.ReportJSONKey = r.Report.ReportJSONKey
			}
			results = append(results, entry)
		})
	}
	for {
		for ctx.Err() == nil && pending < limit && next < total && startedNow < perRun {
			start(next)
			next++
			startedNow++
		}
		if pending == 0 {
			break
		}
		sel.Select(ctx)
	}
	if ctx.Err() != nil {
		return summarize(results), ctx.Err()
	}
	if next < total {
		cont := in
		cont.Next = next
		cont.Results = results
		return api.SweepResult{}, workflow.NewContinueAsNewError(ctx, api.WorkflowSweep, cont)
	}
	return summarize(results), nil
}

// summarize orders entries by experiment index and counts outcomes.
func summarize(entries []api.SweepEntry) api.SweepResult {
	out := api.SweepResult{Entries: slices.Clone(entries)}
	slices.SortStableFunc(out.Entries, func(a, b api.SweepEntry) int { return cmp.Compare(a.Index, b.Index) })
	for _, e := range out.Entries {
		if e.OK {
			out.Succeeded++
		} else {
			out.Failed++
		}
	}
	return out
}
