package trainer

import (
	"os"
	"testing"
)

// TestMain selects OpenBLAS in builds tagged openblas, so that
// `go test -tags openblas` checks and benchmarks the OpenBLAS path.
func TestMain(m *testing.M) {
	if OpenBLASAvailable {
		if err := UseOpenBLAS(); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
