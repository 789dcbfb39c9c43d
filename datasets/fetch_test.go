package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func quietFetch(from string) FetchOptions {
	return FetchOptions{From: from, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFetchFromMNIST copies the raw npm-style MNIST files (decompressed
// names) and checks them against the canonical content SHA-256s.
func TestFetchFromMNIST(t *testing.T) {
	src := requireData(t, "mnist")
	ctx := context.Background()
	dir := t.TempDir()
	if err := Fetch(ctx, "mnist", dir, quietFetch(src)); err != nil {
		t.Fatal(err)
	}
	for _, f := range fetchTable["mnist"] {
		if _, err := os.Stat(filepath.Join(dir, "mnist", strings.TrimSuffix(f.name, ".gz"))); err != nil {
			t.Fatalf("%s not fetched: %v", f.name, err)
		}
	}
	d, err := Load(ctx, "mnist", filepath.Join(dir, "mnist"), LoadOptions{Split: "test"})
	if err != nil || d.Len() != 10000 {
		t.Fatalf("load fetched MNIST: %v", err)
	}
	// Idempotent: a second Fetch leaves the files untouched.
	p := filepath.Join(dir, "mnist", "t10k-labels-idx1-ubyte")
	old := time.Unix(1e9, 0)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if err := Fetch(ctx, "mnist", dir, quietFetch("/nonexistent")); err != nil {
		t.Fatalf("second Fetch (source absent, files present): %v", err)
	}
	if st, _ := os.Stat(p); !st.ModTime().Equal(old) {
		t.Fatal("second Fetch rewrote a verified file")
	}
}

func TestFetchFromGzippedFashionAndTabular(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"fashion-mnist", "adult", "credit-g"} {
		t.Run(name, func(t *testing.T) {
			src := requireData(t, name)
			dir := t.TempDir()
			if err := Fetch(ctx, name, dir, quietFetch(src)); err != nil {
				t.Fatal(err)
			}
			d, err := Load(ctx, name, filepath.Join(dir, name), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Len() == 0 {
				t.Fatal("empty dataset")
			}
		})
	}
	// A single-file dataset may be copied from the file itself.
	src := requireData(t, "adult")
	dir := t.TempDir()
	if err := Fetch(ctx, "adult", dir, quietFetch(filepath.Join(src, "adult.data"))); err != nil {
		t.Fatal(err)
	}
}

func TestFetchChecksumMismatch(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "adult.data"), []byte("39, State-gov\n"))
	dir := t.TempDir()
	err := Fetch(ctx, "adult", dir, quietFetch(src))
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "adult.data") || !strings.Contains(err.Error(), sha256Hex([]byte("39, State-gov\n"))) {
		t.Fatalf("error %v, want a checksum mismatch naming adult.data and its hash", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "adult"))
	if len(entries) != 0 {
		t.Fatalf("failed fetch left %d files behind", len(entries))
	}
	// A corrupted file already in place is replaced from a good source.
	good := requireData(t, "adult")
	writeFile(t, filepath.Join(dir, "adult", "adult.data"), []byte("junk"))
	if err := Fetch(ctx, "adult", dir, quietFetch(good)); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "adult", "adult.data")); st.Size() != 3974304 {
		t.Fatalf("size %d after repair", st.Size())
	}
}

func TestFetchErrors(t *testing.T) {
	ctx := context.Background()
	if err := Fetch(ctx, "imagenet", t.TempDir(), FetchOptions{}); err == nil || !strings.Contains(err.Error(), "fetchable: adult, cifar10") {
		t.Fatalf("unknown dataset: %v", err)
	}
	if err := Fetch(ctx, "mnist", t.TempDir(), quietFetch(t.TempDir())); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz not found") {
		t.Fatalf("empty source: %v", err)
	}
	f := writeFile(t, filepath.Join(t.TempDir(), "x"), []byte("x"))
	if err := Fetch(ctx, "mnist", t.TempDir(), quietFetch(f)); err == nil || !strings.Contains(err.Error(), "give a directory") {
		t.Fatalf("file source for multi-file dataset: %v", err)
	}
}

