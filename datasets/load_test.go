package datasets

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDispatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	csvPath := writeFile(t, filepath.Join(dir, "t.csv"), []byte("a,y\n1,0\n2,1\n"))
	writeFile(t, filepath.Join(dir, "cifar100", "test.bin"), cifarRecord([]byte{1, 5}, 0))
	mn := filepath.Join(dir, "mnist")
	writeMNISTDir(t, mn, true)
	tests := []struct {
		name, path string
		opts       LoadOptions
		n          int
		dsName     string
	}{
		{"csv", csvPath, LoadOptions{CSV: CSVOptions{Label: "y"}}, 2, "csv"},
		{"cifar100", filepath.Join(dir, "cifar100"), LoadOptions{Split: "test"}, 1, "cifar100/test"},
		{"mnist", mn, LoadOptions{}, 2, "mnist/train"},
		{"fashion-mnist", mn, LoadOptions{Split: "train"}, 2, "fashion-mnist/train"},
		{"purchase-synthetic", "", LoadOptions{Purchase: PurchaseConfig{N: 10, Dim: 5, Classes: 2}}, 10, "purchase-synthetic"},
		{"tabular-synthetic", "", LoadOptions{TabularSynthetic: TabularSyntheticConfig{N: 7, Dim: 3, SensitiveFraction: 0.5}}, 7, "tabular-synthetic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Load(ctx, tc.name, tc.path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Len() != tc.n || d.Name != tc.dsName {
				t.Fatalf("%d examples named %q, want %d %q", d.Len(), d.Name, tc.n, tc.dsName)
			}
		})
	}
	if _, err := Load(ctx, "imagenet", "", LoadOptions{}); err == nil || !strings.Contains(err.Error(), "purchase-synthetic") {
		t.Fatalf("unknown name: %v", err)
	}
	if _, err := Load(ctx, "adult", dir, LoadOptions{Split: "dev"}); err == nil {
		t.Fatal("adult split dev accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Load(cancelled, "csv", csvPath, LoadOptions{CSV: CSVOptions{Label: "y"}}); err == nil {
		t.Fatal("cancelled context ignored")
	}
}

func TestLoadRealTabular(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		n    int
	}{{"adult", 32561}, {"credit-g", 1000}} {
		dir := requireData(t, tc.name)
		d, err := Load(ctx, tc.name, dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Len() != tc.n {
			t.Fatalf("%s: %d rows, want %d", tc.name, d.Len(), tc.n)
		}
	}
}

func TestLoadAllSplits(t *testing.T) {
	dir := requireData(t, "mnist")
	d, err := Load(context.Background(), "mnist", dir, LoadOptions{Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 70000 || d.Name != "mnist/all" || d.Y[60000] != 7 {
		t.Fatalf("%d examples named %q, Y[60000] = %d", d.Len(), d.Name, d.Y[60000])
	}
}
