package datasets

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MissingCategory is the category that a missing categorical value ("?")
// becomes: it gets its own one-hot column, "<column>=?", and its own
// attribute value. A missing numeric value becomes NaN in the loaded
// dataset; a Standardizer ignores NaNs when fitting and replaces them by the
// training mean (0 after standardisation) when applied.
const MissingCategory = "?"

// TabularOptions control the encoding of tabular datasets.
//
// Numeric columns are standardised ((x-mean)/std) with statistics from the
// training rows only: pass those rows in TrainRows, or pass statistics that
// were fitted earlier (FitStandardizer on the training dataset) in Stats.
// With neither, numeric columns keep their raw values.
type TabularOptions struct {
	// TrainRows are the indices (into the loaded file's rows) of the
	// training split; the standardisation statistics come from them only.
	TrainRows []int
	// Stats, when set, is applied instead of fitting (TrainRows is then
	// ignored).
	Stats *Standardizer
	// DropAttributes removes the attribute source columns (e.g. sex and
	// race for Adult) from the features; by default they are features too.
	DropAttributes bool
}

// Standardizer holds per-column means and standard deviations of a dataset's
// numeric features, fitted on training rows and applied to any split.
type Standardizer struct {
	// Columns are feature indices; Mean and Std are parallel to it.
	Columns []int
	Mean    []float64
	Std     []float64
}

// FitStandardizer computes the mean and population standard deviation
// (divisor n) of each of d.NumericFeatures over the given rows, ignoring
// NaN values. A column whose standard deviation is 0 (or has no values)
// gets Std 1, so it standardises to 0.
func FitStandardizer(d *Dataset, rows []int) (*Standardizer, error) {
	n, dim := d.Len(), d.Dim()
	if len(rows) == 0 {
		return nil, fmt.Errorf("dataset %q: standardisation needs at least one training row", d.Name)
	}
	for k, i := range rows {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("dataset %q: training row %d (position %d) outside [0, %d)", d.Name, i, k, n)
		}
	}
	s := &Standardizer{
		Columns: slices.Clone(d.NumericFeatures),
		Mean:    make([]float64, len(d.NumericFeatures)),
		Std:     make([]float64, len(d.NumericFeatures)),
	}
	for j, c := range s.Columns {
		if c < 0 || c >= dim {
			return nil, fmt.Errorf("dataset %q: numeric feature %d outside [0, %d)", d.Name, c, dim)
		}
		// Two-pass mean and variance in float64.
		sum, cnt := 0.0, 0
		for _, i := range rows {
			if v := float64(d.X[i*dim+c]); !math.IsNaN(v) {
				sum += v
				cnt++
			}
		}
		if cnt == 0 {
			s.Mean[j], s.Std[j] = 0, 1
			continue
		}
		mean := sum / float64(cnt)
		ss := 0.0
		for _, i := range rows {
			if v := float64(d.X[i*dim+c]); !math.IsNaN(v) {
				ss += (v - mean) * (v - mean)
			}
		}
		std := math.Sqrt(ss / float64(cnt))
		if std == 0 {
			std = 1
		}
		s.Mean[j], s.Std[j] = mean, std
	}
	return s, nil
}

// Apply standardises d's columns in place; NaN values become 0 (the
// training mean).
func (s *Standardizer) Apply(d *Dataset) error {
	if len(s.Mean) != len(s.Columns) || len(s.Std) != len(s.Columns) {
		return fmt.Errorf("standardizer: %d columns, %d means, %d stds", len(s.Columns), len(s.Mean), len(s.Std))
	}
	dim := d.Dim()
	for j, c := range s.Columns {
		if c < 0 || c >= dim {
			return fmt.Errorf("dataset %q: standardizer column %d outside [0, %d)", d.Name, c, dim)
		}
		if !(s.Std[j] > 0) {
			return fmt.Errorf("dataset %q: standardizer column %d: std %v must be > 0", d.Name, c, s.Std[j])
		}
	}
	n := d.Len()
	for j, c := range s.Columns {
		mean, std := s.Mean[j], s.Std[j]
		for i := 0; i < n; i++ {
			v := float64(d.X[i*dim+c])
			if math.IsNaN(v) {
				d.X[i*dim+c] = 0
				continue
			}
			d.X[i*dim+c] = float32((v - mean) / std)
		}
	}
	return nil
}

