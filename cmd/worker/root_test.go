package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbra-ml/umbra/worker"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// parse runs flag parsing and the environment like the command does, up to
// the validated Config.
func parse(t *testing.T, args []string, env map[string]string) (worker.Config, *options, error) {
	t.Helper()
	cmd, o := newCommand(io.Discard, worker.Registrations{}, envMap(env))
	if err := cmd.ParseFlags(args); err != nil {
		return worker.Config{}, o, err
	}
	cfg, err := o.config(cmd.Flags(), envMap(env))
	return cfg, o, err
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{
		"temporal":        "UMBRA_TEMPORAL",
		"tls-ca":          "UMBRA_TLS_CA",
		"tls-server-name": "UMBRA_TLS_SERVER_NAME",
		"metrics-addr":    "UMBRA_METRICS_ADDR",
		"log-level":       "UMBRA_LOG_LEVEL",
	} {
		if got := envName(flag); got != want {
			t.Errorf("envName(%q) = %q, want %q", flag, got, want)
		}
	}
}

func TestPrecedence(t *testing.T) {
	env := map[string]string{
		"UMBRA_TEMPORAL":     "env-host:7233",
		"UMBRA_NAMESPACE":    "env-ns",
		"UMBRA_SLOTS":        "5",
		"UMBRA_QUEUES":       "umbra-attack",
		"UMBRA_METRICS_ADDR": "", // set but empty: disables
		"UMBRA_STOP_TIMEOUT": "90s",
		"UMBRA_LOG_LEVEL":    "debug",
	}
	for _, tc := range []struct {
		name      string
		args      []string
		env       map[string]string
		temporal  string
		namespace string
		slots     int
		queues    []string
		metrics   string
		stop      time.Duration
		logLevel  string
	}{
		{
			name: "defaults", temporal: "127.0.0.1:7233", namespace: "default", slots: runtime.NumCPU(),
			queues: []string{"umbra-train", "umbra-attack"}, metrics: ":9090", stop: worker.DefaultStopTimeout, logLevel: "info",
		},
		{
			name: "env beats default", env: env, temporal: "env-host:7233", namespace: "env-ns", slots: 5,
			queues: []string{"umbra-attack"}, metrics: "", stop: 90 * time.Second, logLevel: "debug",
		},
		{
			name: "flag beats env", env: env,
			args:     []string{"--temporal", "flag-host:7000", "--slots=2", "--queues", "umbra-train", "--metrics-addr", "127.0.0.1:9999", "--log-level", "warn"},
			temporal: "flag-host:7000", namespace: "env-ns", slots: 2,
			queues: []string{"umbra-train"}, metrics: "127.0.0.1:9999", stop: 90 * time.Second, logLevel: "warn",
		},
		{
			name: "flag beats default", args: []string{"--namespace", "exp", "--slots", "1", "--metrics-addr="},
			temporal: "127.0.0.1:7233", namespace: "exp", slots: 1,
			queues: []string{"umbra-train", "umbra-attack"}, metrics: "", stop: worker.DefaultStopTimeout, logLevel: "info",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, o, err := parse(t, tc.args, tc.env)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if cfg.Temporal != tc.temporal || cfg.Namespace != tc.namespace || cfg.Slots != tc.slots ||
				cfg.MetricsAddr != tc.metrics || cfg.StopTimeout != tc.stop || o.logLevel != tc.logLevel {
				t.Errorf("got temporal %q namespace %q slots %d metrics %q stop %v log %q;\nwant %q %q %d %q %v %q",
					cfg.Temporal, cfg.Namespace, cfg.Slots, cfg.MetricsAddr, cfg.StopTimeout, o.logLevel,
					tc.temporal, tc.namespace, tc.slots, tc.metrics, tc.stop, tc.logLevel)
			}
			if !slices.Equal(cfg.Queues, tc.queues) {
				t.Errorf("queues %q, want %q", cfg.Queues, tc.queues)
			}
		})
	}
}

