#!/usr/bin/env bash
# delegate.sh - flinkhpa installed in a cluster that already has another
# metrics adapter, on a real kube-apiserver and kube-controller-manager:
#   1. the other adapter (tests/tools/other_adapter.py: HTTPS, front-proxy
#      authentication, SubjectAccessReviews, as prometheus-adapter or KEDA
#      would do it) serves custom.metrics.k8s.io v1beta1/v1beta2 and
#      external.metrics.k8s.io v1beta1; an HPA scales on its external metric;
#   2. hack/check-apiservices.sh names the three group versions flinkhpa's
#      install would take from monitoring/prometheus-adapter and refuses;
#      with --force it lets the install go on;
#   3. flinkhpa, delegating both groups to the other adapter with a
#      front-proxy client certificate of its own, now serves all three
#      APIServices: at the same time an HPA scales on the other adapter's
#      external metric, one on its custom Object metric (a Service), and
#      one on flinkhpa's own Pods metric; the other adapter saw the HPA
#      controller's own identity (its SubjectAccessReviews judged it) and
#      answered it in protobuf; discovery lists both adapters' metrics;
#   4. the other adapter killed: flinkhpa's HPA keeps scaling (down), the
#      other's HPAs hold their replicas with ScalingActive False, and their
#      metrics give a 503 Status through the aggregator.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

cluster_up
pki=$FLINKHPA_CLUSTER_DIR/pki
ca=$(base64 -w0 "$pki/ca.crt")
api=$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')

# flinkhpa's own front-proxy client certificate (CN flinkhpa-delegate),
# signed by the requestheader CA as an administrator would sign it
openssl req -newkey rsa:2048 -nodes -subj /CN=flinkhpa-delegate -keyout "$FH_TMP/fp.key" \
	-out "$FH_TMP/fp.csr" 2>/dev/null || fail "csr"
openssl x509 -req -in "$FH_TMP/fp.csr" -CA "$pki/front-proxy-ca.crt" -CAkey "$pki/front-proxy-ca.key" \
	-CAcreateserial -days 1 -out "$FH_TMP/fp.crt" -extfile <(printf '%s\n' \
	'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
	'extendedKeyUsage=clientAuth') 2>/dev/null || fail "sign the front-proxy client certificate"

# the other adapter's serving certificate: kube-apiserver checks it against
# prometheus-adapter.monitoring.svc, flinkhpa against localhost
openssl req -newkey rsa:2048 -nodes -subj /CN=prometheus-adapter -keyout "$FH_TMP/other.key" \
	-out "$FH_TMP/other.csr" 2>/dev/null || fail "csr"
openssl x509 -req -in "$FH_TMP/other.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
	-CAcreateserial -days 1 -out "$FH_TMP/other.crt" -extfile <(printf '%s\n' \
	'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
	'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:prometheus-adapter.monitoring.svc,DNS:localhost') \
	2>/dev/null || fail "sign the other adapter's certificate"

# ---- 1. the other adapter, installed first ----
state() { # QUEUE_DEPTH HTTP_REQUESTS
	printf '{"custom": {"web/services/frontend/http_requests": %s}, "external": {"web/queue_depth": %s}}\n' \
		"$2" "$1" >"$FH_TMP/state.json.new"
	mv "$FH_TMP/state.json.new" "$FH_TMP/state.json"
}
state 5 1
OPORT=$(free_port)
python3 "$FH_ROOT/tests/tools/other_adapter.py" --port "$OPORT" --state "$FH_TMP/state.json" \
	--log "$FH_TMP/other.log" --tls-cert "$FH_TMP/other.crt" --tls-key "$FH_TMP/other.key" \
	--requestheader-ca "$pki/front-proxy-ca.crt" --allowed-names front-proxy-client,flinkhpa-delegate \
	--kube-server "$api" --kube-ca "$pki/ca.crt" --kube-cert "$pki/admin.crt" --kube-key "$pki/admin.key" \
	>"$FH_TMP/other.out" 2>&1 &
OTHER_PID=$!
BB_PIDS+=("$OTHER_PID")
# other_apiservice GROUP VERSION VERSION_PRIORITY: an APIService of the
# other adapter (the Service below, its certificate's CA)
other_apiservice() {
	cat <<EOF
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: $2.$1}
spec: {group: $1, version: $2, groupPriorityMinimum: 100, versionPriority: $3,
  service: {namespace: monitoring, name: prometheus-adapter, port: $OPORT}, caBundle: $ca}
