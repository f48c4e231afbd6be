#!/usr/bin/env bash
# hack/demo.sh - `make demo`: the reference scenario on one machine, with no
# cluster, in about a minute.  The Flink emulator (bin/flinkhpa-emu) runs a
# job in reactive mode on TaskManagers listening on 127.0.1.k, in Flink's
# own formats; flinkhpa-adapter runs in standalone mode (--insecure-demo,
# targets from a file) and scrapes them; every HPA sync the demo reads the
# adapter's answer, as the HPA controller would, and asks
# `flinkhpa-gen simulate` (the HPA's algorithm, fed live) what the HPA
# decides; the decision is applied to the emulator, as Kubernetes would
# start or stop TaskManager pods.  Calm, a load spike (hack/load.sh), calm
# again.  Time is compressed: the HPA syncs every 5 s instead of 15 s and
# scales down after 20 s instead of 300 s.  Leaves no process behind.
# FLINKHPA_BIN: the directory of the programs (bin; the tests pass their
# build's, e.g. the sanitizer build).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${FLINKHPA_BIN:-bin}
for p in flinkhpa-emu flinkhpa-adapter flinkhpa-gen; do
	[ -x "$B/$p" ] || { echo "hack/demo.sh: $B/$p is missing (make builds it)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-demo.XXXXXX")
out=${FLINKHPA_DEMO_OUT:-$PWD/build/demo}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
say() { printf '\n== %s\n' "$*"; }
NS=realfuture-jobs-streampark-100000
SYNC=5     # seconds between HPA syncs (15 s in Kubernetes)
CALM=500   # records/s
SPIKE=2000

mport=$(port)
rport=$(port)
export FLINKHPA_EMU=http://127.0.0.1:$rport
"$B"/flinkhpa-emu --taskmanagers 1 --slots 2 --metrics-port "$mport" --rest-port "$rport" \
	--job-name orders-enrichment --input-rate $CALM --slot-capacity 1000 \
	--restart-pause 3s >"$work/emu.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 20))
until curl -s -o /dev/null "$FLINKHPA_EMU/control"; do
	[ $SECONDS -lt $deadline ] || { echo "hack/demo.sh: the emulator did not start: $(cat "$work/emu.log")" >&2; exit 1; }
	sleep 0.1
done
emu() { curl -s "$FLINKHPA_EMU/control" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

say "A Flink job (emulated) on one TaskManager of 2 slots, 1 CPU each"
echo "JobManager REST: $FLINKHPA_EMU/jobs/overview"
curl -s "$FLINKHPA_EMU/jobs/overview" | python3 -c 'import json,sys; [print("  job %s %s, %d tasks" % (j["name"], j["state"], j["tasks"]["total"])) for j in json.load(sys.stdin)["jobs"]]'
echo "TaskManager 1:   http://127.0.1.1:$mport/metrics (Flink's PrometheusReporter format)"

# The policy the platform would apply, and what flinkhpa-gen makes of it.
cat >"$work/policy.yaml" <<EOF
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: taskmanager-100000, namespace: $NS}
spec:
  job: {name: orders-enrichment, slotsPerTaskManager: 2}
  taskManager:
    metricsPort: $mport
    resources: {requests: {cpu: 1000m}, limits: {cpu: 1000m}}
  replicas: {min: 1, max: 5}
  rules:
  - {type: cpu, utilization: 65, source: flink}
  behavior:
    # a rescaled Flink job catches up on its backlog at full speed: a
    # scale-up window keeps that burst from adding more TaskManagers
    scaleUp: {stabilizationWindow: 10s}
    scaleDown: {stabilizationWindow: 20s}
EOF
say "The scaling policy: CPU above 65%, 1 to 5 TaskManagers (flinkhpa-gen writes the HPA)"
"$B"/flinkhpa-gen -o - "$work/policy.yaml" | sed -n '/^kind: HorizontalPodAutoscaler/,$p' |
	sed -n '/^spec:/,$p' | sed 's/^/  /'

