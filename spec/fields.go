package spec

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// variantStruct is implemented by the sections whose allowed fields depend
// on a discriminator field (dataset.name, model.arch, optimizer name, …).
type variantStruct interface {
	// variantKey is the YAML key of the discriminator.
	variantKey() string
	// variantNoun names the section in messages ("optimizer", "arch").
	variantNoun() string
	// variantValue is the discriminator's current value.
	variantValue() string
	// variantNames lists the allowed discriminator values.
	variantNames() []string
	// resetVariant sets the section to the defaults of the named variant.
	resetVariant(name string)
}

func (d *Dataset) variantKey() string       { return "name" }
func (d *Dataset) variantNoun() string      { return "dataset" }
func (d *Dataset) variantValue() string     { return d.Name }
func (d *Dataset) variantNames() []string   { return datasetNames }
func (d *Dataset) resetVariant(name string) { *d = DefaultDataset(name) }

func (m *Model) variantKey() string       { return "arch" }
func (m *Model) variantNoun() string      { return "arch" }
func (m *Model) variantValue() string     { return m.Arch }
func (m *Model) variantNames() []string   { return archNames }
func (m *Model) resetVariant(name string) { *m = DefaultModel(name) }

func (o *Optimizer) variantKey() string       { return "name" }
func (o *Optimizer) variantNoun() string      { return "optimizer" }
func (o *Optimizer) variantValue() string     { return o.Name }
func (o *Optimizer) variantNames() []string   { return optimizerNames }
func (o *Optimizer) resetVariant(name string) { *o = DefaultOptimizer(name) }

func (s *Schedule) variantKey() string       { return "name" }
func (s *Schedule) variantNoun() string      { return "schedule" }
func (s *Schedule) variantValue() string     { return s.Name }
func (s *Schedule) variantNames() []string   { return scheduleNames }
func (s *Schedule) resetVariant(name string) { *s = DefaultSchedule(name) }

func (d *Defense) variantKey() string       { return "name" }
func (d *Defense) variantNoun() string      { return "defense" }
func (d *Defense) variantValue() string     { return d.Name }
func (d *Defense) variantNames() []string   { return defenseNames }
func (d *Defense) resetVariant(name string) { *d = DefaultDefense(name) }

func (a *Attack) variantKey() string     { return "name" }
func (a *Attack) variantNoun() string    { return "attack" }
func (a *Attack) variantValue() string   { return a.Name }
func (a *Attack) variantNames() []string { return attackNames }
func (a *Attack) resetVariant(name string) {
	label := a.Label
	*a = DefaultAttack(name)
	a.Label = label
}

// MarshalYAML writes the flat form the decoder reads.
func (d Dataset) MarshalYAML() (any, error) { return marshalVariant(&d) }

// MarshalYAML writes the flat form the decoder reads.
func (m Model) MarshalYAML() (any, error) { return marshalVariant(&m) }

// MarshalYAML writes only the fields of the chosen optimizer.
func (o Optimizer) MarshalYAML() (any, error) { return marshalVariant(&o) }

// MarshalYAML writes only the fields of the chosen schedule.
func (s Schedule) MarshalYAML() (any, error) { return marshalVariant(&s) }

// MarshalYAML writes only the fields of the chosen defense.
func (d Defense) MarshalYAML() (any, error) { return marshalVariant(&d) }

// MarshalYAML writes the flat form the decoder reads.
func (a Attack) MarshalYAML() (any, error) { return marshalVariant(&a) }

// fieldInfo describes one YAML field of a struct, flattening the fields of
// variant parameter structs into their parent.
type fieldInfo struct {
	key     string
	index   int      // field index in the struct
	sub     int      // field index inside the variant struct, or -1
	only    []string // discriminator values that allow the field; nil: all
	hashed  bool     // part of Canonical
	isDisc  bool     // the discriminator itself
	typ     reflect.Type
	variant []string // for variant-struct fields: the variants of the struct
}

// allowed reports whether the field may appear when the discriminator is v.
func (f fieldInfo) allowed(v string) bool {
	return f.only == nil || contains(f.only, v)
}

// value returns the field of sv (a struct value); for variant-struct
// fields it allocates the struct when alloc is set, else returns an invalid
// Value when the struct is nil.
func (f fieldInfo) value(sv reflect.Value, alloc bool) reflect.Value {
	fv := sv.Field(f.index)
	if f.sub < 0 {
		return fv
	}
	if fv.IsNil() {
		if !alloc {
			return reflect.Value{}
		}
		fv.Set(reflect.New(fv.Type().Elem()))
	}
	return fv.Elem().Field(f.sub)
}

func splitTag(t string) []string {
	if t == "" {
		return nil
	}
	return strings.Split(t, ",")
}

func yamlKey(f reflect.StructField) string {
	k, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if k == "" {
		k = strings.ToLower(f.Name)
	}
	return k
}

// structFields lists the YAML fields of struct type t in declaration order.
func structFields(t reflect.Type, discKey string) []fieldInfo {
	var out []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if vt := f.Tag.Get("variant"); vt != "" {
			variants := splitTag(vt)
			et := f.Type.Elem()
			for j := range et.NumField() {
				sf := et.Field(j)
				if !sf.IsExported() {
					continue
				}
				only := splitTag(sf.Tag.Get("only"))
				if only == nil {
					only = variants
				}
				out = append(out, fieldInfo{key: yamlKey(sf), index: i, sub: j, only: only,
					hashed: sf.Tag.Get("hash") != "-", typ: sf.Type, variant: variants})
			}
			continue
		}
		key := yamlKey(f)
		if key == "-" {
			continue
		}
		out = append(out, fieldInfo{key: key, index: i, sub: -1, only: splitTag(f.Tag.Get("only")),
			hashed: f.Tag.Get("hash") != "-", isDisc: key == discKey, typ: f.Type})
	}
	return out
}

// asVariant returns sv's variantStruct, discriminator key and value.
func asVariant(sv reflect.Value) (variantStruct, string, string) {
	if !sv.CanAddr() {
		return nil, "", ""
	}
	vs, ok := sv.Addr().Interface().(variantStruct)
	if !ok {
		return nil, "", ""
	}
	return vs, vs.variantKey(), vs.variantValue()
}

// allowedKeys lists the keys allowed when the discriminator is v.
func allowedKeys(fields []fieldInfo, v string) []string {
	var keys []string
	for _, f := range fields {
		if f.allowed(v) && !contains(keys, f.key) {
			keys = append(keys, f.key)
		}
	}
	return keys
}

// marshalVariant encodes a discriminated section as one flat YAML mapping
// holding the discriminator and the fields of the chosen variant.
func marshalVariant(ptr variantStruct) (any, error) {
	sv := reflect.ValueOf(ptr).Elem()
	disc := ptr.variantValue()
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range structFields(sv.Type(), ptr.variantKey()) {
		if !f.allowed(disc) {
			continue
		}
		fv := f.value(sv, false)
		if !fv.IsValid() || (fv.Kind() == reflect.Pointer && fv.IsNil()) {
			continue
		}
		var val yaml.Node
		if err := val.Encode(fv.Interface()); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.key}, &val)
	}
	return n, nil
}