EOF
}
kubectl apply -f - >/dev/null <<EOF || fail "the other adapter's objects"
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: v1
kind: Service
metadata: {name: prometheus-adapter, namespace: monitoring}
spec: {type: ExternalName, externalName: localhost, ports: [{name: https, port: $OPORT}]}
---
# the HPA controller reads its metrics (as KEDA's keda-external-metrics-reader
# and prometheus-adapter's hpa-controller-custom-metrics grant)
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: other-metrics-reader}
rules: [{apiGroups: [custom.metrics.k8s.io, external.metrics.k8s.io], resources: ["*"], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: other-metrics-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: other-metrics-reader}
subjects: [{kind: ServiceAccount, name: horizontal-pod-autoscaler, namespace: kube-system}]
$(other_apiservice custom.metrics.k8s.io v1beta1 100)
$(other_apiservice custom.metrics.k8s.io v1beta2 200)
$(other_apiservice external.metrics.k8s.io v1beta1 100)
EOF
available() { kubectl get apiservice "$1" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}'; }
served_by() { kubectl get apiservice "$1" -o jsonpath='{.spec.service.namespace}/{.spec.service.name}'; }
APIS="v1beta1.custom.metrics.k8s.io v1beta2.custom.metrics.k8s.io v1beta1.external.metrics.k8s.io"
deadline=$((SECONDS + 60 * FH_TIMEOUT_FACTOR))
for a in $APIS; do
	until [ "$(available "$a")" = True ]; do
		[ $SECONDS -lt $deadline ] || fail "the other adapter's $a: $(kubectl get apiservice "$a" -o jsonpath='{.status.conditions}') $(cat "$FH_TMP/other.out")"
		sleep 1
	done
done

# workloads: web (external queue_depth, AverageValue 10 per pod), api
# (custom Object metric http_requests of Service frontend, 2 per pod), and
# a Flink TaskManager Deployment on flinkhpa's Pods metric; a kubelet marks
# every new pod Running and Ready at 127.0.0.1 (the TaskManager page)
tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
page() { # BUSY_MS_PER_SECOND
	printf 'flink_taskmanager_job_task_busyTimeMsPerSecond{job_name="orders",subtask_index="0",} %s\n' "$1" \
		>"$tm_dir/metrics.new"
	mv "$tm_dir/metrics.new" "$tm_dir/metrics"
}
page 300
start_page_server "$tm_dir"
kubectl create namespace web >/dev/null || fail "namespace web"
kubectl create namespace flink >/dev/null || fail "namespace flink"
tm_deployment 1 "$PAGE_PORT" 1
for d in web api; do
	kubectl -n web create deployment "$d" --image=nginx --replicas=1 >/dev/null || fail "deployment $d"
done
kubectl -n web create service clusterip frontend --tcp=80:80 >/dev/null || fail "service frontend"
(
	while :; do
		mark_pods_running web
		mark_pods_running flink
		sleep 1
	done
) >/dev/null 2>&1 &
BB_PIDS+=($!)
kubectl apply -f - >/dev/null <<EOF || fail "HPAs"
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 8
  metrics:
  - type: External
    external:
      metric: {name: queue_depth, selector: {matchLabels: {queue: orders}}}
      target: {type: AverageValue, averageValue: "10"}
---
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 8
  metrics:
  - type: Object
    object:
      describedObject: {apiVersion: v1, kind: Service, name: frontend}
      metric: {name: http_requests}
      target: {type: AverageValue, averageValue: "2"}
---
$(tm_hpa_yaml fast-down)
EOF
replicas() { kubectl -n "$1" get deployment "$2" -o jsonpath='{.spec.replicas}'; }
# the HPA as autoscaling/v2beta2 (v1 keeps metrics and conditions in
# annotations): hpa_metrics NS NAME (currentMetrics, compact JSON),
# hpa_cond NS NAME TYPE FIELD
hpa_json() { kubectl get --raw "/apis/autoscaling/v2beta2/namespaces/$1/horizontalpodautoscalers/$2"; }
hpa_metrics() {
	hpa_json "$1" "$2" | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["status"].get("currentMetrics"), separators=(",", ":")))'
}
hpa_cond() {
	hpa_json "$1" "$2" | python3 -c 'import json, sys
for c in json.load(sys.stdin)["status"].get("conditions") or []:
    if c["type"] == sys.argv[1]:
        print(c[sys.argv[2]])' "$3" "$4"
}
hpa_state() { kubectl -n "$1" describe hpa "$2" | tail -n 12; }
wait_replicas() { # NS DEPLOYMENT WANT SECONDS
	local deadline=$((SECONDS + $4 * FH_TIMEOUT_FACTOR))
	until [ "$(replicas "$1" "$2")" = "$3" ]; do
		[ $SECONDS -lt $deadline ] || fail "$1/$2: $(replicas "$1" "$2") replicas, want $3: $(hpa_state "$1" "$2")"
		sleep 1
	done
}
# queue_depth 5 (under one pod's 10), http_requests 1 (under 2): the other
# adapter alone; web holds 1 replica with a value read, api too
deadline=$((SECONDS + 60 * FH_TIMEOUT_FACTOR))
until hpa_metrics web web | grep -q '"averageValue":"5"'; do
	[ $SECONDS -lt $deadline ] || fail "web's HPA reads no value from the other adapter: $(hpa_metrics web web) $(hpa_state web web)"
	sleep 1
