package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, matched with errors.Is through ParseError.
var (
	// ErrTruncated reports a file that ends before its declared content.
	ErrTruncated = errors.New("truncated")
	// ErrFormat reports content that violates the file format.
	ErrFormat = errors.New("malformed")
	// ErrChecksum reports a file whose SHA-256 differs from the expected one.
	ErrChecksum = errors.New("checksum mismatch")
)

// ParseError locates a problem in an input file. Positions that do not apply
// are zero (Line) or negative (Record, Offset). Record is 0-based (the index
// the example would have had); Line is 1-based; Offset is a byte offset into
// the file's content (the decompressed stream for gzipped files).
type ParseError struct {
	File   string
	Line   int
	Record int
	Offset int64
	Field  string
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Record >= 0 {
		fmt.Fprintf(&b, ": record %d", e.Record)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, ": byte offset %d", e.Offset)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// atOffset builds a ParseError positioned at a byte offset.
func atOffset(file string, record int, off int64, format string, args ...any) *ParseError {
	return &ParseError{File: file, Record: record, Offset: off, Err: fmt.Errorf(format, args...)}
}

// atLine builds a ParseError positioned at a line (and record when >= 0).
func atLine(file string, line, record int, field string, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Record: record, Offset: -1, Field: field, Err: fmt.Errorf(format, args...)}
}
