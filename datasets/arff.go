package datasets

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ARFF is a parsed Weka ARFF file (dense data section only).
type ARFF struct {
	Relation   string
	Attributes []ARFFAttribute
	// Rows holds the raw cell values, unquoted; an unquoted "?" is kept as
	// "?" and means missing.
	Rows [][]string
	// Lines holds the 1-based source line of each row.
	Lines []int
}

// ARFFAttribute is one @attribute declaration.
type ARFFAttribute struct {
	Name string
	// Type is "numeric" (also for real and integer), "nominal" or "string".
	Type string
	// Values lists a nominal attribute's categories in declared order.
	Values []string
}

// ReadARFF parses an ARFF stream: % comments, @relation, @attribute with
// numeric/real/integer, string or {nominal, 'quoted values'} types, and a
// dense @data section with comma-separated, optionally quoted values.
// Sparse rows ({...}), dates and relational attributes are errors. file names
// the input in errors.
func ReadARFF(ctx context.Context, r io.Reader, file string) (*ARFF, error) {
	a := &ARFF{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line, inData := 0, false
	for sc.Scan() {
		line++
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "%") {
			continue
		}
		if inData {
			if strings.HasPrefix(text, "{") {
				return nil, atLine(file, line, len(a.Rows), "", "%w: sparse ARFF rows are not supported", ErrFormat)
			}
			cells, err := splitARFF(text)
			if err != nil {
				return nil, atLine(file, line, len(a.Rows), "", "%w: %w", ErrFormat, err)
			}
			if len(cells) != len(a.Attributes) {
				return nil, atLine(file, line, len(a.Rows), "", "%w: %d values, want %d (one per @attribute)", ErrFormat, len(cells), len(a.Attributes))
			}
			a.Rows = append(a.Rows, cells)
			a.Lines = append(a.Lines, line)
			continue
		}
		keyword, rest := text, ""
		if i := strings.IndexAny(text, " \t"); i >= 0 {
			keyword, rest = text[:i], strings.TrimSpace(text[i+1:])
		}
		switch strings.ToLower(keyword) {
		case "@relation":
			name, _, err := nextToken(rest)
			if err != nil {
				return nil, atLine(file, line, -1, "", "%w: @relation: %w", ErrFormat, err)
			}
			a.Relation = name
		case "@attribute":
			attr, err := parseARFFAttribute(rest)
			if err != nil {
				return nil, atLine(file, line, -1, "", "%w: @attribute: %w", ErrFormat, err)
			}
			for _, prev := range a.Attributes {
				if prev.Name == attr.Name {
					return nil, atLine(file, line, -1, attr.Name, "%w: @attribute declared twice", ErrFormat)
				}
			}
			a.Attributes = append(a.Attributes, attr)
		case "@data":
			if len(a.Attributes) == 0 {
				return nil, atLine(file, line, -1, "", "%w: @data before any @attribute", ErrFormat)
			}
			inData = true
		default:
			return nil, atLine(file, line, -1, "", "%w: unexpected %q in the ARFF header", ErrFormat, keyword)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, atLine(file, line+1, len(a.Rows), "", "%w: line longer than 1 MiB", ErrFormat)
		}
		return nil, atLine(file, line+1, len(a.Rows), "", "%w", err)
	}
	if !inData {
		return nil, atLine(file, line, -1, "", "%w: no @data section", ErrTruncated)
	}
	return a, nil
}

func parseARFFAttribute(s string) (ARFFAttribute, error) {
	name, rest, err := nextToken(s)
	if err != nil {
		return ARFFAttribute{}, err
	}
	if name == "" {
		return ARFFAttribute{}, errors.New("missing name")
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "{") {
		end := strings.LastIndex(rest, "}")
		if end < 0 {
			return ARFFAttribute{}, fmt.Errorf("%q: nominal list without closing }", name)
		}
		values, err := splitARFF(rest[1:end])
		if err != nil {
			return ARFFAttribute{}, fmt.Errorf("%q: %w", name, err)
		}
		seen := map[string]bool{}
		for _, v := range values {
			if seen[v] {
				return ARFFAttribute{}, fmt.Errorf("%q: nominal value %q listed twice", name, v)
			}
			seen[v] = true
		}
		return ARFFAttribute{Name: name, Type: "nominal", Values: values}, nil
	}
	switch strings.ToLower(strings.Fields(rest + " x")[0]) {
	case "numeric", "real", "integer":
		return ARFFAttribute{Name: name, Type: "numeric"}, nil
	case "string":
		return ARFFAttribute{Name: name, Type: "string"}, nil
	}
	return ARFFAttribute{}, fmt.Errorf("%q: unsupported type %q", name, rest)
}

