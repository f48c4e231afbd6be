#!/usr/bin/env bash
# tests/bench/scrape.sh - scraping 1,000 TaskManagers (10,000 with
# FH_SCRAPE_TMS=10000), side by side with Prometheus in the same run (part
# of `make bench`; issues #3 and #17).
#
# Targets: the Flink emulator (bin/flinkhpa-emu, four processes) with 1,000
# TaskManagers on 127.0.1.1 and up, each page as Flink writes it for a TaskManager running
# FH_SCRAPE_SLOTS subtasks of a three-operator chain (2: about 215 KB and
# 405 samples a page), plus a slow TaskManager (answers after 2 s), a hung
# one (accepts, never answers) and 10 dead ones (nothing listens): 1,012
# targets, 1,001 of them alive.  Scraped every 5 s with a 4 s timeout, first
# by ours, then by the reference, each alone and for the same window after
# a warm-up:
#   - ours: flinkhpa-adapter in standalone mode (--targets-file,
#     --insecure-demo); its own /metrics gives the targets up, the rounds
#     and their wall time, and, polled every 20 ms after the window, when
#     every emulated TaskManager of a round had been stored;
#   - Prometheus (Debian's prometheus) with the same targets in a
#     static_configs file and a throwaway TSDB; its query API gives the
#     targets up and scrape_duration_seconds.
# Both: CPU seconds (utime + stime, /proc/PID/stat) over the window, peak
# and final RSS (VmHWM, VmRSS); and how bunched a round's scrapes are: the
# slowest scrape of a round, and (ours) the most pages stored within 100 ms.
#
# Above 4,096 TaskManagers (or with FH_SCRAPE_FARM=1) the emulator, which
# renders every page it serves (about 1 ms each: 2,000 a second would take
# two cores), gives way to tests/bench/tmfarm: Flink pages written by the
# emulator's page writer (mkpage) once, 121 to 210 KB (one job of 1 to 3
# operators, one slot), sent from memory by one process per 5,000
# TaskManagers.  Prometheus then keeps only the families the adapter reads
# (metric_relabel_configs; 4 million series would not fit in memory) and
# the window is shorter (FH_SCRAPE_SECONDS 30, warm-up 20).  Figures are printed, never asserted; the run
# fails only when the setup breaks: a program that does not start or exits,
# the adapter not serving fresh values of every live target at the end of
# the window, Prometheus scraping none.
#
# Environment:
#   FH_BIN                directory with flinkhpa-adapter and flinkhpa-emu (bin)
#   FH_SCRAPE_SECONDS     measurement window (60)
#   FH_SCRAPE_WARMUP      seconds before the window (20)
#   FH_SCRAPE_TMS         emulated TaskManagers (1000)
#   FH_SCRAPE_SLOTS       slots (subtasks) per emulated TaskManager (2)
#   FH_SCRAPE_EMULATORS   emulator processes sharing them (4)
#   FH_SCRAPE_FARM        1: tmfarm instead of the emulator (default: 1
#                         above 4,096 TaskManagers)
#   FH_SCRAPE_BEFORE      another flinkhpa-adapter measured the same way
#                         first, e.g. a build of an older commit ("")
#   FH_TOOLBIN            directory with mkpage and tmfarm
#                         (build/release/bench-bin), for FH_SCRAPE_FARM
# Needs prometheus (hack/deps.sh bench), python3 and curl.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${FH_BIN:-$root/bin}" && pwd)
ntm=${FH_SCRAPE_TMS:-1000}
farm=${FH_SCRAPE_FARM:-$([ "$ntm" -gt 4096 ] && echo 1 || echo 0)}
secs=${FH_SCRAPE_SECONDS:-$([ "$farm" = 1 ] && echo 30 || echo 60)}
warm=${FH_SCRAPE_WARMUP:-20}
before=${FH_SCRAPE_BEFORE:-}
toolbin=${FH_TOOLBIN:-$root/build/release/bench-bin}
nemu=${FH_SCRAPE_EMULATORS:-4}
slots=${FH_SCRAPE_SLOTS:-2}
interval=5 # seconds; the timeout is one second less (the adapter's default)
probe_secs=$((4 * interval + 2))
ndead=10
slow_delay=2
aux=$root/tests/bench/scrape_aux.py

