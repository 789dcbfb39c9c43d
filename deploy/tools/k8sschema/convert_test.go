package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A tiny OpenAPI v2 document in the shape of Kubernetes' swagger.json: one
// kind with metadata, an IntOrString, a Quantity map, a field literally named
// "description", a self-referencing type and an unreferenced definition.
const testSwagger = `{
 "definitions": {
  "io.k8s.api.demo.v1.Widget": {
   "description": "Widget is a demo kind.",
   "type": "object",
   "properties": {
    "apiVersion": {"type": "string", "description": "APIVersion"},
    "kind": {"type": "string"},
    "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "description": "Standard metadata."},
    "spec": {"$ref": "#/definitions/io.k8s.api.demo.v1.WidgetSpec"}
   },
   "x-kubernetes-group-version-kind": [{"group": "demo.example.com", "kind": "Widget", "version": "v1"}]
  },
  "io.k8s.api.demo.v1.WidgetSpec": {
   "type": "object",
   "required": ["size"],
   "properties": {
    "size": {"type": "integer", "format": "int32"},
    "port": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
    "surge": {"type": "string", "format": "int-or-string"},
    "limits": {"type": "object", "additionalProperties": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"}},
    "description": {"type": "string", "description": "a field named description"},
    "children": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.demo.v1.WidgetSpec"}},
    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
   }
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
   "type": "object",
   "properties": {"name": {"type": "string"}, "labels": {"type": "object", "additionalProperties": {"type": "string"}}}
  },
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string", "description": "Quantity"},
  "io.k8s.api.demo.v1.Unused": {"type": "object", "properties": {"x": {"type": "string"}}},
  "io.k8s.api.core.v1.Thing": {
   "type": "object",
   "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}},
   "x-kubernetes-group-version-kind": [{"group": "", "kind": "Thing", "version": "v1"}]
  }
 }
}`

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON: %v", err)
	}
	return m
}

func TestConvertWidget(t *testing.T) {
	doc, err := parseDocument([]byte(testSwagger))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Convert(context.Background(), doc, []GVK{{Group: "demo.example.com", Version: "v1", Kind: "Widget"}}, "1.27.0", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("got %d files, want 1", len(files))
	}
	if want := filepath.Join("v1.27.0-standalone-strict", "widget-demo-v1.json"); files[0].Path != want {
		t.Errorf("path = %q, want %q", files[0].Path, want)
	}
	// Round-trip through JSON so numbers and slices compare as decoded JSON.
	got, err := json.Marshal(files[0].Schema)
	if err != nil {
		t.Fatal(err)
	}
	want := mustJSON(t, `{
	 "type": "object",
	 "additionalProperties": false,
	 "properties": {
	  "apiVersion": {"type": "string", "enum": ["demo.example.com/v1"]},
	  "kind": {"type": "string", "enum": ["Widget"]},
	  "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
	  "spec": {"$ref": "#/definitions/io.k8s.api.demo.v1.WidgetSpec"}
	 },
	 "definitions": {
	  "io.k8s.api.demo.v1.WidgetSpec": {
	   "type": "object",
	   "required": ["size"],
	   "additionalProperties": false,
	   "properties": {
	    "size": {"type": "integer"},
	    "port": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
	    "surge": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
	    "limits": {"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "number"}]}},
	    "description": {"type": "string"},
	    "children": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.demo.v1.WidgetSpec"}},
	    "free": {"type": "object"}
	   }
	  },
	  "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
	   "type": "object",
	   "additionalProperties": false,
	   "properties": {"name": {"type": "string"}, "labels": {"type": "object", "additionalProperties": {"type": "string"}}}
	  }
	 }
	}`)
	if gotMap := mustJSON(t, string(got)); !reflect.DeepEqual(gotMap, want) {
		t.Errorf("schema mismatch\n got: %s", got)
	}
}

