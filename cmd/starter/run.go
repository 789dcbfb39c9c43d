package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/report"
	"github.com/umbra-ml/umbra/spec"
)

// version is the starter's version, stamped at build time with
// -ldflags "-X main.version=…".
var version = "dev"

// runOptions are the run command's flags.
type runOptions struct {
	conn       connOptions
	Out        string
	Detach     bool
	NoProgress bool
}

func newRunCmd(g *globalOptions) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run SPEC",
		Short: "Run an experiment and write its report",
		Long: `Run the experiment a spec describes: train its models, run its attacks and
write report.json, report.html, keep.npy, scores.npy and labels.npy to --out.

Without --temporal, an embedded Temporal server (SQLite under --state-dir)
and an in-process worker run the experiment on this machine. With
--temporal host:port and --store s3://…, the experiment is submitted to a
cluster whose workers share that store.

The workflow ID derives from the spec's hash: running the same spec again
attaches to the running experiment, or starts a new run that reuses every
model already trained.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, g, o, args[0])
		},
	}
	addConnFlags(cmd, &o.conn)
	f := cmd.Flags()
	f.StringVar(&o.Out, "out", "out", "directory for the report and the .npy exports")
	f.BoolVar(&o.Detach, "detach", false, "submit and return without waiting (cluster mode only)")
	f.BoolVar(&o.NoProgress, "no-progress", false, "print progress lines instead of a progress bar")
	return cmd
}

// experimentInput builds the workflow input of a spec file.
func experimentInput(specPath string, storeURL string, slots int) (*spec.Spec, api.ExperimentInput, error) {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return nil, api.ExperimentInput{}, fmt.Errorf("spec: %w", err)
	}
	s, err := spec.Parse(raw, specPath)
	if err != nil {
		return nil, api.ExperimentInput{}, fmt.Errorf("spec is invalid, nothing was started:\n%w", err)
	}
	in := api.ExperimentInput{
		Spec:            raw,
		SpecHash:        s.Hash(),
		StoreURL:        storeURL,
		Models:          s.Shadows.Count,
		MaskSeed:        uint64(s.Shadows.MaskSeed),
		CheckpointEvery: s.Train.CheckpointEvery,
		TaskQueue:       api.QueueAttack,
		TrainQueue:      api.QueueTrain,
		TrainSlots:      slots,
		Version:         version,
	}
	return s, in, nil
}

func runRun(cmd *cobra.Command, g *globalOptions, o *runOptions, specPath string) error {
	log, lvl, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	// Validate the spec before anything starts.
	if _, _, err := experimentInput(specPath, "", 0); err != nil {
		return err
	}
	if o.Detach && g.Temporal == "" {
		return errors.New("--detach needs --temporal: the embedded server stops when this command exits")
	}
	ctx := cmd.Context()
	sess, err := connect(ctx, g, &o.conn, log, lvl, g.Temporal == "", true)
	if err != nil {
		return err
	}
	defer sess.Close()
	s, in, err := experimentInput(specPath, sess.Store, sess.Slots)
	if err != nil {
		return err
	}
	id := api.ExperimentWorkflowID(in.SpecHash)
	start := time.Now()
	run, err := startOrAttach(ctx, sess.Client, id, api.WorkflowExperiment, in)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "experiment %q: workflow %s (run %s), %d models, store %s\n", s.Name, id, run.GetRunID(), in.Models, sess.Store)
	if o.Detach {
		fmt.Fprintf(out, "submitted; follow it with: umbra-starter watch %s\n", id)
		return nil
	}
	res, err := follow(ctx, sess, run, in.Models, cmd.ErrOrStderr(), o.NoProgress)
	if err != nil {
		return err
	}
	if err := download(ctx, sess.Store, res.Report, o.Out); err != nil {
		return err
	}
	fmt.Fprintf(out, "done in %s: %d trained, %d reused; report in %s\n",
		time.Since(start).Round(time.Second), res.Trained, res.Reused, filepath.Join(o.Out, report.HTMLFile))
	return printSummary(out, filepath.Join(o.Out, report.JSONFile))
}

// follow shows the experiment's progress until it ends and returns its
// result. Interrupting stops following; the experiment keeps its state.
func follow(ctx context.Context, sess *session, run client.WorkflowRun, models int, w io.Writer, plain bool) (api.ExperimentResult, error) {
	done := make(chan error, 1)
	var res api.ExperimentResult
	go func() { done <- run.Get(ctx, &res) }()
	var bar *progressbar.ProgressBar
	if !plain {
		bar = progressbar.NewOptions(models,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("training"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastLine := time.Time{}
	for {
		select {
		case err := <-done:
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return res, fmt.Errorf("experiment %s: %w", run.GetID(), err)
			}
			return res, nil
		case err := <-sess.workerFailed():
			if err == nil {
				err = errors.New("stopped")
			}
			return res, fmt.Errorf("in-process worker: %w", err)
		case <-ctx.Done():
			return res, fmt.Errorf("interrupted; the experiment's state is kept, run the same command again to resume: %w", ctx.Err())
		case <-tick.C:
			p, err := queryProgress(ctx, sess.Client, run.GetID(), run.GetRunID())
			if err != nil {
				continue // the workflow may not have registered its query yet
			}
			desc := progressLine(p)
			if bar != nil {
				bar.Describe(desc)
				_ = bar.Set(p.Done)
			} else if time.Since(lastLine) >= 10*time.Second {
				fmt.Fprintln(w, desc)
				lastLine = time.Now()
			}
		}
	}
}

// queryProgress asks an experiment for its progress.
func queryProgress(ctx context.Context, c client.Client, id, runID string) (api.Progress, error) {
	var p api.Progress
	v, err := c.QueryWorkflow(ctx, id, runID, api.QueryProgress)
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

// progressLine renders a progress snapshot in one line.
func progressLine(p api.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %d/%d models", p.Phase, p.Done, p.Models)
	if p.Reused > 0 {
		fmt.Fprintf(&b, " (%d reused)", p.Reused)
	}
	if p.Running > 0 {
		fmt.Fprintf(&b, ", %d running", p.Running)
	}
	if p.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", p.Failed)
	}
	fmt.Fprintf(&b, ", %d epochs", p.EpochsCompleted)
	if p.SamplesPerSec > 0 {
		fmt.Fprintf(&b, ", %.0f samples/s", p.SamplesPerSec)
	}
	if p.ETA > 0 {
		fmt.Fprintf(&b, ", ETA %s", p.ETA.Round(time.Second))
	}
	return b.String()
}

// download copies an experiment's outputs from the store into dir.
func download(ctx context.Context, storeURL string, r api.ReportOutput, dir string) error {
	st, err := artifacts.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	keys := append([]string{r.ReportJSONKey, r.ReportHTMLKey}, r.OtherKeys...)
	prefix := path.Dir(r.ReportJSONKey) + "/"
	for _, key := range keys {
		if key == "" {
			continue
		}
		rel := strings.TrimPrefix(key, prefix)
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := fetchObject(ctx, st, key, dst); err != nil {
			return err
		}
	}
	return nil
}

// fetchObject writes one stored object to dst atomically; the store's
// checksum is verified before the file appears.
func fetchObject(ctx context.Context, st artifacts.Store, key, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	rc, _, err := st.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		return fmt.Errorf("download %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// printSummary prints the attack table of a report.json.
func printSummary(w io.Writer, reportPath string) error {
	r, err := report.ReadFile(reportPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%-30s %8s %12s %12s %10s\n", "attack", "AUC", "TPR@0.1%FPR", "TPR@1%FPR", "bal.acc")
	for _, a := range r.Attacks {
		fmt.Fprintf(w, "%-30s %8.4f %12.4f %12.4f %10.4f\n", a.Name, a.AUC.Mean,
			a.TPRAtFPR["0.001"].Mean, a.TPRAtFPR["0.01"].Mean, a.BalancedAccuracy.Mean)
	}
	return nil
}
