package report

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"
)

func renderHTML(t *testing.T, in Input) string {
	t.Helper()
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHTMLContent(t *testing.T) {
	in := tinyInput(t)
	in.Attacks[1].Scores = &ScoreSample{Target: 0, Scores: []float64{1, 2, 0, 3, math.NaN()}, Member: []bool{true, true, false, false, true}}
	page := renderHTML(t, in)

	for _, want := range []string{
		"<!DOCTYPE html>",
		"<title>Umbra report: tiny</title>",
		"<p>tiny hand-made experiment</p>",
		in.Spec.Hash(),
		// metrics table header in FPR order
		"<th>TPR @ FPR 0.00001</th><th>TPR @ FPR 0.001</th><th>TPR @ FPR 0.01</th><th>TPR @ FPR 0.1</th>",
		// lira-online row: mean ± sample std over 2 targets, hand-computed
		"<tr><td>lira-online</td><td>lira-online</td><td>2</td><td>0.8750 ± 0.1768</td><td>0.7500 ± 0.3536</td>",
		"<td>0.8750 ± 0.1768</td><td>0.7500 ± 0.3536</td><td>0</td></tr>",
		// loss row: one target, no ±
		"<tr><td>loss</td><td>loss</td><td>1</td><td>0.5000</td><td>0.0000</td><td>0.0000</td><td>0.0000</td><td>0.0000</td><td>0.7500</td><td>0.5000</td><td>0</td></tr>",
		// per-target row of lira-online target 1
		"<tr><td>1</td><td>2</td><td>2</td><td>0</td><td>1.0000</td><td>1.0000</td><td>1.0000</td><td>1.0000</td><td>1.0000</td><td>1.0000</td><td>1.0000</td></tr>",
		// summaries
		"<tr><td>dataset</td><td>tabular-synthetic</td></tr>",
		"<code>sha256:abc</code>",
		"<tr><td>optimizer</td><td>adam, lr 0.001</td></tr>",
		"<tr><td>models (trained / reused / total)</td><td>3 / 1 / 4</td></tr>",
		"<tr><td>wall time</td><td>100.0 s</td></tr>",
		"<tr><td>orchestration overhead</td><td>60.0 %</td></tr>",
		"Log-log axes from 0.01 to 1",
		// plot texts drawn by gonum/plot
		"False Positive Rate", "True Positive Rate", "mean of 2 targets", "lira-online (AUC 0.8750)",
		"loss scores, target 0", "members (2)", "non-members (2)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// 1 comparison + 2 ROC plots + 1 histogram, all inline and closed.
	if n, m := strings.Count(page, "<svg"), strings.Count(page, "</svg>"); n != 4 || m != 4 {
		t.Errorf("%d <svg> and %d </svg>, want 4 each", n, m)
	}
	if strings.Contains(page, "<?xml") {
		t.Error("XML prologue left inside the HTML")
	}
	// 3 summary tables + 1 per attack.
	if n := strings.Count(page, "<table"); n != 5 {
		t.Errorf("%d tables, want 5", n)
	}
	for _, h := range []string{"<h2>lira-online</h2>", "<h2>loss</h2>", "<h2>Metrics</h2>", "<h2>Timing</h2>"} {
		if strings.Count(page, h) != 1 {
			t.Errorf("heading %q appears %d times, want 1", h, strings.Count(page, h))
		}
	}
	assertSelfContained(t, page)
}

// assertSelfContained checks that the page loads nothing: no scripts, no
// links, no src attributes, no URL other than the SVG/XLink namespaces.
func assertSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "<iframe", "<img", "<object", "<embed", "url("} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)<[a-z][^>]*\s(src|href|xlink:href)\s*=`).FindString(page); m != "" {
		t.Errorf("page has a tag loading something: %q", m)
	}
	urls := regexp.MustCompile(`https?://[^"' >]+`).FindAllString(page, -1)
	for _, u := range urls {
		if u != "http://www.w3.org/2000/svg" && u != "http://www.w3.org/1999/xlink" {
			t.Errorf("page references %q", u)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	in := tinyInput(t)
	in.Spec = testSpec(t, evil, `<b onmouseover="x()">lira</b>`, "loss & <i>")
	in.Spec.Description = `"><img src=x onerror=alert(1)>`
	in.Attacks = tinyResults(t, `<b onmouseover="x()">lira</b>`, "loss & <i>")
	in.DatasetFingerprint = "</code><script>y()</script>"
	page := renderHTML(t, in)
	for _, raw := range []string{"<script", "<b onmouseover", "<img", "<i>"} {
		if strings.Contains(page, raw) {
			t.Errorf("unescaped %q in page", raw)
		}
	}
	for _, want := range []string{
		"<title>Umbra report: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</title>",
		"<h1>Umbra report: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</h1>",
		"<td>&lt;b onmouseover=&#34;x()&#34;&gt;lira&lt;/b&gt;</td><td>lira-online</td>",
		"<h2>loss &amp; &lt;i&gt; (loss)</h2>",
		// the SVG legend (escaped by vgsvg)
		"loss &amp; &lt;i&gt; (AUC 0.5000)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	assertSelfContained(t, page)
}

func TestHTMLWithoutCurves(t *testing.T) {
	in := tinyInput(t)
	for i := range in.Attacks {
		in.Attacks[i].ROCs = nil
	}
	page := renderHTML(t, in)
	if strings.Contains(page, "<svg") {
		t.Error("page has a plot without any curve")
	}
	if n := strings.Count(page, "No ROC curve was recorded"); n != 2 {
		t.Errorf("%d 'no ROC curve' notes, want 2", n)
	}
	if !strings.Contains(page, "<td>0.8750 ± 0.1768</td>") {
		t.Error("metrics table missing")
	}
}

func TestHTMLFromReadJSON(t *testing.T) {
	in := tinyInput(t)
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var js, direct, again bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&direct, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&again, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(direct.Bytes(), again.Bytes()) {
		t.Error("HTML from the read-back report.json differs from the original's")
	}
}

func TestHTMLManyTargets(t *testing.T) {
	// 10 targets: per-target curves go grey and out of the legend.
	r, err := Build(tinyInput(t))
	if err != nil {
		t.Fatal(err)
	}
	a := &r.Attacks[0]
	for len(a.PerTarget) < 10 {
		a.PerTarget = append(a.PerTarget, a.PerTarget[len(a.PerTarget)%2])
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "target 1 (AUC") { // loss has target 0 only
		t.Error("per-target legend entries with 10 targets")
	}
	if !strings.Contains(page, "mean of 10 targets") {
		t.Error("mean curve missing")
	}
}
