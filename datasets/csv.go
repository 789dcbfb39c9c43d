package datasets

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// CSVOptions describe a generic CSV file.
type CSVOptions struct {
	// Name names the dataset; default "csv".
	Name string
	// Label is the label column's name (required). Its distinct values,
	// sorted (numerically when all are integers), become the classes.
	Label string
	// Categorical forces columns to be one-hot encoded; other columns are
	// numeric when every non-missing value parses as a number, categorical
	// otherwise. A categorical column's categories are its distinct values,
	// sorted (numerically when all are integers), plus "?" when values are
	// missing.
	Categorical []string
	// Attributes lists categorical columns kept as per-example attributes.
	Attributes []string
	// NoHeader: the file has no header line; columns are named c0, c1, ….
	NoHeader bool
	// Comma is the field separator; default ','.
	Comma rune
	// Missing lists the cell values that mean "missing"; default "?" and "".
	Missing []string
	// Tabular controls standardisation and attribute columns.
	Tabular TabularOptions
}

// LoadCSV loads a CSV file (raw or gzipped) as a tabular dataset.
func LoadCSV(ctx context.Context, path string, opts CSVOptions) (*Dataset, error) {
	c, err := openContent(path)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	defer c.Close()
	return ReadCSV(ctx, c, path, opts)
}

// ReadCSV is LoadCSV on a stream; file names it in errors.
func ReadCSV(ctx context.Context, r io.Reader, file string, opts CSVOptions) (*Dataset, error) {
	if opts.Label == "" {
		return nil, fmt.Errorf("%s: CSV options: no label column given", file)
	}
	missing := opts.Missing
	if missing == nil {
		missing = []string{"?", ""}
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	if opts.Comma != 0 {
		cr.Comma = opts.Comma
	}
	if !validDelim(cr.Comma) {
		return nil, fmt.Errorf("%s: CSV options: invalid separator %q", file, cr.Comma)
	}
	t := &table{file: file, missing: func(s string) bool { return slices.Contains(missing, s) }}
	for rec := 0; ; rec++ {
		if rec%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &ParseError{File: file, Line: pe.Line, Record: len(t.rows), Offset: cr.InputOffset(), Err: fmt.Errorf("%w: column %d: %w", ErrFormat, pe.Column, pe.Err)}
			}
			return nil, &ParseError{File: file, Record: len(t.rows), Offset: cr.InputOffset(), Err: err}
		}
		// FieldPos is valid only after a successful Read (which returns at
		// least one field).
		line, _ := cr.FieldPos(0)
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if t.cols == nil {
			t.cols = make([]column, len(fields))
			for j := range fields {
				if opts.NoHeader {
					t.cols[j].name = "c" + strconv.Itoa(j)
				} else {
					t.cols[j].name = fields[j]
				}
			}
			if !opts.NoHeader {
				if err := checkHeader(file, line, t.cols); err != nil {
					return nil, err
				}
				continue
			}
		}
		t.rows = append(t.rows, fields)
		t.lines = append(t.lines, line)
	}
	if len(t.rows) == 0 {
		return nil, &ParseError{File: file, Record: -1, Offset: cr.InputOffset(), Err: fmt.Errorf("%w: no records", ErrFormat)}
	}
	label, err := t.colIndex(opts.Label)
	if err != nil {
		return nil, err
	}
	forced := map[int]bool{}
	for _, name := range opts.Categorical {
		j, err := t.colIndex(name)
		if err != nil {
			return nil, err
		}
		forced[j] = true
	}
	for j := range t.cols {
		t.cols[j].numeric = j != label && !forced[j] && numericColumn(t, j)
	}
	t.discoverCategories()
	spec := tableSpec{name: opts.Name, label: label}
	if spec.name == "" {
		spec.name = "csv"
	}
	for _, name := range opts.Attributes {
		j, err := t.colIndex(name)
		if err != nil {
			return nil, err
		}
		if j == label {
			return nil, fmt.Errorf("%s: attribute %q is the label column", file, name)
		}
		if t.cols[j].numeric {
			return nil, fmt.Errorf("%s: attribute column %q is numeric; list it in Categorical too", file, name)
		}
		spec.attrs = append(spec.attrs, j)
		if opts.Tabular.DropAttributes {
			if spec.drop == nil {
				spec.drop = map[int]bool{}
			}
			spec.drop[j] = true
		}
	}
	d, err := t.encode(spec)
	if err != nil {
		return nil, err
	}
	if err := applyTabularOptions(d, opts.Tabular); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return d, nil
}

func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && r != 0xFFFD
}

// checkHeader rejects empty and duplicate column names.
func checkHeader(file string, line int, cols []column) error {
	seen := map[string]int{}
	for j, c := range cols {
		if c.name == "" {
			return atLine(file, line, -1, "", "%w: header: column %d has no name", ErrFormat, j)
		}
		if k, dup := seen[c.name]; dup {
			return atLine(file, line, -1, c.name, "%w: header: columns %d and %d share the name", ErrFormat, k, j)
		}
		seen[c.name] = j
	}
	return nil
}

// numericColumn reports whether every non-missing cell of column j parses as
// a finite number (and at least one is present).
func numericColumn(t *table, j int) bool {
	any := false
	for _, row := range t.rows {
		v := row[j]
		if t.missing(v) {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.Abs(f) > math.MaxFloat32 {
			return false
		}
		any = true
	}
	return any
}
