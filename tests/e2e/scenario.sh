#!/usr/bin/env bash
# scenario.sh - the reference scenario on a real control plane, with the
# Flink emulator behind the pods (reactive mode: the job uses every slot,
# as Flink's reactive mode does): namespace realfuture-jobs-streampark-100000,
# one TaskManager of two slots at first; an HPA (autoscaling/v2beta2, as
# this Kubernetes has) on the busy ratio, min 1, max 5, with a short
# scale-down stabilization window, all written by flinkhpa-gen from a
# scaling policy and applied with kubectl apply -k.  Calm, then a load spike (hack/load.sh):
# the real HPA controller scales the Deployment up, the emulated job
# restarts at the parallelism of the new slots; the load stops: after the
# window the HPA scales down and the job follows.
#
# The harness plays the kubelet: each new pod becomes Running with the
# lowest free emulator address 127.0.1.k, and the emulator runs one
# TaskManager per running pod.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

NS=realfuture-jobs-streampark-100000
cluster_up

mport=$(free_port)
rport=$(free_port)
$FH_WRAP "$FH_BIN/flinkhpa-emu" --taskmanagers 1 --slots 2 --metrics-port "$mport" \
	--rest-port "$rport" --input-rate 500 --slot-capacity 1000 \
	--restart-pause 3s >"$FH_TMP/emu.log" 2>&1 &
BB_PIDS+=($!)
export FLINKHPA_EMU=http://127.0.0.1:$rport
deadline=$((SECONDS + 10 * FH_TIMEOUT_FACTOR))
until curl -s "$FLINKHPA_EMU/control" >/dev/null; do
	[ $SECONDS -lt $deadline ] || fail "emulator did not start"
	sleep 0.1
done
emu() { curl -s "$FLINKHPA_EMU/control" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# The platform's part: a scaling policy, flinkhpa-gen, kubectl apply -k.
cat >"$FH_TMP/policy.yaml" <<EOF
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: flink, namespace: $NS}
spec:
  job: {name: orders-enrichment, slotsPerTaskManager: 2, jobManager: "$FLINKHPA_EMU"}
  taskManager:
    metricsPort: $mport
    resources: {requests: {cpu: 1000m}, limits: {cpu: 1000m}}
  replicas: {min: 1, max: 5}
  rules:
  - {type: busyRatio, target: 0.6}
  behavior:
    scaleDown:
      stabilizationWindow: 20s
      policies: [{type: Percent, value: 100, period: 15s}]
EOF
$FH_WRAP "$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/out" \
	"$FH_TMP/policy.yaml" || fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/out" >"$FH_TMP/apply.log" 2>&1 || fail "kubectl apply -k: $(cat "$FH_TMP/apply.log")"
cat "$FH_TMP/apply.log"

start_kubelet "$NS" "$FLINKHPA_EMU"
wait_running_pods "$NS" 1 kubelet

start_cluster_adapter
register_apiservices "$ADAPTER_PORT"
get_raw "/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NS/pods/*/flink_tm_busy_ratio"

replicas() { kubectl -n "$NS" get deployment flink-taskmanager -o jsonpath='{.spec.replicas}'; }
targets() { kubectl get hpa -A --no-headers | awk '{print $4}'; }

# calm: 500 records/s on 2 slots of 1000: busy 0.25, one TaskManager
deadline=$((SECONDS + 60 * FH_TIMEOUT_FACTOR))
until [[ "$(targets)" == 250m/600m ]]; do
	[ $SECONDS -lt $deadline ] || fail "calm TARGETS: $(targets)"
	sleep 1
done
echo "calm: $(kubectl get hpa -A --no-headers)"
[ "$(replicas)" = 1 ] || fail "scaled while calm"

# the spike: the HPA adds TaskManagers, the job follows the slots
"$FH_ROOT/hack/load.sh" start 5000 >/dev/null || fail "load.sh start"
deadline=$((SECONDS + 120 * FH_TIMEOUT_FACTOR))
until [ "$(replicas)" -ge 3 ] && [ "$(emu parallelism)" -ge 6 ] && [ "$(emu state)" = RUNNING ]; do
	[ $SECONDS -lt $deadline ] || fail "no scale-up: replicas $(replicas), parallelism $(emu parallelism), $(kubectl -n "$NS" describe hpa | tail -n 8)"
	sleep 1
done
up=$(replicas)
echo "spike: $(kubectl get hpa -A --no-headers); job parallelism $(emu parallelism), restarts $(emu restarts)"
[ "$(emu restarts)" -ge 1 ] || fail "the job did not restart at the new parallelism"

# calm again: after the stabilization window the HPA scales down
"$FH_ROOT/hack/load.sh" stop >/dev/null || fail "load.sh stop"
calm_at=$SECONDS
deadline=$((SECONDS + 150 * FH_TIMEOUT_FACTOR))
until [ "$(replicas)" = 1 ]; do
	[ $SECONDS -lt $deadline ] || fail "no scale-down: replicas $(replicas), $(kubectl -n "$NS" describe hpa | tail -n 8)"
	[ "$(replicas)" -lt "$up" ] && [ $((SECONDS - calm_at)) -lt 10 ] &&
		fail "scaled down before the stabilization window"
	sleep 1
done
deadline=$((SECONDS + 60 * FH_TIMEOUT_FACTOR))
until [ "$(emu parallelism)" = 2 ]; do
	[ $SECONDS -lt $deadline ] || fail "the job did not follow the scale-down: $(emu parallelism)"
	sleep 1
done
echo "calm again after $((SECONDS - calm_at)) s: $(kubectl get hpa -A --no-headers); job parallelism $(emu parallelism)"
kubectl -n "$NS" describe hpa flink >"$FH_TMP/describe"
grep -q 'SuccessfulRescale.*pods metric flink_tm_busy_ratio above target' "$FH_TMP/describe" ||
	fail "no SuccessfulRescale event naming our metric: $(tail -n 8 "$FH_TMP/describe")"
grep -q 'SuccessfulRescale.*All metrics below target' "$FH_TMP/describe" ||
	fail "no scale-down event: $(tail -n 8 "$FH_TMP/describe")"
stop_adapter
echo ok
