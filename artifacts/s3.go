package artifacts

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Defaults for S3 stores.
const (
	DefaultPartSize    = 16 << 20 // bytes per multipart part (and the single-PUT limit)
	DefaultS3Attempts  = 10       // attempts per HTTP request, first try included
	DefaultConcurrency = 2        // parts in flight per multipart upload
	defaultS3Region    = "us-east-1"
	defaultS3Endpoint  = "s3.amazonaws.com"
	minPartSize        = 5 << 20
	retryUnit          = 200 * time.Millisecond // minio-go's DefaultRetryUnit
	retryCap           = time.Second            // minio-go's DefaultRetryCap
	checksumModeHeader = "x-amz-checksum-mode"
)

// Secret is a credential that never prints. The value sits behind a
// pointer, so even reflection-based printing of a struct that embeds it in an
// unexported field (where fmt cannot call methods) shows only an address;
// every fmt verb, String, GoString, JSON/text marshalling and slog show
// "REDACTED" (or "" when empty). Reveal returns the value.
type Secret struct{ p *string }

// NewSecret wraps v.
func NewSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{p: &v}
}

// Reveal returns the secret value.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

func (s Secret) redacted() string {
	if s.IsZero() {
		return ""
	}
	return "REDACTED"
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.redacted() }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return strconv.Quote(s.redacted()) }

// Format implements fmt.Formatter for every verb.
func (s Secret) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, s.redacted()) }

// MarshalText keeps secrets out of JSON, YAML and slog output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.redacted()), nil }

// Credentials are S3 access keys and where they came from.
type Credentials struct {
	AccessKeyID     Secret
	SecretAccessKey Secret
	SessionToken    Secret
	// Source says where the keys came from ("env", "file /root/.aws/credentials [default]").
	Source string
}

// S3Config configures an S3 store. Its String form is the store URL without
// credentials.
type S3Config struct {
	Bucket   string
	Prefix   string // key prefix inside the bucket, "" or ending in "/"
	Endpoint string // host:port
	Region   string
	TLS      bool
	// Attempts bounds the tries of every HTTP request (minio-go's MaxRetries:
	// 1 disables retries). Backoff between tries is exponential from 200 ms,
	// capped at 1 s, with full jitter, so 10 attempts sleep at most 7.4 s.
	Attempts int
	// PartSize is the multipart part size; objects up to this size go in one
	// PUT.
	PartSize uint64
	// Concurrency is the number of parts uploaded at once (default 2).
	// Memory per Put is Concurrency × PartSize.
	Concurrency int
	// Credentials; when both keys are empty OpenS3 reads them from the
	// environment or the shared credentials file (see LoadCredentials).
	Credentials Credentials
}

// String returns the store URL (no credentials).
func (c S3Config) String() string {
	q := url.Values{}
	q.Set("endpoint", c.Endpoint)
	q.Set("region", c.Region)
	q.Set("tls", strconv.FormatBool(c.TLS))
	u := url.URL{Scheme: "s3", Host: c.Bucket, Path: "/" + c.Prefix, RawQuery: q.Encode()}
	return u.String()
}

// GoString implements fmt.GoStringer without credentials.
func (c S3Config) GoString() string { return "artifacts.S3Config(" + c.String() + ")" }

// Format prints the URL for every verb, so %+v and %#v cannot leak keys.
func (c S3Config) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, c.String()) }

