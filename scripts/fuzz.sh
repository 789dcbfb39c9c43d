#!/usr/bin/env bash
# Runs every Fuzz target of the module for a bounded time each (FUZZTIME, default 10s).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
status=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for name in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    echo "== fuzz ./$dir $name ($fuzztime)"
    if ! go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime"; then
      status=1
    fi
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort)
exit $status
