package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/umbra-ml/umbra/activities"
	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/cmd/starter/internal/devserver"
	"github.com/umbra-ml/umbra/worker"
)

// Environment variables of the connection flags the starter shares with
// the worker.
const (
	envStore         = "UMBRA_STORE"
	envTLS           = "UMBRA_TLS"
	envTLSCA         = "UMBRA_TLS_CA"
	envTLSCert       = "UMBRA_TLS_CERT"
	envTLSKey        = "UMBRA_TLS_KEY"
	envTLSServerName = "UMBRA_TLS_SERVER_NAME"
	envSlots         = "UMBRA_SLOTS"
)

// connOptions are the connection flags: TLS to a cluster, the artifact
// store, and the in-process worker's slots in embedded mode.
type connOptions struct {
	TLS           bool
	TLSCA         string
	TLSCert       string
	TLSKey        string
	TLSServerName string
	Store         string
	Slots         int
}

// addConnFlags registers the connection flags on cmd.
func addConnFlags(cmd *cobra.Command, o *connOptions) {
	f := cmd.Flags()
	f.BoolVar(&o.TLS, "tls", envOr(envTLS, "") == "true", "connect to Temporal with TLS (env "+envTLS+")")
	f.StringVar(&o.TLSCA, "tls-ca", envOr(envTLSCA, ""), "PEM file of the CA that signed the server's certificate (env "+envTLSCA+")")
	f.StringVar(&o.TLSCert, "tls-cert", envOr(envTLSCert, ""), "client certificate PEM for mTLS (env "+envTLSCert+")")
	f.StringVar(&o.TLSKey, "tls-key", envOr(envTLSKey, ""), "client key PEM for mTLS (env "+envTLSKey+")")
	f.StringVar(&o.TLSServerName, "tls-server-name", envOr(envTLSServerName, ""), "server name to verify (env "+envTLSServerName+")")
	f.StringVar(&o.Store, "store", envOr(envStore, ""), "artifact store URL, file:///dir or s3://bucket/prefix?endpoint=host:port (env "+envStore+"; default file://<state-dir>/artifacts in embedded mode)")
	slots := runtime.NumCPU()
	if v, err := strconv.Atoi(envOr(envSlots, "")); err == nil {
		slots = v
	}
	f.IntVar(&o.Slots, "slots", slots, "embedded mode: models trained at once by the in-process worker (env "+envSlots+")")
}

// session is a connection to Temporal: a cluster's, or an embedded server
// with (optionally) an in-process worker.
type session struct {
	Client   client.Client
	Store    string
	Embedded bool
	Slots    int
	log      *slog.Logger
	closers  []func()
	workerCh chan error
}

// Close stops what the session started, in reverse order.
func (s *session) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// workerConfig is the worker configuration for the session's flags.
func workerConfig(g *globalOptions, o *connOptions, addr string, log *slog.Logger) worker.Config {
	cfg := worker.Default()
	cfg.Temporal = addr
	cfg.Namespace = g.Namespace
	cfg.TLS, cfg.TLSCA, cfg.TLSCert, cfg.TLSKey, cfg.TLSServerName = o.TLS, o.TLSCA, o.TLSCert, o.TLSKey, o.TLSServerName
	cfg.Store = o.Store
	cfg.MetricsAddr = ""
	cfg.Logger = log
	cfg.DialTimeout = 15 * time.Second
	if o.Slots > 0 {
		cfg.Slots = o.Slots
	}
	return cfg
}

// connect opens a session. With --temporal it dials the cluster (and
// requires --store where the command needs one). Without it, it starts an
// embedded Temporal server on <state-dir>/temporal.db, holding a lock on the
// state directory so that two processes never open the same SQLite file,
// and, when withWorker is set, an in-process worker polling both queues.
func connect(ctx context.Context, g *globalOptions, o *connOptions, log *slog.Logger, lvl slog.Level, withWorker, needStore bool) (*session, error) {
	s := &session{log: log}
	if g.Temporal != "" {
		if needStore && o.Store == "" {
			return nil, fmt.Errorf("--store (or %s) is required with --temporal: the workers and this command must share one artifact store", envStore)
		}
		cfg := workerConfig(g, o, g.Temporal, log)
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		c, closeFn, err := worker.Dial(ctx, cfg)
		if err != nil {
			return nil, err
		}
		s.Client, s.Store = c, o.Store
		s.closers = append(s.closers, closeFn)
		return s, nil
	}
	state, err := filepath.Abs(g.StateDir)
	if err != nil {
		return nil, fmt.Errorf("--state-dir: %w", err)
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, fmt.Errorf("--state-dir: %w", err)
	}
	unlock, err := lockStateDir(state)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, unlock)
	if o.Store == "" {
		o.Store = "file://" + filepath.Join(state, "artifacts")
	}
	s.Store, s.Embedded = o.Store, true
	srv, err := devserver.Start(ctx, devserver.Config{
		DBPath: filepath.Join(state, "temporal.db"), Port: 0,
		Namespaces: []string{g.Namespace}, Logger: log, LogLevel: max(lvl, slog.LevelWarn),
	})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("embedded Temporal server: %w", err)
	}
	s.closers = append(s.closers, func() {
		if err := srv.Stop(); err != nil {
			log.Warn("stopping embedded Temporal server", "err", err)
		}
	})
	cfg := workerConfig(g, o, srv.Addr(), log)
	c, closeFn, err := worker.Dial(ctx, cfg)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Client = c
	s.closers = append(s.closers, closeFn)
	if withWorker {
		s.Slots = cfg.Slots
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.workerCh = make(chan error, 1)
		go func() { s.workerCh <- worker.Run(wctx, cfg, c, activities.WorkerRegistrations(activities.Options{})) }()
		s.closers = append(s.closers, func() {
			cancel()
			if err := <-s.workerCh; err != nil {
				log.Warn("in-process worker", "err", err)
			}
		})
	}
	return s, nil
}

// workerFailed returns the in-process worker's error once it has stopped
// on its own (nil channel otherwise).
func (s *session) workerFailed() <-chan error { return s.workerCh }

// lockStateDir takes an exclusive lock on <dir>/lock so that only one
// process runs the embedded server on the directory's database.
func lockStateDir(dir string) (func(), error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("state dir %s is in use by another umbra-starter process; wait for it, use another --state-dir, or run `umbra-starter server` and pass --temporal", dir)
		}
		return nil, fmt.Errorf("state dir lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// startOrAttach starts workflow id of type wfType on the attack queue, or
// attaches to it when it is already running (a finished one is started
// again: the content-addressed models make the new run reuse its work).
func startOrAttach(ctx context.Context, c client.Client, id, wfType string, input any) (client.WorkflowRun, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                api.QueueAttack,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: false,
	}, wfType, input)
	if err != nil {
		return nil, fmt.Errorf("starting %s %s: %w", wfType, id, err)
	}
	return run, nil
}