// ParseS3URL parses s3://bucket[/prefix]?endpoint=host:port&region=…&tls=true|false
// [&attempts=N][&part_size=bytes]. Unknown parameters are errors. Defaults:
// endpoint s3.amazonaws.com, region from AWS_REGION or AWS_DEFAULT_REGION or
// us-east-1, tls true, attempts 10, part_size 16 MiB. Credentials in the URL
// (s3://key:secret@bucket) are refused.
func ParseS3URL(raw string) (S3Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return S3Config{}, fmt.Errorf("%w: %v", ErrConfig, redactURLError(err))
	}
	bad := func(format string, args ...any) (S3Config, error) {
		return S3Config{}, fmt.Errorf("%w %q: %s", ErrConfig, u.Redacted(), fmt.Sprintf(format, args...))
	}
	if u.Scheme != "s3" {
		return bad("scheme must be s3")
	}
	if u.User != nil {
		return bad("credentials in the URL are not accepted; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a credentials file")
	}
	if u.Opaque != "" {
		return bad("want s3://bucket/prefix")
	}
	cfg := S3Config{
		Bucket:   u.Host,
		Endpoint: defaultS3Endpoint,
		TLS:      true,
		Attempts: DefaultS3Attempts,
		PartSize: DefaultPartSize,
		Region:   firstNonEmpty(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), defaultS3Region),
	}
	if err := checkBucketName(cfg.Bucket); err != nil {
		return bad("%v", err)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if err := ValidateKey(p); err != nil {
			return bad("prefix: %v", err)
		}
		cfg.Prefix = p + "/"
	}
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return bad("parameter %s given %d times", k, len(vs))
		}
		v := vs[0]
		switch k {
		case "endpoint":
			if _, port, err := net.SplitHostPort(v); err != nil && strings.Contains(v, ":") || v == "" || strings.ContainsAny(v, "/@") {
				return bad("endpoint %q: want host or host:port", v)
			} else if port != "" {
				if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
					return bad("endpoint %q: bad port", v)
				}
			}
			cfg.Endpoint = v
		case "region":
			if v == "" {
				return bad("region is empty")
			}
			cfg.Region = v
		case "tls":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return bad("tls=%q: want true or false", v)
			}
			cfg.TLS = b
		case "attempts":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				return bad("attempts=%q: want an integer in [1, 100]", v)
			}
			cfg.Attempts = n
		case "part_size":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < minPartSize || n > 5<<30 {
				return bad("part_size=%q: want bytes in [5 MiB, 5 GiB]", v)
			}
			cfg.PartSize = n
		default:
			return bad("unknown parameter %q (known: endpoint, region, tls, attempts, part_size)", k)
		}
	}
	return cfg, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// checkBucketName applies S3's bucket naming rules.
func checkBucketName(b string) error {
	if b == "" {
		return errors.New("missing bucket name (want s3://bucket/prefix)")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket %q: name must be 3 to 63 characters", b)
	}
	for i, r := range b {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.'
		if !ok || (i == 0 || i == len(b)-1) && (r == '-' || r == '.') {
			return fmt.Errorf("bucket %q: only lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", b)
		}
	}
	return nil
}

// LoadCredentials finds S3 keys the way the AWS tools do: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) first, then
// the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
// ~/.aws/credentials) in profile AWS_PROFILE (default "default"). getenv is
// os.Getenv in production.
func LoadCredentials(getenv func(string) string) (Credentials, error) {
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case id != "" && secret != "":
		return Credentials{AccessKeyID: NewSecret(id), SecretAccessKey: NewSecret(secret), SessionToken: NewSecret(getenv("AWS_SESSION_TOKEN")), Source: "env"}, nil
	case id != "":
		return Credentials{}, fmt.Errorf("%w: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", ErrAuth)
	case secret != "":
		return Credentials{}, fmt.Errorf("%w: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not", ErrAuth)
	}
	path := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if path == "" {
		home := getenv("HOME")
		if home == "" {
			return Credentials{}, fmt.Errorf("%w: no AWS_ACCESS_KEY_ID in the environment and no HOME to find ~/.aws/credentials", ErrAuth)
		}
		path = filepath.Join(home, ".aws", "credentials")
	}
	profile := firstNonEmpty(getenv("AWS_PROFILE"), "default")
	f, err := os.Open(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: no AWS_ACCESS_KEY_ID in the environment and credentials file unreadable: %v", ErrAuth, err)
	}
	defer f.Close()
	c, err := parseCredentialsFile(f, profile)
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: credentials file %s: %v", ErrAuth, path, err)
	}
	c.Source = fmt.Sprintf("file %s [%s]", path, profile)
	return c, nil
}

