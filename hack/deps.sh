#!/usr/bin/env bash
# hack/deps.sh - make sure the Debian packages a make target needs are
# installed.  Usage: hack/deps.sh [--check] SET...  with SET one of build,
# test, demo, valgrind, bench, k8s, image, node (k8s includes image and node:
# the end-to-end suite builds the adapter's image and runs it on a real
# node).  Installs what is missing with apt-get when run as root (or through
# sudo without a password), and says so; otherwise names the packages to
# install and fails.  --check never installs: it names what is missing and
# the make target that installs it (make deps).
set -euo pipefail

pkgs_build="gcc make pkg-config libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libyaml-dev libprotobuf-c-dev protobuf-c-compiler libgnutls28-dev"
pkgs_test="libcmocka-dev clang libclang-rt-dev python3 python3-yaml python3-jsonschema openssl librsvg2-bin curl"
pkgs_demo="python3 curl"
pkgs_valgrind="valgrind"
pkgs_bench="golang-go golang-github-prometheus-common-dev wrk prometheus python3 curl"
# make image: buildah builds the Containerfile; mmdebstrap makes the Debian
# base when no registry can be reached
pkgs_image="buildah mmdebstrap"
# a real node for tests/e2e/incluster.sh: the container runtime, its
# runtime and the loopback CNI plugin (no pod network)
pkgs_node="containerd runc containernetworking-plugins"
pkgs_k8s="golang-go make rsync jq dpkg-dev etcd-server $pkgs_image $pkgs_node"

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
want=()
for set in "$@"; do
	var="pkgs_$set"
	if [ -z "${!var+x}" ]; then
		echo "hack/deps.sh: unknown package set: $set" >&2
		exit 2
	fi
	read -r -a list <<<"${!var}"
	want+=("${list[@]}")
done

missing=()
for p in "${want[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing+=("$p") ;;
	esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ $check -eq 1 ]; then
	echo "flinkhpa needs these Debian packages: ${missing[*]}" >&2
	echo "install them with: make deps (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	echo "flinkhpa needs these Debian packages: ${missing[*]}" >&2
	echo "install them with: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "hack/deps.sh: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
	"${sudo[@]}" apt-get update -q >/dev/null
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts the prometheus service it installs; here prometheus is only
# the scrape benchmark's reference, run by tests/bench/scrape.sh itself.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
	echo "hack/deps.sh: stopping and disabling the prometheus service (the benchmark runs its own)" >&2
	"${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
