package artifacts

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testPartSize = 5 << 20 // S3's minimum, keeps multipart tests small

// requireS3 skips (or, with UMBRA_REQUIRE_S3=1, fails) when a test needs a
// server that is not configured.
func requireS3(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("UMBRA_REQUIRE_S3") == "1" {
		t.Fatalf("UMBRA_REQUIRE_S3=1 but %s is not set (run scripts/s3-server.sh start and source its env)", what)
	}
	t.Skipf("%s not set; start a server with scripts/s3-server.sh start", what)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// envS3Config returns the config of the server started by s3-server.sh.
func envS3Config(t testing.TB) S3Config {
	t.Helper()
	ep := os.Getenv("UMBRA_TEST_S3_ENDPOINT")
	if ep == "" {
		requireS3(t, "UMBRA_TEST_S3_ENDPOINT")
	}
	creds, err := LoadCredentials(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return S3Config{
		Bucket:      firstNonEmpty(os.Getenv("UMBRA_TEST_S3_BUCKET"), "umbra-test"),
		Endpoint:    ep,
		Region:      firstNonEmpty(os.Getenv("UMBRA_TEST_S3_REGION"), "us-east-1"),
		TLS:         false,
		PartSize:    testPartSize,
		Credentials: creds,
	}
}

func newS3SuiteStore(t *testing.T) suiteStore {
	cfg := envS3Config(t)
	cfg.Prefix = "test-" + randHex(6) + "/"
	s, err := OpenS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l, _ := s.List(context.Background(), "")
		for _, o := range l {
			_ = s.Delete(context.Background(), o.Key)
		}
	})
	ss := suiteStore{Store: s, partSize: int64(cfg.PartSize)}
	if data := os.Getenv("UMBRA_TEST_S3_DATA"); data != "" && os.Getenv("UMBRA_TEST_S3_KIND") == "versitygw" {
		// versitygw's posix backend keeps each object as a plain file.
		ss.corrupt = func(t *testing.T, key string) {
			flipByte(t, filepath.Join(data, cfg.Bucket, filepath.FromSlash(cfg.Prefix+key)))
		}
	}
	return ss
}

func TestS3Store(t *testing.T) {
	envS3Config(t) // skip (or fail) once, not per subtest
	runStoreSuite(t, newS3SuiteStore)
}

func TestS3OpenURL(t *testing.T) {
	cfg := envS3Config(t)
	u := fmt.Sprintf("s3://%s/umbra/%s?endpoint=%s&region=%s&tls=false", cfg.Bucket, randHex(4), cfg.Endpoint, cfg.Region)
	s, err := Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	key := "experiments/x/report.json"
	info, err := s.Put(context.Background(), key, strings.NewReader(`{}`), 2, PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Delete(context.Background(), key)
	if info.Checksum != ChecksumBytes([]byte("{}")) {
		t.Errorf("checksum %s", info.Checksum)
	}
	l, err := s.List(context.Background(), "experiments/")
	if err != nil || len(l) != 1 || l[0].Key != key {
		t.Errorf("List = %v, %v (keys must come back without the URL prefix)", l, err)
	}
}

func TestS3WrongCredentialsAndBucket(t *testing.T) {
	cfg := envS3Config(t)
	ctx := context.Background()

	bad := cfg
	bad.Credentials = Credentials{AccessKeyID: cfg.Credentials.AccessKeyID, SecretAccessKey: NewSecret("wrong-secret-LEAKCHECK"), Source: "test"}
	_, err := OpenS3(ctx, bad)
	if !errors.Is(err, ErrAuth) {
		t.Errorf("wrong secret: err = %v, want ErrAuth", err)
	}
	if err != nil && (strings.Contains(err.Error(), "LEAKCHECK") || strings.Contains(err.Error(), cfg.Credentials.SecretAccessKey.Reveal())) {
		t.Errorf("error leaks the secret: %v", err)
	}

	bad = cfg
	bad.Credentials = Credentials{AccessKeyID: NewSecret("NOSUCHKEYLEAKCHECK"), SecretAccessKey: NewSecret("x-LEAKCHECK"), Source: "test"}
	_, err = OpenS3(ctx, bad)
	if !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), "LEAKCHECK") {
		t.Errorf("unknown key id: err = %v, want ErrAuth without the keys", err)
	}

	missing := cfg
	missing.Bucket = "no-such-bucket-" + randHex(4)
	_, err = OpenS3(ctx, missing)
	if !errors.Is(err, ErrNoBucket) || !strings.Contains(err.Error(), missing.Bucket) {
		t.Errorf("missing bucket: err = %v, want ErrNoBucket naming it", err)
	}
}

