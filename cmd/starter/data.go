package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-ml/umbra/datasets"
)

type dataFetchOptions struct {
	Dir  string
	From string
}

func newDataCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Manage datasets",
	}
	cmd.AddCommand(newDataFetchCmd(g))
	return cmd
}

func newDataFetchCmd(g *globalOptions) *cobra.Command {
	o := &dataFetchOptions{}
	cmd := &cobra.Command{
		Use:   "fetch NAME",
		Short: "Download (or copy) a dataset and verify its checksums",
		Long: `Fetch dataset NAME (` + strings.Join(datasets.FetchableDatasets(), ", ") + `) into
DIR/NAME/, the layout specs' dataset.path expects: downloaded from its
canonical location, or copied from --from (a directory, or the file itself
for single-file datasets), and verified against known checksums before the
files take their final names. Files already present and valid are kept.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDataFetch(cmd, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", "data", "directory under which NAME/ is written")
	f.StringVar(&o.From, "from", "", "copy the files from this local directory (or file) instead of downloading them")
	return cmd
}

// fileStamp identifies a file's version well enough to tell whether Fetch
// rewrote it.
type fileStamp struct {
	size int64
	mod  time.Time
}

// listFiles returns the regular, non-hidden files under dir (relative
// paths) with their stamps; a missing dir is empty.
func listFiles(dir string) (map[string]fileStamp, error) {
	out := map[string]fileStamp{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && os.IsNotExist(err) {
				return fs.SkipAll
			}
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != dir {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[rel] = fileStamp{info.Size(), info.ModTime()}
		return nil
	})
	return out, err
}

func runDataFetch(cmd *cobra.Command, g *globalOptions, o *dataFetchOptions, name string) error {
	log, _, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if o.Dir == "" {
		return fmt.Errorf("--dir: empty")
	}
	dest := filepath.Join(o.Dir, name)
	before, err := listFiles(dest)
	if err != nil {
		return fmt.Errorf("data fetch %s: %w", name, err)
	}
	if err := datasets.Fetch(cmd.Context(), name, o.Dir, datasets.FetchOptions{From: o.From, Logger: log}); err != nil {
		return err
	}
	after, err := listFiles(dest)
	if err != nil {
		return fmt.Errorf("data fetch %s: %w", name, err)
	}
	names := make([]string, 0, len(after))
	for n := range after {
		names = append(names, n)
	}
	sort.Strings(names)
	out := cmd.OutOrStdout()
	source := "downloaded"
	if o.From != "" {
		source = "copied from " + o.From
	}
	fmt.Fprintf(out, "dataset %s ready in %s: every canonical file matches its known checksums\n", name, dest)
	for _, n := range names {
		st := after[n]
		how := source
		if prev, ok := before[n]; ok && prev == st {
			how = "already present"
		}
		fmt.Fprintf(out, "  %-32s %12d bytes  %s\n", n, st.size, how)
	}
	return nil
}
