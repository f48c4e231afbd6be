#!/usr/bin/env bash
# manifests.sh - manifests/ against a real kube-apiserver:
#   - the base with both metrics APIs (overlays/all-metrics; the base alone
#     has no APIService) is applied with kubectl apply --validate=strict
#     (the server's schema; an unknown field is refused, which the test
#     checks first), the ca-bundle overlay passes a server-side dry run;
#   - the RBAC, checked with a SubjectAccessReview per grant for the
#     adapter's ServiceAccount (what it needs, and nothing like secrets,
#     deletes or the scale subresource) and for the HPA controller's;
#   - the adapter itself, run with a token of its ServiceAccount and only the
#     base's RBAC, does its whole job: reads the front-proxy CA from
#     kube-system, discovers and scrapes the TaskManager pods, answers the
#     HPA controller's identity through SubjectAccessReviews (and denies a
#     user without rights), authenticates a bearer token through a
#     TokenReview, takes the Lease flinkhpa-sync in flinkhpa-system, and its
#     sync controller annotates the TaskManager Deployment and writes a
#     Rescaled Event when the replicas change; no request is forbidden.
# Kubernetes 1.20 has no policy/v1 (1.21 and later): the PodDisruptionBudget
# is not applied; a dry run as policy/v1beta1 (the same fields) checks it,
# and tests/blackbox/manifests.sh validates it as policy/v1 against v1.36.
# The Deployment's pods never run: there is no kubelet; the adapter runs
# here, outside the cluster, as that Deployment's ServiceAccount.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

cluster_up
pki=$FLINKHPA_CLUSTER_DIR/pki
M=$FH_ROOT/manifests
# without-pdb IN OUT-DIR: OUT-DIR/objects.yaml (all but the PDB) and
# OUT-DIR/pdb.yaml (the PDB as policy/v1beta1)
without_pdb() {
	mkdir -p "$2"
	python3 - "$1" "$2" <<'PY' || fail "split $1"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
assert len(pdbs) == 1 and pdbs[0]["apiVersion"] == "policy/v1", pdbs
pdbs[0]["apiVersion"] = "policy/v1beta1"
yaml.safe_dump_all([d for d in docs if d["kind"] != "PodDisruptionBudget"], open(sys.argv[2] + "/objects.yaml", "w"))
yaml.safe_dump_all(pdbs, open(sys.argv[2] + "/pdb.yaml", "w"))
PY
}
kubectl kustomize "$M/base" | grep -q '^kind: APIService$' && fail "the base registers an APIService"
kubectl kustomize "$M/overlays/all-metrics" >"$FH_TMP/base.yaml" || fail "kustomize all-metrics"
kubectl kustomize "$M/overlays/ca-bundle" >"$FH_TMP/ca.yaml" || fail "kustomize ca-bundle"
without_pdb "$FH_TMP/base.yaml" "$FH_TMP/base"
without_pdb "$FH_TMP/ca.yaml" "$FH_TMP/ca"

# 1. the server validates strictly: a misspelt field is refused
sed 's/^\(  *\)readOnlyRootFilesystem:/\1readOnlyRootFileSystem:/' "$FH_TMP/base/objects.yaml" >"$FH_TMP/typo.yaml"
grep -q readOnlyRootFileSystem "$FH_TMP/typo.yaml" || fail "no typo made"
kubectl apply --validate=strict --dry-run=server -f "$FH_TMP/typo.yaml" >"$FH_TMP/typo.log" 2>&1 &&
	fail "an unknown field was accepted: the apply below would prove nothing"
grep -q 'readOnlyRootFileSystem' "$FH_TMP/typo.log" || fail "typo refused for another reason: $(cat "$FH_TMP/typo.log")"

# 2. apply the base; dry-run the overlay and the PDB
kubectl apply --validate=strict -f "$FH_TMP/base/objects.yaml" >"$FH_TMP/apply.log" 2>&1 ||
	fail "apply the base: $(cat "$FH_TMP/apply.log")"
n=$(grep -c '^kind:' "$FH_TMP/base/objects.yaml")
[ "$n" -ge 15 ] && [ "$(grep -c ' created$' "$FH_TMP/apply.log")" = "$n" ] ||
	fail "not all $n objects created: $(cat "$FH_TMP/apply.log")"
