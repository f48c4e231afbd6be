#!/usr/bin/env bash
# tests/bench/discovery.sh - discovering 10,000 TaskManager pods in a real
# kube-apiserver (part of `make bench` with FH_DISC_PODS; issue #17).
#
# A local control plane (hack/cluster-up.sh: etcd, kube-apiserver,
# kube-controller-manager), FH_DISC_PODS pods (10,000) labelled
# flinkhpa.io/role=taskmanager and marked Running with loopback addresses
# where nothing listens (tests/bench/kube_pods.py; their scrapes fail at
# once, so the figures are discovery's).  Then the adapter in cluster mode
# (--kubeconfig, plain HTTP demo serving): time from its start to the first
# full list applied (its log line "discovery: N TaskManager pods"; the list
# is read in pages of 500, and their number is printed) and to ready,
# beside kubectl listing the same pods; its RSS then and after a
# minute of watching while 1% more pods are added (time until it knows them
# all) and 1% deleted.  Figures are printed, never asserted.
#
# Environment: FH_BIN (bin), FH_DISC_PODS (10000), FH_DISC_WATCH_SECONDS (60).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${FH_BIN:-$root/bin}" && pwd)
npods=${FH_DISC_PODS:-10000}
watch_secs=${FH_DISC_WATCH_SECONDS:-60}
more=$(((npods + 99) / 100))
work=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-bench-disc.XXXXXX")
pids=()
die() {
	echo "bench: discovery: $*" >&2
	exit 1
}
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	FLINKHPA_CLUSTER_DIR=$work/cluster "$root/hack/cluster-down.sh" --purge >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
export FLINKHPA_CLUSTER_DIR=$work/cluster KUBECONFIG=$work/cluster/admin.kubeconfig
"$root/hack/cluster-up.sh" >"$work/cluster-up.log" 2>&1 || die "cluster-up failed: $(tail -n 5 "$work/cluster-up.log")"
api_pid=$(cat "$FLINKHPA_CLUSTER_DIR/apiserver.pid")
kubectl create namespace bench >/dev/null
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
t_create=$(python3 "$root/tests/bench/kube_pods.py" create "$FLINKHPA_CLUSTER_DIR" bench 0 "$npods" "$dead") ||
	die "creating the pods failed"
rss_kb() { awk -v k="${2:-VmRSS}:" '$1 == k { print $2 }' "/proc/$1/status"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

t0=$(now)
n=$(kubectl get pods -n bench -l flinkhpa.io/role=taskmanager -o name | wc -l)
t_kubectl=$(since "$t0")
[ "$n" -eq "$npods" ] || die "kubectl lists $n pods, not $npods"
api_rss=$(rss_kb "$api_pid")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
t0=$(now)
"$bin/flinkhpa-adapter" --insecure-demo --kubeconfig "$KUBECONFIG" \
	--secure-port "$port" --bind-address 127.0.0.1 -v 1 >"$work/adapter.log" 2>&1 &
adapter=$!
pids+=("$adapter")
t_list=- t_ready=-
for _ in $(seq 1 1200); do
	kill -0 "$adapter" 2>/dev/null || die "the adapter exited: $(tail -n 3 "$work/adapter.log")"
	if [ "$t_list" = - ] && grep -q "discovery: $npods TaskManager pods" "$work/adapter.log"; then
		t_list=$(since "$t0")
		rss_list=$(rss_kb "$adapter")
	fi
	if [ "$t_list" != - ] && [ "$(curl -s "http://127.0.0.1:$port/readyz")" = ok ]; then
		t_ready=$(since "$t0")
		break
	fi
	sleep 0.05
done
[ "$t_ready" != - ] || die "the adapter did not list $npods pods and get ready in a minute: $(grep discovery "$work/adapter.log" | tail -n 3)"
rss_ready=$(rss_kb "$adapter")
# the informer's -v 1 line: "discovery: N listed in P pages" (older: no pages)
pages=$(sed -n 's/.*discovery: [0-9]* listed in \([0-9]*\) page.*/\1/p' "$work/adapter.log" | head -n 1 || true)
pods_known() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "flinkhpa_pods" { print $2 }'; }
[ "$(pods_known)" = "$npods" ] || die "the adapter knows $(pods_known) pods, not $npods"

# the watch: 1% more pods, then 1% fewer
t0=$(now)
python3 "$root/tests/bench/kube_pods.py" create "$FLINKHPA_CLUSTER_DIR" bench "$npods" "$more" "$dead" >/dev/null ||
	die "creating more pods failed"
t_more=-
for _ in $(seq 1 600); do
	[ "$(pods_known)" = $((npods + more)) ] && { t_more=$(since "$t0"); break; }
	sleep 0.1
done
kubectl delete pods -n bench --wait=false $(seq -f 'tm-%05g' 0 $((more - 1))) >/dev/null
t0=$(now)
t_fewer=-
for _ in $(seq 1 600); do
	[ "$(pods_known)" = "$npods" ] && { t_fewer=$(since "$t0"); break; }
	sleep 0.1
done
sleep "$watch_secs"
kill -0 "$adapter" 2>/dev/null || die "the adapter exited: $(tail -n 3 "$work/adapter.log")"
rss_end=$(rss_kb "$adapter")
hwm=$(rss_kb "$adapter" VmHWM)
cpu=$(awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$adapter/stat")

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo
echo "== discovery: $npods TaskManager pods in kube-apiserver $(kubectl version -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])' 2>/dev/null || echo '?'), list + watch; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-62s %10s\n' figure value
printf '%-62s %10s\n' "pods created and marked Running (16 connections), s" "$t_create"
printf '%-62s %10s\n' "kubectl get pods -l flinkhpa.io/role=taskmanager -o name, s" "$t_kubectl"
printf '%-62s %10s\n' "adapter: start to first full list applied, s" "$t_list"
printf '%-62s %10s\n' "adapter: start to ready (a round over every target done), s" "$t_ready"
printf '%-62s %10s\n' "adapter: requests of the first list (pages of 500)" "${pages:-1}"
printf '%-62s %10s\n' "adapter: $more pods more, until all known (watch), s" "$t_more"
printf '%-62s %10s\n' "adapter: $more pods deleted, until all gone (watch), s" "$t_fewer"
printf '%-62s %10s\n' "adapter RSS at the first list, MB" "$(mb "$rss_list")"
printf '%-62s %10s\n' "adapter RSS when ready, MB" "$(mb "$rss_ready")"
printf '%-62s %10s\n' "adapter RSS after ${watch_secs} s more of watching and scraping, MB" "$(mb "$rss_end")"
printf '%-62s %10s\n' "adapter peak RSS (VmHWM), MB" "$(mb "$hwm")"
printf '%-62s %10s\n' "adapter CPU seconds since its start" "$cpu"
printf '%-62s %10s\n' "kube-apiserver RSS with the pods, MB" "$(mb "$api_rss")"
echo "(every pod's scrape fails at once: nothing listens at its address; the adapter scrapes every 5 s)"
