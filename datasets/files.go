package datasets

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// content is an opened input file, transparently decompressed when it starts
// with the gzip magic bytes (1f 8b), whatever its name.
type content struct {
	io.Reader
	f      *os.File
	gz     *gzip.Reader
	size   int64 // file size on disk (compressed size for gzip)
	gzip   bool
	closed bool
}

func openContent(path string) (*content, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	c := &content{Reader: br, f: f, size: st.Size()}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: gzip header: %w", path, err)
		}
		gz.Multistream(true)
		c.gz, c.gzip, c.Reader = gz, true, bufio.NewReaderSize(gz, 1<<16)
	}
	return c, nil
}

func (c *content) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.gz != nil {
		c.gz.Close()
	}
	return c.f.Close()
}

// sizeHint guesses the content size for preallocation.
func (c *content) sizeHint() int64 {
	if c.gzip {
		return 4 * c.size
	}
	return c.size
}

// readExactly reads exactly n bytes from r, growing its buffer as data
// arrives (so a corrupt header that declares a huge size cannot force a huge
// allocation before the data is there). hint bounds the first allocation.
// It returns the bytes read and io.ErrUnexpectedEOF if r ended early.
func readExactly(r io.Reader, n, hint int64) ([]byte, error) {
	first := min(n, max(hint, 1<<16), 1<<28)
	buf := make([]byte, 0, first)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), int64(cap(buf)))))
		}
		end := min(int64(cap(buf)), n)
		m, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			if int64(len(buf)) < n {
				return buf, io.ErrUnexpectedEOF
			}
			break
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// expectEOF reports whether r has no more content.
func expectEOF(r io.Reader) (bool, error) {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n > 0 {
			return false, nil
		}
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// findFile returns dir/base or dir/base.gz, whichever exists (base first).
func findFile(dir, base string) (string, error) {
	for _, name := range []string{base, base + ".gz"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: neither %s nor %s.gz found: %w", dir, base, base, os.ErrNotExist)
}
