package worker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/umbra-ml/umbra/activities/api"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Task queues a worker can poll.
const (
	// QueueTrain runs TrainModel: one model per slot.
	QueueTrain = api.QueueTrain
	// QueueAttack runs the workflows and the other steps (Prepare, Attack,
	// Report), which read whole score arrays and so run a few at a time.
	QueueAttack = api.QueueAttack
)

// Queues lists the valid queue names, in the default order.
func Queues() []string { return []string{QueueTrain, QueueAttack} }

// Defaults for Config's zero-valued fields; Default returns them all.
const (
	DefaultTemporal    = "127.0.0.1:7233"
	DefaultNamespace   = "default"
	DefaultAttackSlots = 1
	DefaultMetricsAddr = ":9090"
	DefaultDialTimeout = 30 * time.Second
	// DefaultStopTimeout is how long a stopping worker waits for running
	// activities before cancelling their contexts. It is generous because a
	// TrainModel activity must notice the stop, finish its current step,
	// write a checkpoint (tens of MB to S3) and heartbeat its key; the
	// pod's termination grace period must exceed it.
	DefaultStopTimeout = 5 * time.Minute
)

// Config configures a worker process. Every field except Logger and
// Registry is set by a cmd/worker flag, named in Validate's errors.
type Config struct {
	// Temporal is the frontend's host:port (--temporal).
	Temporal string
	// Namespace is the Temporal namespace (--namespace).
	Namespace string

	// TLS enables TLS with the system roots even when no TLS file is given
	// (--tls). Setting any of the TLS fields below enables TLS too.
	TLS bool
	// TLSCA is a PEM file of CA certificates that replace the system roots
	// (--tls-ca).
	TLSCA string
	// TLSCert and TLSKey are PEM files of the client certificate and its
	// key, for mutual TLS; both or neither (--tls-cert, --tls-key).
	TLSCert, TLSKey string
	// TLSServerName overrides the name checked against the server's
	// certificate (--tls-server-name).
	TLSServerName string

	// Queues are the task queues to poll, each from Queues() (--queues).
	Queues []string
	// Slots is the number of TrainModel activities run at once on the
	// train queue, one model per slot (--slots).
	Slots int
	// AttackSlots is the number of activities run at once on the attack
	// queue (--attack-slots).
	AttackSlots int

	// Store is the artifact store URL handed to the activities
	// (file:///dir or s3://bucket/prefix?…; --store). Empty: activities use
	// the URL in their input.
	Store string

	// MetricsAddr is the listen address of /metrics and /healthz; empty
	// disables the server (--metrics-addr).
	MetricsAddr string
	// Pushgateway, when set, receives a push of all metrics as job
	// "umbra-worker" when Run returns (--pushgateway).
	Pushgateway string

	// DialTimeout bounds connecting to Temporal (--dial-timeout).
	DialTimeout time.Duration
	// StopTimeout is worker.Options.WorkerStopTimeout (--stop-timeout).
	StopTimeout time.Duration

	// Logger receives the worker's and the SDK's logs (nil: slog.Default()).
	Logger *slog.Logger
	// Registry receives Umbra's and the SDK's metrics and is what /metrics
	// serves and Pushgateway receives (nil: Run and Dial each create their
	// own; pass one to both so /metrics has the SDK metrics too).
	Registry *prometheus.Registry
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Temporal:    DefaultTemporal,
		Namespace:   DefaultNamespace,
		Queues:      Queues(),
		Slots:       runtime.NumCPU(),
		AttackSlots: DefaultAttackSlots,
		MetricsAddr: DefaultMetricsAddr,
		DialTimeout: DefaultDialTimeout,
		StopTimeout: DefaultStopTimeout,
	}
}

// ParseQueues splits a comma-separated list, trimming spaces and dropping
// empty entries. It does not validate names; Validate does.
func ParseQueues(s string) []string {
	var qs []string
	for q := range strings.SplitSeq(s, ",") {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
	}
	return qs
}

// ConfigError is an invalid Config field, named by its flag.
type ConfigError struct {
	Flag string // without dashes: "slots"
	Err  error
}

