#!/usr/bin/env bash
# tests/bench/converge_hpa.sh - the convergence benchmark's real part
# (issue #18): the same four rules (cpu 65 from the adapter's Flink CPU, as
# there is no metrics-server; busyRatio 0.7; backlog; throughput) on a real
# control plane (hack/cluster-up.sh: kube-apiserver, kube-controller-
# manager's HPA every 5 s), one namespace and one emulated Flink job each
# (flinkhpa-emu --job-graph pipeline, the model of bench_converge, 10 s
# restarts, reactive: the job uses every slot of the pods the harness
# marks Running), the adapter in front; flinkhpa-gen writes each policy.
# Six load steps of STEP seconds; per step: the Deployment's rescales, its
# replicas at the end against the smallest count that sustains the load
# at busy 0.7 (bench_converge --sufficient: the model's capacity), the time
# from the step's start to the last rescale, and the emulator's backlog
# peak.  Part of make bench; alone, holding the machine-wide lock:
#   make MODE=release tests && flock /tmp/fh-heavy.lock tests/bench/converge_hpa.sh
# Environment: FH_BIN (bin), FH_BENCH_BIN (build/release/bench-bin),
# FH_CONVERGE_STEP (120 s per step).  Figures, not assertions.
set -uo pipefail

FH_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FH_BIN=$(cd "${FH_BIN:-$FH_ROOT/bin}" && pwd)
BENCH_BIN=${FH_BENCH_BIN:-$FH_ROOT/build/release/bench-bin}
FH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-converge.XXXXXX")
export FH_ROOT FH_BIN FH_TMP
STEP=${FH_CONVERGE_STEP:-120}
LOADS="2000 6000 3000 10000 4000 8000"
KINDS="cpu busy backlog throughput"
. "$FH_ROOT/tests/e2e/lib.sh"
# FH_CONVERGE_KEEP=1 keeps the samples, logs and cluster state
trap 'e2e_cleanup; [ "${FH_CONVERGE_KEEP:-}" = 1 ] && echo "kept: $FH_TMP" || rm -rf "$FH_TMP"' EXIT

cluster_up
declare -A URL MPORT RULE
RULE[cpu]="{type: cpu, utilization: 65, source: flink}"
RULE[busy]="{type: busyRatio, target: 0.7}"
RULE[backlog]="{type: backlog, perTaskManager: 20000}"
RULE[throughput]="{type: throughput, utilization: 0.7, catchUp: 100s, restartTime: 10s}"
for k in $KINDS; do
	start_emu E --job-graph pipeline --taskmanagers 1 --slots 2 \
		--slot-capacity 1000 --partitions 48 --hot-key 0.01 --efficiency 0.95 \
		--input-rate 2000 --restart-pause 10s --job-name "job-$k"
	URL[$k]=$E_URL
	MPORT[$k]=$E_MPORT
done
for k in $KINDS; do
	cat <<EOF
---
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: flink, namespace: flink-$k}
spec:
  job: {name: job-$k, slotsPerTaskManager: 2, maxParallelism: 128, jobManager: "${URL[$k]}"}
  taskManager:
    metricsPort: ${MPORT[$k]}
    resources: {requests: {cpu: 1000m}, limits: {cpu: 1000m}}
  replicas: {min: 1, max: 12}
  rules: [${RULE[$k]}]
  behavior:
    scaleUp: {policies: [{type: Percent, value: 10000, period: 15s}]}
    scaleDown: {stabilizationWindow: 30s}
EOF
done >"$FH_TMP/policies.yaml"
"$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$FH_TMP/out" \
	"$FH_TMP/policies.yaml" || fail "flinkhpa-gen"
kubectl apply -k "$FH_TMP/out" >"$FH_TMP/apply.log" 2>&1 || fail "apply -k: $(cat "$FH_TMP/apply.log")"
for k in $KINDS; do
	start_kubelet "flink-$k" "${URL[$k]}"
