// Package plan computes the deterministic experiment plan: which examples of
// a dataset form the experiment's universe and population, and which of the
// universe's examples each model trains on (the membership masks).
//
// Everything here is pure, stdlib-only and reproducible bit for bit across
// runs, Go releases and platforms, because both the workflow code (which must
// be deterministic) and every TrainModel activity (which derives its own row
// of the mask) compute the same values independently.
//
// # Membership masks
//
// LiRA's reference code draws keep = rand(M, N).argsort(0) < M*pkeep: for
// every example (column) a uniformly random subset of the M models trains on
// it, of the same size for every example. Masks does the same with
// k = KeepCount(M, pkeep) = round(pkeep*M) models per example (math.Round,
// halves away from zero; numpy's comparison gives ceil(pkeep*M) when
// pkeep*M is not an integer: the two agree whenever pkeep*M is an integer,
// e.g. the default pkeep = 0.5 with an even M).
//
// The random numbers come from an explicitly specified generator rather than
// math/rand/v2's Rand helpers (whose algorithms Go does not promise to keep):
//
//   - Column j (0-based example index) uses its own PCG-DXSM stream
//     rand.NewPCG(Mix(seed, TagMasks), uint64(j)), where Mix is SplitMix64's
//     finaliser applied to seed XOR tag (see Mix). math/rand/v2 documents
//     PCG's algorithm (128-bit LCG with DXSM output), so its Uint64 stream is
//     fixed.
//   - A uniform integer in [0, n) is drawn by Lemire's multiply-shift method
//     with rejection (BoundedUint64): x = Uint64(); (hi, lo) = x*n as a
//     128-bit product; retry while lo < (2^64 - n) mod n; return hi.
//   - The k members of column j are the first k entries of a partial
//     Fisher–Yates shuffle of [0, 1, …, M-1]: for i = 0 … k-1, swap entry i
//     with entry i + BoundedUint64(M-i).
//
// Because every column has its own stream, a row (one model) is computed
// without materialising the matrix, and columns can be computed in any
// order.
//
// # Splits
//
// The universe and population are drawn by datasets.SplitIndices with the
// spec's split seed (see package activities); this package only plans
// membership.
package plan
