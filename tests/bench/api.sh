#!/usr/bin/env bash
# tests/bench/api.sh - the metrics API under load, side by side with
# kube-apiserver in the same run (part of `make bench`).
#
# 1,000 TaskManager pods in 100 jobs (10 pods per job's selector;
# FH_API_PODS=10000: 10,000 pods in 1,000 jobs).  wrk over
# loopback with keep-alive asks for pods/*/flink_tm_busy_ratio with one
# job's selector and with a selector over all 1,000 pods, against:
#   - flinkhpa's API server (tests/bench/bench_api: the real HTTP layer and
#     router over a filled store), plain HTTP and TLS;
#   - kube-apiserver (built from Debian's source, hack/k8s-build.sh) listing
#     the same pods with the same selectors from its watch cache
#     (resourceVersion=0), over TLS with a service account token.
# Latency is measured with 4 connections, throughput with 32.  Targets:
# one job's selector p99 < 1 ms and >= 20,000 requests/s; all pods p99 <
# 10 ms (20 ms for 10,000 pods).  wrk and the servers share this machine's cores.  Also the
# server's RSS before and after the load, and over about a million requests
# (FH_SOAK_SECONDS x 4 seconds of load, default 40).  Figures are printed,
# never asserted.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FH_BENCH_BIN:?run through make bench}
secs=${FH_BENCH_SECONDS:-3}
npods=${FH_API_PODS:-1000}
njobs=$(((npods + 9) / 10))
all_ms=$([ "$npods" -gt 1000 ] && echo 20 || echo 10)
work=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-bench-api.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	FLINKHPA_CLUSTER_DIR=$work/cluster "$root/hack/cluster-down.sh" --purge >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

to_ms() { # wrk's "277.00us", "1.27ms", "1.02s"
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.3f", n }'
}

# wrk URL CONNECTIONS [header]: prints "requests/s p99_ms"
load() {
	local out
	out=$(wrk -t1 -c"$2" -d"${secs}s" --latency ${3:+-H "$3"} "$1" 2>&1)
	echo "$(awk '/Requests\/sec/ { printf "%d", $2 }' <<<"$out") $(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
}

rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }

# flinkhpa: measure one server mode; prints "one_p99 one_rps all_p99"
ours() {
	local mode=$1 port pid scheme=http one all
	"$bin/bench_api" "$npods" "$njobs" "$mode" 2 >"$work/$mode.port" &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 1 50); do grep -qs port= "$work/$mode.port" && break; sleep 0.1; done
	port=$(sed -n 's/port=//p' "$work/$mode.port")
	[ "$mode" = tls ] && scheme=https
	base="$scheme://127.0.0.1:$port/apis/custom.metrics.k8s.io/v1beta2/namespaces/bench/pods/%2A/flink_tm_busy_ratio"
	rss0=$(rss_kb "$pid")
	one=$(load "$base?labelSelector=job%3Djob-7" 4)
	rps=$(load "$base?labelSelector=job%3Djob-7" 32)
	all=$(load "$base?labelSelector=app%3Dflink" 4)
	echo "${one#* } ${rps% *} ${all#* } $rss0 $(rss_kb "$pid")"
	[ "$mode" = plain ] && soak "$pid" "$base?labelSelector=job%3Djob-7"
	kill "$pid"
}

# About a million requests: RSS after a quarter of them and at the end.
soak() {
	local n1 n2 r1 r2
	n1=$(wrk -t1 -c32 -d"${FH_SOAK_SECONDS:-10}s" "$2" | awk '/requests in/ { print $1 }')
	r1=$(rss_kb "$1")
	n2=$(wrk -t1 -c32 -d"$(( ${FH_SOAK_SECONDS:-10} * 3 ))s" "$2" | awk '/requests in/ { print $1 }')
	r2=$(rss_kb "$1")
	echo "soak: RSS $r1 KiB after $n1 requests, $r2 KiB after $((n1 + n2))" >"$work/soak"
}

