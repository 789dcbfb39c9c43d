package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/umbra-ml/umbra/artifacts"
)

type gcOptions struct {
	Store  string
	Keep   int
	DryRun bool
}

func newArtifactsCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "artifacts",
		Short: "Manage the artifact store",
	}
	cmd.AddCommand(newArtifactsGCCmd(g))
	return cmd
}

func newArtifactsGCCmd(g *globalOptions) *cobra.Command {
	o := &gcOptions{}
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete intermediate checkpoints of finished models",
		Long: `Delete the intermediate epoch checkpoints of every finished model (one
whose directory holds final.safetensors and manifest.json), keeping the
--keep most recent epochs of each. Final weights, scores, manifests,
experiment outputs and the checkpoints of unfinished models (what a resumed
training needs) are never deleted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runArtifactsGC(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Store, "store", envOr(envStore, ""), "artifact store URL (env "+envStore+"; default file://<state-dir>/artifacts)")
	f.IntVar(&o.Keep, "keep", 0, "most recent epoch checkpoints kept per finished model")
	f.BoolVar(&o.DryRun, "dry-run", false, "list what would be deleted, delete nothing")
	return cmd
}

// gcStore wraps a Store for GC: it remembers the sizes List reports, and
// with dryRun it records Deletes instead of doing them.
type gcStore struct {
	artifacts.Store
	dryRun bool

	mu    sync.Mutex
	sizes map[string]int64
	freed int64
}

func (s *gcStore) List(ctx context.Context, prefix string) ([]artifacts.ObjectInfo, error) {
	objs, err := s.Store.List(ctx, prefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range objs {
		s.sizes[o.Key] = o.Size
	}
	return objs, err
}

func (s *gcStore) Delete(ctx context.Context, key string) error {
	if !s.dryRun {
		if err := s.Store.Delete(ctx, key); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.freed += s.sizes[key]
	return nil
}

// gcStoreURL is --store, or the embedded state directory's file store,
// which must exist (opening a file store creates its directory).
func gcStoreURL(g *globalOptions, o *gcOptions) (string, error) {
	if o.Store != "" {
		return o.Store, nil
	}
	state, err := filepath.Abs(g.StateDir)
	if err != nil {
		return "", fmt.Errorf("--state-dir: %w", err)
	}
	dir := filepath.Join(state, "artifacts")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("no local artifact store at %s (nothing has run with --state-dir %s); pass --store for another store", dir, g.StateDir)
	}
	return "file://" + dir, nil
}

func runArtifactsGC(cmd *cobra.Command, g *globalOptions, o *gcOptions) error {
	log, _, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if o.Keep < 0 {
		return fmt.Errorf("--keep %d: must be >= 0", o.Keep)
	}
	url, err := gcStoreURL(g, o)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, err := artifacts.Open(ctx, url)
	if err != nil {
		return err
	}
	gs := &gcStore{Store: st, dryRun: o.DryRun, sizes: map[string]int64{}}
	deleted, err := artifacts.GC(ctx, gs, o.Keep)
	out := cmd.OutOrStdout()
	verb := "deleted"
	if o.DryRun {
		verb = "would delete"
		for _, k := range deleted {
			fmt.Fprintln(out, k)
		}
	}
	for _, k := range deleted {
		log.Debug("gc", "key", k, "dry_run", o.DryRun)
	}
	fmt.Fprintf(out, "%s: %s %d checkpoints (%s), keeping the last %d epochs of each finished model\n",
		st.String(), verb, len(deleted), humanBytes(gs.freed), o.Keep)
	if err != nil {
		return fmt.Errorf("artifacts gc on %s (after %d deletions): %w", st.String(), len(deleted), err)
	}
	return nil
}

// humanBytes formats a byte count with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %siB", float64(n)/float64(div), strings.Split("K M G T P E", " ")[exp])
}