func TestTLSFromEnv(t *testing.T) {
	// Only the file names travel through flags/env; contents are read by
	// Validate, which fails here because the files do not exist.
	_, _, err := parse(t, nil, map[string]string{"UMBRA_TLS_CA": "/nonexistent/ca.pem"})
	if err == nil || !strings.HasPrefix(err.Error(), "--tls-ca: ") || !strings.Contains(err.Error(), "(set by UMBRA_TLS_CA)") {
		t.Errorf("CA from env: %v, want a --tls-ca error saying UMBRA_TLS_CA set it", err)
	}
	_, _, err = parse(t, []string{"--tls-ca", "/nonexistent/ca.pem"}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "--tls-ca: ") || strings.Contains(err.Error(), "set by") {
		t.Errorf("CA from flag: %v, want a --tls-ca error without 'set by'", err)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"bad queue flag", []string{"--queues", "umbra-train,umbra-atack"}, nil, []string{"--queues: ", `"umbra-atack"`}},
		{"bad queue env", nil, map[string]string{"UMBRA_QUEUES": "gpu"}, []string{"--queues: ", `"gpu"`, "set by UMBRA_QUEUES"}},
		{"slots 0", []string{"--slots", "0"}, nil, []string{"--slots: 0: must be at least 1"}},
		{"slots 0 env", nil, map[string]string{"UMBRA_SLOTS": "0"}, []string{"--slots: ", "set by UMBRA_SLOTS"}},
		{"slots not a number (env)", nil, map[string]string{"UMBRA_SLOTS": "many"}, []string{`UMBRA_SLOTS="many" (--slots)`}},
		{"slots not a number (flag)", []string{"--slots", "many"}, nil, []string{"--slots"}},
		{"duration env", nil, map[string]string{"UMBRA_DIAL_TIMEOUT": "soon"}, []string{`UMBRA_DIAL_TIMEOUT="soon"`}},
		{"cert without key", []string{"--tls-cert", "/etc/hostname"}, nil, []string{"--tls-cert: ", "without --tls-key"}},
		{"key without cert env", nil, map[string]string{"UMBRA_TLS_KEY": "/etc/hostname"}, []string{"--tls-key: ", "set by UMBRA_TLS_KEY"}},
		{"unknown flag", []string{"--slot", "3"}, nil, []string{"unknown flag: --slot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(t, tc.args, tc.env)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestBadLogLevel(t *testing.T) {
	var logs bytes.Buffer
	cmd := newRootCmd(&logs, worker.Registrations{}, envMap(nil))
	cmd.SetArgs([]string{"--log-level", "loud", "--metrics-addr="})
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), `--log-level "loud"`) {
		t.Errorf("bad log level: %v", err)
	}
}

// TestUnreachableServer runs the whole command against a closed port: it
// fails with an error naming the address instead of hanging.
func TestUnreachableServer(t *testing.T) {
	var logs bytes.Buffer
	cmd := newRootCmd(&logs, worker.Registrations{}, envMap(map[string]string{"UMBRA_DIAL_TIMEOUT": "3s"}))
	cmd.SetArgs([]string{"--temporal", "127.0.0.1:1", "--metrics-addr="})
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "temporal at 127.0.0.1:1") || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("unreachable server: %v", err)
	}
	var ce *worker.ConfigError
	if errors.As(err, &ce) {
		t.Errorf("unreachable server reported as a config error: %v", err)
	}
	if !strings.Contains(logs.String(), "umbra-worker starting") {
		t.Errorf("no start-up log line: %s", logs.String())
	}
}

func TestHelpListsEnv(t *testing.T) {
	var out bytes.Buffer
	cmd := newRootCmd(&out, worker.Registrations{}, envMap(nil))
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--temporal", "(env UMBRA_TEMPORAL)", "(env UMBRA_TLS_SERVER_NAME)", "(env UMBRA_QUEUES)", "(env UMBRA_SLOTS)", "(env UMBRA_LOG_LEVEL)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
