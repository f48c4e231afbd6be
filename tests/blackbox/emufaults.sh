#!/usr/bin/env bash
# emufaults.sh - the emulator's injected faults, which tests/e2e/chaos.sh
# relies on: a hung TaskManager accepts and never answers, a malformed page
# is not the text format (the adapter's parser says so), both heal; a slow
# JobManager delays its REST answers but never /control; TaskManagers that
# go away while their pages are being read do not stall the emulator.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

start_emu E --taskmanagers 2 --slots 2
C=$E_URL/control
page() { curl -s --max-time "${2:-2}" -o "$FH_TMP/page" -w '%{http_code}' "http://127.0.1.$1:$E_MPORT/metrics"; }
put() { curl -s --max-time 5 -o "$FH_TMP/ctl" -w '%{http_code}' -X PUT "$C?$1"; }

[ "$(put tm-hang=2)" = 200 ] || fail "tm-hang=2: $(cat "$FH_TMP/ctl")"
code=$(page 2 1)
[ "$code" = 000 ] || fail "a hung TaskManager answered $code"
[ "$(page 1)" = 200 ] || fail "TaskManager 1 stopped answering"
[ "$(put tm-malformed=1)" = 200 ] || fail "tm-malformed=1"
[ "$(page 1)" = 200 ] || fail "the malformed page is not served"
"$FH_BIN/flinkhpa-adapter" --dump-scrape "$FH_TMP/page" >/dev/null 2>"$FH_TMP/err" &&
	fail "the adapter's parser took the malformed page"
[ "$(put tm-hang=0)" = 200 ] || fail "tm-hang=0"
[ "$(page 2)" = 200 ] && [ "$(page 1)" = 200 ] || fail "the TaskManagers did not heal"
"$FH_BIN/flinkhpa-adapter" --dump-scrape "$FH_TMP/page" >/dev/null 2>"$FH_TMP/err" ||
	fail "a healed page does not parse: $(cat "$FH_TMP/err")"
[ "$(put tm-hang=3)" = 400 ] || fail "tm-hang of a TaskManager that does not run is not a 400"

[ "$(put jm-delay=1500)" = 200 ] || fail "jm-delay"
t0=$(date +%s%N)
curl -s --max-time 5 "$E_URL/overview" >/dev/null || fail "a slow JobManager did not answer"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1400 ] || fail "jm-delay=1500 answered in $ms ms"
curl -s --max-time 5 "$E_URL/overview" >/dev/null &
slow=$!
sleep 0.2
t0=$(date +%s%N)
[ "$(put jm-delay=0)" = 200 ] || fail "jm-delay=0"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1000 ] || fail "/control waited behind a slow answer ($ms ms)"
wait "$slow"

# TaskManagers removed while their pages are read: /control keeps answering
readers=()
for i in $(seq 1 20); do
	for k in 1 2; do
		page $k 2 >/dev/null &
		readers+=($!)
	done
	[ "$(put taskmanagers=$((1 + i % 2)))" = 200 ] || fail "round $i: /control did not answer"
done
wait "${readers[@]}"
echo ok