// TestFetchDownload exercises the download path against a local HTTP server
// standing in for a mirror (BaseURL).
func TestFetchDownload(t *testing.T) {
	src := requireData(t, "adult")
	body, err := os.ReadFile(filepath.Join(src, "adult.data"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok/adult.data":
			w.Write(body)
		case "/bad/adult.data":
			w.Write(body[:1000])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	opts := quietFetch("")
	opts.BaseURL = srv.URL + "/ok/"
	dir := t.TempDir()
	if err := Fetch(ctx, "adult", dir, opts); err != nil {
		t.Fatal(err)
	}
	if d, err := Load(ctx, "adult", filepath.Join(dir, "adult"), LoadOptions{}); err != nil || d.Len() != 32561 {
		t.Fatalf("downloaded adult: %v", err)
	}
	opts.BaseURL = srv.URL + "/bad"
	if err := Fetch(ctx, "adult", t.TempDir(), opts); !errors.Is(err, ErrChecksum) {
		t.Fatalf("truncated download: %v", err)
	}
	opts.BaseURL = srv.URL + "/missing"
	if err := Fetch(ctx, "adult", t.TempDir(), opts); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404 download: %v", err)
	}
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"cifar-10-batches-bin/", "cifar-10-batches-bin/test_batch.bin", "../evil"} {
		b, ok := files[name]
		if !ok {
			continue
		}
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}
		if strings.HasSuffix(name, "/") {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// TestFetchArchive checks MD5 verification and extraction of a CIFAR-style
// archive (with a stand-in spec, since the real archives are not here).
func TestFetchArchive(t *testing.T) {
	ctx := context.Background()
	rec := cifarRecord([]byte{3}, 0)
	archive := tarGz(t, map[string][]byte{"cifar-10-batches-bin/": nil, "cifar-10-batches-bin/test_batch.bin": rec})
	sum := md5.Sum(archive)
	spec := []remoteFile{{name: "cifar-10-binary.tar.gz", md5: hex.EncodeToString(sum[:]), archive: true}}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "cifar-10-binary.tar.gz"), archive)
	dest := filepath.Join(t.TempDir(), "cifar10")
	if err := fetchFiles(ctx, "cifar10", spec, dest, quietFetch(src)); err != nil {
		t.Fatal(err)
	}
	d, err := LoadCIFAR10(ctx, dest, "test")
	if err != nil || d.Y[0] != 3 {
		t.Fatalf("extracted archive: %v", err)
	}
	evil := tarGz(t, map[string][]byte{"../evil": []byte("x")})
	sum = md5.Sum(evil)
	spec[0].md5 = hex.EncodeToString(sum[:])
	writeFile(t, filepath.Join(src, "cifar-10-binary.tar.gz"), evil)
	if err := fetchFiles(ctx, "cifar10", spec, filepath.Join(t.TempDir(), "c"), quietFetch(src)); err == nil || !strings.Contains(err.Error(), "leaves the destination") {
		t.Fatalf("path traversal: %v", err)
	}
	spec[0].md5 = strings.Repeat("0", 32)
	if err := fetchFiles(ctx, "cifar10", spec, filepath.Join(t.TempDir(), "c"), quietFetch(src)); !errors.Is(err, ErrChecksum) {
		t.Fatalf("md5 mismatch: %v", err)
	}
}

func TestFetchableDatasetsMatchTable(t *testing.T) {
	var keys []string
	for k := range fetchTable {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, FetchableDatasets()) {
		t.Fatalf("FetchableDatasets() = %v, table has %v", FetchableDatasets(), keys)
	}
	for name, files := range fetchTable {
		for _, f := range files {
			if f.sha256 == "" && f.md5 == "" && f.contentSHA256 == "" {
				t.Errorf("%s/%s has no checksum", name, f.name)
			}
		}
	}
}
