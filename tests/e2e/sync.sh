#!/usr/bin/env bash
# sync.sh - the parallelism sync controller on a real control plane, with
# two adapter replicas behind one Lease and two emulated Flink clusters:
#   adaptive   (resource requirements): scale 1 -> 3 -> 1 replicas, the job
#              follows (2 -> 6 -> 2), Rescaled events, the annotation;
#              an unknown mode is a Warning Event, once, and no rescale;
#   savepoint  (stop with savepoint, resubmit the jar): a failing savepoint
#              leaves the job RUNNING as it was and emits RescaleFailed;
#              the retry succeeds; then the leader is killed in the middle
#              of a savepoint and the other replica finishes the rescale
#              from the Deployment's annotation, with no second submission;
#              then 3 -> 1 replicas: the TaskManagers go at once, the job at
#              6 cannot run on 2 slots nor take a savepoint, and is cancelled
#              and resumed from its latest retained checkpoint at 2 (one
#              cancellation, every one with a checkpoint to resume from).
# Deployments and HPAs come from flinkhpa-gen; the HPAs are deleted so the
# test sets the replicas itself, as the HPA would.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

NSA=flink-adaptive
NSS=flink-savepoint
cluster_up
kubectl create namespace flinkhpa-system >/dev/null || fail "namespace"

start_emu A --taskmanagers 1 --slots 2 --restart-pause 2s --mode adaptive --parallelism 2 \
	--job-name orders-enrichment
start_emu S --taskmanagers 1 --slots 2 --restart-pause 2s --mode savepoint --parallelism 2 \
	--job-name clicks --savepoint-duration 4s \
	--checkpoint-interval 1s --checkpoint-retention RETAIN_ON_CANCELLATION
emu() { emu_state "$1" "$2"; }

cat >"$FH_TMP/policies.yaml" <<EOF
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: orders, namespace: $NSA}
spec:
  job: {name: orders-enrichment, slotsPerTaskManager: 2, parallelismMode: adaptive, jobManager: "$A_URL"}
  taskManager: {metricsPort: $A_MPORT}
  replicas: {min: 1, max: 5}
  rules: [{type: busyRatio, target: 0.6}]
---
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: clicks, namespace: $NSS}
spec:
  job:
    name: clicks
    slotsPerTaskManager: 2
    parallelismMode: savepoint
    savepointDirectory: file:///tmp/savepoints
    jobManager: "$S_URL"
  taskManager: {metricsPort: $S_MPORT}
  replicas: {min: 1, max: 5}
  rules: [{type: busyRatio, target: 0.6}]
EOF
$FH_WRAP "$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/out" \
	"$FH_TMP/policies.yaml" || fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/out" >/dev/null || fail "kubectl apply -k"
kubectl -n $NSA delete hpa orders >/dev/null && kubectl -n $NSS delete hpa clicks >/dev/null || fail "delete hpa"
start_kubelet $NSA "$A_URL"
start_kubelet $NSS "$S_URL"
wait_running_pods $NSA 1 kubelet
wait_running_pods $NSS 1 kubelet

# two replicas, one Lease
pki=$FLINKHPA_CLUSTER_DIR/pki
start_replica() {
	local port
	port=$(free_port)
	$FH_WRAP "$FH_BIN/flinkhpa-adapter" --secure-port "$port" --bind-address 127.0.0.1 \
		--kubeconfig "$KUBECONFIG" --tls-cert-file "$pki/adapter.crt" \
		--tls-private-key-file "$pki/adapter.key" --leader-elect-namespace flinkhpa-system \
		--leader-elect-identity "$1" --sync-period 500ms --sync-settle 2s \
		--sync-min-interval 5s --sync-timeout $((60 * FH_TIMEOUT_FACTOR))s >>"$FH_TMP/$1.log" 2>&1 &
	BB_PIDS+=($!)
	printf -v "PID_$1" '%s' $!
}
start_replica r1
start_replica r2
wait_until -s holder 30 "a leader" eval '[[ "$(holder)" == r[12] ]]'
leader=$(holder)
sleep 3
[ "$(grep -l 'leading as' "$FH_TMP"/r1.log "$FH_TMP"/r2.log | wc -l)" = 1 ] ||
	fail "both replicas lead: $(grep -h 'lease' "$FH_TMP"/r1.log "$FH_TMP"/r2.log)"
echo "leader: $leader"

WAIT_SHOW='tail -n 5 "$FH_TMP/$leader.log"'
annotation() { kubectl -n "$1" get deployment "$2" -o jsonpath="{.metadata.annotations.flinkhpa\.io/$3}"; }
events() { kubectl -n "$1" get events --field-selector "reason=$2" --no-headers 2>/dev/null | wc -l; }

# adaptive: 1 -> 3 -> 1
kubectl -n $NSA scale deployment orders-taskmanager --replicas 3 >/dev/null || fail "scale"
wait_until 60 "adaptive job at 6" is 6 emu "$A_URL" parallelism
wait_until 30 "annotation 6" is 6 annotation $NSA orders-taskmanager parallelism
wait_until 10 "Rescaled event" is 1 events $NSA Rescaled
grep -q 'Rescaled.*runs at parallelism 6 (was 2)' <<<"$(kubectl -n $NSA describe deployment orders-taskmanager)" ||
	fail "describe deployment shows no Rescaled event"
kubectl -n $NSA scale deployment orders-taskmanager --replicas 1 >/dev/null || fail "scale"
wait_until 60 "adaptive job back at 2" is 2 annotation $NSA orders-taskmanager parallelism
[ "$(emu "$A_URL" parallelism)" = 2 ] && [ "$(emu "$A_URL" state)" = RUNNING ] ||
	fail "adaptive job: $(curl -s "$A_URL/control")"
