#!/usr/bin/env bash
# hack/demo.sh - `make demo`: shows what flinkhpa-adapter reads from a Flink
# TaskManager's Prometheus page (the bundled sample), with no cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
page=tests/data/flink-tm.prom
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== A Flink TaskManager metrics page ($page), as Flink's PrometheusReporter serves it on :9249/metrics:"
grep -m 4 -E 'CPU_Load|busyTimeMsPerSecond' "$page" | cut -c 1-160
echo
echo "== What flinkhpa-adapter parses from it (bin/flinkhpa-adapter --dump-scrape $page):"
bin/flinkhpa-adapter --dump-scrape "$page" >"$out"
grep -E '^flink_taskmanager_(Status_JVM_CPU_Load|Status_JVM_Memory_Heap_Used|job_task_busyTimeMsPerSecond|job_task_operator_pendingRecords)' "$out" | head -n 8 | cut -c 1-200
echo "   ..."
tail -n 1 "$out"
echo
echo "Next: bin/flinkhpa-adapter --dump-scrape FILE on a page of your own"
echo "(curl -s http://TASKMANAGER:9249/metrics | bin/flinkhpa-adapter --dump-scrape -)."