func (e *ConfigError) Error() string { return "--" + e.Flag + ": " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func fieldErr(flag, format string, args ...any) error {
	return &ConfigError{Flag: flag, Err: fmt.Errorf(format, args...)}
}

// Validate reports the first invalid field as a *ConfigError naming its
// flag. It reads the TLS files (to report an unreadable or malformed one
// now rather than at the first connection) but never quotes their contents.
func (c Config) Validate() error {
	if err := checkHostPort(c.Temporal); err != nil {
		return &ConfigError{Flag: "temporal", Err: err}
	}
	if strings.TrimSpace(c.Namespace) == "" {
		return fieldErr("namespace", "empty")
	}
	if len(c.Queues) == 0 {
		return fieldErr("queues", "no queue given; want one or more of %s", strings.Join(Queues(), ", "))
	}
	seen := map[string]bool{}
	for _, q := range c.Queues {
		if q != QueueTrain && q != QueueAttack {
			return fieldErr("queues", "unknown queue %q; want one or more of %s", q, strings.Join(Queues(), ", "))
		}
		if seen[q] {
			return fieldErr("queues", "queue %q listed twice", q)
		}
		seen[q] = true
	}
	if c.Slots < 1 {
		return fieldErr("slots", "%d: must be at least 1", c.Slots)
	}
	if c.AttackSlots < 1 {
		return fieldErr("attack-slots", "%d: must be at least 1", c.AttackSlots)
	}
	if _, err := c.TLSConfig(); err != nil {
		return err
	}
	if c.Store != "" {
		if err := checkStoreURL(c.Store); err != nil {
			return &ConfigError{Flag: "store", Err: err}
		}
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fieldErr("metrics-addr", "%q: want [host]:port or empty to disable", c.MetricsAddr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fieldErr("metrics-addr", "%q: bad port", c.MetricsAddr)
		}
	}
	if c.Pushgateway != "" {
		u, err := url.Parse(c.Pushgateway)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErr("pushgateway", "want http(s)://host:port")
		}
	}
	if c.DialTimeout <= 0 {
		return fieldErr("dial-timeout", "%v: must be > 0", c.DialTimeout)
	}
	if c.StopTimeout < 0 {
		return fieldErr("stop-timeout", "%v: must be >= 0", c.StopTimeout)
	}
	return nil
}

func checkHostPort(hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("%q: want host:port", hp)
	}
	if host == "" {
		return fmt.Errorf("%q: missing host", hp)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port must be 1–65535", hp)
	}
	return nil
}

// checkStoreURL checks the form of a store URL only; the activities open it
// (artifacts.Open) and report everything else. The worker does not import
// the artifacts package so that it stays a thin SDK-only layer.
func checkStoreURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL text may hold a password
		}
		return fmt.Errorf("unparsable URL: %v", err)
	}
	switch {
	case u.User != nil:
		return fmt.Errorf("%q: credentials in the URL are not accepted; use the environment (AWS_ACCESS_KEY_ID, …)", u.Redacted())
	case u.Scheme == "file" && u.Path != "" && (u.Host == "" || u.Host == "localhost"):
		return nil
	case u.Scheme == "s3" && u.Host != "":
		return nil
	}
	return fmt.Errorf("%q: want file:///dir or s3://bucket[/prefix][?…]", u.Redacted())
}

// TLSEnabled reports whether the connection to Temporal uses TLS.
func (c Config) TLSEnabled() bool {
	return c.TLS || c.TLSCA != "" || c.TLSCert != "" || c.TLSKey != "" || c.TLSServerName != ""
}

// TLSConfig builds the client's TLS configuration: nil when TLS is off.
// Errors name the flag and the file, never the file's contents.
func (c Config) TLSConfig() (*tls.Config, error) {
	if !c.TLSEnabled() {
		return nil, nil
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		if c.TLSCert == "" {
			return nil, fieldErr("tls-key", "given without --tls-cert; mutual TLS needs both")
		}
		return nil, fieldErr("tls-cert", "given without --tls-key; mutual TLS needs both")
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: c.TLSServerName,
	}
	if c.TLSCA != "" {
		pem, err := os.ReadFile(c.TLSCA)
		if err != nil {
			return nil, &ConfigError{Flag: "tls-ca", Err: err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fieldErr("tls-ca", "%s: no PEM certificate found", c.TLSCA)
		}
		cfg.RootCAs = pool
	}
	if c.TLSCert != "" {
		for _, f := range [...]struct{ flag, path string }{{"tls-cert", c.TLSCert}, {"tls-key", c.TLSKey}} {
			if _, err := os.Stat(f.path); err != nil {
				return nil, &ConfigError{Flag: f.flag, Err: err}
			}
		}
		// LoadX509KeyPair's errors describe the PEM structure, not the key.
		pair, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return nil, fieldErr("tls-cert", "%s with --tls-key %s: %w", c.TLSCert, c.TLSKey, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// LogValue lists the settings for a start-up log line: file paths, never
// their contents, and the store URL with any password redacted.
func (c Config) LogValue() slog.Value {
	store := c.Store
	if u, err := url.Parse(store); err == nil {
		store = u.Redacted()
	} else if store != "" {
		store = "<unparsable>"
	}
	push := c.Pushgateway
	if u, err := url.Parse(push); err == nil {
		push = u.Redacted()
	} else if push != "" {
		push = "<unparsable>"
	}
	return slog.GroupValue(
		slog.String("temporal", c.Temporal),
		slog.String("namespace", c.Namespace),
		slog.Bool("tls", c.TLSEnabled()),
		slog.String("tls_ca", c.TLSCA),
		slog.String("tls_cert", c.TLSCert),
		slog.Bool("tls_key_set", c.TLSKey != ""),
		slog.String("tls_server_name", c.TLSServerName),
		slog.String("queues", strings.Join(c.Queues, ",")),
		slog.Int("slots", c.Slots),
		slog.Int("attack_slots", c.AttackSlots),
		slog.String("store", store),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("pushgateway", push),
		slog.Duration("dial_timeout", c.DialTimeout),
		slog.Duration("stop_timeout", c.StopTimeout),
	)
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
