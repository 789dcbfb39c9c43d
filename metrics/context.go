package metrics

import "context"

// ctxKey is the context key of a *Metrics.
type ctxKey struct{}

// NewContext returns a copy of ctx carrying m. The worker puts its Metrics in
// every activity's context this way (worker.Options.BackgroundActivityContext).
func NewContext(ctx context.Context, m *Metrics) context.Context {
	return context.WithValue(ctx, ctxKey{}, m)
}

// FromContext returns the Metrics carried by ctx, or nil (which records
// nothing) when there is none.
func FromContext(ctx context.Context) *Metrics {
	m, _ := ctx.Value(ctxKey{}).(*Metrics)
	return m
}
