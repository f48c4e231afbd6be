#!/usr/bin/env bash
# tests/run.sh - runs flinkhpa's test suites and prints one closing line
# "N passed, N failed, N skipped" (N counts cmocka cases, black-box and
# end-to-end scripts and fuzz targets; skipped counts cmocka skips, scripts
# that exit 77 and the parts of passing scripts they report as skipped with
# skip_part, see tests/blackbox/lib.sh).  A failing script's temporary
# directory (its logs, its cluster's state) is kept and its path printed.
# Called by make test / asan / valgrind / fuzz, which set:
#   FH_BIN       directory with flinkhpa-adapter and flinkhpa-gen
#   FH_TESTBIN   directory with the cmocka programs (test_*)
#   FH_FUZZBIN   directory with the libFuzzer programs (fuzz_*), optional
#   FH_TOOLBIN   directory with the helper programs (mkpage), for scripts
#   FH_FUZZ_SECONDS  seconds per fuzz target (0 or unset: no fuzzing)
#   FH_WRAP      command prefix for every program (valgrind ...), optional;
#                FH_WRAP_EMU, when set, replaces it for the end-to-end
#                tests' Flink emulator
#   FH_TIMEOUT_FACTOR  multiplies time limits (slow wrappers)
#   FH_E2E_JOBS  end-to-end scripts run at once (default 2); FH_E2E=0
#                skips them
#   FH_ONLY      unit, blackbox, e2e or fuzz to run one suite; FH_FILTER a
#                substring of the test names to run
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
FACTOR=${FH_TIMEOUT_FACTOR:-1}
ONLY=${FH_ONLY:-}
FILTER=${FH_FILTER:-}
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-test.XXXXXX")
trap 'rm -rf "$TMPROOT"' EXIT
passed=0
failed=0
skipped=0
failures=()

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
selected() { [ -z "$FILTER" ] || [[ "$1" == *"$FILTER"* ]]; }

report_fail() {
	local name=$1 log=$2
	failures+=("$name")
	echo "FAIL $name"
	tail -n 40 "$log" | sed 's/^/    /'
}

