#!/usr/bin/env bash
# hack/cluster-down.sh - stop what hack/cluster-up.sh started (state in
# ${FLINKHPA_CLUSTER_DIR:-/tmp/flinkhpa-cluster}); --purge also removes it.
set -uo pipefail

dir=${FLINKHPA_CLUSTER_DIR:-/tmp/flinkhpa-cluster}
for name in kcm apiserver etcd; do
	f=$dir/$name.pid
	[ -f "$f" ] || continue
	pid=$(cat "$f")
	if kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$f"
done
[ "${1:-}" = "--purge" ] && rm -rf "$dir"
exit 0
