package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Dataset is an in-memory labelled dataset. Features are float32, stored
// row-major: example i occupies X[i*D : (i+1)*D] where D is the product of
// Shape. Shape is the per-example shape: [C, H, W] for images, [D] for
// tabular data.
type Dataset struct {
	// Name identifies the dataset (e.g. "mnist", "adult", "purchase-synthetic").
	Name string
	// Shape is the per-example feature shape.
	Shape []int
	// X holds N*prod(Shape) features.
	X []float32
	// Y holds N class labels in [0, Classes).
	Y []int
	// Classes is the number of classes.
	Classes int
	// Attrs holds named per-example attributes (e.g. "sex", "race"), each a
	// categorical code per example plus the category names.
	Attrs map[string]Attribute
	// FeatureNames names the feature columns of a tabular dataset (e.g.
	// "age", "workclass=Private"); nil for images.
	FeatureNames []string
	// NumericFeatures lists the indices of the continuous feature columns
	// of a tabular dataset (those a Standardizer rescales); nil for images
	// and for purely one-hot data.
	NumericFeatures []int
}

// Attribute is a named categorical per-example attribute.
type Attribute struct {
	// Values names the categories; Codes index into it.
	Values []string
	// Codes holds one category index per example.
	Codes []int
}

// Len returns the number of examples.
func (d *Dataset) Len() int { return len(d.Y) }

// Dim returns the number of features per example (the product of Shape).
func (d *Dataset) Dim() int {
	n := 1
	for _, s := range d.Shape {
		n *= s
	}
	return n
}

// Example returns the features of example i, aliasing X.
func (d *Dataset) Example(i int) []float32 {
	dim := d.Dim()
	return d.X[i*dim : (i+1)*dim : (i+1)*dim]
}

// Attr returns the attribute called name and whether it exists.
func (d *Dataset) Attr(name string) (Attribute, bool) {
	a, ok := d.Attrs[name]
	return a, ok
}

