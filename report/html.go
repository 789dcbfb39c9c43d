package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/umbra-ml/umbra/spec"
)

// htmlView is what the template renders. The SVG strings come from
// gonum/plot's vgsvg, which escapes every text it draws (titles, legend
// entries: attack labels are user text), so they are trusted as HTML.
type htmlView struct {
	R          *Report
	FPRKeys    []string
	AxisMin    string
	Comparison template.HTML
	Attacks    []attackView
	ModelDesc  string
	TrainDesc  []kv
}

type attackView struct {
	A    *Attack
	ROC  template.HTML
	Hist template.HTML
}

type kv struct{ K, V string }

var htmlFuncs = template.FuncMap{
	"ms": func(m MeanStd) string {
		if m.Std == nil {
			return strconv.FormatFloat(m.Mean, 'f', 4, 64)
		}
		return fmt.Sprintf("%.4f ± %.4f", m.Mean, *m.Std)
	},
	"f4":   func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) },
	"secs": func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " s" },
	"pct": func(v *float64) string {
		if v == nil {
			return "n/a (wall time unknown)"
		}
		return strconv.FormatFloat(100**v, 'f', 1, 64) + " %"
	},
	"msAt": func(m map[string]MeanStd, k string) MeanStd { return m[k] },
	"at":   func(m map[string]float64, k string) float64 { return m[k] },
	"join": func(xs []string) string { return strings.Join(xs, ", ") },
	"ints": func(xs []int) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ", ")
	},
}

