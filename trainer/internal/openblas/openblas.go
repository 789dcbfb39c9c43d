//go:build openblas

package openblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
*/
import "C"

// SingleThreaded limits OpenBLAS to one thread for the whole process.
func SingleThreaded() { C.openblas_set_num_threads(1) }
