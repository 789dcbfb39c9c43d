//go:build unix

package attacks

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time consumed by this process so
// far. The benchmarks report it per op beside wall time because the shared
// build machine is heavily oversubscribed and wall time mostly measures the
// wait for a core.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
