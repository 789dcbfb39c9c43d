//go:build !openblas

package trainer

import "errors"

// OpenBLASAvailable reports whether this binary was built with the openblas
// tag and can therefore switch gonum's BLAS to OpenBLAS.
const OpenBLASAvailable = false

// ErrNoOpenBLAS is returned by UseOpenBLAS in builds without the openblas tag.
var ErrNoOpenBLAS = errors.New("trainer: built without the openblas tag; rebuild with -tags openblas and CGO_LDFLAGS=-lopenblas")

// UseOpenBLAS reports ErrNoOpenBLAS: this build uses gonum's pure-Go BLAS.
func UseOpenBLAS() error { return ErrNoOpenBLAS }
