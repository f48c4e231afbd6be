#!/usr/bin/env bash
# chaos.sh - the loop under a seeded random schedule of faults, on a real
# control plane with the Flink emulator and two adapter replicas behind one
# Lease, while the load changes and the real HPA scales both ways.  The
# job's parallelism mode is FH_CHAOS_MODE: adaptive (the default in make
# test) or savepoint (stop with a savepoint and resubmit: the mode where a
# mistake loses a job; it adds the sp-fail fault).  In savepoint mode a
# scale-down removes TaskManagers first: the job cannot run on the slots
# left and cannot take a savepoint while it restarts, so the controller
# cancels it and resumes it from its latest retained checkpoint (the
# emulator keeps checkpoints on cancellation, RETAIN_ON_CANCELLATION; README,
# "The parallelism sync controller").
# Every fault kind is injected at least once:
#   tm-kill      a TaskManager's process dies, its pod stays Running
#   tm-hang      a TaskManager accepts connections and never answers
#   tm-malformed a TaskManager's page stops being the text format
#   jm-restart   the JobManager restarts (no answer, then 503 while electing)
#   jm-slow      every JobManager answer takes 3 s
#   leader-kill  the adapter holding the Lease is killed (-9), restarted later
#   cp-restart   etcd, kube-apiserver and kube-controller-manager restart
#   sp-fail      the next savepoint fails
# and kube-apiserver ends every watch after 10 to 20 s (--min-request-timeout)
# the whole time, so watches are cut all along.
# Checked all along, each a failure when broken:
#   - no metric older than --stale-after is served (through kube-apiserver);
#   - no job is cancelled without a completed savepoint or a retained
#     checkpoint to resume from: every CANCELED job the JobManager lists has,
#     at GET /jobs/ID/checkpoints, a latest.savepoint, or a latest.restored
#     that is a savepoint, or a latest.completed checkpoint not discarded
#     while /checkpoints/config says Flink keeps checkpoints on cancellation
#     (externalization enabled, not delete_on_cancellation); and the
#     emulator counts no cancellation
#     without one (cancels-lost, which also sees jobs a JobManager restart
#     forgot before the sampler looked);
#   - at most one job runs, and no job is submitted twice: no more
#     submissions than completed savepoints plus cancellations from a
#     retained checkpoint (cancels - cancels-lost);
#   - at most one controller acts: every action a replica logs falls in its
#     leadership and outside the other's;
#   - each calm period (no fault, steady load) ends with the job's
#     parallelism = replicas x slots within settle + timeout;
#   - each adapter's RSS stays flat; no adapter dies unasked (a sanitizer
#     report aborts it under make asan) and no log has a sanitizer report.
# FH_CHAOS_SECONDS (default 300) sets the length, FH_CHAOS_SEED the seed
# (printed first: a failure is replayed with it).  make chaos DURATION=1h.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

DURATION=${FH_CHAOS_SECONDS:-300}
case $DURATION in # 300, 300s, 5m, 1h
*h) DURATION=$((${DURATION%h} * 3600)) ;;
*m) DURATION=$((${DURATION%m} * 60)) ;;
*s) DURATION=${DURATION%s} ;;
esac
MODE=${FH_CHAOS_MODE:-adaptive}
SEED=${FH_CHAOS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
echo "chaos: seed $SEED, ${DURATION}s, $MODE mode (replay: FH_CHAOS_SEED=$SEED FH_CHAOS_SECONDS=$DURATION FH_CHAOS_MODE=$MODE)"
NS=flink-chaos
SLOTS=2
STALE=3
SETTLE=2
TIMEOUT=$((60 * FH_TIMEOUT_FACTOR))
VIOL=$FH_TMP/violations
: >"$VIOL"
export FLINKHPA_APISERVER_EXTRA="--min-request-timeout=10"
cluster_up
kubectl create namespace flinkhpa-system >/dev/null || fail "namespace"
start_emu E --taskmanagers 1 --slots $SLOTS --mode "$MODE" --parallelism 2 \
	--job-name orders --savepoint-duration 2s --restart-pause 2s \
	--input-rate 500 --slot-capacity 1000 \
	--checkpoint-interval 2s --checkpoint-retention RETAIN_ON_CANCELLATION
EMU=$E_URL
emu() { emu_state "$EMU" "$1"; }
control() { curl -s -X PUT "$EMU/control?$1" >/dev/null || fail "emulator control $1"; }

cat >"$FH_TMP/policy.yaml" <<EOF
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: orders, namespace: $NS}
spec:
  job:
    name: orders
    slotsPerTaskManager: $SLOTS
    parallelismMode: $MODE
    savepointDirectory: file:///tmp/savepoints
    jobManager: "$EMU"
  taskManager: {metricsPort: $E_MPORT}
  replicas: {min: 1, max: 4}
  rules: [{type: busyRatio, target: 0.6}]
  behavior: {scaleUp: {stabilizationWindow: 10s}, scaleDown: {stabilizationWindow: 20s}}
