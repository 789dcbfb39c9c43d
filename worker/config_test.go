package worker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if c.Temporal != "127.0.0.1:7233" || c.Namespace != "default" || c.MetricsAddr != ":9090" {
		t.Errorf("Default() = %+v", c)
	}
	if !slices.Equal(c.Queues, []string{"umbra-train", "umbra-attack"}) {
		t.Errorf("Default().Queues = %q", c.Queues)
	}
	if c.Slots != runtime.NumCPU() {
		t.Errorf("Default().Slots = %d, want NumCPU %d", c.Slots, runtime.NumCPU())
	}
	if c.TLSEnabled() {
		t.Error("TLS enabled by default")
	}
}

func TestParseQueues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"umbra-train", []string{"umbra-train"}},
		{" umbra-train , umbra-attack ,", []string{"umbra-train", "umbra-attack"}},
		{",,", nil},
	} {
		if got := ParseQueues(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ParseQueues(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")

	for _, tc := range []struct {
		name   string
		modify func(*Config)
		flag   string // "" means valid
		want   string
	}{
		{"default", func(*Config) {}, "", ""},
		{"attack queue only", func(c *Config) { c.Queues = []string{QueueAttack} }, "", ""},
		{"metrics disabled", func(c *Config) { c.MetricsAddr = "" }, "", ""},
		{"file store", func(c *Config) { c.Store = "file:///var/umbra" }, "", ""},
		{"s3 store", func(c *Config) { c.Store = "s3://bucket/prefix?endpoint=minio:9000" }, "", ""},
		{"tls system roots", func(c *Config) { c.TLS = true }, "", ""},
		{"no port", func(c *Config) { c.Temporal = "localhost" }, "temporal", "want host:port"},
		{"port 0", func(c *Config) { c.Temporal = "localhost:0" }, "temporal", "port"},
		{"empty host", func(c *Config) { c.Temporal = ":7233" }, "temporal", "missing host"},
		{"empty namespace", func(c *Config) { c.Namespace = " " }, "namespace", "empty"},
		{"no queue", func(c *Config) { c.Queues = nil }, "queues", "no queue"},
		{"bad queue", func(c *Config) { c.Queues = []string{"umbra-train", "umbra-trian"} }, "queues", `unknown queue "umbra-trian"`},
		{"duplicate queue", func(c *Config) { c.Queues = []string{"umbra-train", "umbra-train"} }, "queues", "twice"},
		{"slots 0", func(c *Config) { c.Slots = 0 }, "slots", "0: must be at least 1"},
		{"slots negative", func(c *Config) { c.Slots = -2 }, "slots", "-2"},
		{"attack slots 0", func(c *Config) { c.AttackSlots = 0 }, "attack-slots", "at least 1"},
		{"cert without key", func(c *Config) { c.TLSCert = junk }, "tls-cert", "without --tls-key"},
		{"key without cert", func(c *Config) { c.TLSKey = junk }, "tls-key", "without --tls-cert"},
		{"unreadable CA", func(c *Config) { c.TLSCA = missing }, "tls-ca", "missing.pem"},
		{"CA not PEM", func(c *Config) { c.TLSCA = junk }, "tls-ca", "no PEM certificate"},
		{"missing cert", func(c *Config) { c.TLSCert, c.TLSKey = missing, junk }, "tls-cert", "missing.pem"},
		{"missing key", func(c *Config) { c.TLSCert, c.TLSKey = junk, missing }, "tls-key", "missing.pem"},
		{"store scheme", func(c *Config) { c.Store = "gs://bucket" }, "store", "want file:///dir or s3://"},
		{"store relative", func(c *Config) { c.Store = "file://relative/dir" }, "store", "want file:///dir"},
		{"store credentials", func(c *Config) { c.Store = "s3://key:secret@bucket" }, "store", "credentials"},
		{"metrics addr", func(c *Config) { c.MetricsAddr = "9090" }, "metrics-addr", "[host]:port"},
		{"pushgateway", func(c *Config) { c.Pushgateway = "pushgateway:9091" }, "pushgateway", "http(s)://"},
		{"dial timeout", func(c *Config) { c.DialTimeout = 0 }, "dial-timeout", "must be > 0"},
		{"stop timeout", func(c *Config) { c.StopTimeout = -time.Second }, "stop-timeout", "must be >= 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.modify(&c)
			err := c.Validate()
			if tc.flag == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate() = %v, want a *ConfigError for --%s", err, tc.flag)
			}
			if ce.Flag != tc.flag {
				t.Errorf("error names --%s, want --%s: %v", ce.Flag, tc.flag, err)
			}
			if !strings.HasPrefix(err.Error(), "--"+tc.flag+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %q, want it to start with --%s and contain %q", err, tc.flag, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error reveals a credential: %v", err)
			}
		})
	}
}

