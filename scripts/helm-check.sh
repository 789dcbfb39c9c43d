#!/usr/bin/env bash
# Checks the Kubernetes deployment files offline:
#   - Dockerfile, Dockerfile.openblas, Dockerfile.starter: static rules
#     (hadolint is not packaged in Debian nor buildable from the Go proxy; it
#     also runs, with .hadolint.yaml, when it is on PATH);
#   - the Helm chart deploy/helm/umbra: helm lint --strict and helm template
#     with the default values and every deploy/helm/umbra/ci/*.yaml;
#   - the rendered manifests against Kubernetes JSON schemas with kubeconform
#     -strict, using the schemas kept in deploy/helm/umbra/ci/schemas (no
#     download), and that those schemas still reject a broken manifest;
#   - every deploy/helm/umbra/ci/bad/*.yaml makes helm template and helm lint
#     fail with a message naming the field given on its "# expect:" line
#     (only helm template for files marked "# checked-by: template");
#   - the committed schemas match what deploy/tools/k8sschema generates.
# helm and kubeconform are built with `go install` into .cache/bin once and
# reused (checked by module version). Exits non-zero if any check fails.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART=$REPO/deploy/helm/umbra
SCHEMAS=$CHART/ci/schemas
BIN=$REPO/.cache/bin
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.7.0
# Kubernetes version of the committed schemas, and the one helm renders for.
KUBE_VERSION=1.27.0
KUBE_OPENAPI=k8s.io/kube-openapi@v0.0.0-20260721132016-d427ff9ee9ad

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	printf 'FAIL  %s\n' "$1"
	if [[ -n ${2:-} && -s $2 ]]; then sed 's/^/      /' "$2" | head -40; fi
}

# install_tool NAME MODULE PACKAGE VERSION: go install into .cache/bin unless
# the binary there was already built from MODULE at VERSION.
install_tool() {
	local name=$1 module=$2 pkg=$3 version=$4
	local have=""
	if [[ -x $BIN/$name ]]; then
		have=$(go version -m "$BIN/$name" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }')
	fi
	if [[ $have == "$version" ]]; then
		echo "using   $name $version ($BIN/$name)"
		return
	fi
	echo "building $name $version with go install (first run takes minutes)..."
	mkdir -p "$BIN"
	GOBIN=$BIN GOFLAGS=-buildvcs=false go install "$pkg@$version"
}

install_tool helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
install_tool kubeconform github.com/yannh/kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
HELM=$BIN/helm
KUBECONFORM=$BIN/kubeconform

# ---------------------------------------------------------------------------
# Dockerfiles.

# instructions FILE: one line per instruction, continuation lines joined,
# comments and blank lines dropped: "LINENO<TAB>INSTRUCTION ARGS".
instructions() {
	awk '
		/^[ \t]*#/ && !cont { next }
		/^[ \t]*$/ && !cont { next }
		{
			line = $0
			if (!cont) { start = NR; buf = "" }
			sub(/^[ \t]+/, "", line)
			if (line ~ /\\[ \t]*$/) { sub(/\\[ \t]*$/, "", line); buf = buf line " "; cont = 1; next }
			buf = buf line; cont = 0
			print start "\t" buf
		}' "$1"
}

