//go:build linux

package artifacts

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// xattrName is the extended attribute holding a local object's checksum.
const xattrName = "user.umbra.crc32c"

// setChecksumAttr stores c on the open file f.
func setChecksumAttr(f *os.File, c Checksum) error {
	if err := unix.Fsetxattr(int(f.Fd()), xattrName, []byte(c), 0); err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("setting xattr %s on %s: the filesystem does not support user extended attributes: %w", xattrName, f.Name(), err)
		}
		return fmt.Errorf("setting xattr %s on %s: %w", xattrName, f.Name(), err)
	}
	return nil
}

// getChecksumAttr reads the checksum stored on the open file f.
func getChecksumAttr(f *os.File) (Checksum, error) {
	var buf [64]byte
	n, err := unix.Fgetxattr(int(f.Fd()), xattrName, buf[:])
	if err != nil {
		if errors.Is(err, unix.ENODATA) {
			return "", fmt.Errorf("%s has no %s extended attribute (not written by Umbra, or copied without xattrs)", f.Name(), xattrName)
		}
		return "", fmt.Errorf("reading xattr %s of %s: %w", xattrName, f.Name(), err)
	}
	c := Checksum(buf[:n])
	if _, err := parseChecksum(c); err != nil {
		return "", fmt.Errorf("xattr %s of %s: %w", xattrName, f.Name(), err)
	}
	return c, nil
}
