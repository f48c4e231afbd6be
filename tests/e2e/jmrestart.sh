#!/usr/bin/env bash
# jmrestart.sh - the parallelism sync controller survives a JobManager
# restart in the middle of a rescale, on a real control plane, in savepoint
# mode: the HPA's part (replicas 1 -> 2) starts a stop-with-savepoint, and
# while the savepoint is being taken the JobManager restarts (the
# emulator's /control?jobmanager-restart: REST down, then a leader
# election, then back with high availability: the job recovered at its old
# parallelism, the savepoint operation forgotten).  Then:
#   - the adapter never dies;
#   - the job is never left stopped without a resubmission, never
#     cancelled (the emulator's state, sampled all along);
#   - the lost savepoint is reported (RescaleFailed: the job keeps
#     running), the rescale is retried, and the job ends up RUNNING at
#     parallelism 4 (Rescaled, the annotation), with exactly one jar run.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

NS=flink-jm
cluster_up
kubectl create namespace flinkhpa-system >/dev/null || fail "namespace"

# the savepoint takes long enough for the restart to land in the middle
start_emu S --taskmanagers 1 --slots 2 --restart-pause 2s --mode savepoint --parallelism 2 \
	--job-name clicks --savepoint-duration $((10 * FH_TIMEOUT_FACTOR))s
S=$S_URL
mport=$S_MPORT
emu() { emu_state "$S" "$1"; }
job0=$(emu jobid)

cat >"$FH_TMP/policies.yaml" <<EOF
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: clicks, namespace: $NS}
spec:
  job:
    name: clicks
    slotsPerTaskManager: 2
    parallelismMode: savepoint
    savepointDirectory: file:///tmp/savepoints
    jobManager: "$S"
  taskManager: {metricsPort: $mport}
  replicas: {min: 1, max: 5}
  rules: [{type: busyRatio, target: 0.6}]
EOF
$FH_WRAP "$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/out" \
	"$FH_TMP/policies.yaml" || fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/out" >/dev/null || fail "kubectl apply -k"
kubectl -n $NS delete hpa clicks >/dev/null || fail "delete hpa"
start_kubelet $NS "$S"
wait_running_pods $NS 1 kubelet

pki=$FLINKHPA_CLUSTER_DIR/pki
port=$(free_port)
$FH_WRAP "$FH_BIN/flinkhpa-adapter" --secure-port "$port" --bind-address 127.0.0.1 \
	--kubeconfig "$KUBECONFIG" --tls-cert-file "$pki/adapter.crt" \
	--tls-private-key-file "$pki/adapter.key" --leader-elect-namespace flinkhpa-system \
	--leader-elect-identity r1 --sync-period 500ms --sync-settle 2s \
	--sync-min-interval 5s --sync-timeout $((60 * FH_TIMEOUT_FACTOR))s >"$FH_TMP/r1.log" 2>&1 &
ADAPTER=$!
BB_PIDS+=($ADAPTER)
wait_until -s holder 30 "r1 to lead" is r1 holder

# The emulator's state every 0.3 s, one line each: "state jJOBID
# parallelism submissions jobmanager" (gaps while /control is slow are
# harmless: the controller needs seconds for each step).
(
	while :; do
		{ curl -s --max-time 2 "$S/control"; echo; } | sed -n 's/.*"parallelism":\([0-9]*\),"state":"\([A-Z]*\)".*"jobid":"\([0-9a-f]*\)".*"submissions":\([0-9]*\),.*"jobmanager":"\([a-z]*\)".*/\2 j\3 \1 \4 \5/p'
		sleep 0.3
	done
) >"$FH_TMP/samples" &
BB_PIDS+=($!)

# every wait fails at once if the adapter dies, and shows its log and the
# emulator's state
WAIT_PID=$ADAPTER
WAIT_SHOW='tail -n 5 "$FH_TMP/r1.log"; curl -s "$S/control"'
annotation() { kubectl -n $NS get deployment clicks-taskmanager -o jsonpath="{.metadata.annotations.flinkhpa\.io/$1}"; }
events() { kubectl -n $NS get events --field-selector "reason=$1" --no-headers 2>/dev/null | wc -l; }