kubectl apply --validate=strict --dry-run=server -f "$FH_TMP/base/pdb.yaml" >"$FH_TMP/pdb.log" 2>&1 ||
	fail "the PDB as policy/v1beta1: $(cat "$FH_TMP/pdb.log")"
kubectl apply --validate=strict --dry-run=server -f "$FH_TMP/ca/objects.yaml" >"$FH_TMP/ca.log" 2>&1 ||
	fail "the ca-bundle overlay: $(cat "$FH_TMP/ca.log")"
grep -q 'deployment.apps/flinkhpa-adapter configured (server dry run)' "$FH_TMP/ca.log" ||
	fail "the overlay does not change the Deployment: $(cat "$FH_TMP/ca.log")"
want=$(python3 -c 'import json, sys, yaml
d = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Deployment"][0]
print(json.dumps(d["spec"]["template"]["spec"]["containers"][0]["args"], separators=(",", ":")))' "$FH_TMP/base/objects.yaml")
got=$(kubectl -n flinkhpa-system get deployment flinkhpa-adapter -o jsonpath='{.spec.template.spec.containers[0].args}')
[[ "$got" == '["--'* ]] && [ "$got" = "$want" ] || fail "the Deployment's arguments as applied: $got, want $want"
for a in v1beta1.custom.metrics.k8s.io v1beta2.custom.metrics.k8s.io v1beta1.external.metrics.k8s.io; do
	[ "$(kubectl get apiservice "$a" -o jsonpath='{.spec.service.namespace}/{.spec.service.name}:{.spec.service.port}')" = \
		flinkhpa-system/flinkhpa-adapter:443 ] || fail "APIService $a"
done

# 3. the grants, as kube-apiserver's authorizer sees them: a
# SubjectAccessReview for each, with the groups a ServiceAccount has
# (kubectl auth can-i is not used: while the metrics APIServices are
# unavailable, as here, kubectl 1.32 cannot resolve
# pods.custom.metrics.k8s.io and answered "no" for the HPA controller where
# a SubjectAccessReview says allowed)
sa=system:serviceaccount:flinkhpa-system:flinkhpa-adapter
hpa=system:serviceaccount:kube-system:horizontal-pod-autoscaler
can() { # yes|no USER VERB [GROUP/]RESOURCE[/SUBRESOURCE] [NAMESPACE [NAME]]
	local want=$1 user=$2 verb=$3 res=$4 ns=${5:-} name=${6:-} group="" sub="" got ugroups
	case $res in */*/*) IFS=/ read -r group res sub <<<"$res" ;; */*) IFS=/ read -r group res <<<"$res" ;; esac
	ugroups='"system:authenticated"'
	[[ $user == system:serviceaccount:* ]] &&
		ugroups="\"system:serviceaccounts\",\"system:serviceaccounts:$(cut -d: -f3 <<<"$user")\",$ugroups"
	got=$(printf '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"%s","groups":[%s],"resourceAttributes":{"verb":"%s","group":"%s","resource":"%s","subresource":"%s","namespace":"%s","name":"%s"}}}' \
		"$user" "$ugroups" "$verb" "$group" "$res" "$sub" "$ns" "$name" |
		kubectl create -f - -o jsonpath='{.status.allowed}' 2>&1)
	case $got in true) got=yes ;; false) got=no ;; esac
	[ "$got" = "$want" ] || fail "$user $verb $group/$res${sub:+/$sub} ${ns:+in $ns} $name: [$got], want $want"
}
can yes $sa list pods
can yes $sa watch pods
can yes $sa get pods flink
can yes $sa list apps/deployments
can yes $sa watch apps/deployments
can yes $sa patch apps/deployments flink orders-taskmanager
can yes $sa create events flink
can yes $sa patch events flink
can yes $sa create events.k8s.io/events flink
can yes $sa create authentication.k8s.io/tokenreviews
can yes $sa create authorization.k8s.io/subjectaccessreviews
can yes $sa get configmaps kube-system extension-apiserver-authentication
can yes $sa watch configmaps kube-system extension-apiserver-authentication
can yes $sa create coordination.k8s.io/leases flinkhpa-system
can yes $sa get coordination.k8s.io/leases flinkhpa-system flinkhpa-sync
can yes $sa update coordination.k8s.io/leases flinkhpa-system flinkhpa-sync
can yes $sa patch coordination.k8s.io/leases flinkhpa-system flinkhpa-sync
# and no more: the adapter never deletes, never reads secrets or other
# ConfigMaps, only annotates Deployments (no scale subresource: the HPA
# scales), and touches no other Lease
can no $sa update coordination.k8s.io/leases flinkhpa-system other
can no $sa create coordination.k8s.io/leases flink
can no $sa delete pods flink
can no $sa delete apps/deployments flink
can no $sa create apps/deployments flink
can no $sa update apps/deployments flink
can no $sa update apps/deployments/scale flink
can no $sa patch apps/deployments/scale flink
can no $sa get secrets flink
can no $sa get secrets kube-system
can no $sa list secrets
can no $sa get configmaps kube-system kube-proxy
can no $sa list configmaps kube-system
can no $sa create pods flink
can no $sa get custom.metrics.k8s.io/pods flink
# the HPA controller reads both metrics APIs; watch only through the base's
# flinkhpa-metrics-reader (the bootstrap role has get and list)
can yes $hpa get custom.metrics.k8s.io/pods/flink_tm_busy_ratio flink '*'
can yes $hpa list custom.metrics.k8s.io/pods flink
can yes $hpa watch custom.metrics.k8s.io/pods flink
can yes $hpa get custom.metrics.k8s.io/deployments.apps/flink_job_backlog flink orders-taskmanager
can yes $hpa get custom.metrics.k8s.io/metrics flink flink_job_backlog
can yes $hpa list external.metrics.k8s.io/flink_job_backlog flink
can yes $hpa watch external.metrics.k8s.io/flink_job_backlog flink
can no system:serviceaccount:flink:default get custom.metrics.k8s.io/pods flink
can no system:serviceaccount:flink:default list external.metrics.k8s.io/flink_job_backlog flink
echo "RBAC: as granted"