func TestParseS3URL(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	good := []struct {
		url  string
		want S3Config
	}{
		{"s3://bucket-1", S3Config{Bucket: "bucket-1", Endpoint: "s3.amazonaws.com", Region: "us-east-1", TLS: true, Attempts: 10, PartSize: 16 << 20}},
		{"s3://b.c.d/runs/x/?endpoint=127.0.0.1:9000&region=eu-west-3&tls=false&attempts=3&part_size=5242880",
			S3Config{Bucket: "b.c.d", Prefix: "runs/x/", Endpoint: "127.0.0.1:9000", Region: "eu-west-3", TLS: false, Attempts: 3, PartSize: 5 << 20}},
		{"s3://abc/p?endpoint=minio.local", S3Config{Bucket: "abc", Prefix: "p/", Endpoint: "minio.local", Region: "us-east-1", TLS: true, Attempts: 10, PartSize: 16 << 20}},
	}
	for _, tc := range good {
		got, err := ParseS3URL(tc.url)
		if err != nil || got != tc.want {
			t.Errorf("ParseS3URL(%q) = %#v, %v\nwant %#v", tc.url, got, err, tc.want)
		}
	}
	bad := []struct{ url, want string }{
		{"s3://", "missing bucket"},
		{"s3://UPPER", "lowercase"},
		{"s3://ab", "3 to 63"},
		{"s3://bucket?endpoint=", "want host"},
		{"s3://bucket?endpoint=h:99999", "bad port"},
		{"s3://bucket?endpoint=http://h:9000", "want host"},
		{"s3://bucket?tls=maybe", "tls="},
		{"s3://bucket?attempts=0", "attempts="},
		{"s3://bucket?part_size=1024", "part_size="},
		{"s3://bucket?regoin=x", `unknown parameter "regoin"`},
		{"s3://bucket?region=a&region=b", "given 2 times"},
		{"s3://bucket/a/../b", "prefix"},
		{"s3://AKIAXX:hunter2@bucket", "credentials in the URL"},
		{"s3://bucket/%zz", "invalid URL escape"},
	}
	for _, tc := range bad {
		_, err := ParseS3URL(tc.url)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseS3URL(%q) err = %v, want ErrConfig containing %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseS3URL(%q) error leaks the password: %v", tc.url, err)
		}
		if _, err := Open(context.Background(), tc.url); !errors.Is(err, ErrConfig) {
			t.Errorf("Open(%q) err = %v, want ErrConfig", tc.url, err)
		}
	}
}

func creds(id, secret, token, source string) Credentials {
	return Credentials{AccessKeyID: NewSecret(id), SecretAccessKey: NewSecret(secret), SessionToken: NewSecret(token), Source: source}
}

func reveal(c Credentials) [4]string {
	return [4]string{c.AccessKeyID.Reveal(), c.SecretAccessKey.Reveal(), c.SessionToken.Reveal(), c.Source}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "credentials")
	content := "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = SECRETDEFAULT\n\n" +
		"[other]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=SECRETOTHER\naws_session_token=TOKENOTHER\n[broken]\naws_access_key_id=X\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		env     map[string]string
		want    Credentials
		wantErr string
	}{
		{"env", map[string]string{"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T", "AWS_SHARED_CREDENTIALS_FILE": file},
			creds("A", "S", "T", "env"), ""},
		{"half env", map[string]string{"AWS_ACCESS_KEY_ID": "A"}, Credentials{}, "AWS_SECRET_ACCESS_KEY is not"},
		{"file default", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file},
			creds("AKIDDEFAULT", "SECRETDEFAULT", "", "file "+file+" [default]"), ""},
		{"file profile", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "other"},
			creds("AKIDOTHER", "SECRETOTHER", "TOKENOTHER", "file "+file+" [other]"), ""},
		{"home file", map[string]string{"HOME": dir}, Credentials{}, filepath.Join(dir, ".aws", "credentials")},
		{"missing profile", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "nope"}, Credentials{}, "no profile [nope]"},
		{"incomplete profile", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "broken"}, Credentials{}, "lacks aws_access_key_id or aws_secret_access_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadCredentials(env(tc.env))
			if tc.wantErr != "" {
				if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrAuth containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "SECRETDEFAULT") || strings.Contains(err.Error(), "SECRETOTHER") {
					t.Errorf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reveal(got) != reveal(tc.want) {
				t.Errorf("got %v, want %v", reveal(got), reveal(tc.want))
			}
		})
	}
}

