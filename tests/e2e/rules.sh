#!/usr/bin/env bash
# rules.sh - the scaling loop driven by each kind of rule, on a real control
# plane, all at once (one namespace and one emulated Flink cluster each):
#   backlog       Object flink_job_backlog, AverageValue per TaskManager
#   watermarkLag  Object flink_job_watermark_lag_seconds, Value
#   custom        Pods kafka_lag, a custom rule of the adapter's --config
#                 (Kafka's records-lag-max of the source readers)
#   cpu           Pods flink_tm_cpu_utilization (source: flink: the adapter's
#                 Flink-derived CPU, as there is no metrics-server here),
#                 next to a native Resource cpu rule, which is applied and
#                 shown by `kubectl get hpa -A` (<unknown> without a
#                 metrics-server)
# Each policy goes through flinkhpa-gen and kubectl apply -k; a load spike
# scales each Deployment up, and back to one after the load stops.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

KINDS="backlog wmlag custom cpu"
cluster_up

declare -A URL MPORT
for k in $KINDS; do
	start_emu E --taskmanagers 1 --slots 2 --input-rate 500 --slot-capacity 1000 \
		--restart-pause 2s --job-name "job-$k"
	URL[$k]=$E_URL
	MPORT[$k]=$E_MPORT
done

# policy NAME KIND RULE [EXTRA]
policy() {
	cat <<EOF
---
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: $1, namespace: flink-$2}
spec:
  job: {name: job-$2, slotsPerTaskManager: 2, jobManager: "${URL[$2]}"}
  taskManager:
    metricsPort: ${MPORT[$2]}
    resources: {requests: {cpu: 1000m}, limits: {cpu: 1000m}}
  replicas: {min: 1, max: 4}
  rules: [$3]
  behavior:
    scaleDown:
      stabilizationWindow: 15s
      policies: [{type: Percent, value: 100, period: 15s}]
EOF
}
{
	policy flink backlog "{type: backlog, perTaskManager: 2000}"
	policy flink wmlag "{type: watermarkLag, max: 3s}"
	policy flink custom "{type: custom, metric: kafka_lag, averageValue: 2k}"
	policy flink cpu "{type: cpu, utilization: 65, source: flink}"
	policy native cpu "{type: cpu, utilization: 65}"
} >"$FH_TMP/policies.yaml"
$FH_WRAP "$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/out" \
	"$FH_TMP/policies.yaml" || fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/out" >"$FH_TMP/apply.log" 2>&1 || fail "apply -k: $(cat "$FH_TMP/apply.log")"
for k in $KINDS; do
	start_kubelet "flink-$k" "${URL[$k]}"
done
for k in $KINDS; do
	wait_running_pods "flink-$k" "$([ $k = cpu ] && echo 2 || echo 1)" kubelet
done

cat >"$FH_TMP/config.yaml" <<'EOF'
apiVersion: flinkhpa.io/v1
kind: AdapterConfig
rules:
  - name: kafka_lag
    family: flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max
    aggregate: max
EOF
start_cluster_adapter --config "$FH_TMP/config.yaml"
register_apiservices "$ADAPTER_PORT"

replicas() { kubectl -n "flink-$1" get deployment flink-taskmanager -o jsonpath='{.spec.replicas}'; }
targets() { kubectl -n "flink-$1" get hpa flink --no-headers | awk '{print $3}'; }
hpa_state() { echo "TARGETS $(targets "$1"), replicas $(replicas "$1")"; kubectl -n "flink-$1" describe hpa flink | tail -n 8; }
for k in $KINDS; do
	wait_until -i 1 -s "hpa_state $k" 90 "$k: TARGETS known" eval '[[ "$(targets $k)" != *unknown* && -n "$(targets $k)" ]]'
	[ "$(replicas $k)" = 1 ] || fail "$k scaled while calm: $(kubectl -n flink-$k describe hpa flink | tail -n 6)"
done
echo "calm:"
kubectl get hpa -A
grep -q "flink-cpu .*native .*<unknown>/65%" <<<"$(kubectl get hpa -A --no-headers)" ||
	fail "the native cpu HPA is not shown"

for k in $KINDS; do
	FLINKHPA_EMU=${URL[$k]} "$FH_ROOT/hack/load.sh" start 6000 >/dev/null || fail "load $k"
done
for k in $KINDS; do
	wait_until -i 1 -s "hpa_state $k" 150 "$k to scale up" eval '[ "$(replicas $k)" -ge 2 ]'
done
echo "spike:"
kubectl get hpa -A
for k in $KINDS; do
	FLINKHPA_EMU=${URL[$k]} "$FH_ROOT/hack/load.sh" stop >/dev/null || fail "stop $k"
done
for k in $KINDS; do
	wait_until -i 1 -s "hpa_state $k" 240 "$k to scale down" is 1 replicas $k
done
echo "calm again:"
kubectl get hpa -A
# (Kubernetes 1.20 words Object metrics as "external metric NAME(nil)")
declare -A METRIC=([backlog]="metric flink_job_backlog[(nil)]*" [wmlag]="metric flink_job_watermark_lag_seconds[(nil)]*"
	[custom]="pods metric kafka_lag" [cpu]="pods metric flink_tm_cpu_utilization")
for k in $KINDS; do
	kubectl -n "flink-$k" describe hpa flink >"$FH_TMP/describe-$k"
	grep -q "SuccessfulRescale.*${METRIC[$k]} above target" "$FH_TMP/describe-$k" ||
		fail "$k: no scale-up event naming ${METRIC[$k]}: $(tail -n 8 "$FH_TMP/describe-$k")"
	grep -q "SuccessfulRescale.*All metrics below target" "$FH_TMP/describe-$k" ||
		fail "$k: no scale-down event"
done
stop_adapter
echo ok
