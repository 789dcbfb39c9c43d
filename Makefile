# Umbra — developer entry points. `make test` is what CI runs (.ci/run).
GO ?= go
FUZZTIME ?= 10s

.PHONY: test unit vet fuzz data s3-start s3-stop helm-check quickstart bench

# Everything: data, a real S3 server, vet, unit + integration tests, bounded fuzzing, chart checks.
test:
	bash scripts/test.sh

vet:
	gofmt -l $$(git ls-files '*.go') | tee /dev/stderr | (! read)
	$(GO) vet ./...

# Unit tests only (no servers; real-data and S3 tests skip when their inputs are absent).
unit:
	$(GO) test ./...

fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

data:
	bash scripts/fetch-data.sh

helm-check:
	bash scripts/helm-check.sh