done
echo "the other adapter alone:"
kubectl get hpa -A

# ---- 2. the pre-install check ----
start_cluster_adapter --authorization-cache-ttl 1s -v 2 \
	--delegate-custom-metrics "https://localhost:$OPORT" --delegate-external-metrics "https://localhost:$OPORT" \
	--delegate-ca-file "$pki/ca.crt" --delegate-client-cert-file "$FH_TMP/fp.crt" \
	--delegate-client-key-file "$FH_TMP/fp.key" --delegate-timeout 3s --delegate-discovery-interval 2s
mkdir -p "$FH_TMP/install"
cat >"$FH_TMP/install/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $(realpath --relative-to="$FH_TMP/install" "$FH_ROOT/manifests/overlays/local")
patches:
- target: {kind: APIService}
  patch: |-
    - {op: replace, path: /spec/service/port, value: $ADAPTER_PORT}
    - {op: replace, path: /spec/caBundle, value: $ca}
- target: {kind: Service, name: flinkhpa-adapter}
  patch: |-
    - {op: replace, path: /spec/ports/0/port, value: $ADAPTER_PORT}
EOF
"$FH_ROOT/hack/check-apiservices.sh" "$FH_TMP/install" >"$FH_TMP/check.out" 2>"$FH_TMP/check.err"
rc=$?
cat "$FH_TMP/check.out"
[ $rc = 1 ] || fail "the check did not refuse (exit $rc): $(cat "$FH_TMP/check.out" "$FH_TMP/check.err")"
for a in $APIS; do
	grep -qx "$a: served by monitoring/prometheus-adapter (Available=True): would be TAKEN OVER by flinkhpa-system/flinkhpa-adapter" \
		"$FH_TMP/check.out" || fail "the check does not name $a and who serves it: $(cat "$FH_TMP/check.out")"
done
grep -q '^refusing: ' "$FH_TMP/check.err" || fail "no refusal: $(cat "$FH_TMP/check.err")"
for a in $APIS; do
	[ "$(served_by "$a")" = monitoring/prometheus-adapter ] || fail "the check changed $a"
done
"$FH_ROOT/hack/check-apiservices.sh" --force "$FH_TMP/install" >"$FH_TMP/check.out" 2>&1 ||
	fail "--force: $(cat "$FH_TMP/check.out")"
grep -q '^--force: .* will be taken over$' "$FH_TMP/check.out" || fail "--force: $(cat "$FH_TMP/check.out")"
echo "pre-install check: refused, then --force"

# ---- 3. flinkhpa with delegation, behind the same three APIServices ----
register_apiservices "$ADAPTER_PORT"
for a in $APIS; do
	[ "$(served_by "$a")" = flinkhpa-system/flinkhpa-adapter ] || fail "$a: $(served_by "$a")"
done
"$FH_ROOT/hack/check-apiservices.sh" "$FH_TMP/install" >"$FH_TMP/check.out" 2>&1 ||
	fail "the check after the install: $(cat "$FH_TMP/check.out")"
[ "$(grep -c ': already served by flinkhpa-system/flinkhpa-adapter$' "$FH_TMP/check.out")" = 3 ] ||
	fail "the check after the install: $(cat "$FH_TMP/check.out")"
