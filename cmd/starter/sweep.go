package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/report"
	"github.com/umbra-ml/umbra/spec"
)

// sweepPollInterval is how often a followed sweep's experiments are
// described to print the ones that finished.
const sweepPollInterval = 2 * time.Second

type sweepOptions struct {
	conn        connOptions
	Concurrency int
	Out         string
}

func newSweepCmd(g *globalOptions) *cobra.Command {
	o := &sweepOptions{}
	cmd := &cobra.Command{
		Use:   "sweep SPEC...",
		Short: "Run several experiments as one sweep and collect their reports",
		Long: `Run the experiments several spec files describe as one Sweep workflow, at
most --concurrency at a time, print a line as each finishes, then download
every successful experiment's report into --out/<experiment name>/ (the
workflow ID where names repeat) and print a table of the outcomes.

Every spec is validated first: if any is invalid, nothing is started and the
error lists each invalid file and field. The sweep's workflow ID derives
from the specs' hashes (umbra-sweep-…), so running the same set of specs
again attaches to the running sweep, or re-runs it reusing every model
already trained. A failed experiment does not stop the others.

Without --temporal an embedded server and an in-process worker run the
sweep, as for run.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweep(cmd, g, o, args)
		},
	}
	addConnFlags(cmd, &o.conn)
	f := cmd.Flags()
	f.IntVar(&o.Concurrency, "concurrency", api.DefaultSweepConcurrency, "experiments run at once")
	f.StringVar(&o.Out, "out", "out", "directory under which each experiment's report is written (one subdirectory each)")
	return cmd
}

// sweepSpec is one validated spec of a sweep.
type sweepSpec struct {
	Path string
	Spec *spec.Spec
	Hash string
}

// loadSweepSpecs reads and validates every spec file. It returns one error
// listing every invalid file with its field errors, and refuses two files
// describing the same experiment (they would share a workflow ID).
func loadSweepSpecs(paths []string) ([]sweepSpec, error) {
	var (
		out     []sweepSpec
		bad     []string
		invalid int
		seen    = map[string]string{}
	)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			invalid++
			bad = append(bad, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		s, err := spec.Parse(raw, p)
		if err != nil {
			invalid++
			bad = append(bad, p+":")
			fes := spec.FieldErrors(err)
			if len(fes) == 0 {
				bad = append(bad, "  "+err.Error())
			}
			for _, fe := range fes {
				line := fe.Error()
				if fe.File == "" {
					line = p + ": " + line
				}
				bad = append(bad, "  "+line)
			}
			continue
		}
		h := s.Hash()
		if prev, ok := seen[h]; ok {
			invalid++
			bad = append(bad, fmt.Sprintf("%s: describes the same experiment as %s (spec hash %s)", p, prev, shortHash(h)))
			continue
		}
		seen[h] = p
		out = append(out, sweepSpec{Path: p, Spec: s, Hash: h})
	}
	if invalid > 0 {
		return nil, fmt.Errorf("sweep: %d of %d specs invalid; nothing was started:\n%s", invalid, len(paths), strings.Join(bad, "\n"))
	}
	return out, nil
}

// sweepWorkflowID is "umbra-sweep-" and the first 16 hex characters of the
// SHA-256 of the sorted spec hashes, one per line: the same set of specs,
// in any order, gives the same ID.
func sweepWorkflowID(hashes []string) string {
	sorted := slices.Clone(hashes)
	slices.Sort(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return "umbra-sweep-" + hex.EncodeToString(sum[:])[:16]
}

func runSweep(cmd *cobra.Command, g *globalOptions, o *sweepOptions, paths []string) error {
	log, lvl, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if o.Concurrency < 1 {
		return fmt.Errorf("--concurrency %d: must be at least 1", o.Concurrency)
	}
	specs, err := loadSweepSpecs(paths)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	sess, err := connect(ctx, g, &o.conn, log, lvl, g.Temporal == "", true)
	if err != nil {
		return err
	}
	defer sess.Close()
	in := api.SweepInput{Concurrency: o.Concurrency}
	hashes := make([]string, len(specs))
	for i, s := range specs {
		_, ein, err := experimentInput(s.Path, sess.Store, sess.Slots)
		if err != nil {
			return err
		}
		if ein.SpecHash != s.Hash {
			return fmt.Errorf("sweep: %s changed while the sweep was starting; nothing was started", s.Path)
		}
		in.Experiments = append(in.Experiments, ein)
		hashes[i] = ein.SpecHash
	}
	id := sweepWorkflowID(hashes)
	start := time.Now()
	run, err := startOrAttach(ctx, sess.Client, id, api.WorkflowSweep, in)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	models := 0
	for _, e := range in.Experiments {
		models += e.Models
	}
	fmt.Fprintf(out, "sweep %s (run %s): %d experiments, %d models, %d at a time, store %s\n",
		id, run.GetRunID(), len(specs), models, o.Concurrency, sess.Store)
	sweepStart := start
	if desc, err := describeWorkflow(ctx, sess.Client, g.Namespace, id); err == nil {
		sweepStart = desc.GetWorkflowExecutionInfo().GetStartTime().AsTime()
	}
	res, err := followSweep(ctx, sess, id, sweepStart, in, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "sweep done in %s: %d succeeded, %d failed\n", time.Since(start).Round(time.Second), res.Succeeded, res.Failed)
	rows, err := collectSweep(ctx, sess, specs, res, o.Out)
	printSweepTable(out, rows)
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("sweep %s: %d of %d experiments failed", id, res.Failed, len(specs))
	}
	return nil
}

// experimentLabel names experiment i of a sweep in progress lines: its
// spec's name and workflow ID.
func experimentLabel(e api.ExperimentInput) string {
	id := api.ExperimentWorkflowID(e.SpecHash)
	if s, err := spec.Parse(e.Spec, ""); err == nil && s.Name != "" {
		return fmt.Sprintf("%s (%s)", s.Name, id)
	}
	return id
}

// followSweep waits for sweep id to end, printing one line per finished
// experiment: while it runs, for each child of this sweep found closed
// (polled every sweepPollInterval), and at the end for any not yet
// printed. Children started before sweepStart (by an earlier sweep or run)
// are not counted as finished by polling.
func followSweep(ctx context.Context, sess *session, id string, sweepStart time.Time, in api.SweepInput, w io.Writer) (api.SweepResult, error) {
	run := sess.Client.GetWorkflow(ctx, id, "")
	done := make(chan error, 1)
	var res api.SweepResult
	go func() { done <- run.Get(ctx, &res) }()
	n := len(in.Experiments)
	printed := make([]bool, n)
	count := 0
	line := func(i int, outcome string) {
		count++
		printed[i] = true
		fmt.Fprintf(w, "[%d/%d] %s: %s\n", count, n, experimentLabel(in.Experiments[i]), outcome)
	}
	tick := time.NewTicker(sweepPollInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return res, fmt.Errorf("sweep %s: %w", id, err)
			}
			for _, e := range res.Entries {
				if e.Index < 0 || e.Index >= n || printed[e.Index] {
					continue
				}
				if outcome, ok := childOutcome(ctx, sess.Client, id, e.WorkflowID, time.Time{}); ok && e.OK {
					line(e.Index, outcome)
				} else if e.OK {
					line(e.Index, "completed")
				} else {
					line(e.Index, "failed: "+childFailure(ctx, sess.Client, e.WorkflowID, e.Error))
				}
			}
			return res, nil
		case err := <-sess.workerFailed():
			if err == nil {
				err = errors.New("stopped")
			}
			return res, fmt.Errorf("in-process worker: %w", err)
		case <-ctx.Done():
			return res, fmt.Errorf("interrupted; the sweep's state is kept, run the same command again to resume: %w", ctx.Err())
		case <-tick.C:
			for i, e := range in.Experiments {
				if printed[i] {
					continue
				}
				if outcome, ok := childOutcome(ctx, sess.Client, id, api.ExperimentWorkflowID(e.SpecHash), sweepStart); ok {
					line(i, outcome)
				}
			}
		}
	}
}

// childOutcome reports whether experiment childID, started by sweep
// parentID at or after sweepStart, has closed, and how.
func childOutcome(ctx context.Context, c client.Client, parentID, childID string, sweepStart time.Time) (string, bool) {
	desc, err := c.DescribeWorkflowExecution(ctx, childID, "")
	if err != nil {
		return "", false
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetParentExecution().GetWorkflowId() != parentID || info.GetStartTime().AsTime().Before(sweepStart) {
		return "", false
	}
	st := info.GetStatus()
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return "", false
	}
	took := info.GetCloseTime().AsTime().Sub(info.GetStartTime().AsTime()).Round(time.Second)
	if st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		msg := fmt.Sprintf("%s after %s", statusName(st), took)
		if err := c.GetWorkflow(ctx, childID, info.GetExecution().GetRunId()).Get(ctx, nil); err != nil {
			msg += ": " + failureMessage(err)
		}
		return msg, true
	}
	var r api.ExperimentResult
	if err := c.GetWorkflow(ctx, childID, info.GetExecution().GetRunId()).Get(ctx, &r); err != nil {
		return fmt.Sprintf("completed in %s", took), true
	}
	return fmt.Sprintf("completed in %s: %d trained, %d reused", took, r.Trained, r.Reused), true
}

// maxErrorLen bounds an error message in the sweep's table.
const maxErrorLen = 200

// childFailure is the essential message of failed experiment id: read from
// the experiment's own result when possible, else the sweep entry's error
// text, shortened.
func childFailure(ctx context.Context, c client.Client, id, entryErr string) string {
	if id != "" {
		// Only a closed run: Get would wait for a running one (a sweep entry
		// also fails when its experiment was already running elsewhere).
		desc, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err == nil && desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if err := c.GetWorkflow(ctx, id, desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()).Get(ctx, nil); err != nil {
				return failureMessage(err)
			}
		}
	}
	msg := firstLine(entryErr)
	if r := []rune(msg); len(r) > maxErrorLen {
		msg = string(r[:maxErrorLen]) + "…"
	}
	return msg
}

// sweepRow is one line of the sweep's final table.
type sweepRow struct {
	Path, Status, Result, Dir string
}

// collectSweep downloads each successful experiment's report into
// outDir/<name>/ and returns the table rows in spec order. A failed
// download is reported in its row and in the returned error; the other
// reports are still downloaded.
func collectSweep(ctx context.Context, sess *session, specs []sweepSpec, res api.SweepResult, outDir string) ([]sweepRow, error) {
	dirs := sweepDirs(specs)
	rows := make([]sweepRow, len(specs))
	for i, s := range specs {
		rows[i] = sweepRow{Path: s.Path, Status: "missing", Result: "no result in the sweep"}
	}
	var errs []error
	for _, e := range res.Entries {
		if e.Index < 0 || e.Index >= len(specs) {
			continue
		}
		row := &rows[e.Index]
		if !e.OK {
			row.Status, row.Result = "failed", childFailure(ctx, sess.Client, e.WorkflowID, e.Error)
			continue
		}
		var r api.ExperimentResult
		if err := sess.Client.GetWorkflow(ctx, e.WorkflowID, "").Get(ctx, &r); err != nil {
			row.Status, row.Result = "ok", "reading result: "+firstLine(err.Error())
			errs = append(errs, fmt.Errorf("%s: reading result of %s: %w", specs[e.Index].Path, e.WorkflowID, err))
			continue
		}
		dir := filepath.Join(outDir, dirs[e.Index])
		if err := download(ctx, sess.Store, r.Report, dir); err != nil {
			row.Status, row.Result = "ok", "download failed: "+firstLine(err.Error())
			errs = append(errs, fmt.Errorf("%s: %w", specs[e.Index].Path, err))
			continue
		}
		row.Status, row.Dir = "ok", dir
		row.Result = firstAttackAUC(filepath.Join(dir, report.JSONFile))
	}
	return rows, errors.Join(errs...)
}

// sweepDirs names each experiment's output directory: its spec's name
// when that is a single safe path segment used by no other spec of the
// sweep, its workflow ID otherwise.
func sweepDirs(specs []sweepSpec) []string {
	count := map[string]int{}
	for _, s := range specs {
		count[s.Spec.Name]++
	}
	dirs := make([]string, len(specs))
	for i, s := range specs {
		name := s.Spec.Name
		if name == "" || count[name] > 1 || !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) || name == "." {
			name = api.ExperimentWorkflowID(s.Hash)
		}
		dirs[i] = name
	}
	return dirs
}

// firstAttackAUC describes the first attack of a report: "<attack> AUC x".
func firstAttackAUC(reportPath string) string {
	r, err := report.ReadFile(reportPath)
	if err != nil {
		return "report unreadable: " + firstLine(err.Error())
	}
	if len(r.Attacks) == 0 {
		return "no attacks in report"
	}
	a := r.Attacks[0]
	return fmt.Sprintf("%s AUC %.4f", a.Name, a.AUC.Mean)
}

// printSweepTable writes the sweep's outcome table.
func printSweepTable(w io.Writer, rows []sweepRow) {
	width := len("spec")
	for _, r := range rows {
		width = max(width, len(r.Path))
	}
	fmt.Fprintf(w, "\n%-*s  %-7s  %s\n", width, "spec", "status", "result")
	for _, r := range rows {
		res := r.Result
		if r.Dir != "" {
			res += "  → " + r.Dir
		}
		fmt.Fprintf(w, "%-*s  %-7s  %s\n", width, r.Path, r.Status, res)
	}
}
