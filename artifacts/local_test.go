package artifacts

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// flipByte inverts the byte in the middle of path, keeping its xattrs.
func flipByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	off := st.Size() / 2
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func newLocalSuiteStore(t *testing.T) suiteStore {
	dir := t.TempDir()
	s, err := Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// No temporary file may survive a Put, successful or not.
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(d.Name(), tmpPrefix) {
				t.Errorf("temporary file left behind: %s", p)
			}
			return nil
		})
	})
	return suiteStore{Store: s, corrupt: func(t *testing.T, key string) {
		flipByte(t, filepath.Join(dir, filepath.FromSlash(key)))
	}}
}

func TestLocalStore(t *testing.T) { runStoreSuite(t, newLocalSuiteStore) }

func TestLocalFileWithoutChecksum(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "foreign.bin"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Stat(context.Background(), "foreign.bin")
	if err == nil || !strings.Contains(err.Error(), "user.umbra.crc32c") || !strings.Contains(err.Error(), "foreign.bin") {
		t.Fatalf("Stat of a file without checksum: err = %v", err)
	}
}

func TestOpenLocalErrors(t *testing.T) {
	for _, u := range []string{"file://host/dir", "file://", "relative/dir", "ftp://x/y", "file:relative"} {
		if _, err := Open(context.Background(), u); !errors.Is(err, ErrConfig) {
			t.Errorf("Open(%q) err = %v, want ErrConfig", u, err)
		}
	}
	if s, err := Open(context.Background(), "file:///"+strings.TrimPrefix(t.TempDir(), "/")+"/sub"); err != nil || !strings.HasPrefix(s.String(), "file:///") {
		t.Errorf("Open(file:///...) = %v, %v", s, err)
	}
}
