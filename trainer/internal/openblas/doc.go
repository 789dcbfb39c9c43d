// Package openblas holds the cgo call that limits OpenBLAS to one thread.
// It is a separate package because a package using cgo cannot contain Go
// assembly, and package trainer has an assembly SGEMM kernel. Its code is
// built only with the openblas build tag.
package openblas
