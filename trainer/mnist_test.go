package trainer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbra-ml/umbra/datasets"
)

// mnistDir returns $UMBRA_DATA (default <repo>/data) + "/mnist", skipping
// the test when the files are absent unless UMBRA_REQUIRE_DATA=1.
func mnistDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("UMBRA_DATA")
	if root == "" {
		root = filepath.Join("..", "data")
	}
	dir := filepath.Join(root, "mnist")
	if _, err := os.Stat(filepath.Join(dir, "train-labels-idx1-ubyte")); err != nil {
		if _, gzErr := os.Stat(filepath.Join(dir, "train-labels-idx1-ubyte.gz")); gzErr != nil {
			if os.Getenv("UMBRA_REQUIRE_DATA") == "1" {
				t.Fatalf("MNIST not found in %s (UMBRA_REQUIRE_DATA=1)", dir)
			}
			t.Skipf("MNIST not found in %s; set UMBRA_DATA", dir)
		}
	}
	return dir
}

// TestMNISTSubsetFit fits 1,000 MNIST training examples to 100% training
// accuracy. The full-data accuracy figures are checked by
// `go run ./bench/accuracy`, which takes minutes.
func TestMNISTSubsetFit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for several seconds")
	}
	dir := mnistDir(t)
	ds, err := datasets.LoadMNIST(context.Background(), dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 1000)
	for i := range idx {
		idx[i] = i
	}
	m, err := NewModel(ArchConfig{Name: ArchMLP, Hidden: []int{256}}, ds.Shape, ds.Classes, 1, 64)
	if err != nil {
		t.Fatal(err)
	}
	r := Recipe{Epochs: 30, BatchSize: 64, Optimizer: OptimizerConfig{Kind: Adam, LR: 1e-3}}
	if _, err := Train(context.Background(), m, ds, r, TrainOptions{Indices: idx}); err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(context.Background(), m, ds, idx, "")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != 1 {
		t.Errorf("training accuracy on 1,000 examples %.4f, want 1", ev.Accuracy)
	}
}