// parseCredentialsFile reads one profile of an INI-style AWS credentials file.
// Error messages carry line numbers and key names, never values.
func parseCredentialsFile(r io.Reader, profile string) (Credentials, error) {
	sc := bufio.NewScanner(r)
	var (
		c       Credentials
		section string
		found   bool
		line    int
	)
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		if s[0] == '[' {
			if !strings.HasSuffix(s, "]") {
				return Credentials{}, fmt.Errorf("line %d: unterminated section header", line)
			}
			section = strings.TrimSpace(s[1 : len(s)-1])
			section = strings.TrimPrefix(section, "profile ")
			if section == profile {
				found = true
			}
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return Credentials{}, fmt.Errorf("line %d: want key = value", line)
		}
		if section != profile {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "aws_access_key_id":
			c.AccessKeyID = NewSecret(v)
		case "aws_secret_access_key":
			c.SecretAccessKey = NewSecret(v)
		case "aws_session_token":
			c.SessionToken = NewSecret(v)
		}
	}
	if err := sc.Err(); err != nil {
		return Credentials{}, err
	}
	if !found {
		return Credentials{}, fmt.Errorf("no profile [%s]", profile)
	}
	if c.AccessKeyID.IsZero() || c.SecretAccessKey.IsZero() {
		return Credentials{}, fmt.Errorf("profile [%s] lacks aws_access_key_id or aws_secret_access_key", profile)
	}
	return c, nil
}

// S3 is a Store in an S3 bucket through minio-go. Objects are written with a
// full-object CRC32C checksum (sent as a trailing header, so the stream is
// read once) and read back with x-amz-checksum-mode: ENABLED so the stored
// checksum can be compared with the bytes received.
type S3 struct {
	cfg    S3Config
	client *minio.Client
}

// String returns the store URL without credentials.
func (s S3) String() string { return s.cfg.String() }

// GoString implements fmt.GoStringer without credentials.
func (s S3) GoString() string { return "&artifacts.S3{" + s.cfg.String() + "}" }

// Format prints the URL for every verb so that no credential can leak.
func (s S3) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, s.String()) }

// OpenS3 connects to the bucket and checks that it exists and that the
// credentials are accepted (one HEAD request), so that configuration errors
// surface at startup: ErrAuth for rejected keys, ErrNoBucket for a missing
// bucket, ErrUnavailable when the server does not answer within the retry
// bound.
func OpenS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Attempts == 0 {
		cfg.Attempts = DefaultS3Attempts
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Region == "" {
		cfg.Region = defaultS3Region
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = defaultS3Endpoint
	}
	if err := checkBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if cfg.PartSize < minPartSize {
		return nil, fmt.Errorf("%w: part size %d is below S3's 5 MiB minimum", ErrConfig, cfg.PartSize)
	}
	if cfg.Credentials.AccessKeyID.IsZero() && cfg.Credentials.SecretAccessKey.IsZero() {
		c, err := LoadCredentials(os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("s3 store %s: %w", cfg, err)
		}
		cfg.Credentials = c
	}
	cr := cfg.Credentials
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:           credentials.NewStaticV4(cr.AccessKeyID.Reveal(), cr.SecretAccessKey.Reveal(), cr.SessionToken.Reveal()),
		Secure:          cfg.TLS,
		Region:          cfg.Region,
		TrailingHeaders: true,
		MaxRetries:      cfg.Attempts,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: s3 store %s: %v", ErrConfig, cfg, err)
	}
	s := &S3{cfg: cfg, client: client}
	// A one-key listing (GET, so the server's error code comes back in the
	// body; a HEAD on the bucket cannot tell a bad key from a missing bucket
	// on every server).
	start := time.Now()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range client.ListObjects(lctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: cfg.Prefix, MaxKeys: 1}) {
		if oi.Err != nil {
			return nil, s.wrap("open", "", start, oi.Err)
		}
		break
	}
	return s, nil
}

// maxBackoff is the longest total sleep of a request with n attempts.
func maxBackoff(n int) time.Duration {
	var d time.Duration
	for i := 0; i < n-1; i++ {
		d += min(retryCap, retryUnit<<uint(min(i, 30)))
	}
	return d
}

// wrap classifies a minio-go error into the package's sentinels and adds
// the operation, key, store and, for network failures, the time spent
// retrying. Credentials are not part of any message.
func (s *S3) wrap(op, key string, start time.Time, err error) error {
	return s.wrapAt(op, key, "", start, err)
}

