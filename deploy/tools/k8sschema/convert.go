package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Definitions whose wire form differs from their OpenAPI type.
const (
	defIntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
	defQuantity    = "io.k8s.apimachinery.pkg.api.resource.Quantity"
	refPrefix      = "#/definitions/"
)

// ErrKindNotFound is returned when the document has no definition for a
// requested group/version/kind.
var ErrKindNotFound = errors.New("kind not found in OpenAPI document")

// GVK is a Kubernetes group, version and kind; Group is empty for the core group.
type GVK struct {
	Group, Version, Kind string
}

// ParseGVK parses "group/version/Kind", or "version/Kind" for the core group.
func ParseGVK(s string) (GVK, error) {
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if p == "" {
			return GVK{}, fmt.Errorf("%q: empty group, version or kind", s)
		}
	}
	switch len(parts) {
	case 2:
		return GVK{Version: parts[0], Kind: parts[1]}, nil
	case 3:
		return GVK{Group: parts[0], Version: parts[1], Kind: parts[2]}, nil
	}
	return GVK{}, fmt.Errorf("%q: want group/version/Kind or v1/Kind", s)
}

// APIVersion is the apiVersion field of objects of this kind.
func (g GVK) APIVersion() string {
	if g.Group == "" {
		return g.Version
	}
	return g.Group + "/" + g.Version
}

func (g GVK) String() string { return g.APIVersion() + "/" + g.Kind }

// FileName is kubeconform's name for the kind's schema file:
// "{{ .ResourceKind }}{{ .KindSuffix }}.json", where the suffix holds the
// group's first DNS label and the version ("deployment-apps-v1.json",
// "configmap-v1.json", "servicemonitor-monitoring-v1.json").
func (g GVK) FileName() string {
	suffix := "-" + strings.ToLower(g.Version)
	if g.Group != "" {
		label, _, _ := strings.Cut(g.Group, ".")
		suffix = "-" + strings.ToLower(label) + suffix
	}
	return strings.ToLower(g.Kind) + suffix + ".json"
}

// document is the part of an OpenAPI v2 document the conversion reads.
type document struct {
	Definitions map[string]map[string]any `json:"definitions"`
}

func parseDocument(data []byte) (*document, error) {
	var d document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode OpenAPI v2 document: %w", err)
	}
	if len(d.Definitions) == 0 {
		return nil, fmt.Errorf("OpenAPI v2 document has no definitions")
	}
	return &d, nil
}

// File is one generated schema.
type File struct {
	GVK GVK
	// Path is relative to the output directory.
	Path   string
	Schema map[string]any
}

// Write stores the schema under dir, creating directories as needed.
func (f File) Write(dir string) error {
	p := filepath.Join(dir, f.Path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("schema %s: %w", f.GVK, err)
	}
	data, err := json.MarshalIndent(f.Schema, "", " ")
	if err != nil {
		return fmt.Errorf("schema %s: encode: %w", f.GVK, err)
	}
	if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("schema %s: %w", f.GVK, err)
	}
	return nil
}

// Convert builds one standalone schema per requested kind, laid out for
// kubeconform's -schema-location DIR with -kubernetes-version version (and
// -strict when strict is set).
func Convert(ctx context.Context, doc *document, gvks []GVK, version string, strict bool) ([]File, error) {
	dir := "v" + strings.TrimPrefix(version, "v") + "-standalone"
	if strict {
		dir += "-strict"
	}
	files := make([]File, 0, len(gvks))
	for _, g := range gvks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, err := findKind(doc, g)
		if err != nil {
			return nil, err
		}
		s, err := standalone(doc, name, g, strict)
		if err != nil {
			return nil, fmt.Errorf("%s (definition %s): %w", g, name, err)
		}
		files = append(files, File{GVK: g, Path: filepath.Join(dir, g.FileName()), Schema: s})
	}
	return files, nil
}

