#!/usr/bin/env bash
# scenario.sh - the reference scenario on a real control plane, with the
# Flink emulator behind the pods (reactive mode: the job uses every slot,
# as Flink's reactive mode does): namespace realfuture-jobs-streampark-100000,
# one TaskManager of two slots and 1 CPU at first; CPU above 65%, 1 to 5
# replicas (the adapter's Flink-derived CPU: there is no metrics-server
# here), a short scale-down window, all written by flinkhpa-gen and applied
# with kubectl apply -k; the HPA is autoscaling/v2beta2, as this Kubernetes
# has.  The adapter reads the job from its JobManager too (parallelism and
# slots through the aggregation layer).  Calm, then a load spike (hack/load.sh): the real HPA controller
# scales the Deployment up, the emulated job restarts at the parallelism of
# the new slots; the load stops: after the window the HPA scales down and
# the job follows.  Finally flinkhpa-gen simulate replays what the HPA read
# and must make the same decisions (at one of the sync phases).
#
# The harness plays the kubelet: each new pod becomes Running with the
# lowest free emulator address 127.0.1.k, and the emulator runs one
# TaskManager per running pod.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

NS=realfuture-jobs-streampark-100000
cluster_up

start_emu E --taskmanagers 1 --slots 2 --input-rate 500 --slot-capacity 1000 --restart-pause 3s
export FLINKHPA_EMU=$E_URL
mport=$E_MPORT
emu() { emu_state "$FLINKHPA_EMU" "$1"; }

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
  - {type: cpu, utilization: 65, source: flink}
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
get_raw "/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NS/pods/*/flink_tm_cpu_utilization"
# the job as its JobManager reports it (the pods' flinkhpa.io/jobmanager
# annotation, written by flinkhpa-gen): 1 TaskManager x 2 slots
get_raw "/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NS/deployments.apps/flink-taskmanager/flink_job_parallelism"
grep -q '"value":"2"' "$FH_TMP/body" || fail "job parallelism from the JobManager: $(cat "$FH_TMP/body")"
get_raw "/apis/external.metrics.k8s.io/v1beta1/namespaces/$NS/flink_job_slots_total?labelSelector=job_name%3Dorders_enrichment"
grep -q '"value":"2"' "$FH_TMP/body" || fail "slots from the JobManager: $(cat "$FH_TMP/body")"

replicas() { kubectl -n "$NS" get deployment flink-taskmanager -o jsonpath='{.spec.replicas}'; }
targets() { kubectl get hpa -A --no-headers | awk '{print $4}'; }

# what the HPA reads, for flinkhpa-gen simulate to replay afterwards
sample_hpa_readings "$NS" flink_tm_cpu_utilization

# calm: 500 records/s on 2 slots of 1000: busy 0.25, about 24.5% of the
# TaskManager's CPU (a rate, so not to the milli-percent), one TaskManager
wait_until -i 1 -s targets 60 "calm TARGETS 2xxxxm/65" eval '[[ "$(targets)" =~ ^2[0-9]{4}m/65$ ]]'
echo "calm: $(kubectl get hpa -A --no-headers)"
[ "$(replicas)" = 1 ] || fail "scaled while calm"

# the spike: the HPA adds TaskManagers, the job follows the slots
"$FH_ROOT/hack/load.sh" start 5000 >/dev/null || fail "load.sh start"
hpa_state() { echo "replicas $(replicas), parallelism $(emu parallelism), $(kubectl -n "$NS" describe hpa | tail -n 8)"; }
wait_until -i 1 -s hpa_state 120 "a scale-up the job follows" \
	eval '[ "$(replicas)" -ge 3 ] && [ "$(emu parallelism)" -ge 6 ] && [ "$(emu state)" = RUNNING ]'
up=$(replicas)
echo "spike: $(kubectl get hpa -A --no-headers); job parallelism $(emu parallelism), restarts $(emu restarts)"
[ "$(emu restarts)" -ge 1 ] || fail "the job did not restart at the new parallelism"

# calm again: after the stabilization window the HPA scales down
"$FH_ROOT/hack/load.sh" stop >/dev/null || fail "load.sh stop"
calm_at=$SECONDS
scaled_down() {
	local n
	n=$(replicas)
	[ "$n" -lt "$up" ] && [ $((SECONDS - calm_at)) -lt 10 ] &&
		fail "scaled down before the stabilization window"
	[ "$n" = 1 ]
}
wait_until -i 1 -s hpa_state 150 "a scale-down to 1" scaled_down
wait_until -i 1 -s hpa_state 60 "the job to follow the scale-down" is 2 emu parallelism
echo "calm again after $((SECONDS - calm_at)) s: $(kubectl get hpa -A --no-headers); job parallelism $(emu parallelism)"
kubectl -n "$NS" describe hpa flink >"$FH_TMP/describe"
grep -q 'SuccessfulRescale.*pods metric flink_tm_cpu_utilization above target' "$FH_TMP/describe" ||
	fail "no SuccessfulRescale event naming our metric: $(tail -n 8 "$FH_TMP/describe")"
grep -q 'SuccessfulRescale.*All metrics below target' "$FH_TMP/describe" ||
	fail "no scale-down event: $(tail -n 8 "$FH_TMP/describe")"
stop_adapter

# flinkhpa-gen simulate on what this HPA read makes the same decisions
# (a few more syncs in the trace first: the simulation's syncs fall up to
# one period after the real ones)
sleep 15
real=$(real_rescales "$NS")
# the real HPA scaled up and back down: its decisions are a scale-up
# first and 1 last (an empty list would make the comparison below prove
# nothing)
read -ra decisions <<<"$real"
[ ${#decisions[@]} -ge 2 ] && [ "${decisions[0]}" -gt 1 ] && [ "${decisions[-1]}" = 1 ] ||
	fail "the real HPA's decisions (its SuccessfulRescale events): [$real], want a scale-up first and 1 last"
# the controller's own algorithm (before 1.21 it differs), at one of the
# sync phases
kcm=$(kcm_version)
same=$(replay_phases "$kcm" "$real")
[ -n "$same" ] || fail "the simulation differs from the real HPA ([$real]) at every phase: $(tr '\n' ' ' <"$FH_TMP/replay-$kcm")"
echo "real HPA: $real; simulated: $real ($kcm, syncs at phase $(echo $same | cut -d' ' -f1)s)"
echo ok