done
start_cluster_adapter
register_apiservices "$ADAPTER_PORT"
# settle at the first load: every HPA reads its metric
deadline=$((SECONDS + 120))
for k in $KINDS; do
	until [[ "$(kubectl -n flink-$k get hpa flink --no-headers | awk '{print $3}')" != *unknown* ]]; do
		[ $SECONDS -lt $deadline ] || fail "$k: no metric: $(kubectl -n flink-$k describe hpa flink | tail -n 6)"
		sleep 1
	done
done
sleep 30

# one line per second: time, step, then per kind replicas and backlog
sample() {
	local t0=$1 s=$2 line k
	line="$((SECONDS - t0)) $s"
	for k in $KINDS; do
		line="$line $(kubectl -n flink-$k get deployment flink-taskmanager -o jsonpath='{.spec.replicas}') $(emu_state "${URL[$k]}" backlog)"
	done
	echo "$line"
}
t0=$SECONDS
s=0
for load in $LOADS; do
	for k in $KINDS; do
		curl -s -X PUT "${URL[$k]}/control?input-rate=$load" >/dev/null
	done
	end=$((t0 + (s + 1) * STEP))
	while [ $SECONDS -lt $end ]; do
		sample "$t0" "$s" >>"$FH_TMP/samples"
		sleep 1
	done
	s=$((s + 1))
done
suff=""
for load in $LOADS; do
	suff="$suff $("$BENCH_BIN/bench_converge" --sufficient "$load")"
done
python3 - "$FH_TMP/samples" "$STEP" "$LOADS" "$suff" "$KINDS" <<'PY'
import sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
step = int(sys.argv[2])
loads = sys.argv[3].split()
suff = list(map(int, sys.argv[4].split()))
kinds = sys.argv[5].split()
names = {"cpu": "cpu 65 (flink)", "busy": "busyRatio 0.7", "backlog": "backlog 20k",
         "throughput": "throughput"}
print("convergence on a real HPA: %d load steps of %d s, the emulator's "
      "pipeline model, HPA sync 5 s, restart 10 s\n" % (len(loads), step))
print("%-5s %-7s %-5s" % ("step", "load/s", "suff") + "".join(
    " | %-24s" % names[k] for k in kinds))
print("%-19s" % "" + "".join(" | %3s %5s %5s %8s" % ("n", "above", "t(s)", "backlog")
                              for k in kinds))
summary = {k: [] for k in kinds}
paths = {}
for s in range(len(loads)):
    part = [r for r in rows if int(r[1]) == s]
    line = "%-5d %-7s %-5d" % (s + 1, loads[s], suff[s])
    for i, k in enumerate(kinds):
        reps = [int(r[2 + 2 * i]) for r in part]
        back = [r[3 + 2 * i] for r in part]
        prev = [int(r[2 + 2 * i]) for r in rows if int(r[1]) == s - 1][-1:] or reps[:1]
        seq = prev + reps
        changes = [j for j in range(1, len(seq)) if seq[j] != seq[j - 1]]
        t = part[changes[-1] - 1][0] - s * step if changes else 0
        above = reps[-1] - suff[s]
        summary[k].append((len(changes), above, t, max(back)))
        paths.setdefault(k, []).append(">".join(str(seq[j]) for j in [0] + changes))
        line += " | %3d %+5d %5.0f %8.0f" % (len(changes), above, t, max(back))
    print(line)
print("\nreplicas per step (start>each rescale):")
for k in kinds:
    print("  %-16s %s" % (names[k], "  ".join(paths[k])))
print("\n| policy | rescales | steps with <= 1 rescale | most in a step | most above smallest | steps below smallest | mean time to stable (s) | highest backlog |")
print("|---|---|---|---|---|---|---|---|")
for k in kinds:
    v = summary[k]
    print("| %s | %d | %d of %d | %d | %+d | %d | %.0f | %.0f |" % (
        names[k], sum(x[0] for x in v), sum(x[0] <= 1 for x in v), len(v),
        max(x[0] for x in v), max(x[1] for x in v), sum(x[1] < 0 for x in v),
        sum(x[2] for x in v) / len(v), max(x[3] for x in v)))
PY
stop_adapter
