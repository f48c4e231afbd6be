#!/usr/bin/env bash
# redact_urls.sh - passwords in URLs never reach the log (issue #17, item
# 6): a target and a JobManager whose URLs carry user:password@, both
# failing (nothing listens) and then the target working again; the log
# names them with "***" in place of the userinfo and holds neither password.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
page_port=$(free_port)
jm_port=$(free_port)
printf '%s\n' 'targets:' \
 "  - {namespace: flink, pod: tm-1, url: \"http://alice:s3cret-tm@127.0.0.1:$page_port/metrics\", deployment: tm, job: orders, jobManager: \"http://bob:hunter2-jm@127.0.0.1:$jm_port\"}" \
 >"$FH_TMP/targets.yaml"
start_adapter --insecure-demo --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s
wait_ready "$ADAPTER_URL"
deadline=$((SECONDS + 20 * FH_TIMEOUT_FACTOR))
until grep -q "scrape flink/tm-1 .*failed" "$FH_TMP/adapter.log" &&
	grep -q "jobmanager: flink/tm: " "$FH_TMP/adapter.log"; do
	[ $SECONDS -lt $deadline ] || fail "no failure logged for the target and the JobManager"
	sleep 0.2
done
# the TaskManager comes up: "works again" names it too
printf '%s\n' '# TYPE flink_taskmanager_Status_JVM_CPU_Load gauge' \
	'flink_taskmanager_Status_JVM_CPU_Load{tm_id="tm-1",} 0.5' >"$tm_dir/metrics"
python3 -m http.server "$page_port" --bind 127.0.0.1 --directory "$tm_dir" \
	>"$FH_TMP/page-server.log" 2>&1 &
BB_PIDS+=($!)
until grep -q "scrape flink/tm-1 .*works again" "$FH_TMP/adapter.log"; do
	[ $SECONDS -lt $deadline ] || fail "the target's recovery is not logged"
	sleep 0.2
done
stop_adapter
for w in s3cret-tm hunter2-jm alice bob; do
	! grep -q "$w" "$FH_TMP/adapter.log" || fail "the log holds \"$w\": $(grep "$w" "$FH_TMP/adapter.log")"
done
grep -q "scrape flink/tm-1 (http://\*\*\*@127.0.0.1:$page_port/metrics) failed" "$FH_TMP/adapter.log" ||
	fail "the failing target is not named with its userinfo redacted"
grep -q "scrape flink/tm-1 (http://\*\*\*@127.0.0.1:$page_port/metrics) works again" "$FH_TMP/adapter.log" ||
	fail "the recovered target is not named with its userinfo redacted"
grep -q "jobmanager: flink/tm: http://\*\*\*@127.0.0.1:$jm_port: " "$FH_TMP/adapter.log" ||
	fail "the failing JobManager is not named with its userinfo redacted"
echo "ok: $(grep -c '\*\*\*@' "$FH_TMP/adapter.log") log lines name URLs, none with a password"