// wrapAt is wrap with a detail (part number, byte offset) after the store.
func (s *S3) wrapAt(op, key, detail string, start time.Time, err error) error {
	where := fmt.Sprintf("%s %q in %s", op, key, s)
	if key == "" {
		where = fmt.Sprintf("%s %s", op, s)
	}
	if detail != "" {
		where += " (" + detail + ")"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", where, err)
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%s: %w", where, ErrNotFound)
	case "NoSuchBucket":
		return fmt.Errorf("%s: %w %q", where, ErrNoBucket, s.cfg.Bucket)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidSecurity",
		"XAdminUserNotFound": // versitygw's answer to an unknown access key
		return fmt.Errorf("%s: %w from %s (server says %s; keys from %s)", where, ErrAuth, s.cfg.Endpoint, resp.Code, s.cfg.Credentials.Source)
	case "PreconditionFailed":
		return fmt.Errorf("%s: %w", where, ErrExists)
	}
	if resp.StatusCode == 401 || resp.StatusCode == 403 {
		return fmt.Errorf("%s: %w from %s (server says %s; keys from %s)", where, ErrAuth, s.cfg.Endpoint, resp.Code, s.cfg.Credentials.Source)
	}
	if resp.Code != "" {
		return fmt.Errorf("%s: server error %s (HTTP %d): %s", where, resp.Code, resp.StatusCode, resp.Message)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "connection refused") {
		return fmt.Errorf("%s: %w: %s not reachable: gave up after %d attempts with backoff of at most %s (operation took %s): %v",
			where, ErrUnavailable, s.cfg.Endpoint, s.cfg.Attempts, maxBackoff(s.cfg.Attempts), time.Since(start).Round(10*time.Millisecond), err)
	}
	return fmt.Errorf("%s: %w", where, err)
}

func (s *S3) objectName(key string) string { return s.cfg.Prefix + key }

// Put implements Store.
//
// Objects up to PartSize (and unknown-size streams that end within one part)
// are read into memory and sent as one PUT, which minio-go can retry because
// the body is seekable. Larger objects go through a multipart upload driven
// here, one part buffer at a time (memory ≈ PartSize): each part carries its
// CRC32C, minio-go retries each part request, and the completion carries the
// full-object CRC32C and, for IfAbsent, If-None-Match: *. (minio-go's own
// PutObject drops If-None-Match from CompleteMultipartUpload, so a
// create-only multipart upload through it silently overwrites; driving the
// upload through minio.Core avoids that.) The putReader checks size and
// expected checksum before the last part is read, so a bad stream aborts the
// upload and nothing becomes visible.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("put: %w", err)
	}
	pr, err := newPutReader(key, r, size, opts.Checksum)
	if err != nil {
		return ObjectInfo{}, err
	}
	start := time.Now()
	if opts.IfAbsent {
		// Fail early before uploading; the precondition makes it atomic.
		if _, err := s.Stat(ctx, key); err == nil || errors.Is(err, ErrChecksum) { // ErrChecksum: exists, foreign
			return ObjectInfo{}, fmt.Errorf("put %q in %s: %w", key, s, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return ObjectInfo{}, err
		}
	}
	bufSize := int64(s.cfg.PartSize)
	if size >= 0 && size < bufSize {
		bufSize = size
	}
	buf := make([]byte, bufSize)
	n, rerr := io.ReadFull(pr, buf)
	ended := rerr == io.EOF || rerr == io.ErrUnexpectedEOF || (size >= 0 && int64(n) == size)
	if rerr != nil && !ended {
		return ObjectInfo{}, wrapPut(key, s, rerr)
	}
	if ended {
		if size >= 0 {
			// Let the putReader run its end-of-stream checks.
			if _, err := pr.Read(nil); err != nil && err != io.EOF {
				return ObjectInfo{}, wrapPut(key, s, err)
			}
		}
		return s.putSingle(ctx, key, buf[:n], pr.Checksum(), opts, start)
	}
	return s.putMultipart(ctx, key, pr, buf, opts, start)
}

// putSingle stores data with one PUT.
func (s *S3) putSingle(ctx context.Context, key string, data []byte, sum Checksum, opts PutOptions, start time.Time) (ObjectInfo, error) {
	popts := minio.PutObjectOptions{
		PartSize:             s.cfg.PartSize,
		Checksum:             minio.ChecksumFullObjectCRC32C,
		DisableContentSha256: true,
		DisableMultipart:     true,
		ContentType:          "application/octet-stream",
	}
	if opts.IfAbsent {
		popts.SetMatchETagExcept("*")
	}
	up, err := s.client.PutObject(ctx, s.cfg.Bucket, s.objectName(key), bytes.NewReader(data), int64(len(data)), popts)
	if err != nil {
		return ObjectInfo{}, s.wrap("put", key, start, err)
	}
	if err := s.checkUploadSum(key, up.ChecksumCRC32C, sum); err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Key: key, Size: int64(len(data)), Checksum: sum, ModTime: up.LastModified}, nil
}