// findKind returns the name of the definition tagged with g in its
// x-kubernetes-group-version-kind list.
func findKind(doc *document, g GVK) (string, error) {
	names := make([]string, 0, len(doc.Definitions))
	for n := range doc.Definitions {
		names = append(names, n)
	}
	sort.Strings(names)
	var found []string
	for _, n := range names {
		list, _ := doc.Definitions[n]["x-kubernetes-group-version-kind"].([]any)
		for _, item := range list {
			m, _ := item.(map[string]any)
			if m["group"] == g.Group && m["version"] == g.Version && m["kind"] == g.Kind {
				found = append(found, n)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: %w", g, ErrKindNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s: defined by more than one definition: %s", g, strings.Join(found, ", "))
}

// standalone converts definition root and every definition it references.
func standalone(doc *document, root string, g GVK, strict bool) (map[string]any, error) {
	c := converter{doc: doc, strict: strict, seen: map[string]bool{root: true}}
	top, err := c.schema(doc.Definitions[root], root)
	if err != nil {
		return nil, err
	}
	// The kind's apiVersion and kind are fixed.
	if props, ok := top["properties"].(map[string]any); ok {
		props["apiVersion"] = map[string]any{"type": "string", "enum": []any{g.APIVersion()}}
		props["kind"] = map[string]any{"type": "string", "enum": []any{g.Kind}}
	}
	defs := map[string]any{}
	for len(c.queue) > 0 {
		name := c.queue[0]
		c.queue = c.queue[1:]
		src, ok := doc.Definitions[name]
		if !ok {
			return nil, fmt.Errorf("reference to missing definition %q", name)
		}
		s, err := c.schema(src, name)
		if err != nil {
			return nil, err
		}
		defs[name] = s
	}
	if len(defs) > 0 {
		top["definitions"] = defs
	}
	return top, nil
}

type converter struct {
	doc    *document
	strict bool
	seen   map[string]bool
	queue  []string
}

// schema converts one schema object; path names it in errors.
func (c *converter) schema(src map[string]any, path string) (map[string]any, error) {
	if ref, ok := src["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, refPrefix)
		if !found {
			return nil, fmt.Errorf("%s: $ref %q: only %s references are supported", path, ref, refPrefix)
		}
		switch name {
		case defIntOrString:
			return intOrString(), nil
		case defQuantity:
			return quantity(), nil
		}
		if !c.seen[name] {
			c.seen[name] = true
			c.queue = append(c.queue, name)
		}
		return map[string]any{"$ref": ref}, nil
	}
	if src["format"] == "int-or-string" {
		return intOrString(), nil
	}
	out := map[string]any{}
	for k, v := range src {
		switch {
		case k == "description", k == "format", k == "default", k == "example",
			strings.HasPrefix(k, "x-"):
			// Documentation and extensions: nothing kubeconform validates.
		case k == "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s.properties: want an object, got %T", path, v)
			}
			conv := make(map[string]any, len(props))
			for name, p := range props {
				ps, ok := p.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s.properties.%s: want a schema object, got %T", path, name, p)
				}
				s, err := c.schema(ps, path+".properties."+name)
				if err != nil {
					return nil, err
				}
				conv[name] = s
			}
			out[k] = conv
		case k == "items", k == "not", k == "additionalProperties":
			switch t := v.(type) {
			case bool:
				out[k] = t
			case map[string]any:
				s, err := c.schema(t, path+"."+k)
				if err != nil {
					return nil, err
				}
				out[k] = s
			default:
				return nil, fmt.Errorf("%s.%s: want a schema object, got %T", path, k, v)
			}
		case k == "allOf", k == "anyOf", k == "oneOf":
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("%s.%s: want an array, got %T", path, k, v)
			}
			conv := make([]any, len(list))
			for i, item := range list {
				m, ok := item.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s.%s[%d]: want a schema object, got %T", path, k, i, item)
				}
				s, err := c.schema(m, fmt.Sprintf("%s.%s[%d]", path, k, i))
				if err != nil {
					return nil, err
				}
				conv[i] = s
			}
			out[k] = conv
		default:
			out[k] = v
		}
	}
	if _, has := out["properties"]; has && c.strict {
		if _, set := out["additionalProperties"]; !set {
			out["additionalProperties"] = false
		}
	}
	return out, nil
}

func intOrString() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "string"},
		map[string]any{"type": "integer"},
	}}
}

func quantity() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "string"},
		map[string]any{"type": "number"},
	}}
}
