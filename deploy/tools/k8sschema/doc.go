// Command k8sschema writes the Kubernetes JSON schemas that
// scripts/helm-check.sh hands to kubeconform to validate the Helm chart's
// rendered manifests offline.
//
// kubeconform normally downloads standalone JSON schemas (one file per kind,
// every $ref resolved) generated from the Kubernetes OpenAPI document. The
// check runs without internet, so this program converts an OpenAPI v2
// document (swagger.json) into the same directory layout for the few kinds
// the chart renders, and the result is kept in the repository under
// deploy/helm/umbra/ci/schemas/:
//
//	v<k8s-version>-standalone-strict/<kind>-<group>-<version>.json
//
// The conversion follows what kubeconform's schemas do (the openapi2jsonschema
// rules), written here because that tool is Python and unavailable offline:
//
//   - each file holds the kind's definition plus every definition it reaches,
//     under "definitions", with "#/definitions/..." references;
//   - apiVersion and kind are restricted to the file's group/version/kind;
//   - IntOrString and format int-or-string accept a string or an integer,
//     Quantity a string or a number (YAML "cpu: 2" is a number);
//   - "strict" adds additionalProperties: false to every object that lists
//     its properties, so a misspelt field is an error;
//   - descriptions, formats and x-kubernetes-* extensions are dropped (they
//     do not validate anything kubeconform checks, and make files large).
//
// The committed schemas come from the Kubernetes v1.27.0 OpenAPI document
// that the k8s.io/kube-openapi module carries as test data (Apache-2.0):
//
//	dir=$(go mod download -json k8s.io/kube-openapi@v0.0.0-20260721132016-d427ff9ee9ad | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
//	go run ./deploy/tools/k8sschema -swagger "$dir/pkg/schemaconv/testdata/swagger.json" \
//	    -k8s-version 1.27.0 -out deploy/helm/umbra/ci/schemas
//
// Only stdlib is used: the input is plain JSON.
package main
