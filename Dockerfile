# syntax=docker/dockerfile:1.7
#
# Umbra worker, pure Go (gonum's own BLAS). Static binary on distroless, non-root.
#
#   docker build -t umbra-worker:dev .
#
# Flags are also read from UMBRA_* environment variables (see cmd/worker), so the
# image needs no arguments: the Helm chart sets UMBRA_TEMPORAL, UMBRA_STORE, ...
# The worker is PID 1 (exec-form ENTRYPOINT, no shell) and receives SIGTERM
# directly: it stops polling and lets running trainings checkpoint before exit.

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Module downloads get their own layer: it is rebuilt only when go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download -x
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
# Stamped into main.version when the binary declares it (the linker ignores it otherwise).
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/umbra-worker ./cmd/worker

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="umbra-worker" \
      org.opencontainers.image.description="Umbra Temporal worker (pure Go BLAS)" \
      org.opencontainers.image.source="https://github.com/umbra-ml/umbra" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/umbra-worker /usr/local/bin/umbra-worker
# distroless "nonroot" is uid/gid 65532; numeric so runAsNonRoot can verify it.
USER 65532:65532
ENV HOME=/tmp \
    UMBRA_METRICS_ADDR=:9090
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/umbra-worker"]
