//go:build openblas

package kernels

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// With -tags openblas (and CGO_LDFLAGS=-lopenblas), the tests and
// benchmarks of this package run on OpenBLAS, as the engine does in
// production. Set OPENBLAS_NUM_THREADS=1 for single-threaded numbers.
func init() {
	blas32.Use(netlib.Implementation{})
}
