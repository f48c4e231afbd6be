#!/usr/bin/env bash
# aggregation.sh - flinkhpa-adapter behind a real kube-apiserver's
# aggregation layer, with TLS and authentication on:
#   - the APIServices (Service of type ExternalName to localhost, CA bundle)
#     become Available;
#   - kubectl get --raw through the aggregator reaches the adapter, which
#     authenticates kube-apiserver's front-proxy certificate;
#   - a user without RBAC rights is denied by a real SubjectAccessReview
#     (403 from the adapter), and allowed once a ClusterRole is bound;
#   - an HPA (autoscaling/v2beta2, as this Kubernetes has) on a Pods metric
#     shows real values in TARGETS and the controller scales the Deployment.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

cluster_up
pki=$FLINKHPA_CLUSTER_DIR/pki

tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
printf '%s\n' \
 'flink_taskmanager_job_task_busyTimeMsPerSecond{job_name="orders",subtask_index="0",} 900.0' \
 'flink_taskmanager_job_task_operator_pendingRecords{job_name="orders",subtask_index="0",} 1234.0' \
 >"$tm_dir/metrics"
start_page_server "$tm_dir"

kubectl create namespace flink >/dev/null || fail "namespace"
tm_deployment 1 "$PAGE_PORT" 1
wait_running_pods flink 1

start_cluster_adapter --authorization-cache-ttl 1s -v 2
# outside a cluster the Lease lives in flinkhpa-system (the flag's
# default), not in the kubeconfig's namespace nor in "default"
wait_until -i 0.5 -s "grep lease '$FH_TMP/adapter.log'" 30 \
	"the Lease flinkhpa-system/flinkhpa-sync held by the adapter" eval '[ -n "$(holder)" ]'
grep -q 'leader election on Lease flinkhpa-system/flinkhpa-sync' "$FH_TMP/adapter.log" ||
	fail "the adapter names another Lease: $(grep -i lease "$FH_TMP/adapter.log")"
grep -q 'authentication: front-proxy CA set (allowed names: front-proxy-client), client CA set; authorization: SubjectAccessReview' \
	"$FH_TMP/adapter.log" || fail "CAs not read from extension-apiserver-authentication"

register_apiservices "$ADAPTER_PORT"

