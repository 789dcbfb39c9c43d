package spec

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse decodes, defaults, resolves and validates a spec. filename is used
// only in error messages (it may be empty). On failure the error joins one
// *FieldError per problem found, each naming the field path, the allowed
// values and, where the field is in the file, its line.
func Parse(data []byte, filename string) (*Spec, error) {
	if len(data) > maxSpecBytes {
		return nil, &FieldError{File: filename, Msg: fmt.Sprintf("spec is %d bytes; the limit is %d", len(data), maxSpecBytes)}
	}
	root, err := parseYAML(data)
	if err != nil {
		if filename != "" {
			return nil, fmt.Errorf("%s: %w", filename, err)
		}
		return nil, err
	}
	d := &decoder{pos: map[string]int{}, bad: map[string]bool{}, budget: maxNodes}
	s := Default()
	d.decodeValue(root, "", reflect.ValueOf(s).Elem())
	s.Resolve()
	errs := d.errs
	for _, e := range s.validate() {
		if d.suppressed(e.Path) {
			continue
		}
		e.Line = d.lineOf(e.Path)
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		return s, nil
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, lj := errs[i].Line, errs[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		e.File = filename
		out[i] = e
	}
	return nil, errors.Join(out...)
}

// Load reads and parses the spec file at path.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return Parse(data, path)
}

// parseYAML parses exactly one YAML document into its root node. The
// parser's panics, should any remain, become errors.
func parseYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty spec: no YAML document")
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("line %d: a spec is one YAML document; found another", extra.Line)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("empty spec: no YAML document")
	}
	return doc.Content[0], nil
}

// decoder walks a yaml.Node tree onto a Spec, by reflection over the spec
// types' tags, recording every field's line and every error with its path.
type decoder struct {
	errs   []*FieldError
	pos    map[string]int  // field path → line
	bad    map[string]bool // paths whose decoding failed
	budget int             // nodes left to visit (bounds alias expansion)
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &FieldError{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
	d.bad[path] = true
}

// suppressed reports whether a validation error at path repeats a decoding
// error (at path or above it).
func (d *decoder) suppressed(path string) bool {
	for p := path; ; p = parentPath(p) {
		if d.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// lineOf returns the line of path or of its nearest ancestor in the file.
func (d *decoder) lineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := d.pos[p]; ok {
			return l
		}
	}
	return 0
}

// resolve follows aliases; nil (after an error) when the alias is broken.
// The node returned for an alias carries the alias's position, so errors
// point at the use rather than at the anchor.
func (d *decoder) resolve(n *yaml.Node, path string) *yaml.Node {
	if n == nil || n.Kind != yaml.AliasNode {
		return n
	}
	use := n
	for i := 0; n.Kind == yaml.AliasNode; i++ {
		if n.Alias == nil || i > 100 {
			d.errorf(use, path, "unresolvable alias *%s", use.Value)
			return nil
		}
		n = n.Alias
	}
	cp := *n
	cp.Line, cp.Column = use.Line, use.Column
	return &cp
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a YAML document"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// decodeValue decodes n onto v, which holds the default value.
func (d *decoder) decodeValue(n *yaml.Node, path string, v reflect.Value) {
	if n = d.resolve(n, path); n == nil {
		return
	}
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.errorf(n, path, "spec too large: more than %d YAML nodes after expanding aliases", maxNodes)
		}
		return
	}
	if _, seen := d.pos[path]; !seen {
		d.pos[path] = n.Line
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshalerType) {
		if n.Kind != yaml.ScalarNode || isNull(n) {
			d.errorf(n, path, "expected a string, got %s", kindName(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeValue(n, path, v.Elem())
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "expected a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decodeValue(c, indexPath(path, i), s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || isNull(n) {
			d.errorf(n, path, "expected a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64:
		if i, ok := d.scalarInt(n, path); ok {
			v.SetInt(i)
		}
	case reflect.Float64:
		if f, ok := d.scalarFloat(n, path); ok {
			v.SetFloat(f)
		}
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(n, path, "must be true or false (got %s)", kindName(n))
			return
		}
		v.SetBool(b)
	default:
		d.errorf(n, path, "internal error: cannot decode into %s", v.Type())
	}
}

func (d *decoder) scalarInt(n *yaml.Node, path string) (int64, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i, true
			}
			d.errorf(n, path, "must be an integer between %d and %d (got %s)", math.MinInt64, math.MaxInt64, n.Value)
			return 0, false
		case "!!float":
			var f float64
			// Accept integral floats such as 4e3 (exact below 2^53).
			if n.Decode(&f) == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
				return int64(f), true
			}
		}
	}
	d.errorf(n, path, "must be an integer (got %s)", kindName(n))
	return 0, false
}

func (d *decoder) scalarFloat(n *yaml.Node, path string) (float64, bool) {
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		var f float64
		if n.Decode(&f) == nil {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				d.errorf(n, path, "must be a finite number (got %s)", n.Value)
				return 0, false
			}
			return f, true
		}
	}
	d.errorf(n, path, "must be a number (got %s)", kindName(n))
	return 0, false
}

