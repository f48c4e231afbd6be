#!/usr/bin/env bash
# demo.sh - `make demo` (hack/demo.sh) plays the reference scenario to the
# end: the adapter's answers as kubectl shows them, the HPA (simulated, fed
# live from the adapter) scaling 1 -> 2 on the spike and back to 1 after
# the window, the job following, a chart that renders, and no process left.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

[ -z "$FH_WRAP" ] || { echo "the demo runs the plain binaries"; exit 77; }
export FLINKHPA_DEMO_OUT=$FH_TMP/demo FLINKHPA_BIN=$FH_BIN
# every process the demo starts inherits FH_DEMO_MARK (this test's own
# value): the ones left afterwards are found by it, and only ours (not the
# demos or emulators of other tests running on the machine)
MARK=$FH_TMP
out=$(cd "$FH_ROOT" && FH_DEMO_MARK=$MARK timeout $((150 * FH_TIMEOUT_FACTOR)) hack/demo.sh 2>&1) ||
	fail "demo failed: $out"
left() { # the processes the demo started that still run: PID and command
	local f pid
	for f in $(grep -lsxzF "FH_DEMO_MARK=$MARK" /proc/[0-9]*/environ); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done
}
# about 24.5% of the CPU request while calm (the rate of two scrapes)
[[ "$out" =~ taskmanager-100000-1\ +2[0-9]{4}m ]] || fail "no calm CPU utilization: $out"
# the commands shown are the ones run: curl to the adapter, no kubectl here
[[ "$out" =~ \$\ curl\ -s\ -A\ kubectl\ \'http://127\.0\.0\.1:[0-9]+/apis/custom\.metrics\.k8s\.io/v1beta2/namespaces/realfuture-jobs-streampark-100000/pods/\*/flink_tm_cpu_utilization ]] ||
	fail "the demo does not show the curl it runs: $out"
[[ "$out" == *'$ kubectl'* ]] && fail "the demo shows a kubectl command it does not run: $out"
for want in "INSECURE DEMO MODE" \
	"flink_job_backlog" "averageValue: \"65\"" "job parallelism 4 (RUNNING)" \
	"the HPA scaled 1 -> 2 (pods metric flink_tm_cpu_utilization above target)" \
	"the HPA scaled 2 -> 1 (All metrics below target)" "job parallelism now 2" \
	"chart:    $FH_TMP/demo/chart.svg" "Next steps"; do
	[[ "$out" == *"$want"* ]] || fail "demo output lacks [$want]: $out"
done
[[ "$out" == *"'status': 'Failure'"* ]] && fail "demo shows an error: $out"
[ "$(grep -c "New size" <<<"$out")" = 2 ] || fail "more than two rescales: $out"
rsvg-convert -o "$FH_TMP/chart.png" "$FH_TMP/demo/chart.svg" || fail "the chart does not render"
grep -q "^time,flink_tm_cpu_utilization" "$FH_TMP/demo/trace.csv" || fail "no trace"
sleep 0.5
[ -z "$(left)" ] || fail "the demo left processes behind: $(left)"
echo ok