# Up to five TaskManagers: 127.0.1.1-5 (the emulator serves as many as run).
{
	echo "targets:"
	for k in 1 2 3 4 5; do
		echo "  - {namespace: $NS, pod: taskmanager-100000-$k, url: \"http://127.0.1.$k:$mport/metrics\", deployment: taskmanager-100000-taskmanager, job: orders-enrichment, cpuRequest: 1000m, labels: {app: flink}}"
	done
} >"$work/targets.yaml"
api=$(port)
"$B"/flinkhpa-adapter --insecure-demo --targets-file "$work/targets.yaml" \
	--secure-port "$api" --bind-address 127.0.0.1 --scrape-interval 1s \
	--stale-after 2s >"$work/adapter.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
	[ "$(curl -s "http://127.0.0.1:$api/readyz")" = ok ] && break
	sleep 0.2
done
sleep 2 # CPU utilization is a rate over two scrapes
say "flinkhpa-adapter (standalone, demo mode: plain HTTP, no authentication)"
sed -n 's/^[IWE][0-9]* [0-9:.]* *[0-9]* [a-z.]*:[0-9]*] //p' "$work/adapter.log" | grep -v scrape | head -n 3

# The demo asks the adapter directly, over plain HTTP (there is no
# kube-apiserver here); in a cluster, `kubectl get --raw PATH` asks the same
# through the aggregation layer.  show prints the command it really runs.
raw() { curl -s -A kubectl "http://127.0.0.1:$api$1"; }
show() {
	echo "\$ curl -s -A kubectl 'http://127.0.0.1:$api$1'"
	echo "  (in a cluster: kubectl get --raw '$1')"
	raw "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); [print("  %-32s %s" % (i.get("describedObject",{}).get("name") or i.get("metricLabels"), i["value"])) for i in d.get("items",[])] or print(" ", d)'
}
base=/apis/custom.metrics.k8s.io/v1beta2/namespaces/$NS
cpu_path="$base/pods/*/flink_tm_cpu_utilization?labelSelector=app%3Dflink"
say "What the HPA reads"
show "$cpu_path"
show "$base/deployments.apps/taskmanager-100000-taskmanager/flink_job_backlog"

# One HPA sync: the average CPU utilization over the TaskManagers the
# adapter serves, the simulation's decision, and its application.
echo "time,flink_tm_cpu_utilization" >"$work/trace.csv"
tms=1
sync() {
	local t=$1 avg line desired event
	avg=$(raw "$cpu_path" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = [float(i["value"][:-1]) / 1000 if i["value"].endswith("m") else float(i["value"]) for i in d.get("items", [])]
print("%.1f" % (sum(v) / len(v)) if v else "")')
	echo "$t,$avg" >>"$work/trace.csv"
	line=$("$B"/flinkhpa-gen simulate --trace "$work/trace.csv" --sync-period ${SYNC}s \
		"$work/policy.yaml" | tail -n 1)
	desired=$(echo "$line" | awk '{print $4}')
	event=$(echo "$line" | sed -n 's/.*\(New size.*\)/\1/p')
	printf '  t=%3ss  load %4s rec/s  TaskManagers %s  job parallelism %s %-10s  CPU %5s%%  %s\n' \
		"$t" "$(emu input-rate | cut -d. -f1)" "$tms" "$(emu parallelism)" "($(emu state))" \
		"${avg:--}" "${event:+HPA: $event}"
	if [ -n "$desired" ] && [ "$desired" != "$tms" ]; then
		tms=$desired
		curl -s -X PUT "$FLINKHPA_EMU/control?taskmanagers=$tms" >/dev/null
	fi
}

say "The scenario (time compressed: the HPA syncs every ${SYNC}s, scales down after 20s)"
t=0
for phase in calm spike calm; do
	case $phase in
	calm) [ $t = 0 ] && n=2 || n=5
		[ $t = 0 ] || { echo "  -- the load generator stops: $(hack/load.sh stop $CALM)"; } ;;
	spike) n=5; echo "  -- $(hack/load.sh start $SPIKE)" ;;
	esac
	for _ in $(seq 1 $n); do
		sync $t
		sleep $SYNC
		t=$((t + SYNC))
	done
done

mkdir -p "$out"
cp "$work/trace.csv" "$out/trace.csv"
cp "$work/policy.yaml" "$out/policy.yaml"
"$B"/flinkhpa-gen simulate --trace "$out/trace.csv" --sync-period ${SYNC}s \
	--svg "$out/chart.svg" "$out/policy.yaml" >"$out/timeline.txt"
say "Summary"
grep "New size" "$out/timeline.txt" | awk '{printf "  at t=%s the HPA scaled %s -> %s (%s)\n", $1, $2, $4, substr($0, index($0, "reason: ") + 8)}'
echo "  job parallelism now $(emu parallelism), $(emu restarts) restarts, no human action"
echo "  chart:    $out/chart.svg"
echo "  timeline: $out/timeline.txt (flinkhpa-gen simulate --trace $out/trace.csv --sync-period ${SYNC}s $out/policy.yaml)"

say "Next steps"
echo "  hack/cluster-up.sh                 a local Kubernetes control plane (real kube-apiserver"
echo "                                     and kube-controller-manager); see README.md"
echo "  bin/flinkhpa-gen --help            policies to Deployments and HPAs (docs/policy.md)"
echo "  make test                          every test, including real HPAs scaling on these metrics"
