package plan

import (
	"math/bits"
	"math/rand/v2"
)

// Domain-separation tags mixed into the seed so that the masks and the split
// drawn from the same user seed are independent streams.
const (
	TagMasks uint64 = 0x6d61736b73000001 // "masks\0\0\1"
	TagSplit uint64 = 0x73706c6974000001 // "split\0\0\1"
)

// Mix derives a PCG seed word from a user seed and a domain tag: SplitMix64's
// finaliser (Steele, Lea & Flood 2014) applied to seed XOR tag plus the
// golden-ratio increment.
func Mix(seed, tag uint64) uint64 {
	z := seed ^ tag
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// BoundedUint64 returns a uniform integer in [0, n) from src using Lemire's
// multiply-shift method with rejection. n must be > 0.
func BoundedUint64(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n // (2^64 - n) mod n
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}
