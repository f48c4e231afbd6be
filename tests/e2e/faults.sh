#!/usr/bin/env bash
# faults.sh - the loop survives its faults, on a real control plane:
#   a TaskManager's metrics endpoint dies   its value goes stale and is no
#                                           longer served; the HPA holds
#   the adapter is killed and restarted     the HPA reads again within two
#                                           sync periods; nothing scaled
#   the control plane restarts              (etcd, kube-apiserver and
#                                           kube-controller-manager) the
#                                           adapter's watch and the sync
#                                           controller carry on: a scale-up
#                                           afterwards is discovered,
#                                           scraped and followed by the job
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

NS=flink-faults
cluster_up
start_emu E --taskmanagers 2 --slots 2 --input-rate 300 --slot-capacity 1000 --restart-pause 2s
EMU=$E_URL
mport=$E_MPORT
emu() { emu_state "$EMU" "$1"; }

# Each restart of the job (a TaskManager gone, back, or more) is followed
# by its catch-up: for a moment both TaskManagers read busy 1, and the HPA
# asks for 4.  The scale-up window holds that; but this kube-controller-
# manager (1.20) then takes the highest recommendation of the scale-down
# window at the next reading below target and scales UP to 4, "All metrics
# below target" (kubernetes#96671, fixed in 1.21; tests/e2e/stabilize.sh
# shows it).  That was this test's flake (issue #17).  This test is about
# faults, not that bug: a scale-down window of 0 s, the workaround the
# README gives for clusters before 1.21.
cat >"$FH_TMP/policy.yaml" <<EOF
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: flink, namespace: $NS}
spec:
  job: {name: orders-enrichment, slotsPerTaskManager: 2, jobManager: "$EMU"}
  taskManager: {metricsPort: $mport}
  replicas: {min: 2, max: 5}
  rules: [{type: busyRatio, target: 0.6}]
  behavior:
    scaleUp: {stabilizationWindow: 10s}
    scaleDown: {stabilizationWindow: 0s}
EOF
"$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/out" "$FH_TMP/policy.yaml" ||
	fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/out" >/dev/null || fail "apply -k"
start_kubelet $NS "$EMU"
adapter_flags=(--kubeconfig "$KUBECONFIG" --tls-cert-file "$FLINKHPA_CLUSTER_DIR/pki/adapter.crt"
	--tls-private-key-file "$FLINKHPA_CLUSTER_DIR/pki/adapter.key" --scrape-interval 1s
	--stale-after 3s --sync-settle 2s --sync-min-interval 2s --sync-period 500ms)
start_cluster_adapter "${adapter_flags[@]:8}"
register_apiservices "$ADAPTER_PORT"

replicas() { kubectl -n $NS get deployment flink-taskmanager -o jsonpath='{.spec.replicas}'; }
# Never more running pods than spec.replicas (the test never scales down,
# so spec.replicas read after the pods is at least what it was then): a
# sampler records each breach with the pods and ReplicaSets.  (Issue #17
# suspected this of the flake where the HPA saw 4 TaskManagers: it was the
# HPA's own scale-up, above.)
(
	while :; do
		pods=$(kubectl -n $NS get pods -o wide --no-headers 2>/dev/null)
		want=$(replicas 2>/dev/null)
		n=$(grep -c ' Running ' <<<"$pods")
		if [ -n "$want" ] && [ "$n" -gt "$want" ]; then
			{
				echo "== $(date +%T): $n running pods, spec.replicas $want"
				echo "$pods"
				kubectl -n $NS get replicasets -o wide
			} >>"$FH_TMP/overcount"
		fi
		sleep 1
	done
) &
BB_PIDS+=($!)
overcount() { [ ! -s "$FH_TMP/overcount" ] || fail "more running pods than spec.replicas: $(head -n 30 "$FH_TMP/overcount")"; }
targets() { kubectl -n $NS get hpa flink --no-headers 2>/dev/null | awk '{print $3}'; }
served() {
	kubectl get --raw "/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NS/pods/*/flink_tm_busy_ratio" 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' 2>/dev/null
}
# what a failure shows: the HPA's view, the pods (their phase, IP and
# deletion) and the ReplicaSets behind them
state() {
	[ ! -s "$FH_TMP/overcount" ] || { echo "more running pods than spec.replicas:"; head -n 30 "$FH_TMP/overcount"; }
	echo "replicas $(replicas), targets $(targets), served $(served), emulator $(emu taskmanagers) TaskManagers"
	kubectl -n $NS describe hpa flink | tail -n 5
	kubectl -n $NS get pods -o wide
	kubectl -n $NS get pods -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.status.podIP} deleted:{.metadata.deletionTimestamp} owner:{.metadata.ownerReferences[0].name}{"\n"}{end}'
	kubectl -n $NS get replicasets -o wide
	tail -n 5 "$FH_TMP/kubelet-$NS.log"
}
wait_until -i 1 -s state 90 "two TaskManagers with metrics" eval '[ "$(replicas)" = 2 ] && [ "$(served)" = 2 ] && [[ "$(targets)" == */600m ]] && [[ "$(targets)" != *unknown* ]]'
echo "running: $(kubectl get hpa -A --no-headers)"