// AttrNames returns the attribute names in sorted order (never map order).
func (d *Dataset) AttrNames() []string {
	names := make([]string, 0, len(d.Attrs))
	for n := range d.Attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate checks the internal consistency of d: a positive shape, len(X) =
// Len()*Dim(), labels in [0, Classes), and attributes with one valid code per
// example. It does not check that features are finite (tabular loaders leave
// missing numeric values as NaN until a Standardizer imputes them).
func (d *Dataset) Validate() error {
	if d == nil {
		return errors.New("dataset is nil")
	}
	if len(d.Shape) == 0 {
		return fmt.Errorf("dataset %q: empty shape", d.Name)
	}
	for i, s := range d.Shape {
		if s <= 0 {
			return fmt.Errorf("dataset %q: shape[%d] = %d, must be > 0", d.Name, i, s)
		}
	}
	if d.Classes <= 0 {
		return fmt.Errorf("dataset %q: classes = %d, must be > 0", d.Name, d.Classes)
	}
	n, dim := d.Len(), d.Dim()
	if len(d.X) != n*dim {
		return fmt.Errorf("dataset %q: len(X) = %d, want %d examples × %d features = %d", d.Name, len(d.X), n, dim, n*dim)
	}
	for i, y := range d.Y {
		if y < 0 || y >= d.Classes {
			return fmt.Errorf("dataset %q: example %d: label %d outside [0, %d)", d.Name, i, y, d.Classes)
		}
	}
	for _, name := range d.AttrNames() {
		a := d.Attrs[name]
		if len(a.Codes) != n {
			return fmt.Errorf("dataset %q: attribute %q: %d codes for %d examples", d.Name, name, len(a.Codes), n)
		}
		for i, c := range a.Codes {
			if c < 0 || c >= len(a.Values) {
				return fmt.Errorf("dataset %q: attribute %q: example %d: code %d outside [0, %d)", d.Name, name, i, c, len(a.Values))
			}
		}
	}
	if d.FeatureNames != nil && len(d.FeatureNames) != dim {
		return fmt.Errorf("dataset %q: %d feature names for %d features", d.Name, len(d.FeatureNames), dim)
	}
	for _, c := range d.NumericFeatures {
		if c < 0 || c >= dim {
			return fmt.Errorf("dataset %q: numeric feature index %d outside [0, %d)", d.Name, c, dim)
		}
	}
	return nil
}

// fingerprintMagic starts the canonical byte stream hashed by Fingerprint;
// bump its version if the encoding below ever changes.
const fingerprintMagic = "umbra-dataset-fingerprint-v1\n"

// Fingerprint returns the hex SHA-256 of d's canonical bytes. The encoding
// (all integers little-endian uint64, floats as IEEE-754 float32 bits):
//
//	"umbra-dataset-fingerprint-v1\n"
//	len(Shape), Shape...
//	Classes, N
//	X as float32 bits (N*Dim values)
//	Y (N values)
//	number of attributes, then per attribute in sorted name order:
//	  len(name), name, len(Values), (len(v), v)..., Codes (N values)
//
// Name, FeatureNames and NumericFeatures are metadata and are not hashed:
// two datasets with the same examples, labels and attributes share a
// fingerprint whatever they are called. NaN features hash by their bits.
func (d *Dataset) Fingerprint() string {
	h := sha256.New()
	var buf [8]byte
	putU := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	putS := func(s string) {
		putU(uint64(len(s)))
		h.Write([]byte(s))
	}
	h.Write([]byte(fingerprintMagic))
	putU(uint64(len(d.Shape)))
	for _, s := range d.Shape {
		putU(uint64(s))
	}
	putU(uint64(d.Classes))
	putU(uint64(d.Len()))
	// Encode X in chunks to avoid one large temporary buffer.
	chunk := make([]byte, 0, 4*4096)
	for i := 0; i < len(d.X); i += 4096 {
		chunk = chunk[:0]
		for _, v := range d.X[i:min(i+4096, len(d.X))] {
			chunk = binary.LittleEndian.AppendUint32(chunk, math.Float32bits(v))
		}
		h.Write(chunk)
	}
	for _, y := range d.Y {
		putU(uint64(y))
	}
	names := d.AttrNames()
	putU(uint64(len(names)))
	for _, name := range names {
		a := d.Attrs[name]
		putS(name)
		putU(uint64(len(a.Values)))
		for _, v := range a.Values {
			putS(v)
		}
		for _, c := range a.Codes {
			putU(uint64(c))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Subset returns a new dataset holding the examples idx, in that order
// (duplicates allowed), with copied features, labels and attributes.
func (d *Dataset) Subset(idx []int) (*Dataset, error) {
	n, dim := d.Len(), d.Dim()
	for k, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("dataset %q: subset index %d (position %d) outside [0, %d)", d.Name, i, k, n)
		}
	}
	out := &Dataset{
		Name:            d.Name,
		Shape:           slices.Clone(d.Shape),
		X:               make([]float32, len(idx)*dim),
		Y:               make([]int, len(idx)),
		Classes:         d.Classes,
		FeatureNames:    slices.Clone(d.FeatureNames),
		NumericFeatures: slices.Clone(d.NumericFeatures),
	}
	for k, i := range idx {
		copy(out.X[k*dim:(k+1)*dim], d.X[i*dim:(i+1)*dim])
		out.Y[k] = d.Y[i]
	}
	if d.Attrs != nil {
		out.Attrs = make(map[string]Attribute, len(d.Attrs))
		for name, a := range d.Attrs {
			codes := make([]int, len(idx))
			for k, i := range idx {
				codes[k] = a.Codes[i]
			}
			out.Attrs[name] = Attribute{Values: slices.Clone(a.Values), Codes: codes}
		}
	}
	return out, nil
}

// Clone returns a deep copy of d.
func (d *Dataset) Clone() *Dataset {
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	out, _ := d.Subset(idx) // every index is in range
	return out
}

// ClassCounts returns the number of examples of each class.
func (d *Dataset) ClassCounts() []int {
	counts := make([]int, max(d.Classes, 0))
	for _, y := range d.Y {
		if y >= 0 && y < len(counts) {
			counts[y]++
		}
	}
	return counts
}

// Concat returns the examples of ds, in order, as one dataset called name.
// The parts must agree on shape, classes, feature names, numeric features
// and attributes (names and values).
func Concat(name string, ds ...*Dataset) (*Dataset, error) {
	if len(ds) == 0 {
		return nil, errors.New("concat: no datasets")
	}
	first := ds[0]
	out := &Dataset{
		Name:            name,
		Shape:           slices.Clone(first.Shape),
		Classes:         first.Classes,
		FeatureNames:    slices.Clone(first.FeatureNames),
		NumericFeatures: slices.Clone(first.NumericFeatures),
	}
	names := first.AttrNames()
	if len(names) > 0 {
		out.Attrs = make(map[string]Attribute, len(names))
		for _, n := range names {
			out.Attrs[n] = Attribute{Values: slices.Clone(first.Attrs[n].Values)}
		}
	}
	for k, d := range ds {
		switch {
		case !slices.Equal(d.Shape, first.Shape):
			return nil, fmt.Errorf("concat: part %d (%q) has shape %v, part 0 %v", k, d.Name, d.Shape, first.Shape)
		case d.Classes != first.Classes:
			return nil, fmt.Errorf("concat: part %d (%q) has %d classes, part 0 %d", k, d.Name, d.Classes, first.Classes)
		case !slices.Equal(d.FeatureNames, first.FeatureNames) || !slices.Equal(d.NumericFeatures, first.NumericFeatures):
			return nil, fmt.Errorf("concat: part %d (%q) has other feature columns than part 0", k, d.Name)
		case !slices.Equal(d.AttrNames(), names):
			return nil, fmt.Errorf("concat: part %d (%q) has attributes %v, part 0 %v", k, d.Name, d.AttrNames(), names)
		}
		out.X = append(out.X, d.X...)
		out.Y = append(out.Y, d.Y...)
		for _, n := range names {
			a := out.Attrs[n]
			if !slices.Equal(d.Attrs[n].Values, a.Values) {
				return nil, fmt.Errorf("concat: part %d (%q): attribute %q has values %q, part 0 %q", k, d.Name, n, d.Attrs[n].Values, a.Values)
			}
			a.Codes = append(a.Codes, d.Attrs[n].Codes...)
			out.Attrs[n] = a
		}
	}
	return out, nil
}
