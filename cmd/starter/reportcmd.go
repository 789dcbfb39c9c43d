package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/report"
)

type reportOptions struct {
	conn connOptions
	Out  string
}

func newReportCmd(g *globalOptions) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report ID|SPEC",
		Short: "Download a completed experiment's report and exports",
		Long: `Download report.json, report.html and the .npy exports (keep.npy,
scores.npy, labels.npy) of the completed experiment whose workflow ID is
ID, or that SPEC describes, into --out, and print its attack table.

The files are read from --store; with --temporal and no --store, from the
store the experiment was started with (credentials come from the
environment, as for the worker).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd, g, o, args[0])
		},
	}
	addConnFlags(cmd, &o.conn)
	cmd.Flags().StringVar(&o.Out, "out", "out", "directory for the report and the .npy exports")
	return cmd
}

func runReport(cmd *cobra.Command, g *globalOptions, o *reportOptions, arg string) error {
	storeFlag := o.conn.Store
	ctx := cmd.Context()
	sess, t, err := openTarget(cmd, g, &o.conn, arg, false)
	if err != nil {
		return err
	}
	defer sess.Close()
	res, storeURL, err := completedExperiment(ctx, sess, g.Namespace, t.ID, storeFlag)
	if err != nil {
		return err
	}
	if err := download(ctx, storeURL, res.Report, o.Out); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	n := 2 + len(res.Report.OtherKeys)
	fmt.Fprintf(out, "experiment %s: %d files from %s written to %s; open %s\n", t.ID, n, storeURL, o.Out, filepath.Join(o.Out, report.HTMLFile))
	return printSummary(out, filepath.Join(o.Out, report.JSONFile))
}

// completedExperiment returns the result of experiment id, which must have
// completed, and the store its outputs are in: storeFlag when set, the
// session's store in embedded mode, and otherwise the store the experiment
// was started with.
func completedExperiment(ctx context.Context, sess *session, namespace, id, storeFlag string) (api.ExperimentResult, string, error) {
	var res api.ExperimentResult
	desc, err := describeWorkflow(ctx, sess.Client, namespace, id)
	if err != nil {
		return res, "", err
	}
	info := desc.GetWorkflowExecutionInfo()
	if typ := info.GetType().GetName(); typ != api.WorkflowExperiment {
		return res, "", fmt.Errorf("workflow %s is a %s workflow, not an experiment (report works on one experiment; a sweep's experiments have their own IDs, see `umbra-starter status %s`)", id, typ, id)
	}
	switch st := info.GetStatus(); st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return res, "", fmt.Errorf("experiment %s is still running: no report yet (follow it with `umbra-starter watch %s`)", id, id)
	default:
		return res, "", fmt.Errorf("experiment %s %s: it has no report (`umbra-starter status %s` shows why)", id, statusName(st), id)
	}
	runID := info.GetExecution().GetRunId()
	if err := sess.Client.GetWorkflow(ctx, id, runID).Get(ctx, &res); err != nil {
		return res, "", fmt.Errorf("experiment %s: reading result: %w", id, err)
	}
	if res.Report.ReportJSONKey == "" {
		return res, "", fmt.Errorf("experiment %s: its result names no report.json key", id)
	}
	storeURL := sess.Store
	if storeFlag == "" && !sess.Embedded {
		var in api.ExperimentInput
		if err := workflowInput(ctx, sess.Client, id, runID, &in); err != nil {
			return res, "", fmt.Errorf("experiment %s: finding its artifact store (pass --store): %w", id, err)
		}
		storeURL = in.StoreURL
	}
	if storeURL == "" {
		return res, "", fmt.Errorf("experiment %s: no artifact store known; pass --store", id)
	}
	return res, storeURL, nil
}
