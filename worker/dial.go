package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	sdklog "go.temporal.io/sdk/log"
)

// sdkMetricsInterval is how often the SDK's tally scope flushes into the
// Prometheus registry: /metrics lags the SDK by at most this much.
const sdkMetricsInterval = time.Second

// ClientOptions returns the Temporal client options for cfg: address,
// namespace, TLS, the SDK's logs on cfg's logger, and the given metrics
// handler (nil: none).
func (c Config) ClientOptions(mh client.MetricsHandler) (client.Options, error) {
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return client.Options{}, err
	}
	return client.Options{
		HostPort:          c.Temporal,
		Namespace:         c.Namespace,
		Logger:            sdklog.NewStructuredLogger(c.logger()),
		MetricsHandler:    mh,
		ConnectionOptions: client.ConnectionOptions{TLS: tlsCfg},
	}, nil
}

// Dial connects to Temporal within cfg.DialTimeout and returns the client
// and a function that closes it. When cfg.Registry is set, the SDK's own
// metrics (temporal_request, temporal_activity_execution_latency, …) are
// bridged into it through tally, so /metrics serves them beside Umbra's.
//
// An unreachable server yields an error naming the address, the namespace
// and the timeout.
func Dial(ctx context.Context, cfg Config) (client.Client, func(), error) {
	if cfg.DialTimeout <= 0 {
		return nil, nil, fieldErr("dial-timeout", "%v: must be > 0", cfg.DialTimeout)
	}
	var mh client.MetricsHandler
	closeScope := func() {}
	if cfg.Registry != nil {
		var scope tally.Scope
		scope, closeScope = sdkMetricsScope(cfg.Registry, cfg.logger())
		mh = sdktally.NewMetricsHandler(scope)
	}
	opts, err := cfg.ClientOptions(mh)
	if err != nil {
		closeScope()
		return nil, nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		closeScope()
		why := "unreachable"
		switch {
		case ctx.Err() != nil:
			why = "interrupted"
		case errors.Is(dctx.Err(), context.DeadlineExceeded):
			why = fmt.Sprintf("unreachable within %v (--dial-timeout)", cfg.DialTimeout)
		}
		return nil, nil, fmt.Errorf("temporal at %s (namespace %q, tls %v): %s: %w",
			cfg.Temporal, cfg.Namespace, cfg.TLSEnabled(), why, err)
	}
	return c, func() {
		c.Close()
		closeScope()
	}, nil
}

// sdkMetricsScope returns a tally scope reporting into reg with Prometheus
// naming, and its closer. Timers become histograms. A metric the SDK emits
// with two different tag sets cannot be one Prometheus family; the second
// form is dropped and logged once per registration attempt at debug level
// rather than panicking, tally's default.
func sdkMetricsScope(reg *prometheus.Registry, logger *slog.Logger) (tally.Scope, func()) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       reg,
		Gatherer:         reg,
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			logger.Debug("temporal sdk metric not exported", "error", err)
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, sdkMetricsInterval)
	return sdktally.NewPrometheusNamingScope(scope), func() { _ = closer.Close() }
}
