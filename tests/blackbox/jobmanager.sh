#!/usr/bin/env bash
# jobmanager.sh - flinkhpa-adapter reads jobs from their JobManager's REST
# API too (the Flink emulator's), in standalone mode:
#   a Deployment whose TaskManager pages are all unreachable still has its
#   job metrics, from the JobManager's aggregates over the subtasks, and
#   they follow the load; parallelism and slots come from the JobManager
#   for every job; a job the JobManager does not run is not served and is
#   logged once; the JobManager gone: values go stale (404), one log line,
#   not one per round; back: served again.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

mport=$(free_port)
rport=$(free_port)
start_emu() {
	$FH_WRAP "$FH_BIN/flinkhpa-emu" --taskmanagers 2 --slots 2 --metrics-port "$mport" \
		--rest-port "$rport" --input-rate 600 --restart-pause 1s >>"$FH_TMP/emu.log" 2>&1 &
	EMU_PID=$!
	BB_PIDS+=($EMU_PID)
	local deadline=$((SECONDS + 10 * FH_TIMEOUT_FACTOR))
	until curl -s "$E/control" >/dev/null; do
		[ $SECONDS -lt $deadline ] || fail "emulator did not start: $(cat "$FH_TMP/emu.log")"
		sleep 0.1
	done
}
E=http://127.0.0.1:$rport
start_emu
dead=$(free_port) # nothing listens there
cat >"$FH_TMP/targets.yaml" <<EOF
targets:
  - {namespace: flink, pod: live-1, url: "http://127.0.1.1:$mport/metrics", deployment: live, job: orders-enrichment, jobManager: "$E", labels: {app: live}}
  - {namespace: flink, pod: live-2, url: "http://127.0.1.2:$mport/metrics", deployment: live, job: orders-enrichment, jobManager: "$E", labels: {app: live}}
  - {namespace: flink, pod: nopages-1, url: "http://127.0.0.1:$dead/metrics", deployment: nopages, job: orders-enrichment, jobManager: "$E/", labels: {app: nopages}}
  - {namespace: flink, pod: ghost-1, url: "http://127.0.0.1:$dead/metrics", deployment: ghost, job: missing-job, jobManager: "$E", labels: {app: ghost}}
EOF
start_adapter --insecure-demo --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s --stale-after 3s
wait_ready "$ADAPTER_URL"
C=$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink
X=$ADAPTER_URL/apis/external.metrics.k8s.io/v1beta1/namespaces/flink

# calm: 600 records/s on 4 subtasks of 1000/s: busy 0.15, from the
# JobManager for the Deployment without pages, from the pages for the other
wait_body "$C/deployments.apps/nopages/flink_job_busy_ratio" '"value":"150m"'
get "$C/deployments.apps/live/flink_job_busy_ratio" 200
expect_body_has '"value":"150m"'
for d in live nopages; do
	get "$C/deployments.apps/$d/flink_job_parallelism" 200
	expect_body_has '"value":"4"'
	get "$C/deployments.apps/$d/flink_job_slots_total" 200
	expect_body_has '"value":"4"'
	get "$C/deployments.apps/$d/flink_job_slots_free" 200
	expect_body_has '"value":"0"'
done
get "$X/flink_job_parallelism?labelSelector=job_name%3Dorders_enrichment" 200
expect_body_has '"metricName":"flink_job_parallelism"'
expect_body_has '"value":"4"'
# the pod metrics of unreachable pages are not made up
get "$C/pods/nopages-1/flink_tm_busy_ratio" 404
# a job the JobManager does not run: nothing served, said once
get "$C/deployments.apps/ghost/flink_job_parallelism" 404
sleep 2
n=$(grep -c 'jobmanager: flink/ghost: .*no job named "missing-job"' "$FH_TMP/adapter.log")
[ "$n" = 1 ] || fail "the missing job logged $n times: $(cat "$FH_TMP/adapter.log")"

# the spike: 9000 records/s saturates the 4 subtasks; the JobManager says so
curl -s -X PUT "$E/control?input-rate=9000" >/dev/null
wait_body "$C/deployments.apps/nopages/flink_job_busy_ratio" '"value":"1"'

# two more TaskManagers (reactive): the job restarts at parallelism 8;
# the JobManager's answer follows, with no page of the new pods needed
curl -s -X PUT "$E/control?taskmanagers=4" >/dev/null
wait_body "$C/deployments.apps/nopages/flink_job_parallelism" '"value":"8"'
get "$C/deployments.apps/nopages/flink_job_slots_total" 200
expect_body_has '"value":"8"'

# the JobManager goes away (the whole emulator): stale, then 404; one line
kill "$EMU_PID"
wait "$EMU_PID" 2>/dev/null
deadline=$((SECONDS + 20 * FH_TIMEOUT_FACTOR))
until [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/json' \
	"$C/deployments.apps/nopages/flink_job_parallelism")" = 404 ]; do
	[ $SECONDS -lt $deadline ] || fail "values of a dead JobManager still served"
	sleep 0.5
done
sleep 3
n=$(grep -c "jobmanager: flink/nopages: $E: .*/jobs/overview" "$FH_TMP/adapter.log")
[ "$n" = 1 ] || fail "the dead JobManager logged $n times for nopages: $(tail -n 20 "$FH_TMP/adapter.log")"
kill -0 "$ADAPTER_PID" || fail "the adapter died with the JobManager"
get "$ADAPTER_URL/metrics" 200
expect_body_has 'flinkhpa_jobmanager_jobs 3'
expect_body_has 'flinkhpa_jobmanager_jobs_failing 3'

# back: read again, and said so
start_emu
wait_body "$C/deployments.apps/nopages/flink_job_parallelism" '"value":"4"'
grep -q 'jobmanager: flink/nopages: .*read again' "$FH_TMP/adapter.log" ||
	fail "no line saying the JobManager is read again"
stop_adapter
echo ok
