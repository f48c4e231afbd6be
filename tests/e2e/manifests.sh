#!/usr/bin/env bash
# manifests.sh - manifests/base applied to a real kube-apiserver (server-side
# validation), and its RBAC proven with `kubectl auth can-i` for the
# adapter's service account and for the HPA controller's.  Kubernetes 1.20
# has no policy/v1, so the PodDisruptionBudget is left out here (the
# OpenAPI test in tests/blackbox/manifests.sh validates it against v1.36).
# The Deployment's pods never run: there is no kubelet.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

cluster_up
kubectl kustomize "$FH_ROOT/manifests/base" >"$FH_TMP/base.yaml" || fail "kustomize"
python3 - "$FH_TMP/base.yaml" >"$FH_TMP/apply.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] != "PodDisruptionBudget"]
print(yaml.safe_dump_all(docs))
PY
kubectl apply -f "$FH_TMP/apply.yaml" >"$FH_TMP/apply.log" 2>&1 || fail "apply: $(cat "$FH_TMP/apply.log")"
kubectl -n flinkhpa-system get deployment flinkhpa-adapter >/dev/null || fail "no Deployment"
[ "$(kubectl get apiservice v1beta2.custom.metrics.k8s.io -o jsonpath='{.spec.service.name}')" = flinkhpa-adapter ] ||
	fail "no APIService"

sa=system:serviceaccount:flinkhpa-system:flinkhpa-adapter
hpa=system:serviceaccount:kube-system:horizontal-pod-autoscaler
can() { # yes|no AS VERB RESOURCE [NAMESPACE-FLAGS...]
	local want=$1 as=$2
	shift 2
	got=$(kubectl auth can-i --as="$as" "$@" 2>/dev/null)
	[ "$got" = "$want" ] || fail "can-i --as=$as $*: $got, want $want"
}
can yes $sa list pods --all-namespaces
can yes $sa watch pods --all-namespaces
can yes $sa watch deployments.apps --all-namespaces
can yes $sa patch deployments.apps -n flink
can yes $sa create events -n flink
can yes $sa create tokenreviews.authentication.k8s.io
can yes $sa create subjectaccessreviews.authorization.k8s.io
can yes $sa get configmaps/extension-apiserver-authentication -n kube-system
can yes $sa create leases.coordination.k8s.io -n flinkhpa-system
can yes $sa update leases.coordination.k8s.io/flinkhpa-sync -n flinkhpa-system
can no $sa update leases.coordination.k8s.io/other -n flinkhpa-system
can no $sa create leases.coordination.k8s.io -n flink
can no $sa delete pods -n flink
can no $sa get secrets -n flink
can no $sa get secrets -n kube-system
can no $sa delete deployments.apps -n flink
# the metrics groups have no server behind them here, which confuses
# kubectl auth can-i: ask kube-apiserver with SubjectAccessReviews
sar() { # yes|no USER GROUP RESOURCE VERB
	local got
	got=$(printf '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"%s","resourceAttributes":{"group":"%s","resource":"%s","verb":"%s","namespace":"flink"}}}' \
		"$2" "$3" "$4" "$5" | kubectl create -f - -o jsonpath='{.status.allowed}' 2>/dev/null)
	[ "${got:-false}" = "$([ "$1" = yes ] && echo true || echo false)" ] ||
		fail "SubjectAccessReview $2 $5 $4.$3: ${got:-false}, want $1"
}
sar yes $hpa custom.metrics.k8s.io pods get
sar yes $hpa custom.metrics.k8s.io deployments.apps get
sar yes $hpa external.metrics.k8s.io flink_job_backlog list
sar no system:serviceaccount:flink:default custom.metrics.k8s.io pods get
sar no $hpa "" secrets get
echo ok
