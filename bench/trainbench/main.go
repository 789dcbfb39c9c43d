// Command trainbench measures training throughput of Umbra's engine on
// fixed benchmark models with synthetic data (batch 128, float32):
//
//	mlp600           600→256(ReLU)→100, Adam lr 1e-3, binary purchase-like data
//	simplecnn-mnist  conv3×3(1→32,pad1)-ReLU-maxpool2, conv3×3(32→64,pad1)-
//	                 ReLU-maxpool2, dense(3136→128)-ReLU, dense(128→10);
//	                 SGD momentum 0.9 lr 0.01; 1×28×28 inputs
//	conv32           conv3×3(3→32,pad1,no bias)-ReLU-maxpool2, dense(8192→10);
//	                 Adam lr 1e-3; 3×32×32 inputs
//
// -threads N trains N models concurrently, one goroutine each, and reports
// the total. The last line of output is samples_per_sec=<number>.
//
//	go run ./bench/trainbench -arch mlp600 -threads 1 -seconds 10
//	CGO_LDFLAGS=-lopenblas go run -tags openblas ./bench/trainbench -arch conv32
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/umbra-ml/umbra/datasets"
	"github.com/umbra-ml/umbra/trainer"
)

const batch = 128

type benchCase struct {
	arch     trainer.ArchConfig
	opt      trainer.OptimizerConfig
	shape    []int
	classes  int
	examples int // per epoch
	binary   bool
}

func cases() map[string]benchCase {
	return map[string]benchCase{
		"mlp600": {
			arch:  trainer.ArchConfig{Name: trainer.ArchMLP, Hidden: []int{256}},
			opt:   trainer.OptimizerConfig{Kind: trainer.Adam, LR: 1e-3},
			shape: []int{600}, classes: 100, examples: 40 * batch, binary: true,
		},
		"simplecnn-mnist": {
			arch:  trainer.ArchConfig{Name: trainer.ArchSimpleCNN},
			opt:   trainer.OptimizerConfig{Kind: trainer.SGD, LR: 0.01, Momentum: 0.9},
			shape: []int{1, 28, 28}, classes: 10, examples: 4 * batch,
		},
		"conv32": {
			arch:  trainer.ArchConfig{Name: trainer.ArchCNN, Conv: []trainer.ConvBlock{{Channels: 32, Kernel: 3, Padding: 1, NoBias: true, Pool: trainer.MaxPool}}},
			opt:   trainer.OptimizerConfig{Kind: trainer.Adam, LR: 1e-3},
			shape: []int{3, 32, 32}, classes: 10, examples: 8 * batch,
		},
	}
}

// synth returns n examples: binary features (each class has a prototype
// whose bits are flipped with probability 0.1, like Purchase-100) or
// uniform pixels in [0, 1).
func synth(c benchCase, n int, seed uint64) *datasets.Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	d := 1
	for _, s := range c.shape {
		d *= s
	}
	ds := &datasets.Dataset{Name: "synthetic", Shape: c.shape, Classes: c.classes, X: make([]float32, n*d), Y: make([]int, n)}
	proto := make([]bool, c.classes*d)
	for i := range proto {
		proto[i] = r.IntN(2) == 1
	}
	for i := 0; i < n; i++ {
		y := r.IntN(c.classes)
		ds.Y[i] = y
		for j := 0; j < d; j++ {
			if c.binary {
				if proto[y*d+j] != (r.Float32() < 0.1) {
					ds.X[i*d+j] = 1
				}
			} else {
				ds.X[i*d+j] = r.Float32()
			}
		}
	}
	return ds
}

var errDone = errors.New("time is up")

// run trains one model until `seconds` have passed after a one-epoch
// warm-up and returns the examples trained and the time they took.
func run(ctx context.Context, c benchCase, seed uint64, seconds float64) (int, time.Duration, error) {
	ds := synth(c, c.examples, seed)
	m, err := trainer.NewModel(c.arch, c.shape, c.classes, seed, batch)
	if err != nil {
		return 0, 0, err
	}
	recipe := trainer.Recipe{Epochs: 1 << 30, BatchSize: batch, Optimizer: c.opt}
	var start time.Time
	examples := 0
	_, err = trainer.Train(ctx, m, ds, recipe, trainer.TrainOptions{
		OnEpoch: func(_ context.Context, epoch int, st trainer.EpochStats, _ func(io.Writer) error) error {
			if epoch == 0 {
				start = time.Now()
				return nil
			}
			examples += st.Examples
			if time.Since(start).Seconds() >= seconds {
				return errDone
			}
			return nil
		},
	})
	if !errors.Is(err, errDone) {
		return 0, 0, fmt.Errorf("training stopped unexpectedly: %w", err)
	}
	return examples, time.Since(start), nil
}

func main() {
	arch := flag.String("arch", "mlp600", "benchmark model: mlp600, simplecnn-mnist or conv32")
	threads := flag.Int("threads", 1, "models trained concurrently (one goroutine and one core each)")
	seconds := flag.Float64("seconds", 10, "measured seconds per model (after a one-epoch warm-up)")
	openblas := flag.Bool("openblas", trainer.OpenBLASAvailable, "use OpenBLAS (needs -tags openblas)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c, ok := cases()[*arch]
	if !ok {
		log.Error("unknown -arch", "arch", *arch)
		os.Exit(2)
	}
	if *threads < 1 {
		log.Error("-threads must be >= 1", "threads", *threads)
		os.Exit(2)
	}
	blas := "gonum (pure Go; AVX2/FMA SGEMM for dense layers)"
	if *openblas && os.Getenv("OPENBLAS_NUM_THREADS") != "1" {
		// OpenBLAS starts its thread pool when the library loads, before
		// main; idle pool threads spinning cost ~20% on the MLP. Re-run
		// with the pool limited from the start.
		exe, err := os.Executable()
		if err == nil {
			err = syscall.Exec(exe, os.Args, append(os.Environ(), "OPENBLAS_NUM_THREADS=1"))
		}
		log.Error("re-executing with OPENBLAS_NUM_THREADS=1", "err", err)
		os.Exit(1)
	}
	if *openblas {
		if err := trainer.UseOpenBLAS(); err != nil {
			log.Error("selecting OpenBLAS", "err", err)
			os.Exit(1)
		}
		blas = "OpenBLAS (1 thread per model)"
	}
	runtime.GOMAXPROCS(*threads)
	fmt.Printf("arch=%s threads=%d blas=%s batch=%d\n", *arch, *threads, blas, batch)
	var wg sync.WaitGroup
	rates := make([]float64, *threads)
	errs := make([]error, *threads)
	for t := 0; t < *threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, d, err := run(context.Background(), c, uint64(t+1), *seconds)
			errs[t] = err
			if err == nil {
				rates[t] = float64(n) / d.Seconds()
			}
		}()
	}
	wg.Wait()
	total := 0.0
	for t, r := range rates {
		if errs[t] != nil {
			log.Error("model failed", "model", t, "err", errs[t])
			os.Exit(1)
		}
		fmt.Printf("model %d: %.1f samples/s\n", t, r)
		total += r
	}
	fmt.Printf("samples_per_sec=%.1f\n", total)
}
