package datasets

import (
	"fmt"
	"math"
	"strconv"
)

// PurchaseConfig configures the "purchase-like" synthetic generator: binary
// feature vectors (think: items bought) drawn around class prototypes, in
// the spirit of the Purchase-100 benchmark of the membership-inference
// literature.
type PurchaseConfig struct {
	// N examples, Dim binary features, Classes classes (all > 0).
	N, Dim, Classes int
	// Density is the probability that a prototype bit is 1; default 0.5.
	Density float64
	// FlipProb is the probability that each bit of an example differs from
	// its class prototype; default 0.1. Must be in [0, 0.5].
	FlipProb float64
	// Seed seeds everything.
	Seed uint64
}

// Purchase generates a purchase-like dataset: Classes prototypes of Dim
// bits (each 1 with probability Density, RNG stream "purchase/prototypes"),
// then per example a uniform class and the prototype with each bit flipped
// with probability FlipProb (stream "purchase/examples"). Shape [Dim],
// values 0 or 1.
func Purchase(cfg PurchaseConfig) (*Dataset, error) {
	if cfg.N <= 0 || cfg.Dim <= 0 || cfg.Classes <= 0 {
		return nil, fmt.Errorf("purchase-synthetic: n=%d, dim=%d, classes=%d: all must be > 0", cfg.N, cfg.Dim, cfg.Classes)
	}
	if cfg.Density == 0 {
		cfg.Density = 0.5
	}
	if cfg.FlipProb == 0 {
		cfg.FlipProb = 0.1
	}
	if !(cfg.Density > 0 && cfg.Density < 1) {
		return nil, fmt.Errorf("purchase-synthetic: density %v must be in (0, 1)", cfg.Density)
	}
	if !(cfg.FlipProb >= 0 && cfg.FlipProb <= 0.5) {
		return nil, fmt.Errorf("purchase-synthetic: flip probability %v must be in [0, 0.5]", cfg.FlipProb)
	}
	if int64(cfg.N)*int64(cfg.Dim) > 1<<31 || int64(cfg.Classes)*int64(cfg.Dim) > 1<<31 {
		return nil, fmt.Errorf("purchase-synthetic: %d×%d features is too large", cfg.N, cfg.Dim)
	}
	protoRNG := NewRNG(cfg.Seed, "purchase/prototypes")
	proto := make([]bool, cfg.Classes*cfg.Dim)
	for i := range proto {
		proto[i] = protoRNG.Bernoulli(cfg.Density)
	}
	r := NewRNG(cfg.Seed, "purchase/examples")
	d := &Dataset{
		Name:    "purchase-synthetic",
		Shape:   []int{cfg.Dim},
		X:       make([]float32, cfg.N*cfg.Dim),
		Y:       make([]int, cfg.N),
		Classes: cfg.Classes,
	}
	for i := 0; i < cfg.N; i++ {
		c := r.IntN(cfg.Classes)
		d.Y[i] = c
		p := proto[c*cfg.Dim : (c+1)*cfg.Dim]
		x := d.X[i*cfg.Dim : (i+1)*cfg.Dim]
		for j := range x {
			if p[j] != r.Bernoulli(cfg.FlipProb) {
				x[j] = 1
			}
		}
	}
	return d, nil
}

// TabularSyntheticConfig configures a Gaussian-mixture tabular dataset with
// a binary sensitive attribute.
type TabularSyntheticConfig struct {
	// N examples, Dim continuous features, Classes classes (all > 0;
	// Classes defaults to 2).
	N, Dim, Classes int
	// SensitiveFraction is the proportion of examples with sensitive
	// attribute 1 (in [0, 1]): the property a property-inference attack
	// estimates.
	SensitiveFraction float64
	// Separation scales the distance between class means; default 1.
	Separation float64
	// SensitiveShift scales the shift the sensitive attribute adds to the
	// features (its direction is random per dataset seed); default 1.
	SensitiveShift float64
	// LabelBias adds to the probability of class 1 when the attribute is 1
	// and subtracts when 0 (binary tasks only; 0 = independent). The
	// probability of class 1 is 0.5 ± LabelBias, clamped to [0, 1].
	LabelBias float64
	// Seed seeds everything.
	Seed uint64
}

