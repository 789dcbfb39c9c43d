package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/spec"
)

// target is what an ID|SPEC argument names.
type target struct {
	// ID is the workflow ID.
	ID string
	// SpecPath is the spec file the ID was derived from ("" when the
	// argument was an ID).
	SpecPath string
	// Spec is the parsed spec when SpecPath is set.
	Spec *spec.Spec
}

// resolveTarget turns an ID|SPEC argument into a workflow ID. An argument
// naming an existing file is a spec: its ID is api.ExperimentWorkflowID of
// its hash, so `status examples/quickstart.yaml` finds the experiment `run
// examples/quickstart.yaml` started. An argument that looks like a file
// name (a .yaml/.yml/.json suffix or a path separator) but does not exist is
// an error rather than an ID nobody could have started.
func resolveTarget(arg string) (target, error) {
	if arg == "" {
		return target{}, errors.New("empty workflow ID or spec path")
	}
	st, err := os.Stat(arg)
	switch {
	case err == nil && st.Mode().IsRegular():
		raw, err := os.ReadFile(arg)
		if err != nil {
			return target{}, fmt.Errorf("spec: %w", err)
		}
		s, err := spec.Parse(raw, arg)
		if err != nil {
			return target{}, fmt.Errorf("%s is not a valid spec (the argument is a workflow ID or a spec file):\n%w", arg, err)
		}
		return target{ID: api.ExperimentWorkflowID(s.Hash()), SpecPath: arg, Spec: s}, nil
	case err == nil:
		return target{}, fmt.Errorf("%s is a directory, not a spec file or workflow ID", arg)
	}
	ext := strings.ToLower(filepath.Ext(arg))
	if ext == ".yaml" || ext == ".yml" || ext == ".json" || strings.ContainsRune(arg, os.PathSeparator) {
		return target{}, fmt.Errorf("spec file %s: %w", arg, err)
	}
	return target{ID: arg}, nil
}

// statusName is the lower-case name of a workflow execution status.
func statusName(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued-as-new"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed-out"
	}
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

// noWorkflowError is a workflow ID the namespace does not know.
type noWorkflowError struct {
	ID, Namespace string
}

func (e *noWorkflowError) Error() string {
	return fmt.Sprintf("no experiment with workflow ID %q in namespace %q", e.ID, e.Namespace)
}

// describeWorkflow describes the latest run of workflow id, or returns a
// *noWorkflowError naming the ID and the namespace.
func describeWorkflow(ctx context.Context, c client.Client, namespace, id string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	resp, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, &noWorkflowError{ID: id, Namespace: namespace}
		}
		return nil, fmt.Errorf("describing workflow %s: %w", id, err)
	}
	if resp.GetWorkflowExecutionInfo() == nil {
		return nil, fmt.Errorf("describing workflow %s: empty answer", id)
	}
	return resp, nil
}

// workflowInput decodes the first input argument of a run of workflow id
// from its history (the WorkflowExecutionStarted event) into v. It needs no
// worker, so it works on experiments nobody is running.
func workflowInput(ctx context.Context, c client.Client, id, runID string, v any) error {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return fmt.Errorf("workflow %s: empty history", id)
	}
	ev, err := it.Next()
	if err != nil {
		return fmt.Errorf("workflow %s: reading history: %w", id, err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return fmt.Errorf("workflow %s: first history event is %s, not WorkflowExecutionStarted", id, ev.GetEventType())
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), v); err != nil {
		return fmt.Errorf("workflow %s: decoding input: %w", id, err)
	}
	return nil
}

// queryProgressWithin asks for an experiment's progress, giving up after d:
// a query needs a worker polling the workflow's task queue, and without one
// it would wait for the caller's whole deadline.
func queryProgressWithin(ctx context.Context, c client.Client, id, runID string, d time.Duration) (api.Progress, error) {
	qctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return queryProgress(qctx, c, id, runID)
}

// failureMessage is the essential message of a workflow's error: the
// message of the error the innermost failed activity returned (and that
// activity's type), without the wrappers whose text the SDK's Error()
// strings repeat at every level.
func failureMessage(err error) string {
	var (
		app      *temporal.ApplicationError
		canceled *temporal.CanceledError
		timeout  *temporal.TimeoutError
		term     *temporal.TerminatedError
	)
	var act *temporal.ActivityError
	for e := err; ; {
		var a *temporal.ActivityError
		if !errors.As(e, &a) {
			break
		}
		act, e = a, a.Unwrap()
	}
	if act != nil && errors.As(act.Unwrap(), &app) {
		return "activity " + act.ActivityType().GetName() + ": " + app.Message()
	}
	switch {
	case errors.As(err, &app):
		return app.Message()
	case errors.As(err, &canceled):
		return "canceled"
	case errors.As(err, &timeout):
		return "timed out (" + strings.ToLower(strings.TrimPrefix(timeout.TimeoutType().String(), "TIMEOUT_TYPE_")) + ")"
	case errors.As(err, &term):
		return "terminated"
	}
	return firstLine(err.Error())
}

// fmtTime formats a timestamp for status output (local time zone, seconds).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// openTarget resolves arg to a workflow and opens a session for it (with
// the in-process worker when withWorker is set and the session is
// embedded). The caller closes the session.
func openTarget(cmd *cobra.Command, g *globalOptions, o *connOptions, arg string, withWorker bool) (*session, target, error) {
	log, lvl, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return nil, target{}, err
	}
	t, err := resolveTarget(arg)
	if err != nil {
		return nil, target{}, err
	}
	sess, err := connect(cmd.Context(), g, o, log, lvl, withWorker && g.Temporal == "", false)
	if err != nil {
		return nil, target{}, err
	}
	return sess, t, nil
}
