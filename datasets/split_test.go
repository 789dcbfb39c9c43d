package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSplitIndices(t *testing.T) {
	parts, err := SplitIndices(10, []int{6, 3}, 42)
	if err != nil {
		t.Fatal(err)
	}
	perm := Permutation(10, 42)
	want0 := slices.Sorted(slices.Values(perm[:6]))
	want1 := slices.Sorted(slices.Values(perm[6:9]))
	if !slices.Equal(parts[0], want0) || !slices.Equal(parts[1], want1) {
		t.Fatalf("SplitIndices = %v, want %v %v", parts, want0, want1)
	}
	seen := map[int]bool{}
	for _, p := range parts {
		for _, i := range p {
			if seen[i] {
				t.Fatalf("index %d in two parts", i)
			}
			seen[i] = true
		}
	}
	for _, bad := range [][]int{{11}, {5, 6}, {-1}} {
		if _, err := SplitIndices(10, bad, 0); err == nil {
			t.Errorf("SplitIndices(10, %v) accepted", bad)
		}
	}
}

func TestFractionSizes(t *testing.T) {
	tests := []struct {
		n    int
		f    []float64
		want []int
		err  string
	}{
		{10, []float64{0.5, 0.5}, []int{5, 5}, ""},
		{10, []float64{0.7, 0.3}, []int{7, 3}, ""},
		{7, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, []int{3, 2, 2}, ""},
		{10, []float64{0.25, 0.25}, []int{2, 2}, ""},
		{10, []float64{0.6, 0.6}, nil, "sum to"},
		{10, []float64{-0.1}, nil, "must be in [0, 1]"},
		{10, []float64{math.NaN()}, nil, "must be in [0, 1]"},
	}
	for _, tc := range tests {
		got, err := FractionSizes(tc.n, tc.f)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("FractionSizes(%d, %v) error = %v, want %q", tc.n, tc.f, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("FractionSizes(%d, %v) = %v, %v; want %v", tc.n, tc.f, got, err, tc.want)
		}
	}
}

func TestTrainTestSplit(t *testing.T) {
	d, err := Purchase(PurchaseConfig{N: 100, Dim: 8, Classes: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := TrainTestSplit(d, 0.25, 9)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 75 || test.Len() != 25 {
		t.Fatalf("sizes %d, %d; want 75, 25", train.Len(), test.Len())
	}
	parts, _ := SplitIndices(100, []int{75, 25}, 9)
	want, _ := d.Subset(parts[1])
	if test.Fingerprint() != want.Fingerprint() {
		t.Fatal("test part differs from SplitIndices' second part")
	}
	if _, _, err := TrainTestSplit(d, 1.5, 0); err == nil {
		t.Fatal("test fraction 1.5 accepted")
	}
}

func TestStratifiedSplit(t *testing.T) {
	labels := make([]int, 100)
	for i := range labels {
		if i%4 == 0 {
			labels[i] = 1 // 25 of class 1, 75 of class 0
		}
	}
	train, test, err := StratifiedSplitIndices(labels, 2, 0.2, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(train) != 80 || len(test) != 20 {
		t.Fatalf("sizes %d, %d; want 80, 20", len(train), len(test))
	}
	ones := 0
	for _, i := range test {
		ones += labels[i]
	}
	if ones != 5 { // round(0.2 * 25)
		t.Fatalf("test holds %d of class 1, want 5", ones)
	}
	if _, _, err := StratifiedSplitIndices([]int{0, 2}, 2, 0.5, 0); err == nil || !strings.Contains(err.Error(), "example 1: label 2") {
		t.Fatalf("bad label error = %v", err)
	}
}

func TestShuffle(t *testing.T) {
	d := tinyDataset()
	s, err := Shuffle(d, 3)
	if err != nil {
		t.Fatal(err)
	}
	p := Permutation(3, 3)
	for k, i := range p {
		if s.Y[k] != d.Y[i] || s.X[2*k] != d.X[2*i] {
			t.Fatalf("Shuffle position %d does not hold example %d", k, i)
		}
	}
}
