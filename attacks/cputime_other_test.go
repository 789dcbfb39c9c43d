//go:build !unix

package attacks

import "time"

// processCPUTime is unavailable here; the cpu-ms/op metric reads 0.
func processCPUTime() time.Duration { return 0 }
