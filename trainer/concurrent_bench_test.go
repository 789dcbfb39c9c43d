//go:build linux

package trainer

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// threadSched returns the calling OS thread's time on a CPU and time spent
// runnable but waiting for one, from /proc/thread-self/schedstat.
func threadSched() (run, wait time.Duration, err error) {
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		return 0, 0, err
	}
	var r, w, slices int64
	if _, err := fmt.Sscan(string(b), &r, &w, &slices); err != nil {
		return 0, 0, fmt.Errorf("parsing /proc/thread-self/schedstat %q: %w", b, err)
	}
	return time.Duration(r), time.Duration(w), nil
}

// benchConcurrent trains `models` independent models, one locked OS thread
// each, for b.N steps each, as Umbra's workers do. Besides wall-clock
// samples/s it reports samples per second of CPU time of the training
// threads (cpu-samples/s, which on a shared machine is less disturbed by
// other processes) and the fraction of wall time the training threads were
// neither running nor waiting for a CPU (blocked-frac: time asleep, e.g. on
// a lock inside the BLAS library).
func benchConcurrent(b *testing.B, models int, arch ArchConfig, opt OptimizerConfig, shape []int, classes int) {
	type result struct {
		run, wait, wall time.Duration
		err             error
	}
	sessions := make([]*session, models)
	var idx []int
	for i := range sessions {
		sessions[i], idx = benchSession(b, arch, opt, shape, classes)
	}
	res := make([]result, models)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			r0, w0, err := threadSched()
			if err != nil {
				res[i].err = err
				return
			}
			start := time.Now()
			for range b.N {
				if _, _, err := s.step(idx, 0, opt.LR); err != nil {
					res[i].err = err
					return
				}
			}
			wall := time.Since(start)
			r1, w1, err := threadSched()
			res[i] = result{run: r1 - r0, wait: w1 - w0, wall: wall, err: err}
		}()
	}
	wg.Wait()
	b.StopTimer()
	var run, wait, wall time.Duration
	for _, r := range res {
		if r.err != nil {
			b.Fatal(r.err)
		}
		run += r.run
		wait += r.wait
		wall += r.wall
	}
	samples := float64(models * b.N * len(idx))
	b.ReportMetric(samples/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(samples/run.Seconds(), "cpu-samples/s")
	b.ReportMetric(float64(wall-run-wait)/float64(wall), "blocked-frac")
}

// BenchmarkConcurrentMLP600 trains 1 and 2 MLP 600→256→100 models at once.
func BenchmarkConcurrentMLP600(b *testing.B) {
	for _, models := range []int{1, 2} {
		b.Run(fmt.Sprintf("models=%d", models), func(b *testing.B) {
			benchConcurrent(b, models, ArchConfig{Name: ArchMLP, Hidden: []int{256}}, OptimizerConfig{Kind: Adam, LR: 1e-3}, []int{600}, 100)
		})
	}
}