EOF
"$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/out" "$FH_TMP/policy.yaml" ||
	fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/out" >/dev/null || fail "apply -k"
start_kubelet $NS "$EMU"
wait_running_pods $NS 1 kubelet

# two replicas behind one Lease; r1's port is the APIServices'
pki=$FLINKHPA_CLUSTER_DIR/pki
declare -A PORT PID
PORT[r1]=$(free_port)
PORT[r2]=$(free_port)
start_replica() {
	$FH_WRAP "$FH_BIN/flinkhpa-adapter" --secure-port "${PORT[$1]}" --bind-address 127.0.0.1 \
		--kubeconfig "$KUBECONFIG" --tls-cert-file "$pki/adapter.crt" \
		--tls-private-key-file "$pki/adapter.key" --leader-elect-namespace flinkhpa-system \
		--leader-elect-identity "$1" --scrape-interval 1s --stale-after ${STALE}s \
		--sync-period 500ms --sync-settle ${SETTLE}s --sync-min-interval 5s \
		--sync-timeout ${TIMEOUT}s >>"$FH_TMP/$1.log" 2>&1 &
	BB_PIDS+=($!)
	PID[$1]=$!
	echo "${PID[$1]} $1" >>"$FH_TMP/pids"
}
start_replica r1
start_replica r2
ADAPTER_PID=${PID[r1]}
wait_ready "https://127.0.0.1:${PORT[r1]}"
register_apiservices "${PORT[r1]}"
wait_until -s holder 30 "a leader" eval '[[ "$(holder)" == r[12] ]]'

replicas() { kubectl -n $NS get deployment orders-taskmanager -o jsonpath='{.spec.replicas}' 2>/dev/null; }
state() {
	echo "replicas $(replicas); emulator: $(curl -s "$EMU/control")"
	kubectl -n $NS get hpa --no-headers 2>/dev/null
	tail -n 3 "$FH_TMP/r1.log" "$FH_TMP/r2.log"
}
WAIT_SHOW=state
now() { date +%s.%N; }
violation() { echo "$(date +%T) $*" | tr '\n' ' ' | sed 's/$/\n/' | tee -a "$VIOL"; }

