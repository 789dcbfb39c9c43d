package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
)

type cancelOptions struct {
	conn    connOptions
	Wait    bool
	Timeout time.Duration
}

func newCancelCmd(g *globalOptions) *cobra.Command {
	o := &cancelOptions{}
	cmd := &cobra.Command{
		Use:   "cancel ID|SPEC",
		Short: "Cancel a running experiment (or sweep); trainings checkpoint and stop",
		Long: `Request cancellation of the experiment whose workflow ID is ID, or that
SPEC describes. The workflow cancels its trainings and waits for them:
each stops at its next heartbeat, keeping its last checkpoint, so running
the spec again later resumes where they were. A sweep cancels its running
experiments the same way.

With --temporal the request is recorded and the command returns; --wait
waits until the workflow has closed. Without --temporal no worker is
running the embedded experiment, so the command starts one and waits
(at most --timeout) for the workflow to process the cancellation.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCancel(cmd, g, o, args[0])
		},
	}
	addConnFlags(cmd, &o.conn)
	f := cmd.Flags()
	f.BoolVar(&o.Wait, "wait", false, "wait until the workflow has closed (always done in embedded mode)")
	f.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "how long to wait for the workflow to close")
	return cmd
}

func runCancel(cmd *cobra.Command, g *globalOptions, o *cancelOptions, arg string) error {
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout %v: must be > 0", o.Timeout)
	}
	ctx := cmd.Context()
	embedded := g.Temporal == ""
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
	if st := info.GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		fmt.Fprintf(out, "workflow %s is already %s; nothing to cancel\n", t.ID, statusName(st))
		return nil
	}
	if err := sess.Client.CancelWorkflow(ctx, t.ID, ""); err != nil {
		return fmt.Errorf("cancelling workflow %s: %w", t.ID, err)
	}
	fmt.Fprintf(out, "cancellation of %s (%s) requested; running trainings checkpoint and stop\n", t.ID, info.GetType().GetName())
	if !o.Wait && !embedded {
		fmt.Fprintf(out, "follow it with: umbra-starter status %s\n", t.ID)
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	desc, err = waitClosed(wctx, sess.Client, g.Namespace, t.ID, 500*time.Millisecond)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return fmt.Errorf("cancellation of %s requested, but the workflow has not closed within --timeout %v; check again with `umbra-starter status %s`", t.ID, o.Timeout, t.ID)
		}
		return err
	}
	fi := desc.GetWorkflowExecutionInfo()
	fmt.Fprintf(out, "workflow %s is %s\n", t.ID, statusName(fi.GetStatus()))
	return nil
}
