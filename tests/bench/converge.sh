#!/usr/bin/env bash
# tests/bench/converge.sh - the convergence benchmark (issue #18): load
# steps through `flinkhpa-gen simulate` and the shared Flink workload model
# with the cpu, busyRatio, backlog and throughput rules side by side
# (tests/bench/bench_converge.c says what is measured).  Part of make
# bench; alone:
#   make MODE=release tests && tests/bench/converge.sh
# Environment: FH_BENCH_BIN (build/release/bench-bin), FH_CONVERGE_STEPS
# (all 24).  Prints the goals of the throughput rule and whether they are
# met; never fails on them (figures, not assertions).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FH_BENCH_BIN:-$root/build/release/bench-bin}
[ -x "$bin/bench_converge" ] ||
	{ echo "converge: $bin/bench_converge is missing (make MODE=release tests)" >&2; exit 1; }
out=$("$bin/bench_converge" --steps "${FH_CONVERGE_STEPS:-24}")
printf '%s\n' "$out"
printf '%s\n' "$out" | awk -F'|' '$2 ~ /^ throughput / {
	split($4, a, " "); n = a[1]; of = a[3]; most = $5 + 0; above = $6 + 0; ws = $10 + 0
	ok = (n >= 0.9 * of) && most <= 2 && above <= 1 && ws == 0
	printf "goals (throughput: one rescale in >= 90%% of steps, never more than two, never more than one TaskManager above the smallest sufficient count, no rescale while stable): %s (%d of %d, most %d, %+d, %d while stable)\n", ok ? "met" : "NOT met", n, of, most, above, ws }'
