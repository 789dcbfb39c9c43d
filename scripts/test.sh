#!/usr/bin/env bash
# The whole test run, as `make test` (and CI, through .ci/run) executes it:
# data, formatting and vet, a real S3 server, unit and integration tests
# (the Temporal ones start a real embedded server themselves), the OpenBLAS
# build of the trainer, bounded fuzzing and the Helm chart checks.
# Everything this script starts it stops again by PID.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "data"
export UMBRA_DATA="${UMBRA_DATA:-$repo/data}"
bash scripts/fetch-data.sh "$UMBRA_DATA"
export UMBRA_REQUIRE_DATA=1

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n "$unformatted" ]]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...

step "S3 server (versitygw)"
bash scripts/s3-server.sh start versitygw
trap 'bash scripts/s3-server.sh stop versitygw || true' EXIT
set -a
# shellcheck disable=SC1091
. "$repo/.cache/s3/versitygw/env"
set +a
export UMBRA_REQUIRE_S3=1

step "go test"
export UMBRA_INTEGRATION=1
go test -count=1 -timeout 40m ./...

step "workflow integration tests (real embedded Temporal server in its own process)"
go test -count=1 -timeout 20m -tags integration -run Integration ./workflows/

if [[ -f /usr/include/x86_64-linux-gnu/openblas64-pthread/cblas.h || -n "$(ls /usr/lib/x86_64-linux-gnu/libopenblas.so* 2>/dev/null)" ]]; then
	step "trainer with OpenBLAS"
	OPENBLAS_NUM_THREADS=1 CGO_LDFLAGS=-lopenblas go test -count=1 -tags openblas ./trainer/...
else
	echo "libopenblas not installed: skipping the -tags openblas run"
fi

step "fuzz"
FUZZTIME="${FUZZTIME:-10s}" bash scripts/fuzz.sh

step "helm chart"
bash scripts/helm-check.sh

step "all tests passed"
