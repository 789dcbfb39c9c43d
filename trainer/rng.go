package trainer

import (
	"hash/fnv"
	"math/rand/v2"
)

// Random stream names. Each model derives one independent PCG stream per
// name from its seed, so e.g. adding dropout does not change the shuffling.
const (
	streamInit    = "init"
	streamShuffle = "shuffle"
	streamDropout = "dropout"
	streamAugment = "augment"
	streamPGD     = "pgd"
)

// splitmix64 is the SplitMix64 finaliser, a bijective 64-bit mixer.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func hashName(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// newStream returns the PCG source of stream name for seed.
func newStream(seed uint64, name string) *rand.PCG {
	h := hashName(name)
	return rand.NewPCG(splitmix64(seed^splitmix64(h)), splitmix64(h^splitmix64(seed+1)))
}

// exampleRand is a counter-based generator for per-example randomness: the
// k-th draw for (seed, stream, epoch, index) is a hash of those values, so
// it does not depend on the order in which examples are visited.
type exampleRand struct {
	key uint64
	k   uint64
}

func newExampleRand(seed uint64, stream string, epoch, index int) exampleRand {
	key := splitmix64(seed ^ splitmix64(hashName(stream)))
	key = splitmix64(key ^ uint64(epoch))
	key = splitmix64(key ^ (uint64(index) * 0x9e3779b97f4a7c15))
	return exampleRand{key: key}
}

func (r *exampleRand) next() uint64 {
	r.k++
	return splitmix64(r.key + r.k*0xd1b54a32d192ed03)
}

// intn returns a value in [0, n) (n > 0); the modulo bias is below 2⁻⁵⁰ for
// the small n used here.
func (r *exampleRand) intn(n int) int { return int(r.next() % uint64(n)) }
