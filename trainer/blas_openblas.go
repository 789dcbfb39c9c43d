//go:build openblas

package trainer

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"

	"github.com/umbra-ml/umbra/trainer/internal/openblas"
)

// OpenBLASAvailable reports whether this binary was built with the openblas
// tag and can therefore switch gonum's BLAS to OpenBLAS.
const OpenBLASAvailable = true

// UseOpenBLAS switches gonum's blas32 and blas64 to OpenBLAS (through
// gonum.org/v1/netlib) and limits OpenBLAS to one thread: Umbra trains one
// model per goroutine, so BLAS-level threading would only oversubscribe the
// cores. Call it once at program start, before any model is trained; it
// changes process-wide state (the one global this package touches).
//
// OpenBLAS creates its thread pool when the library loads, before any Go
// code runs; set OPENBLAS_NUM_THREADS=1 in the process environment too, or
// the idle pool threads keep spinning (about 20% of a small MLP's time).
func UseOpenBLAS() error {
	openblas.SingleThreaded()
	blas32.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
	return nil
}
