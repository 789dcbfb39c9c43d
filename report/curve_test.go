package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-ml/umbra/attacks"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// noisyROC is the ROC of n members scored N(shift,1) and n non-members N(0,1).
func noisyROC(t testing.TB, n int, shift float64, seed uint64) attacks.ROC {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	scores := make([]float64, 2*n)
	member := make([]bool, 2*n)
	for i := range scores {
		member[i] = i < n
		scores[i] = rng.NormFloat64()
		if member[i] {
			scores[i] += shift
		}
	}
	roc, err := attacks.ComputeROC(scores, member)
	if err != nil {
		t.Fatal(err)
	}
	return roc
}

func TestThinROCKeepsLowFPR(t *testing.T) {
	roc := noisyROC(t, 20000, 1, 7)
	c, err := ThinROC(roc)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.FPR) >= len(roc.Points)/10 {
		t.Errorf("thinned to %d of %d points; want < 10%%", len(c.FPR), len(roc.Points))
	}
	if c.FPR[0] != 0 || c.TPR[0] != 0 || c.FPR[len(c.FPR)-1] != 1 || c.TPR[len(c.TPR)-1] != 1 {
		t.Errorf("curve runs (%v,%v)…(%v,%v), want (0,0)…(1,1)", c.FPR[0], c.TPR[0], c.FPR[len(c.FPR)-1], c.TPR[len(c.TPR)-1])
	}
	for _, f := range []float64{0, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3} {
		if got, want := c.TPRAt(f), roc.TPRAtFPR(f); got != want {
			t.Errorf("TPR at FPR %v: thinned %v, exact %v", f, got, want)
		}
	}
	// Above 1e-3 the thinned reading is a lower bound within one bin.
	for _, f := range []float64{0.01, 0.1, 0.5} {
		got, want := c.TPRAt(f), roc.TPRAtFPR(f)
		if got > want || want-got > 0.02 {
			t.Errorf("TPR at FPR %v: thinned %v, exact %v", f, got, want)
		}
	}
}

func TestThinROCVerticalRuns(t *testing.T) {
	// Perfect separation: 1000 distinct member scores above every
	// non-member give 1000 points at FPR 0; only the ends remain.
	n := 1000
	scores := make([]float64, 2*n)
	member := make([]bool, 2*n)
	for i := range scores {
		member[i] = i < n
		scores[i] = float64(i)
		if member[i] {
			scores[i] += 1e6
		}
	}
	roc, err := attacks.ComputeROC(scores, member)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ThinROC(roc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c, (Curve{FPR: []float64{0, 0, 1}, TPR: []float64{0, 1, 1}}); !slices.Equal(got.FPR, want.FPR) || !slices.Equal(got.TPR, want.TPR) {
		t.Errorf("thinned perfect curve = %v, want %v", got, want)
	}
}

func TestThinROCErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		roc  attacks.ROC
		want string
	}{
		{"empty", attacks.ROC{}, "0 points"},
		{"nan", attacks.ROC{Points: []attacks.ROCPoint{{}, {FPR: math.NaN(), TPR: 1}}}, "point 1 = (NaN, 1)"},
		{"decreasing", attacks.ROC{Points: []attacks.ROCPoint{{TPR: 0.5}, {FPR: 0.5, TPR: 0.2}, {FPR: 1, TPR: 1}}}, "decreases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ThinROC(tc.roc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestHistogram(t *testing.T) {
	for _, tc := range []struct {
		name        string
		scores      []float64
		member      []bool
		bins        int
		edges       []float64
		mem, nonMem []int
	}{
		{"edges", []float64{0, 1, 2, 3, math.NaN()}, []bool{true, false, true, false, true}, 3,
			[]float64{0, 1, 2, 3}, []int{1, 0, 1}, []int{0, 1, 1}},
		{"equal scores", []float64{5, 5, 5}, []bool{true, false, false}, 1,
			[]float64{4.5, 5.5}, []int{1}, []int{2}},
		{"negative", []float64{-2, -1, 0}, []bool{false, true, true}, 2,
			[]float64{-2, -1, 0}, []int{0, 2}, []int{1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Histogram(ScoreSample{Target: 3, Scores: tc.scores, Member: tc.member}, tc.bins)
			if err != nil {
				t.Fatal(err)
			}
			if h.Target != 3 || !slices.Equal(h.Edges, tc.edges) || !slices.Equal(h.Members, tc.mem) || !slices.Equal(h.NonMembers, tc.nonMem) {
				t.Errorf("histogram = %+v, want edges %v members %v non-members %v", h, tc.edges, tc.mem, tc.nonMem)
			}
		})
	}
	if _, err := Histogram(ScoreSample{Scores: []float64{math.NaN()}, Member: []bool{true}}, 4); err == nil {
		t.Error("histogram of no finite score succeeded")
	}
}

func TestEqualEdges(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		bins   int
	}{
		{0, 1, 40}, {-math.MaxFloat64, math.MaxFloat64, 40}, {1e16, 1e16 + 4, 40}, {1e300, 1e300, 10}, {3, 3, 40},
	} {
		e := equalEdges(tc.lo, tc.hi, tc.bins)
		if len(e) < 2 || len(e) > tc.bins+1 {
			t.Errorf("equalEdges(%v, %v, %d): %d edges", tc.lo, tc.hi, tc.bins, len(e))
		}
		for i := 1; i < len(e); i++ {
			if !(e[i] > e[i-1]) || math.IsInf(e[i], 0) {
				t.Errorf("equalEdges(%v, %v, %d) = %v: not finite and increasing at %d", tc.lo, tc.hi, tc.bins, e, i)
				break
			}
		}
		if tc.lo != tc.hi && (e[0] != tc.lo || e[len(e)-1] != tc.hi) {
			t.Errorf("equalEdges(%v, %v, %d) spans [%v, %v]", tc.lo, tc.hi, tc.bins, e[0], e[len(e)-1])
		}
	}
}

