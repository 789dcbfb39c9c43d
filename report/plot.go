package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot sizes and styling.
const (
	plotWidth       = 5 * vg.Inch
	plotHeight      = 4 * vg.Inch
	meanGridPerDec  = 20 // FPR grid points per decade of the mean curve
	maxColoredCurve = 8  // beyond this many targets, per-target curves are grey
)

var (
	greyCurve = color.RGBA{R: 160, G: 160, B: 160, A: 255}
	chance    = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	// member / non-member histogram fills (half transparent)
	memberFill    = color.NRGBA{R: 214, G: 39, B: 40, A: 128}
	nonMemberFill = color.NRGBA{R: 31, G: 119, B: 180, A: 128}
)

// clampXY puts the points of a curve on the log axes: every FPR or TPR
// below lo (in particular 0) becomes lo, so the curve's vertical rise at
// FPR = 0 is drawn on the left edge and a TPR of 0 on the bottom edge.
func clampXY(fpr, tpr []float64, lo float64) plotter.XYs {
	xy := make(plotter.XYs, len(fpr))
	for i := range fpr {
		xy[i].X = max(fpr[i], lo)
		xy[i].Y = max(tpr[i], lo)
	}
	return xy
}

// logGrid returns FPRs from lo to 1, perDecade per decade.
func logGrid(lo float64, perDecade int) []float64 {
	decades := math.Log10(1 / lo)
	n := int(math.Ceil(decades*float64(perDecade))) + 1
	g := make([]float64, n)
	for i := range g {
		g[i] = math.Pow(10, -decades+float64(i)/float64(perDecade))
	}
	g[0], g[n-1] = lo, 1
	return g
}

// newROCPlot returns a log-log plot from lo to 1 on both axes with the
// chance diagonal.
func newROCPlot(title string, lo float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "False Positive Rate"
	p.Y.Label.Text = "True Positive Rate"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = logTicks{}, logTicks{}
	// Bottom right: the corner a better-than-chance curve stays away from.
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), vg.Points(4)
	p.Add(plotter.NewGrid())
	diag, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.Color = chance
	diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(diag)
	p.Legend.Add("chance", diag)
	return p, nil
}

// logTicks is plot.LogTicks restricted to [min, max]. plot.LogTicks
// starts at 10^int(log10(min)), and log10(1e-4) rounds to −3.999…, which
// would drop the label of the axis minimum; asking for a hair below min
// keeps it.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	all := plot.LogTicks{Prec: -1}.Ticks(lo*(1-1e-9), hi)
	out := all[:0]
	for _, t := range all {
		if t.Value >= lo*(1-1e-9) && t.Value <= hi*(1+1e-9) {
			out = append(out, t)
		}
	}
	return out
}

func fixLogAxes(p *plot.Plot, lo float64) {
	p.X.Min, p.X.Max = lo, 1
	p.Y.Min, p.Y.Max = lo, 1
}

// addLine adds a curve with its legend entry (none when name is "").
func addLine(p *plot.Plot, name string, xy plotter.XYs, c color.Color, width vg.Length, dashes []vg.Length) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Color, l.Width, l.Dashes = c, width, dashes
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// attackROCPlot draws one attack's curves: one per target (coloured and in
// the legend for up to 8 targets, grey beyond) and, for several targets,
// their vertical mean in black.
func attackROCPlot(a *Attack, lo float64) (*plot.Plot, error) {
	p, err := newROCPlot(a.Name+" ROC", lo)
	if err != nil {
		return nil, err
	}
	curves := attackCurves(a)
	for i, c := range curves {
		col, name := plotutil.Color(i), fmt.Sprintf("target %d (AUC %.4f)", a.PerTarget[i].Target, a.PerTarget[i].AUC)
		if len(curves) > maxColoredCurve {
			col, name = greyCurve, ""
		}
		if err := addLine(p, name, clampXY(c.FPR, c.TPR, lo), col, vg.Points(1), nil); err != nil {
			return nil, err
		}
	}
	if len(curves) > 1 {
		g := logGrid(lo, meanGridPerDec)
		name := fmt.Sprintf("mean of %d targets", len(curves))
		if err := addLine(p, name, clampXY(g, meanCurve(curves, g), lo), color.Black, vg.Points(2), nil); err != nil {
			return nil, err
		}
	}
	fixLogAxes(p, lo)
	return p, nil
}