# the HPA's part: 2 replicas; the controller stops the job with a savepoint
kubectl -n $NS scale deployment clicks-taskmanager --replicas 2 >/dev/null || fail "scale"
wait_until 60 "savepoint under way" eval '[[ "$(annotation rescale)" == *trigger=* ]]'
[ "$(emu state)" = RUNNING ] || fail "the savepoint is not under way: $(curl -s "$S/control")"
echo "restarting the JobManager during: $(annotation rescale)"
curl -s -X PUT "$S/control?jobmanager-restart=$((6 * FH_TIMEOUT_FACTOR))" >/dev/null
sleep 1
[ "$(emu jobmanager)" = down ] || fail "the JobManager is not down: $(curl -s "$S/control")"
wait_until 30 "the JobManager back" is up emu jobmanager
# recovered as it was: the same job at parallelism 2, no jar run
[ "$(emu jobid)" = "$job0" ] && [ "$(emu parallelism)" = 2 ] && [ "$(emu submissions)" = 0 ] ||
	fail "after the restart: $(curl -s "$S/control")"

# the lost savepoint is reported, then the rescale is retried and succeeds
wait_until 90 "RescaleFailed event" eval '[ "$(events RescaleFailed)" -ge 1 ]'
msg=$(kubectl -n $NS get events --field-selector reason=RescaleFailed -o jsonpath='{.items[0].message}')
echo "RescaleFailed: $msg"
grep -q 'keeps running at parallelism 2' <<<"$msg" || fail "RescaleFailed message: $msg"
wait_until 120 "job at 4" is 4 annotation parallelism
[ "$(emu parallelism)" = 4 ] && [ "$(emu state)" = RUNNING ] && [ "$(emu submissions)" = 1 ] ||
	fail "after the retry: $(curl -s "$S/control")"
[ "$(emu jobid)" != "$job0" ] || fail "the job was not resubmitted"
[ -z "$(annotation rescale)" ] || fail "rescale annotation left behind: $(annotation rescale)"
wait_until 10 "Rescaled event" is 1 events Rescaled
grep -q 'Rescaled.*runs at parallelism 4 (was 2)' <<<"$(kubectl -n $NS describe deployment clicks-taskmanager)" ||
	fail "describe deployment shows no Rescaled event"
sleep 2
kill -0 $ADAPTER 2>/dev/null || fail "the adapter died: $(tail -n 20 "$FH_TMP/r1.log")"
[ "$(emu submissions)" = 1 ] || fail "submissions: $(emu submissions), want 1"

# the samples: never cancelled; stopped only until the one resubmission,
# and never with the JobManager up and nothing submitted for long
python3 - "$FH_TMP/samples" <<'PY' || fail "job states: $(uniq "$FH_TMP/samples" | tail -n 30)"
import sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 5]
assert len(rows) > 20, "too few samples: %d" % len(rows)
assert not any(r[0] in ("CANCELED", "FAILED") for r in rows), "cancelled or failed"
stopped = [i for i, r in enumerate(rows) if r[0] == "FINISHED" or r[1] == "j"]
for i in stopped:  # each stopped sample is followed by a resubmission
    assert any(int(r[3]) > int(rows[i][3]) and r[0] == "RUNNING" for r in rows[i:]), \
        "left stopped at sample %d: %s" % (i, rows[i])
assert rows[-1][:4] == ["RUNNING", rows[-1][1], "4", "1"], rows[-1]
print("%d samples, %d stopped (before the resubmission), states: %s"
      % (len(rows), len(stopped), " ".join(sorted({r[0] + "/" + r[4] for r in rows}))))
PY
echo "jobmanager restart: $(grep -c 'rescaling job .* from' "$FH_TMP/r1.log") rescales started, $(emu submissions) submission, $(emu restarts) restarts"
echo ok