func TestConvertNotStrict(t *testing.T) {
	doc, err := parseDocument([]byte(testSwagger))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Convert(context.Background(), doc, []GVK{{Version: "v1", Kind: "Thing"}}, "v1.27.0", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("v1.27.0-standalone", "thing-v1.json"); files[0].Path != want {
		t.Errorf("path = %q, want %q", files[0].Path, want)
	}
	if _, has := files[0].Schema["additionalProperties"]; has {
		t.Errorf("non-strict schema has additionalProperties: %v", files[0].Schema)
	}
	if _, has := files[0].Schema["definitions"]; has {
		t.Errorf("schema without references has definitions: %v", files[0].Schema)
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name    string
		swagger string
		gvk     GVK
		want    string
		is      error
	}{
		{"missing kind", testSwagger, GVK{Group: "apps", Version: "v1", Kind: "Deployment"}, "apps/v1/Deployment", ErrKindNotFound},
		{"dangling ref", `{"definitions": {"a.A": {"type": "object", "properties": {"b": {"$ref": "#/definitions/b.B"}},
			"x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "A"}]}}}`,
			GVK{Version: "v1", Kind: "A"}, `missing definition "b.B"`, nil},
		{"remote ref", `{"definitions": {"a.A": {"type": "object", "properties": {"b": {"$ref": "other.json#/B"}},
			"x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "A"}]}}}`,
			GVK{Version: "v1", Kind: "A"}, "a.A.properties.b: $ref", nil},
		{"ambiguous", `{"definitions": {
			"a.A": {"type": "object", "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "A"}]},
			"b.A": {"type": "object", "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "A"}]}}}`,
			GVK{Version: "v1", Kind: "A"}, "a.A, b.A", nil},
		{"bad properties", `{"definitions": {"a.A": {"type": "object", "properties": [],
			"x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "A"}]}}}`,
			GVK{Version: "v1", Kind: "A"}, "a.A.properties: want an object", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parseDocument([]byte(tt.swagger))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Convert(context.Background(), doc, []GVK{tt.gvk}, "1.27.0", true)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
		})
	}
}

func TestParseDocumentErrors(t *testing.T) {
	for _, in := range []string{`{`, `{"definitions": {}}`, `[]`} {
		if _, err := parseDocument([]byte(in)); err == nil {
			t.Errorf("parseDocument(%q): no error", in)
		}
	}
}

func TestParseGVK(t *testing.T) {
	tests := []struct {
		in       string
		want     GVK
		file     string
		apiVer   string
		wantFail bool
	}{
		{in: "apps/v1/Deployment", want: GVK{"apps", "v1", "Deployment"}, file: "deployment-apps-v1.json", apiVer: "apps/v1"},
		{in: "v1/ConfigMap", want: GVK{"", "v1", "ConfigMap"}, file: "configmap-v1.json", apiVer: "v1"},
		{in: "autoscaling/v2/HorizontalPodAutoscaler", want: GVK{"autoscaling", "v2", "HorizontalPodAutoscaler"}, file: "horizontalpodautoscaler-autoscaling-v2.json", apiVer: "autoscaling/v2"},
		{in: "monitoring.coreos.com/v1/ServiceMonitor", want: GVK{"monitoring.coreos.com", "v1", "ServiceMonitor"}, file: "servicemonitor-monitoring-v1.json", apiVer: "monitoring.coreos.com/v1"},
		{in: "Deployment", wantFail: true},
		{in: "apps//Deployment", wantFail: true},
		{in: "a/b/c/d", wantFail: true},
	}
	for _, tt := range tests {
		got, err := ParseGVK(tt.in)
		if tt.wantFail {
			if err == nil {
				t.Errorf("ParseGVK(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseGVK(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want || got.FileName() != tt.file || got.APIVersion() != tt.apiVer {
			t.Errorf("ParseGVK(%q) = %+v file %q apiVersion %q; want %+v %q %q", tt.in, got, got.FileName(), got.APIVersion(), tt.want, tt.file, tt.apiVer)
		}
	}
}

func TestRunWritesFiles(t *testing.T) {
	dir := t.TempDir()
	sw := filepath.Join(dir, "swagger.json")
	if err := os.WriteFile(sw, []byte(testSwagger), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "schemas")
	err := run(context.Background(), []string{"-swagger", sw, "-out", out, "-k8s-version", "1.27.0",
		"-kinds", "demo.example.com/v1/Widget,v1/Thing"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"widget-demo-v1.json", "thing-v1.json"} {
		data, err := os.ReadFile(filepath.Join(out, "v1.27.0-standalone-strict", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Errorf("%s: not JSON: %v", name, err)
		}
	}
	if err := run(context.Background(), []string{"-swagger", sw, "-out", out}); err == nil {
		t.Error("run without -k8s-version: no error")
	}
}
