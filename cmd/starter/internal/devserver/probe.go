package devserver

import (
	"io"
	"log/slog"

	"go.temporal.io/api/workflowservice/v1"
	sdklog "go.temporal.io/sdk/log"
)

func describeNamespaceRequest(ns string) *workflowservice.DescribeNamespaceRequest {
	return &workflowservice.DescribeNamespaceRequest{Namespace: ns}
}

// quietSDKLogger silences the SDK client used for readiness probes.
func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}
