#!/usr/bin/env bash
# hack/demo.sh - `make demo`: flinkhpa-adapter at work on one machine, with
# no cluster.  Two TaskManager pages (Flink's PrometheusReporter format,
# made by mkpage) are served over HTTP on loopback; the adapter
# runs in standalone mode (--insecure-demo, targets from a file) and its
# answers are shown as `kubectl get --raw` would show them.  Leaves no
# process behind.  Pages come from mkpage (tests/bench/mkpage.c, built by
# make demo).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-demo.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
say() { printf '\n== %s\n' "$*"; }

say "Two Flink TaskManagers (pages as Flink's PrometheusReporter serves them on :9249/metrics)"
for tm in 1 2; do
	mkdir -p "$work/tm$tm"
	build/release/bench-bin/mkpage --slots 2 --operators 3 --tm "$tm" \
		-o "$work/tm$tm/metrics" 2>/dev/null
	p=$(port)
	python3 -m http.server "$p" --bind 127.0.0.1 --directory "$work/tm$tm" >/dev/null 2>&1 &
	pids+=($!)
	eval "tm${tm}_port=$p"
	until curl -s -o /dev/null "http://127.0.0.1:$p/metrics"; do sleep 0.1; done
	echo "taskmanager-$tm: http://127.0.0.1:$p/metrics ($(wc -c <"$work/tm$tm/metrics") bytes)"
done
grep -m 2 -E 'busyTimeMsPerSecond\{|pendingRecords\{' "$work/tm1/metrics" | cut -c 1-150

cat >"$work/targets.yaml" <<EOF
targets:
  - {namespace: realfuture-jobs-streampark-100000, pod: taskmanager-100000-1, url: "http://127.0.0.1:$tm1_port/metrics", deployment: taskmanager-100000, job: orders-enrichment, cpuRequest: 1000m, labels: {app: flink, component: taskmanager}}
  - {namespace: realfuture-jobs-streampark-100000, pod: taskmanager-100000-2, url: "http://127.0.0.1:$tm2_port/metrics", deployment: taskmanager-100000, job: orders-enrichment, cpuRequest: 1000m, labels: {app: flink, component: taskmanager}}
EOF
api=$(port)
bin/flinkhpa-adapter --insecure-demo --targets-file "$work/targets.yaml" \
	--secure-port "$api" --bind-address 127.0.0.1 --scrape-interval 1s \
	>"$work/adapter.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
	[ "$(curl -s "http://127.0.0.1:$api/readyz")" = ok ] && break
	sleep 0.2
done
sleep 1 # a second scrape round: CPU utilization is a rate of two scrapes
say "flinkhpa-adapter (standalone, demo mode: plain HTTP, no authentication)"
sed -n 's/^[IWE][0-9]* [0-9:.]* *[0-9]* [a-z.]*:[0-9]*] //p' "$work/adapter.log" | head -n 3

get() {
	echo "\$ kubectl get --raw '$1'"
	curl -s -A kubectl "http://127.0.0.1:$api$1" | python3 -m json.tool --compact |
		python3 -c 'import json,sys; d=json.load(sys.stdin); [print("  %-32s %s" % (i.get("describedObject",{}).get("name") or i.get("metricLabels"), i["value"])) for i in d.get("items",[])] or print(" ", d)'
}
ns=/apis/custom.metrics.k8s.io/v1beta2/namespaces/realfuture-jobs-streampark-100000
say "What the HPA reads (Pods metrics, per TaskManager)"
get "$ns/pods/*/flink_tm_busy_ratio?labelSelector=app%3Dflink"
get "$ns/pods/*/flink_tm_backlog?labelSelector=app%3Dflink"
get "$ns/pods/*/flink_tm_heap_utilization?labelSelector=app%3Dflink"
get "$ns/pods/*/flink_tm_cpu_utilization?labelSelector=app%3Dflink"
say "Per job (Object metrics on the Deployment, External metrics by job_name)"
get "$ns/deployments.apps/taskmanager-100000/flink_job_backlog"
get "/apis/external.metrics.k8s.io/v1beta1/namespaces/realfuture-jobs-streampark-100000/flink_job_latency_seconds?labelSelector=job_name%3Dorders-enrichment"

say "Next steps"
echo "  bin/flinkhpa-adapter --help        every flag"
echo "  hack/cluster-up.sh                 a local Kubernetes control plane (real kube-apiserver"
echo "                                     and kube-controller-manager); see README.md"
echo "  make test                          every test, including a real HPA scaling on these metrics"
