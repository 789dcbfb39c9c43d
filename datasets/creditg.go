package datasets

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CreditGAgeThreshold splits credit-g's age attribute: "age_group" is
// "<=25" for ages up to 25 and ">25" above (the split used in the fairness
// literature on the German credit data, e.g. Kamiran & Calders 2009).
const CreditGAgeThreshold = 25

// LoadCreditG loads Weka's credit-g.arff (German credit, 1,000 rows). The
// label is "class" (0 = good, 1 = bad, the declared order). Features: the 7
// numeric attributes and one-hot encodings of the 13 nominal ones in
// declared order (63 columns). Attributes derived for attribute and
// property inference:
//
//   - "sex": "male" or "female", the first word of personal_status;
//   - "age_group": "<=25" or ">25" (CreditGAgeThreshold).
//
// With opts.DropAttributes the source columns personal_status and age are
// removed from the features.
func LoadCreditG(ctx context.Context, path string, opts TabularOptions) (*Dataset, error) {
	a, err := LoadARFF(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("credit-g: %w", err)
	}
	return creditGDataset(a, path, opts)
}

func creditGDataset(a *ARFF, file string, opts TabularOptions) (*Dataset, error) {
	ps, age := -1, -1
	for j, at := range a.Attributes {
		switch at.Name {
		case "personal_status":
			ps = j
		case "age":
			age = j
		}
	}
	if ps < 0 || age < 0 || a.Attributes[age].Type != "numeric" {
		return nil, fmt.Errorf("%s: credit-g needs a nominal personal_status and a numeric age attribute", file)
	}
	var drop []string
	if opts.DropAttributes {
		drop = []string{"personal_status", "age"}
	}
	d, err := a.encode(file, "credit-g", "class", nil, drop, opts)
	if err != nil {
		return nil, err
	}
	sex := Attribute{Values: []string{"female", "male"}, Codes: make([]int, len(a.Rows))}
	group := Attribute{Values: []string{"<=25", ">25"}, Codes: make([]int, len(a.Rows))}
	for i, row := range a.Rows {
		switch strings.ToLower(strings.Fields(row[ps] + " ?")[0]) {
		case "female":
			sex.Codes[i] = 0
		case "male":
			sex.Codes[i] = 1
		default:
			return nil, atLine(file, a.Lines[i], i, "personal_status", "%w: %q does not start with male or female", ErrFormat, row[ps])
		}
		v, err := strconv.ParseFloat(row[age], 64)
		if err != nil || math.IsNaN(v) {
			return nil, atLine(file, a.Lines[i], i, "age", "%w: age %q is not a number", ErrFormat, row[age])
		}
		if v > CreditGAgeThreshold {
			group.Codes[i] = 1
		}
	}
	d.Attrs = map[string]Attribute{"sex": sex, "age_group": group}
	return d, nil
}
