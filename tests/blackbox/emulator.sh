#!/usr/bin/env bash
# emulator.sh - flinkhpa-adapter against the Flink emulator (flinkhpa-emu):
# three TaskManagers on 127.0.1.x, the adapter in standalone mode.  The
# adapter's values follow the emulator's model: calm, then a load spike
# (busy 1.0 and a growing backlog), then more TaskManagers (the job
# restarts at a higher parallelism); a TaskManager that goes away goes
# stale.  Also the emulator's JobManager REST in Flink's shapes, and its
# savepoint mode (stop-with-savepoint, the jar run again from the
# savepoint at a new parallelism, an injected savepoint failure) and
# adaptive mode (PUT resource-requirements restarts the job), with the
# exact JSON Flink 1.18 writes.  The vertices' aggregated subtask metrics
# (ids, aggregates, subtask ranges, Flink's errors) agree with the pages;
# a JobManager restart forgets a savepoint under way and recovers the job.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

start_emu E --taskmanagers 3 --input-rate 600 --restart-pause 2s
E=$E_URL
mport=$E_MPORT
{
	echo "targets:"
	for k in 1 2 3; do
		echo "  - {namespace: flink, pod: tm-$k, url: \"http://127.0.1.$k:$mport/metrics\", deployment: flink-taskmanager, job: orders-enrichment, cpuRequest: 1000m, labels: {app: flink}}"
	done
} >"$FH_TMP/targets.yaml"
start_adapter --insecure-demo --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s --stale-after 3s
wait_ready "$ADAPTER_URL"
C=$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink

# calm: 600 records/s on 6 subtasks of 1000/s: busy 0.1
# (ready means one round has ended; a TaskManager's first page may have
# missed it, as under valgrind: wait for all three)
deadline=$((SECONDS + 20 * FH_TIMEOUT_FACTOR))
until get_quiet "$C/pods/%2A/flink_tm_busy_ratio?labelSelector=app%3Dflink" &&
	[ "$(grep -o '"value":"100m"' "$FH_TMP/body" | wc -l)" = 3 ]; do
	[ $SECONDS -lt $deadline ] || fail "calm busy ratio: $(cat "$FH_TMP/body")"
	sleep 0.5
done
get "$C/deployments.apps/flink-taskmanager/flink_job_backlog" 200
expect_body_has '"value":"0"'

# the spike: 9000 records/s is more than 6000: saturated, backlog grows
curl -s -X PUT "$E/control?input-rate=9000" >/dev/null
wait_body "$C/pods/%2A/flink_tm_busy_ratio?labelSelector=app%3Dflink" '"value":"1"'
deadline=$((SECONDS + 20 * FH_TIMEOUT_FACTOR))
until get_quiet "$C/deployments.apps/flink-taskmanager/flink_job_backlog" &&
	v=$(sed -n 's/.*"value":"\([0-9]*\)k\{0,1\}".*/\1/p' "$FH_TMP/body") && [ "${v:-0}" -ge 3 ]; do
	[ $SECONDS -lt $deadline ] || fail "backlog does not grow: $(cat "$FH_TMP/body")"
	sleep 0.5
done
# a rate: needs two scrapes of tm-1 (each TaskManager has its own moment in
# the scrape interval, so the others may have had theirs already)
wait_body "$C/pods/tm-1/flink_tm_cpu_utilization" '"metric":{"name":"flink_tm_cpu_utilization"'
get "$C/pods/tm-1/flink_tm_cpu_utilization" 200

# two more TaskManagers (reactive mode): the job restarts at parallelism 10
curl -s -X PUT "$E/control?taskmanagers=5" >/dev/null
curl -s "$E/jobs/overview" >"$FH_TMP/body"
expect_body_has '"state":"RESTARTING"'
expect_body_has '"total":10'
curl -s "$E/overview" >"$FH_TMP/body"
expect_body_has '"taskmanagers":5,"slots-total":10,"slots-available":0'
curl -s "$E/taskmanagers" >"$FH_TMP/body"
expect_body_has '"path":"akka.tcp://flink@127.0.1.5:6122/user/rpc/taskmanager_0"'
curl -s "$E/jobs/nope" >"$FH_TMP/body"
expect_body_has '{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Bad request, could not parse parameters: Cannot resolve path parameter (jobid) from value \"nope\".\n\tat '

