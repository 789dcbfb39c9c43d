package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// dataRoot returns $UMBRA_DATA or <repo root>/data.
func dataRoot(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("UMBRA_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "data")
		}
		if filepath.Dir(dir) == dir {
			return filepath.Join(wd, "data")
		}
	}
}

// requireData returns <data root>/sub, skipping the test when it is absent
// unless UMBRA_REQUIRE_DATA=1, in which case the test fails.
func requireData(t testing.TB, sub string) string {
	t.Helper()
	p := filepath.Join(dataRoot(t), sub)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("UMBRA_REQUIRE_DATA") == "1" {
			t.Fatalf("real data %s required (UMBRA_REQUIRE_DATA=1) but absent: %v; run scripts/fetch-data.sh", p, err)
		}
		t.Skipf("real data %s absent (run scripts/fetch-data.sh): %v", p, err)
	}
	return p
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// asParseError extracts the *ParseError from err or fails.
func asParseError(t testing.TB, err error) *ParseError {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	return pe
}