func TestUnreadableCAIsNotExist(t *testing.T) {
	c := Default()
	c.TLSCA = filepath.Join(t.TempDir(), "nope.pem")
	if err := c.Validate(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Validate() = %v, want it to wrap fs.ErrNotExist", err)
	}
}

// pki is a test CA with a server and a client certificate, as PEM files.
type pki struct {
	caFile, certFile, keyFile string // CA, client cert, client key
	serverCert                tls.Certificate
	clientLeaf                *x509.Certificate
	caPool                    *x509.CertPool
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "umbra test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, dns []string) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     dns,
		}, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	p := pki{
		caFile:   filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "client.pem"),
		keyFile:  filepath.Join(dir, "client-key.pem"),
		caPool:   x509.NewCertPool(),
	}
	p.caPool.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)

	clientDER, clientKey := issue(2, "umbra-worker", x509.ExtKeyUsageClientAuth, nil)
	writePEM(t, p.certFile, "CERTIFICATE", clientDER)
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.keyFile, "EC PRIVATE KEY", keyDER)
	if p.clientLeaf, err = x509.ParseCertificate(clientDER); err != nil {
		t.Fatal(err)
	}

	serverDER, serverKey := issue(3, "temporal", x509.ExtKeyUsageServerAuth, []string{"temporal.test"})
	p.serverCert = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	return p
}

func TestTLSConfig(t *testing.T) {
	p := newPKI(t)
	c := Default()
	if cfg, err := c.TLSConfig(); cfg != nil || err != nil {
		t.Fatalf("TLS off: TLSConfig() = %v, %v; want nil, nil", cfg, err)
	}
	c.TLSCA, c.TLSCert, c.TLSKey, c.TLSServerName = p.caFile, p.certFile, p.keyFile, "temporal.test"
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	cfg, err := c.TLSConfig()
	if err != nil {
		t.Fatalf("TLSConfig: %v", err)
	}
	if cfg.ServerName != "temporal.test" || cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("ServerName %q MinVersion %x, want temporal.test and TLS 1.2", cfg.ServerName, cfg.MinVersion)
	}
	if len(cfg.Certificates) != 1 || string(cfg.Certificates[0].Certificate[0]) != string(p.clientLeaf.Raw) {
		t.Fatalf("Certificates do not hold the client certificate")
	}
	if _, err := p.clientLeaf.Verify(x509.VerifyOptions{Roots: cfg.RootCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify against RootCAs built from --tls-ca: %v", err)
	}

	// A mutual-TLS handshake with a server that requires a client
	// certificate from the same CA.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{p.serverCert},
		ClientCAs:    p.caPool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			peer <- "accept: " + err.Error()
			return
		}
		defer conn.Close()
		tc := conn.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			peer <- "handshake: " + err.Error()
			return
		}
		peer <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	defer conn.Close()
	if got := <-peer; got != "umbra-worker" {
		t.Errorf("server saw client %q, want umbra-worker", got)
	}

	// The same server name check fails for a wrong name.
	c.TLSServerName = "other.test"
	bad, err := c.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if conn, err := ln.Accept(); err == nil {
			_ = conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	if conn, err := tls.Dial("tcp", ln.Addr().String(), bad); err == nil {
		conn.Close()
		t.Error("handshake with --tls-server-name other.test succeeded")
	}
}

func TestTLSKeyMismatchDoesNotLeakKey(t *testing.T) {
	a, b := newPKI(t), newPKI(t)
	c := Default()
	c.TLSCert, c.TLSKey = a.certFile, b.keyFile
	err := c.Validate()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Flag != "tls-cert" {
		t.Fatalf("mismatched key: Validate() = %v, want a --tls-cert error", err)
	}
	key, _ := os.ReadFile(b.keyFile)
	body := strings.Split(string(key), "\n")[1] // first base64 line of the key
	if strings.Contains(err.Error(), body) {
		t.Errorf("error quotes the key file: %v", err)
	}

	// A key file that is not PEM at all.
	secret := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(secret, []byte("SUPERSECRETKEYMATERIAL"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.TLSKey = secret
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "SUPERSECRET") {
		t.Errorf("non-PEM key: Validate() = %v, want an error that does not quote the file", err)
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	c := Default()
	c.TLSKey = "/secrets/key.pem"
	c.Pushgateway = "http://user:pw-123@push:9091"
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("start", "config", c)
	out := sb.String()
	if strings.Contains(out, "pw-123") || strings.Contains(out, "/secrets/key.pem") {
		t.Errorf("log line reveals a secret or the key path: %s", out)
	}
	for _, want := range []string{"config.temporal=127.0.0.1:7233", "config.tls_key_set=true", "config.queues=umbra-train,umbra-attack"} {
		if !strings.Contains(out, want) {
			t.Errorf("log line lacks %s: %s", want, out)
		}
	}
}

// freeAddr returns a loopback address with nothing listening.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
