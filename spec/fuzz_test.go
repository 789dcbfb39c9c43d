package spec

import (
	"encoding/json"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse checks that Parse never panics, that every error it returns is
// a set of FieldErrors or a YAML/document error, and that every spec it
// accepts has valid canonical JSON and survives a yaml.Marshal → Parse
// round trip with the same hash.
func FuzzParse(f *testing.F) {
	for _, p := range exampleFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{minimal, base, "", "{}", "[]", "a: *b", "x: &a [*a]", "dataset: {name: csv, path: x, label_column: y, universe: 5}\nmodel: {arch: mlp}\nattacks: [{name: loss}]",
		"dataset:\n  name: mnist\n  path: d\n  universe: 100\nmodel: {arch: cnn, batch_norm: true}\ntrain: {defense: {name: dp-sgd}}\nattacks: [{name: adversarial}]\neval: {augmentations: [\"mirror+shift:1,1\"]}",
		"<<: {a: 1}", "? [1]\n: 2", "model: !!binary aGVsbG8=", "train: {epochs: 0x10}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if s != nil {
				t.Fatal("spec and error both returned")
			}
			return
		}
		c := s.Canonical()
		if !json.Valid(c) {
			t.Fatalf("invalid canonical JSON: %s", c)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted a spec Validate rejects: %v", err)
		}
		out, err := yaml.Marshal(s)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		s2, err := Parse(out, "marshalled.yaml")
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if s2.Hash() != s.Hash() {
			t.Fatalf("round trip changed the hash:\n%s\n%s", c, s2.Canonical())
		}
	})
}
