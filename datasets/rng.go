package datasets

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// RNG is the package's explicitly specified pseudo-random generator, so that
// shuffles, subsets, splits and synthetic data are identical across runs,
// platforms and Go releases:
//
//   - the bit source is PCG-DXSM as implemented by math/rand/v2's PCG (a
//     specified algorithm whose output Go keeps stable), seeded with
//     NewPCG(seed, FNV-1a-64(stream)): the user's seed, and a stream name that
//     separates independent uses of one seed ("permutation", "purchase", ...);
//   - only Uint64 is taken from it; bounded integers, floats and normals are
//     derived here (not with rand.Rand's methods, whose algorithms are not
//     specified by the Go 1 promise): IntN is Lemire's multiply-shift with
//     rejection, Float64 is the top 53 bits / 2^53, Norm is Box–Muller.
//
// An RNG is not safe for concurrent use.
type RNG struct {
	src *rand.PCG
}

// NewRNG returns the generator for (seed, stream).
func NewRNG(seed uint64, stream string) *RNG {
	return &RNG{src: rand.NewPCG(seed, fnv1a64(stream))}
}

// fnv1a64 is the 64-bit FNV-1a hash (offset basis 14695981039346656037,
// prime 1099511628211).
func fnv1a64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Uint64 returns the next 64 random bits.
func (r *RNG) Uint64() uint64 { return r.src.Uint64() }

// IntN returns a uniform integer in [0, n); n must be > 0 (n <= 0 returns 0).
func (r *RNG) IntN(n int) int {
	if n <= 0 {
		return 0
	}
	return int(boundedUint64(r.src.Uint64, uint64(n)))
}

// boundedUint64 maps draws of next to [0, n) without bias (Lemire 2019,
// "Fast random integer generation in an interval").
func boundedUint64(next func() uint64, n uint64) uint64 {
	hi, lo := bits.Mul64(next(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(next(), n)
		}
	}
	return hi
}

// Float64 returns a uniform float64 in [0, 1).
func (r *RNG) Float64() float64 {
	return float64(r.src.Uint64()>>11) * 0x1p-53
}

// Norm returns a standard normal deviate (Box–Muller, one value per pair of
// uniforms; the second value is discarded to keep the stream stateless).
func (r *RNG) Norm() float64 {
	u1 := 1 - r.Float64() // (0, 1]
	u2 := r.Float64()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// Bernoulli returns true with probability p.
func (r *RNG) Bernoulli(p float64) bool { return r.Float64() < p }

// Shuffle permutes idx in place (Fisher–Yates, from the last position down).
func (r *RNG) Shuffle(idx []int) {
	for i := len(idx) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		idx[i], idx[j] = idx[j], idx[i]
	}
}

// Permutation returns a seeded permutation of [0, n), using the stream
// "permutation". The same (n, seed) gives the same permutation everywhere.
func Permutation(n int, seed uint64) []int {
	idx := make([]int, max(n, 0))
	for i := range idx {
		idx[i] = i
	}
	NewRNG(seed, "permutation").Shuffle(idx)
	return idx
}

// Shuffle returns d's examples in the order Permutation(d.Len(), seed).
func Shuffle(d *Dataset, seed uint64) (*Dataset, error) {
	return d.Subset(Permutation(d.Len(), seed))
}

// SampleIndices returns k distinct indices from [0, n), in the order of the
// first k entries of Permutation(n, seed).
func SampleIndices(n, k int, seed uint64) ([]int, error) {
	if k < 0 || k > n {
		return nil, fmt.Errorf("sample of %d from %d examples: size must be in [0, %d]", k, n, n)
	}
	return Permutation(n, seed)[:k], nil
}
