#!/usr/bin/env bash
# discovery.sh - the adapter finds TaskManager pods through a real
# kube-apiserver: a Deployment scaled by the real controllers, pods marked
# Running by the harness (there is no kubelet), values served per pod and
# per Deployment; pods that come and go follow within a scrape or two; pods
# without our label are ignored; the watch survives a kube-apiserver restart.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

cluster_up

tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
printf '%s\n' \
 'flink_taskmanager_job_task_busyTimeMsPerSecond{job_name="orders",subtask_index="0",} 650.0' \
 'flink_taskmanager_job_task_operator_pendingRecords{job_name="orders",subtask_index="0",} 1234.0' \
 >"$tm_dir/metrics"
start_page_server "$tm_dir"

kubectl create namespace flink >/dev/null || fail "create namespace"
tm_deployment 2 "$PAGE_PORT" 500m
kubectl apply -f - >/dev/null <<EOF || fail "apply"
apiVersion: apps/v1
kind: Deployment
metadata: {name: not-flink, namespace: flink}
spec:
  replicas: 1
  selector: {matchLabels: {app: other}}
  template:
    metadata:
      labels: {app: other}
    spec:
      containers: [{name: web, image: nginx}]
EOF
wait_running_pods flink 3

system_namespace # the sync controller's Lease
start_adapter --insecure-demo --kubeconfig "$KUBECONFIG" --scrape-interval 1s \
	--stale-after 3s -v 1
wait_ready "$ADAPTER_URL"
C=$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink

get "$C/pods/%2A/flink_tm_busy_ratio?labelSelector=app%3Dflink" 200
[ "$(grep -o '"kind":"Pod"' "$FH_TMP/body" | wc -l)" = 2 ] || fail "want 2 pods: $(cat "$FH_TMP/body")"
expect_body_has '"value":"650m"'
get "$C/pods/%2A/flink_tm_busy_ratio" 200
expect_body_lacks 'not-flink'
get "$C/deployments.apps/flink-taskmanager/flink_job_backlog" 200
expect_body_has '"value":"2468"'

# scale up: the new pod is scraped; the job's backlog follows
kubectl -n flink scale deployment flink-taskmanager --replicas=3 >/dev/null
wait_running_pods flink 4
wait_body "$C/deployments.apps/flink-taskmanager/flink_job_backlog" '"value":"3702"'

# kube-apiserver restarts: the watch comes back and follows changes again
api_pid=$(cat "$FLINKHPA_CLUSTER_DIR/apiserver.pid")
kill -9 "$api_pid" # a crash; a graceful stop waits a minute for watches
while kill -0 "$api_pid" 2>/dev/null; do sleep 0.2; done
"$FH_ROOT/hack/cluster-down.sh" >/dev/null # stops the rest; state is kept
cluster_up
kubectl -n flink scale deployment flink-taskmanager --replicas=1 >/dev/null
wait_running_pods flink 2
wait_body "$C/deployments.apps/flink-taskmanager/flink_job_backlog" '"value":"1234"'
get "$C/pods/%2A/flink_tm_busy_ratio?labelSelector=app%3Dflink" 200
[ "$(grep -o '"kind":"Pod"' "$FH_TMP/body" | wc -l)" = 1 ] || fail "want 1 pod: $(cat "$FH_TMP/body")"
grep -q 'discovery: .*retrying' "$FH_TMP/adapter.log" || fail "the outage was not logged"
stop_adapter
echo ok
