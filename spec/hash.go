package spec

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// Canonical returns the canonical JSON of the resolved spec restricted to
// the fields that affect results: objects with sorted keys, no whitespace,
// each discriminated section flat with only its variant's fields (as in
// YAML), floats in Go's shortest round-trip form. Left out: name,
// description and train.checkpoint_every (see the package doc). The spec
// is not modified.
func (s *Spec) Canonical() []byte {
	return mustJSON(s.canonicalTree())
}

// Hash is the hex SHA-256 of Canonical: equal for specs that differ only in
// field order, comments, explicitly written defaults or unhashed fields.
func (s *Spec) Hash() string {
	sum := sha256.Sum256(s.Canonical())
	return hex.EncodeToString(sum[:])
}

// ModelRecipeCanonical returns the canonical JSON of what determines each
// trained model: the dataset selection (name, universe, population,
// split_seed, label_column, synthetic; not path), model, train (without
// checkpoint_every) and shadows (count, keep, mask_seed). Eval, attacks
// and metrics are left out, so changing them reuses every trained model.
func (s *Spec) ModelRecipeCanonical() []byte {
	t := s.canonicalTree()
	ds, _ := t["dataset"].(map[string]any)
	delete(ds, "path")
	return mustJSON(map[string]any{
		"dataset": ds,
		"model":   t["model"],
		"train":   t["train"],
		"shadows": t["shadows"],
	})
}

// ModelRecipeHash is the hex SHA-256 of ModelRecipeCanonical. A model's
// storage key should combine it with the dataset's content fingerprint and
// the model index.
func (s *Spec) ModelRecipeHash() string {
	sum := sha256.Sum256(s.ModelRecipeCanonical())
	return hex.EncodeToString(sum[:])
}

func (s *Spec) canonicalTree() map[string]any {
	c := s.clone()
	c.Resolve()
	t, _ := canonicalValue(reflect.ValueOf(c).Elem()).(map[string]any)
	return t
}

// mustJSON marshals a tree of maps, slices, strings, bools and float64 /
// int64 numbers, which encoding/json cannot fail on (canonicalValue turns
// non-finite floats into strings); map keys come out sorted.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Unreachable for canonicalValue's output; keep the bytes
		// distinct from any valid canonical form rather than panic.
		return []byte("invalid:" + err.Error())
	}
	return b
}

var textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()

// canonicalValue converts v to a JSON-ready tree keyed by YAML field names,
// dropping unhashed fields and fields of variants not chosen.
func canonicalValue(v reflect.Value) any {
	if v.Type().Implements(textMarshalerType) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return "invalid:" + err.Error()
		}
		return string(b)
	}
	switch v.Kind() {
	case reflect.Struct:
		_, discKey, disc := asVariant(v)
		m := map[string]any{}
		for _, f := range structFields(v.Type(), discKey) {
			if !f.hashed || !f.allowed(disc) {
				continue
			}
			fv := f.value(v, false)
			if !fv.IsValid() || (fv.Kind() == reflect.Pointer && fv.IsNil()) {
				continue
			}
			m[f.key] = canonicalValue(fv)
		}
		return m
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return canonicalValue(v.Elem())
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = canonicalValue(v.Index(i))
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int64:
		return v.Int()
	case reflect.Float64:
		f := v.Float()
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return strconv.FormatFloat(f, 'g', -1, 64)
		case f == 0:
			return 0.0 // folds -0 into 0
		}
		return f
	}
	return "unsupported:" + v.Type().String()
}

// clone returns a deep copy of s.
func (s *Spec) clone() *Spec {
	c := deepCopy(reflect.ValueOf(s).Elem()).Interface().(Spec)
	return &c
}

func deepCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(deepCopy(v.Elem()))
			out.Set(p)
		}
	case reflect.Slice:
		if !v.IsNil() {
			s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			for i := range v.Len() {
				s.Index(i).Set(deepCopy(v.Index(i)))
			}
			out.Set(s)
		}
	default:
		out.Set(v)
	}
	return out
}