# ---- the checkers, in the background until the end ----
# what kube-apiserver serves: every item's age at the request's start
check_served() {
	local t0 path
	for path in "/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NS/pods/*/flink_tm_busy_ratio" \
		"/apis/external.metrics.k8s.io/v1beta1/namespaces/$NS/flink_job_parallelism"; do
		t0=$(now)
		kubectl get --raw "$path" 2>/dev/null | python3 -c '
import json, sys, datetime
t0, stale = float(sys.argv[1]), float(sys.argv[2])
try:
    items = json.load(sys.stdin)["items"]
except Exception:
    sys.exit(0)  # no answer (a fault): nothing served, nothing stale
for it in items:
    ts = datetime.datetime.strptime(it["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    ts = ts.replace(tzinfo=datetime.timezone.utc).timestamp()
    # RFC 3339 seconds: the reading may be up to 1 s younger than shown
    if t0 - ts > stale + 1:
        print("stale: %s %s served %.1f s after its reading" % (
            it.get("describedObject", {}).get("name", it.get("metricName")),
            it.get("metricName"), t0 - ts))
' "$t0" "$STALE"
	done
}
# the emulated Flink cluster: nothing cancelled without a savepoint or a
# retained checkpoint, one job, no more submissions than restore points
# (in the sampler)
sampler() {
	local pid name rss i=0
	while :; do
		check_served >>"$VIOL"
		if curl -s --max-time 5 -o "$FH_TMP/ov.json" "$EMU/overview" &&
			curl -s --max-time 5 -o "$FH_TMP/ctl.json" "$EMU/control"; then
			python3 - "$FH_TMP/ov.json" "$FH_TMP/ctl.json" "$EMU" "$FH_TMP/cancel-ok" >>"$VIOL" <<'PY'
import json, sys, urllib.request
try:
    ov, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
except Exception:
    sys.exit(0)  # the JobManager is down or slow: checked next time
if "jobs-cancelled" not in ov:
    sys.exit(0)
emu, seen_path = sys.argv[3], sys.argv[4]
def get(path):
    with urllib.request.urlopen(emu + path, timeout=5) as r:
        return json.load(r)
# every CANCELED job, once: what it can be resumed from, as Flink says
try:
    seen = set(open(seen_path).read().split())
except OSError:
    seen = set()
try:
    for j in get("/jobs/overview")["jobs"]:
        if j["state"] != "CANCELED" or j["jid"] in seen:
            continue
        st = get("/jobs/%s/checkpoints" % j["jid"])
        cfg = get("/jobs/%s/checkpoints/config" % j["jid"])
        x, cp = cfg["externalization"], st["latest"]["completed"]
        kept = x["enabled"] and not x.get("delete_on_cancellation", True)
        rs = st["latest"]["restored"]
        if st["latest"]["savepoint"] is None and not (
                rs is not None and rs["is_savepoint"]) and not (
                cp is not None and not cp["discarded"] and kept):
            print("job %s was cancelled without a completed savepoint or a "
                  "retained checkpoint: latest %s, externalization %s" % (
                      j["jid"], st["latest"], x))
        with open(seen_path, "a") as f:
            f.write(j["jid"] + "\n")
except Exception:
    pass  # the JobManager is down or slow: checked next time
if c["cancels-lost"]:
    print("%d cancellations without a completed savepoint or a retained "
          "checkpoint" % c["cancels-lost"])
if ov["jobs-running"] > 1:
    print("%d jobs run at once" % ov["jobs-running"])
points = c["savepoints"] + c["cancels"] - c["cancels-lost"]
if c["submissions"] > points:
    print("%d submissions for %d completed savepoints and %d cancellations "
          "from a retained checkpoint" % (c["submissions"], c["savepoints"],
                                          c["cancels"] - c["cancels-lost"]))
PY
		fi
		if [ $((i % 5)) = 0 ]; then
			while read -r pid name; do
				rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null) &&
					[ -n "$rss" ] && echo "$SECONDS $pid $name $rss" >>"$FH_TMP/rss"
			done <"$FH_TMP/pids"
		fi
		i=$((i + 1))
		echo "$i" >"$FH_TMP/rounds"
		sleep 1
	done
}
sampler &
BB_PIDS+=($!)
SAMPLER=$!

# ---- the faults ----
declare -A KILLED
tm_count() { emu taskmanagers; }
inject() { # KIND: start the fault; heal undoes it
	local k
	case $1 in
	tm-kill)
		hold_kubelet $NS
		k=$(tm_count)
		[ "$k" -gt 1 ] && control "taskmanagers=$((k - 1))" ;;
	tm-hang) control "tm-hang=$((RANDOM % $(tm_count) + 1))" ;;
	tm-malformed) control "tm-malformed=$((RANDOM % $(tm_count) + 1))" ;;
	jm-restart) control "jobmanager-restart=$((3 + RANDOM % 6))" ;;
	jm-slow) control "jm-delay=3000" ;;
	leader-kill)
		k=$(holder)
		if [[ "$k" == r[12] ]]; then
			kill -9 "${PID[$k]}" 2>/dev/null
			echo "CHAOS killed $(date +%H:%M:%S.%6N)" >>"$FH_TMP/$k.log"
			KILLED[$k]=1
		fi ;;
	cp-restart)
		"$FH_ROOT/hack/cluster-down.sh" >/dev/null 2>&1
		cluster_up ;;
	sp-fail) control "savepoint-fails=1" ;;
	esac
}
heal() {
	local r
	release_kubelet $NS
	control "tm-hang=0&jm-delay=0"
	for r in "${!KILLED[@]}"; do
		start_replica "$r"
		unset "KILLED[$r]"
	done
}
# a replica must only die when the schedule kills it
check_alive() {
	local r
	for r in r1 r2; do
		[ -n "${KILLED[$r]:-}" ] && continue
		kill -0 "${PID[$r]}" 2>/dev/null || violation "adapter $r died unasked: $(tail -n 5 "$FH_TMP/$r.log")"
	done
}
# a calm period: no fault, steady load; the job must end at replicas x
# slots within the settle time and the sync timeout after the HPA rests
calm() {
	local want since=$SECONDS
	heal
	# (subshells: a timeout is a violation to report, not the end)
	(wait_until -i 1 90 "the HPA to rest" eval '[ -n "$(replicas)" ] && r0=$(replicas) && sleep 6 && [ "$(replicas)" = "$r0" ]') >/dev/null ||
		echo "  calm: the HPA did not rest in 90 s"
	want=$(($(replicas) * SLOTS))
	if ! (wait_until -i 1 $((SETTLE + TIMEOUT + 30)) "parallelism $want (replicas x slots)" \
		eval '[ "$(emu parallelism)" = "$(($(replicas) * SLOTS))" ] && [ "$(emu state)" = RUNNING ]') >/dev/null; then
		violation "calm period: parallelism $(emu parallelism), want $(($(replicas) * SLOTS)): $(state)"
		return
	fi
	echo "  calm: $(replicas) TaskManagers, parallelism $(emu parallelism), $((SECONDS - since)) s"
	CALM_OK=$((CALM_OK + 1))
}
CALM_OK=0

