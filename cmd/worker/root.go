package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/umbra-ml/umbra/worker"
)

// envPrefix precedes every flag's environment variable: --tls-ca is
// UMBRA_TLS_CA.
const envPrefix = "UMBRA_"

// envName is the environment variable of a flag.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// options are the parsed flags.
type options struct {
	cfg      worker.Config
	queues   string
	logLevel string
}

// newRootCmd builds the command; logs go to logOut, environment variables
// come from lookup (os.LookupEnv).
func newRootCmd(logOut io.Writer, regs worker.Registrations, lookup func(string) (string, bool)) *cobra.Command {
	cmd, _ := newCommand(logOut, regs, lookup)
	return cmd
}

// newCommand is newRootCmd that also returns the options the flags fill.
func newCommand(logOut io.Writer, regs worker.Registrations, lookup func(string) (string, bool)) (*cobra.Command, *options) {
	o := &options{cfg: worker.Default()}
	cmd := &cobra.Command{
		Use:   "umbra-worker",
		Short: "Run Umbra's Temporal workflows and activities",
		Long: `umbra-worker polls Umbra's Temporal task queues and runs the workflows and
activities on them. Every flag can also be set by an environment variable,
UMBRA_ and the flag's name in capitals with '_' for '-' (--tls-ca: UMBRA_TLS_CA);
a flag on the command line beats the variable, which beats the default. A
variable set to the empty string counts as set.

SIGINT or SIGTERM stops polling and gives running activities --stop-timeout
to checkpoint and return.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, o, logOut, regs, lookup)
		},
	}
	cmd.SetErr(logOut)
	f := cmd.Flags()
	c := &o.cfg
	f.StringVar(&c.Temporal, "temporal", c.Temporal, "Temporal frontend host:port")
	f.StringVar(&c.Namespace, "namespace", c.Namespace, "Temporal namespace")
	f.BoolVar(&c.TLS, "tls", false, "connect with TLS using the system roots (implied by any --tls-* flag)")
	f.StringVar(&c.TLSCA, "tls-ca", "", "PEM file of CA certificates to trust instead of the system roots")
	f.StringVar(&c.TLSCert, "tls-cert", "", "PEM client certificate for mutual TLS (with --tls-key)")
	f.StringVar(&c.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	f.StringVar(&c.TLSServerName, "tls-server-name", "", "server name to verify the frontend's certificate against")
	f.StringVar(&o.queues, "queues", strings.Join(worker.Queues(), ","), "comma-separated task queues to poll: "+strings.Join(worker.Queues(), ", "))
	f.IntVar(&c.Slots, "slots", c.Slots, "training slots: TrainModel activities run at once on "+worker.QueueTrain+", one model each (default: CPUs)")
	f.IntVar(&c.AttackSlots, "attack-slots", c.AttackSlots, "activities run at once on "+worker.QueueAttack)
	f.StringVar(&c.Store, "store", "", "artifact store URL: file:///dir or s3://bucket/prefix?endpoint=host:port")
	f.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "listen address of /metrics and /healthz; empty disables")
	f.StringVar(&c.Pushgateway, "pushgateway", "", "Prometheus Pushgateway URL to push metrics to on exit (job "+worker.PushJob+")")
	f.DurationVar(&c.DialTimeout, "dial-timeout", c.DialTimeout, "give up connecting to Temporal after this long")
	f.DurationVar(&c.StopTimeout, "stop-timeout", c.StopTimeout, "on SIGTERM, how long running activities get to checkpoint before their context is cancelled")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.VisitAll(func(fl *pflag.Flag) {
		fl.Usage += " (env " + envName(fl.Name) + ")"
	})
	// The CPU count is machine-specific: keep it out of the help's default.
	f.Lookup("slots").DefValue = "0"
	return cmd, o
}

// applyEnv sets every flag not given on the command line from its
// environment variable, if that is set. Errors name the variable.
func applyEnv(f *pflag.FlagSet, lookup func(string) (string, bool)) error {
	var errs []error
	f.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed {
			return
		}
		name := envName(fl.Name)
		v, ok := lookup(name)
		if !ok {
			return
		}
		if err := fl.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q (--%s): %w", name, v, fl.Name, err))
		}
	})
	return errors.Join(errs...)
}

// config applies the environment, then returns the validated Config. A
// validation error about a flag that came from the environment says so.
func (o *options) config(f *pflag.FlagSet, lookup func(string) (string, bool)) (worker.Config, error) {
	if err := applyEnv(f, lookup); err != nil {
		return worker.Config{}, err
	}
	o.cfg.Queues = worker.ParseQueues(o.queues)
	if err := o.cfg.Validate(); err != nil {
		var ce *worker.ConfigError
		if errors.As(err, &ce) {
			if fl := f.Lookup(ce.Flag); fl != nil && !fl.Changed {
				if _, ok := lookup(envName(ce.Flag)); ok {
					return worker.Config{}, fmt.Errorf("%w (set by %s)", err, envName(ce.Flag))
				}
			}
		}
		return worker.Config{}, err
	}
	return o.cfg, nil
}

func parseLevel(s string) (slog.Level, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return lvl, nil
}

func run(cmd *cobra.Command, o *options, logOut io.Writer, regs worker.Registrations, lookup func(string) (string, bool)) error {
	cfg, err := o.config(cmd.Flags(), lookup)
	if err != nil {
		return err
	}
	lvl, err := parseLevel(o.logLevel)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: lvl}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg.Logger, cfg.Registry = logger, reg
	logger.Info("umbra-worker starting", "config", cfg, "go", runtime.Version())

	ctx := cmd.Context()
	c, closeClient, err := worker.Dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeClient()
	return worker.Run(ctx, cfg, c, regs)
}