type keyValue struct{ key, value *yaml.Node }

// decodeStruct decodes a mapping onto the struct sv. For a discriminated
// section it reads the discriminator first, resets the section to that
// variant's defaults, then applies the other fields, each of which must
// belong to the chosen variant.
func (d *decoder) decodeStruct(n *yaml.Node, path string, sv reflect.Value) {
	if isNull(n) {
		return // an empty section keeps its defaults
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	vs, discKey, _ := asVariant(sv)
	fields := structFields(sv.Type(), discKey)

	var pairs []keyValue
	seen := map[string]*yaml.Node{}
	var discPair *keyValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "field names must be strings, got %s", kindName(k))
			continue
		}
		kp := joinPath(path, k.Value)
		if k.ShortTag() == "!!merge" {
			d.errorf(k, kp, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k, kp, "duplicate field (first at line %d)", prev.Line)
			continue
		}
		seen[k.Value] = k
		kv := keyValue{k, n.Content[i+1]}
		if vs != nil && k.Value == discKey {
			discPair = &kv
			continue
		}
		pairs = append(pairs, kv)
	}

	discVal := ""
	if vs != nil {
		ok := true
		names := vs.variantNames()
		dp := joinPath(path, discKey)
		if discPair != nil {
			vn := d.resolve(discPair.value, dp)
			switch {
			case vn == nil:
				ok = false
			case vn.Kind != yaml.ScalarNode || isNull(vn) || vn.Value == "":
				d.errorf(vn, dp, "required; one of %s", strings.Join(names, ", "))
				ok = false
			case !contains(names, vn.Value):
				d.errorf(vn, dp, "%q is not one of %s", vn.Value, strings.Join(names, ", "))
				ok = false
			default:
				d.pos[dp] = vn.Line
				vs.resetVariant(vn.Value)
			}
		} else if vs.variantValue() == "" {
			d.errs = append(d.errs, &FieldError{Line: d.lineOf(path), Path: dp,
				Msg: "required; one of " + strings.Join(names, ", ")})
			d.bad[dp] = true
			ok = false
		}
		if !ok {
			// The variant is unknown: decode the fields every variant
			// has and report those no variant has.
			for _, kv := range pairs {
				switch f := commonField(fields, kv.key.Value); {
				case f != nil:
					d.decodeValue(kv.value, joinPath(path, kv.key.Value), f.value(sv, true))
				case !hasKey(fields, kv.key.Value):
					d.unknownField(kv.key, path, allKeys(fields))
				}
			}
			return
		}
		discVal = vs.variantValue()
	}

	allowed := allowedKeys(fields, discVal)
	for _, kv := range pairs {
		kp := joinPath(path, kv.key.Value)
		var match *fieldInfo
		known := false
		for i := range fields {
			if fields[i].key != kv.key.Value {
				continue
			}
			known = true
			if fields[i].allowed(discVal) {
				match = &fields[i]
				break
			}
		}
		switch {
		case match != nil:
			if _, seen := d.pos[kp]; !seen {
				d.pos[kp] = kv.key.Line // point at "key:", not the first line of a block value
			}
			d.decodeValue(kv.value, kp, match.value(sv, true))
		case known:
			d.errorf(kv.key, kp, "not a field of %s %q (only of %s); allowed: %s", vs.variantNoun(), discVal,
				strings.Join(usedBy(fields, kv.key.Value), ", "), strings.Join(allowed, ", "))
		default:
			d.unknownField(kv.key, path, allowed)
		}
	}
}

// commonField returns the field named key that every variant has, or nil.
func commonField(fields []fieldInfo, key string) *fieldInfo {
	for i, f := range fields {
		if f.key == key && f.only == nil && f.sub < 0 && !f.isDisc {
			return &fields[i]
		}
	}
	return nil
}

func hasKey(fields []fieldInfo, key string) bool {
	for _, f := range fields {
		if f.key == key {
			return true
		}
	}
	return false
}

func allKeys(fields []fieldInfo) []string {
	var keys []string
	for _, f := range fields {
		if !contains(keys, f.key) {
			keys = append(keys, f.key)
		}
	}
	return keys
}

// usedBy lists the variants that have the field key.
func usedBy(fields []fieldInfo, key string) []string {
	var out []string
	for _, f := range fields {
		if f.key == key {
			for _, v := range f.only {
				if !contains(out, v) {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func (d *decoder) unknownField(k *yaml.Node, path string, allowed []string) {
	kp := joinPath(path, k.Value)
	hint := ""
	if s := suggest(k.Value, allowed); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(allowed) == 0 {
		d.errorf(k, kp, "unknown field%s; this section has no fields", hint)
		return
	}
	d.errorf(k, kp, "unknown field%s; allowed: %s", hint, strings.Join(allowed, ", "))
}
