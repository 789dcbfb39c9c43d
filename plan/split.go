package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Split chooses two disjoint sets of example indices from [0, total): the
// universe (the examples whose membership the experiment randomises) and the
// population (held-out examples, e.g. RMIA's reference population). Both are
// returned sorted ascending. Either size may be 0.
func Split(seed uint64, total, universe, population int) (universeIdx, populationIdx []int, err error) {
	switch {
	case total <= 0:
		return nil, nil, fmt.Errorf("%w: total = %d: must be > 0", ErrInvalid, total)
	case universe < 0:
		return nil, nil, fmt.Errorf("%w: universe = %d: must be >= 0", ErrInvalid, universe)
	case population < 0:
		return nil, nil, fmt.Errorf("%w: population = %d: must be >= 0", ErrInvalid, population)
	case universe > total-population:
		return nil, nil, fmt.Errorf("%w: universe + population = %d + %d exceeds total = %d", ErrInvalid, universe, population, total)
	}
	need := universe + population
	perm := make([]int, total)
	for i := range perm {
		perm[i] = i
	}
	pcg := rand.NewPCG(Mix(seed, TagSplit), 0)
	n := uint64(total)
	for i := 0; i < need; i++ {
		r := i + int(BoundedUint64(pcg, n-uint64(i)))
		perm[i], perm[r] = perm[r], perm[i]
	}
	universeIdx = slices.Clone(perm[:universe])
	populationIdx = slices.Clone(perm[universe:need])
	slices.Sort(universeIdx)
	slices.Sort(populationIdx)
	return universeIdx, populationIdx, nil
}
