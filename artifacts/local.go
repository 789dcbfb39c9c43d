package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// tmpPrefix starts the names of in-progress files; keys may not use it and
// List skips such files.
const tmpPrefix = ".umbra-tmp-"

// Local is a Store in a directory of the local filesystem. Object "a/b/c"
// is the file <root>/a/b/c with its CRC32C checksum in the extended
// attribute user.umbra.crc32c. A Put writes a temporary file in the target
// directory, sets the attribute, fsyncs it, then renames it into place (or,
// for IfAbsent, hard-links it, which fails atomically when the name exists)
// and fsyncs the directory: a reader sees the old object, the new one, or
// nothing, never a prefix, and the checksum travels with the inode.
type Local struct {
	root string
}

// OpenLocal opens (creating if needed) a local directory store.
func OpenLocal(dir string) (*Local, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%w: local store path %q must be absolute", ErrConfig, dir)
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("local store %s: %w", dir, err)
	}
	return &Local{root: dir}, nil
}

// String returns the store's file:// URL.
func (l *Local) String() string { return "file://" + filepath.ToSlash(l.root) }

func (l *Local) path(key string) string { return filepath.Join(l.root, filepath.FromSlash(key)) }

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (info ObjectInfo, err error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("put: %w", err)
	}
	pr, err := newPutReader(key, r, size, opts.Checksum)
	if err != nil {
		return ObjectInfo{}, err
	}
	final := l.path(key)
	dir := filepath.Dir(final)
	if opts.IfAbsent {
		if _, err := os.Lstat(final); err == nil {
			return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, ErrExists)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	tmp, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx: ctx, r: pr})
	if err != nil {
		return ObjectInfo{}, wrapPut(key, l, err)
	}
	sum := pr.Checksum()
	if err := tmp.Chmod(0o644); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	if err := setChecksumAttr(tmp, sum); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	if err := tmp.Sync(); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: fsync: %w", key, l, err)
	}
	if err := tmp.Close(); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	if opts.IfAbsent {
		if err := os.Link(tmp.Name(), final); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, ErrExists)
			}
			return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
		}
		if err := os.Remove(tmp.Name()); err != nil {
			return ObjectInfo{}, fmt.Errorf("put %q in %s: removing temporary file: %w", key, l, err)
		}
	} else if err := os.Rename(tmp.Name(), final); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	if err := syncDir(dir); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	st, err := os.Stat(final)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, l, err)
	}
	return ObjectInfo{Key: key, Size: n, Checksum: sum, ModTime: st.ModTime()}, nil
}

// wrapPut adds the key and store to a Put error unless the putReader already
// named the key.
func wrapPut(key string, s fmt.Stringer, err error) error {
	if errors.Is(err, ErrSize) || errors.Is(err, ErrChecksum) || strings.HasPrefix(err.Error(), "put ") {
		return fmt.Errorf("%w (store %s)", err, s)
	}
	return fmt.Errorf("put %q in %s: %w", key, s, err)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// ctxReader stops a copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("get: %w", err)
	}
	f, info, err := l.open(key)
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("get %w", err)
	}
	return newGetReader(l.String(), key, readCloser{Reader: ctxReader{ctx: ctx, r: f}, Closer: f}, info.Size, info.Checksum), info, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// open opens key's file and reads size and checksum from the same inode.
func (l *Local) open(key string) (*os.File, ObjectInfo, error) {
	f, err := os.Open(l.path(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ObjectInfo{}, fmt.Errorf("%q in %s: %w", key, l, ErrNotFound)
		}
		return nil, ObjectInfo{}, fmt.Errorf("%q in %s: %w", key, l, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file")
		if st.IsDir() {
			err = ErrNotFound
		}
	}
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("%q in %s: %w", key, l, err)
	}
	sum, err := getChecksumAttr(f)
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("%q in %s: %w", key, l, err)
	}
	return f, ObjectInfo{Key: key, Size: st.Size(), Checksum: sum, ModTime: st.ModTime()}, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	f, info, err := l.open(key)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat %w", err)
	}
	f.Close()
	return info, nil
}

// List implements Store. Entries carry Key, Size and ModTime; Checksum is
// left empty, as on S3 (use Stat).
func (l *Local) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("list in %s: %w", l, err)
	}
	// Walk from the deepest directory the prefix names completely.
	start := l.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = l.path(prefix[:i])
	}
	var out []ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // deleted while listing
				return nil
			}
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %q in %s: %w", prefix, l, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := os.Remove(l.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %q in %s: %w", key, l, err)
	}
	return nil
}
