#!/usr/bin/env bash
# hack/image.sh - builds the image flinkhpa-adapter:$(cat VERSION) from the
# Containerfile with buildah (`make image` runs it), then prints its name,
# id, size and Debian package count, and writes it as an OCI archive to
#   build/image/flinkhpa-adapter-VERSION.oci.tar
# (for `ctr images import`, `skopeo copy` or `podman load`).
#
# The build stage's base is debian:bookworm from a registry.  When that
# cannot be pulled (no registry access, as on the project's test machines),
# the base is made here from Debian's packages instead: mmdebstrap installs
# bookworm with the build packages of hack/deps.sh into a tarball, which is
# imported as localhost/flinkhpa-build-base:bookworm and passed to the
# Containerfile as BUILD_IMAGE.  It is kept for later builds; remove it with
# `buildah rmi localhost/flinkhpa-build-base:bookworm` to refresh it.
#
# Environment:
#   BUILD_IMAGE        the build stage's base (docker.io/library/debian:bookworm)
#   DEBIAN_MIRROR      for mmdebstrap (http://deb.debian.org/debian)
#   STORAGE_DRIVER     buildah's storage driver; by default overlay, or vfs
#                      when overlay cannot mount here
#   BUILDAH_ISOLATION  how RUN steps run (default chroot: the host's network,
#                      so that buildah sets up no CNI bridge)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log() { echo "image: $*" >&2; }

version=$(cat VERSION)
name=localhost/flinkhpa-adapter:$version
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
	revision=$revision-dirty
fi
describe=$(git describe --always --dirty 2>/dev/null || echo unknown)
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
build_image=${BUILD_IMAGE:-docker.io/library/debian:bookworm}
local_base=localhost/flinkhpa-build-base:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
out=build/image
mkdir -p "$out"
# buildah leaves /etc/cni/net.d/cni.lock behind even when RUN steps use no
# network: remove what it made
if [ ! -e /etc/cni ]; then
	trap 'rm -f /etc/cni/net.d/cni.lock; rmdir /etc/cni/net.d /etc/cni 2>/dev/null || true' EXIT
fi

# overlay where it mounts here, else vfs
if [ -z "${STORAGE_DRIVER:-}" ]; then
	STORAGE_DRIVER=overlay
	if ! probe=$(buildah --storage-driver overlay from -q scratch 2>/dev/null) ||
		! buildah --storage-driver overlay mount "$probe" >/dev/null 2>&1; then
		log "overlay storage does not work here: using vfs"
		STORAGE_DRIVER=vfs
	fi
	[ -z "${probe:-}" ] || buildah --storage-driver overlay rm "$probe" >/dev/null 2>&1 || true
fi
export STORAGE_DRIVER
bah() { buildah --storage-driver "$STORAGE_DRIVER" "$@"; }
have_image() { bah inspect --type image "$1" >/dev/null 2>&1; }

# bookworm with the build packages, from Debian's archive
make_base() {
	local pkgs tar
	pkgs=$(sed -n 's/^pkgs_build="\(.*\)"$/\1/p' hack/deps.sh | tr ' ' ',')
	[ -n "$pkgs" ] || { log "no pkgs_build in hack/deps.sh"; exit 1; }
	tar=$out/build-base.tar
	log "making $local_base from Debian's packages with mmdebstrap ($mirror)"
	mmdebstrap --variant=apt --include="$pkgs" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		bookworm "$tar" \
		"deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
		"deb ${mirror%/debian}/debian-security bookworm-security main" \
		>"$out/mmdebstrap.log" 2>&1 || {
		tail -n 20 "$out/mmdebstrap.log" >&2
		exit 1
	}
	local c
	c=$(bah from -q scratch)
	bah add -q "$c" "$tar" / >/dev/null
	bah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--label org.opencontainers.image.description="Debian bookworm with flinkhpa's build packages (mmdebstrap)" "$c"
	bah commit -q --rm "$c" "$local_base" >/dev/null
	rm -f "$tar"
}

if [ -n "${BUILD_IMAGE:-}" ] || have_image "$build_image"; then
	:
elif bah pull -q "$build_image" >"$out/pull.log" 2>&1; then
	log "pulled $build_image"
else
	log "cannot pull $build_image ($(tail -n1 "$out/pull.log"))"
	if have_image "$local_base"; then
		log "using $local_base, made earlier from Debian's packages"
	else
		make_base
	fi
	build_image=$local_base
fi

# the image this build replaces, removed afterwards (no layer cache either:
# repeated builds, as the end-to-end test makes, would fill the disk)
old_id=$(bah inspect --type image -f '{{.FromImageID}}' "$name" 2>/dev/null || true)
log "building $name on $build_image (storage $STORAGE_DRIVER, isolation $BUILDAH_ISOLATION)"
bah build --layers=false --pull=false -f Containerfile -t "$name" \
	--build-arg BUILD_IMAGE="$build_image" \
	--build-arg VERSION="$version" --build-arg REVISION="$revision" \
	--build-arg DESCRIBE="$describe" \
	. >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	exit 1
}

archive=$out/flinkhpa-adapter-$version.oci.tar
rm -f "$archive"
bah push -q "$name" "oci-archive:$archive:flinkhpa-adapter:$version" >/dev/null

# the package count, from the image itself
c=$(bah from -q --pull=false "$name")
mnt=$(bah mount "$c")
packages=$(ls "$mnt/var/lib/dpkg/status.d" | wc -l)
bah umount "$c" >/dev/null
bah rm "$c" >/dev/null

id=$(bah inspect --type image -f '{{.FromImageID}}' "$name")
if [ -n "$old_id" ] && [ "$old_id" != "$id" ]; then
	bah rmi "$old_id" >/dev/null 2>&1 || true
fi
size=$(bah images --format '{{.Size}}' "$name" | head -n1)
echo "name:     $name"
echo "id:       $id"
echo "size:     $size"
echo "packages: $packages Debian packages"
echo "archive:  $archive"
