package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestMixSplitMix64 checks Mix against SplitMix64's published first output
// for state 0 (seed^tag = 0): 0xe220a8397b1dcdaf.
func TestMixSplitMix64(t *testing.T) {
	if got, want := Mix(0, 0), uint64(0xe220a8397b1dcdaf); got != want {
		t.Fatalf("Mix(0,0) = %#x, want %#x", got, want)
	}
	if Mix(1, TagMasks) == Mix(1, TagSplit) {
		t.Fatal("masks and split streams share a seed")
	}
}

func TestBoundedUint64(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 7, 256, 1 << 40, 1<<63 + 1, ^uint64(0)} {
		a := rand.NewPCG(42, uint64(n))
		b := rand.NewPCG(42, uint64(n))
		for range 1000 {
			got := BoundedUint64(a, n)
			if got >= n {
				t.Fatalf("BoundedUint64(n=%d) = %d out of range", n, got)
			}
			// Reference: the same draw by rejection on the 128-bit product.
			var want uint64
			for {
				hi, lo := bits.Mul64(b.Uint64(), n)
				if lo >= (-n)%n {
					want = hi
					break
				}
			}
			if got != want {
				t.Fatalf("n=%d: got %d, want %d", n, got, want)
			}
		}
	}
}

// referenceMasks follows the package documentation literally: a fresh
// identity permutation and a fresh stream per column.
func referenceMasks(seed uint64, models, examples int, keep float64) []bool {
	k := KeepCount(models, keep)
	out := make([]bool, models*examples)
	for j := 0; j < examples; j++ {
		perm := make([]int, models)
		for i := range perm {
			perm[i] = i
		}
		pcg := rand.NewPCG(Mix(seed, TagMasks), uint64(j))
		for i := 0; i < k; i++ {
			r := i + int(BoundedUint64(pcg, uint64(models-i)))
			perm[i], perm[r] = perm[r], perm[i]
		}
		for _, m := range perm[:k] {
			out[m*examples+j] = true
		}
	}
	return out
}

func maskHash(mask []bool) string {
	packed := make([]byte, (len(mask)+7)/8)
	for i, b := range mask {
		if b {
			packed[i/8] |= 1 << (i % 8)
		}
	}
	sum := sha256.Sum256(packed)
	return hex.EncodeToString(sum[:8])
}

var maskCases = []struct {
	seed             uint64
	models, examples int
	keep             float64
	golden           string
}{
	{seed: 0, models: 16, examples: 100, keep: 0.5, golden: "8f2741a9f6ff78f9"},
	{seed: 1, models: 16, examples: 100, keep: 0.5, golden: "8b8efd04012acf38"},
	{seed: 12345, models: 7, examples: 33, keep: 0.3, golden: "0addc45f91482a3d"},
	{seed: 1 << 63, models: 256, examples: 1000, keep: 0.5, golden: "0ff019ab3c3f6f3f"},
	{seed: 9, models: 1, examples: 5, keep: 0.5, golden: "ffe679bb831c95b6"},
}

func TestMasksGolden(t *testing.T) {
	for _, c := range maskCases {
		m, err := Masks(c.seed, c.models, c.examples, c.keep)
		if err != nil {
			t.Fatal(err)
		}
		if got := maskHash(m); got != c.golden {
			t.Errorf("Masks(%d, %d, %d, %v) hash = %s, want %s", c.seed, c.models, c.examples, c.keep, got, c.golden)
		}
	}
}

func TestMasksProperties(t *testing.T) {
	for _, c := range maskCases {
		m, err := Masks(c.seed, c.models, c.examples, c.keep)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != c.models*c.examples {
			t.Fatalf("len = %d, want %d", len(m), c.models*c.examples)
		}
		if !slices.Equal(m, referenceMasks(c.seed, c.models, c.examples, c.keep)) {
			t.Errorf("seed %d: Masks differs from the documented reference algorithm", c.seed)
		}
		k := KeepCount(c.models, c.keep)
		for j := 0; j < c.examples; j++ {
			n := 0
			for mi := 0; mi < c.models; mi++ {
				if m[mi*c.examples+j] {
					n++
				}
			}
			if n != k {
				t.Fatalf("seed %d column %d: %d models, want %d", c.seed, j, n, k)
			}
		}
		for mi := 0; mi < c.models; mi++ {
			row, err := MaskRow(c.seed, c.models, c.examples, c.keep, mi)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(row, m[mi*c.examples:(mi+1)*c.examples]) {
				t.Fatalf("seed %d: MaskRow(%d) differs from row of Masks", c.seed, mi)
			}
		}
	}
}

func TestKeepCount(t *testing.T) {
	for _, c := range []struct {
		models int
		keep   float64
		want   int
	}{{256, 0.5, 128}, {3, 0.5, 2}, {7, 0.3, 2}, {10, 0.25, 3}, {1, 0.5, 1}, {1, 0.4, 0}} {
		if got := KeepCount(c.models, c.keep); got != c.want {
			t.Errorf("KeepCount(%d, %v) = %d, want %d", c.models, c.keep, got, c.want)
		}
	}
}

// TestMasksSeedsDiffer guards against a derivation that ignores the seed or
// gives every column the same subset.
func TestMasksSeedsDiffer(t *testing.T) {
	a, _ := Masks(1, 32, 200, 0.5)
	b, _ := Masks(2, 32, 200, 0.5)
	if slices.Equal(a, b) {
		t.Fatal("seeds 1 and 2 give the same masks")
	}
	// Columns 0 and 1 of seed 1 should (overwhelmingly likely) differ.
	same := true
	for m := 0; m < 32; m++ {
		same = same && a[m*200] == a[m*200+1]
	}
	if same {
		t.Fatal("columns 0 and 1 are identical")
	}
	// Each model trains on about half the examples (binomial, sd ≈ 7).
	for m := 0; m < 32; m++ {
		n := 0
		for _, in := range a[m*200 : (m+1)*200] {
			if in {
				n++
			}
		}
		if n < 50 || n > 150 {
			t.Fatalf("model %d trains on %d of 200 examples", m, n)
		}
	}
}

func TestMaskErrors(t *testing.T) {
	for _, c := range []struct {
		models, examples, model int
		keep                    float64
		want                    string
	}{
		{0, 10, 0, 0.5, "models = 0"},
		{-1, 10, 0, 0.5, "models = -1"},
		{4, 0, 0, 0.5, "examples = 0"},
		{4, 10, 0, 0, "keep = 0"},
		{4, 10, 0, 1, "keep = 1"},
		{4, 10, 0, -0.1, "keep = -0.1"},
		{1 << 20, 1 << 20, 0, 0.5, "models×examples"},
		{4, 10, 4, 0.5, "model = 4"},
		{4, 10, -1, 0.5, "model = -1"},
	} {
		_, err := MaskRow(7, c.models, c.examples, c.keep, c.model)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MaskRow(%d, %d, %v, %d) error = %v, want one naming %q", c.models, c.examples, c.keep, c.model, err, c.want)
		}
		if c.model >= 0 && c.model < max(c.models, 1) {
			if _, err := Masks(7, c.models, c.examples, c.keep); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Masks(%d, %d, %v) error = %v, want one naming %q", c.models, c.examples, c.keep, err, c.want)
			}
		}
	}
}

func BenchmarkMasks256x60000(b *testing.B) {
	for b.Loop() {
		if _, err := Masks(1, 256, 60000, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMaskRow256x60000(b *testing.B) {
	for b.Loop() {
		if _, err := MaskRow(1, 256, 60000, 0.5, 17); err != nil {
			b.Fatal(err)
		}
	}
}
