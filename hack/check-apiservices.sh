#!/usr/bin/env bash
# hack/check-apiservices.sh [--force] [--list] KUSTOMIZATION - before
# `kubectl apply -k KUSTOMIZATION`: which metrics group versions would the
# install register, and who serves each of them in the cluster now?
#
# Kubernetes lets one backend serve each group version (the APIService
# v1beta1.external.metrics.k8s.io names one Service); applying ours over
# another adapter's silently cuts off every HPA (or KEDA ScaledObject) that
# reads its metrics.  For each APIService in the build it prints one line:
#   NAME: not registered: flinkhpa-system/flinkhpa-adapter would serve it
#   NAME: already served by flinkhpa-system/flinkhpa-adapter
#   NAME: served by NS/SVC (Available=True): would be TAKEN OVER by ...
# and exits 1 when something would be taken over, unless --force is given
# (say, because flinkhpa is to forward that adapter's metrics to it:
# --delegate-custom-metrics / --delegate-external-metrics, see the README).
# Exit 0: nothing lost (or --force); 1: refused; 2: usage or kubectl error.
# --list only prints the APIServices the build registers (no cluster).
# Needs kubectl with access to the cluster (get apiservices).
set -uo pipefail

force=false
list=false
dir=
for a in "$@"; do
	case $a in
	--force) force=true ;;
	--list) list=true ;;
	-h | --help)
		sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "check-apiservices: unknown flag $a" >&2
		exit 2
		;;
	*) dir=$a ;;
	esac
done
[ -n "$dir" ] || {
	echo "usage: hack/check-apiservices.sh [--force] [--list] KUSTOMIZATION (e.g. manifests/overlays/all-metrics)" >&2
	exit 2
}

built=$(kubectl kustomize "$dir") || {
	echo "check-apiservices: kubectl kustomize $dir failed" >&2
	exit 2
}
# "NAME NAMESPACE/SERVICE" of every APIService in kustomize's (canonical)
# output
mine=$(awk '
function flush() {
	if (kind == "APIService")
		print name, sns "/" sname
	kind = name = sns = sname = sect = sub1 = ""
}
/^---/ { flush(); next }
/^kind: / { kind = $2 }
/^[a-zA-Z]/ { sect = $1 }
/^  [a-zA-Z]/ { sub1 = $1 }
sect == "metadata:" && /^  name: / { name = $2 }
sect == "spec:" && sub1 == "service:" && /^    name: / { sname = $2 }
sect == "spec:" && sub1 == "service:" && /^    namespace: / { sns = $2 }
END { flush() }' <<<"$built")

if $list; then
	[ -n "$mine" ] && echo "$mine"
	exit 0
fi
if [ -z "$mine" ]; then
	echo "$dir registers no APIService: it takes no metrics API over"
	exit 0
fi

taken=()
while read -r name ours; do
	now=$(kubectl get apiservice "$name" -o \
		jsonpath='{.spec.service.namespace}/{.spec.service.name} {.status.conditions[?(@.type=="Available")].status}' 2>"${TMPDIR:-/tmp}/check-apiservices.$$")
	rc=$?
	err=$(cat "${TMPDIR:-/tmp}/check-apiservices.$$")
	rm -f "${TMPDIR:-/tmp}/check-apiservices.$$"
	if [ $rc -ne 0 ]; then
		if [[ $err == *NotFound* || $err == *"not found"* ]]; then
			echo "$name: not registered: $ours would serve it"
			continue
		fi
		echo "check-apiservices: kubectl get apiservice $name: $err" >&2
		exit 2
	fi
	svc=${now% *}
	avail=${now##* }
	if [ "$svc" = "$ours" ]; then
		echo "$name: already served by $ours"
	elif [ "$svc" = / ]; then
		echo "$name: served by kube-apiserver itself (Available=${avail:-unknown}): would be TAKEN OVER by $ours"
		taken+=("$name")
	else
		echo "$name: served by $svc (Available=${avail:-unknown}): would be TAKEN OVER by $ours"
		taken+=("$name")
	fi
done <<<"$mine"

[ ${#taken[@]} -eq 0 ] && exit 0
if $force; then
	echo "--force: ${taken[*]} will be taken over"
	exit 0
fi
cat >&2 <<EOF
refusing: applying $dir takes ${taken[*]} from the adapter serving it now, and
every HPA reading those metrics from it stops scaling.  Either
  - install an overlay without that group (manifests/overlays/custom-metrics
    or manifests/overlays/external-metrics), or
  - let flinkhpa forward the metrics it does not serve to that adapter
    (--delegate-custom-metrics / --delegate-external-metrics
    https://SERVICE.NAMESPACE.svc, see the README) and run this again with
    --force.
EOF
exit 1