echo "adaptive: 2 -> 6 -> 2, $(emu "$A_URL" restarts) restarts"

# savepoint: a failed savepoint leaves the job running as it was
job0=$(emu "$S_URL" jobid)
curl -s -X PUT "$S_URL/control?savepoint-fails=1" >/dev/null
kubectl -n $NSS scale deployment clicks-taskmanager --replicas 2 >/dev/null || fail "scale"
wait_until 60 "RescaleFailed event" is 1 events $NSS RescaleFailed
[ "$(emu "$S_URL" state)" = RUNNING ] && [ "$(emu "$S_URL" jobid)" = "$job0" ] &&
	[ "$(emu "$S_URL" parallelism)" = 2 ] || fail "after a failed savepoint: $(curl -s "$S_URL/control")"
kubectl -n $NSS get events --field-selector reason=RescaleFailed -o jsonpath='{.items[0].message}' |
	grep -q 'savepoint failed.*keeps running at parallelism 2' || fail "RescaleFailed message"
# the retry, after the minimum interval, succeeds
wait_until 60 "savepoint job at 4" is 4 annotation $NSS clicks-taskmanager parallelism
[ "$(emu "$S_URL" parallelism)" = 4 ] && [ "$(emu "$S_URL" submissions)" = 1 ] ||
	fail "after the retry: $(curl -s "$S_URL/control")"
echo "savepoint: failed once, then 2 -> 4 from a savepoint"

# the leader dies while the savepoint is being taken
kubectl -n $NSS scale deployment clicks-taskmanager --replicas 3 >/dev/null || fail "scale"
wait_until 60 "savepoint under way" eval '[[ "$(annotation $NSS clicks-taskmanager rescale)" == *trigger=* ]]'
pid_var=PID_$leader
kill -9 "${!pid_var}"
echo "killed $leader during: $(annotation $NSS clicks-taskmanager rescale)"
other=r1
[ "$leader" = r1 ] && other=r2
wait_until -s holder 40 "$other to take over" is "$other" holder
leader=$other
wait_until 90 "savepoint job at 6 after the takeover" is 6 annotation $NSS clicks-taskmanager parallelism
[ "$(emu "$S_URL" parallelism)" = 6 ] && [ "$(emu "$S_URL" state)" = RUNNING ] ||
	fail "after the takeover: $(curl -s "$S_URL/control")"
[ "$(emu "$S_URL" submissions)" = 2 ] || fail "submissions: $(emu "$S_URL" submissions), want 2"
[ -z "$(annotation $NSS clicks-taskmanager rescale)" ] || fail "rescale annotation left behind"
grep -q 'continuing the rescale' "$FH_TMP/$leader.log" || fail "$leader did not continue the rescale"
[ "$(events $NSS Rescaled)" = 2 ] || fail "Rescaled events: $(events $NSS Rescaled), want 2"
echo "takeover: $leader finished 4 -> 6, $(emu "$S_URL" submissions) submissions in all"

# scaling down: the TaskManagers go first, the job is stranded at 6 and
# resumed from its latest retained checkpoint at 2 (once it has one, newer
# than the savepoint it was restored from)
wait_until 30 "a checkpoint of the job at 6" eval '[ "$(emu "$S_URL" checkpoints)" -ge 1 ]'
kubectl -n $NSS scale deployment clicks-taskmanager --replicas 1 >/dev/null || fail "scale"
wait_until 30 "the job without its slots" is RESTARTING emu "$S_URL" state
wait_until 90 "savepoint job at 2 from a checkpoint" is 2 annotation $NSS clicks-taskmanager parallelism
[ "$(emu "$S_URL" parallelism)" = 2 ] && [ "$(emu "$S_URL" state)" = RUNNING ] &&
	[ "$(emu "$S_URL" cancels)" = 1 ] && [ "$(emu "$S_URL" cancels-lost)" = 0 ] &&
	[ "$(emu "$S_URL" submissions)" = 3 ] || fail "after the scale-down: $(curl -s "$S_URL/control")"
wait_until 10 "the third Rescaled event" is 3 events $NSS Rescaled
kubectl -n $NSS get events --field-selector reason=Rescaled -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' |
	grep -q 'runs at parallelism 2 (was 6): 1 TaskManagers x 2 slots, savepoint mode, in .* s; it could not run on the slots left, so it was cancelled and resumed from file:/tmp/flink-checkpoints/.*/chk-[0-9]*$' ||
	fail "Rescaled message: $(kubectl -n $NSS get events --field-selector reason=Rescaled -o jsonpath='{.items[*].message}')"
[ "$(events $NSS JobStranded)" = 0 ] || fail "a JobStranded event with a retained checkpoint"
echo "scale-down: 6 -> 2, cancelled and resumed from a retained checkpoint"

# a mode that is no mode: reported once (a Warning Event naming it), the job is left alone
kubectl -n $NSA annotate --overwrite deployment orders-taskmanager flinkhpa.io/parallelism-mode=bogus >/dev/null ||
	fail "annotate"
kubectl -n $NSA scale deployment orders-taskmanager --replicas 2 >/dev/null || fail "scale"
wait_for "RescaleFailed event for the unknown mode" 30 is 1 events $NSA RescaleFailed
kubectl -n $NSA get events --field-selector reason=RescaleFailed -o jsonpath='{.items[0].message}' |
	grep -q 'unknown flinkhpa.io/parallelism-mode "bogus"' || fail "unknown mode message"
sleep 3
[ "$(events $NSA RescaleFailed)" = 1 ] || fail "unknown mode reported $(events $NSA RescaleFailed) times"
[ "$(emu "$A_URL" parallelism)" = 2 ] || fail "a job with an unknown mode was rescaled: $(curl -s "$A_URL/control")"
echo "unknown mode: reported once, job left at 2"
echo ok
