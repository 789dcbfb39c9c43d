// Command accuracy trains Umbra's reference models on MNIST and prints their
// test accuracy: a sanity check of the training engine against the figures
// commonly reached with PyTorch.
//
//	go run ./bench/accuracy -data data/mnist -model mlp        # ≥ 97% in 10 epochs
//	go run ./bench/accuracy -data data/mnist -model simplecnn  # ≥ 98.5%
//	go run ./bench/accuracy -data data/mnist -model subset     # 1,000 examples fitted to 100%
//
// Add -tags openblas (with CGO_LDFLAGS=-lopenblas) for OpenBLAS. -threads N
// trains the selected models concurrently (-model all runs all three).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/umbra-ml/umbra/datasets"
	"github.com/umbra-ml/umbra/trainer"
)

type job struct {
	name   string
	arch   trainer.ArchConfig
	recipe trainer.Recipe
	subset int // train on the first subset examples and report training accuracy
	want   float64
}

func jobs(epochs int) []job {
	ep := func(def int) int {
		if epochs > 0 {
			return epochs
		}
		return def
	}
	return []job{
		{name: "mlp", arch: trainer.ArchConfig{Name: trainer.ArchMLP, Hidden: []int{512, 256}},
			recipe: trainer.Recipe{Epochs: ep(10), BatchSize: 128, Optimizer: trainer.OptimizerConfig{Kind: trainer.Adam, LR: 1e-3}}, want: 0.97},
		{name: "simplecnn", arch: trainer.ArchConfig{Name: trainer.ArchSimpleCNN},
			recipe: trainer.Recipe{Epochs: ep(3), BatchSize: 128, Optimizer: trainer.OptimizerConfig{Kind: trainer.SGD, LR: 0.05, Momentum: 0.9}}, want: 0.985},
		{name: "subset", arch: trainer.ArchConfig{Name: trainer.ArchMLP, Hidden: []int{256}}, subset: 1000,
			recipe: trainer.Recipe{Epochs: ep(30), BatchSize: 64, Optimizer: trainer.OptimizerConfig{Kind: trainer.Adam, LR: 1e-3}}, want: 1},
	}
}

func main() {
	dir := flag.String("data", "data/mnist", "directory with the MNIST IDX files")
	model := flag.String("model", "all", "mlp, simplecnn, subset or all")
	epochs := flag.Int("epochs", 0, "override the number of epochs")
	seed := flag.Uint64("seed", 1, "model seed")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if trainer.OpenBLASAvailable {
		if err := trainer.UseOpenBLAS(); err != nil {
			log.Error("openblas", "err", err)
			os.Exit(1)
		}
	}
	ctx := context.Background()
	train, err := datasets.LoadMNIST(ctx, *dir, "train")
	if err != nil {
		log.Error("loading MNIST", "err", err)
		os.Exit(1)
	}
	test, err := datasets.LoadMNIST(ctx, *dir, "test")
	if err != nil {
		log.Error("loading MNIST", "err", err)
		os.Exit(1)
	}
	var sel []job
	for _, j := range jobs(*epochs) {
		if *model == "all" || *model == j.name {
			sel = append(sel, j)
		}
	}
	if len(sel) == 0 {
		log.Error("unknown -model", "model", *model)
		os.Exit(2)
	}
	var wg sync.WaitGroup
	lines := make([]string, len(sel))
	failed := false
	var mu sync.Mutex
	for k, j := range sel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc, err := runJob(ctx, log, j, train, test, *seed)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				log.Error("training failed", "model", j.name, "err", err)
				failed = true
				return
			}
			what := "test"
			if j.subset > 0 {
				what = fmt.Sprintf("train(%d)", j.subset)
			}
			ok := "ok"
			if acc < j.want {
				ok, failed = "BELOW TARGET", true
			}
			lines[k] = fmt.Sprintf("%s: %s accuracy %.4f (target %.4f) %s", j.name, what, acc, j.want, ok)
		}()
	}
	wg.Wait()
	for _, l := range lines {
		if l != "" {
			fmt.Println(l)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func runJob(ctx context.Context, log *slog.Logger, j job, train, test *datasets.Dataset, seed uint64) (float64, error) {
	m, err := trainer.NewModel(j.arch, train.Shape, train.Classes, seed, 256)
	if err != nil {
		return 0, err
	}
	var idx []int
	if j.subset > 0 {
		idx = make([]int, j.subset)
		for i := range idx {
			idx[i] = i
		}
	}
	start := time.Now()
	_, err = trainer.Train(ctx, m, train, j.recipe, trainer.TrainOptions{Indices: idx,
		OnEpoch: func(ctx context.Context, epoch int, st trainer.EpochStats, _ func(io.Writer) error) error {
			log.Info("epoch", "model", j.name, "epoch", epoch, "loss", st.Loss, "train_acc", st.Accuracy, "elapsed", time.Since(start).Round(time.Second))
			return nil
		}})
	if err != nil {
		return 0, err
	}
	evalOn, evalIdx := test, []int(nil)
	if j.subset > 0 {
		evalOn, evalIdx = train, idx
	}
	ev, err := trainer.Evaluate(ctx, m, evalOn, evalIdx, "")
	if err != nil {
		return 0, err
	}
	return ev.Accuracy, nil
}
