package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
)

// defaultKinds are the group/version/kinds the umbra chart renders (the
// ServiceMonitor is a CRD: its schema is written by hand, not generated).
const defaultKinds = "apps/v1/Deployment,policy/v1/PodDisruptionBudget," +
	"autoscaling/v2/HorizontalPodAutoscaler,batch/v1/Job,v1/ConfigMap," +
	"v1/Secret,v1/Service,v1/ServiceAccount"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "k8sschema:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("k8sschema", flag.ContinueOnError)
	swagger := fs.String("swagger", "", "Kubernetes OpenAPI v2 document (swagger.json)")
	out := fs.String("out", "", "output directory (kubeconform -schema-location)")
	version := fs.String("k8s-version", "", "Kubernetes version the document describes, e.g. 1.27.0")
	kinds := fs.String("kinds", defaultKinds, "comma-separated group/version/Kind list (core group: v1/Kind)")
	strict := fs.Bool("strict", true, "reject unknown fields (additionalProperties: false)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *swagger == "" || *out == "" || *version == "" {
		return fmt.Errorf("-swagger, -out and -k8s-version are required")
	}
	data, err := os.ReadFile(*swagger)
	if err != nil {
		return fmt.Errorf("read OpenAPI document: %w", err)
	}
	doc, err := parseDocument(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *swagger, err)
	}
	var gvks []GVK
	for _, s := range strings.Split(*kinds, ",") {
		g, err := ParseGVK(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-kinds: %w", err)
		}
		gvks = append(gvks, g)
	}
	files, err := Convert(ctx, doc, gvks, *version, *strict)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := f.Write(*out); err != nil {
			return err
		}
		slog.Info("wrote schema", "kind", f.GVK.String(), "path", f.Path)
	}
	return nil
}
