#!/usr/bin/env bash
# emulator.sh - flinkhpa-adapter against the Flink emulator (flinkhpa-emu):
# three TaskManagers on 127.0.1.x, the adapter in standalone mode.  The
# adapter's values follow the emulator's model: calm, then a load spike
# (busy 1.0 and a growing backlog), then more TaskManagers (the job
# restarts at a higher parallelism); a TaskManager that goes away goes
# stale.  Also the emulator's JobManager REST in Flink's shapes.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

mport=$(free_port)
rport=$(free_port)
$FH_WRAP "$FH_BIN/flinkhpa-emu" --taskmanagers 3 --metrics-port "$mport" \
	--rest-port "$rport" --input-rate 600 --restart-pause 2s >"$FH_TMP/emu.log" 2>&1 &
BB_PIDS+=($!)
E=http://127.0.0.1:$rport
deadline=$((SECONDS + 10 * FH_TIMEOUT_FACTOR))
until curl -s "$E/control" >/dev/null; do
	[ $SECONDS -lt $deadline ] || fail "emulator did not start: $(cat "$FH_TMP/emu.log")"
	sleep 0.1
done
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
get "$C/pods/%2A/flink_tm_busy_ratio?labelSelector=app%3Dflink" 200
[ "$(grep -o '"value":"100m"' "$FH_TMP/body" | wc -l)" = 3 ] || fail "calm busy ratio: $(cat "$FH_TMP/body")"
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
get "$C/pods/tm-1/flink_tm_cpu_utilization" 200 # a rate: needs two scrapes

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
expect_body_has '{"errors":['

# a TaskManager goes away: its values go stale
curl -s -X PUT "$E/control?taskmanagers=2" >/dev/null
wait_body "$C/pods/%2A/flink_tm_busy_ratio?labelSelector=app%3Dflink" '"name":"tm-3"' lacks
get "$C/pods/tm-3/flink_tm_busy_ratio" 404
stop_adapter
echo ok
