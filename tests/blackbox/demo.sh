#!/usr/bin/env bash
# demo.sh - `make demo` (hack/demo.sh) runs to the end, shows the adapter's
# answers for both TaskManagers and the job, and leaves no process behind.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

[ -z "$FH_WRAP" ] || { echo "the demo runs the plain binaries"; exit 77; }
out=$(cd "$FH_ROOT" && timeout $((60 * FH_TIMEOUT_FACTOR)) hack/demo.sh 2>&1) || fail "demo failed: $out"
for want in "taskmanager-100000-1 " "taskmanager-100000-2 " "INSECURE DEMO MODE" \
	"flink_tm_busy_ratio" "taskmanager-100000               " "{'job_name': 'orders_enrichment'}" "Next steps"; do
	[[ "$out" == *"$want"* ]] || fail "demo output lacks [$want]: $out"
done
[[ "$out" == *"'status': 'Failure'"* ]] && fail "demo shows an error: $out"
sleep 0.5
pgrep -f 'flinkhpa-demo' >/dev/null && fail "the demo left processes behind"
echo ok
