package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"testing"
)

func tinyDataset() *Dataset {
	return &Dataset{
		Name:    "tiny",
		Shape:   []int{2},
		X:       []float32{0, 1, 2, 3, 4, 5},
		Y:       []int{0, 1, 1},
		Classes: 2,
		Attrs: map[string]Attribute{
			"sex": {Values: []string{"f", "m"}, Codes: []int{1, 0, 1}},
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *Dataset)
		want   string // substring of the error, "" for valid
	}{
		{"valid", func(d *Dataset) {}, ""},
		{"empty shape", func(d *Dataset) { d.Shape = nil }, "empty shape"},
		{"zero dim", func(d *Dataset) { d.Shape = []int{0} }, "shape[0] = 0"},
		{"no classes", func(d *Dataset) { d.Classes = 0 }, "classes = 0"},
		{"short X", func(d *Dataset) { d.X = d.X[:5] }, "len(X) = 5"},
		{"label high", func(d *Dataset) { d.Y[2] = 2 }, "example 2: label 2"},
		{"label negative", func(d *Dataset) { d.Y[0] = -1 }, "example 0: label -1"},
		{"attr codes short", func(d *Dataset) { d.Attrs["sex"] = Attribute{Values: []string{"f"}, Codes: []int{0}} }, `attribute "sex": 1 codes for 3`},
		{"attr code range", func(d *Dataset) { d.Attrs["sex"].Codes[1] = 2 }, `attribute "sex": example 1: code 2`},
		{"feature names", func(d *Dataset) { d.FeatureNames = []string{"a"} }, "1 feature names for 2"},
		{"numeric index", func(d *Dataset) { d.NumericFeatures = []int{2} }, "numeric feature index 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tinyDataset()
			tc.mutate(d)
			err := d.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestLenDimExample(t *testing.T) {
	d := &Dataset{Shape: []int{1, 2, 3}, X: make([]float32, 12), Y: []int{0, 0}, Classes: 1}
	for i := range d.X {
		d.X[i] = float32(i)
	}
	if d.Len() != 2 || d.Dim() != 6 {
		t.Fatalf("Len, Dim = %d, %d; want 2, 6", d.Len(), d.Dim())
	}
	if got := d.Example(1); !slices.Equal(got, []float32{6, 7, 8, 9, 10, 11}) {
		t.Fatalf("Example(1) = %v", got)
	}
}

// TestFingerprintEncoding recomputes the documented canonical encoding by
// hand for a tiny dataset.
func TestFingerprintEncoding(t *testing.T) {
	d := tinyDataset()
	var b []byte
	u := func(v uint64) { b = binary.LittleEndian.AppendUint64(b, v) }
	b = append(b, "umbra-dataset-fingerprint-v1\n"...)
	u(1) // len(Shape)
	u(2) // Shape[0]
	u(2) // Classes
	u(3) // N
	for _, v := range []float32{0, 1, 2, 3, 4, 5} {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	u(0)
	u(1)
	u(1)
	u(1) // one attribute
	u(3)
	b = append(b, "sex"...)
	u(2)
	u(1)
	b = append(b, 'f')
	u(1)
	b = append(b, 'm')
	u(1)
	u(0)
	u(1)
	sum := sha256.Sum256(b)
	if got, want := d.Fingerprint(), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Fingerprint = %s, want %s", got, want)
	}
}

func TestFingerprintSensitivity(t *testing.T) {
	base := tinyDataset().Fingerprint()
	tests := []struct {
		name   string
		mutate func(d *Dataset)
		same   bool
	}{
		{"name is metadata", func(d *Dataset) { d.Name = "other" }, true},
		{"feature names are metadata", func(d *Dataset) { d.FeatureNames = []string{"a", "b"} }, true},
		{"feature", func(d *Dataset) { d.X[3] = 3.0000002 }, false},
		{"label", func(d *Dataset) { d.Y[0] = 1 }, false},
		{"classes", func(d *Dataset) { d.Classes = 3 }, false},
		{"shape", func(d *Dataset) { d.Shape = []int{1, 2} }, false},
		{"attribute code", func(d *Dataset) { d.Attrs["sex"].Codes[0] = 0 }, false},
		{"attribute value name", func(d *Dataset) { d.Attrs["sex"].Values[0] = "F" }, false},
		{"attribute name", func(d *Dataset) { d.Attrs["gender"] = d.Attrs["sex"]; delete(d.Attrs, "sex") }, false},
		{"extra attribute", func(d *Dataset) { d.Attrs["z"] = Attribute{Values: []string{"a"}, Codes: []int{0, 0, 0}} }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tinyDataset()
			tc.mutate(d)
			if got := d.Fingerprint(); (got == base) != tc.same {
				t.Fatalf("fingerprint changed = %v, want %v", got != base, !tc.same)
			}
		})
	}
	// Attribute map insertion order must not matter.
	a := tinyDataset()
	a.Attrs["race"] = Attribute{Values: []string{"x"}, Codes: []int{0, 0, 0}}
	b := tinyDataset()
	b.Attrs = map[string]Attribute{"race": a.Attrs["race"], "sex": a.Attrs["sex"]}
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("fingerprint depends on attribute map order")
	}
}

func TestSubset(t *testing.T) {
	d := tinyDataset()
	d.FeatureNames = []string{"a", "b"}
	s, err := d.Subset([]int{2, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.X, []float32{4, 5, 0, 1, 4, 5}) || !slices.Equal(s.Y, []int{1, 0, 1}) {
		t.Fatalf("Subset X, Y = %v, %v", s.X, s.Y)
	}
	if got := s.Attrs["sex"].Codes; !slices.Equal(got, []int{1, 1, 1}) {
		t.Fatalf("Subset sex codes = %v", got)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	// Deep copy: mutating the subset leaves the original alone.
	s.X[0], s.Attrs["sex"].Codes[0], s.FeatureNames[0] = 99, 0, "z"
	if d.X[4] != 4 || d.Attrs["sex"].Codes[2] != 1 || d.FeatureNames[0] != "a" {
		t.Fatal("Subset aliases the original")
	}
	for _, bad := range [][]int{{3}, {-1}, {0, 5}} {
		if _, err := d.Subset(bad); err == nil || !strings.Contains(err.Error(), "outside [0, 3)") {
			t.Errorf("Subset(%v) = %v, want out-of-range error", bad, err)
		}
	}
	c := d.Clone()
	if c.Fingerprint() != d.Fingerprint() {
		t.Fatal("Clone changed the content")
	}
	if got := d.ClassCounts(); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("ClassCounts = %v", got)
	}
	if got := d.AttrNames(); !slices.Equal(got, []string{"sex"}) {
		t.Fatalf("AttrNames = %v", got)
	}
}

func TestConcat(t *testing.T) {
	a, b := tinyDataset(), tinyDataset()
	b.Y[0], b.X[0] = 1, 9
	c, err := Concat("both", a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 6 || c.X[6] != 9 || !slices.Equal(c.Y, []int{0, 1, 1, 1, 1, 1}) || !slices.Equal(c.Attrs["sex"].Codes, []int{1, 0, 1, 1, 0, 1}) {
		t.Fatalf("Concat = %+v", c)
	}
	b.Attrs["sex"] = Attribute{Values: []string{"m", "f"}, Codes: []int{0, 0, 0}}
	if _, err := Concat("x", a, b); err == nil || !strings.Contains(err.Error(), `attribute "sex"`) {
		t.Fatalf("mismatched attribute values: %v", err)
	}
	b = tinyDataset()
	b.Shape = []int{1, 2}
	if _, err := Concat("x", a, b); err == nil {
		t.Fatal("mismatched shapes accepted")
	}
}
