#!/usr/bin/env bash
# Runs every Fuzz target of the module for a bounded time each (FUZZTIME,
# default 10s). Minimisation is bounded by a count rather than by time so
# that it cannot eat the whole budget of a target with large inputs.
#
# Go's fuzzer sometimes ends a run with "context deadline exceeded" when the
# time budget expires while a worker is busy; that is not a finding (no
# failing input is written). A real finding prints "Failing input written
# to" and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while IFS= read -r file; do
	dir=$(dirname "$file")
	for name in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		echo "== fuzz ./$dir $name ($fuzztime)"
		if go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 100x 2>&1 | tee "$log"; then
			continue
		fi
		if grep -q "context deadline exceeded" "$log" && ! grep -q "Failing input written to" "$log"; then
			echo "fuzz: $name stopped at its deadline while busy; no failing input, counted as passed"
			continue
		fi
		status=1
	done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort)
exit $status