# 4. the adapter as its ServiceAccount, with nothing but the base's RBAC
token_to() { # NAMESPACE SERVICEACCOUNT FILE: a bound token, or the legacy Secret's
	local t
	t=$(kubectl -n "$1" create token "$2" --duration=1h 2>/dev/null) ||
		t=$(kubectl -n "$1" get secret -o jsonpath="{.items[?(@.metadata.annotations.kubernetes\.io/service-account\.name==\"$2\")].data.token}" 2>/dev/null |
			base64 -d 2>/dev/null)
	[ -n "$t" ] && echo "$t" >"$3"
}
token() { # NAMESPACE SERVICEACCOUNT
	wait_until -i 1 30 "a token for $1/$2" token_to "$1" "$2" "$FH_TMP/token"
	cat "$FH_TMP/token"
}
sa_token=$(token flinkhpa-system flinkhpa-adapter)
server=$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')
cat >"$FH_TMP/sa.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$server", certificate-authority: $pki/ca.crt}
users:
- name: flinkhpa-adapter
  user: {token: "$sa_token"}
contexts:
- name: local
  context: {cluster: local, user: flinkhpa-adapter, namespace: flinkhpa-system}
current-context: local
EOF
[ "$(kubectl --kubeconfig "$FH_TMP/sa.kubeconfig" auth can-i get secrets -n flink 2>/dev/null)" = no ] ||
	fail "the token is not the ServiceAccount's"

# a Flink job (the emulator, adaptive mode) with its TaskManager Deployment
start_emu E --taskmanagers 1 --slots 2 --restart-pause 1s --mode adaptive --parallelism 2 \
	--job-name orders
EMU=$E_URL
mport=$E_MPORT
cat >"$FH_TMP/policy.yaml" <<EOF
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: orders, namespace: flink}
spec:
  job: {name: orders, slotsPerTaskManager: 2, parallelismMode: adaptive, jobManager: "$EMU"}
  taskManager: {metricsPort: $mport}
  replicas: {min: 1, max: 3}
  rules: [{type: busyRatio, target: 0.6}]
EOF
$FH_WRAP "$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/gen" "$FH_TMP/policy.yaml" ||
	fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/gen" >/dev/null || fail "apply the policy"
kubectl -n flink delete hpa orders >/dev/null || fail "delete the HPA (the test scales)"
start_kubelet flink "$EMU"
wait_running_pods flink 1 kubelet

