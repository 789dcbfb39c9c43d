package datasets

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestStandardizer(t *testing.T) {
	nan := float32(math.NaN())
	d := &Dataset{
		Name: "s", Shape: []int{2}, Classes: 1, Y: make([]int, 5),
		// Column 0 numeric, column 1 one-hot (left alone).
		X:               []float32{1, 1, 2, 0, 3, 1, 4, 0, nan, 1},
		NumericFeatures: []int{0},
	}
	st, err := FitStandardizer(d, []int{0, 1, 4})
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0, 1 (row 4 is NaN and ignored): mean 1.5, population std 0.5.
	if st.Mean[0] != 1.5 || st.Std[0] != 0.5 {
		t.Fatalf("mean %v std %v, want 1.5 0.5", st.Mean, st.Std)
	}
	if err := st.Apply(d); err != nil {
		t.Fatal(err)
	}
	want := []float32{-1, 1, 1, 0, 3, 1, 5, 0, 0, 1}
	if !slices.Equal(d.X, want) {
		t.Fatalf("standardised X = %v, want %v", d.X, want)
	}
	// A constant column gets std 1.
	c := &Dataset{Name: "c", Shape: []int{1}, Classes: 1, Y: []int{0, 0}, X: []float32{7, 7}, NumericFeatures: []int{0}}
	if st, _ := FitStandardizer(c, []int{0, 1}); st.Std[0] != 1 {
		t.Fatalf("constant column std %v, want 1", st.Std[0])
	}
	if _, err := FitStandardizer(d, nil); err == nil {
		t.Fatal("no training rows accepted")
	}
	if _, err := FitStandardizer(d, []int{5}); err == nil {
		t.Fatal("out-of-range row accepted")
	}
	if err := (&Standardizer{Columns: []int{0}, Mean: []float64{0}, Std: []float64{0}}).Apply(d); err == nil {
		t.Fatal("zero std accepted")
	}
}

const adultSample = `39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K
50, ?, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, Black, Female, 0, 0, 13, ?, >50K

`

func TestAdultSample(t *testing.T) {
	ctx := context.Background()
	d, err := ReadAdult(ctx, strings.NewReader(adultSample), "adult.data", TabularOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Dim() != 108 || d.Len() != 2 || !slices.Equal(d.Y, []int{0, 1}) || d.Classes != 2 {
		t.Fatalf("dim %d len %d labels %v", d.Dim(), d.Len(), d.Y)
	}
	feat := func(i int, name string) float32 {
		j := slices.Index(d.FeatureNames, name)
		if j < 0 {
			t.Fatalf("no feature %q", name)
		}
		return d.Example(i)[j]
	}
	checks := []struct {
		row  int
		name string
		want float32
	}{
		{0, "age", 39}, {1, "fnlwgt", 83311}, {0, "workclass=State-gov", 1}, {0, "workclass=?", 0},
		{1, "workclass=?", 1}, {1, "workclass=Private", 0}, {1, "native-country=?", 1},
		{0, "native-country=United-States", 1}, {1, "sex=Female", 1}, {1, "sex=Male", 0},
		{0, "capital-gain", 2174}, {1, "hours-per-week", 13},
	}
	for _, c := range checks {
		if got := feat(c.row, c.name); got != c.want {
			t.Errorf("row %d %s = %v, want %v", c.row, c.name, got, c.want)
		}
	}
	// Each example has exactly 8 one-hot ones.
	for i := range 2 {
		ones := 0
		for j, v := range d.Example(i) {
			if !slices.Contains(d.NumericFeatures, j) && v == 1 {
				ones++
			}
		}
		if ones != 8 {
			t.Errorf("row %d has %d one-hot ones, want 8", i, ones)
		}
	}
	if got := d.Attrs["sex"]; !slices.Equal(got.Values, []string{"Female", "Male"}) || !slices.Equal(got.Codes, []int{1, 0}) {
		t.Errorf("sex attribute %+v", got)
	}
	if got := d.Attrs["race"].Codes; !slices.Equal(got, []int{0, 4}) {
		t.Errorf("race codes %v, want [0 4] (White, Black)", got)
	}
	// adult.test spelling: a "|" first line and labels ending in ".".
	test := "|1x3 Cross validator\n" + strings.ReplaceAll(strings.ReplaceAll(adultSample, "<=50K", "<=50K."), ">50K\n", ">50K.\n")
	dt, err := ReadAdult(ctx, strings.NewReader(test), "adult.test", TabularOptions{DropAttributes: true})
	if err != nil {
		t.Fatal(err)
	}
	if dt.Dim() != 101 || !slices.Equal(dt.Y, []int{0, 1}) {
		t.Fatalf("adult.test: dim %d (want 108-7 = 101) labels %v", dt.Dim(), dt.Y)
	}
}

func TestAdultErrors(t *testing.T) {
	row := "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K\n"
	tests := []struct {
		name  string
		in    string
		line  int
		field string
		msg   string
	}{
		{"field count", row + "1, 2, 3\n", 2, "", "3 comma-separated fields, want 15"},
		{"bad number", row + strings.Replace(row, "77516", "7x", 1), 2, "fnlwgt", `"7x" is not a finite float32`},
		{"unknown category", row + row + strings.Replace(row, "State-gov", "Space-gov", 1), 3, "workclass", `"Space-gov" is not one of`},
		{"bad label", strings.Replace(row, "<=50K", "maybe", 1), 1, "income", `label "maybe"`},
		{"missing label", strings.Replace(row, "<=50K", "?", 1), 1, "income", "missing label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadAdult(context.Background(), strings.NewReader(tc.in), "adult.data", TabularOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
			pe := asParseError(t, err)
			if pe.File != "adult.data" || pe.Line != tc.line || pe.Field != tc.field {
				t.Fatalf("position %q line %d field %q, want line %d field %q", pe.File, pe.Line, pe.Field, tc.line, tc.field)
			}
		})
	}
	if _, err := ReadAdult(context.Background(), strings.NewReader("\n\n"), "a", TabularOptions{}); err == nil {
		t.Fatal("empty file accepted")
	}
}