func TestAxisMin(t *testing.T) {
	for _, tc := range []struct {
		classSize int
		want      float64
	}{{0, 1e-5}, {2, 1e-2}, {500, 1e-3}, {1000, 1e-3}, {25000, 1e-5}, {1000000, 1e-5}} {
		r := &Report{Attacks: []Attack{{PerTarget: []TargetResult{{}}}}}
		r.Attacks[0].PerTarget[0].NonMembers = tc.classSize
		r.Attacks[0].PerTarget[0].Members = tc.classSize / 2
		if got := axisMin(r); math.Abs(got-tc.want) > 1e-20 {
			t.Errorf("class size %d: axis min %v, want %v", tc.classSize, got, tc.want)
		}
	}
}

func TestClampAndGrid(t *testing.T) {
	xy := clampXY([]float64{0, 0, 1e-7, 0.5, 1}, []float64{0, 0.3, 0.5, 1e-9, 1}, 1e-5)
	want := plotter.XYs{{X: 1e-5, Y: 1e-5}, {X: 1e-5, Y: 0.3}, {X: 1e-5, Y: 0.5}, {X: 0.5, Y: 1e-5}, {X: 1, Y: 1}}
	if !slices.Equal(xy, want) {
		t.Errorf("clampXY = %v, want %v", xy, want)
	}
	g := logGrid(1e-3, 2)
	wantG := []float64{1e-3, math.Pow(10, -2.5), 1e-2, math.Pow(10, -1.5), 1e-1, math.Pow(10, -0.5), 1}
	if len(g) != len(wantG) {
		t.Fatalf("logGrid = %v, want %v", g, wantG)
	}
	for i := range g {
		if math.Abs(g[i]-wantG[i]) > 1e-12*wantG[i] {
			t.Errorf("logGrid[%d] = %v, want %v", i, g[i], wantG[i])
		}
	}
}

func TestMeanCurve(t *testing.T) {
	a := &Curve{FPR: []float64{0, 0, 0.5, 1}, TPR: []float64{0, 0.5, 1, 1}}
	b := &Curve{FPR: []float64{0, 0.25, 1}, TPR: []float64{0, 0.25, 1}}
	got := meanCurve([]*Curve{a, b}, []float64{0.1, 0.25, 0.5, 1})
	want := []float64{(0.5 + 0) / 2, (0.5 + 0.25) / 2, (1 + 0.25) / 2, 1}
	if !slices.Equal(got, want) {
		t.Errorf("meanCurve = %v, want %v", got, want)
	}
}

func TestSortedFPRKeys(t *testing.T) {
	m := map[string]int{"0.1": 0, "0.00001": 0, "0.01": 0, "0.001": 0, "0.5": 0}
	if got, want := sortedFPRKeys(m), []string{"0.00001", "0.001", "0.01", "0.1", "0.5"}; !slices.Equal(got, want) {
		t.Errorf("sortedFPRKeys = %q, want %q", got, want)
	}
}

func TestRenderSVGRecoversPanic(t *testing.T) {
	// A point at 0 on a log axis makes gonum/plot panic; renderSVG must
	// turn that into an error.
	p := plot.New()
	p.Title.Text = "bad"
	p.X.Scale = plot.LogScale{}
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 2}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)
	if _, err := renderSVG(p); err == nil || !strings.Contains(err.Error(), `rendering plot "bad"`) {
		t.Errorf("error %v, want a rendering error", err)
	}
}