start_adapter --kubeconfig "$FH_TMP/sa.kubeconfig" --tls-cert-file "$pki/adapter.crt" \
	--tls-private-key-file "$pki/adapter.key" --scrape-interval 1s --authorization-cache-ttl 1s \
	--leader-elect-identity as-sa --sync-period 500ms --sync-settle 2s --sync-min-interval 5s \
	--sync-timeout 60s -v 2
ADAPTER_URL=https://127.0.0.1:$ADAPTER_PORT
wait_ready "$ADAPTER_URL" # the TaskManager pods listed, watched and scraped
grep -q 'authentication: front-proxy CA set (allowed names: front-proxy-client)' "$FH_TMP/adapter.log" ||
	fail "the front-proxy CA was not read from kube-system/extension-apiserver-authentication"

# the HPA controller's identity through the front proxy: a SubjectAccessReview allows it
fp=(--cert "$pki/front-proxy-client.crt" --key "$pki/front-proxy-client.key")
url="$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/%2A/flink_tm_busy_ratio"
hpa_reads() {
	[ "$(curl -sk -o "$FH_TMP/body" -w '%{http_code}' "${fp[@]}" -H "X-Remote-User: $hpa" \
		-H 'X-Remote-Group: system:serviceaccounts' -H 'X-Remote-Group: system:serviceaccounts:kube-system' \
		-H 'Accept: application/json' "$url")" = 200 ] && grep -q '"orders-taskmanager-' "$FH_TMP/body"
}
wait_until -s "head -c 400 '$FH_TMP/body'" 30 "the HPA controller's request answered" hpa_reads
grep -q "user \"$hpa\" (front-proxy): allowed" "$FH_TMP/adapter.log" || fail "not allowed by a review"
# a user without rights: the review answers no
code=$(curl -sk -o "$FH_TMP/body" -w '%{http_code}' "${fp[@]}" -H 'X-Remote-User: mallory' "$url")
[ "$code" = 403 ] || fail "mallory: $code"
expect_body_has 'User \"mallory\" cannot get resource \"pods/flink_tm_busy_ratio\" in API group \"custom.metrics.k8s.io\" in the namespace \"flink\"'
# a bearer token: a TokenReview says whose it is
hpa_token=$(token kube-system horizontal-pod-autoscaler)
code=$(curl -sk -o "$FH_TMP/body" -w '%{http_code}' -H "Authorization: Bearer $hpa_token" \
	"$ADAPTER_URL/apis/external.metrics.k8s.io/v1beta1/namespaces/flink/flink_job_busy_ratio?labelSelector=job_name%3Dorders")
[ "$code" = 200 ] || fail "the HPA controller's bearer token: $code $(head -c 400 "$FH_TMP/body")"
grep -q "user \"$hpa\" (token): allowed" "$FH_TMP/adapter.log" || fail "the token was not reviewed"
echo "adapter as its ServiceAccount: discovery, front-proxy CA, SubjectAccessReviews, TokenReviews"

# leader election in its own namespace (from the kubeconfig's context, as
# in a pod), then the sync controller: Deployment annotated, Event written
wait_until -s 'echo "[$(holder)]"; grep lease "$FH_TMP/adapter.log"' 30 "the Lease flinkhpa-sync held by as-sa" \
	is as-sa holder
kubectl -n flink scale deployment orders-taskmanager --replicas 2 >/dev/null || fail "scale"
annotation() { kubectl -n flink get deployment orders-taskmanager -o jsonpath='{.metadata.annotations.flinkhpa\.io/parallelism}'; }
wait_until -s 'echo "annotation [$(annotation)]"; tail -n 5 "$FH_TMP/adapter.log"' 60 "a rescale to 4 and its Event" \
	eval '[ "$(annotation)" = 4 ] &&
		[ "$(kubectl -n flink get events --field-selector reason=Rescaled --no-headers 2>/dev/null | wc -l)" = 1 ]'
kubectl -n flink get events --field-selector reason=Rescaled -o jsonpath='{.items[0].source.component}' |
	grep -qx flinkhpa-sync || fail "the Event's source"
echo "sync controller: Lease, annotation, Event"

# nothing was refused along the way
grep -E 'HTTP 40[13]|forbidden|answered HTTP' "$FH_TMP/adapter.log" >"$FH_TMP/refused" &&
	fail "requests refused: $(head -n 5 "$FH_TMP/refused")"
echo ok