// checkUploadSum compares the checksum the server reports (if any) with ours.
func (s *S3) checkUploadSum(key, serverB64 string, sum Checksum) error {
	if serverB64 == "" {
		return nil
	}
	got, err := checksumFromS3(serverB64)
	if err != nil || got != sum {
		return fmt.Errorf("put %q in %s: %w: server stored CRC32C %q, client computed %s", key, s, ErrChecksum, serverB64, sum)
	}
	return nil
}

// putMultipart uploads buf (already full) and the rest of pr in parts.
func (s *S3) putMultipart(ctx context.Context, key string, pr *putReader, buf []byte, opts PutOptions, start time.Time) (info ObjectInfo, err error) {
	core := minio.Core{Client: s.client}
	obj := s.objectName(key)
	uploadID, err := core.NewMultipartUpload(ctx, s.cfg.Bucket, obj, minio.PutObjectOptions{
		ContentType:  "application/octet-stream",
		UserMetadata: map[string]string{"X-Amz-Checksum-Algorithm": "CRC32C", "X-Amz-Checksum-Type": "FULL_OBJECT"},
	})
	if err != nil {
		return ObjectInfo{}, s.wrap("put", key, start, err)
	}
	defer func() {
		if err != nil {
			// Best effort: an upload that cannot be aborted (server down)
			// stays invisible; a bucket lifecycle rule
			// (AbortIncompleteMultipartUpload) reclaims its parts.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if aerr := core.AbortMultipartUpload(actx, s.cfg.Bucket, obj, uploadID); aerr != nil {
				slog.WarnContext(ctx, "abort of failed multipart upload failed", "store", s.String(), "key", key, "err", aerr)
			}
		}
	}()
	// Up to Concurrency parts are in flight, each in its own buffer; the
	// source is read into a free buffer while others upload.
	conc := max(s.cfg.Concurrency, 1)
	type result struct {
		part minio.CompletePart
		buf  []byte
		err  error
	}
	free := make(chan []byte, conc)
	for range conc - 1 {
		free <- nil // allocated on first use; buf (part 1) returns via results
	}
	results := make(chan result, conc)
	var (
		parts    []minio.CompletePart
		inFlight int
		firstErr error
		total    int64
		n        = len(buf)
		pending  = true // buf holds part 1, already read
	)
	collect := func() {
		r := <-results
		inFlight--
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		if r.err == nil {
			parts = append(parts, r.part)
		}
		free <- r.buf
	}
	upload := func(part int, b []byte, offset int64) {
		partSum := checksumOf(crc32.Checksum(b, castagnoli))
		b64, _ := partSum.s3Base64()
		hdr := http.Header{}
		hdr.Set("X-Amz-Checksum-Crc32c", b64)
		op, perr := core.PutObjectPart(ctx, s.cfg.Bucket, obj, uploadID, part, bytes.NewReader(b), int64(len(b)),
			minio.PutObjectPartOptions{CustomHeader: hdr, DisableContentSha256: true})
		if perr != nil {
			perr = s.wrapAt("put", key, fmt.Sprintf("part %d at byte %d", part, offset), start, perr)
		}
		results <- result{part: minio.CompletePart{PartNumber: part, ETag: op.ETag, ChecksumCRC32C: b64}, buf: b[:cap(b)], err: perr}
	}
	for part := 1; firstErr == nil; part++ {
		if !pending {
			for len(free) == 0 {
				collect()
			}
			b := <-free
			if b == nil {
				b = make([]byte, s.cfg.PartSize)
			}
			var rerr error
			n, rerr = io.ReadFull(pr, b)
			if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
				free <- b
				firstErr = wrapPut(key, s, rerr)
				break
			}
			if n == 0 {
				free <- b
				break
			}
			buf = b
		}
		pending = false
		inFlight++
		go upload(part, buf[:n], total)
		total += int64(n)
		if n < cap(buf) {
			break // short read: that was the last part
		}
	}
	for inFlight > 0 {
		collect()
	}
	if firstErr != nil {
		return ObjectInfo{}, firstErr
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	sum := pr.Checksum()
	b64, _ := sum.s3Base64()
	copts := minio.PutObjectOptions{UserMetadata: map[string]string{"X-Amz-Checksum-Crc32c": b64, "X-Amz-Checksum-Type": "FULL_OBJECT"}}
	if opts.IfAbsent {
		copts.SetMatchETagExcept("*")
	}
	up, err := core.CompleteMultipartUpload(ctx, s.cfg.Bucket, obj, uploadID, parts, copts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
			// A retried completion whose first attempt succeeded: accept it
			// if the stored object is ours.
			if st, serr := s.Stat(ctx, key); serr == nil && st.Checksum == sum && st.Size == total {
				return st, nil
			}
		}
		return ObjectInfo{}, s.wrapAt("put", key, "completing multipart upload", start, err)
	}
	if err := s.checkUploadSum(key, up.ChecksumCRC32C, sum); err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Key: key, Size: total, Checksum: sum, ModTime: up.LastModified}, nil
}