# kube-apiserver with the same pods; prints "one_p99 one_rps all_p99"
theirs() {
	local k8s_bin port token list
	export FLINKHPA_CLUSTER_DIR=$work/cluster KUBECONFIG=$work/cluster/admin.kubeconfig
	"$root/hack/cluster-up.sh" >"$work/cluster-up.log" 2>&1 || { echo "- - -"; return; }
	port=$(cat "$FLINKHPA_CLUSTER_DIR/apiserver.port")
	kubectl create namespace bench >/dev/null
	list=$work/pods.yaml
	for i in $(seq 0 $((npods - 1))); do
		printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: flink-taskmanager-%05d, namespace: bench, labels: {app: flink, component: taskmanager, job: job-%d}}\nspec: {containers: [{name: taskmanager, image: flink}]}\n' "$i" $((i % njobs))
	done >"$list"
	kubectl create -f "$list" >/dev/null
	kubectl -n bench create serviceaccount reader >/dev/null
	kubectl -n bench create role pod-reader --verb=list,get --resource=pods >/dev/null
	kubectl -n bench create rolebinding reader --role=pod-reader --serviceaccount=bench:reader >/dev/null
	for _ in $(seq 1 100); do
		token=$(kubectl -n bench get secret "$(kubectl -n bench get sa reader -o jsonpath='{.secrets[0].name}' 2>/dev/null)" -o jsonpath='{.data.token}' 2>/dev/null | base64 -d) && [ -n "$token" ] && break
		sleep 0.2
	done
	base="https://127.0.0.1:$port/api/v1/namespaces/bench/pods"
	one=$(load "$base?labelSelector=job%3Djob-7&resourceVersion=0" 4 "Authorization: Bearer $token")
	rps=$(load "$base?labelSelector=job%3Djob-7&resourceVersion=0" 32 "Authorization: Bearer $token")
	all=$(load "$base?labelSelector=app%3Dflink&resourceVersion=0" 4 "Authorization: Bearer $token")
	echo "${one#* } ${rps% *} ${all#* }"
}

echo
echo "== metrics API: $npods pods in $njobs jobs, wrk over loopback with keep-alive; load: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r p_one p_rps p_all p_rss0 p_rss1 <<<"$(ours plain)"
read -r t_one t_rps t_all t_rss0 t_rss1 <<<"$(ours tls)"
read -r k_one k_rps k_all <<<"$(theirs)"
printf '%-52s %14s %12s %14s\n' "server" "1 job: p99 ms" "1 job: req/s" "all pods: p99 ms"
printf '%-52s %14s %12s %14s\n' "flinkhpa-adapter, HTTP" "$p_one" "$p_rps" "$p_all"
printf '%-52s %14s %12s %14s\n' "flinkhpa-adapter, TLS" "$t_one" "$t_rps" "$t_all"
printf '%-52s %14s %12s %14s\n' "kube-apiserver, TLS, pods from its watch cache" "$k_one" "$k_rps" "$k_all"
echo "(p99 with 4 connections, requests/s with 32; the servers share 2 cores with wrk)"
echo "flinkhpa RSS before and after the load: HTTP ${p_rss0} -> ${p_rss1} KiB, TLS ${t_rss0} -> ${t_rss1} KiB"
[ -f "$work/soak" ] && echo "flinkhpa, HTTP, $(cat "$work/soak")"
echo "targets: 1 job p99 < 1 ms and >= 20000 req/s; all pods p99 < $all_ms ms:" \
	"$(awk -v a="$p_one" -v b="$p_rps" -v c="$p_all" -v m="$all_ms" 'BEGIN { print (a < 1 && b >= 20000 && c < m) ? "met (HTTP)" : "not met (HTTP)" }')," \
	"$(awk -v a="$t_one" -v b="$t_rps" -v c="$t_all" -v m="$all_ms" 'BEGIN { print (a < 1 && b >= 20000 && c < m) ? "met (TLS)" : "not met (TLS)" }')"
