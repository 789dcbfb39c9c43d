package report

import (
	"io"
	"testing"

	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/spec"
)

// BenchmarkThinROC thins the exact ROC of 25,000 members and 25,000
// non-members; it reports the number of points kept.
func BenchmarkThinROC(b *testing.B) {
	roc := noisyROC(b, 25000, 1, 3)
	var c Curve
	for b.Loop() {
		var err error
		if c, err = ThinROC(roc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.FPR)), "points")
}

// benchReport is a report of 7 attacks × 4 targets, 25,000 examples per
// class, with one score histogram.
func benchReport(b *testing.B) *Report {
	s := testSpec(b, "bench")
	s.Shadows.Count = 16
	s.Eval.Targets = 4
	names := []string{spec.AttackLiRAOnline, spec.AttackLiRAOffline, spec.AttackLiRAOnlineFixedVar,
		spec.AttackLiRAOfflineFixedVar, spec.AttackRMIA, spec.AttackLoss, spec.AttackConfidence}
	s.Attacks = nil
	for _, n := range names {
		s.Attacks = append(s.Attacks, spec.DefaultAttack(n))
	}
	s.Resolve()
	in := Input{Spec: s, Trained: 16}
	for i, n := range names {
		res := AttackResult{Label: n}
		for tg := range 4 {
			roc := noisyROC(b, 25000, 0.2+0.1*float64(i), uint64(10*i+tg))
			m, err := roc.Summarize(attacks.MetricOptions{})
			if err != nil {
				b.Fatal(err)
			}
			res.PerTarget = append(res.PerTarget, attacks.TargetMetrics{Target: tg, Metrics: m,
				Members: roc.Positives, NonMembers: roc.Negatives})
			res.ROCs = append(res.ROCs, roc)
		}
		in.Attacks = append(in.Attacks, res)
	}
	r, err := Build(in)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkWriteHTML(b *testing.B) {
	r := benchReport(b)
	var n int64
	for b.Loop() {
		cw := &countWriter{}
		if err := WriteHTML(cw, r); err != nil {
			b.Fatal(err)
		}
		n = cw.n
	}
	b.ReportMetric(float64(n), "html-bytes")
}

func BenchmarkWriteJSON(b *testing.B) {
	r := benchReport(b)
	var n int64
	for b.Loop() {
		cw := &countWriter{}
		if err := r.WriteJSON(cw); err != nil {
			b.Fatal(err)
		}
		n = cw.n
	}
	b.ReportMetric(float64(n), "json-bytes")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