// nextToken reads one optionally quoted token from the start of s and
// returns it and the remainder.
func nextToken(s string) (tok, rest string, err error) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return "", "", nil
	}
	if q := s[0]; q == '\'' || q == '"' {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' && i+1 < len(s):
				i++
				b.WriteByte(unescape(s[i]))
			case c == q:
				return b.String(), s[i+1:], nil
			default:
				b.WriteByte(c)
			}
		}
		return "", "", fmt.Errorf("unterminated quote in %q", s)
	}
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", nil
	}
	return s[:i], s[i:], nil
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	}
	return c
}

// splitARFF splits a comma-separated ARFF value list, unquoting quoted
// values and trimming spaces around unquoted ones.
func splitARFF(s string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && (s[i] == '\'' || s[i] == '"') {
			q := s[i]
			var b strings.Builder
			j := i + 1
			closed := false
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					b.WriteByte(unescape(s[j]))
					continue
				}
				if s[j] == q {
					closed = true
					break
				}
				b.WriteByte(s[j])
			}
			if !closed {
				return nil, fmt.Errorf("value %d: unterminated quote", len(out)+1)
			}
			out = append(out, b.String())
			j++
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			if j == len(s) {
				return out, nil
			}
			if s[j] != ',' {
				return nil, fmt.Errorf("value %d: %q after closing quote", len(out), s[j])
			}
			i = j + 1
			continue
		}
		j := strings.IndexByte(s[i:], ',')
		if j < 0 {
			out = append(out, strings.TrimSpace(s[i:]))
			return out, nil
		}
		out = append(out, strings.TrimSpace(s[i:i+j]))
		i += j + 1
	}
}

// LoadARFF reads an ARFF file (raw or gzipped).
func LoadARFF(ctx context.Context, path string) (*ARFF, error) {
	c, err := openContent(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return ReadARFF(ctx, c, path)
}

// table turns the ARFF into the package's raw table: nominal attributes are
// categorical with their declared values, numeric ones numeric; string
// attributes are categorical with discovered values.
func (a *ARFF) table(file string) *table {
	t := &table{file: file, rows: a.Rows, lines: a.Lines, missing: func(s string) bool { return s == "?" }}
	for _, at := range a.Attributes {
		c := column{name: at.Name}
		switch at.Type {
		case "numeric":
			c.numeric = true
		case "nominal":
			c.declared, c.categories = true, at.Values
		}
		t.cols = append(t.cols, c)
	}
	t.discoverCategories()
	return t
}

// Dataset encodes the ARFF as a tabular dataset with the given label column
// (nominal; its declared values are the classes, in order) and attribute
// columns (categorical; with opts.DropAttributes they are not features).
func (a *ARFF) Dataset(file, name, label string, attrs []string, opts TabularOptions) (*Dataset, error) {
	var drop []string
	if opts.DropAttributes {
		drop = attrs
	}
	return a.encode(file, name, label, attrs, drop, opts)
}

// encode builds the dataset, keeping attrs as attributes and removing drop
// from the features.
func (a *ARFF) encode(file, name, label string, attrs, drop []string, opts TabularOptions) (*Dataset, error) {
	t := a.table(file)
	lj, err := t.colIndex(label)
	if err != nil {
		return nil, err
	}
	if a.Attributes[lj].Type != "nominal" {
		return nil, fmt.Errorf("%s: label attribute %q is %s, want nominal", file, label, a.Attributes[lj].Type)
	}
	spec := tableSpec{name: name, label: lj, labels: a.Attributes[lj].Values, drop: map[int]bool{}}
	for _, c := range attrs {
		j, err := t.colIndex(c)
		if err != nil {
			return nil, err
		}
		if j == lj {
			return nil, fmt.Errorf("%s: attribute %q is the label", file, c)
		}
		spec.attrs = append(spec.attrs, j)
	}
	for _, c := range drop {
		j, err := t.colIndex(c)
		if err != nil {
			return nil, err
		}
		spec.drop[j] = true
	}
	d, err := t.encode(spec)
	if err != nil {
		return nil, err
	}
	if err := applyTabularOptions(d, opts); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return d, nil
}