# a TaskManager goes away: its values go stale
curl -s -X PUT "$E/control?taskmanagers=2" >/dev/null
wait_body "$C/pods/%2A/flink_tm_busy_ratio?labelSelector=app%3Dflink" '"name":"tm-3"' lacks
get "$C/pods/tm-3/flink_tm_busy_ratio" 404
stop_adapter

# ---- savepoint mode: Flink's default scheduler in a session cluster ----

# METHOD URL [JSON]: the status into $code, the answer into $FH_TMP/body.
call() {
	local data=()
	[ $# -ge 3 ] && data=(-H 'Content-Type: application/json' --data "$3")
	code=$(curl -s --max-time $((5 * FH_TIMEOUT_FACTOR)) -o "$FH_TMP/body" \
		-w '%{http_code}' -X "$1" "${data[@]}" "$2")
}

# The whole answer matches $1, where <HEX32>, <HEX12>, <INT>, <NUM>, <B64>
# and <ANY> stand for what changes from run to run; the rest is literal.
expect_shape() {
	python3 - "$FH_TMP/body" "$1" <<'PY' || fail "answer is not $1: $(head -c 800 "$FH_TMP/body")"
import re, sys
body, pat = open(sys.argv[1]).read(), sys.argv[2]
sub = {"<HEX32>": "[0-9a-f]{32}", "<HEX12>": "[0-9a-f]{12}", "<INT>": "-?[0-9]+",
       "<NUM>": "-?[0-9.]+(E-?[0-9]+)?", "<B64>": "[A-Za-z0-9+/]+=*", "<ANY>": ".*?"}
rx = "".join(sub.get(p, re.escape(p)) for p in re.split(r"(<[A-Z0-9]+>)", pat))
sys.exit(0 if re.fullmatch(rx, body, re.S) else 1)
PY
}

expect_code() { [ "$code" = "$1" ] || fail "status $code, want $1: $(head -c 600 "$FH_TMP/body")"; }

# GET url until its answer has $2.
poll() {
	local deadline=$((SECONDS + 20 * FH_TIMEOUT_FACTOR))
	until call GET "$1" && grep -qF -- "$2" "$FH_TMP/body"; do
		[ $SECONDS -lt $deadline ] || fail "waiting for $2 at $1: $(head -c 600 "$FH_TMP/body")"
		sleep 0.2
	done
}

# emu_as NAME FLAGS...: another emulator (lib.sh's start_emu: new ports
# when the ones it picked are taken); S is its REST URL, SM its metrics
# port, $FH_TMP/emu-NAME.log its log.
emu_as() {
	start_emu "$@"
	local u=${1}_URL m=${1}_MPORT
	S=${!u} SM=${!m}
}

J1=3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1
JAR=d9e1c4a2-5b7f-4e3a-9c6d-2f8b1a0e7c45_orders-enrichment.jar
# (the pauses are long enough to see the states in between, also under
# valgrind)
pause=$((3 * FH_TIMEOUT_FACTOR))s
emu_as savepoint --mode savepoint --taskmanagers 2 --parallelism 2 \
	--restart-pause "$pause" --savepoint-duration "$pause"
call GET "$S/control"
expect_shape '{"input-rate":500.0,"taskmanagers":2,"parallelism":2,"state":"RUNNING","backlog":0,"busy-ratio":<NUM>,"restarts":0,"time-ms":<INT>,"mode":"savepoint","jobid":"'$J1'","savepoints":0,"savepoints-failed":0,"savepoint-fails":0,"submissions":0,"checkpoints":<INT>,"cancels":0,"cancels-lost":0,"jm-delay":0,"jobmanager":"up","jobmanager-restarts":0}'
call GET "$S/jars"
expect_shape '{"address":"'$S'","files":[{"id":"'$JAR'","name":"orders-enrichment.jar","uploaded":<INT>,"entry":[{"name":"com.example.OrdersEnrichment","description":null}]}]}'
# a third TaskManager: the default scheduler keeps the parallelism
curl -s -X PUT "$S/control?taskmanagers=3" >/dev/null
call GET "$S/overview"
expect_shape '{"taskmanagers":3,"slots-total":6,"slots-available":4,"jobs-running":1,"jobs-finished":0,"jobs-cancelled":0,"jobs-failed":0,"flink-version":"1.18.1","flink-commit":"a8c8b1c"}'

# stop with a savepoint: 202, in progress, then completed; the job ends
call POST "$S/jobs/$J1/stop" '{"targetDirectory":"/tmp/sp","drain":false}'
expect_code 202
expect_shape '{"request-id":"<HEX32>"}'
T=$(sed 's/.*"request-id":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
call GET "$S/jobs/$J1/savepoints/$T"
expect_code 200
expect_shape '{"status":{"id":"IN_PROGRESS"},"operation":null}'
poll "$S/jobs/$J1/savepoints/$T" COMPLETED
expect_shape '{"status":{"id":"COMPLETED"},"operation":{"location":"/tmp/sp/savepoint-3c1bf1-<HEX12>"}}'
LOC=$(sed 's/.*"location":"\([^"]*\)".*/\1/' "$FH_TMP/body")
call GET "$S/jobs/$J1"
expect_shape '{"jid":"'$J1'","name":"orders-enrichment","isStoppable":false,"state":"FINISHED","start-time":<INT>,"end-time":<INT>,"duration":<INT>,"maxParallelism":-1,"now":<INT>,"vertices":[{"id":"cbc357ccb763df2852fee8c4fc7d55f2","name":"Source: orders -> Map: enrich -> Sink: out","maxParallelism":128,"parallelism":2,"status":"FINISHED","start-time":<INT>,"end-time":<INT>,"duration":<INT>,"tasks":{"CREATED":0,"SCHEDULED":0,"DEPLOYING":0,"RUNNING":0,"FINISHED":2,"CANCELING":0,"CANCELED":0,"FAILED":0,"RECONCILING":0,"INITIALIZING":0}}]}'

# the jar again, from the savepoint, at parallelism 5: a new job
call POST "$S/jars/$JAR/run" '{"parallelism":5,"savepointPath":"'"$LOC"'","allowNonRestoredState":false,"programArgsList":["--topic","orders"]}'
expect_code 200
expect_shape '{"jobid":"<HEX32>"}'
J2=$(sed 's/.*"jobid":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
[ "$J2" != "$J1" ] || fail "the run did not make a new job"
call GET "$S/jobs/overview"
expect_shape '{"jobs":[{"jid":"'$J2'","name":"orders-enrichment","state":"RUNNING","start-time":<INT>,"end-time":-1,"duration":<INT>,"last-modification":<INT>,"tasks":{"total":5,"created":0,"scheduled":0,"deploying":0,"running":0,"finished":0,"canceling":0,"canceled":0,"failed":0,"reconciling":0,"initializing":5}},{"jid":"'$J1'","name":"orders-enrichment","state":"FINISHED","start-time":<INT>,"end-time":<INT>,"duration":<INT>,"last-modification":<INT>,"tasks":{"total":2,"created":0,"scheduled":0,"deploying":0,"running":0,"finished":2,"canceling":0,"canceled":0,"failed":0,"reconciling":0,"initializing":0}}]}'
poll "$S/jobs/$J2" '"status":"RUNNING"'
expect_body_has '"parallelism":5,"status":"RUNNING"'
call GET "$S/control"
expect_body_has '"parallelism":5,"state":"RUNNING"'
expect_body_has '"jobid":"'$J2'","savepoints":1,"savepoints-failed":0,"savepoint-fails":0,"submissions":1,'
# the TaskManagers' pages carry the new job
mport=$(sed -n 's/.*first=http:\/\/127.0.1.1:\([0-9]*\).*/\1/p' "$FH_TMP/emu-savepoint.log")
curl -s "http://127.0.1.1:$mport/metrics" >"$FH_TMP/body"
expect_body_has "job_id=\"$J2\""

# an injected failure: the cause comes back, the job keeps running
call PUT "$S/control?savepoint-fails=1"
expect_body_has '"savepoint-fails":1,'
call POST "$S/jobs/$J2/stop" '{"targetDirectory":"/tmp/sp","drain":false}'
expect_code 202
T=$(sed 's/.*"request-id":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
poll "$S/jobs/$J2/savepoints/$T" COMPLETED
expect_shape '{"status":{"id":"COMPLETED"},"operation":{"failure-cause":{"class":"org.apache.flink.runtime.checkpoint.CheckpointException","stack-trace":"org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired before completing.\n\tat <ANY>\n","serialized-throwable":"rO0ABXNy<B64>"}}}'
call GET "$S/jobs/$J2"
expect_body_has '"state":"RUNNING"'
call GET "$S/control"
expect_body_has '"savepoints":1,"savepoints-failed":1,"savepoint-fails":0,'
# a savepoint without stopping
call POST "$S/jobs/$J2/savepoints" '{"target-directory":"/tmp/sp2","cancel-job":false}'
expect_code 202
T=$(sed 's/.*"request-id":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
poll "$S/jobs/$J2/savepoints/$T" COMPLETED
expect_shape '{"status":{"id":"COMPLETED"},"operation":{"location":"/tmp/sp2/savepoint-'${J2:0:6}'-<HEX12>"}}'
call GET "$S/jobs/$J2"
expect_body_has '"state":"RUNNING"'

# errors as Flink words them
call GET "$S/jobs/0123456789abcdef0123456789abcdef"
expect_code 404
expect_shape '{"errors":["org.apache.flink.runtime.rest.NotFoundException: Job 0123456789abcdef0123456789abcdef not found\n\tat <ANY>\n"]}'
call GET "$S/jobs/$J2/savepoints/0123456789abcdef0123456789abcdef"
expect_code 404
expect_shape '{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: There is no savepoint operation with triggerId=0123456789abcdef0123456789abcdef for job '$J2'.\n\tat <ANY>\n"]}'
call POST "$S/jobs/$J2/stop" '{"drain":false}'
expect_code 400
expect_shape '{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Config key [state.savepoints.dir] is not set. Property [targetDirectory] must be provided.\n\tat <ANY>\n"]}'
call POST "$S/jobs/$J2/stop" '{"targetDirectory":7}'
expect_code 400
expect_body_has 'Request did not match expected format StopWithSavepointRequestBody.'
call POST "$S/jars/other.jar/run" '{"parallelism":2}'
expect_code 400
expect_body_has 'Jar file /tmp/flink-web-upload/other.jar does not exist'
call POST "$S/jars/$JAR/run" '{"parallelism":2}'
expect_code 400
expect_body_has "flinkhpa-emu runs one job at a time: job $J2 is RUNNING"
call GET "$S/nope"
expect_code 404
expect_shape '{"errors":["Not found: /nope"]}'

# more parallelism than slots: the job cannot be scheduled
call POST "$S/jobs/$J2/stop" '{"targetDirectory":"/tmp/sp"}'
T=$(sed 's/.*"request-id":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
poll "$S/jobs/$J2/savepoints/$T" COMPLETED
LOC=$(sed 's/.*"location":"\([^"]*\)".*/\1/' "$FH_TMP/body")
call POST "$S/jars/$JAR/run" '{"parallelism":8,"savepointPath":"'"$LOC"'"}'
J3=$(sed 's/.*"jobid":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
call GET "$S/jobs/$J3"
expect_body_has '"state":"RESTARTING"'
expect_body_has '"parallelism":8,"status":"SCHEDULED"'
curl -s -X PUT "$S/control?taskmanagers=4" >/dev/null
poll "$S/jobs/$J3" '"state":"RUNNING"'

# ---- adaptive mode: PUT resource-requirements restarts the job ----
emu_as adaptive --mode adaptive --taskmanagers 3 --parallelism 2 --restart-pause "$pause"
R=$S/jobs/$J1/resource-requirements
call GET "$R"
expect_shape '{"cbc357ccb763df2852fee8c4fc7d55f2":{"parallelism":{"lowerBound":1,"upperBound":2}}}'
call PUT "$R" '{"cbc357ccb763df2852fee8c4fc7d55f2":{"parallelism":{"lowerBound":1,"upperBound":10}}}'
expect_code 200
expect_shape '{}'
call GET "$S/jobs/$J1"
expect_body_has '"state":"RESTARTING"'
expect_body_has '"parallelism":6,"status":"SCHEDULED"' # min(10, 6 slots)
poll "$S/jobs/$J1" '"status":"RUNNING"'
call GET "$R"
expect_shape '{"cbc357ccb763df2852fee8c4fc7d55f2":{"parallelism":{"lowerBound":1,"upperBound":10}}}'
curl -s -X PUT "$S/control?taskmanagers=4" >/dev/null # the bound allows 8
poll "$S/control" '"parallelism":8,"state":"RUNNING","backlog"'
expect_body_has '"restarts":2,'
call PUT "$R" '{"cbc357ccb763df2852fee8c4fc7d55f2":{"parallelism":{"upperBound":"x"}}}'
expect_code 400
expect_body_has 'Request did not match expected format JobResourceRequirementsBody.'

# The TaskManagers' port of emulator NAME, from its first log line.
emu_mport() {
	local deadline=$((SECONDS + 10 * FH_TIMEOUT_FACTOR)) p
	until p=$(sed -n 's/.*first=http:\/\/127.0.1.1:\([0-9]*\).*/\1/p' "$FH_TMP/emu-$1.log") && [ -n "$p" ]; do
		[ $SECONDS -lt $deadline ] || fail "emulator $1 logged no address"
		sleep 0.1
	done
	echo "$p"
}

# ---- the vertices' subtask metrics: Flink 1.18's aggregating handler ----
V=cbc357ccb763df2852fee8c4fc7d55f2
emu_as metrics --taskmanagers 2 --input-rate 9000 --restart-pause 0s
mport=$(emu_mport metrics)
M=$S/jobs/$J1/vertices/$V/subtasks/metrics
poll "$S/control" '"busy-ratio":1.0' # saturated: a backlog builds up
sleep 1
call PUT "$S/control?speed=0" # the model stands still: pages and REST agree
for k in 1 2; do curl -s "http://127.0.1.$k:$mport/metrics"; done >"$FH_TMP/pages"

# check_metrics QUERY: the answer in $FH_TMP/body agrees with the pages
# (python below); QUERY is the request's query string.
check_metrics() {
	python3 - "$FH_TMP/pages" "$FH_TMP/body" "$1" <<'PY' || fail "subtask metrics ?$1: $(head -c 800 "$FH_TMP/body")"
import json, re, struct, sys
from urllib.parse import parse_qs
pages, body, query = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
# the pages as the REST API's metric store: {id: {subtask: value}}
QN = {"0.5": "_median", "0.75": "_p75", "0.95": "_p95", "0.98": "_p98", "0.99": "_p99", "0.999": "_p999"}
store, rx = {}, re.compile(r'^(flink_taskmanager_job_task_\w+)\{(.*),\} (\S+)$')
summaries = set(re.findall(r'^# TYPE (\S+) summary$', pages, re.M))
for line in pages.splitlines():
    m = rx.match(line)
    if not m or (m.group(1).endswith("_count") and m.group(1)[:-6] in summaries):
        continue
    fam, labels, val = m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(2))), float(m.group(3))
    if fam.startswith("flink_taskmanager_job_task_operator_"):
        name = fam[len("flink_taskmanager_job_task_operator_"):]
        if "topic" in labels:
            name = name.replace("topic_partition_", "topic_%s_partition_%s_" % (labels["topic"], labels["partition"]))
        name = labels["operator_name"].replace(":", "_") + "_" + name
    else:
        name = fam[len("flink_taskmanager_job_task_"):]
    name += QN.get(labels.get("quantile"), "")
    store.setdefault(name, {})[int(labels["subtask_index"])] = val
subtasks = sorted({k for v in store.values() for k in v})
if "subtasks" in q:
    sel = []
    for r in q["subtasks"].split(","):
        a, _, b = r.partition("-")
        sel += [k for k in range(int(a), int(b or a) + 1) if k in subtasks]
else:
    sel = subtasks
norm = lambda i: re.sub(r"[.-]", "_", i)  # a REST id as the page spells it
nonnum = {"isBackPressured", "Source__orders_KafkaSourceReader_KafkaConsumer_version",
          "Source__orders_KafkaSourceReader_KafkaConsumer_commit_id"}
ans = json.loads(body)
if "get" not in q:  # the ids: those of the pages, in a Java HashSet's order
    assert re.fullmatch(r'\[(\{"id":"[^"]+"\},)*\{"id":"[^"]+"\}\]', body), "shape"
    ids = [o["id"] for o in ans]
    assert len(ids) == len(set(ids)) and sorted(map(norm, ids)) == sorted(store), \
        "ids differ from the pages: %s" % (set(map(norm, ids)) ^ set(store))
    cap = 32
    while len(ids) > cap * 3 // 4:
        cap *= 2
    def bucket(s):  # HashMap.hash(String.hashCode) & (capacity - 1)
        h, b = 0, s.encode("utf-16-be")
        for u in struct.unpack(">%dH" % (len(b) // 2), b):
            h = (31 * h + u) & 0xffffffff
        return (h ^ (h >> 16)) & (cap - 1)
    b = [bucket(i) for i in ids]
    assert b == sorted(b), "not in HashSet order"
    sys.exit(0)
aggs = [a.lower() for a in q.get("agg", "min,max,avg,sum").split(",")]
want = [k for k in ("min", "max", "avg", "sum") if k in aggs]
i = 0
ids = [m for m in q["get"].split(",") if norm(m) not in nonnum]  # left out
values = {m: [store[norm(m)][k] for k in sel if k in store.get(norm(m), {})] for m in ids}
if not all(values.values()):
    assert body == "[]", "a missing id must empty the answer"
    sys.exit(0)
for mid in ids:
    vals = values[mid]
    o = ans[i]
    i += 1
    assert list(o) == ["id"] + want and o["id"] == mid, "fields: %s" % list(o)
    f32 = lambda x: struct.unpack("f", struct.pack("f", x))[0]
    exp = {"min": min(vals), "max": max(vals), "sum": sum(vals), "avg": sum(vals) / len(vals)}
    for k in want:
        got, e = o[k], exp[k]
        ok = got == e if "Usage" not in mid else abs(got - e) <= 1e-6 * max(1, abs(e))
        assert ok, "%s %s: %r, pages say %r" % (mid, k, got, e)
assert i == len(ans), "extra answers"
# numbers as Java's Double.toString writes them
for v in re.findall(r'":([^",}\]]+)', body):
    assert re.fullmatch(r'-?[0-9]+\.[0-9]+(E-?[0-9]+)?', v), "number format: " + v
PY
}

call GET "$M"
expect_code 200
check_metrics ""
for id in busyTimeMsPerSecond backPressuredTimeMsPerSecond idleTimeMsPerSecond numRecordsIn \
	numRecordsOutPerSecond buffers.outPoolUsage mailboxLatencyMs_p99 Source__orders.pendingRecords \
	Source__orders.currentEmitEventTimeLag Source__orders.watermarkLag Map__enrich.numRecordsOut \
	Source__orders.KafkaSourceReader.topic.orders.partition.0.currentOffset; do
	expect_body_has "{\"id\":\"$id\"}"
done
Q=get=busyTimeMsPerSecond,Source__orders.pendingRecords,numRecordsIn,buffers.outPoolUsage,mailboxLatencyMs_p99
call GET "$M?$Q"
expect_shape '[{"id":"busyTimeMsPerSecond","min":1000.0,"max":1000.0,"avg":1000.0,"sum":4000.0},{"id":"Source__orders.pendingRecords","min":<NUM>,"max":<NUM>,"avg":<NUM>,"sum":<NUM>},<ANY>]'
check_metrics "$Q"
for q in "$Q&agg=sum" "$Q&agg=max,MIN" "$Q&agg=avg,sum,min,max" "$Q&subtasks=0-1" "$Q&subtasks=0,0,3" \
	"get=isBackPressured,busyTimeMsPerSecond,Source__orders.KafkaSourceReader.KafkaConsumer.version&agg=max" \
	"get=busyTimeMsPerSecond,nope" "get=busyTimeMsPerSecond&subtasks=7"; do
	call GET "$M?$q"
	expect_code 200
	check_metrics "$q"
done
call GET "$M?get=busyTimeMsPerSecond&agg=max,MIN"
expect_shape '[{"id":"busyTimeMsPerSecond","min":1000.0,"max":1000.0}]'
call GET "$M?get=isBackPressured,busyTimeMsPerSecond&agg=sum" # a boolean is left out
expect_shape '[{"id":"busyTimeMsPerSecond","sum":4000.0}]'
call GET "$M?get=busyTimeMsPerSecond,nope&agg=sum" # one unknown id: Flink answers []
expect_shape '[]'
call GET "$M?get=Source__orders.KafkaSourceReader.KafkaConsumer.reauthentication-latency-avg&agg=min,sum"
expect_shape '[{"id":"Source__orders.KafkaSourceReader.KafkaConsumer.reauthentication-latency-avg","min":"NaN","sum":"NaN"}]'
call GET "$M?get=busyTimeMsPerSecond&agg=skew" # skew came with Flink 1.20
expect_code 400
expect_shape '{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Bad request, could not parse parameters: Cannot resolve query parameter (agg) from value \"skew\".\n\tat <ANY>\n"]}'
call GET "$M?agg=min,,max"
expect_code 400
expect_body_has 'Cannot resolve query parameter (agg) from value \"min,,max\".'
call GET "$S/jobs/$J1/vertices/nope/subtasks/metrics"
expect_code 400
expect_body_has 'Cannot resolve path parameter (vertexid) from value \"nope\".'
call GET "$S/jobs/0123456789abcdef0123456789abcdef/vertices/$V/subtasks/metrics?get=busyTimeMsPerSecond"
expect_code 200 # no store for that job: an empty answer, not a 404
expect_shape '[]'
call GET "$S/jobs/$J1/vertices/0123456789abcdef0123456789abcdef/subtasks/metrics"
expect_shape '[]'
call GET "$S/jobs/$J1"
expect_body_has '"vertices":[{"id":"'$V'","name":"Source: orders -> Map: enrich -> Sink: out","maxParallelism":128,"parallelism":4,"status":"RUNNING",'
call PUT "$S/control?speed=1"

# ---- a JobManager restart while a stop-with-savepoint is under way ----
emu_as jm --mode savepoint --taskmanagers 2 --parallelism 2 \
	--restart-pause "$pause" --savepoint-duration 60s
mport=$(emu_mport jm)
call POST "$S/jobs/$J1/stop" '{"targetDirectory":"/tmp/sp","drain":false}'
T=$(sed 's/.*"request-id":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
# (the model stands still while the states in between are looked at)
call PUT "$S/control?jobmanager-restart=2&speed=0"
expect_body_has '"jobmanager":"down","jobmanager-restarts":1}'
curl -s --max-time $((5 * FH_TIMEOUT_FACTOR)) "$S/jobs/overview" >/dev/null
rc=$?
[ $rc = 52 ] || fail "a JobManager that is down answered (curl exit $rc)"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.1.1:$mport/metrics" >"$FH_TMP/body"
expect_body_has 200 # the TaskManagers keep serving their pages
call PUT "$S/control?speed=1"
poll "$S/control" '"jobmanager":"electing"'
call PUT "$S/control?speed=0"
call GET "$S/jobs/overview"
expect_code 503
expect_shape '{"errors":["Service temporarily unavailable due to an ongoing leader election. Please refresh."]}'
call PUT "$S/control?speed=1"
poll "$S/control" '"jobmanager":"up"'
# recovered: the same job, at the same parallelism, restored from its last
# checkpoint; the savepoint under way is lost, the job was not stopped
call GET "$S/jobs/overview"
expect_shape '{"jobs":[{"jid":"'$J1'","name":"orders-enrichment","state":"RUNNING",<ANY>"tasks":{"total":2,<ANY>}}]}'
call GET "$S/jobs/$J1/savepoints/$T"
expect_code 404
expect_shape '{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: There is no savepoint operation with triggerId='$T' for job '$J1'.\n\tat <ANY>\n"]}'
call GET "$S/control"
expect_shape '{"input-rate":500.0,"taskmanagers":2,"parallelism":2,"state":"RUNNING","backlog":<INT>,"busy-ratio":<NUM>,"restarts":1,"time-ms":<INT>,"mode":"savepoint","jobid":"'$J1'","savepoints":0,"savepoints-failed":0,"savepoint-fails":0,"submissions":0,"checkpoints":<INT>,"cancels":0,"cancels-lost":0,"jm-delay":0,"jobmanager":"up","jobmanager-restarts":1}'
poll "$S/jobs/$J1" '"status":"RUNNING"'
# a JobManager that restarts after the job stopped forgets the job; the
# savepoint stays on disk: the jar runs from it
emu_as jm2 --mode savepoint --taskmanagers 2 --parallelism 2 \
	--restart-pause "$pause" --savepoint-duration "$pause"
call POST "$S/jobs/$J1/stop" '{"targetDirectory":"/tmp/sp","drain":false}'
T=$(sed 's/.*"request-id":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
poll "$S/jobs/$J1/savepoints/$T" COMPLETED
LOC=$(sed 's/.*"location":"\([^"]*\)".*/\1/' "$FH_TMP/body")
curl -s -X PUT "$S/control?jobmanager-restart=0" >/dev/null
poll "$S/control" '"jobmanager":"up"'
call GET "$S/jobs/overview"
expect_shape '{"jobs":[]}'
call GET "$S/jobs/$J1"
expect_code 404
call POST "$S/jars/$JAR/run" '{"parallelism":4,"savepointPath":"'"$LOC"'"}'
expect_code 200
J4=$(sed 's/.*"jobid":"\([0-9a-f]*\)".*/\1/' "$FH_TMP/body")
poll "$S/jobs/$J4" '"status":"RUNNING"'
expect_body_has '"state":"RUNNING"'

# ---- --speed compresses the model's time, not the JVM's ----
# CPU time is spent in real time: the CPU utilization the adapter computes
# is the same at speed 10 as at speed 1 (it was 10 times as high)
emu_as speed1 --taskmanagers 1 --input-rate 600
m1=$SM
emu_as speed10 --taskmanagers 1 --input-rate 600 --speed 10
m10=$SM
cat >"$FH_TMP/speed.yaml" <<EOF
targets:
  - {namespace: speed, pod: s1, url: "http://127.0.1.1:$m1/metrics", cpuRequest: 1000m}
  - {namespace: speed, pod: s10, url: "http://127.0.1.1:$m10/metrics", cpuRequest: 1000m}
EOF
start_adapter --insecure-demo --targets-file "$FH_TMP/speed.yaml" --scrape-interval 1s
wait_ready "$ADAPTER_URL"
cpu=$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta1/namespaces/speed/pods/%2A/flink_tm_cpu_utilization
wait_body "$cpu" '"name":"s10"'
wait_body "$cpu" '"name":"s1"'
python3 - "$FH_TMP/body" <<'PY' || fail "CPU at speed 10 differs from speed 1: $(cat "$FH_TMP/body")"
import json, sys
def q(s):  # a Kubernetes quantity as the adapter writes it
    return float(s[:-1]) / 1000 if s.endswith("m") else float(s)
v = {i["describedObject"]["name"]: q(i["value"]) for i in json.load(open(sys.argv[1]))["items"]}
print("CPU utilization at speed 1: %.1f%%, at speed 10: %.1f%%" % (v["s1"], v["s10"]))
sys.exit(0 if v["s1"] > 0 and 0.75 < v["s10"] / v["s1"] < 1.33 else 1)
PY
stop_adapter
echo ok
