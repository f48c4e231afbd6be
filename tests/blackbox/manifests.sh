#!/usr/bin/env bash
# manifests.sh - manifests/ and everything flinkhpa-gen writes are valid
# Kubernetes objects, checked against the real OpenAPI spec (v1.36) by
# tests/tools/k8s_validate.py as strictly as kubectl apply --validate=strict
# (unknown fields, types, required fields, int-or-string, quantities,
# base64); kubectl kustomize builds each kustomization; the base installs
# what an extension API server needs (objects, RBAC, locked-down
# Deployment) and the ca-bundle overlay verifies a mounted certificate; the
# adapter's arguments in the Deployments are flags `flinkhpa-adapter --help`
# lists.  Negative cases prove the validator catches each kind of mistake
# with the field's path, and positive ones that it accepts good objects
# (HPA v2, and v2beta2 through --map).  Runs every check and lists all
# failures at the end.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"
cd "$FH_ROOT" || exit 1
python3 -c 'import jsonschema, yaml' 2>/dev/null ||
	fail "python3 lacks jsonschema or yaml (hack/deps.sh test installs python3-jsonschema python3-yaml)"
# The full spec when it is next to the repository, else the committed part
# of it that covers our kinds (tests/tools/k8s_spec_subset.py), which must
# then be what that script makes of the full spec.
SPEC=$FH_ROOT/../shared/k8s/openapi-v1.36.json
SUBSET=$FH_ROOT/tests/data/k8s/openapi-v1.36-subset.json
if [ -f "$SPEC" ]; then
	python3 tests/tools/k8s_spec_subset.py "$SPEC" "$FH_TMP/subset.json" ||
		fail "k8s_spec_subset.py failed"
	cmp -s "$FH_TMP/subset.json" "$SUBSET" ||
		fail "$SUBSET is out of date: python3 tests/tools/k8s_spec_subset.py $SPEC $SUBSET"
	echo "using $SPEC (the committed subset matches it)"
else
	SPEC=$SUBSET
	echo "using $SPEC (no full spec at ../shared/k8s)"
fi
V0="python3 tests/tools/k8s_validate.py --spec $SPEC"
V="$V0 --map autoscaling/v2beta2=autoscaling/v2"
failures=()
bad() { echo "FAIL: $*"; failures+=("$*"); }