// toInfo converts minio's object info, requiring a full-object CRC32C.
func (s *S3) toInfo(key string, oi minio.ObjectInfo) (ObjectInfo, error) {
	if oi.ChecksumCRC32C == "" && oi.Size == 0 {
		// Some servers store no checksum for an empty body; CRC32C("") is 0
		// and the size check covers the content.
		return ObjectInfo{Key: key, Size: 0, Checksum: checksumOf(0), ModTime: oi.LastModified}, nil
	}
	if oi.ChecksumCRC32C == "" {
		return ObjectInfo{}, fmt.Errorf("%q in %s: %w: the server returned no CRC32C checksum (object not written by Umbra?)", key, s, ErrChecksum)
	}
	if strings.Contains(oi.ChecksumCRC32C, "-") || strings.EqualFold(oi.ChecksumMode, "COMPOSITE") {
		return ObjectInfo{}, fmt.Errorf("%q in %s: %w: composite multipart checksum %q cannot be verified as a whole-object CRC32C", key, s, ErrChecksum, oi.ChecksumCRC32C)
	}
	sum, err := checksumFromS3(oi.ChecksumCRC32C)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("%q in %s: %w: %v", key, s, ErrChecksum, err)
	}
	return ObjectInfo{Key: key, Size: oi.Size, Checksum: sum, ModTime: oi.LastModified}, nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("get: %w", err)
	}
	start := time.Now()
	var gopts minio.GetObjectOptions
	gopts.Set(checksumModeHeader, "ENABLED")
	body, oi, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.cfg.Bucket, s.objectName(key), gopts)
	if err != nil {
		return nil, ObjectInfo{}, s.wrap("get", key, start, err)
	}
	info, err := s.toInfo(key, oi)
	if err != nil {
		body.Close()
		return nil, ObjectInfo{}, fmt.Errorf("get %w", err)
	}
	return newGetReader(s.String(), key, body, info.Size, info.Checksum), info, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	start := time.Now()
	oi, err := s.client.StatObject(ctx, s.cfg.Bucket, s.objectName(key), minio.StatObjectOptions{Checksum: true})
	if err != nil {
		return ObjectInfo{}, s.wrap("stat", key, start, err)
	}
	info, err := s.toInfo(key, oi)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat %w", err)
	}
	return info, nil
}

// List implements Store. Entries carry Key, Size and ModTime; Checksum is
// left empty (S3 listings do not include checksum values; use Stat).
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("list in %s: %w", s, err)
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []ObjectInfo
	for oi := range s.client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.objectName(prefix), Recursive: true}) {
		if oi.Err != nil {
			return nil, s.wrap("list", prefix, start, oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, s.cfg.Prefix)
		if strings.HasSuffix(key, "/") { // directory marker made by another tool
			continue
		}
		out = append(out, ObjectInfo{Key: key, Size: oi.Size, ModTime: oi.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	start := time.Now()
	if err := s.client.RemoveObject(ctx, s.cfg.Bucket, s.objectName(key), minio.RemoveObjectOptions{}); err != nil {
		err = s.wrap("delete", key, start, err)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	return nil
}