# A script's result: its exit code $3, its log $2 and its temporary
# directory $4 (kept, with the log, when it failed; removed otherwise).
script_result() {
	local name=$1 log=$2 rc=$3 tmp=$4 keep n
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		n=$(cat "$tmp/.skipped" 2>/dev/null | wc -l)
		if [ "$n" -gt 0 ]; then
			skipped=$((skipped + n))
			echo "PASS $name ($n part(s) skipped: $(paste -sd ';' "$tmp/.skipped"))"
		else
			echo "PASS $name"
		fi
		# what a script chose to report even when it passes
		[ -s "$tmp/.summary" ] && sed 's/^/    /' "$tmp/.summary"
	elif [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "SKIP $name: $(tail -n1 "$log")"
	else
		failed=$((failed + 1))
		report_fail "$name (exit $rc)" "$log"
		keep=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-failed-${name//\//-}.XXXXXX")
		cp "$log" "$keep/" 2>/dev/null
		mv "$tmp" "$keep/tmp" && echo "    kept: $keep (the log and the script's FH_TMP)"
		return
	fi
	rm -rf "$tmp"
}

run_unit() {
	local t name log n_pass n_fail n_skip
	for t in "${FH_TESTBIN:?}"/test_*; do
		[ -x "$t" ] || continue
		name=unit/$(basename "$t")
		selected "$name" || continue
		log=$TMPROOT/$(basename "$t").log
		timeout $((300 * FACTOR)) ${FH_WRAP:-} "$t" >"$log" 2>&1
		local rc=$?
		n_pass=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
		n_fail=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
		n_skip=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
		passed=$((passed + ${n_pass:-0}))
		skipped=$((skipped + ${n_skip:-0}))
		if [ $rc -ne 0 ] || [ -z "$n_pass$n_fail" ]; then
			failed=$((failed + ${n_fail:-1}))
			report_fail "$name (exit $rc)" "$log"
		else
			echo "PASS $name (${n_pass} cases)"
		fi
	done
}

# Black-box (tests/blackbox) and end-to-end (tests/e2e) scripts.
run_scripts() {
	local suite=$1 t name log rc tmp
	for t in tests/"$suite"/*.sh; do
		[ -x "$t" ] || continue
		name=$suite/$(basename "$t" .sh)
		selected "$name" || continue
		log=$TMPROOT/$(basename "$t").log
		tmp=$(mktemp -d "$TMPROOT/bb.XXXXXX")
		FH_BIN=$(cd "${FH_BIN:?}" && pwd) FH_ROOT=$ROOT FH_TMP=$tmp \
			FH_TOOLBIN=$(cd "${FH_TOOLBIN:-$FH_BIN}" && pwd) \
			FH_WRAP=${FH_WRAP:-} FH_TIMEOUT_FACTOR=$FACTOR \
			timeout $((600 * FACTOR)) "$t" >"$log" 2>&1
		rc=$?
		script_result "$name" "$log" "$rc" "$tmp"
	done
}

run_fuzz() {
	local t name log corpus dict args
	for t in "${FH_FUZZBIN:?}"/fuzz_*; do
		[ -x "$t" ] || continue
		name=${t##*/fuzz_}
		selected "fuzz/$name" || continue
		corpus=tests/fuzz/corpus/$name
		dict=tests/fuzz/$name.dict
		log=$TMPROOT/fuzz_$name.log
		args=(-max_total_time="$FH_FUZZ_SECONDS" -timeout=10
			-rss_limit_mb=2048 -print_final_stats=1
			-artifact_prefix="$TMPROOT/crash-$name-")
		[ -f "$dict" ] && args+=(-dict="$dict")
		mkdir -p "$TMPROOT/new-$name"
		if [ ! -d "$corpus" ]; then
			echo "no seed corpus $corpus" >"$log"
			failed=$((failed + 1))
			report_fail "fuzz/$name" "$log"
			continue
		fi
		if "$t" "${args[@]}" "$TMPROOT/new-$name" "$corpus" >"$log" 2>&1; then
			passed=$((passed + 1))
			echo "PASS fuzz/$name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs in ${FH_FUZZ_SECONDS}s)"
		else
			failed=$((failed + 1))
			report_fail "fuzz/$name" "$log"
			ls "$TMPROOT"/crash-"$name"-* 2>/dev/null | while read -r f; do
				echo "    crash input (base64): $(base64 -w0 "$f" | head -c 2000)"
			done
		fi
	done
}

# The end-to-end scripts, FH_E2E_JOBS at a time (default 2): each has its
# own control plane, ports and emulators, and they spend most of their time
# waiting for controllers.  Results are reported in name order.
run_e2e() {
	local jobs=${FH_E2E_JOBS:-2} t name log tmp rc i names=() tmps=()
	local sel=()
	for t in tests/e2e/*.sh; do
		[ -x "$t" ] && selected "e2e/$(basename "$t" .sh)" && sel+=("$t")
	done
	[ ${#sel[@]} -gt 0 ] || return 0
	# the control plane's binaries, built once (cold: several minutes)
	# before the scripts that share them start
	log=$TMPROOT/k8s-build.log
	if ! hack/k8s-build.sh >"$log" 2>&1; then
		failed=$((failed + 1))
		report_fail "e2e (building kube-apiserver: hack/k8s-build.sh)" "$log"
		return
	fi
	for t in "${sel[@]}"; do
		name=e2e/$(basename "$t" .sh)
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n 2>/dev/null || true
		done
		log=$TMPROOT/$(basename "$t").log
		tmp=$(mktemp -d "$TMPROOT/bb.XXXXXX")
		(
			FH_BIN=$(cd "${FH_BIN:?}" && pwd) FH_ROOT=$ROOT FH_TMP=$tmp \
				FH_TOOLBIN=$(cd "${FH_TOOLBIN:-$FH_BIN}" && pwd) \
				FH_WRAP=${FH_WRAP:-} FH_TIMEOUT_FACTOR=$FACTOR \
				timeout $((${FH_E2E_TIMEOUT:-900} * FACTOR)) "$t" >"$log" 2>&1
			echo $? >"$log.rc"
		) &
		names+=("$name")
		tmps+=("$tmp")
	done
	wait
	for i in "${!names[@]}"; do
		name=${names[$i]}
		log=$TMPROOT/$(basename "$name").sh.log
		rc=$(cat "$log.rc" 2>/dev/null || echo 1)
		script_result "$name" "$log" "$rc" "${tmps[$i]}"
	done
}

want unit && [ -n "${FH_TESTBIN:-}" ] && run_unit
want blackbox && [ -n "${FH_BIN:-}" ] && run_scripts blackbox
want e2e && [ -n "${FH_BIN:-}" ] && [ "${FH_E2E:-1}" != 0 ] && run_e2e
want fuzz && [ -n "${FH_FUZZBIN:-}" ] && [ "${FH_FUZZ_SECONDS:-0}" != 0 ] && run_fuzz

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
