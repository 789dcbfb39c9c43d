package datasets

import (
	"math"
	"strings"
	"testing"
)

func TestPurchase(t *testing.T) {
	cfg := PurchaseConfig{N: 2000, Dim: 100, Classes: 5, FlipProb: 0.1, Seed: 7}
	d, err := Purchase(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2000 || d.Dim() != 100 || d.Classes != 5 {
		t.Fatalf("%d × %d, %d classes", d.Len(), d.Dim(), d.Classes)
	}
	for _, v := range d.X {
		if v != 0 && v != 1 {
			t.Fatalf("non-binary feature %v", v)
		}
	}
	// Recover each class prototype by majority vote; the disagreement rate
	// of examples with their prototype estimates FlipProb.
	dim := d.Dim()
	ones := make([]int, cfg.Classes*dim)
	for i := range d.Len() {
		for j, v := range d.Example(i) {
			if v == 1 {
				ones[d.Y[i]*dim+j]++
			}
		}
	}
	counts := d.ClassCounts()
	flips := 0
	for i := range d.Len() {
		c := d.Y[i]
		for j, v := range d.Example(i) {
			proto := 2*ones[c*dim+j] > counts[c]
			if (v == 1) != proto {
				flips++
			}
		}
	}
	if rate := float64(flips) / float64(len(d.X)); math.Abs(rate-0.1) > 0.01 {
		t.Errorf("flip rate %v, want ≈ 0.1", rate)
	}
	for c, n := range counts {
		if math.Abs(float64(n)-400) > 5*math.Sqrt(2000*0.2*0.8) {
			t.Errorf("class %d has %d examples, want ≈ 400", c, n)
		}
	}
	// Deterministic: same seed, same content; other seed, other content.
	again, _ := Purchase(cfg)
	cfg.Seed = 8
	other, _ := Purchase(cfg)
	if again.Fingerprint() != d.Fingerprint() || other.Fingerprint() == d.Fingerprint() {
		t.Fatal("Purchase is not a function of its seed")
	}
	// Golden: pins the generator across platforms and Go releases.
	small, _ := Purchase(PurchaseConfig{N: 4, Dim: 8, Classes: 2, Seed: 1})
	if got := small.Fingerprint(); got != "59f0f5d17b1aee0de94a9e6ecd6c4778fffda8976b3e536a5d1dbb83533cf05c" {
		t.Errorf("golden purchase fingerprint = %s", got)
	}
	for _, bad := range []PurchaseConfig{{N: 0, Dim: 1, Classes: 1}, {N: 1, Dim: 1, Classes: 1, FlipProb: 0.6}, {N: 1, Dim: 1, Classes: 1, Density: 1}} {
		if _, err := Purchase(bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

func TestTabularSynthetic(t *testing.T) {
	cfg := TabularSyntheticConfig{N: 20000, Dim: 4, SensitiveFraction: 0.3, SensitiveShift: 2, Seed: 3}
	d, err := TabularSynthetic(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	s := d.Attrs["sensitive"]
	ones := 0
	for _, c := range s.Codes {
		ones += c
	}
	if frac := float64(ones) / 20000; math.Abs(frac-0.3) > 0.015 {
		t.Errorf("sensitive fraction %v, want ≈ 0.3", frac)
	}
	if c := d.ClassCounts(); math.Abs(float64(c[1])-10000) > 400 {
		t.Errorf("class counts %v, want ≈ balanced", c)
	}
	// Within class 0, the sensitive group's mean differs from the other's
	// by SensitiveShift·v; residual variance around the group means is 1.
	var sum [2][4]float64
	var ss [2][4]float64
	var n [2]float64
	for i := range d.Len() {
		if d.Y[i] != 0 {
			continue
		}
		g := s.Codes[i]
		n[g]++
		for j, v := range d.Example(i) {
			sum[g][j] += float64(v)
			ss[g][j] += float64(v) * float64(v)
		}
	}
	shift := 0.0
	for j := range 4 {
		diff := sum[1][j]/n[1] - sum[0][j]/n[0]
		shift += diff * diff
		for g := range 2 {
			m := sum[g][j] / n[g]
			if v := ss[g][j]/n[g] - m*m; math.Abs(v-1) > 0.1 {
				t.Errorf("group %d feature %d variance %v, want ≈ 1", g, j, v)
			}
		}
	}
	if shift < 0.1 {
		t.Errorf("sensitive groups are indistinguishable (squared shift %v)", shift)
	}
	// LabelBias makes the attribute predictive of the label.
	b, err := TabularSynthetic(TabularSyntheticConfig{N: 20000, Dim: 2, SensitiveFraction: 0.5, LabelBias: 0.3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var pos [2]float64
	var cnt [2]float64
	for i, c := range b.Attrs["sensitive"].Codes {
		cnt[c]++
		pos[c] += float64(b.Y[i])
	}
	if p0, p1 := pos[0]/cnt[0], pos[1]/cnt[1]; math.Abs(p0-0.2) > 0.02 || math.Abs(p1-0.8) > 0.02 {
		t.Errorf("P(y=1|s) = %v, %v; want 0.2, 0.8", p0, p1)
	}
	// Golden, measured on amd64 (see TabularSynthetic on portability).
	small, _ := TabularSynthetic(TabularSyntheticConfig{N: 3, Dim: 2, SensitiveFraction: 0.5, Seed: 1})
	if got := small.Fingerprint(); got != "da251099b78836bcd69e6926073c6f9ae8ffc68276a0a0d98bc80d7cce5bb01e" {
		t.Errorf("golden tabular fingerprint = %s", got)
	}
	for _, bad := range []TabularSyntheticConfig{{N: 1, Dim: 1, SensitiveFraction: 2}, {N: 0, Dim: 1}, {N: 1, Dim: 1, Classes: 3, LabelBias: 0.1}} {
		if _, err := TabularSynthetic(bad); err == nil || !strings.Contains(err.Error(), "tabular-synthetic") {
			t.Errorf("config %+v: error %v", bad, err)
		}
	}
}
