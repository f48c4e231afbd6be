#!/usr/bin/env bash
# catalog.sh - every metric of the catalogue, as the adapter serves it, is
# what the emulated Flink says.  A job of parallelism 4 on three
# TaskManagers of two slots (subtasks 2, 1, 1; two slots free); the adapter
# (standalone, also reading the JobManager) serves every catalogue metric
# (`--print-catalog`: a new metric without a reference here fails), and
# tests/blackbox/catalogref.py computes each one independently from the
# same TaskManager pages (read with promref.py, no code shared with the
# adapter) and the JobManager's REST answers (the throughput metrics from
# the plan and the vertices' aggregates, by tputref.py).  Twice: under a steady load
# that keeps the job 70% busy (CPU, heap, busy, lags, latency), then with
# the model's clock stopped after a spike has built a backlog (backlog,
# growing watermark lag, saturation).
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

start_emu E --taskmanagers 3 --slots 2 --mode savepoint --parallelism 4 --input-rate 2800 --restart-pause 1s
E=$E_URL
mport=$E_MPORT
{
	echo "targets:"
	for k in 1 2 3; do
		echo "  - {namespace: flink, pod: tm-$k, url: \"http://127.0.1.$k:$mport/metrics\", deployment: flink-taskmanager, job: orders-enrichment, jobManager: \"$E\", cpuRequest: 1000m, labels: {app: flink}}"
	done
} >"$FH_TMP/targets.yaml"
start_adapter --insecure-demo --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s
wait_ready "$ADAPTER_URL"
"$FH_BIN/flinkhpa-adapter" --print-catalog >"$FH_TMP/catalog" || fail "--print-catalog"
C=$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink
# every metric served, the CPU rate too (it needs two scrapes)
wait_body "$C/pods/%2A/flink_tm_cpu_utilization" '"name":"tm-3"'
wait_body "$C/deployments.apps/flink-taskmanager/flink_job_parallelism" '"value":"4"'

# compare NAME: two readings of every page two seconds apart (the CPU
# rate), then the adapter's answers and the JobManager's, all within a
# scrape interval or two of the second reading; catalogref.py judges.
compare() {
	local R=$FH_TMP/ref-$1 k m t0 J
	mkdir -p "$R"
	for k in 1 2 3; do curl -s -o "$R/tm-$k.a.prom" "http://127.0.1.$k:$mport/metrics"; done
	t0=$(date +%s.%N)
	sleep 2
	for k in 1 2 3; do curl -s -o "$R/tm-$k.b.prom" "http://127.0.1.$k:$mport/metrics"; done
	python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$(date +%s.%N)" >"$R/seconds"
	sleep 1.2 # the adapter's next scrape has the second reading's values
	while IFS= read -r m; do
		if grep -q "^| \`$m\` | TaskManager pod |" "$FH_TMP/catalog"; then
			get "$C/pods/%2A/$m?labelSelector=app%3Dflink" 200
		else
			get "$C/deployments.apps/flink-taskmanager/$m" 200
		fi
		cp "$FH_TMP/body" "$R/api-$m.json"
	done < <(sed -n 's/^| `\([a-z_]*\)` |.*/\1/p' "$FH_TMP/catalog")
	J=$(curl -s "$E/jobs/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["jid"])')
	curl -s -o "$R/job.json" "$E/jobs/$J"
	curl -s -o "$R/taskmanagers.json" "$E/taskmanagers"
	curl -s -o "$R/plan.json" "$E/jobs/$J/plan"
	for v in $(python3 -c 'import json,sys; print(" ".join(v["id"] for v in json.load(open(sys.argv[1]))["vertices"]))' "$R/job.json"); do
		curl -s -o "$R/vertex-$v.json" "$E/jobs/$J/vertices/$v/subtasks/metrics?get=numRecordsInPerSecond,numRecordsOutPerSecond,busyTimeMsPerSecond&agg=max,sum"
	done
	echo "== $1"
	python3 "$FH_ROOT/tests/blackbox/catalogref.py" "$R" "$FH_TMP/catalog" ||
		fail "$1: the adapter's values differ from the reference (above)"
}
compare steady

# a spike above the job's capacity (4 x 1000 records/s) builds a backlog;
# then the model's clock stops, and every value with it (CPU time too)
curl -s -X PUT "$E/control?input-rate=7000" >/dev/null
sleep 3
curl -s -X PUT "$E/control?speed=0" >/dev/null
sleep 2.5 # two scrapes of the stopped model
compare backlog
grep -q '^flink_job_backlog .* reference [1-9]' <<<"$(python3 "$FH_ROOT/tests/blackbox/catalogref.py" "$FH_TMP/ref-backlog" "$FH_TMP/catalog")" ||
	fail "no backlog built up"
stop_adapter
echo ok
