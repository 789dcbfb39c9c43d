//go:build !linux

package artifacts

import (
	"fmt"
	"os"
	"runtime"
)

func setChecksumAttr(f *os.File, c Checksum) error {
	return fmt.Errorf("local store: checksums are kept in extended attributes, supported on Linux only (not %s)", runtime.GOOS)
}

func getChecksumAttr(f *os.File) (Checksum, error) {
	return "", fmt.Errorf("local store: checksums are kept in extended attributes, supported on Linux only (not %s)", runtime.GOOS)
}