# 1. a TaskManager's endpoint dies (its pod stays Running)
hold_kubelet $NS
curl -s -X PUT "$EMU/control?taskmanagers=1" >/dev/null
wait_until -i 1 -s state 20 "the dead TaskManager's value is still served" eval '[ "$(served)" = 1 ]'
for _ in $(seq 1 15); do
	[ "$(replicas)" = 2 ] || fail "scaled on partial data: $(state)"
	[[ "$(targets)" != *unknown* ]] || fail "no target with one TaskManager left: $(state)"
	sleep 1
done
kill -0 "$ADAPTER_PID" || fail "the adapter died"
release_kubelet $NS
overcount
wait_until -i 1 -s state 20 "the TaskManager's value back" eval '[ "$(served)" = 2 ]'
echo "dead endpoint: not served, HPA held at 2"

# 2. the adapter is killed and comes back on the same port
kill -9 "$ADAPTER_PID"
down_events() { kubectl -n $NS get events --field-selector reason=FailedGetPodsMetric -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep -c 'unable to handle the request'; }
wait_until -i 1 -s state 40 "the HPA noticed the adapter gone" eval '[ "$(down_events)" -ge 1 ]'
# a new load while the adapter is away: the HPA can only see it through
# the restarted adapter (900 records/s on 2 x 2 slots of 1000: 225m)
FLINKHPA_EMU=$EMU "$FH_ROOT/hack/load.sh" start 900 >/dev/null || fail "load"
back=$SECONDS
$FH_WRAP "$FH_BIN/flinkhpa-adapter" --secure-port "$ADAPTER_PORT" --bind-address 127.0.0.1 \
	"${adapter_flags[@]}" >"$FH_TMP/adapter2.log" 2>&1 &
ADAPTER_PID=$!
BB_PIDS+=($ADAPTER_PID)
wait_until -i 1 -s state 40 "the HPA reads again" eval '[ "$(targets)" = 225m/600m ]'
echo "adapter restart: the HPA reads again after $((SECONDS - back)) s"
[ "$(replicas)" = 2 ] || fail "scaled during the outage: $(state)"

# 3. the whole control plane restarts
"$FH_ROOT/hack/cluster-down.sh" >/dev/null
sleep 2
cluster_up
wait_until -i 1 -s state 60 "kube-apiserver back" eval "kubectl get --raw /readyz >/dev/null"
kill -0 "$ADAPTER_PID" || fail "the adapter died with kube-apiserver"
FLINKHPA_EMU=$EMU "$FH_ROOT/hack/load.sh" start 6000 >/dev/null || fail "load"
wait_until -i 1 -s state 120 "scale-up after the restart" eval '[ "$(replicas)" -ge 3 ] && [ "$(served)" -ge 3 ]'
wait_until -i 1 -s state 60 "the job follows after the restart" eval '[ "$(emu parallelism)" -ge 6 ]'
wait_until -i 1 -s state 60 "a Rescaled event after the restart" eval 'grep -q "runs at parallelism" <<<"$(kubectl -n $NS get events --field-selector reason=Rescaled --no-headers 2>/dev/null)"'
echo "control plane restart: scaled to $(replicas), $(served) TaskManagers served, job at $(emu parallelism)"
grep -q "discovery: .*retrying" "$FH_TMP/adapter2.log" || fail "the adapter did not see the restart"
FLINKHPA_EMU=$EMU "$FH_ROOT/hack/load.sh" stop >/dev/null
overcount
echo ok
