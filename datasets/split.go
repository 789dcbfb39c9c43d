package datasets

import (
	"fmt"
	"math"
	"slices"
)

// SplitIndices shuffles [0, n) with Permutation(n, seed) and cuts it into
// consecutive parts of the given sizes. The sizes must be >= 0 and sum to at
// most n; examples beyond the sum are left out. Each part is returned sorted
// ascending, so that a subset keeps the file order of its examples.
func SplitIndices(n int, sizes []int, seed uint64) ([][]int, error) {
	total := 0
	for i, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("split of %d examples: size[%d] = %d, must be >= 0", n, i, s)
		}
		total += s
	}
	if total > n {
		return nil, fmt.Errorf("split of %d examples: sizes sum to %d", n, total)
	}
	perm := Permutation(n, seed)
	parts := make([][]int, len(sizes))
	at := 0
	for i, s := range sizes {
		parts[i] = slices.Clone(perm[at : at+s])
		slices.Sort(parts[i])
		at += s
	}
	return parts, nil
}

// FractionSizes turns fractions (each in [0, 1], summing to at most 1) of n
// into part sizes: floor(f*n) each, with the first parts taking one extra
// example while the fractions sum to 1 and examples remain unassigned, so a
// full split covers every example.
func FractionSizes(n int, fractions []float64) ([]int, error) {
	sum := 0.0
	for i, f := range fractions {
		if !(f >= 0 && f <= 1) {
			return nil, fmt.Errorf("fraction[%d] = %v, must be in [0, 1]", i, f)
		}
		sum += f
	}
	if sum > 1+1e-9 {
		return nil, fmt.Errorf("fractions sum to %v, must be <= 1", sum)
	}
	sizes := make([]int, len(fractions))
	assigned := 0
	for i, f := range fractions {
		sizes[i] = int(math.Floor(f * float64(n)))
		assigned += sizes[i]
	}
	if math.Abs(sum-1) < 1e-9 {
		for i := 0; assigned < n && len(sizes) > 0; i = (i + 1) % len(sizes) {
			sizes[i]++
			assigned++
		}
	}
	return sizes, nil
}

// TrainTestSplit splits d into a training and a test part, the test part
// holding round(testFraction*N) examples chosen by SplitIndices with seed.
func TrainTestSplit(d *Dataset, testFraction float64, seed uint64) (train, test *Dataset, err error) {
	if !(testFraction >= 0 && testFraction <= 1) {
		return nil, nil, fmt.Errorf("dataset %q: test fraction %v must be in [0, 1]", d.Name, testFraction)
	}
	n := d.Len()
	nTest := int(math.Round(testFraction * float64(n)))
	parts, err := SplitIndices(n, []int{n - nTest, nTest}, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset %q: %w", d.Name, err)
	}
	if train, err = d.Subset(parts[0]); err != nil {
		return nil, nil, err
	}
	if test, err = d.Subset(parts[1]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// StratifiedSplitIndices splits [0, n) into a training and test part of
// approximately testFraction per class: within each class (in label order)
// the class's indices are shuffled with the stream "stratified/<class>" and
// the first round(testFraction*count) go to the test part. Parts are sorted.
func StratifiedSplitIndices(labels []int, classes int, testFraction float64, seed uint64) (train, test []int, err error) {
	if !(testFraction >= 0 && testFraction <= 1) {
		return nil, nil, fmt.Errorf("test fraction %v must be in [0, 1]", testFraction)
	}
	byClass := make([][]int, classes)
	for i, y := range labels {
		if y < 0 || y >= classes {
			return nil, nil, fmt.Errorf("example %d: label %d outside [0, %d)", i, y, classes)
		}
		byClass[y] = append(byClass[y], i)
	}
	for c, idx := range byClass {
		NewRNG(seed, fmt.Sprintf("stratified/%d", c)).Shuffle(idx)
		k := int(math.Round(testFraction * float64(len(idx))))
		test = append(test, idx[:k]...)
		train = append(train, idx[k:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test, nil
}
