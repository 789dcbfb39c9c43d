package artifacts

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/url"
	"strings"
	"time"
)

// Store is a flat key/value object store for experiment artifacts.
//
// Keys are slash-separated relative paths ("models/ab12…/final.safetensors"):
// non-empty, without a leading or trailing slash, empty, "." or ".."
// segments, backslashes or control characters. Every object carries a CRC32C
// checksum of its bytes, computed while it is written and verified while it
// is read. Readers never observe a partially written object: a Put becomes
// visible all at once or not at all.
type Store interface {
	// Put streams r to key. size is the exact number of bytes r yields, or
	// -1 when unknown. The stream is checked against size and, when set,
	// opts.Checksum before the object becomes visible; on any error nothing
	// is stored. With opts.IfAbsent the Put fails with ErrExists when key
	// already exists.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error)
	// Get opens key for reading. The returned reader verifies the stored
	// checksum and size when it reaches EOF: a mismatch is returned from
	// Read instead of io.EOF, as an error wrapping ErrChecksum that names
	// the key. A missing key is ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// Stat returns key's size and checksum, or ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns every object whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String describes the store (scheme, location) without credentials.
	String() string
}

// PutOptions modify a Put.
type PutOptions struct {
	// IfAbsent makes the Put fail with ErrExists when the key exists
	// (create-only write; atomic on both backends).
	IfAbsent bool
	// Checksum, when non-empty, is the expected checksum of the stream; a
	// different stream fails the Put with ErrChecksum and stores nothing.
	Checksum Checksum
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key      string
	Size     int64
	Checksum Checksum
	ModTime  time.Time
}

// Sentinel errors. Errors returned by stores wrap one of these where it
// applies, together with the key or URL concerned.
var (
	ErrNotFound    = errors.New("object not found")
	ErrExists      = errors.New("object already exists")
	ErrChecksum    = errors.New("checksum mismatch")
	ErrSize        = errors.New("size mismatch")
	ErrInvalidKey  = errors.New("invalid key")
	ErrConfig      = errors.New("invalid store URL")
	ErrAuth        = errors.New("access denied (check credentials)")
	ErrNoBucket    = errors.New("bucket does not exist")
	ErrUnavailable = errors.New("store unavailable")
)

// Checksum is an object checksum written "crc32c:" followed by 8 lowercase
// hex digits of the big-endian CRC-32C (Castagnoli) of the object's bytes.
// CRC32C is what S3 computes natively, so the same value is checked by the
// server on upload and by Umbra on download.
type Checksum string

// castagnoli is the CRC-32C table (immutable).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const checksumPrefix = "crc32c:"

// newHash returns a CRC-32C hash.
func newHash() hash.Hash32 { return crc32.New(castagnoli) }

// checksumOf formats a CRC-32C value.
func checksumOf(sum uint32) Checksum {
	return Checksum(fmt.Sprintf("%s%08x", checksumPrefix, sum))
}

// ChecksumBytes returns the checksum of b.
func ChecksumBytes(b []byte) Checksum { return checksumOf(crc32.Checksum(b, castagnoli)) }

// parseChecksum validates c and returns its CRC value.
func parseChecksum(c Checksum) (uint32, error) {
	s, ok := strings.CutPrefix(string(c), checksumPrefix)
	if !ok || len(s) != 8 {
		return 0, fmt.Errorf("checksum %q: want %q and 8 hex digits", c, checksumPrefix)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return 0, fmt.Errorf("checksum %q: %w", c, err)
	}
	return binary.BigEndian.Uint32(b), nil
}

// s3Base64 converts to S3's x-amz-checksum-crc32c form (base64 of the
// big-endian value).
func (c Checksum) s3Base64() (string, error) {
	v, err := parseChecksum(c)
	if err != nil {
		return "", err
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// checksumFromS3 converts S3's base64 CRC32C header value.
func checksumFromS3(v string) (Checksum, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 4 {
		return "", fmt.Errorf("CRC32C %q from server is not 4 bytes of base64", v)
	}
	return checksumOf(binary.BigEndian.Uint32(b)), nil
}

// ValidateKey reports whether key is a valid object key.
func ValidateKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why) }
	if key == "" {
		return bad("empty")
	}
	if len(key) > 1024 {
		return bad("longer than 1024 bytes")
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return bad("leading or trailing slash")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return bad("control character or backslash")
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return bad("empty path segment")
		case seg == "." || seg == "..":
			return bad("'.' or '..' segment")
		case strings.HasPrefix(seg, tmpPrefix):
			return bad("segment starts with the reserved " + tmpPrefix)
		}
	}
	return nil
}

// validatePrefix accepts "" or a prefix that would be valid as the start of a
// key (it may end with '/').
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidateKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("prefix: %w", err)
	}
	return nil
}

// putReader wraps a Put's source: it counts bytes and computes the CRC32C,
// and when the stream ends (or size bytes have been read) it checks size and
// the expected checksum. On a mismatch it withholds the final chunk and
// returns an error, so that neither backend can commit the object: a reader
// like io.ReadFull discards errors that arrive together with a full buffer.
type putReader struct {
	key      string
	r        io.Reader
	size     int64 // -1: unknown
	want     Checksum
	h        hash.Hash32
	n        int64
	finished bool
	err      error
}

