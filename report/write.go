package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File names written by WriteDir.
const (
	JSONFile = "report.json"
	HTMLFile = "report.html"
)

// WriteJSON writes the report as indented JSON (keys in struct order,
// tpr_at_fpr keys sorted) after Validate, so a report with a non-finite
// number is an error naming the field, never a half-written file.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := r.MarshalIndent()
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("report: writing %s: %w", JSONFile, err)
	}
	return nil
}

// MarshalIndent returns the report's JSON, two-space indented, with a
// trailing newline.
func (r *Report) MarshalIndent() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encoding %s: %w", JSONFile, err)
	}
	return append(b, '\n'), nil
}

// ReadJSON decodes and validates a report.json. Unknown fields are
// accepted (a newer writer may add optional ones); a version other than
// SchemaVersion is an error.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("report: reading %s: byte offset %d: %w", JSONFile, se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("report: reading %s: field %s at byte offset %d: %w", JSONFile, te.Field, te.Offset, err)
		}
		return nil, fmt.Errorf("report: reading %s: %w", JSONFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("report: reading %s: data after the report object at byte offset %d", JSONFile, dec.InputOffset())
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("report: reading %s: %w", JSONFile, err)
	}
	return &r, nil
}

// ReadFile reads and validates a report.json file.
func ReadFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// WriteDir renders report.json and report.html in memory, then writes each
// into dir (created if missing) atomically: a temporary file in dir,
// fsynced, then renamed over the final name. A rendering error writes
// nothing; each file on its own is either the old or the new version, but
// the pair is not replaced as one unit.
func WriteDir(dir string, r *Report) error {
	js, err := r.MarshalIndent()
	if err != nil {
		return err
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, r); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, JSONFile), js); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, HTMLFile), html.Bytes())
}

func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("report: writing %s: %w", tmp, err)
	}
	if err = f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("report: writing %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("report: syncing %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("report: closing %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