var htmlTemplate = template.Must(template.New("report").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Umbra report: {{.R.Experiment}}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:75em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
table.kv td{text-align:left}
code{font-size:.9em}
.plots{display:flex;flex-wrap:wrap;gap:1em}
.note{color:#666;font-size:.9em}
</style>
</head>
<body>
<h1>Umbra report: {{.R.Experiment}}</h1>
{{with .R.Description}}<p>{{.}}</p>{{end}}
<p class="note">spec hash <code>{{.R.SpecHash}}</code> · umbra {{.R.UmbraVersion}} · report schema version {{.R.Version}}</p>

<h2>Metrics</h2>
<p class="note">Mean ± sample standard deviation over targets (no ± with a single target).</p>
<table id="metrics">
<thead><tr><th>attack</th><th>method</th><th>targets</th><th>AUC</th>{{range .FPRKeys}}<th>TPR @ FPR {{.}}</th>{{end}}<th>balanced accuracy</th><th>advantage</th><th>excluded</th></tr></thead>
<tbody>
{{- range .Attacks}}{{$a := .A}}
<tr><td>{{$a.Name}}</td><td>{{$a.Method}}</td><td>{{len $a.PerTarget}}</td><td>{{ms $a.AUC}}</td>{{range $.FPRKeys}}<td>{{ms (msAt $a.TPRAtFPR .)}}</td>{{end}}<td>{{ms $a.BalancedAccuracy}}</td><td>{{ms $a.Advantage}}</td><td>{{$a.Excluded}}</td></tr>
{{- end}}
</tbody>
</table>
{{if .Comparison}}
<h2>ROC curves, all attacks</h2>
<div class="plots">{{.Comparison}}</div>
<p class="note">Log-log axes from {{.AxisMin}} to 1; points with FPR or TPR below {{.AxisMin}} (in particular 0) are drawn at {{.AxisMin}}. The dashed grey line is chance (TPR = FPR).</p>
{{end}}

<h2>Experiment</h2>
<table class="kv">
<tr><td>dataset</td><td>{{.R.Dataset.Name}}</td></tr>
<tr><td>dataset fingerprint</td><td><code>{{.R.Dataset.Fingerprint}}</code></td></tr>
<tr><td>universe / population</td><td>{{.R.Dataset.Universe}} / {{.R.Dataset.Population}}</td></tr>
<tr><td>model</td><td><code>{{.ModelDesc}}</code></td></tr>
{{- range .TrainDesc}}
<tr><td>{{.K}}</td><td>{{.V}}</td></tr>
{{- end}}
<tr><td>models (trained / reused / total)</td><td>{{.R.Models.Trained}} / {{.R.Models.Reused}} / {{.R.Models.Count}}</td></tr>
<tr><td>targets</td><td>{{ints .R.Targets}}</td></tr>
<tr><td>query augmentations</td><td>{{join .R.QueryAugmentations}}</td></tr>
</table>

<h2>Timing</h2>
<table class="kv" id="timing">
<tr><td>wall time</td><td>{{secs .R.Timing.WallSeconds}}</td></tr>
<tr><td>training (sum over models)</td><td>{{secs .R.Timing.TrainSeconds}}</td></tr>
<tr><td>concurrent trainings</td><td>{{.R.Timing.TrainWorkers}}</td></tr>
<tr><td>attacks</td><td>{{secs .R.Timing.AttackSeconds}}</td></tr>
<tr><td>orchestration overhead</td><td>{{pct .R.Timing.OrchestrationOverhead}}</td></tr>
</table>
{{range .Attacks}}{{$a := .A}}
<h2>{{$a.Name}}{{if ne $a.Name $a.Method}} ({{$a.Method}}){{end}}</h2>
<div class="plots">{{.ROC}}{{.Hist}}</div>
{{if not .ROC}}<p class="note">No ROC curve was recorded for this attack.</p>{{end}}
<table>
<thead><tr><th>target</th><th>members</th><th>non-members</th><th>excluded</th><th>AUC</th>{{range $.FPRKeys}}<th>TPR @ FPR {{.}}</th>{{end}}<th>balanced accuracy</th><th>advantage</th></tr></thead>
<tbody>
{{- range $a.PerTarget}}{{$t := .}}
<tr><td>{{$t.Target}}</td><td>{{$t.Members}}</td><td>{{$t.NonMembers}}</td><td>{{$t.Excluded}}</td><td>{{f4 $t.AUC}}</td>{{range $.FPRKeys}}<td>{{f4 (at $t.TPRAtFPR .)}}</td>{{end}}<td>{{f4 $t.BalancedAccuracy}}</td><td>{{f4 $t.Advantage}}</td></tr>
{{- end}}
</tbody>
</table>
{{end}}
</body>
</html>
`))

// WriteHTML writes report.html: a single self-contained page (inline CSS
// and SVG, no scripts, no external assets) with the metrics table, the ROC
// comparison plot, the experiment summary, timings and, per attack, its
// log-log ROC plot, score histogram (when present) and per-target table.
// It needs only the Report, so a report.json read back with ReadJSON
// renders the same page.
func WriteHTML(w io.Writer, r *Report) error {
	if err := r.Validate(); err != nil {
		return err
	}
	lo := axisMin(r)
	v := htmlView{
		R:         r,
		AxisMin:   strconv.FormatFloat(lo, 'g', -1, 64),
		ModelDesc: modelDesc(r.Model),
		TrainDesc: trainDesc(r.Training),
		Attacks:   make([]attackView, len(r.Attacks)),
	}
	if len(r.Attacks) > 0 {
		v.FPRKeys = sortedFPRKeys(r.Attacks[0].TPRAtFPR)
	}
	anyCurve := false
	for i := range r.Attacks {
		a := &r.Attacks[i]
		v.Attacks[i].A = a
		if len(attackCurves(a)) > 0 {
			anyCurve = true
			p, err := attackROCPlot(a, lo)
			if err != nil {
				return fmt.Errorf("report: ROC plot of attack %q: %w", a.Name, err)
			}
			svg, err := renderSVG(p)
			if err != nil {
				return err
			}
			v.Attacks[i].ROC = template.HTML(svg)
		}
		if a.ScoreHistogram != nil {
			p, err := histogramPlot(a)
			if err != nil {
				return fmt.Errorf("report: histogram of attack %q: %w", a.Name, err)
			}
			svg, err := renderSVG(p)
			if err != nil {
				return err
			}
			v.Attacks[i].Hist = template.HTML(svg)
		}
	}
	if anyCurve {
		p, err := comparisonPlot(r, lo)
		if err != nil {
			return fmt.Errorf("report: comparison plot: %w", err)
		}
		svg, err := renderSVG(p)
		if err != nil {
			return err
		}
		v.Comparison = template.HTML(svg)
	}
	if err := htmlTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("report: writing %s: %w", HTMLFile, err)
	}
	return nil
}

// modelDesc is the model section as compact JSON (architecture and its
// parameters).
func modelDesc(m spec.Model) string {
	b, err := json.Marshal(m)
	if err != nil {
		return m.Arch
	}
	return string(b)
}

func trainDesc(t spec.Train) []kv {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	opt := t.Optimizer.Name + ", lr " + g(t.Optimizer.LR)
	if t.Optimizer.WeightDecay != 0 {
		opt += ", weight decay " + g(t.Optimizer.WeightDecay)
	}
	if t.Optimizer.Name == spec.OptimizerSGD {
		opt += ", momentum " + g(t.Optimizer.Momentum)
	}
	sched := t.Schedule.Name
	if t.Schedule.Name == spec.ScheduleStep {
		sched += fmt.Sprintf(" (every %d epochs ×%s)", t.Schedule.StepSize, g(t.Schedule.Gamma))
	}
	if t.Schedule.WarmupEpochs > 0 {
		sched += fmt.Sprintf(", %d warm-up epochs", t.Schedule.WarmupEpochs)
	}
	def := t.Defense.Name
	if t.Defense.Name == spec.DefenseDPSGD {
		def += fmt.Sprintf(" (clip norm %s, noise multiplier %s)", g(t.Defense.ClipNorm), g(t.Defense.NoiseMultiplier))
	}
	return []kv{
		{"epochs", strconv.Itoa(t.Epochs)},
		{"batch size", strconv.Itoa(t.BatchSize)},
		{"optimizer", opt},
		{"schedule", sched},
		{"label smoothing", g(t.LabelSmoothing)},
		{"training augmentation", fmt.Sprintf("crop padding %d, horizontal flip %t", t.Augmentation.CropPadding, t.Augmentation.HFlip)},
		{"defense", def},
		{"training seed", strconv.FormatInt(t.Seed, 10)},
	}
}