func newPutReader(key string, r io.Reader, size int64, want Checksum) (*putReader, error) {
	if size < -1 {
		return nil, fmt.Errorf("put %q: size %d must be >= 0 or -1 (unknown)", key, size)
	}
	if want != "" {
		if _, err := parseChecksum(want); err != nil {
			return nil, fmt.Errorf("put %q: %w", key, err)
		}
	}
	return &putReader{key: key, r: r, size: size, want: want, h: newHash()}, nil
}

func (p *putReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.finished {
		return 0, io.EOF
	}
	if p.size >= 0 && int64(len(b)) > p.size-p.n {
		b = b[:p.size-p.n]
	}
	var n int
	var err error
	if len(b) > 0 {
		n, err = p.r.Read(b)
	}
	p.h.Write(b[:n])
	p.n += int64(n)
	end := errors.Is(err, io.EOF) || (p.size >= 0 && p.n == p.size)
	if err != nil && !errors.Is(err, io.EOF) {
		p.err = fmt.Errorf("put %q: reading source at byte %d: %w", p.key, p.n-int64(n), err)
		return 0, p.err
	}
	if !end {
		return n, nil
	}
	if ferr := p.finish(); ferr != nil {
		p.err = ferr
		return 0, ferr // withhold the last chunk
	}
	p.finished = true
	if n > 0 {
		return n, nil
	}
	return 0, io.EOF
}

// finish runs the end-of-stream checks.
func (p *putReader) finish() error {
	if p.size >= 0 {
		if p.n < p.size {
			return fmt.Errorf("put %q: %w: source ended after %d of %d bytes", p.key, ErrSize, p.n, p.size)
		}
		var one [1]byte
		if m, _ := io.ReadFull(p.r, one[:]); m > 0 {
			return fmt.Errorf("put %q: %w: source has more than the declared %d bytes", p.key, ErrSize, p.size)
		}
	}
	if p.want != "" {
		if got := p.Checksum(); got != p.want {
			return fmt.Errorf("put %q: %w: source has %s, expected %s", p.key, ErrChecksum, got, p.want)
		}
	}
	return nil
}

// Checksum returns the checksum of the bytes read so far.
func (p *putReader) Checksum() Checksum { return checksumOf(p.h.Sum32()) }

// getReader verifies an object's bytes against its stored size and checksum
// when the underlying reader reaches EOF.
type getReader struct {
	store string
	key   string
	rc    io.ReadCloser
	size  int64
	want  Checksum
	h     hash.Hash32
	n     int64
	err   error
}

func newGetReader(store, key string, rc io.ReadCloser, size int64, want Checksum) *getReader {
	return &getReader{store: store, key: key, rc: rc, size: size, want: want, h: newHash()}
}

func (g *getReader) Read(b []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.rc.Read(b)
	g.h.Write(b[:n])
	g.n += int64(n)
	if g.n > g.size {
		g.err = fmt.Errorf("get %q from %s: %w: more than the stored %d bytes", g.key, g.store, ErrSize, g.size)
		return n, g.err
	}
	if errors.Is(err, io.EOF) {
		switch got := checksumOf(g.h.Sum32()); {
		case g.n != g.size:
			g.err = fmt.Errorf("get %q from %s: %w: object ended after %d of %d bytes", g.key, g.store, ErrSize, g.n, g.size)
		case got != g.want:
			g.err = fmt.Errorf("get %q from %s: %w: content has %s, stored checksum is %s", g.key, g.store, ErrChecksum, got, g.want)
		default:
			g.err = io.EOF
		}
		return n, g.err
	}
	if err != nil {
		g.err = fmt.Errorf("get %q from %s: reading at byte %d: %w", g.key, g.store, g.n, err)
		return n, g.err
	}
	return n, nil
}

func (g *getReader) Close() error { return g.rc.Close() }

// Open opens the store a URL names:
//
//	file:///abs/path                          a local directory (created if missing)
//	s3://bucket[/prefix]?endpoint=host:port&region=us-east-1&tls=true&retries=10
//
// See OpenS3 for the S3 parameters and credential sources.
func Open(ctx context.Context, rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, redactURLError(err))
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("%w %q: file URL must be file:///absolute/path (host %q given)", ErrConfig, u.Redacted(), u.Host)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("%w %q: missing directory path", ErrConfig, u.Redacted())
		}
		return OpenLocal(u.Path)
	case "s3":
		cfg, err := ParseS3URL(rawURL)
		if err != nil {
			return nil, err
		}
		return OpenS3(ctx, cfg)
	case "":
		return nil, fmt.Errorf("%w %q: missing scheme (want file:// or s3://)", ErrConfig, u.Redacted())
	default:
		return nil, fmt.Errorf("%w %q: unsupported scheme %q (want file or s3)", ErrConfig, u.Redacted(), u.Scheme)
	}
}

// redactURLError drops the URL text from a url.Parse error (it may hold
// user:password) and keeps the reason.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
