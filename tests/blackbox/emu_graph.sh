#!/usr/bin/env bash
# emu_graph.sh - the Flink emulator with the four-vertex job graph
# (--job-graph pipeline, model/fm.h): GET /jobs/ID/plan lists the edges in
# Flink's JSON; every vertex has its aggregated subtask metrics, and they
# agree with the TaskManagers' pages; the records flow with each vertex's
# output ratio; the keyed window is the bottleneck (its hot subtask busy
# 1000 ms/s), the vertices upstream are back-pressured at a busy ratio
# below 1 and the sink downstream is not; pendingRecords only at the
# source, spread over its partitions.  The adapter, reading the emulated
# JobManager, serves the throughput metrics that tests/blackbox/tputref.py
# computes independently from the same REST answers.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

start_emu E --job-graph pipeline --taskmanagers 2 --slots 2 \
	--address-base 127.0.5.1 --input-rate 5000 --partitions 6 \
	--hot-key 0.05 --efficiency 0.9 --speed 10
E=$E_URL
mport=$E_MPORT
{
	echo "targets:"
	for k in 1 2; do
		echo "  - {namespace: flink, pod: tm-$k, url: \"http://127.0.5.$k:$mport/metrics\", deployment: flink-taskmanager, job: orders-enrichment, jobManager: \"$E\", cpuRequest: 1000m}"
	done
} >"$FH_TMP/targets.yaml"
start_adapter --insecure-demo --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s --v 2
wait_ready "$ADAPTER_URL"
sleep 1
curl -s -X POST "$E/control?speed=0" >/dev/null || fail "cannot stop the clock"
# The JobManager rounds of the stopped model: the first may still see the
# backlog's growth of the running one, and the required TaskManagers are
# served once two rounds agree (jt_tms_debounce).  So wait for three
# rounds after the stop whose last two summaries are the same, not for a
# fixed time (CI once read the API one round early, on a loaded machine).
summaries() { grep -F 'throughput: flink/flink-taskmanager: true rate' "$FH_TMP/adapter.log"; }
mark=$(summaries | wc -l)
steady() {
	local s
	s=$(summaries | tail -n +$((mark + 1)) | sed 's/^.*throughput: //')
	[ "$(wc -l <<<"$s")" -ge 3 ] && [ "$(tail -1 <<<"$s")" = "$(tail -2 <<<"$s" | head -1)" ]
}
wait_until 20 "two equal throughput rounds of the stopped model" steady
J=3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1
curl -s "$E/jobs/$J/plan" >"$FH_TMP/plan.json" || fail "no plan"
: >"$FH_TMP/agg.txt"
for v in $(python3 -c 'import json,sys; print(" ".join(n["id"] for n in json.load(open(sys.argv[1]))["plan"]["nodes"]))' "$FH_TMP/plan.json"); do
	q="get=numRecordsInPerSecond,numRecordsOutPerSecond,busyTimeMsPerSecond,backPressuredTimeMsPerSecond&agg=min,max,sum"
	printf '%s %s\n' "$v" "$(curl -s "$E/jobs/$J/vertices/$v/subtasks/metrics?$q")" >>"$FH_TMP/agg.txt"
	printf '%s %s\n' "$v" "$(curl -s "$E/jobs/$J/vertices/$v/subtasks/metrics?get=Source__orders.pendingRecords&agg=sum")" >>"$FH_TMP/pending.txt"
done
curl -s "http://127.0.5.1:$mport/metrics" >"$FH_TMP/tm0.txt"
curl -s "http://127.0.5.2:$mport/metrics" >"$FH_TMP/tm1.txt"
curl -s "$E/control" >"$FH_TMP/control.json"
curl -s -o "$FH_TMP/job.json" "$E/jobs/$J"
curl -s -o "$FH_TMP/taskmanagers.json" "$E/taskmanagers"
for v in $(python3 -c 'import json,sys; print(" ".join(v["id"] for v in json.load(open(sys.argv[1]))["vertices"]))' "$FH_TMP/job.json"); do
	curl -s -o "$FH_TMP/vertex-$v.json" "$E/jobs/$J/vertices/$v/subtasks/metrics?get=numRecordsInPerSecond,numRecordsOutPerSecond,busyTimeMsPerSecond&agg=max,sum"
done
for m in flink_job_true_processing_rate flink_job_target_rate flink_job_required_parallelism flink_job_required_taskmanagers; do
	get "$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/deployments.apps/flink-taskmanager/$m" 200
	cp "$FH_TMP/body" "$FH_TMP/api-$m.json"
done
grep -q "throughput: flink/flink-taskmanager: vertex 90bea66de1c231edf33913ecd54406c1: parallelism 4" "$FH_TMP/adapter.log" ||
	fail "no per-vertex throughput line at --v=2"