# check_dockerfile FILE CGO(0|1): prints problems, returns 1 if any.
check_dockerfile() {
	local file=$1 cgo=$2 problems=0
	local -A build_args=() stages=()
	local final_user="" final_stage="" stage_count=0 saw_download=0 saw_copy_all=0
	local lineno text inst rest image as k x
	local -a words w
	while IFS=$'\t' read -r lineno text; do
		inst=${text%% *}
		inst=${inst^^}
		rest=${text#* }
		case $inst in
		ARG)
			if ((stage_count == 0)) && [[ $rest == *=* ]]; then
				build_args[${rest%%=*}]=${rest#*=}
			fi
			;;
		FROM)
			stage_count=$((stage_count + 1))
			final_user=""
			as=""
			# drop --platform=... flags
			read -r -a words <<<"$rest"
			w=()
			for x in "${words[@]}"; do [[ $x == --* ]] || w+=("$x"); done
			image=${w[0]}
			if ((${#w[@]} >= 3)) && [[ ${w[1],,} == as ]]; then as=${w[2]}; fi
			final_stage=$image
			# substitute ARG defaults declared before the first FROM
			for k in "${!build_args[@]}"; do
				image=${image//\$\{$k\}/${build_args[$k]}}
				image=${image//\$$k/${build_args[$k]}}
			done
			if [[ -n ${stages[$image]:-} || $image == scratch ]]; then
				: # an earlier stage or scratch
			elif [[ $image == *'$'* ]]; then
				echo "$file:$lineno: FROM $image: unresolved build argument (give it a default before the first FROM)"
				problems=1
			elif [[ $image != *@sha256:* ]]; then
				local tag=""
				[[ ${image##*/} == *:* ]] && tag=${image##*:}
				if [[ -z $tag ]]; then
					echo "$file:$lineno: FROM $image: pin the base image by tag or digest"
					problems=1
				elif [[ $tag == latest ]]; then
					echo "$file:$lineno: FROM $image: do not use :latest"
					problems=1
				fi
			fi
			[[ -n $as ]] && stages[$as]=1
			;;
		USER)
			final_user=$rest
			;;
		ADD)
			if [[ $rest =~ (https?|ftp):// ]]; then
				echo "$file:$lineno: ADD of a URL: download in a RUN step with a checksum, or COPY"
			else
				echo "$file:$lineno: ADD: use COPY for local files"
			fi
			problems=1
			;;
		ENTRYPOINT | CMD)
			if [[ $rest != \[* ]]; then
				echo "$file:$lineno: $inst in shell form: use the exec (JSON) form so the process is PID 1 and receives SIGTERM"
				problems=1
			fi
			;;
		RUN)
			if [[ $rest == *"apt-get install"* ]]; then
				[[ $rest == *--no-install-recommends* ]] || {
					echo "$file:$lineno: apt-get install without --no-install-recommends"
					problems=1
				}
				[[ $rest == *"rm -rf /var/lib/apt/lists"* ]] || {
					echo "$file:$lineno: apt-get install without removing /var/lib/apt/lists in the same RUN"
					problems=1
				}
				[[ $rest == *"apt-get update"* ]] || {
					echo "$file:$lineno: apt-get install without apt-get update in the same RUN (stale cached lists)"
					problems=1
				}
			fi
			if [[ $rest =~ (curl|wget)[^|]*\|[[:space:]]*(ba)?sh ]]; then
				echo "$file:$lineno: piping a download into a shell"
				problems=1
			fi
			if [[ $rest == *sudo\ * ]]; then
				echo "$file:$lineno: sudo in a RUN step"
				problems=1
			fi
			if [[ $rest == *"go mod download"* ]]; then
				saw_download=1
				if ((saw_copy_all)); then
					echo "$file:$lineno: go mod download after COPY . . (the module cache layer is rebuilt on every source change)"
					problems=1
				fi
			fi
			if [[ $rest == *"go build"* ]]; then
				if ((cgo == 0)) && [[ $rest != *CGO_ENABLED=0* ]]; then
					echo "$file:$lineno: go build without CGO_ENABLED=0 (the image needs a static binary)"
					problems=1
				fi
				if ((cgo == 1)) && [[ $rest != *"-tags openblas"* || $rest != *CGO_LDFLAGS=-lopenblas* ]]; then
					echo "$file:$lineno: OpenBLAS build needs -tags openblas and CGO_LDFLAGS=-lopenblas"
					problems=1
				fi
			fi
			;;
		COPY)
			if [[ $rest =~ (^|[[:space:]])\.[[:space:]]+\.$ ]]; then
				saw_copy_all=1
				((saw_download)) || {
					echo "$file:$lineno: COPY . . before go mod download: copy go.mod and go.sum first"
					problems=1
				}
			fi
			;;
		esac
	done < <(instructions "$file")
	if ((stage_count < 2)); then
		echo "$file: not a multi-stage build"
		problems=1
	fi
	local uid=${final_user%%:*}
	if [[ -z $final_user ]]; then
		echo "$file: final stage ($final_stage) has no USER: it would run as root"
		problems=1
	elif [[ $uid == 0 || $uid == root ]]; then
		echo "$file: final stage runs as root (USER $final_user)"
		problems=1
	elif ! [[ $uid =~ ^[0-9]+$ ]]; then
		echo "$file: USER $final_user: use a numeric uid so Kubernetes runAsNonRoot can verify it"
		problems=1
	fi
	if ((cgo == 1)) && ! grep -q 'OPENBLAS_NUM_THREADS=1' "$file"; then
		echo "$file: OpenBLAS image must set OPENBLAS_NUM_THREADS=1 (one BLAS thread per training slot)"
		problems=1
	fi
	return $problems
}

echo
echo "== Dockerfiles"
for spec in "Dockerfile:0:cmd/worker" "Dockerfile.openblas:1:cmd/worker" "Dockerfile.starter:0:cmd/starter"; do
	IFS=: read -r df cgo pkg <<<"$spec"
	if check_dockerfile "$REPO/$df" "$cgo" >"$TMP/df.out"; then
		pass "$df: multi-stage, pinned bases, non-root numeric USER, exec-form ENTRYPOINT, cached go mod download"
	else
		fail "$df" "$TMP/df.out"
	fi
	grep -q "\./$pkg" "$REPO/$df" || fail "$df does not build ./$pkg"
	[[ -d $REPO/$pkg ]] || echo "note  $df builds ./$pkg, which is not in the tree yet"
done
# The checker itself must catch a bad Dockerfile.
cat >"$TMP/Dockerfile.bad" <<'EOF'
FROM golang AS build
ADD https://example.com/x.tgz /x.tgz
RUN apt-get install -y curl
FROM debian:latest
CMD /app
EOF
if check_dockerfile "$TMP/Dockerfile.bad" 0 >"$TMP/df.out"; then
	fail "Dockerfile checker accepted a known-bad Dockerfile"
elif [[ $(grep -c . "$TMP/df.out") -ge 6 ]]; then
	pass "Dockerfile checker rejects a known-bad Dockerfile ($(grep -c . "$TMP/df.out") problems found)"
else
	fail "Dockerfile checker found too few problems in a known-bad Dockerfile" "$TMP/df.out"
fi
for pattern in '^\.git$' '^\.cache$'; do
	grep -q "$pattern" "$REPO/.dockerignore" || fail ".dockerignore does not exclude ${pattern//[\\^$]/}"
done
if grep -Eq '^(go\.mod|go\.sum|cmd|\*)$' "$REPO/.dockerignore"; then
	fail ".dockerignore excludes go.mod, go.sum or cmd"
else
	pass ".dockerignore keeps the Go sources and excludes .git and .cache"
fi
if command -v hadolint >/dev/null 2>&1; then
	if hadolint --config "$REPO/.hadolint.yaml" "$REPO"/Dockerfile "$REPO"/Dockerfile.openblas "$REPO"/Dockerfile.starter >"$TMP/hadolint.out" 2>&1; then
		pass "hadolint"
	else
		fail "hadolint" "$TMP/hadolint.out"
	fi
else
	echo "note  hadolint not installed: only the static checks above ran"
fi

# ---------------------------------------------------------------------------
# Chart: lint and render.

echo
echo "== Helm chart ($($HELM version --template '{{.Version}}' 2>/dev/null) built from $HELM_VERSION)"
values_files=("")
for f in "$CHART"/ci/*.yaml; do values_files+=("$f"); done
for vf in "${values_files[@]}"; do
	name=default
	opts=()
	if [[ -n $vf ]]; then
		name=$(basename "$vf" .yaml)
		opts=(-f "$vf")
	fi
	if "$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" "${opts[@]}" >"$TMP/lint.out" 2>&1; then
		pass "helm lint --strict ($name values)"
	else
		fail "helm lint --strict ($name values)" "$TMP/lint.out"
	fi
	if "$HELM" template umbra "$CHART" --namespace umbra --kube-version "$KUBE_VERSION" "${opts[@]}" >"$TMP/$name.yaml" 2>"$TMP/template.err"; then
		kinds=$(grep -E '^kind: ' "$TMP/$name.yaml" | sort | uniq -c | awk '{printf "%s%s×%s", sep, $3, $1; sep=", "}')
		pass "helm template ($name values): $kinds"
	else
		fail "helm template ($name values)" "$TMP/template.err"
		continue
	fi
	if "$KUBECONFORM" -strict -summary -output text -kubernetes-version "$KUBE_VERSION" \
		-schema-location "$SCHEMAS" "$TMP/$name.yaml" >"$TMP/kc.out" 2>&1; then
		pass "kubeconform -strict ($name values): $(tail -1 "$TMP/kc.out" | sed 's/^Summary: //')"
	else
		fail "kubeconform -strict ($name values)" "$TMP/kc.out"
	fi
done

# Properties of the rendered manifests that schemas do not express.
r=$TMP/gpu-tls-values.yaml
if [[ -s $r && -s $TMP/cpu-values.yaml && -s $TMP/default.yaml ]]; then
	all=("$TMP/default.yaml" "$TMP/cpu-values.yaml" "$r")
	containers=$(cat "${all[@]}" | grep -cE '^        - name: (worker|starter)$' || true)
	ro=$(cat "${all[@]}" | grep -c 'readOnlyRootFilesystem: true' || true)
	nonroot=$(cat "${all[@]}" | grep -cE '^ {12}runAsNonRoot: true' || true)
	dropall=$(cat "${all[@]}" | grep -A1 'drop:' | grep -c -- '- ALL' || true)
	if ((containers > 0 && ro == containers && nonroot == containers && dropall == containers)); then
		pass "all $containers containers: read-only root FS, non-root, all capabilities dropped"
	else
		fail "security context: $containers containers, $ro read-only, $nonroot non-root, $dropall drop ALL"
	fi
	if cat "${all[@]}" | grep -A1 -E 'name: AWS_(SECRET_ACCESS_KEY|ACCESS_KEY_ID|SESSION_TOKEN)$' | grep -q 'value:'; then
		fail "S3 credentials appear as literal env values"
	elif [[ $(grep -c 'secretKeyRef' "$TMP/cpu-values.yaml") -ge 4 ]]; then
		pass "S3 credentials come only from secretKeyRef"
	else
		fail "cpu values: expected the S3 credentials from secretKeyRef in every worker and the Job"
	fi
	gpu=$(awk '/^kind: Deployment/{d=1} d&&/^---/{d=0} d' "$r" | awk '/name: umbra-gpu$/{g=1} g')
	if grep -q 'nvidia.com/gpu: 1' <<<"$gpu" && grep -q 'key: nvidia.com/gpu' <<<"$gpu" &&
		grep -q 'terminationGracePeriodSeconds: 1200' <<<"$gpu" && grep -q 'secretName: umbra-temporal-client' <<<"$gpu" &&
		grep -q 'UMBRA_TLS_CERT' <<<"$gpu" && grep -A1 'name: UMBRA_STOP_TIMEOUT' <<<"$gpu" | grep -q '"1170s"'; then
		pass "gpu pool: GPU request, toleration, own grace period (stop timeout 30 s shorter), mTLS Secret mounted"
	else
		fail "gpu pool rendering (GPU request, toleration, grace period 1200 with UMBRA_STOP_TIMEOUT 1170s, TLS)"
	fi
	if [[ $(grep -c '^kind: PodDisruptionBudget' "$r") == 2 && $(grep -c '^kind: HorizontalPodAutoscaler' "$r") == 1 ]] &&
		! awk '/^kind: Deployment/{d=1} d&&/^---/{d=0} d' "$r" | awk '/name: umbra-gpu$/{g=1} g' | grep -q '^  replicas:'; then
		pass "gpu values: one PDB per pool, HPA only where enabled, no fixed replicas under an HPA"
	else
		fail "gpu values: PDB/HPA/replicas layout"
	fi
fi
missing=""
for m in umbra_trainings_started_total umbra_trainings_finished_total umbra_trainings_failed_total \
	umbra_trainings_reused_total umbra_epochs_total umbra_train_samples_per_second \
	umbra_checkpoint_bytes_total umbra_checkpoint_seconds umbra_activity_duration_seconds \
	umbra_attack_seconds temporal_activity_schedule_to_start_latency; do
	grep -q "$m" "$CHART/dashboards/umbra.json" || missing+=" $m"
done
if [[ -z $missing ]] && grep -q 'grafana_dashboard: "1"' "$TMP/default.yaml"; then
	pass "Grafana dashboard uses every worker metric and carries the sidecar label"
else
	fail "dashboard: missing metrics:${missing:- none} (or no grafana_dashboard label)"
fi

# The schemas must bite: a misspelt field and a wrong type are rejected.
if [[ -s $TMP/cpu-values.yaml ]]; then
	sed -e 's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/' \
		-e 's/containerPort: 9090/containerPort: "9090"/' "$TMP/cpu-values.yaml" >"$TMP/broken.yaml"
	if "$KUBECONFORM" -strict -summary -output text -kubernetes-version "$KUBE_VERSION" \
		-schema-location "$SCHEMAS" "$TMP/broken.yaml" >"$TMP/kc.out" 2>&1; then
		fail "kubeconform accepted a manifest with an unknown field and a wrong type" "$TMP/kc.out"
	elif grep -q "terminationGracePeriodSecond' not allowed" "$TMP/kc.out" && grep -q 'containerPort.*got string, want integer' "$TMP/kc.out"; then
		pass "kubeconform rejects an unknown field and a wrong type with the committed schemas"
	else
		fail "kubeconform failed on the broken manifest for another reason" "$TMP/kc.out"
	fi
fi

# ---------------------------------------------------------------------------
# Values that must be refused.

echo
echo "== Invalid values (ci/bad)"
for vf in "$CHART"/ci/bad/*.yaml; do
	name=$(basename "$vf")
	expect=$(sed -n 's/^# expect: //p' "$vf" | head -1)
	if [[ -z $expect ]]; then
		fail "$name has no '# expect: FIELD' line"
		continue
	fi
	# "# checked-by: template" for checks made by the templates (fail), which
	# helm lint only reports as [INFO]; schema checks fail both commands.
	cmds=$(sed -n 's/^# checked-by: \([a-z ]*\).*/\1/p' "$vf" | head -1)
	for cmd in ${cmds:-template lint}; do
		if [[ $cmd == template ]]; then
			helm_args=(template umbra "$CHART" --kube-version "$KUBE_VERSION" -f "$vf")
		else
			helm_args=(lint --strict "$CHART" --kube-version "$KUBE_VERSION" -f "$vf")
		fi
		if "$HELM" "${helm_args[@]}" >"$TMP/bad.out" 2>&1; then
			fail "helm $cmd accepted ci/bad/$name" "$TMP/bad.out"
		elif grep -qF -- "$expect" "$TMP/bad.out"; then
			pass "helm $cmd refuses ci/bad/$name: $(grep -F -- "$expect" "$TMP/bad.out" | head -1 | sed 's/^[[:space:]]*//')"
		else
			fail "helm $cmd refused ci/bad/$name without naming '$expect'" "$TMP/bad.out"
		fi
	done
done

# ---------------------------------------------------------------------------
# The committed schemas are what the generator writes.

echo
echo "== Kubernetes schemas"
# Outside the repository's module, so go.mod and go.sum are left alone.
dir=""
if json=$(cd "$TMP" && GOFLAGS='' GO111MODULE=on go mod download -json "$KUBE_OPENAPI" 2>/dev/null); then
	dir=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$json")
fi
if [[ -z $dir || ! -f $dir/pkg/schemaconv/testdata/swagger.json ]]; then
	fail "could not fetch $KUBE_OPENAPI to regenerate the schemas"
else
	mkdir -p "$TMP/schemas"
	cp "$SCHEMAS/v$KUBE_VERSION-standalone-strict/servicemonitor-monitoring-v1.json" "$TMP/sm.json"
	if (cd "$REPO" && go run ./deploy/tools/k8sschema -swagger "$dir/pkg/schemaconv/testdata/swagger.json" \
		-k8s-version "$KUBE_VERSION" -out "$TMP/schemas") >"$TMP/gen.out" 2>&1; then
		cp "$TMP/sm.json" "$TMP/schemas/v$KUBE_VERSION-standalone-strict/servicemonitor-monitoring-v1.json"
		if diff -r "$SCHEMAS" "$TMP/schemas" >"$TMP/diff.out"; then
			pass "ci/schemas match deploy/tools/k8sschema output for Kubernetes v$KUBE_VERSION ($(find "$SCHEMAS/v$KUBE_VERSION-standalone-strict" -name '*.json' | wc -l) kinds; ServiceMonitor hand-written)"
		else
			fail "ci/schemas differ from the generator's output (regenerate: see deploy/tools/k8sschema/doc.go)" "$TMP/diff.out"
		fi
	else
		fail "deploy/tools/k8sschema" "$TMP/gen.out"
	fi
fi

echo
echo "helm-check: $passed passed, $failed failed"
((failed == 0))