func TestRealAdult(t *testing.T) {
	dir := requireData(t, "adult")
	ctx := context.Background()
	path := filepath.Join(dir, "adult.data")
	n := 32561
	train, err := SplitIndices(n, []int{n * 8 / 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadAdult(ctx, path, TabularOptions{TrainRows: train[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Len() != n || d.Dim() != 108 || len(d.NumericFeatures) != 6 {
		t.Fatalf("%d rows × %d features (%d numeric); want %d × 108 (6)", d.Len(), d.Dim(), len(d.NumericFeatures), n)
	}
	// 7,841 of 32,561 earn >50K (24.08%); counted with awk on the file.
	if got := d.ClassCounts(); !slices.Equal(got, []int{24720, 7841}) {
		t.Fatalf("class counts %v, want [24720 7841]", got)
	}
	sex := d.Attrs["sex"]
	counts := make([]int, len(sex.Values))
	for _, c := range sex.Codes {
		counts[c]++
	}
	if !slices.Equal(sex.Values, []string{"Female", "Male"}) || !slices.Equal(counts, []int{10771, 21790}) {
		t.Fatalf("sex %v counts %v, want Female 10771 Male 21790", sex.Values, counts)
	}
	race := d.Attrs["race"]
	rc := make([]int, len(race.Values))
	for _, c := range race.Codes {
		rc[c]++
	}
	// White, Asian-Pac-Islander, Amer-Indian-Eskimo, Other, Black.
	if !slices.Equal(rc, []int{27816, 1039, 311, 271, 3124}) {
		t.Fatalf("race counts %v", rc)
	}
	// Missing values: 1836 workclass, 1843 occupation, 583 native-country.
	for name, want := range map[string]int{"workclass=?": 1836, "occupation=?": 1843, "native-country=?": 583} {
		j := slices.Index(d.FeatureNames, name)
		got := 0
		for i := range d.Len() {
			if d.Example(i)[j] == 1 {
				got++
			}
		}
		if got != want {
			t.Errorf("%s: %d rows, want %d", name, got, want)
		}
	}
	// Numeric columns are standardised on the training rows only.
	for _, c := range d.NumericFeatures {
		sum, ss := 0.0, 0.0
		for _, i := range train[0] {
			v := float64(d.X[i*d.Dim()+c])
			sum += v
			ss += v * v
		}
		m := sum / float64(len(train[0]))
		if sd := math.Sqrt(ss/float64(len(train[0])) - m*m); math.Abs(m) > 1e-4 || math.Abs(sd-1) > 1e-4 {
			t.Errorf("%s: training mean %v std %v, want 0 1", d.FeatureNames[c], m, sd)
		}
	}
	// Fitting on all rows reproduces awk's age statistics (mean 38.581647,
	// population std 13.640223).
	raw, err := LoadAdult(ctx, path, TabularOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	st, err := FitStandardizer(raw, all)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(st.Mean[0]-38.581647) > 1e-5 || math.Abs(st.Std[0]-13.640223) > 1e-5 {
		t.Errorf("age mean %v std %v", st.Mean[0], st.Std[0])
	}
}

func TestCSV(t *testing.T) {
	const in = `a,colour,b,label,group
1.5,red,10,2,x
-2,blue,11,10,y
?,red,,1,x
4,"gr,een",13,2,?
`
	ctx := context.Background()
	d, err := ReadCSV(ctx, strings.NewReader(in), "t.csv", CSVOptions{Label: "label", Categorical: []string{"b"}, Attributes: []string{"group"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"a", "colour=blue", "colour=gr,een", "colour=red", "b=10", "b=11", "b=13", "b=?", "group=x", "group=y", "group=?"}
	if !slices.Equal(d.FeatureNames, wantNames) {
		t.Fatalf("features %q, want %q", d.FeatureNames, wantNames)
	}
	// Labels sorted numerically: 1, 2, 10 -> classes 0, 1, 2.
	if !slices.Equal(d.Y, []int{1, 2, 0, 1}) || d.Classes != 3 {
		t.Fatalf("labels %v classes %d", d.Y, d.Classes)
	}
	nan := float32(math.NaN())
	want := []float32{
		1.5, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0,
		-2, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0,
		nan, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0,
		4, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
	}
	for i := range want {
		if !(d.X[i] == want[i] || math.IsNaN(float64(want[i])) && math.IsNaN(float64(d.X[i]))) {
			t.Fatalf("X[%d] = %v, want %v (X = %v)", i, d.X[i], want[i], d.X)
		}
	}
	if g := d.Attrs["group"]; !slices.Equal(g.Values, []string{"x", "y", "?"}) || !slices.Equal(g.Codes, []int{0, 1, 0, 2}) {
		t.Fatalf("group attribute %+v", g)
	}
	if !slices.Equal(d.NumericFeatures, []int{0}) {
		t.Fatalf("numeric %v", d.NumericFeatures)
	}
	// Standardise on rows 0 and 1: a has mean -0.25, std 1.75; the NaN
	// becomes 0 and row 3's 4 becomes (4+0.25)/1.75.
	s, err := ReadCSV(ctx, strings.NewReader(in), "t.csv", CSVOptions{Label: "label", Tabular: TabularOptions{TrainRows: []int{0, 1}, DropAttributes: true}, Attributes: []string{"group"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := []float32{s.X[0], s.X[s.Dim()], s.X[2*s.Dim()], s.X[3*s.Dim()]}; !slices.Equal(got, []float32{1, -1, 0, float32(4.25 / 1.75)}) {
		t.Fatalf("standardised a = %v", got)
	}
	if s.Dim() != 5 { // a, colour×3, b (numeric: 10, 11, missing, 13)
		t.Fatalf("dim %d, want 5 (%q)", s.Dim(), s.FeatureNames)
	}
	// No header, semicolons.
	nh, err := ReadCSV(ctx, strings.NewReader("1;a\n2;b\n"), "n.csv", CSVOptions{Label: "c1", NoHeader: true, Comma: ';'})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nh.FeatureNames, []string{"c0"}) || !slices.Equal(nh.Y, []int{0, 1}) {
		t.Fatalf("no-header CSV: %q %v", nh.FeatureNames, nh.Y)
	}
}

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts CSVOptions
		line int
		msg  string
	}{
		{"field count", "a,y\n1,0\n2,1,3\n", CSVOptions{Label: "y"}, 3, "wrong number of fields"},
		{"bare quote", "a,y\n1,0\n\"x\"y,1\n", CSVOptions{Label: "y"}, 3, "extraneous or missing \""},
		{"missing label", "a,y\n1,0\n2,?\n", CSVOptions{Label: "y"}, 3, "missing label"},
		{"duplicate header", "a,a\n1,0\n", CSVOptions{Label: "a"}, 1, "share the name"},
		{"no records", "a,y\n", CSVOptions{Label: "y"}, 0, "no records"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSV(context.Background(), strings.NewReader(tc.in), "e.csv", tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "e.csv") {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
			if pe := asParseError(t, err); pe.Line != tc.line {
				t.Fatalf("line %d, want %d (%v)", pe.Line, tc.line, err)
			}
		})
	}
	for _, opts := range []CSVOptions{{}, {Label: "z"}, {Label: "y", Attributes: []string{"a"}}, {Label: "y", Attributes: []string{"y"}}} {
		if _, err := ReadCSV(context.Background(), strings.NewReader("a,y\n1,0\n"), "e.csv", opts); err == nil {
			t.Errorf("options %+v accepted", opts)
		}
	}
}

const arffSample = `% comment
@RELATION test
@attribute 'num one' numeric
@attribute colour {red, 'dark blue', "x,y"}
@attribute cls {good, bad}

@data
1.5,'dark blue',bad
% inside data
?, red , good
3,"x,y",good
`

func TestARFF(t *testing.T) {
	a, err := ReadARFF(context.Background(), strings.NewReader(arffSample), "t.arff")
	if err != nil {
		t.Fatal(err)
	}
	if a.Relation != "test" || len(a.Attributes) != 3 || a.Attributes[0].Name != "num one" || !slices.Equal(a.Attributes[1].Values, []string{"red", "dark blue", "x,y"}) {
		t.Fatalf("header %+v", a)
	}
	if !slices.Equal(a.Rows[1], []string{"?", "red", "good"}) || !slices.Equal(a.Lines, []int{8, 10, 11}) {
		t.Fatalf("rows %q lines %v", a.Rows, a.Lines)
	}
	d, err := a.Dataset("t.arff", "t", "cls", []string{"colour"}, TabularOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Y, []int{1, 0, 0}) || d.Dim() != 4 || !slices.Equal(d.Example(2), []float32{3, 0, 0, 1}) {
		t.Fatalf("dataset Y %v dim %d ex2 %v", d.Y, d.Dim(), d.Example(2))
	}
	if !slices.Equal(d.Attrs["colour"].Codes, []int{1, 0, 2}) {
		t.Fatalf("colour codes %v", d.Attrs["colour"].Codes)
	}
}

func TestARFFErrors(t *testing.T) {
	head := "@relation r\n@attribute a numeric\n@attribute c {x, y}\n@data\n"
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"value count", head + "1,x\n2\n", 6, "1 values, want 2"},
		{"unterminated quote", head + "1,'x\n", 5, "unterminated quote"},
		{"sparse", head + "{0 1}\n", 5, "sparse"},
		{"bad type", "@relation r\n@attribute a date\n@data\n", 2, "unsupported type"},
		{"no data", "@relation r\n@attribute a numeric\n", 2, "no @data"},
		{"duplicate", "@attribute a numeric\n@attribute a numeric\n", 2, "declared twice"},
		{"junk", "hello\n", 1, "unexpected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadARFF(context.Background(), strings.NewReader(tc.in), "e.arff")
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %q", err, tc.msg)
			}
			if pe := asParseError(t, err); pe.Line != tc.line || pe.File != "e.arff" {
				t.Fatalf("line %d, want %d (%v)", pe.Line, tc.line, err)
			}
		})
	}
	// Encoding errors: a value outside the nominal list, a bad number.
	for in, msg := range map[string]string{head + "1,z\n": `"z" is not one of`, head + "abc,x\n": `"abc" is not a finite`} {
		a, err := ReadARFF(context.Background(), strings.NewReader(in), "e.arff")
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Dataset("e.arff", "e", "c", nil, TabularOptions{})
		if err == nil || !strings.Contains(err.Error(), msg) || asParseError(t, err).Line != 5 {
			t.Errorf("error %v, want %q at line 5", err, msg)
		}
	}
}

func TestRealCreditG(t *testing.T) {
	dir := requireData(t, "credit-g")
	d, err := LoadCreditG(context.Background(), filepath.Join(dir, "credit-g.arff"), TabularOptions{TrainRows: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 1000 || d.Dim() != 63 || len(d.NumericFeatures) != 7 {
		t.Fatalf("%d rows × %d (%d numeric), want 1000 × 63 (7)", d.Len(), d.Dim(), len(d.NumericFeatures))
	}
	if got := d.ClassCounts(); !slices.Equal(got, []int{700, 300}) {
		t.Fatalf("class counts %v, want good 700 bad 300", got)
	}
	count := func(a Attribute) []int {
		c := make([]int, len(a.Values))
		for _, v := range a.Codes {
			c[v]++
		}
		return c
	}
	// Counted with awk: 310 "female ..." personal_status, 190 ages <= 25.
	if got := count(d.Attrs["sex"]); !slices.Equal(got, []int{310, 690}) {
		t.Errorf("sex counts %v, want female 310 male 690", got)
	}
	if got := count(d.Attrs["age_group"]); !slices.Equal(got, []int{190, 810}) {
		t.Errorf("age_group counts %v, want <=25 190, >25 810", got)
	}
	// First row: duration 6, age 67, class good, 'male single'.
	if d.Y[0] != 0 || d.Attrs["sex"].Codes[0] != 1 || d.Attrs["age_group"].Codes[0] != 1 {
		t.Errorf("row 0: label %d sex %d age group %d", d.Y[0], d.Attrs["sex"].Codes[0], d.Attrs["age_group"].Codes[0])
	}
	dropped, err := LoadCreditG(context.Background(), filepath.Join(dir, "credit-g.arff"), TabularOptions{DropAttributes: true})
	if err != nil {
		t.Fatal(err)
	}
	if dropped.Dim() != 63-5-1 || slices.Contains(dropped.FeatureNames, "age") {
		t.Errorf("DropAttributes: dim %d, want 57", dropped.Dim())
	}
}
