package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/artifacts/npy"
	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/report"
)

// Export file names under the experiment prefix.
const (
	scoresExport = "scores.npy"
	keepExport   = "keep.npy"
	labelsExport = "labels.npy"
)

// Report builds report.json and report.html from the stored attack outputs
// and writes them, with the scores.npy export (float32, models × examples ×
// augmentations), under the experiment prefix. Metrics and ROC curves are
// recomputed from the stored float64 per-target scores, so the table and
// the curves come from the same numbers.
func (a *Activities) Report(ctx context.Context, in api.ReportInput) (api.ReportOutput, error) {
	s, err := parseSpec(in.Spec)
	if err != nil {
		return api.ReportOutput{}, err
	}
	st, err := a.store(ctx, in.StoreURL)
	if err != nil {
		return api.ReportOutput{}, err
	}
	raw, err := artifacts.Get(ctx, st, in.AttackSummaryKey)
	if err != nil {
		return api.ReportOutput{}, fmt.Errorf("attack summary: %w", err)
	}
	var sum AttackSummary
	if err := json.Unmarshal(raw, &sum); err != nil {
		return api.ReportOutput{}, fmt.Errorf("attack summary %s: %w", in.AttackSummaryKey, err)
	}
	m, n := sum.Models, sum.Examples
	keepFlat, err := readBoolNPY(ctx, st, in.ExperimentPrefix+keepExport, m, n)
	if err != nil {
		return api.ReportOutput{}, err
	}
	keep := &attacks.Keep{M: m, N: n, In: keepFlat}
	mopts := attacks.MetricOptions{FPRs: s.Metrics.FPR}
	var results []report.AttackResult
	for _, e := range sum.Attacks {
		per, err := readTargetScores(ctx, st, e.ScoresKey, sum.Targets, n)
		if err != nil {
			return api.ReportOutput{}, fmt.Errorf("attack %s: %w", e.Label, err)
		}
		agg, rocs, err := attacks.Evaluate(e.Label, per, keep, mopts)
		if err != nil {
			return api.ReportOutput{}, fmt.Errorf("attack %s: %w", e.Label, err)
		}
		r := report.AttackResult{Label: e.Label, PerTarget: agg.PerTarget, ROCs: rocs}
		if len(per) > 0 {
			r.Scores = &report.ScoreSample{Target: per[0].Target, Scores: per[0].Scores, Member: keep.Row(per[0].Target)}
		}
		results = append(results, r)
	}
	t := in.Timing
	rep, err := report.Build(report.Input{
		Spec:               s,
		DatasetFingerprint: in.DatasetFingerprint,
		Trained:            in.Trained,
		Reused:             in.Reused,
		Timing:             report.Timing{WallSeconds: t.WallSeconds, TrainSeconds: t.TrainSeconds, TrainWorkers: t.TrainWorkers, AttackSeconds: t.AttackSeconds},
		Attacks:            results,
		UmbraVersion:       in.Version,
	})
	if err != nil {
		return api.ReportOutput{}, fmt.Errorf("build report: %w", err)
	}
	out := api.ReportOutput{
		ReportJSONKey: in.ExperimentPrefix + report.JSONFile,
		ReportHTMLKey: in.ExperimentPrefix + report.HTMLFile,
	}
	js, err := rep.MarshalIndent()
	if err != nil {
		return api.ReportOutput{}, err
	}
	var html bytes.Buffer
	if err := report.WriteHTML(&html, rep); err != nil {
		return api.ReportOutput{}, err
	}
	if err := putBytes(ctx, st, out.ReportJSONKey, js); err != nil {
		return api.ReportOutput{}, err
	}
	if err := putBytes(ctx, st, out.ReportHTMLKey, html.Bytes()); err != nil {
		return api.ReportOutput{}, err
	}
	scoresKey, err := exportScores(ctx, st, s.Shadows.Count, n, sum.Augmentations, in)
	if err != nil {
		return api.ReportOutput{}, err
	}
	out.OtherKeys = []string{scoresKey, in.ExperimentPrefix + keepExport, in.ExperimentPrefix + labelsExport}
	for _, e := range sum.Attacks {
		out.OtherKeys = append(out.OtherKeys, e.ScoresKey)
	}
	return out, nil
}

// readTargetScores reads a targets × examples float64 score file.
func readTargetScores(ctx context.Context, st artifacts.Store, key string, targets []int, n int) ([]attacks.TargetScores, error) {
	rc, _, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	v, shape, err := npy.ReadFloat64(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if len(shape) != 2 || shape[0] != len(targets) || shape[1] != n {
		return nil, fmt.Errorf("%s: shape %v, want [%d %d]", key, shape, len(targets), n)
	}
	out := make([]attacks.TargetScores, len(targets))
	for i, t := range targets {
		row := v[i*n : (i+1)*n]
		var ex []int
		for j, x := range row {
			if x != x { // NaN marks an excluded example
				ex = append(ex, j)
			}
		}
		out[i] = attacks.TargetScores{Target: t, Scores: row, Excluded: ex}
	}
	return out, nil
}

// exportScores stacks every model's scores.npy into the experiment's
// scores.npy (float32, models × examples × augmentations), streaming model
// by model.
func exportScores(ctx context.Context, st artifacts.Store, m, n, na int, in api.ReportInput) (string, error) {
	key := in.ExperimentPrefix + scoresExport
	keys := modelKeys(in.Models)
	_, err := artifacts.PutStream(ctx, st, key, -1, artifacts.PutOptions{}, func(w io.Writer) error {
		nw, err := npy.NewWriter(w, npy.Float32, []int{m, n, na})
		if err != nil {
			return err
		}
		for i := range m {
			rc, _, err := st.Get(ctx, artifacts.ScoresKey(keys(i)))
			if err != nil {
				return fmt.Errorf("model %d scores: %w", i, err)
			}
			v, _, err := npy.ReadFloat32(rc)
			rc.Close()
			if err != nil {
				return fmt.Errorf("model %d scores: %w", i, err)
			}
			if len(v) != n*na {
				return fmt.Errorf("model %d scores: %d values, want %d", i, len(v), n*na)
			}
			if err := nw.Float32(v); err != nil {
				return err
			}
		}
		return nw.Close()
	})
	if err != nil {
		return "", fmt.Errorf("export %s: %w", key, err)
	}
	return key, nil
}

// putBytes stores a small object.
func putBytes(ctx context.Context, st artifacts.Store, key string, b []byte) error {
	_, err := artifacts.PutStream(ctx, st, key, int64(len(b)), artifacts.PutOptions{}, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}
