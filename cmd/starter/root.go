package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Environment variables that provide defaults for the persistent flags.
const (
	envTemporal  = "UMBRA_TEMPORAL"
	envNamespace = "UMBRA_NAMESPACE"
	envStateDir  = "UMBRA_STATE_DIR"
	envLogLevel  = "UMBRA_LOG_LEVEL"
)

// globalOptions are the persistent flags every subcommand (and the future
// worker binary) shares.
type globalOptions struct {
	// Temporal is the frontend host:port of an existing cluster; empty means
	// "start an embedded server" for commands that can.
	Temporal string
	// Namespace is the Temporal namespace.
	Namespace string
	// StateDir holds local state: the embedded server's SQLite file and
	// local artifacts.
	StateDir string
	// LogLevel is debug, info, warn or error.
	LogLevel string
}

// logger returns a text slog.Logger on w at the configured level.
func (g *globalOptions) logger(w io.Writer) (*slog.Logger, slog.Level, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(g.LogLevel))); err != nil {
		return nil, 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.LogLevel)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})), lvl, nil
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// newRootCmd builds the command tree writing normal output to out and logs
// to errOut.
func newRootCmd(out, errOut io.Writer) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "umbra-starter",
		Short:         "Start and inspect Umbra privacy-risk experiments on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errOut)
	pf := root.PersistentFlags()
	pf.StringVar(&g.Temporal, "temporal", envOr(envTemporal, ""), "Temporal frontend host:port (env "+envTemporal+"); empty starts an embedded server where a command can")
	pf.StringVar(&g.Namespace, "namespace", envOr(envNamespace, "default"), "Temporal namespace (env "+envNamespace+")")
	pf.StringVar(&g.StateDir, "state-dir", envOr(envStateDir, ".umbra"), "directory for local state: embedded server DB, local artifacts (env "+envStateDir+")")
	pf.StringVar(&g.LogLevel, "log-level", envOr(envLogLevel, "warn"), "log level: debug, info, warn, error (env "+envLogLevel+")")
	root.AddCommand(newServerCmd(g), newRunCmd(g),
		newStatusCmd(g), newWatchCmd(g), newReportCmd(g), newCancelCmd(g), newSweepCmd(g),
		newDataCmd(g), newArtifactsCmd(g))
	return root
}