// TabularSynthetic generates a labelled Gaussian mixture: class means
// μ_c ~ N(0, Separation²·I) and a sensitive direction v ~ N(0, I) (RNG
// stream "tabular/params"); then per example (stream "tabular/examples")
// s ~ Bernoulli(SensitiveFraction), a class y (uniform; for 2 classes,
// class 1 with probability 0.5 ± LabelBias by s), and features
// x_j = μ_y,j + SensitiveShift·s·v_j + ε_j with ε_j ~ N(0, 1). The attribute
// "sensitive" has values "0" and "1"; shape [Dim]; all features numeric.
//
// Portability: the normals use math.Log, math.Cos and math.Sqrt; Go
// implements Log in assembly on amd64 and s390x and in Go elsewhere, so a
// feature may differ in its last bit between architectures (and so the
// fingerprint). Purchase, permutations and splits use integer arithmetic and
// exact comparisons only and are identical everywhere.
func TabularSynthetic(cfg TabularSyntheticConfig) (*Dataset, error) {
	if cfg.Classes == 0 {
		cfg.Classes = 2
	}
	if cfg.Separation == 0 {
		cfg.Separation = 1
	}
	if cfg.SensitiveShift == 0 {
		cfg.SensitiveShift = 1
	}
	if cfg.N <= 0 || cfg.Dim <= 0 || cfg.Classes <= 0 {
		return nil, fmt.Errorf("tabular-synthetic: n=%d, dim=%d, classes=%d: all must be > 0", cfg.N, cfg.Dim, cfg.Classes)
	}
	if !(cfg.SensitiveFraction >= 0 && cfg.SensitiveFraction <= 1) {
		return nil, fmt.Errorf("tabular-synthetic: sensitive fraction %v must be in [0, 1]", cfg.SensitiveFraction)
	}
	if math.IsNaN(cfg.Separation) || math.IsNaN(cfg.SensitiveShift) || math.IsNaN(cfg.LabelBias) {
		return nil, fmt.Errorf("tabular-synthetic: NaN parameter")
	}
	if cfg.LabelBias != 0 && cfg.Classes != 2 {
		return nil, fmt.Errorf("tabular-synthetic: label bias needs 2 classes, have %d", cfg.Classes)
	}
	if int64(cfg.N)*int64(cfg.Dim) > 1<<31 || int64(cfg.Classes)*int64(cfg.Dim) > 1<<31 {
		return nil, fmt.Errorf("tabular-synthetic: %d×%d features is too large", cfg.N, cfg.Dim)
	}
	pr := NewRNG(cfg.Seed, "tabular/params")
	means := make([]float64, cfg.Classes*cfg.Dim)
	for i := range means {
		means[i] = cfg.Separation * pr.Norm()
	}
	dir := make([]float64, cfg.Dim)
	for j := range dir {
		dir[j] = pr.Norm()
	}
	r := NewRNG(cfg.Seed, "tabular/examples")
	d := &Dataset{
		Name:            "tabular-synthetic",
		Shape:           []int{cfg.Dim},
		X:               make([]float32, cfg.N*cfg.Dim),
		Y:               make([]int, cfg.N),
		Classes:         cfg.Classes,
		FeatureNames:    make([]string, cfg.Dim),
		NumericFeatures: make([]int, cfg.Dim),
	}
	for j := range cfg.Dim {
		d.FeatureNames[j] = "x" + strconv.Itoa(j)
		d.NumericFeatures[j] = j
	}
	sens := Attribute{Values: []string{"0", "1"}, Codes: make([]int, cfg.N)}
	p1 := func(s int) float64 {
		b := cfg.LabelBias
		if s == 0 {
			b = -b
		}
		return min(max(0.5+b, 0), 1)
	}
	for i := 0; i < cfg.N; i++ {
		s := 0
		if r.Bernoulli(cfg.SensitiveFraction) {
			s = 1
		}
		sens.Codes[i] = s
		var y int
		if cfg.Classes == 2 {
			if r.Bernoulli(p1(s)) {
				y = 1
			}
		} else {
			y = r.IntN(cfg.Classes)
		}
		d.Y[i] = y
		mu := means[y*cfg.Dim : (y+1)*cfg.Dim]
		x := d.X[i*cfg.Dim : (i+1)*cfg.Dim]
		for j := range x {
			// The float64 conversion forbids fusing the multiply into the
			// adds (Go spec), so every platform rounds the same way.
			x[j] = float32(mu[j] + float64(cfg.SensitiveShift*float64(s)*dir[j]) + r.Norm())
		}
	}
	d.Attrs = map[string]Attribute{"sensitive": sens}
	return d, nil
}
