package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/spec"
)

// statusQueryTimeout bounds the progress query of a running workflow: a
// query waits for a worker, and an embedded-mode experiment whose starter
// was interrupted has none.
const statusQueryTimeout = 5 * time.Second

type statusOptions struct {
	conn connOptions
}

func newStatusCmd(g *globalOptions) *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status ID|SPEC",
		Short: "Show an experiment's (or sweep's) state, progress and results",
		Long: `Show the state of the experiment whose workflow ID is ID, or that SPEC (a
spec file) describes: running, completed, failed, canceled…, its start and
close times, and

  - while it runs: the progress query's snapshot (models done, running,
    throughput, ETA) and the activities and child workflows pending;
  - once completed: models trained and reused, the report's keys in the
    artifact store and each attack's AUC;
  - once failed: the error.

Sweep workflow IDs (umbra-sweep-…) show the sweep's experiments instead.
In embedded mode this command starts no worker, so it never resumes an
interrupted experiment (watch does).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd, g, o, args[0])
		},
	}
	addConnFlags(cmd, &o.conn)
	return cmd
}

func runStatus(cmd *cobra.Command, g *globalOptions, o *statusOptions, arg string) error {
	ctx := cmd.Context()
	sess, t, err := openTarget(cmd, g, &o.conn, arg, false)
	if err != nil {
		return err
	}
	defer sess.Close()
	desc, err := describeWorkflow(ctx, sess.Client, g.Namespace, t.ID)
	if err != nil {
		return err
	}
	return printStatus(ctx, cmd.OutOrStdout(), sess, desc, t)
}

// printStatus writes the status of the described workflow.
func printStatus(ctx context.Context, w io.Writer, sess *session, desc *workflowservice.DescribeWorkflowExecutionResponse, t target) error {
	info := desc.GetWorkflowExecutionInfo()
	id, runID := info.GetExecution().GetWorkflowId(), info.GetExecution().GetRunId()
	status := info.GetStatus()
	wfType := info.GetType().GetName()
	row := func(k, format string, args ...any) { fmt.Fprintf(w, "%-11s %s\n", k, fmt.Sprintf(format, args...)) }

	row("workflow", "%s", id)
	row("run", "%s", runID)
	row("type", "%s", wfType)
	if t.SpecPath != "" {
		row("spec", "%s", t.SpecPath)
	}
	row("status", "%s", statusName(status))
	start := info.GetStartTime().AsTime()
	row("started", "%s", fmtTime(start))
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && info.GetCloseTime() != nil {
		closed := info.GetCloseTime().AsTime()
		row("closed", "%s (took %s)", fmtTime(closed), closed.Sub(start).Round(time.Second))
	}

	switch wfType {
	case api.WorkflowExperiment:
		var in api.ExperimentInput
		if err := workflowInput(ctx, sess.Client, id, runID, &in); err == nil {
			name := ""
			if s, err := spec.Parse(in.Spec, ""); err == nil {
				name = s.Name
			}
			row("experiment", "%q: %d models, spec hash %s", name, in.Models, shortHash(in.SpecHash))
			row("store", "%s", in.StoreURL)
		} else {
			sess.log.Debug("reading experiment input", "err", err)
		}
	case api.WorkflowSweep:
		var in api.SweepInput
		if err := workflowInput(ctx, sess.Client, id, runID, &in); err == nil {
			conc := in.Concurrency
			if conc == 0 {
				conc = api.DefaultSweepConcurrency
			}
			row("sweep", "%d experiments, %d at a time", len(in.Experiments), conc)
		}
	}

	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		printRunning(ctx, w, row, sess, desc, wfType)
		return nil
	}
	run := sess.Client.GetWorkflow(ctx, id, runID)
	switch wfType {
	case api.WorkflowSweep:
		var res api.SweepResult
		if err := run.Get(ctx, &res); err != nil {
			row("error", "%s", failureMessage(err))
			return nil
		}
		row("result", "%d succeeded, %d failed", res.Succeeded, res.Failed)
		for _, e := range res.Entries {
			if e.OK {
				fmt.Fprintf(w, "  %-28s ok      %s\n", e.WorkflowID, e.ReportJSONKey)
			} else {
				fmt.Fprintf(w, "  %-28s failed  %s\n", e.WorkflowID, childFailure(ctx, sess.Client, e.WorkflowID, e.Error))
			}
		}
	default:
		var res api.ExperimentResult
		if err := run.Get(ctx, &res); err != nil {
			row("error", "%s", failureMessage(err))
			return nil
		}
		printExperimentResult(w, row, res)
	}
	return nil
}

// printRunning writes what is known of a running workflow: its progress
// query (when a worker answers) and its pending work.
func printRunning(ctx context.Context, w io.Writer, row func(k, format string, args ...any), sess *session, desc *workflowservice.DescribeWorkflowExecutionResponse, wfType string) {
	info := desc.GetWorkflowExecutionInfo()
	if wfType == api.WorkflowExperiment {
		p, err := queryProgressWithin(ctx, sess.Client, info.GetExecution().GetWorkflowId(), info.GetExecution().GetRunId(), statusQueryTimeout)
		switch {
		case err == nil:
			row("progress", "%s", progressLine(p))
		case sess.Embedded:
			row("progress", "unavailable: no worker is running this experiment (its starter was interrupted); `umbra-starter watch %s` resumes it", info.GetExecution().GetWorkflowId())
		default:
			row("progress", "unavailable (%s): is a worker polling task queue %s?", firstLine(err.Error()), info.GetTaskQueue())
		}
	}
	acts, children := desc.GetPendingActivities(), desc.GetPendingChildren()
	if len(acts) > 0 || len(children) > 0 {
		running, retrying := 0, 0
		for _, a := range acts {
			if a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				running++
			}
			if a.GetAttempt() > 1 {
				retrying++
			}
		}
		row("pending", "%d activities (%d started, %d retrying), %d child workflows", len(acts), running, retrying, len(children))
	}
}

// printExperimentResult writes a completed experiment's counts, report
// keys and AUCs.
func printExperimentResult(w io.Writer, row func(k, format string, args ...any), res api.ExperimentResult) {
	row("result", "%d models trained, %d reused, %d epochs", res.Trained, res.Reused, res.TrainTotals.Epochs)
	row("report", "%s", res.Report.ReportJSONKey)
	if res.Report.ReportHTMLKey != "" {
		row("", "%s", res.Report.ReportHTMLKey)
	}
	if n := len(res.Report.OtherKeys); n > 0 {
		row("", "and %d exports (umbra-starter report %s --out DIR downloads them)", n, res.WorkflowID)
	}
	aucs := aucMetrics(res.Attack.Metrics)
	if len(aucs) > 0 {
		fmt.Fprintf(w, "\n%-30s %8s\n", "attack", "AUC")
		for _, a := range aucs {
			fmt.Fprintf(w, "%-30s %8.4f\n", a.attack, a.auc)
		}
	}
}

type attackAUC struct {
	attack string
	auc    float64
}

// aucMetrics picks the "<attack>.auc" (or "<attack>/auc") entries of an
// attack-metric map, sorted by attack.
func aucMetrics(m map[string]float64) []attackAUC {
	var out []attackAUC
	for k, v := range m {
		for _, suf := range []string{".auc", "/auc"} {
			if a, ok := strings.CutSuffix(k, suf); ok {
				out = append(out, attackAUC{a, v})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].attack < out[j].attack })
	return out
}

// shortHash abbreviates a spec hash for display.
func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// waitClosed waits until workflow id's latest run is no longer running,
// polling every interval, and returns its description.
func waitClosed(ctx context.Context, c client.Client, namespace, id string, interval time.Duration) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	for {
		desc, err := describeWorkflow(ctx, c, namespace, id)
		if err != nil {
			return nil, err
		}
		if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return desc, nil
		}
		select {
		case <-ctx.Done():
			return desc, errors.Join(fmt.Errorf("workflow %s is still running", id), ctx.Err())
		case <-time.After(interval):
		}
	}
}
