#!/usr/bin/env bash
# scrape_idle.sh - an idle adapter uses no CPU (issue #17, defect 1).  The
# scrape thread used to spin on epoll_wait(..., 0) between rounds, at up to
# a whole core, once curl's one-shot timer had fired in the call that ended
# a round's last transfer: certain with targets curl refuses, intermittent
# when the last transfer was one that timed out.  Two adapters, one after
# the other: (a) only targets curl refuses (port 99999, a path with a
# space); (b) those, a good TaskManager, a port where nothing listens and a
# TaskManager that accepts and never answers (0.5 s timeout).  Each one's
# own CPU time (utime + stime from /proc/PID/stat, not the wall clock) over
# 8 s of 1 s rounds stays under 1% of a core; each failing target is logged
# once.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
printf '%s\n' \
 '# TYPE flink_taskmanager_job_task_operator_pendingRecords gauge' \
 'flink_taskmanager_job_task_operator_pendingRecords{job_name="orders",subtask_index="0",} 1234.0' \
 >"$tm_dir/metrics"
start_page_server "$tm_dir"
dead=$(free_port)
hung=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
time.sleep(3600)' "$hung" &
BB_PIDS+=($!)

secs=8
hz=$(getconf CLK_TCK)
# a wrapper (valgrind) costs CPU of its own: the bound grows with it, far
# below a spinning thread's whole core
limit_pct=$((FH_TIMEOUT_FACTOR > 20 ? 20 : FH_TIMEOUT_FACTOR))
limit=$((secs * hz * limit_pct / 100))
ticks() { awk '{ print $14 + $15 }' "/proc/$ADAPTER_PID/stat"; }

# idle_cpu NAME FAILING TARGET-LINE...: the adapter's CPU with these targets
idle_cpu() {
	local name=$1 failing=$2 t0 t1 p n
	shift 2
	printf '%s\n' 'targets:' "$@" >"$FH_TMP/targets-$name.yaml"
	start_adapter --insecure-demo --targets-file "$FH_TMP/targets-$name.yaml" \
		--scrape-interval 1s --scrape-timeout 500ms
	wait_ready "$ADAPTER_URL"
	sleep 2 # every target has been tried
	t0=$(ticks)
	sleep "$secs"
	t1=$(ticks)
	echo "$name: adapter CPU over ${secs}s: $((t1 - t0)) ticks of 1/$hz s (limit ${limit_pct}% of a core: $limit)"
	[ $((t1 - t0)) -le "$limit" ] ||
		fail "$name: the idle adapter used $((t1 - t0))/$hz CPU seconds in ${secs}s (over ${limit_pct}% of a core)"
	get "$ADAPTER_URL/metrics" 200
	expect_body_has "flinkhpa_scrape_targets_failing $failing"
	for p in $(sed -n 's/.*pod: \(tm-[a-z]*\),.*/\1/p' "$FH_TMP/targets-$name.yaml"); do
		[ "$p" = tm-good ] && continue
		n=$(grep -c "scrape flink/$p .*failed" "$FH_TMP/adapter.log")
		[ "$n" = 1 ] || fail "$name: failing target $p logged $n times, not once"
	done
	stop_adapter
}

bad1='  - {namespace: flink, pod: tm-badport, url: "http://127.0.0.1:99999/metrics"}'
bad2="  - {namespace: flink, pod: tm-space, url: \"http://127.0.0.1:$PAGE_PORT/my metrics\"}"
idle_cpu refused 2 "$bad1" "$bad2"
idle_cpu mixed 4 "$bad1" "$bad2" \
	"  - {namespace: flink, pod: tm-good, url: \"http://127.0.0.1:$PAGE_PORT/metrics\"}" \
	"  - {namespace: flink, pod: tm-dead, url: \"http://127.0.0.1:$dead/metrics\"}" \
	"  - {namespace: flink, pod: tm-hung, url: \"http://127.0.0.1:$hung/metrics\"}"
echo "ok: the idle adapter stays under ${limit_pct}% of a core"