// applyTabularOptions standardises d as opts ask.
func applyTabularOptions(d *Dataset, opts TabularOptions) error {
	st := opts.Stats
	if st == nil && opts.TrainRows != nil {
		var err error
		if st, err = FitStandardizer(d, opts.TrainRows); err != nil {
			return err
		}
	}
	if st == nil {
		return nil
	}
	return st.Apply(d)
}

// column describes one raw tabular column.
type column struct {
	name    string
	numeric bool
	// categories is the vocabulary of a categorical column, in one-hot
	// order: declared by the format (ARFF, Adult) or discovered (CSV).
	categories []string
	// declared: values outside categories are errors.
	declared bool
	// alwaysMissing adds the "?" category even when no value is missing,
	// so that the encoding's width does not depend on the rows loaded.
	alwaysMissing bool
}

// table holds raw string cells with their source positions.
type table struct {
	file    string
	cols    []column
	rows    [][]string
	lines   []int // 1-based source line of each row
	missing func(string) bool
}

// tableSpec says how to turn a table into a Dataset.
type tableSpec struct {
	name   string
	label  int      // label column index
	labels []string // label vocabulary in class order; nil: discovered
	// labelMap, when set, maps raw label strings to classes (e.g. Adult's
	// "<=50K." test-file spelling); it returns false for unknown values.
	labelMap func(string) (int, bool)
	attrs    []int // columns kept as attributes
	drop     map[int]bool
}

// discoverCategories fills the vocabulary of undeclared categorical columns
// with their sorted distinct non-missing values.
func (t *table) discoverCategories() {
	for j := range t.cols {
		c := &t.cols[j]
		if c.numeric || c.declared {
			continue
		}
		seen := map[string]bool{}
		for _, row := range t.rows {
			if v := row[j]; !t.missing(v) {
				seen[v] = true
			}
		}
		c.categories = sortedKeys(seen)
	}
}

