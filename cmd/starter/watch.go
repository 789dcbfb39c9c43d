package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/umbra-ml/umbra/activities/api"
)

type watchOptions struct {
	conn       connOptions
	NoProgress bool
}

func newWatchCmd(g *globalOptions) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch ID|SPEC",
		Short: "Follow an experiment (or sweep) until it ends; resumes an interrupted embedded run",
		Long: `Show a progress bar for the experiment whose workflow ID is ID, or that SPEC
describes, until it ends, then print its result. A sweep ID prints one
line per finished experiment.

Without --temporal, the embedded server on --state-dir is started with an
in-process worker, so an experiment whose run command was interrupted
continues where its checkpoints left it. Interrupting watch stops
following (and, in embedded mode, the worker); the experiment keeps its
state.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWatch(cmd, g, o, args[0])
		},
	}
	addConnFlags(cmd, &o.conn)
	cmd.Flags().BoolVar(&o.NoProgress, "no-progress", false, "print progress lines instead of a progress bar")
	return cmd
}

func runWatch(cmd *cobra.Command, g *globalOptions, o *watchOptions, arg string) error {
	ctx := cmd.Context()
	sess, t, err := openTarget(cmd, g, &o.conn, arg, true)
	if err != nil {
		return err
	}
	defer sess.Close()
	out := cmd.OutOrStdout()
	desc, err := describeWorkflow(ctx, sess.Client, g.Namespace, t.ID)
	if err != nil {
		return err
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		fmt.Fprintf(out, "workflow %s is not running:\n", t.ID)
		return printStatus(ctx, out, sess, desc, t)
	}
	start := time.Now()
	switch info.GetType().GetName() {
	case api.WorkflowSweep:
		var in api.SweepInput
		if err := workflowInput(ctx, sess.Client, t.ID, info.GetExecution().GetRunId(), &in); err != nil {
			return err
		}
		res, err := followSweep(ctx, sess, t.ID, info.GetStartTime().AsTime(), in, out)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "sweep %s done in %s: %d succeeded, %d failed\n", t.ID, time.Since(start).Round(time.Second), res.Succeeded, res.Failed)
		return nil
	case api.WorkflowExperiment:
	default:
		return fmt.Errorf("workflow %s is a %s workflow, not an experiment or a sweep", t.ID, info.GetType().GetName())
	}
	var in api.ExperimentInput
	if err := workflowInput(ctx, sess.Client, t.ID, info.GetExecution().GetRunId(), &in); err != nil {
		return err
	}
	what := "following"
	if sess.Embedded {
		what = "resuming"
	}
	fmt.Fprintf(out, "%s experiment %s: %d models, store %s\n", what, t.ID, in.Models, in.StoreURL)
	run := sess.Client.GetWorkflow(ctx, t.ID, "")
	res, err := follow(ctx, sess, run, in.Models, cmd.ErrOrStderr(), o.NoProgress)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "completed after %s of watching\n", time.Since(start).Round(time.Second))
	printExperimentResult(out, func(k, format string, args ...any) {
		fmt.Fprintf(out, "%-11s %s\n", k, fmt.Sprintf(format, args...))
	}, res)
	return nil
}