// TestSecretsNeverPrint formats configs, credentials and stores every way a
// log line or error might, and checks that no key material appears.
func TestSecretsNeverPrint(t *testing.T) {
	cfg := S3Config{Bucket: "bkt", Endpoint: "127.0.0.1:1", Region: "r", PartSize: testPartSize, Attempts: 1,
		Credentials: creds("AKIDLEAK1", "SECRETLEAK2", "TOKENLEAK3", "env")}
	s := &S3{cfg: cfg}
	type wrapper struct {
		Cfg   S3Config
		Store *S3
		Creds Credentials
		inner S3Config // unexported: fmt cannot call its methods
	}
	var out strings.Builder
	for _, v := range []any{cfg, &cfg, cfg.Credentials, &cfg.Credentials, s, *s, wrapper{cfg, s, cfg.Credentials, cfg}, []S3Config{cfg}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		if b, err := json.Marshal(v); err == nil {
			out.Write(b)
		}
	}
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		slog.New(h).Info("opened", "cfg", cfg, "store", s, "creds", cfg.Credentials)
	}
	for _, secret := range []string{"AKIDLEAK1", "SECRETLEAK2", "TOKENLEAK3", hex.EncodeToString([]byte("SECRETLEAK2"))} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("%q printed:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "s3://bkt/") || !strings.Contains(out.String(), "REDACTED") {
		t.Errorf("formatted output lacks the URL or the redaction marker:\n%s", out.String())
	}
}

// ----------------------------------------------------------- fault tests

// vgw is a versitygw process owned by one test.
type vgw struct {
	bin, dir, addr string
	access, secret string
	cmd            *exec.Cmd
	logPath        string
}

// newVersity prepares (but does not start) a private versitygw on a free
// port with its own posix backend directory and a bucket.
func newVersity(t *testing.T) *vgw {
	t.Helper()
	bin := os.Getenv("UMBRA_VERSITYGW")
	if bin == "" {
		requireS3(t, "UMBRA_VERSITYGW (path of a versitygw binary)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	v := &vgw{bin: bin, dir: t.TempDir(), addr: addr, access: "fault" + randHex(4), secret: randHex(16),
		logPath: filepath.Join(t.TempDir(), "versitygw.log")}
	if err := os.Mkdir(filepath.Join(v.dir, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.kill(t) })
	return v
}

func (v *vgw) start(t *testing.T) {
	t.Helper()
	v.cmd = exec.Command(v.bin, "--port", v.addr, "--quiet", "posix", v.dir)
	v.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+v.access, "ROOT_SECRET_ACCESS_KEY="+v.secret)
	logf, err := os.OpenFile(v.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child keeps its own descriptor
	v.cmd.Stdout, v.cmd.Stderr = logf, logf
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", v.addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	log, _ := os.ReadFile(v.logPath)
	t.Fatalf("versitygw did not listen on %s: %s", v.addr, log)
}

func (v *vgw) kill(t *testing.T) {
	if v.cmd == nil || v.cmd.Process == nil {
		return
	}
	_ = v.cmd.Process.Kill()
	_ = v.cmd.Wait()
	v.cmd = nil
}

func (v *vgw) config(attempts int) S3Config {
	return S3Config{Bucket: "bkt", Endpoint: v.addr, Region: "us-east-1", PartSize: testPartSize, Attempts: attempts,
		Credentials: creds(v.access, v.secret, "", "test")}
}

// gatedReader serves data, pausing once at gate until released.
type gatedReader struct {
	data    []byte
	off     int
	gate    int
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.off >= len(g.data) {
		return 0, io.EOF
	}
	if g.off >= g.gate {
		g.once.Do(func() { close(g.reached); <-g.release })
	} else if g.off+len(p) > g.gate {
		p = p[:g.gate-g.off]
	}
	n := copy(p, g.data[g.off:])
	g.off += n
	return n, nil
}

func TestS3ServerKilledDuringMultipart(t *testing.T) {
	for _, restart := range []bool{true, false} {
		t.Run("restart="+strconv.FormatBool(restart), func(t *testing.T) {
			v := newVersity(t)
			v.start(t)
			attempts := 10 // backoff bound 7.4 s: a restart after 0.5 s is retried through
			if !restart {
				attempts = 3 // gives up after at most 0.6 s of backoff
			}
			ctx := context.Background()
			s, err := OpenS3(ctx, v.config(attempts))
			if err != nil {
				t.Fatal(err)
			}
			const key = "models/k/epoch-0001.safetensors"
			data := pattern(42, 6*testPartSize+123)
			g := &gatedReader{data: data, gate: 3*testPartSize + 100, reached: make(chan struct{}), release: make(chan struct{})}
			done := make(chan error, 1)
			go func() {
				_, err := s.Put(ctx, key, g, int64(len(data)), PutOptions{IfAbsent: true})
				done <- err
			}()
			<-g.reached // three parts uploaded, the fourth is being read
			if _, err := s.Stat(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("during the upload Stat err = %v, want ErrNotFound (partial object visible?)", err)
			}
			v.kill(t)
			close(g.release)
			if restart {
				time.Sleep(500 * time.Millisecond)
				v.start(t)
			}
			err = <-done
			if !restart {
				if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "gave up after 3 attempts") {
					t.Fatalf("Put with the server down: err = %v, want ErrUnavailable saying how long it tried", err)
				}
				t.Logf("error as users see it: %v", err)
				v.start(t)
			}
			if err == nil {
				got, gerr := readAll(t, s, key)
				if gerr != nil || !bytes.Equal(got, data) {
					t.Fatalf("Put succeeded but Get: %d bytes, equal=%v, %v", len(got), bytes.Equal(got, data), gerr)
				}
				t.Logf("Put completed through retries (server restarted: %v)", restart)
				return
			}
			t.Logf("Put failed cleanly: %v", err)
			assertAbsent(t, s, key)
			if l, err := s.List(ctx, ""); err != nil || len(l) != 0 {
				t.Fatalf("List after failed Put = %v, %v", l, err)
			}
		})
	}
}