kinds=(tm-kill tm-hang tm-malformed jm-restart jm-slow leader-kill cp-restart)
[ "$MODE" = savepoint ] && kinds+=(sp-fail)
# every kind once, in a seeded order, then seeded picks until the end
schedule=()
for k in "${kinds[@]}"; do schedule+=("$RANDOM $k"); done
mapfile -t schedule < <(printf '%s\n' "${schedule[@]}" | sort -n | cut -d' ' -f2)
rates=(500 1500 2500 3500 5000)
start=$SECONDS
n=0
declare -A COUNT
while [ $((SECONDS - start)) -lt "$DURATION" ] || [ $n -lt ${#kinds[@]} ]; do
	if [ $((n % 3)) = 0 ]; then
		rate=${rates[$((RANDOM % ${#rates[@]}))]}
		control "input-rate=$rate"
		echo "t=$((SECONDS - start))s load $rate records/s"
	fi
	kind=${schedule[$n]:-${kinds[$((RANDOM % ${#kinds[@]}))]}}
	hold=$((4 + RANDOM % 8))
	# a killed leader stays down past the Lease's duration (15 s): the
	# other replica must take over
	[ "$kind" = leader-kill ] && hold=20
	echo "t=$((SECONDS - start))s fault $kind for ${hold}s"
	inject "$kind"
	COUNT[$kind]=$((${COUNT[$kind]:-0} + 1))
	sleep "$hold"
	check_alive
	heal
	sleep $((2 + RANDOM % 4))
	n=$((n + 1))
	[ $((n % 4)) = 0 ] && calm
	check_alive
done
calm
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null

# ---- after the run: leadership, memory, sanitizers ----
python3 - "$FH_TMP/r1.log" "$FH_TMP/r2.log" >>"$VIOL" 2>>"$FH_TMP/after.err" <<'PY'
import re, sys
ts = re.compile(r"^[IWEF]\d{4} (\d\d):(\d\d):(\d\d\.\d+)")
act = re.compile(r"rescaling job|continuing the rescale|sync: \S+: savepoint |runs at parallelism|resubmitting it from")
def secs(h, m, s): return int(h) * 3600 + int(m) * 60 + float(s)
spans, acts = {}, {}
for path in sys.argv[1:]:
    name = path.rsplit("/", 1)[1][:-4]
    spans[name], acts[name], start = [], [], None
    for line in open(path, errors="replace"):
        if line.startswith("CHAOS killed"):
            t = secs(*line.split()[2].split(":"))
            if start is not None: spans[name].append((start, t))
            start = None
            continue
        m = ts.match(line)
        if not m: continue
        t = secs(*m.groups())
        if "leading as" in line and start is None: start = t
        elif "not leading" in line and start is not None:
            spans[name].append((start, t)); start = None
        elif act.search(line): acts[name].append((t, line.strip()[:160]))
    if start is not None: spans[name].append((start, float("inf")))
inside = lambda t, sp: any(a <= t <= b for a, b in sp)
for me, other in (("r1", "r2"), ("r2", "r1")):
    for t, line in acts[me]:
        if not inside(t, spans[me]):
            print("%s acted without the Lease: %s" % (me, line))
        elif inside(t, spans[other]):
            print("%s acted while %s led too: %s" % (me, other, line))
print("leadership: r1 %d spans, %d actions; r2 %d spans, %d actions" % (
    len(spans["r1"]), len(acts["r1"]), len(spans["r2"]), len(acts["r2"])), file=sys.stderr)
PY
# The RSS stays flat: not measurable under a sanitizer or valgrind (ASan's
# quarantine keeps up to 256 MB of freed memory, valgrind's RSS is its own)
RSS_OUT=$VIOL
if [ -n "$FH_WRAP" ] || ldd "$FH_BIN/flinkhpa-adapter" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	skip_part "chaos: the adapters' RSS is not judged under ASan or a wrapper (ASan's quarantine holds freed memory)"
	RSS_OUT=/dev/null
fi
python3 - "$FH_TMP/rss" >>"$RSS_OUT" 2>>"$FH_TMP/after.err" <<'PY'
import sys, collections
by = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, pid, name, kb = line.split()
    by[(pid, name)].append((int(t), int(kb)))
for (pid, name), s in by.items():
    s = [kb for t, kb in s if t - s[0][0] >= 30]  # after its first 30 s
    if len(s) < 3: continue
    base, last = s[0], s[-1]
    if last > max(base * 1.25, base + 16384):
        print("adapter %s (pid %s) RSS grew from %d to %d KiB" % (name, pid, base, last))
    print("rss %s pid %s: %d -> %d KiB over %d samples" % (name, pid, base, last, len(s)), file=sys.stderr)
PY
cat "$FH_TMP/after.err" >&2
grep -q Traceback "$FH_TMP/after.err" && violation "a checker failed: $(tail -n 3 "$FH_TMP/after.err")"
grep -l "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$FH_TMP"/r[12].log >/dev/null &&
	violation "a sanitizer report: $(grep -h -A5 'Sanitizer\|runtime error' "$FH_TMP"/r[12].log | head -20)"

faults=""
for k in "${kinds[@]}"; do faults+=" $k=${COUNT[$k]:-0}"; done
{
echo "chaos: seed $SEED, $MODE mode, $((SECONDS - start)) s, $n faults:$faults"
echo "chaos: checked $(cat "$FH_TMP/rounds" 2>/dev/null || echo 0) rounds of the sampler (staleness of what is served, cancellations, jobs, submissions; RSS every 5th), $CALM_OK calm periods at replicas x slots, leadership and sanitizers over both logs"
echo "chaos: $(grep '^leadership:' "$FH_TMP/after.err" 2>/dev/null)"
grep '^rss ' "$FH_TMP/after.err" 2>/dev/null | sed 's/^/chaos: /'
echo "chaos: job $(emu state) at parallelism $(emu parallelism), $(emu submissions) submissions, $(emu savepoints) savepoints ($(emu savepoints-failed) failed), $(emu cancels) cancellations resumed from a checkpoint ($(emu cancels-lost) without one), $(emu jobmanager-restarts) JobManager restarts"
} | tee "$FH_TMP/.summary"
if [ -s "$VIOL" ]; then
	echo "invariants broken (seed $SEED):"
	sort -u "$VIOL" | head -n 40
	fail "chaos: $(sort -u "$VIOL" | wc -l) violations (replay: FH_CHAOS_SEED=$SEED)"
fi
echo ok
