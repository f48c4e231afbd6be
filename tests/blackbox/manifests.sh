#!/usr/bin/env bash
# manifests.sh - everything flinkhpa-gen writes and everything in manifests/
# validates against the real Kubernetes OpenAPI spec (v1.36, strictly:
# unknown fields, types, required fields, quantities, base64), kubectl
# kustomize builds each kustomization, and the adapter's arguments in the
# Deployment are flags it has.  Negative cases prove the validator catches
# what it should.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"
cd "$FH_ROOT" || exit 1
SPEC=$FH_ROOT/../shared/k8s/openapi-v1.36.json
[ -f "$SPEC" ] || { echo "no $SPEC"; exit 77; }
V="python3 tests/tools/k8s_validate.py --spec $SPEC --map autoscaling/v2beta2=autoscaling/v2"

for k in manifests/base manifests/overlays/ca-bundle tests/data/gen/golden/*/; do
	kubectl kustomize "$k" >"$FH_TMP/built.yaml" 2>"$FH_TMP/err" || fail "kustomize $k: $(cat "$FH_TMP/err")"
	$V "$FH_TMP/built.yaml" >"$FH_TMP/out" 2>/dev/null || fail "$k does not validate: $(cat "$FH_TMP/out")"
	echo "valid: $k ($(grep -c '^kind:' "$FH_TMP/built.yaml") objects)"
done
# what flinkhpa-gen writes now, for every example
for p in examples/*.yaml; do
	$FH_WRAP "$FH_BIN/flinkhpa-gen" -o - --namespaces "$p" | $V - >"$FH_TMP/out" 2>/dev/null ||
		fail "flinkhpa-gen $p does not validate: $(cat "$FH_TMP/out")"
done

# the base: what it installs
kubectl kustomize manifests/base >"$FH_TMP/base.yaml"
for kind in Namespace ServiceAccount ClusterRoleBinding RoleBinding ClusterRole Role Deployment Service PodDisruptionBudget; do
	grep -q "^kind: $kind$" "$FH_TMP/base.yaml" || fail "the base has no $kind"
done
[ "$(grep -c '^kind: APIService$' "$FH_TMP/base.yaml")" = 3 ] || fail "three APIServices"
python3 - "$FH_TMP/base.yaml" <<'PY' || fail "the base's objects are not as they should be"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
rb = by[("RoleBinding", "flinkhpa-adapter-auth-reader")]
assert rb["metadata"]["namespace"] == "kube-system", rb["metadata"]
assert rb["roleRef"]["name"] == "extension-apiserver-authentication-reader"
assert by[("ClusterRoleBinding", "flinkhpa-adapter:system:auth-delegator")]["roleRef"]["name"] == "system:auth-delegator"
hpa = by[("ClusterRoleBinding", "flinkhpa-metrics-reader")]["subjects"][0]
assert (hpa["namespace"], hpa["name"]) == ("kube-system", "horizontal-pod-autoscaler")
d = by[("Deployment", "flinkhpa-adapter")]
spec = d["spec"]["template"]["spec"]
c = spec["containers"][0]
assert d["spec"]["replicas"] == 2
assert spec["securityContext"]["runAsNonRoot"] is True
assert c["securityContext"]["readOnlyRootFilesystem"] is True
assert c["securityContext"]["allowPrivilegeEscalation"] is False
assert c["livenessProbe"]["httpGet"]["scheme"] == "HTTPS" and c["readinessProbe"]["httpGet"]["path"] == "/readyz"
assert c["image"].startswith("ghcr.io/flinkhpa/flinkhpa-adapter")
for n in ("v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io"):
    a = by[("APIService", n)]["spec"]
    assert a["service"] == {"name": "flinkhpa-adapter", "namespace": "flinkhpa-system", "port": 443}, a
assert by[("APIService", "v1beta2.custom.metrics.k8s.io")]["spec"]["versionPriority"] > \
    by[("APIService", "v1beta1.custom.metrics.k8s.io")]["spec"]["versionPriority"]
PY
# the adapter's arguments are real flags
"$FH_BIN/flinkhpa-adapter" --help >"$FH_TMP/help"
for k in manifests/base manifests/overlays/ca-bundle; do
	kubectl kustomize "$k" | sed -n 's/^ *- --\([a-z-]*\)=.*/\1/p' | sort -u | while read -r flag; do
		grep -q -- "^  --$flag " "$FH_TMP/help" || { echo "unknown flag --$flag in $k"; exit 1; }
	done || fail "the Deployment passes a flag the adapter lacks"
done
# the overlay verifies the certificate
kubectl kustomize manifests/overlays/ca-bundle >"$FH_TMP/ca.yaml"
grep -q 'insecureSkipTLSVerify: true' "$FH_TMP/ca.yaml" && fail "the ca-bundle overlay still skips verification"
[ "$(grep -c 'caBundle:' "$FH_TMP/ca.yaml")" = 3 ] || fail "caBundle on every APIService"
grep -q 'secretName: flinkhpa-adapter-tls' "$FH_TMP/ca.yaml" || fail "no serving certificate Secret"

# the validator catches what it should (each case in its own file)
bad() { # NAME EXPECTED
	$V "$FH_TMP/bad-$1.yaml" >"$FH_TMP/out" 2>&1 && fail "validator accepted $1"
	grep -q -- "$2" "$FH_TMP/out" || fail "validator on $1: $(cat "$FH_TMP/out"), want $2"
}
dep() { # REPLICAS SELECTOR EXTRA
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n'
	printf '  replicas: %s\n' "$1"
	[ -n "$2" ] && printf '  selector: {matchLabels: {a: b}}\n'
	printf '  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: i\n'
	[ -n "${3:-}" ] && printf '        %s\n' "$3"
	return 0
}
dep 1 y >"$FH_TMP/bad-good.yaml"
$V "$FH_TMP/bad-good.yaml" >"$FH_TMP/out" 2>&1 || fail "the good Deployment: $(cat "$FH_TMP/out")"
dep 1 y "imagePullPolcy: Always" >"$FH_TMP/bad-unknown-field.yaml"
bad unknown-field 'spec.template.spec.containers\[0\]: unknown field'
dep two y >"$FH_TMP/bad-wrong-type.yaml"
bad wrong-type "spec.replicas: 'two' is not of type 'integer'"
dep 1 "" >"$FH_TMP/bad-missing-required.yaml"
bad missing-required "'selector' is a required property"
dep 1 y "resources: {requests: {cpu: 1.5.0}}" >"$FH_TMP/bad-bad-quantity.yaml"
bad bad-quantity "spec.template.spec.containers\[0\].resources.requests.cpu"
printf 'apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.x.io}\nspec: {group: x.io, version: v1, groupPriorityMinimum: 1, versionPriority: 1, caBundle: "not base64!"}\n' \
	>"$FH_TMP/bad-bad-base64.yaml"
bad bad-base64 'spec.caBundle'
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n' >"$FH_TMP/bad-unknown-kind.yaml"
bad unknown-kind 'unknown kind example.com/v1 Widget'
# and accepts a good HPA v2
kubectl kustomize tests/data/gen/golden/scenario | $V - >"$FH_TMP/out" 2>&1 || fail "a good HPA rejected: $(cat "$FH_TMP/out")"
echo ok