func TestS3ServerDown(t *testing.T) {
	v := newVersity(t)
	v.start(t)
	ctx := context.Background()
	s, err := OpenS3(ctx, v.config(4))
	if err != nil {
		t.Fatal(err)
	}
	v.kill(t)
	for name, op := range map[string]func() error{
		"put":  func() error { _, err := s.Put(ctx, "k", strings.NewReader("x"), 1, PutOptions{}); return err },
		"get":  func() error { _, _, err := s.Get(ctx, "k"); return err },
		"stat": func() error { _, err := s.Stat(ctx, "k"); return err },
		"list": func() error { _, err := s.List(ctx, ""); return err },
		"open": func() error { _, err := OpenS3(ctx, v.config(4)); return err },
	} {
		err := op()
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "gave up after 4 attempts with backoff of at most 1.4s") ||
			!strings.Contains(err.Error(), v.addr) || strings.Contains(err.Error(), v.secret) {
			t.Errorf("%s with server down: err = %v", name, err)
		}
	}
}

// ----------------------------------------------------------- benchmarks

func benchStore(b *testing.B, s Store) {
	const n = 64 << 20
	data := pattern(1, n)
	ctx := context.Background()
	b.Run("Put64MiB", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Put(ctx, "bench/obj", onlyReader{bytes.NewReader(data)}, n, PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get64MiB", func(b *testing.B) {
		if _, err := s.Stat(ctx, "bench/obj"); err != nil {
			if _, err := s.Put(ctx, "bench/obj", bytes.NewReader(data), n, PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		buf := make([]byte, 256<<10)
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			rc, _, err := s.Get(ctx, "bench/obj")
			if err != nil {
				b.Fatal(err)
			}
			m, err := io.CopyBuffer(io.Discard, onlyReader{rc}, buf)
			rc.Close()
			if err != nil || m != n {
				b.Fatalf("read %d bytes: %v", m, err)
			}
		}
	})
	_ = s.Delete(ctx, "bench/obj")
}

func BenchmarkS3(b *testing.B) {
	cfg := envS3Config(b)
	cfg.PartSize = DefaultPartSize
	cfg.Prefix = "bench-" + randHex(4) + "/"
	s, err := OpenS3(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	benchStore(b, s)
}

func BenchmarkLocal(b *testing.B) {
	s, err := OpenLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	benchStore(b, s)
}