// attackCurves returns the attack's per-target curves (empty when the
// report carries none; all targets have one or none, see Build).
func attackCurves(a *Attack) []*Curve {
	var cs []*Curve
	for i := range a.PerTarget {
		if c := a.PerTarget[i].ROC; c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// comparisonPlot draws every attack that has curves on one plot: its
// vertical mean over targets (the curve itself for one target).
func comparisonPlot(r *Report, lo float64) (*plot.Plot, error) {
	p, err := newROCPlot("All attacks (mean over targets)", lo)
	if err != nil {
		return nil, err
	}
	g := logGrid(lo, meanGridPerDec)
	for i := range r.Attacks {
		a := &r.Attacks[i]
		curves := attackCurves(a)
		if len(curves) == 0 {
			continue
		}
		xy := clampXY(curves[0].FPR, curves[0].TPR, lo)
		if len(curves) > 1 {
			xy = clampXY(g, meanCurve(curves, g), lo)
		}
		name := fmt.Sprintf("%s (AUC %.4f)", a.Name, a.AUC.Mean)
		if err := addLine(p, name, xy, plotutil.Color(i), vg.Points(1.5), plotutil.Dashes(i/len(plotutil.DefaultColors))); err != nil {
			return nil, err
		}
	}
	fixLogAxes(p, lo)
	return p, nil
}

// histogramPlot draws member and non-member score densities (each class
// normalised to area 1, so classes of different sizes compare).
func histogramPlot(a *Attack) (*plot.Plot, error) {
	h := a.ScoreHistogram
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s scores, target %d", a.Name, h.Target)
	p.X.Label.Text = "attack score (higher: member)"
	p.Y.Label.Text = "density"
	p.Legend.Top = true
	top := 0.0
	for _, cls := range []struct {
		name   string
		counts []int
		fill   color.Color
	}{{"non-members", h.NonMembers, nonMemberFill}, {"members", h.Members, memberFill}} {
		total := 0
		for _, c := range cls.counts {
			total += c
		}
		if total == 0 {
			continue
		}
		bins := make([]plotter.HistogramBin, len(cls.counts))
		for i, c := range cls.counts {
			w := h.Edges[i+1] - h.Edges[i]
			bins[i] = plotter.HistogramBin{Min: h.Edges[i], Max: h.Edges[i+1], Weight: float64(c) / float64(total) / w}
			top = max(top, bins[i].Weight)
		}
		hp := &plotter.Histogram{Bins: bins, Width: h.Edges[1] - h.Edges[0], FillColor: cls.fill, LineStyle: plotter.DefaultLineStyle}
		hp.LineStyle.Width = vg.Points(0.5)
		p.Add(hp)
		p.Legend.Add(fmt.Sprintf("%s (%d)", cls.name, total), hp)
	}
	if top == 0 { // no counts at all (a hand-edited report.json)
		top = 1
	}
	p.Y.Min, p.Y.Max = 0, 1.3*top // headroom for the legend
	return p, nil
}

// renderSVG draws p into an SVG element for inline use in HTML: the XML
// prologue is dropped. gonum/plot signals some bad values (e.g. a value ≤ 0
// on a log axis) by panicking; such a panic becomes an error here.
func renderSVG(p *plot.Plot) (svg string, err error) {
	defer func() {
		if e := recover(); e != nil {
			err = fmt.Errorf("report: rendering plot %q: %v", p.Title.Text, e)
		}
	}()
	c := vgsvg.New(plotWidth, plotHeight)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("report: writing SVG of plot %q: %w", p.Title.Text, err)
	}
	s := buf.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("report: SVG of plot %q has no <svg> element", p.Title.Text)
	}
	return s[i:], nil
}
