#!/usr/bin/env bash
# hack/k8s-build.sh - build kube-apiserver and kube-controller-manager from
# Debian's `kubernetes` source package, for the local control plane of the
# end-to-end tests (hack/cluster-up.sh), and kubelet and kube-scheduler for
# the real node of tests/e2e/incluster.sh, with the pod sandbox ("pause")
# image the kubelet asks for: build/pause/linux/pause.c of the same source,
# static, in an image FROM scratch, as an OCI archive bin/pause.oci.tar named
# as the kubelet's default (k8s.gcr.io/pause:VERSION, which cannot be pulled
# here).  The binaries are cached outside the work tree, keyed by the
# package version and the build's revision, so only the first run is slow:
#   ${FLINKHPA_CACHE:-$HOME/.cache/flinkhpa}/k8s/<version>-b<rev>/bin/
# Prints that bin directory on its last line.  Needs root (or password-less
# sudo) the first time, to add a deb-src line and install golang-go.
set -euo pipefail

cache=${FLINKHPA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkhpa}
log() { echo "k8s-build: $*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# Debian's archive, as a deb-src source next to the machine's deb sources.
ensure_deb_src() {
	if apt-cache showsrc kubernetes 2>/dev/null | grep '^Package: kubernetes' >/dev/null; then
		return 0
	fi
	log "adding a deb-src line for Debian's archive"
	local suite
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$suite" "$suite" | as_root tee /etc/apt/sources.list.d/flinkhpa-src.sources >/dev/null
	as_root apt-get update -q >/dev/null
}

# One build at a time: the end-to-end scripts run in parallel and would
# otherwise fetch into, and delete, the same work directory.
mkdir -p "$cache/k8s"
exec 9>"$cache/k8s/.lock"
if ! flock -n 9; then
	log "waiting for another k8s-build.sh to finish"
	flock 9
fi

ensure_deb_src
"$(dirname "$0")/deps.sh" k8s
version=$(apt-cache showsrc kubernetes | sed -n 's/^Version: //p' | sort -V | tail -n1)
# the upstream version inside Debian's (1.20.5+really1.20.2-... is 1.20.2)
upstream=$(echo "$version" | sed -e 's/.*really//' -e 's/[-+~].*//')
build_rev=3 # bump when the build itself changes
dest=$cache/k8s/$version-b$build_rev
cmds="kube-apiserver kube-controller-manager kubelet kube-scheduler"
cached() {
	local c
	for c in $cmds pause pause.oci.tar pause.image; do
		[ -e "$dest/bin/$c" ] || return 1
	done
}
if cached; then
	log "cached: $dest/bin"
	echo "$dest/bin"
	exit 0
fi

# The pod sandbox image: pause.c, static, alone in an image FROM scratch,
# user 65535 as upstream's; named as the kubelet's default sandbox image
# (bin/pause.image holds the name).  buildah with its own storage (vfs:
# nothing to mount) in the work directory.
build_pause() {
	local tag name c b
	tag=$(sed -n 's/.*defaultPodSandboxImageVersion *= *"\(.*\)"/\1/p' \
		cmd/kubelet/app/options/container_runtime.go)
	[ -n "$tag" ] || tag=3.2
	name=k8s.gcr.io/pause:$tag
	log "building the pause image $name"
	gcc -Os -static -Wall -DVERSION="v$tag-flinkhpa" -o "$work/bin/pause" build/pause/linux/pause.c
	b=(buildah --root "$work/storage" --runroot "$work/storage-run" --storage-driver vfs)
	c=$("${b[@]}" from -q scratch)
	"${b[@]}" copy -q "$c" "$work/bin/pause" /pause >/dev/null
	"${b[@]}" config --entrypoint '["/pause"]' --user 65535:65535 "$c"
	"${b[@]}" commit -q --rm "$c" "$name" >/dev/null
	"${b[@]}" push -q "$name" "oci-archive:$work/bin/pause.oci.tar:$name" >/dev/null
	"${b[@]}" rmi -a >/dev/null 2>&1 || true
	echo "$name" >"$work/bin/pause.image"
}

work=$cache/k8s/build-$version
rm -rf "$work"
mkdir -p "$work/src" "$work/gopath/src/k8s.io"
log "fetching the source of kubernetes $version"
(cd "$work/src" && apt-get source -q --download-only kubernetes >/dev/null &&
	dpkg-source -x --skip-debianization ./*.dsc tree >/dev/null 2>&1 ||
	dpkg-source -x ./*.dsc tree >/dev/null)
ln -s "$work/src/tree" "$work/gopath/src/k8s.io/kubernetes"
cd "$work/gopath/src/k8s.io/kubernetes"

export GOPATH=$work/gopath GO111MODULE=off GOFLAGS= GOCACHE=$cache/go-build
export CGO_ENABLED=0
log "make generated_files (this takes a few minutes)"
make generated_files >"$work/generated.log" 2>&1 || {
	tail -n 30 "$work/generated.log" >&2
	exit 1
}
mkdir -p "$work/bin"
vpkg=k8s.io/kubernetes/vendor/k8s.io/component-base/version
ldflags="-X $vpkg.gitVersion=v$upstream -X $vpkg.gitMajor=${upstream%%.*}"
ldflags="$ldflags -X $vpkg.gitMinor=$(echo "$upstream" | cut -d. -f2)"
ldflags="$ldflags -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
for cmd in $cmds; do
	log "building $cmd $upstream"
	go build -ldflags "$ldflags" -o "$work/bin/$cmd" "./cmd/$cmd" >"$work/$cmd.log" 2>&1 || {
		tail -n 30 "$work/$cmd.log" >&2
		exit 1
	}
done
build_pause
mkdir -p "$dest/bin"
for f in $cmds pause pause.oci.tar pause.image; do
	mv "$work/bin/$f" "$dest/bin/"
done
rm -rf "$work"
log "built: $dest/bin"
echo "$dest/bin"