python3 - "$FH_TMP" <<'PY' || fail "see above"
import json, os, re, sys
d = sys.argv[1]
plan = json.load(open(d + "/plan.json"))["plan"]
nodes = plan["nodes"]
def check(c, msg):
    if not c:
        print("FAIL:", msg); sys.exit(1)
check(plan["type"] == "STREAMING" and len(nodes) == 4, "four nodes")
check(list(nodes[0]) == ["id", "parallelism", "operator", "operator_strategy",
      "description", "optimizer_properties"], "source node keys %s" % list(nodes[0]))
check("inputs" not in nodes[0], "a source has no inputs")
for i in range(1, 4):
    inp = nodes[i]["inputs"]
    check(len(inp) == 1 and inp[0]["id"] == nodes[i - 1]["id"] and
          list(inp[0]) == ["num", "id", "ship_strategy", "exchange"], "edge %d" % i)
check(nodes[2]["inputs"][0]["ship_strategy"] == "HASH", "keyed window")
check([n["description"] for n in nodes] == ["Source: orders", "Map: enrich",
      "Window: per customer", "Sink: out"], "names")
agg = {}
for line in open(d + "/agg.txt"):
    vid, js = line.split(" ", 1)
    agg[vid] = {m["id"]: m for m in json.loads(js)}
pend = {}
for line in open(d + "/pending.txt"):
    vid, js = line.split(" ", 1)
    pend[vid] = json.loads(js)
# the pages, per task and metric: the sum over subtasks of both TaskManagers
pages = {}
rx = re.compile(r'^flink_taskmanager_job_task_(\w+)\{(.*)\} (\S+)$')
for f in ("tm0.txt", "tm1.txt"):
    for line in open(d + "/" + f):
        m = rx.match(line.strip())
        if not m:
            continue
        task = re.search(r'task_id="(\w+)"', m.group(2)).group(1)
        pages.setdefault((task, m.group(1)), []).append(float(m.group(3)))
ids = [n["id"] for n in nodes]
for v in ids:
    for metric in ("busyTimeMsPerSecond", "backPressuredTimeMsPerSecond",
                   "numRecordsOutPerSecond"):
        s = sum(pages[(v, metric)])
        check(abs(s - agg[v][metric]["sum"]) < 1e-6 * max(1, s),
              "%s %s: page %s REST %s" % (v, metric, s, agg[v][metric]["sum"]))
        check(len(pages[(v, metric)]) == 4, "4 subtasks of %s" % v)
out = lambda i: agg[ids[i]]["numRecordsOutPerSecond"]["sum"]
inp = lambda i: agg[ids[i]]["numRecordsInPerSecond"]["sum"]
check(inp(0) == 0 and out(0) > 0, "a source task counts no input records")
check(abs(inp(1) - out(0)) < 1e-6 * out(0), "map reads what the source emits")
check(abs(out(1) / inp(1) - 0.8) < 1e-9, "map keeps 0.8")
check(abs(out(2) / inp(2) - 0.1) < 1e-9, "window emits 0.1")
check(out(3) == 0, "sink emits nothing")
b = lambda i, a: agg[ids[i]]["busyTimeMsPerSecond"][a]
bp = lambda i, a: agg[ids[i]]["backPressuredTimeMsPerSecond"][a]
check(b(2, "max") == 1000 and b(2, "min") < 1000, "the window's hot subtask saturated")
for i in (0, 1):
    check(b(i, "max") < 1000 and bp(i, "min") > 0, "vertex %d back-pressured" % i)
    check(abs(b(i, "max") + bp(i, "min") - 1000) < 1e-6 or
          abs(b(i, "min") + bp(i, "max") - 1000) < 1e-6, "busy + bp = 1000")
check(bp(2, "max") == 0 and bp(3, "max") == 0, "nothing back-pressured downstream")
ctl = json.load(open(d + "/control.json"))
check(ctl["backlog"] > 0, "a backlog")
check(pend[ids[0]] and abs(pend[ids[0]][0]["sum"] - ctl["backlog"]) <= 4,
      "pending at the source: %s vs %s" % (pend[ids[0]], ctl["backlog"]))
check(all(pend[v] == [] for v in ids[1:]), "no pendingRecords elsewhere")
print("plan, per-vertex metrics, flow and back-pressure agree")
sys.path.insert(0, os.environ["FH_ROOT"] + "/tests/blackbox")
import tputref
from catalogref import quantity
ref = tputref.compute(d, pend[ids[0]][0]["sum"], 0.0)
for m, want in sorted(ref.items()):
    got = quantity(json.load(open(d + "/api-%s.json" % m))["items"][0]["value"])
    print("%-34s adapter %.3f reference %.3f" % (m, got, want))
    check(abs(got - want) <= max(0.002, 1e-3 * abs(want)), m + " differs")
check(ref["flink_job_required_parallelism"] > 4, "the job needs more than it has")
PY
echo ok
