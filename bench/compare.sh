#!/usr/bin/env bash
# compare.sh runs Umbra's trainbench (pure Go and, when OpenBLAS is
# installed, -tags openblas) and the PyTorch peer back to back on each
# benchmark model, REPEATS times, and prints the median samples/s of each and
# the ratios Umbra/PyTorch.
#
#   bench/compare.sh                       # all models, 1 thread, 10 s, 3 repeats
#   ARCHS="mlp600" THREADS=2 SECONDS_PER_RUN=5 REPEATS=5 bench/compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHS=${ARCHS:-"mlp600 simplecnn-mnist conv32"}
THREADS=${THREADS:-1}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
REPEATS=${REPEATS:-3}
PY=${PY:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/pure" ./bench/trainbench
have_blas=0
if CGO_LDFLAGS=-lopenblas go build -tags openblas -o "$bin/openblas" ./bench/trainbench 2>/dev/null; then
	have_blas=1
fi

last() { tail -n 1 | sed -n 's/^samples_per_sec=//p'; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

printf '%-16s %12s %12s %12s %10s %10s\n' arch torch pure-go openblas pure/torch blas/torch
for arch in $ARCHS; do
	t=() p=() o=()
	for _ in $(seq "$REPEATS"); do
		t+=("$("$PY" bench/torch_peer.py --arch "$arch" --threads "$THREADS" --seconds "$SECONDS_PER_RUN" | last)")
		p+=("$("$bin/pure" -arch "$arch" -threads "$THREADS" -seconds "$SECONDS_PER_RUN" | last)")
		if [ "$have_blas" = 1 ]; then
			o+=("$("$bin/openblas" -arch "$arch" -threads "$THREADS" -seconds "$SECONDS_PER_RUN" | last)")
		fi
	done
	tm=$(printf '%s\n' "${t[@]}" | median)
	pm=$(printf '%s\n' "${p[@]}" | median)
	om=NA
	orat=NA
	if [ "$have_blas" = 1 ]; then
		om=$(printf '%s\n' "${o[@]}" | median)
		orat=$(awk -v a="$om" -v b="$tm" 'BEGIN {printf "%.2f", a/b}')
	fi
	prat=$(awk -v a="$pm" -v b="$tm" 'BEGIN {printf "%.2f", a/b}')
	printf '%-16s %12s %12s %12s %10s %10s\n' "$arch" "$tm" "$pm" "$om" "$prat" "$orat"
done