// sortedKeys returns the keys sorted numerically when they are all
// integers, else lexicographically.
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	allInt := true
	for k := range m {
		keys = append(keys, k)
		if _, err := strconv.ParseInt(k, 10, 64); err != nil {
			allInt = false
		}
	}
	if allInt {
		slices.SortFunc(keys, func(a, b string) int {
			x, _ := strconv.ParseInt(a, 10, 64)
			y, _ := strconv.ParseInt(b, 10, 64)
			return compareInt64(x, y)
		})
	} else {
		slices.Sort(keys)
	}
	return keys
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// encode one-hot encodes categorical columns, parses numeric ones and builds
// the dataset: features in column order (numeric: one column; categorical:
// one per category, then "?" if missing values occur), labels, attributes.
func (t *table) encode(spec tableSpec) (*Dataset, error) {
	// Code every categorical cell first, to learn which columns have "?".
	type catCol struct {
		index  map[string]int
		hasMis bool
		codes  []int
	}
	cats := make([]*catCol, len(t.cols))
	for j, c := range t.cols {
		if c.numeric || j == spec.label {
			continue
		}
		cc := &catCol{index: make(map[string]int, len(c.categories)), codes: make([]int, len(t.rows)), hasMis: c.alwaysMissing}
		for k, v := range c.categories {
			cc.index[v] = k
		}
		for i, row := range t.rows {
			v := row[j]
			if t.missing(v) {
				cc.hasMis = true
				cc.codes[i] = len(c.categories)
				continue
			}
			k, ok := cc.index[v]
			if !ok {
				return nil, atLine(t.file, t.lines[i], i, c.name, "%w: value %q is not one of the column's %d categories", ErrFormat, v, len(c.categories))
			}
			cc.codes[i] = k
		}
		cats[j] = cc
	}
	// Feature layout.
	var names []string
	var numeric []int
	for j, c := range t.cols {
		if j == spec.label || spec.drop[j] {
			continue
		}
		if c.numeric {
			numeric = append(numeric, len(names))
			names = append(names, c.name)
			continue
		}
		for _, v := range c.categories {
			names = append(names, c.name+"="+v)
		}
		if cats[j].hasMis {
			names = append(names, c.name+"="+MissingCategory)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no feature columns besides the label", t.file)
	}
	dim, n := len(names), len(t.rows)
	d := &Dataset{Name: spec.name, Shape: []int{dim}, X: make([]float32, n*dim), Y: make([]int, n), FeatureNames: names, NumericFeatures: numeric}
	// Labels.
	labels := spec.labels
	labelIndex := map[string]int{}
	if spec.labelMap == nil {
		if labels == nil {
			seen := map[string]bool{}
			for _, row := range t.rows {
				if v := row[spec.label]; !t.missing(v) {
					seen[v] = true
				}
			}
			labels = sortedKeys(seen)
		}
		for k, v := range labels {
			labelIndex[v] = k
		}
		d.Classes = len(labels)
	} else {
		d.Classes = len(labels)
	}
	lname := t.cols[spec.label].name
	for i, row := range t.rows {
		v := row[spec.label]
		if t.missing(v) {
			return nil, atLine(t.file, t.lines[i], i, lname, "%w: missing label", ErrFormat)
		}
		var k int
		var ok bool
		if spec.labelMap != nil {
			k, ok = spec.labelMap(v)
		} else {
			k, ok = labelIndex[v]
		}
		if !ok {
			return nil, atLine(t.file, t.lines[i], i, lname, "%w: label %q is not one of %q", ErrFormat, v, labels)
		}
		d.Y[i] = k
	}
	// Features.
	for i, row := range t.rows {
		x := d.X[i*dim : (i+1)*dim]
		at := 0
		for j, c := range t.cols {
			if j == spec.label || spec.drop[j] {
				continue
			}
			if c.numeric {
				v := row[j]
				if t.missing(v) {
					x[at] = float32(math.NaN())
				} else {
					f, err := strconv.ParseFloat(v, 64)
					if err != nil || math.IsNaN(f) || math.Abs(f) > math.MaxFloat32 {
						return nil, atLine(t.file, t.lines[i], i, c.name, "%w: %q is not a finite float32 number", ErrFormat, v)
					}
					x[at] = float32(f)
				}
				at++
				continue
			}
			x[at+cats[j].codes[i]] = 1
			at += len(c.categories)
			if cats[j].hasMis {
				at++
			}
		}
	}
	// Attributes.
	for _, j := range spec.attrs {
		c := t.cols[j]
		if c.numeric {
			return nil, fmt.Errorf("%s: attribute column %q is numeric; attributes must be categorical", t.file, c.name)
		}
		values := slices.Clone(c.categories)
		if cats[j].hasMis {
			values = append(values, MissingCategory)
		}
		if d.Attrs == nil {
			d.Attrs = map[string]Attribute{}
		}
		d.Attrs[c.name] = Attribute{Values: values, Codes: slices.Clone(cats[j].codes)}
	}
	return d, nil
}

// colIndex returns the index of the column called name.
func (t *table) colIndex(name string) (int, error) {
	for j, c := range t.cols {
		if c.name == name {
			return j, nil
		}
	}
	names := make([]string, len(t.cols))
	for j, c := range t.cols {
		names[j] = c.name
	}
	return -1, fmt.Errorf("%s: no column %q (columns: %s)", t.file, name, strings.Join(names, ", "))
}
