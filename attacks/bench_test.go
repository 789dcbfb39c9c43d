package attacks

import (
	"math/rand/v2"
	"testing"
	"time"
)

// cpuTimer reports CPU milliseconds per op (see processCPUTime).
type cpuTimer struct{ start time.Duration }

func startCPU(b *testing.B) cpuTimer {
	b.ReportAllocs()
	b.ResetTimer()
	return cpuTimer{start: processCPUTime()}
}

func (c cpuTimer) stop(b *testing.B) {
	b.StopTimer()
	b.ReportMetric(float64(processCPUTime()-c.start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// benchExperiment builds the benchmark shape: M=256 models,
// N=60,000 examples, A=2 augmentations (a 123 MB float32 score array), with
// the last popSize examples never trained on.
func benchExperiment(b *testing.B, popSize int) (*Scores, *Keep, []int) {
	b.Helper()
	const m, n, a = 256, 60000, 2
	rng := rand.New(rand.NewPCG(1, 2))
	s, err := NewScores(m, n, a)
	if err != nil {
		b.Fatal(err)
	}
	k, _ := NewKeep(m, n)
	base := make([]float32, n)
	for i := range base {
		base[i] = float32(2 * rng.NormFloat64())
	}
	for mi := range m {
		for ni := range n {
			in := ni < n-popSize && rng.Uint64()&1 == 0
			k.In[mi*n+ni] = in
			for ai := range a {
				v := base[ni] + float32(rng.NormFloat64())
				if in {
					v += 1
				}
				s.Phi[(mi*n+ni)*a+ai] = v
			}
		}
	}
	pop := make([]int, popSize)
	for i := range pop {
		pop[i] = n - popSize + i
	}
	return s, k, pop
}

var benchTargets = [...]int{0, 1, 2, 3, 4, 5, 6, 7}

func benchLiRA(b *testing.B, cfg LiRAConfig) {
	s, k, _ := benchExperiment(b, 0)
	cpu := startCPU(b)
	for b.Loop() {
		res, err := LiRALeaveOneOut(s, k, benchTargets[:], cfg)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) != len(benchTargets) {
			b.Fatal("wrong result count")
		}
	}
	cpu.stop(b)
}

func BenchmarkLiRAOnlineLOO(b *testing.B)         { benchLiRA(b, LiRAConfig{}) }
func BenchmarkLiRAOfflineLOO(b *testing.B)        { benchLiRA(b, LiRAConfig{Offline: true}) }
func BenchmarkLiRAOnlineFixedVarLOO(b *testing.B) { benchLiRA(b, LiRAConfig{FixedVariance: true}) }

func BenchmarkRMIAOnlineLOO(b *testing.B) {
	s, k, pop := benchExperiment(b, 5000)
	cpu := startCPU(b)
	for b.Loop() {
		if _, err := RMIALeaveOneOut(s, k, benchTargets[:], pop, RMIAConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b)
}

// BenchmarkMetrics1e6: exact ROC, AUC, TPR@FPR, balanced accuracy,
// advantage and the plotting downsample over 10^6 scores.
func BenchmarkMetrics1e6(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(5, 6))
	scores := make([]float64, n)
	member := make([]bool, n)
	for i := range scores {
		member[i] = rng.Uint64()&1 == 0
		scores[i] = rng.NormFloat64()
		if member[i] {
			scores[i] += 0.5
		}
	}
	cpu := startCPU(b)
	for b.Loop() {
		m, roc, err := EvaluateTarget(scores, member, nil, MetricOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := roc.Downsample(1e-3, 50); err != nil {
			b.Fatal(err)
		}
		if m.AUC < 0.5 {
			b.Fatal("bad AUC")
		}
	}
	cpu.stop(b)
}