# 1. every kustomization builds and validates; flinkhpa-gen's output too
for k in manifests/base manifests/overlays/ca-bundle manifests/overlays/local manifests/overlays/e2e-node tests/data/gen/golden/*/; do
	kubectl kustomize "$k" >"$FH_TMP/built.yaml" 2>"$FH_TMP/err" || { bad "kustomize $k: $(cat "$FH_TMP/err")"; continue; }
	# the e2e-node overlay's PDB is policy/v1beta1, for the Kubernetes 1.20 it runs on
	vk=$V
	[ "$k" = manifests/overlays/e2e-node ] && vk="$V --map policy/v1beta1=policy/v1"
	$vk "$FH_TMP/built.yaml" >"$FH_TMP/out" 2>/dev/null || bad "$k does not validate: $(cat "$FH_TMP/out")"
	echo "valid: $k ($(grep -c '^kind:' "$FH_TMP/built.yaml") objects)"
done
for p in examples/*.yaml; do
	for hv in v2 v2beta2; do
		$FH_WRAP "$FH_BIN/flinkhpa-gen" -o - --namespaces --hpa-version $hv "$p" >"$FH_TMP/gen.yaml" ||
			{ bad "flinkhpa-gen $p"; continue; }
		grep -q "^apiVersion: autoscaling/$hv$" "$FH_TMP/gen.yaml" || bad "flinkhpa-gen $p: no autoscaling/$hv HPA"
		$V "$FH_TMP/gen.yaml" >"$FH_TMP/out" 2>/dev/null ||
			bad "flinkhpa-gen --hpa-version $hv $p does not validate: $(cat "$FH_TMP/out")"
	done
done

# 2. what the base installs, and how
kubectl kustomize manifests/base >"$FH_TMP/base.yaml" || fail "kustomize manifests/base"
kubectl kustomize manifests/overlays/ca-bundle >"$FH_TMP/ca.yaml" || fail "kustomize the ca-bundle overlay"
python3 - "$FH_TMP/base.yaml" "$FH_TMP/ca.yaml" >"$FH_TMP/out" 2>&1 <<'PY' || bad "the objects are not as they should be: $(cat "$FH_TMP/out")"
import base64, sys, yaml
def load(p):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(open(p)) if d}
by, ca = load(sys.argv[1]), load(sys.argv[2])
problems = []
def check(ok, what):
    if not ok:
        problems.append(what)
want = {("Namespace", "flinkhpa-system"), ("ServiceAccount", "flinkhpa-adapter"),
        ("ClusterRoleBinding", "flinkhpa-adapter:system:auth-delegator"),
        ("RoleBinding", "flinkhpa-adapter-auth-reader"), ("ClusterRole", "flinkhpa-adapter"),
        ("ClusterRoleBinding", "flinkhpa-adapter"), ("Role", "flinkhpa-adapter-leader-election"),
        ("RoleBinding", "flinkhpa-adapter-leader-election"), ("ClusterRole", "flinkhpa-metrics-reader"),
        ("ClusterRoleBinding", "flinkhpa-metrics-reader"), ("Deployment", "flinkhpa-adapter"),
        ("Service", "flinkhpa-adapter"), ("PodDisruptionBudget", "flinkhpa-adapter"),
        ("APIService", "v1beta1.custom.metrics.k8s.io"), ("APIService", "v1beta2.custom.metrics.k8s.io"),
        ("APIService", "v1beta1.external.metrics.k8s.io")}
check(set(by) == want, "objects: extra %s, missing %s" % (set(by) - want, want - set(by)))
for (kind, name), d in by.items():
    if kind not in ("Namespace", "ClusterRole", "ClusterRoleBinding", "APIService"):
        ns = "kube-system" if (kind, name) == ("RoleBinding", "flinkhpa-adapter-auth-reader") else "flinkhpa-system"
        check(d["metadata"].get("namespace") == ns, "%s/%s in %s" % (kind, name, d["metadata"].get("namespace")))
sa = [{"kind": "ServiceAccount", "name": "flinkhpa-adapter", "namespace": "flinkhpa-system"}]
for kind, name, role in [("ClusterRoleBinding", "flinkhpa-adapter:system:auth-delegator", ("ClusterRole", "system:auth-delegator")),
                         ("RoleBinding", "flinkhpa-adapter-auth-reader", ("Role", "extension-apiserver-authentication-reader")),
                         ("ClusterRoleBinding", "flinkhpa-adapter", ("ClusterRole", "flinkhpa-adapter")),
                         ("RoleBinding", "flinkhpa-adapter-leader-election", ("Role", "flinkhpa-adapter-leader-election"))]:
    b = by.get((kind, name), {})
    check(b.get("subjects") == sa, "%s/%s subjects %s" % (kind, name, b.get("subjects")))
    check((b.get("roleRef", {}).get("kind"), b.get("roleRef", {}).get("name")) == role, "%s/%s roleRef" % (kind, name))
hpa = by[("ClusterRoleBinding", "flinkhpa-metrics-reader")]
check(hpa["subjects"] == [{"kind": "ServiceAccount", "name": "horizontal-pod-autoscaler", "namespace": "kube-system"}],
      "metrics reader subjects %s" % hpa["subjects"])
rules = by[("ClusterRole", "flinkhpa-metrics-reader")]["rules"]
check(sorted(g for r in rules for g in r["apiGroups"]) == ["custom.metrics.k8s.io", "external.metrics.k8s.io"]
      and all(r["resources"] == ["*"] and sorted(r["verbs"]) == ["get", "list", "watch"] for r in rules),
      "metrics reader rules %s" % rules)
# least privilege: no wildcard, no secrets, nothing destructive
for name in ("flinkhpa-adapter",):
    for r in by[("ClusterRole", name)]["rules"] + by[("Role", "flinkhpa-adapter-leader-election")]["rules"]:
        check("*" not in r["verbs"] + r["resources"] + r["apiGroups"], "wildcard in %s" % r)
        check("secrets" not in r["resources"], "secrets in %s" % r)
        check(not set(r["verbs"]) & {"delete", "deletecollection", "escalate", "bind", "impersonate"}, "verbs %s" % r)
d = by[("Deployment", "flinkhpa-adapter")]
spec = d["spec"]["template"]["spec"]
c = spec["containers"][0]
check(d["spec"]["replicas"] == 2, "replicas")
check(spec["serviceAccountName"] == "flinkhpa-adapter", "serviceAccountName")
# the image make image builds, tagged with the VERSION --version prints
check(c["image"] == "flinkhpa-adapter:" + open("VERSION").read().strip(), "image %s (kustomize images:)" % c["image"])
check(spec["securityContext"].get("runAsNonRoot") is True, "runAsNonRoot")
check(spec["securityContext"].get("seccompProfile") == {"type": "RuntimeDefault"}, "seccompProfile")
sc = c["securityContext"]
check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
      and sc.get("capabilities") == {"drop": ["ALL"]}, "container securityContext %s" % sc)
check(c["ports"] == [{"name": "https", "containerPort": 6443}], "ports %s" % c["ports"])
for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
    g = c.get(probe, {}).get("httpGet", {})
    check((g.get("path"), g.get("port"), g.get("scheme")) == (path, "https", "HTTPS"), "%s %s" % (probe, g))
res = c.get("resources", {})
check({"cpu", "memory"} <= set(res.get("requests", {})) and "memory" in res.get("limits", {}), "resources %s" % res)
aa = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
check(aa["topologyKey"] == "kubernetes.io/hostname"
      and aa["labelSelector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items(),
      "podAntiAffinity %s" % aa)
pdb = by[("PodDisruptionBudget", "flinkhpa-adapter")]["spec"]
check(pdb["minAvailable"] == 1 and pdb["selector"] == d["spec"]["selector"], "PDB %s" % pdb)
svc = by[("Service", "flinkhpa-adapter")]["spec"]
check(svc["ports"] == [{"name": "https", "port": 443, "targetPort": "https"}], "Service ports %s" % svc["ports"])
check(svc["selector"].items() <= d["spec"]["template"]["metadata"]["labels"].items(), "Service selector")
prio = {}
for n in ("v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io"):
    a = by[("APIService", n)]["spec"]
    check(n == "%s.%s" % (a["version"], a["group"]), "APIService %s is %s.%s" % (n, a["version"], a["group"]))
    check(a["service"] == {"name": "flinkhpa-adapter", "namespace": "flinkhpa-system", "port": 443}, "%s service" % n)
    check(a.get("insecureSkipTLSVerify") is True and "caBundle" not in a, "%s: base skips verification" % n)
    prio[n] = (a["groupPriorityMinimum"], a["versionPriority"])
    b = ca[("APIService", n)]["spec"]
    check(b.get("insecureSkipTLSVerify") in (None, False) and base64.b64decode(b["caBundle"], validate=True),
          "%s: the overlay verifies with a caBundle" % n)
check(prio["v1beta2.custom.metrics.k8s.io"][1] > prio["v1beta1.custom.metrics.k8s.io"][1], "v1beta2 preferred %s" % prio)
check(len({p[0] for p in prio.values()}) == 1, "groupPriorityMinimum %s" % prio)
# the overlay: the certificate from the Secret, the base's flags kept
cd = ca[("Deployment", "flinkhpa-adapter")]["spec"]["template"]["spec"]
cc = cd["containers"][0]
vols = {v["name"]: v for v in cd.get("volumes", [])}
mounts = [m for m in cc.get("volumeMounts", []) if vols.get(m["name"], {}).get("secret", {}).get("secretName") == "flinkhpa-adapter-tls"]
check(len(mounts) == 1 and mounts[0].get("readOnly") is True, "Secret flinkhpa-adapter-tls mounted read-only: %s" % cc.get("volumeMounts"))
args = dict(a[2:].split("=", 1) for a in cc["args"] if "=" in a)
for flag, key in (("tls-cert-file", "tls.crt"), ("tls-private-key-file", "tls.key")):
    check(mounts and args.get(flag) == mounts[0]["mountPath"].rstrip("/") + "/" + key, "--%s=%s" % (flag, args.get(flag)))
check(cc["args"][:len(c["args"])] == c["args"], "the overlay keeps the base's arguments: %s" % cc["args"])
check(not any(a.startswith("--tls-") for a in c["args"]), "the base has a certificate flag: %s" % c["args"])
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# 3. the Deployments' arguments are flags the adapter has
$FH_WRAP "$FH_BIN/flinkhpa-adapter" --help >"$FH_TMP/help" || bad "flinkhpa-adapter --help"
grep -q '^  --secure-port int$' "$FH_TMP/help" || bad "--help does not list its flags as expected"
for k in manifests/base manifests/overlays/ca-bundle; do
	kubectl kustomize "$k" | python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == "Deployment":
        for c in d["spec"]["template"]["spec"]["containers"]:
            for a in c.get("command", []) + c.get("args", []):
                print(a)' >"$FH_TMP/args"
	n=0
	while read -r arg; do
		case $arg in
		--*) flag=${arg%%=*} ;;
		*) bad "$k: argument $arg is not a --flag"; continue ;;
		esac
		grep -q -- "^  $flag " "$FH_TMP/help" || bad "$k: the adapter has no flag $flag"
		[ "$flag" = --insecure-demo ] && bad "$k: --insecure-demo in a cluster"
		n=$((n + 1))
	done <"$FH_TMP/args"
	[ $n -ge 1 ] || bad "$k: no arguments found"
	echo "flags: $k: $n"
done

# 4. the validator catches mistakes, each with the field's path, exit 1
# (the validator command, "$V" by default, is split into words on purpose)
# shellcheck disable=SC2048
rejects() { # FILE EXACT-LINE [validator...]
	local f=$1 want=$2 rc
	shift 2
	${*:-$V} "$f" >"$FH_TMP/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || bad "$(basename "$f"): exit $rc, want 1: $(cat "$FH_TMP/out")"
	grep -qxF -- "$want" "$FH_TMP/out" || bad "$(basename "$f"): no line [$want] in: $(cat "$FH_TMP/out")"
}
# shellcheck disable=SC2048
accepts() { # FILE [validator...]
	local f=$1
	shift
	${*:-$V} "$f" >"$FH_TMP/out" 2>&1 || bad "$(basename "$f") rejected: $(cat "$FH_TMP/out")"
}
dep() { # FILE REPLICAS SELECTOR? CONTAINER-LINE?
	{
		printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, creationTimestamp: null}\nspec:\n'
		printf '  replicas: %s\n' "$2"
		[ -n "$3" ] && printf '  selector: {matchLabels: {a: b}}\n'
		printf '  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: i\n'
		printf '        ports: [{containerPort: 8080}]\n'
		[ -n "${4:-}" ] && printf '        %s\n' "$4"
	} >"$FH_TMP/$1"
}
D="document 1 (Deployment/x)"
dep good.yaml 2 y "resources: {requests: {cpu: 500m, memory: 1.5Gi}, limits: {cpu: 2, memory: 2e9}}"
accepts "$FH_TMP/good.yaml"
dep unknown-field.yaml 2 y "imagePullPolcy: Always"
rejects "$FH_TMP/unknown-field.yaml" "$FH_TMP/unknown-field.yaml: $D: spec.template.spec.containers[0].imagePullPolcy: unknown field \"imagePullPolcy\""
dep wrong-type.yaml two y
rejects "$FH_TMP/wrong-type.yaml" "$FH_TMP/wrong-type.yaml: $D: spec.replicas: 'two' is not of type 'integer'"
dep missing-required.yaml 2 ""
rejects "$FH_TMP/missing-required.yaml" "$FH_TMP/missing-required.yaml: $D: spec.selector: required field is missing"
dep missing-name.yaml 2 y
sed -i 's/^      - name: c$/      - name: null/' "$FH_TMP/missing-name.yaml" # null is absent
rejects "$FH_TMP/missing-name.yaml" "$FH_TMP/missing-name.yaml: $D: spec.template.spec.containers[0].name: required field is missing"
dep bad-quantity.yaml 2 y "resources: {requests: {cpu: 1.5.0}}"
rejects "$FH_TMP/bad-quantity.yaml" "$FH_TMP/bad-quantity.yaml: $D: spec.template.spec.containers[0].resources.requests.cpu: '1.5.0' is not a 'quantity'"
dep bad-quantity-suffix.yaml 2 y "resources: {limits: {memory: 2GB}}"
rejects "$FH_TMP/bad-quantity-suffix.yaml" "$FH_TMP/bad-quantity-suffix.yaml: $D: spec.template.spec.containers[0].resources.limits.memory: '2GB' is not a 'quantity'"
dep bad-bool.yaml 2 y "securityContext: {readOnlyRootFilesystem: \"yes\"}"
rejects "$FH_TMP/bad-bool.yaml" "$FH_TMP/bad-bool.yaml: $D: spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem: 'yes' is not of type 'boolean'"
dep top-level.yaml 2 y
echo 'replicas: 3' >>"$FH_TMP/top-level.yaml"
rejects "$FH_TMP/top-level.yaml" "$FH_TMP/top-level.yaml: $D: replicas: unknown field \"replicas\""
# int-or-string: a port number or name, nothing else
svc() { printf 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 443, targetPort: %s}]\n' "$2" >"$FH_TMP/$1"; }
svc port-number.yaml 6443
accepts "$FH_TMP/port-number.yaml"
svc port-name.yaml https
accepts "$FH_TMP/port-name.yaml"
svc port-float.yaml 1.5
rejects "$FH_TMP/port-float.yaml" "$FH_TMP/port-float.yaml: document 1 (Service/s): spec.ports[0].targetPort: 1.5 is not of type 'integer', 'string'"
printf 'apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.x.io}\nspec: {group: x.io, version: v1, groupPriorityMinimum: 1, versionPriority: 1, caBundle: "not base64!"}\n' \
	>"$FH_TMP/bad-base64.yaml"
rejects "$FH_TMP/bad-base64.yaml" "$FH_TMP/bad-base64.yaml: document 1 (APIService/v1.x.io): spec.caBundle: 'not base64!' is not a 'byte'"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n' >"$FH_TMP/unknown-kind.yaml"
rejects "$FH_TMP/unknown-kind.yaml" "$FH_TMP/unknown-kind.yaml: document 1 (Widget/w): (document): unknown kind example.com/v1 Widget"
: >"$FH_TMP/empty.yaml"
rejects "$FH_TMP/empty.yaml" "$FH_TMP/empty.yaml: no objects"
# several documents: the right one is named; standard input is "-"
{ cat "$FH_TMP/good.yaml"; echo ---; cat "$FH_TMP/port-float.yaml"; } >"$FH_TMP/multi.yaml"
rejects - "-: document 2 (Service/s): spec.ports[0].targetPort: 1.5 is not of type 'integer', 'string'" "$V" <"$FH_TMP/multi.yaml"
[ "$(wc -l <"$FH_TMP/out")" = 1 ] || bad "multi.yaml: $(cat "$FH_TMP/out")"

# 5. HorizontalPodAutoscalers: v2 as it is; v2beta2 (not in a 1.36 spec)
# only through --map, and then as strictly
hpa() { # FILE API-VERSION EXTRA-TARGET-LINE?
	cat >"$FH_TMP/$1" <<EOF
apiVersion: $2
kind: HorizontalPodAutoscaler
metadata: {name: h, namespace: flink}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: tm}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Pods
    pods:
      metric: {name: flink_tm_busy_ratio}
      target: {type: AverageValue, averageValue: 600m}
  - type: Object
    object:
      describedObject: {apiVersion: apps/v1, kind: Deployment, name: tm}
      metric: {name: flink_job_backlog}
      target: {type: Value, value: "10k"}
  - type: External
    external:
      metric: {name: flink_job_backlog, selector: {matchLabels: {job_name: orders}}}
      target:
        type: AverageValue
        averageValue: 1k
        ${3:-}
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 65}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 60
      policies: [{type: Pods, value: 1, periodSeconds: 30}]
    scaleUp: {selectPolicy: Max}
EOF
}
hpa hpa-v2.yaml autoscaling/v2
accepts "$FH_TMP/hpa-v2.yaml" "$V0"
[ -s "$FH_TMP/out" ] && bad "hpa-v2.yaml: the validator said: $(cat "$FH_TMP/out")"
hpa hpa-v2-bad.yaml autoscaling/v2 "averageUtilisation: 3"
rejects "$FH_TMP/hpa-v2-bad.yaml" "$FH_TMP/hpa-v2-bad.yaml: document 1 (HorizontalPodAutoscaler/h): spec.metrics[2].external.target.averageUtilisation: unknown field \"averageUtilisation\"" "$V0"
hpa hpa-v2beta2.yaml autoscaling/v2beta2
rejects "$FH_TMP/hpa-v2beta2.yaml" "$FH_TMP/hpa-v2beta2.yaml: document 1 (HorizontalPodAutoscaler/h): (document): unknown kind autoscaling/v2beta2 HorizontalPodAutoscaler" "$V0"
accepts "$FH_TMP/hpa-v2beta2.yaml"
grep -qxF "$FH_TMP/hpa-v2beta2.yaml: document 1 (HorizontalPodAutoscaler/h): autoscaling/v2beta2 is not in the spec, validated as autoscaling/v2" "$FH_TMP/out" ||
	bad "the mapping used is not said: $(cat "$FH_TMP/out")"
hpa hpa-v2beta2-bad.yaml autoscaling/v2beta2 "averageUtilisation: 3"
rejects "$FH_TMP/hpa-v2beta2-bad.yaml" "$FH_TMP/hpa-v2beta2-bad.yaml: document 1 (HorizontalPodAutoscaler/h): spec.metrics[2].external.target.averageUtilisation: unknown field \"averageUtilisation\""
$V0 --map autoscaling/v2beta2=autoscaling/v9 "$FH_TMP/hpa-v2.yaml" >"$FH_TMP/out" 2>&1
[ $? -eq 2 ] || bad "--map to a version the spec lacks: not a usage error: $(cat "$FH_TMP/out")"

if [ ${#failures[@]} -gt 0 ]; then
	echo "${#failures[@]} failure(s)"
	exit 1
fi
echo ok
