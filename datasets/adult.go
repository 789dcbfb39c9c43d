package datasets

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// adultColumns is the schema of UCI Adult (adult.names): the categorical
// vocabularies are declared, in adult.names order, so that adult.data and
// adult.test encode to the same width. Columns where the UCI files contain
// "?" always carry a "?" category.
var adultColumns = [...]column{
	{name: "age", numeric: true},
	{name: "workclass", declared: true, alwaysMissing: true, categories: []string{"Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov", "State-gov", "Without-pay", "Never-worked"}},
	{name: "fnlwgt", numeric: true},
	{name: "education", declared: true, categories: []string{"Bachelors", "Some-college", "11th", "HS-grad", "Prof-school", "Assoc-acdm", "Assoc-voc", "9th", "7th-8th", "12th", "Masters", "1st-4th", "10th", "Doctorate", "5th-6th", "Preschool"}},
	{name: "education-num", numeric: true},
	{name: "marital-status", declared: true, categories: []string{"Married-civ-spouse", "Divorced", "Never-married", "Separated", "Widowed", "Married-spouse-absent", "Married-AF-spouse"}},
	{name: "occupation", declared: true, alwaysMissing: true, categories: []string{"Tech-support", "Craft-repair", "Other-service", "Sales", "Exec-managerial", "Prof-specialty", "Handlers-cleaners", "Machine-op-inspct", "Adm-clerical", "Farming-fishing", "Transport-moving", "Priv-house-serv", "Protective-serv", "Armed-Forces"}},
	{name: "relationship", declared: true, categories: []string{"Wife", "Own-child", "Husband", "Not-in-family", "Other-relative", "Unmarried"}},
	{name: "race", declared: true, categories: []string{"White", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other", "Black"}},
	{name: "sex", declared: true, categories: []string{"Female", "Male"}},
	{name: "capital-gain", numeric: true},
	{name: "capital-loss", numeric: true},
	{name: "hours-per-week", numeric: true},
	{name: "native-country", declared: true, alwaysMissing: true, categories: []string{"United-States", "Cambodia", "England", "Puerto-Rico", "Canada", "Germany", "Outlying-US(Guam-USVI-etc)", "India", "Japan", "Greece", "South", "China", "Cuba", "Iran", "Honduras", "Philippines", "Italy", "Poland", "Jamaica", "Vietnam", "Mexico", "Portugal", "Ireland", "France", "Dominican-Republic", "Laos", "Ecuador", "Taiwan", "Haiti", "Columbia", "Hungary", "Guatemala", "Nicaragua", "Scotland", "Thailand", "Yugoslavia", "El-Salvador", "Trinadad&Tobago", "Peru", "Hong", "Holand-Netherlands"}},
	{name: "income"},
}

// AdultClasses names Adult's label classes: 0 is "<=50K", 1 is ">50K".
var AdultClasses = [...]string{"<=50K", ">50K"}

// LoadAdult loads a UCI Adult file (adult.data, or adult.test whose labels
// end in "." and whose first line is a "|" comment). Features, in schema
// order: the 6 numeric columns (standardised as opts say) and one-hot
// encodings of the 8 categorical ones, 108 columns in all (102 of them
// one-hot, including "?" columns for workclass, occupation and
// native-country). The label is income (1 = ">50K"); the attributes "sex"
// and "race" are kept (and remain features unless opts.DropAttributes).
func LoadAdult(ctx context.Context, path string, opts TabularOptions) (*Dataset, error) {
	c, err := openContent(path)
	if err != nil {
		return nil, fmt.Errorf("adult: %w", err)
	}
	defer c.Close()
	return ReadAdult(ctx, c, path, opts)
}

// ReadAdult is LoadAdult on a stream; file names it in errors.
func ReadAdult(ctx context.Context, r io.Reader, file string, opts TabularOptions) (*Dataset, error) {
	t := &table{file: file, cols: slices.Clone(adultColumns[:]), missing: func(s string) bool { return s == "?" }}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "|") {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != len(adultColumns) {
			return nil, atLine(file, line, len(t.rows), "", "%w: %d comma-separated fields, want %d", ErrFormat, len(fields), len(adultColumns))
		}
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		t.rows = append(t.rows, fields)
		t.lines = append(t.lines, line)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, atLine(file, line+1, len(t.rows), "", "%w: line longer than 1 MiB", ErrFormat)
		}
		return nil, atLine(file, line+1, len(t.rows), "", "%w", err)
	}
	if len(t.rows) == 0 {
		return nil, atLine(file, line, -1, "", "%w: no records", ErrFormat)
	}
	idx := func(name string) int { j, _ := t.colIndex(name); return j }
	spec := tableSpec{
		name:   "adult",
		label:  len(adultColumns) - 1,
		labels: AdultClasses[:],
		labelMap: func(s string) (int, bool) {
			switch strings.TrimSuffix(s, ".") {
			case "<=50K":
				return 0, true
			case ">50K":
				return 1, true
			}
			return 0, false
		},
		attrs: []int{idx("sex"), idx("race")},
	}
	if opts.DropAttributes {
		spec.drop = map[int]bool{idx("sex"): true, idx("race"): true}
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
