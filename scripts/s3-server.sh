#!/usr/bin/env bash
# s3-server.sh — a throw-away S3 server on 127.0.0.1 for Umbra's tests.
#
#   scripts/s3-server.sh start [versitygw|minio]   build if needed, start, wait until it answers
#   scripts/s3-server.sh env   [versitygw|minio]   print the env file (source it: . <(scripts/s3-server.sh env))
#   scripts/s3-server.sh stop  [versitygw|minio]   kill the server by its PID file, delete its data
#
# Binaries are built once with `go install` into <repo>/.cache/bin (git-ignored):
#   versitygw  github.com/versity/versitygw/cmd/versitygw@v1.8.0   (~4 min on 2 cores)
#   minio      github.com/minio/minio@$MINIO_VERSION                (~9 min; upstream archived)
# State lives in <repo>/.cache/s3/<kind>/: data dir, pid file, log and env file.
# The env file sets UMBRA_TEST_S3_ENDPOINT, UMBRA_TEST_S3_BUCKET, UMBRA_TEST_S3_REGION,
# UMBRA_TEST_S3_DATA (backend dir; versitygw stores objects there as plain files),
# UMBRA_VERSITYGW (binary path), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
# Credentials are random per start and passed to the server through its environment,
# never on its command line.
set -euo pipefail

VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
# Last commit of github.com/minio/minio on the module proxy (the repository is archived).
MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo/.cache/bin"
cmd="${1:-}"
kind="${2:-versitygw}"
state="$repo/.cache/s3/$kind"
pidfile="$state/server.pid"
envfile="$state/env"
bucket="umbra-test"
region="us-east-1"

die() { echo "s3-server.sh: $*" >&2; exit 1; }

# abort_start kills a server that started but is not usable, then dies.
abort_start() {
	[[ -f "$pidfile" ]] && kill "$(cat "$pidfile")" 2>/dev/null
	rm -f "$pidfile"
	die "$@"
}

build() {
	mkdir -p "$bin"
	case "$kind" in
	versitygw)
		[[ -x "$bin/versitygw" ]] && return
		echo "building versitygw $VERSITYGW_VERSION into $bin (takes minutes)..." >&2
		GOBIN="$bin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
		;;
	minio)
		[[ -x "$bin/minio" ]] && return
		echo "building minio $MINIO_VERSION into $bin (takes ~10 minutes)..." >&2
		GOBIN="$bin" go install "github.com/minio/minio@$MINIO_VERSION"
		;;
	*) die "unknown server kind '$kind' (want versitygw or minio)" ;;
	esac
}

free_port() {
	# Ask the kernel for a free port by binding port 0.
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
	build
	if running; then
		echo "s3-server.sh: $kind already running (pid $(cat "$pidfile")); env in $envfile" >&2
		return
	fi
	rm -rf "$state"
	mkdir -p "$state/data"
	local port access secret
	port="$(free_port)"
	access="umbra$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	case "$kind" in
	versitygw)
		ROOT_ACCESS_KEY_ID="$access" ROOT_SECRET_ACCESS_KEY="$secret" VGW_REGION="$region" \
			nohup "$bin/versitygw" --port "127.0.0.1:$port" --quiet posix "$state/data" \
			>"$state/server.log" 2>&1 &
		;;
	minio)
		MINIO_ROOT_USER="$access" MINIO_ROOT_PASSWORD="$secret" MINIO_REGION="$region" \
			MINIO_BROWSER=off MINIO_UPDATE=off \
			nohup "$bin/minio" server --quiet --address "127.0.0.1:$port" "$state/data" \
			>"$state/server.log" 2>&1 &
		;;
	esac
	echo $! >"$pidfile"
	# Wait until it answers HTTP (any status) on the port, at most 30 s.
	local i
	for i in $(seq 1 300); do
		if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
			break
		fi
		running || abort_start "$kind exited during start; log: $state/server.log"
		sleep 0.1
	done
	curl -s -o /dev/null "http://127.0.0.1:$port/" || abort_start "$kind did not answer on 127.0.0.1:$port within 30 s; log: $state/server.log"
	umask 077
	# Create the bucket with a SigV4-signed PUT; the keys go through a curl
	# config file, not the command line.
	printf 'user = "%s:%s"\n' "$access" "$secret" >"$state/curl.conf"
	local code
	code="$(curl -s -o "$state/mkbucket.out" -w '%{http_code}' -K "$state/curl.conf" \
		--aws-sigv4 "aws:amz:$region:s3" -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" -X PUT "http://127.0.0.1:$port/$bucket")"
	rm -f "$state/curl.conf"
	[[ "$code" == 200 ]] || abort_start "creating bucket $bucket failed (HTTP $code): $(cat "$state/mkbucket.out")"
	cat >"$envfile" <<EOF
export UMBRA_TEST_S3_KIND=$kind
export UMBRA_TEST_S3_ENDPOINT=127.0.0.1:$port
export UMBRA_TEST_S3_BUCKET=$bucket
export UMBRA_TEST_S3_REGION=$region
export UMBRA_TEST_S3_DATA=$state/data
export UMBRA_VERSITYGW=$bin/versitygw
export AWS_ACCESS_KEY_ID=$access
export AWS_SECRET_ACCESS_KEY=$secret
EOF
	echo "s3-server.sh: $kind listening on 127.0.0.1:$port (pid $(cat "$pidfile")); env file: $envfile" >&2
}

stop() {
	if [[ -f "$pidfile" ]]; then
		local pid
		pid="$(cat "$pidfile")"
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
		fi
		echo "s3-server.sh: stopped $kind (pid $pid)" >&2
	else
		echo "s3-server.sh: $kind not running (no $pidfile)" >&2
	fi
	rm -rf "$state"
}

case "$cmd" in
start) start ;;
stop) stop ;;
env)
	[[ -f "$envfile" ]] || die "$kind is not started (no $envfile); run: $0 start $kind"
	cat "$envfile"
	;;
*) die "usage: $0 start|stop|env [versitygw|minio]" ;;
esac