die() {
	echo "bench: scrape: $*" >&2
	exit 1
}

for p in flinkhpa-adapter flinkhpa-emu; do
	[ -x "$bin/$p" ] || die "$bin/$p is missing (build with make programs)"
done
command -v prometheus >/dev/null || die "prometheus is missing: install it (hack/deps.sh bench)"
command -v python3 >/dev/null || die "python3 is missing"
command -v curl >/dev/null || die "curl is missing"
if [ "$ntm" -lt 1 ] || [ "$ntm" -gt 20000 ]; then die "FH_SCRAPE_TMS must be 1..20000"; fi
if [ "$farm" != 1 ] && [ "$ntm" -gt 4096 ]; then die "the emulator serves 4,096 TaskManagers at most: FH_SCRAPE_FARM=1"; fi
if [ "$farm" = 1 ]; then
	for p in mkpage tmfarm; do
		[ -x "$toolbin/$p" ] || die "$toolbin/$p is missing (build with make MODE=release tests)"
	done
	nemu=$(((ntm + 4999) / 5000))
fi
[ -z "$before" ] || [ -x "$before" ] || die "FH_SCRAPE_BEFORE: $before is not a program"

# The emulator holds a listening socket per TaskManager and each scraper a
# connection to each: more than the usual 1,024 descriptors.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 65536 ]; then
	ulimit -n 65536
else
	ulimit -n "$hard"
fi
# a scraper holds a connection to each TaskManager; a target process two
# descriptors for each of its TaskManagers
[ "$(ulimit -n)" -ge $((ntm + 200)) ] && [ "$(ulimit -n)" -ge $((2 * ntm / nemu + 200)) ] ||
	die "too few file descriptors allowed ($(ulimit -n)); raise ulimit -n"

work=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-bench-scrape.XXXXXX")
pids=()
# stop PID: TERM, then KILL after 15 s
stop() {
	local p=$1
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 1 150); do
		[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null || echo Z)" != Z ] || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}
cleanup() {
	for p in "${pids[@]}"; do stop "$p"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "bench: scrape: line $LINENO failed: $BASH_COMMAND" >&2' ERR

# A port free on every address (a wildcard bind conflicts with all).
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",0)); print(s.getsockname()[1]); s.close()'; }
# ip BASE K: the dotted address BASE + K
ip() {
	local a b c d n
	IFS=. read -r a b c d <<<"$1"
	n=$(((a << 24) + (b << 16) + (c << 8) + d + $2))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}
# ips BASE N: N dotted addresses from BASE, one a line
ips() {
	awk -v b="$1" -v n="$2" 'BEGIN { split(b, o, "."); x = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
		for (k = 0; k < n; k++) { y = x + k
			printf "%d.%d.%d.%d\n", int(y / 16777216) % 256, int(y / 65536) % 256, int(y / 256) % 256, y % 256 } }'
}
# running PID WHAT LOG: dies unless PID still runs
running() {
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || echo Z)" != Z ] ||
		die "$2 exited: $(tail -n 3 "$3")"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
tck=$(getconf CLK_TCK)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
mport=$(port)
slow_addr=127.1.0.1
hang_addr=127.1.0.2
dead_base=127.1.1.1
live=$((ntm + 1))
total=$((ntm + 2 + ndead))