# through the aggregator, as an admin (system:masters)
raw=/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/*/flink_tm_busy_ratio
get_raw "$raw"
expect_body_has '"metric":{"name":"flink_tm_busy_ratio","selector":null}'
expect_body_has '"value":"900m"'
get_raw /apis/external.metrics.k8s.io/v1beta1/namespaces/flink/flink_job_backlog
expect_body_has '"value":"1234"'
grep -q "flink_tm_busy_ratio: user \"admin\" (front-proxy): allowed" "$FH_TMP/adapter.log" ||
	fail "the aggregator's front-proxy identity was not used"

# directly, as kube-apiserver's front proxy, for a user without rights
fp=(--cert "$pki/front-proxy-client.crt" --key "$pki/front-proxy-client.key")
url="$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/%2A/flink_tm_busy_ratio"
code=$(curl -sk -o "$FH_TMP/body" -w '%{http_code}' "${fp[@]}" -H 'X-Remote-User: alice' -H 'X-Remote-Group: dev' "$url")
[ "$code" = 403 ] || fail "alice without rights: $code"
expect_body_has 'User \"alice\" cannot get resource \"pods/flink_tm_busy_ratio\" in API group \"custom.metrics.k8s.io\" in the namespace \"flink\"'
kubectl create clusterrole metrics-reader --verb=get,list --resource='*.custom.metrics.k8s.io' >/dev/null || fail "clusterrole"
kubectl create clusterrolebinding alice-metrics --clusterrole=metrics-reader --user=alice >/dev/null || fail "binding"
wait_until -s "head -c 400 '$FH_TMP/body'" 20 "alice allowed after the binding" \
	is 200 curl -sk -o "$FH_TMP/body" -w '%{http_code}' "${fp[@]}" -H 'X-Remote-User: alice' "$url"
# the same headers without the front-proxy certificate are anonymous
code=$(curl -sk -o /dev/null -w '%{http_code}' -H 'X-Remote-User: alice' -H 'X-Remote-Group: system:masters' "$url")
[ "$code" = 403 ] || fail "spoofed headers: $code"

# the front-proxy CA rotates: kube-apiserver restarts with a new CA and
# client certificate; the adapter follows the ConfigMap without a restart
cp "$pki/front-proxy-client.crt" "$FH_TMP/old-fp.crt"
cp "$pki/front-proxy-client.key" "$FH_TMP/old-fp.key"
"$FH_ROOT/hack/cluster-down.sh" >/dev/null
rm -f "$pki"/front-proxy-ca.* "$pki"/front-proxy-client.*
cluster_up
wait_until -i 1 -s "kubectl get apiservice v1beta2.custom.metrics.k8s.io -o jsonpath='{.status.conditions}'" \
	60 "the adapter following the new front-proxy CA" \
	eval 'grep -q "extension-apiserver-authentication changed" "$FH_TMP/adapter.log" &&
		kubectl get --raw "$raw" >"$FH_TMP/body" 2>/dev/null'
expect_body_has '"value":"900m"'
# kube-apiserver keeps the old CA in the bundle beside the new one (so that
# clients survive the rotation); once an operator removes it, the adapter
# drops it too
cm_ca() { kubectl -n kube-system get configmap extension-apiserver-authentication -o jsonpath='{.data.requestheader-client-ca-file}'; }
[ "$(cm_ca | grep -c 'BEGIN CERTIFICATE')" = 2 ] || fail "expected the old and the new CA in the ConfigMap"
old_fp() {
	curl -sk -A e2e -o "$FH_TMP/body" -w '%{http_code}' --cert "$FH_TMP/old-fp.crt" --key "$FH_TMP/old-fp.key" \
		-H 'X-Remote-User: admin' -H 'X-Remote-Group: system:masters' "$url"
}
[ "$(old_fp)" = 200 ] || fail "the old front-proxy certificate should still work while its CA is listed"
kubectl -n kube-system get configmap extension-apiserver-authentication -o json |
	python3 -c 'import json,sys; cm=json.load(sys.stdin); cm["data"]["requestheader-client-ca-file"]=open(sys.argv[1]).read(); print(json.dumps(cm))' \
		"$pki/front-proxy-ca.crt" | kubectl apply -f - >/dev/null 2>&1 || fail "edit ConfigMap"
wait_until 30 "the removed CA no longer trusted" is 403 old_fp
kubectl get --raw "$raw" >/dev/null || fail "the aggregator lost access after the old CA was removed"
fp=(--cert "$pki/front-proxy-client.crt" --key "$pki/front-proxy-client.key")

# bearer tokens: a service account's token is reviewed (TokenReview) and
# then authorized; a made-up token is 401 Unauthorized
kubectl -n flink create serviceaccount reader >/dev/null || fail "serviceaccount"
wait_until 30 "a token for the service account" \
	eval 'secret=$(kubectl -n flink get serviceaccount reader -o jsonpath="{.secrets[0].name}") && [ -n "$secret" ]'
token=$(kubectl -n flink get secret "$secret" -o jsonpath='{.data.token}' | base64 -d)
code=$(curl -sk -A e2e -o "$FH_TMP/body" -w '%{http_code}' -H "Authorization: Bearer $token" "$url")
[ "$code" = 403 ] || fail "service account token: $code"
expect_body_has 'User \"system:serviceaccount:flink:reader\" cannot get resource'
code=$(curl -sk -A e2e -o "$FH_TMP/body" -w '%{http_code}' -H "Authorization: Bearer not-a-token" "$url")
[ "$code" = 401 ] || fail "bad token: $code"
expect_body_has '"message":"Unauthorized","reason":"Unauthorized","code":401'

# the real HPA controller reads the metric and scales
tm_hpa
wait_until -i 1 -s "kubectl -n flink describe hpa flink-taskmanager | tail -n 15" 90 "the HPA to scale" tm_scaled_up
targets=$(kubectl get hpa -A --no-headers | awk '{print $4}')
[[ "$targets" == 900m/500m* ]] || fail "kubectl get hpa -A TARGETS: $targets"
echo "kubectl get hpa -A:"
kubectl get hpa -A
stop_adapter
echo ok
