package metrics

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves:
//
//	GET /metrics   everything registered in g, in the Prometheus text format
//	               (OpenMetrics when the scraper asks for it)
//	GET /healthz   200 "ok" while health returns nil, 503 and the error text
//	               otherwise; a nil health is always healthy
//
// Gathering errors are logged to logger (nil: discarded) and served as a 500
// only when nothing could be gathered (promhttp.ContinueOnError).
func Handler(g prometheus.Gatherer, health func() error, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	opts := promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	}
	if logger != nil {
		opts.ErrorLog = slogPrinter{logger}
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, opts))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if health != nil {
			if err := health(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = fmt.Fprintln(w, err)
				return
			}
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// slogPrinter adapts slog to promhttp.Logger.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.l.Warn("metrics: gathering", "error", fmt.Sprint(v...))
}
