package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/umbra-ml/umbra/cmd/starter/internal/devserver"
)

// DefaultServerPort is the embedded server's frontend port, Temporal's
// conventional 7233.
const DefaultServerPort = 7233

type serverOptions struct {
	DB       string
	Port     int
	IP       string
	InMemory bool
}

func newServerCmd(g *globalOptions) *cobra.Command {
	o := &serverOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run an embedded Temporal server (SQLite) until interrupted",
		Long: `Run an embedded Temporal server alone, backed by a SQLite file, until
SIGINT or SIGTERM, so that several worker processes (and integration tests)
can share it. The frontend address is printed on stdout once the server
answers requests ("ready <host:port>"). The namespace named by --namespace
and "default" are created if missing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServer(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DB, "db", "", "SQLite database file (default <state-dir>/temporal.db)")
	f.IntVar(&o.Port, "port", DefaultServerPort, "frontend gRPC port; the next "+strconv.Itoa(devserver.PortsUsed()-1)+" ports are used by the other services (0: pick free ports)")
	f.StringVar(&o.IP, "ip", "127.0.0.1", "IP address the frontend binds to")
	f.BoolVar(&o.InMemory, "in-memory", false, "keep state in memory only (lost on exit); ignores --db")
	return cmd
}

func runServer(cmd *cobra.Command, g *globalOptions, o *serverOptions) error {
	logger, lvl, err := g.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if g.Temporal != "" {
		return fmt.Errorf("server: --temporal %q names an existing cluster; the server command starts its own (unset --temporal / %s)", g.Temporal, envTemporal)
	}
	db := ""
	if !o.InMemory {
		db = o.DB
		if db == "" {
			if err := os.MkdirAll(g.StateDir, 0o755); err != nil {
				return fmt.Errorf("server: creating --state-dir: %w", err)
			}
			db = filepath.Join(g.StateDir, "temporal.db")
		}
	}
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("server: --port %d: must be in 0..65535", o.Port)
	}
	ctx := cmd.Context()
	srv, err := devserver.Start(ctx, devserver.Config{
		DBPath:     db,
		IP:         o.IP,
		Port:       o.Port,
		Namespaces: []string{g.Namespace},
		Logger:     logger,
		LogLevel:   lvl,
	})
	if err != nil {
		if errors.Is(err, devserver.ErrPortBusy) {
			return fmt.Errorf("server: %w (choose another --port, or stop the process using it)", err)
		}
		return fmt.Errorf("server: %w", err)
	}
	where := db
	if where == "" {
		where = "memory"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "ready %s namespace=%s db=%s\n", srv.Addr(), g.Namespace, where)
	<-ctx.Done()
	logger.Info("stopping embedded Temporal server", "addr", srv.Addr())
	if err := srv.Stop(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}