get_raw /apis/custom.metrics.k8s.io/v1beta2
deadline=$((SECONDS + 30 * FH_TIMEOUT_FACTOR))
until grep -q '"services/http_requests"' "$FH_TMP/body"; do
	[ $SECONDS -lt $deadline ] || fail "discovery lacks the other's metric: $(cat "$FH_TMP/body")"
	sleep 1
	get_raw /apis/custom.metrics.k8s.io/v1beta2
done
expect_body_has '"pods/flink_tm_busy_ratio"'
get_raw /apis/external.metrics.k8s.io/v1beta1
expect_body_has '"name":"queue_depth"'
expect_body_has '"name":"flink_job_busy_ratio"'
echo "discovery through the aggregator: both adapters' metrics"

# all three scale at once: queue_depth 35 (4 pods of 10), http_requests 6
# (3 times 2, from 1 pod), Flink busy 900m (over 500m: up to the max, 3)
n0=$(wc -l <"$FH_TMP/other.log")
state 35 6
page 900
wait_replicas web web 4 120
wait_replicas web api 3 120
wait_replicas flink flink-taskmanager 3 120
echo "all three scaled:"
kubectl get hpa -A
tail -n +$((n0 + 1)) "$FH_TMP/other.log" >"$FH_TMP/other.new"
hpa=system:serviceaccount:kube-system:horizontal-pod-autoscaler
for p in /apis/external.metrics.k8s.io/v1beta1/namespaces/web/queue_depth \
	/apis/custom.metrics.k8s.io/v1beta2/namespaces/web/services/frontend/http_requests; do
	grep -F "\"path\": \"$p\"" "$FH_TMP/other.new" | grep -F "\"user\": \"$hpa\"" |
		grep -F '"how": "front-proxy flinkhpa-delegate"' | grep -F '"accept": "application/vnd.kubernetes.protobuf, */*"' |
		grep -F '"code": 200' >/dev/null || fail "the HPA controller's request for $p did not reach the other adapter as itself, in protobuf: $(grep -F "$p" "$FH_TMP/other.new" | tail -n 2)"
done
grep -F '"path": "/apis/external.metrics.k8s.io/v1beta1/namespaces/web/queue_depth"' "$FH_TMP/other.new" |
	grep -F '"query": "labelSelector=queue%3Dorders"' >/dev/null || fail "the selector was not passed on"
grep -q 'flink_tm_busy_ratio' "$FH_TMP/other.new" && fail "flinkhpa's own metric was forwarded"
grep -q 'allowed' "$FH_TMP/adapter.log" || fail "flinkhpa did not authorize"
echo "the other adapter saw the HPA controller ($hpa) through flinkhpa's front-proxy certificate, in protobuf"

# ---- 4. the other adapter dies ----
kill "$OTHER_PID"
wait "$OTHER_PID" 2>/dev/null
page 100 # busy 100m: Flink scales down to 1
wait_replicas flink flink-taskmanager 1 120
for h in web api; do
	deadline=$((SECONDS + 60 * FH_TIMEOUT_FACTOR))
	until [ "$(hpa_cond web "$h" ScalingActive status)" = False ]; do
		[ $SECONDS -lt $deadline ] || fail "$h: ScalingActive is not False: $(hpa_state web "$h")"
		sleep 1
	done
	hpa_cond web "$h" ScalingActive message >"$FH_TMP/cond"
	grep -q 'the metrics adapter flinkhpa delegates to is unavailable' "$FH_TMP/cond" ||
		fail "$h's condition does not say why: $(cat "$FH_TMP/cond")"
	echo "$h: ScalingActive False: $(cat "$FH_TMP/cond")"
done
[ "$(replicas web web)" = 4 ] && [ "$(replicas web api)" = 3 ] ||
	fail "the other's HPAs did not hold: web $(replicas web web), api $(replicas web api)"
kubectl get --raw /apis/external.metrics.k8s.io/v1beta1/namespaces/web/queue_depth >"$FH_TMP/body" 2>&1 &&
	fail "the dead adapter's metric answered"
expect_body_has 'the metrics adapter flinkhpa delegates to is unavailable'
for a in $APIS; do
	[ "$(available "$a")" = True ] || fail "$a is no longer Available"
done
get_raw "/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/*/flink_tm_busy_ratio"
expect_body_has '"value":"100m"'
echo "the other adapter dead: flinkhpa's HPA scaled down, the others hold:"
kubectl get hpa -A
stop_adapter
echo ok
