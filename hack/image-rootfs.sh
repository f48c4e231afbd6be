#!/usr/bin/env bash
# hack/image-rootfs.sh ROOTFS - completes the image's root tree, run in the
# Containerfile's build stage (Debian bookworm) after `make install
# DESTDIR=ROOTFS`: adds the Debian packages the installed programs need at
# run time (the owners of the shared libraries ldd finds, and their
# Depends/Pre-Depends, recursively) plus base-files, copied from this
# system's installed packages, so no download; each package's dpkg status
# goes to ROOTFS/var/lib/dpkg/status.d/NAME (as distroless images do, so
# that scanners see the packages).  Documentation other than the copyright
# files is left out.  Adds /etc/passwd and /etc/group (root and nonroot,
# 65532), /etc/nsswitch.conf and /tmp.  Prints the package count.
set -euo pipefail

root=${1:?usage: hack/image-rootfs.sh ROOTFS}
arch=$(dpkg --print-architecture)

# the packages owning the libraries of the programs in ROOTFS/usr/bin
want=(base-files)
while read -r lib; do
	pkg=$(dpkg -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1) ||
		true
	if [ -z "$pkg" ]; then
		# merged /usr: dpkg may know the file under /lib rather than /usr/lib
		pkg=$(dpkg -S "${lib#/usr}" 2>/dev/null | head -n1 | cut -d: -f1) || true
	fi
	[ -n "$pkg" ] || { echo "image-rootfs: no package owns $lib" >&2; exit 1; }
	want+=("$pkg")
done < <(for b in "$root"/usr/bin/*; do ldd "$b"; done |
	sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*ld-linux[^ ]*\) .*/\1/p' |
	xargs -r realpath | sort -u)

# the closure over Depends and Pre-Depends (the first installed alternative)
declare -A seen=()
queue=("${want[@]}")
while [ ${#queue[@]} -gt 0 ]; do
	pkg=${queue[0]}
	queue=("${queue[@]:1}")
	[ -z "${seen[$pkg]:-}" ] || continue
	seen[$pkg]=1
	deps=$(dpkg-query -W -f='${Pre-Depends}, ${Depends}' "$pkg")
	IFS=, read -r -a groups <<<"$deps"
	for g in "${groups[@]}"; do
		IFS='|' read -r -a alts <<<"$g"
		for a in "${alts[@]}"; do
			a=$(echo "$a" | sed -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g')
			[ -n "$a" ] || continue
			if dpkg-query -W -f='${Status}' "$a" 2>/dev/null | grep -q ' installed$'; then
				queue+=("$a")
				break
			fi
		done
	done
done

# merged /usr, as in the build system
for d in bin sbin lib lib32 lib64 libx32; do
	if [ -L "/$d" ]; then
		mkdir -p "$root/usr/$d"
		ln -sfn "usr/$d" "$root/$d"
	fi
done

mkdir -p "$root/var/lib/dpkg/status.d"
for pkg in $(printf '%s\n' "${!seen[@]}" | sort); do
	dpkg-query -L "$pkg" | while read -r f; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		[ -d "$f" ] && [ ! -L "$f" ] && continue
		case "$f" in
		/bin | /sbin | /lib | /lib32 | /lib64 | /libx32) continue ;;
		/usr/share/doc/*/copyright) ;;
		/usr/share/doc/* | /usr/share/man/* | /usr/share/info/* | \
			/usr/share/lintian/* | /usr/share/locale/* | /usr/share/bug/*) continue ;;
		esac
		printf '%s\n' "${f#/}"
	done | tar -C / --no-recursion -cf - -T - |
		tar -C "$root" --keep-directory-symlink -xf -
	dpkg-query -s "$pkg" | grep -v '^Conffiles:\|^ /' \
		>"$root/var/lib/dpkg/status.d/${pkg%%:*}"
done

mkdir -p "$root/etc" "$root/tmp" "$root/home/nonroot"
chmod 1777 "$root/tmp"
chown 65532:65532 "$root/home/nonroot"
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nonroot:x:65532:
EOF
cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
echo "image-rootfs: $(ls "$root/var/lib/dpkg/status.d" | wc -l) Debian packages ($arch): $(ls "$root/var/lib/dpkg/status.d" | tr '\n' ' ')"
