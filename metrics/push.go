package metrics

import (
	"context"
	"fmt"
	"net/url"

	"github.com/prometheus/client_golang/prometheus/push"
)

// Push sends the current values to the Pushgateway at gatewayURL under the
// given job name, replacing what that job pushed before (HTTP PUT);
// user:password in the URL is sent as basic authentication. Use it at
// the end of a short-lived run (an embedded starter run, a one-shot worker)
// that Prometheus would never scrape.
//
// When New was given a registry that is also a Gatherer, everything in that
// registry is pushed (the Temporal SDK's metrics too); otherwise only Umbra's
// own instruments are. A nil Metrics pushes nothing and returns nil.
func (m *Metrics) Push(ctx context.Context, gatewayURL, job string) error {
	if m == nil {
		return nil
	}
	u, err := url.Parse(gatewayURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("metrics: pushgateway URL %q: want http(s)://host:port", redact(gatewayURL))
	}
	if job == "" {
		return fmt.Errorf("metrics: push to %s: job name is empty", u.Redacted())
	}
	// Credentials in the URL move to a header so that the pushed URL, which
	// the library quotes in its errors, holds none.
	var user *url.Userinfo
	user, u.User = u.User, nil
	p := push.New(u.String(), job)
	if user != nil {
		pw, _ := user.Password()
		p = p.BasicAuth(user.Username(), pw)
	}
	if m.gatherer != nil {
		p = p.Gatherer(m.gatherer)
	} else {
		for _, c := range m.collectors() {
			p = p.Collector(c)
		}
	}
	if err := p.PushContext(ctx); err != nil {
		return fmt.Errorf("metrics: push job %q to %s: %w", job, u.Redacted(), err)
	}
	return nil
}

// redact hides a password in a URL that url.Parse accepted; unparsable text
// is replaced wholesale since it may hold one.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}