# ---- the targets ----
# Each emulator writes one page at a time (one lock): several share the
# TaskManagers, so that the targets are not one queue.
emus=()
pages=()
if [ "$farm" = 1 ]; then
	for a in "--operators 1 --partitions 1" "--operators 1" "--operators 2" "--operators 3"; do
		# shellcheck disable=SC2086 # a is a list of arguments
		"$toolbin/mkpage" --slots 1 $a --no-latency -o "$work/page${#pages[@]}.prom" 2>/dev/null ||
			die "mkpage $a failed"
		pages+=(--page "$work/page${#pages[@]}.prom")
	done
fi
for g in $(seq 0 $((nemu - 1))); do
	first=$((g * ntm / nemu))
	n=$(((g + 1) * ntm / nemu - first))
	[ "$n" -gt 0 ] || continue
	i=${#emus[@]}
	if [ "$farm" = 1 ]; then
		"$toolbin/tmfarm" --address-base "$(ip 127.0.1.1 "$first")" \
			--count "$n" --port "$mport" "${pages[@]}" \
			>"$work/emu$i.out" 2>"$work/emu$i.log" &
	else
		"$bin/flinkhpa-emu" --taskmanagers "$n" --slots "$slots" \
			--address-base "$(ip 127.0.1.1 "$first")" --max-parallelism 32768 \
			--restart-pause 0s --metrics-port "$mport" --rest-port 0 \
			>"$work/emu$i.out" 2>"$work/emu$i.log" &
	fi
	emus+=($!)
	pids+=($!)
done
python3 "$aux" serve "$slow_addr" "$mport" "$slow_delay" "$hang_addr" \
	>"$work/aux.out" 2>"$work/aux.log" &
pids+=($!)
for g in "${!emus[@]}"; do
	wait_for 60 grep -q 'rest=\|ready' "$work/emu$g.out" ||
		die "the emulator did not start: $(tail -n 3 "$work/emu$g.log")"
done
wait_for 10 grep -q ready "$work/aux.out" ||
	die "the slow and hung TaskManagers did not start: $(tail -n 3 "$work/aux.log")"
last=$(ip 127.0.1.1 $((ntm - 1)))
page_bytes=$(curl -sf "http://$last:$mport/metrics" | wc -c) ||
	die "the emulator's TaskManager $ntm ($last) does not answer"
if [ "$farm" = 1 ]; then
	page_bytes=$(for f in "$work"/page*.prom; do wc -c <"$f"; done | sort -n |
		awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo " to " hi }')
fi
page_samples=$(curl -sf "http://$last:$mport/metrics" |
	"$bin/flinkhpa-adapter" --dump-scrape - | sed -n 's/^# samples=\([0-9]*\).*/\1/p')

{
	echo "targets:"
	ips 127.0.1.1 "$ntm" | awk -v p="$mport" '{ printf "  - {namespace: bench, pod: tm-%04d, url: \"http://%s:%s/metrics\", deployment: tm, job: orders-enrichment, cpuRequest: 1000m, labels: {app: flink}}\n", NR - 1, $1, p }'
	printf '  - {namespace: bench, pod: slow, url: "http://%s:%s/metrics", labels: {app: flink}}\n' "$slow_addr" "$mport"
	printf '  - {namespace: bench, pod: hung, url: "http://%s:%s/metrics", labels: {app: flink}}\n' "$hang_addr" "$mport"
	for k in $(seq 0 $((ndead - 1))); do
		printf '  - {namespace: bench, pod: dead-%d, url: "http://%s:%s/metrics", labels: {app: flink}}\n' \
			"$k" "$(ip "$dead_base" "$k")" "$mport"
	done
} >"$work/targets.yaml"
{
	printf 'global: {scrape_interval: %ds, scrape_timeout: %ds}\n' "$interval" $((interval - 1))
	printf 'scrape_configs:\n  - job_name: flink\n    static_configs:\n'
	printf '      - labels: {kind: tm}\n        targets:\n'
	ips 127.0.1.1 "$ntm" | awk -v p="$mport" '{ printf "          - %s:%s\n", $1, p }'
	printf '      - {labels: {kind: slow}, targets: ["%s:%s"]}\n' "$slow_addr" "$mport"
	printf '      - {labels: {kind: hung}, targets: ["%s:%s"]}\n' "$hang_addr" "$mport"
	printf '      - labels: {kind: dead}\n        targets:\n'
	for k in $(seq 0 $((ndead - 1))); do printf '          - %s:%s\n' "$(ip "$dead_base" "$k")" "$mport"; done
	if [ "$farm" = 1 ]; then # the families the adapter reads (adapter/collect/extract.c)
		printf '    metric_relabel_configs:\n      - source_labels: [__name__]\n        action: keep\n'
		printf "        regex: 'flink_taskmanager_(Status_JVM_(CPU_Load|CPU_Time|Memory_Heap_(Max|Used))|job_latency_.*|job_task_(backPressuredTimeMsPerSecond|busyTimeMsPerSecond|currentInputWatermark)|job_task_operator_(KafkaSourceReader_.*|currentEmitEventTimeLag|pendingRecords|watermarkLag))'\n"
	fi
} >"$work/prometheus.yml"

emus_running() {
	for g in "${!emus[@]}"; do running "${emus[$g]}" "an emulator" "$work/emu$g.log"; done
}
emus_ticks() {
	local t=0 p
	for p in "${emus[@]}"; do t=$((t + $(cpu_ticks "$p"))); done
	echo "$t"
}
# busy CPU ticks of the whole machine
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# measure PID NAME LOG: sleeps through the window; sets cpu, emu_cpu, hwm,
# rss, and others (CPU seconds of every other process)
measure() {
	local c0 e0 c1 e1 m0 m1
	emus_running
	running "$1" "$2" "$3"
	m0=$(machine_ticks)
	c0=$(cpu_ticks "$1")
	e0=$(emus_ticks)
	sleep "$secs"
	emus_running
	running "$1" "$2" "$3"
	m1=$(machine_ticks)
	c1=$(cpu_ticks "$1")
	e1=$(emus_ticks)
	others=$(awk -v m="$((m1 - m0))" -v c="$((c1 - c0))" -v e="$((e1 - e0))" -v t="$tck" \
		'BEGIN { v = (m - c - e) / t; printf "%.1f", (v > 0) ? v : 0 }')
	cpu=$(awk -v a="$c0" -v b="$c1" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')
	emu_cpu=$(awk -v a="$e0" -v b="$e1" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')
	hwm=$(status_kb "$1" VmHWM)
	rss=$(status_kb "$1" VmRSS)
}

# ---- ours ----
# run_adapter PROGRAM: measures one adapter; sets the r_* figures
run_adapter() {
	local aport self adapter ok0 bytes0
	aport=$(port)
	"$1" --insecure-demo --targets-file "$work/targets.yaml" \
		--secure-port "$aport" --bind-address 127.0.0.1 \
		--scrape-interval "${interval}s" >"$work/adapter.log" 2>&1 &
	adapter=$!
	pids+=("$adapter")
	self=http://127.0.0.1:$aport/metrics
	wait_for 60 curl -sf "http://127.0.0.1:$aport/readyz" ||
		die "the adapter did not start: $(tail -n 3 "$work/adapter.log")"
	sleep "$warm"
	running "$adapter" "the adapter" "$work/adapter.log"
	am() { curl -sf "$self" | awk -v k="$1" '$1 == k { print $2 }'; }
	ok0=$(am 'flinkhpa_scrapes_total{result="ok"}')
	bytes0=$(am flinkhpa_scrape_bytes_total)
	measure "$adapter" "the adapter" "$work/adapter.log"
	r_cpu=$cpu r_emu=$emu_cpu r_hwm=$hwm r_rss=$rss r_others=$others
	curl -sf "$self" >"$work/self.prom" || die "the adapter's /metrics does not answer"
	r_served=$(curl -sf -A kubectl "http://127.0.0.1:$aport/apis/custom.metrics.k8s.io/v1beta2/namespaces/bench/pods/%2A/flink_tm_heap_utilization?labelSelector=app%3Dflink" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))') ||
		die "the adapter's metrics API does not answer"
	# After the window (polling costs the adapter some CPU): when were the
	# live TaskManagers of a round stored, how bunched?
	python3 "$aux" probe "$self" "$probe_secs" "$ntm" >"$work/probe.out" 2>"$work/probe.log" ||
		die "polling the adapter's /metrics failed: $(tail -n 3 "$work/probe.log")"
	amf() { awk -v k="$1" '$1 == k { print $2 }' "$work/self.prom"; }
	r_up=$(($(amf flinkhpa_scrape_targets) - $(amf flinkhpa_scrape_targets_failing)))
	r_targets=$(amf flinkhpa_scrape_targets)
	r_round=$(amf flinkhpa_scrape_round_seconds)
	r_round_cpu=$(amf flinkhpa_scrape_round_cpu_seconds)
	r_per=$(awk -v a="$ok0" -v b="$(amf 'flinkhpa_scrapes_total{result="ok"}')" -v n="$live" \
		'BEGIN { printf "%.1f", (b - a) / n }')
	r_mbps=$(awk -v a="$bytes0" -v b="$(amf flinkhpa_scrape_bytes_total)" -v s="$secs" \
		'BEGIN { printf "%.1f", (b - a) / s / 1e6 }')
	# a round's slowest scrape: the adapter's own figure; from one that
	# starts every target at once, the time until the last live page
	read -r r_slow_mean r_slow_max r_nrounds r_incomplete <<<"$(awk '
		$1 == "round" { n++; v = ($4 != "" && $4 != "-") ? $4 : $3
			if (v == "-") { bad++; next }
			s += v; if (v > m) m = v; k++ }
		END { printf "%s %s %d %d\n", k ? sprintf("%.3f", s / k) : "-",
			k ? sprintf("%.3f", m) : "-", n, bad }' "$work/probe.out")"
	r_b100=$(awk '$1 == "busiest" && $2 == "0.1" { print $3 }' "$work/probe.out")
	r_b1=$(awk '$1 == "busiest" && $2 == "1.0" { print $3 }' "$work/probe.out")
	stop "$adapter"
	[ "$r_targets" -eq "$total" ] || die "the adapter scrapes $r_targets targets, not $total"
	[ "$r_served" -ge "$live" ] || die "the adapter serves fresh values of $r_served targets," \
		"not of the $live live ones ($r_up up in its last round)"
}
if [ -n "$before" ]; then
	run_adapter "$before"
	b_cpu=$r_cpu b_hwm=$r_hwm b_slow_mean=$r_slow_mean b_slow_max=$r_slow_max
	b_b100=$r_b100 b_b1=$r_b1 b_per=$r_per b_up=$r_up
fi
run_adapter "$bin/flinkhpa-adapter"
o_cpu=$r_cpu o_emu=$r_emu o_hwm=$r_hwm o_rss=$r_rss o_others=$r_others
o_up=$r_up o_round=$r_round o_round_cpu=$r_round_cpu o_per=$r_per o_mbps=$r_mbps
o_slow_mean=$r_slow_mean o_slow_max=$r_slow_max o_nrounds=$r_nrounds
o_incomplete=$r_incomplete o_b100=$r_b100 o_b1=$r_b1

# ---- Prometheus ----
pport=$(port)
prom=http://127.0.0.1:$pport
prometheus --config.file="$work/prometheus.yml" \
	--storage.tsdb.path="$work/tsdb" --web.listen-address="127.0.0.1:$pport" \
	--log.level=warn >"$work/prometheus.log" 2>&1 &
promp=$!
pids+=("$promp")
wait_for 60 curl -sf "$prom/-/ready" ||
	die "prometheus did not start: $(tail -n 3 "$work/prometheus.log")"
sleep "$warm"
measure "$promp" prometheus "$work/prometheus.log"
p_cpu=$cpu p_emu=$emu_cpu p_hwm=$hwm p_rss=$rss p_others=$others
w="${secs}s"
mapfile -t q < <(python3 "$aux" prom "$prom" \
	'count(up == 1)' \
	'count(up)' \
	"avg_over_time(max(max_over_time(scrape_duration_seconds{kind=\"tm\"}[${interval}s]))[$((secs - interval))s:${interval}s])" \
	"max(max_over_time(scrape_duration_seconds{kind=\"tm\"}[$w]))" \
	"avg(avg_over_time(scrape_duration_seconds{kind=\"tm\"}[$w]))" \
	"sum(sum_over_time(up{kind=~\"tm|slow\"}[$w])) / $live" \
	"max_over_time(scrape_duration_seconds{kind=\"slow\"}[$w])" \
	"max_over_time(scrape_duration_seconds{kind=\"hung\"}[$w])" \
	'sum(scrape_samples_scraped)')
p_up=${q[0]} p_targets=${q[1]} p_live_mean=${q[2]} p_live_max=${q[3]}
p_tm_mean=${q[4]} p_per=${q[5]} p_slow=${q[6]} p_hung=${q[7]} p_samples=${q[8]}
python3 "$aux" promarrivals "$prom" '{kind="tm"}' >"$work/prom-arrivals.out" 2>"$work/prom-arrivals.log" ||
	die "reading Prometheus's scrape times failed: $(tail -n 3 "$work/prom-arrivals.log")"
p_b100=$(awk '$1 == "busiest" && $2 == "0.1" { print $3 }' "$work/prom-arrivals.out")
p_b1=$(awk '$1 == "busiest" && $2 == "1.0" { print $3 }' "$work/prom-arrivals.out")
curl -sf "$prom/metrics" >"$work/prom-self.prom" || die "prometheus's /metrics does not answer"
pm() { awk -v k="$1" '$1 == k { print $2 }' "$work/prom-self.prom"; }
p_series=$(pm prometheus_tsdb_head_series)
p_ival=$(pm "prometheus_target_interval_length_seconds{interval=\"${interval}s\",quantile=\"0.99\"}")
stop "$promp"
# a Prometheus that cannot keep up has not scraped every target yet: a
# figure (targets up), not a failure
if [ "$p_targets" = - ] || [ "$p_targets" -eq 0 ]; then die "prometheus has no target"; fi
if [ "$p_up" = - ] || [ "$p_up" -eq 0 ]; then die "prometheus scraped no target"; fi

# ---- the figures ----
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else printf f, v }'; }
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
		else printf "%.2fx", a / b }'
}
row() { printf '%-50s %12s %12s %9s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
pct() { fmt "$(awk -v c="$1" -v s="$secs" 'BEGIN { print 100 * c / s }')" %.1f; }
# the emulator's CPU per page served while ours scraped
emu_ms=$(awk -v c="$o_emu" -v n="$o_per" -v l="$live" 'BEGIN { printf "%.1f", (n > 0) ? 1000 * c / (n * l) : 0 }')

echo
echo "== scraping $ntm TaskManagers: ours (flinkhpa-adapter) vs Prometheus $(prometheus --version 2>&1 | awk 'NR == 1 { print $3 }'), the same targets, one after the other"
if [ "$farm" = 1 ]; then
	printf 'targets: %d TaskManager pages from tests/bench/tmfarm (%s bytes, written by mkpage), 1 slow (%d s), 1 hung, %d dead;\n' \
		"$ntm" "$page_bytes" "$slow_delay" "$ndead"
else
	printf 'targets: %d emulated TaskManagers (%s bytes, %s samples a page), 1 slow (%d s), 1 hung, %d dead;\n' \
		"$ntm" "$page_bytes" "$page_samples" "$slow_delay" "$ndead"
fi
printf '         every %d s, timeout %d s; figures over %d s after %d s of warm-up; load before: %s\n' \
	"$interval" $((interval - 1)) "$secs" "$warm" "$load0"
printf '%-50s %12s %12s %9s\n' figure ours Prometheus ratio
row "targets up at the end (of $total; $live live)" "$o_up" "$p_up"
row "successful scrapes of a live target" "$o_per" "$(fmt "$p_per" %.1f)"
row "most of the $ntm pages in 100 ms (even: $(( (ntm + 49) / 50 )))" "$o_b100" "$p_b100"
row "most of the $ntm pages in 1 s (even: $(( (ntm + 4) / 5 )))" "$o_b1" "$p_b1"
row "CPU seconds" "$o_cpu" "$p_cpu"
row "CPU, % of one core" "$(pct "$o_cpu")" "$(pct "$p_cpu")"
row "peak RSS, MB (VmHWM)" "$(mb "$o_hwm")" "$(mb "$p_hwm")"
row "RSS at the end, MB" "$(mb "$o_rss")" "$(mb "$p_rss")"
if [ -n "$before" ]; then
	echo "the same targets scraped by $before (FH_SCRAPE_BEFORE), measured first:"
	printf '  up %s, %s scrapes of a live target, most pages in 100 ms %s (in 1 s: %s), a round'"'"'s last\n' \
		"$b_up" "$b_per" "$b_b100" "$b_b1"
	printf '  live page stored %s s after its start (mean; max %s),\n' "$b_slow_mean" "$b_slow_max"
	printf '  %s CPU seconds (%s%% of a core; ours/before %s), peak RSS %s MB\n' \
		"$b_cpu" "$(pct "$b_cpu")" "$(ratio "$o_cpu" "$b_cpu")" "$(mb "$b_hwm")"
fi
echo "(ratio: ours / Prometheus.  Pages in 100 ms and 1 s: how bunched a round's pages arrive, the most"
echo " of them stored within any 100 ms (1 s); ours: its /metrics polled every 20 ms for $probe_secs s after the window;"
echo " Prometheus: each target's last scrape, its start plus its duration.  Spread evenly over ${interval} s, a"
echo " round would give $(( (ntm + 49) / 50 )) and $(( (ntm + 4) / 5 )).)"
echo "ours: the slowest successful scrape of a round (the slow target's ${slow_delay} s included) took $o_slow_mean s on"
echo "  average over $o_nrounds rounds, at most $o_slow_max s; Prometheus: the slowest of the $ntm emulated, $(fmt "$p_live_mean" %.3f) s on average, at most $(fmt "$p_live_max" %.3f) s"
echo "ours: rounds of $o_round s (a round ends when the hung target times out; the pages that arrive are"
echo "  stored at once), $(fmt "$o_round_cpu" %.2f) CPU seconds in the scrape thread a round,"
echo "  $o_mbps MB/s of pages read"
echo "Prometheus: a live TaskManager's scrape takes $(fmt "$p_tm_mean" %.3f) s on average, the slow one" \
	"$(fmt "$p_slow" %.2f) s, the hung one $(fmt "$p_hung" %.2f) s;"
keeps="every sample"
[ "$farm" = 1 ] && keeps="the families the adapter reads (metric_relabel_configs)"
echo "  interval between two scrapes of a target, p99 since its start: $(fmt "$p_ival" %.3f) s; it stores $keeps ($(fmt "$p_samples" %d) samples a round," \
	"$(fmt "$p_series" %d) series), the adapter only the families it serves"
echo "the targets ($nemu processes) used $o_emu CPU seconds with ours, $p_emu with"
echo "  Prometheus, ${emu_ms} ms a page ($(awk -v m="$emu_ms" -v n="$ntm" 'BEGIN { printf "%.1f", m * n / 1000 }') s for $ntm pages), on the same $(nproc) cores as the scraper;"
echo "  other processes on the machine used $o_others CPU seconds in ours' window, $p_others in Prometheus's; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
