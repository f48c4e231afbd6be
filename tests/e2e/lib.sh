# tests/e2e/lib.sh - helpers for end-to-end tests against a real control
# plane (sourced).  Builds on tests/blackbox/lib.sh.  Each test gets its own
# cluster in $FH_TMP/cluster, stopped on exit.

. "$FH_ROOT/tests/blackbox/lib.sh"

export FLINKHPA_CLUSTER_DIR=$FH_TMP/cluster
export KUBECONFIG=$FLINKHPA_CLUSTER_DIR/admin.kubeconfig
# The Flink emulator runs under FH_WRAP_EMU when that is set (make valgrind
# sets it empty: the emulator stands in for Flink here, blackbox/emulator
# checks it under valgrind, and slowed down it would make the HPA see
# another workload).
BB_EMU_WRAP=${FH_WRAP_EMU-$FH_WRAP}

e2e_cleanup() {
	bb_cleanup
	"$FH_ROOT/hack/cluster-down.sh"
}
trap e2e_cleanup EXIT

cluster_up() {
	"$FH_ROOT/hack/cluster-up.sh" >"$FH_TMP/cluster-up.log" 2>&1 ||
		fail "cluster-up: $(tail -n 20 "$FH_TMP/cluster-up.log")"
}

# The kubelet's part for namespace $1: mark every pending pod Running and
# Ready with IP $2 (127.0.0.1 by default).  One pass; call it in a loop.
mark_pods_running() {
	local ns=$1 ip=${2:-127.0.0.1} p
	for p in $(kubectl -n "$ns" get pods --field-selector=status.phase=Pending -o name 2>/dev/null); do
		kubectl -n "$ns" patch "$p" --subresource=status --type=merge -p \
			"{\"status\":{\"phase\":\"Running\",\"podIP\":\"$ip\",\"podIPs\":[{\"ip\":\"$ip\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" \
			>/dev/null 2>&1
	done
}

# Wait (bounded) until namespace $1 has $2 Running pods, marking new ones
# (unless $3 is "kubelet": start_kubelet does it).
running_pods() { # NAMESPACE
	kubectl -n "$1" get pods --field-selector=status.phase=Running --no-headers 2>/dev/null | wc -l
}
marked_running() { # NAMESPACE WANT [kubelet]
	[ "${3:-}" = kubelet ] || mark_pods_running "$1"
	[ "$(running_pods "$1")" -eq "$2" ]
}
wait_running_pods() {
	wait_until -s "echo running: \$(running_pods $1)" 60 "$2 running pods in namespace $1" \
		marked_running "$1" "$2" "${3:-}"
}

# The kubelet's part for namespace $1, in the background until the test
# ends: each new pod becomes Running and Ready with the lowest free address
# 127.0.1.k (where the emulator's TaskManager k listens), and the emulator
# at $2 (if given) runs as many TaskManagers as there are running pods
# (unless held by hold_kubelet: a test is killing TaskManagers).  As a real
# kubelet: each round works from one list of the pods (addresses and the
# count agree; no round when the list fails), a pod being deleted is never
# started nor counted, and a pod is started only as it was listed (the
# patch carries its resourceVersion: a pod deleted or changed meanwhile is
# left alone).  What it did is in $FH_TMP/kubelet-NS.log.
KUBELET_PLAN='
import json, sys
live = [p for p in json.load(sys.stdin)["items"]
        if not p["metadata"].get("deletionTimestamp")
        and p["status"].get("phase") in ("Pending", "Running")]
used = {p["status"].get("podIP") for p in live}
for p in live:
    if p["status"]["phase"] == "Running":
        print("running", p["metadata"]["name"], "-", p["status"].get("podIP", "-"))
for p in sorted((p for p in live if p["status"]["phase"] == "Pending"),
                key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"])):
    ip = next("127.0.1.%d" % k for k in range(1, 255) if "127.0.1.%d" % k not in used)
    used.add(ip)
    print("start", p["metadata"]["name"], p["metadata"]["resourceVersion"], ip)
'
kubelet_round() { # NAMESPACE: prints the number of running pods
	local ns=$1 plan what name rv ip n=0
	plan=$(kubectl -n "$ns" get pods -o json 2>/dev/null | python3 -c "$KUBELET_PLAN") || return 1
	while read -r what name rv ip; do
		case $what in
		running) n=$((n + 1)) ;;
		start)
			if kubectl -n "$ns" patch pod "$name" --subresource=status --type=merge -p \
				"{\"metadata\":{\"resourceVersion\":\"$rv\"},\"status\":{\"phase\":\"Running\",\"podIP\":\"$ip\",\"podIPs\":[{\"ip\":\"$ip\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" \
				>/dev/null 2>&1; then
				n=$((n + 1))
				echo "$(date +%T.%N | cut -c1-12) $name: Running at $ip" >&2
			else
				echo "$(date +%T.%N | cut -c1-12) $name: not started (changed or gone since listed)" >&2
			fi
			;;
		esac
	done <<<"$plan"
	echo "$n"
}
start_kubelet() {
	local ns=$1 emu=${2:-}
	(
		local n last=""
		while :; do
			if n=$(kubelet_round "$ns"); then
				if [ -e "$FH_TMP/kubelet-$ns.hold" ]; then
					touch "$FH_TMP/kubelet-$ns.held"
				elif [ -n "$emu" ] && [ "$n" -gt 0 ]; then
					rm -f "$FH_TMP/kubelet-$ns.held"
					curl -s -X PUT "$emu/control?taskmanagers=$n" >/dev/null
					[ "$n" = "$last" ] || echo "$(date +%T.%N | cut -c1-12) TaskManagers: $n"
					last=$n
				fi
			fi
			sleep 1
		done
	) >"$FH_TMP/kubelet-$ns.log" 2>&1 &
	BB_PIDS+=($!)
}

# The kubelet of namespace $1 stops setting the emulator's TaskManager
# count; returns once its loop has seen the hold, so that no count it read
# before can land after the caller's own.
hold_kubelet() {
	rm -f "$FH_TMP/kubelet-$1.held"
	touch "$FH_TMP/kubelet-$1.hold"
	wait_until -i 0.2 20 "the kubelet of $1 to stop" test -e "$FH_TMP/kubelet-$1.held"
}

release_kubelet() { rm -f "$FH_TMP/kubelet-$1.hold"; }

# kubectl get --raw $1 into $FH_TMP/body, retried for a while: kube-apiserver
# installs the proxy route of a new APIService group asynchronously, and
# may answer 404 for a moment after the APIService is Available.
raw_to_body() { kubectl get --raw "$1" >"$FH_TMP/body" 2>"$FH_TMP/err"; }
get_raw() {
	wait_until -i 1 -s "cat '$FH_TMP/err'" 30 "get --raw $1" raw_to_body "$1"
}

# The control plane's kube-controller-manager version (v1.20.2), for
# flinkhpa-gen simulate --kubernetes-version: from its --version (the
# built kube-apiserver's /version does not carry it).
kcm_version() {
	"$("$FH_ROOT/hack/k8s-build.sh" 2>/dev/null | tail -n 1)/kube-controller-manager" --version | awk '{print $2}'
}

# What the HPA flink of namespace $1 reads at each of its syncs (its Pods
# metric, from its current-metrics), sampled every second in the
# background into $FH_TMP/trace.raw: a trace with the column $2 for
# flinkhpa-gen simulate (replay_phases).
sample_hpa_readings() { # NAMESPACE METRIC
	(
		local t0=$SECONDS v
		echo "time,$2"
		while :; do
			v=$(kubectl -n "$1" get hpa flink -o json 2>/dev/null | python3 -c '
import json, sys
o = json.load(sys.stdin)
m = json.loads(o["metadata"].get("annotations", {}).get("autoscaling.alpha.kubernetes.io/current-metrics", "[]"))
v = [x["pods"]["currentAverageValue"] for x in m if x.get("type") == "Pods"]
if v:
    q = v[0]
    print(float(q[:-1]) / 1000 if q.endswith("m") else float(q))' 2>/dev/null)
			[ -n "$v" ] && echo "$((SECONDS - t0)),$v"
			sleep 1
		done
	) >"$FH_TMP/trace.raw" &
	BB_PIDS+=($!)
}

# The messages of the HPA's rescales in namespace $1, oldest first.
rescale_events() { # NAMESPACE
	kubectl -n "$1" get events --field-selector reason=SuccessfulRescale \
		--sort-by=.lastTimestamp -o jsonpath='{range .items[*]}{.message}{"\n"}{end}'
}

# The new sizes of those rescales, but a rescale to the policy's min
# before any reading (the simulation starts there).
real_rescales() { # NAMESPACE
	rescale_events "$1" | grep -v 'below Spec.MinReplicas' |
		sed -n 's/^New size: \([0-9]*\);.*/\1/p' | tr '\n' ' '
}

# Replays $FH_TMP/trace.raw with $FH_TMP/policy.yaml through flinkhpa-gen
# simulate --kubernetes-version $1 (HPA sync 5 s) and prints the sync
# phases whose decisions are $2 (real_rescales).  The controller's syncs
# fall at a phase we do not know: a value it read once may sit in the
# trace for less than a period (the sampler is slower under load), so the
# simulation's syncs may step over it.  Each whole second of phase is
# tried (the trace shifted by k seconds); each one's decisions are in
# $FH_TMP/replay-$1.
replay_phases() { # VERSION DECISIONS
	local k sim
	awk -F, 'NR == 1 || $1 != prev { print; prev = $1 }' "$FH_TMP/trace.raw" >"$FH_TMP/trace.csv"
	: >"$FH_TMP/replay-$1"
	for k in 0 1 2 3 4; do
		awk -F, -v k=$k 'NR == 1 { print; next } $1 >= k { print $1 - k "," $2 }' \
			"$FH_TMP/trace.csv" >"$FH_TMP/trace-$k.csv"
		"$FH_BIN/flinkhpa-gen" simulate --kubernetes-version "$1" --trace "$FH_TMP/trace-$k.csv" \
			--sync-period 5s "$FH_TMP/policy.yaml" >"$FH_TMP/sim-$1-$k.out" ||
			fail "simulate: $(cat "$FH_TMP/sim-$1-$k.out")"
		sim=$(sed -n 's/.*New size: \([0-9]*\);.*/\1/p' "$FH_TMP/sim-$1-$k.out" | tr '\n' ' ')
		echo "phase ${k}s: [$sim]" >>"$FH_TMP/replay-$1"
		[ "$sim" != "$2" ] || echo "$k"
	done
}

# The holder of the sync controller's Lease (flinkhpa-system/flinkhpa-sync).
holder() { kubectl -n flinkhpa-system get lease flinkhpa-sync -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }

# A TaskManager Deployment flink-taskmanager in namespace $4 (default
# flink) with $1 replicas, labelled and annotated as flinkhpa-gen does, its
# pages on port $2, each pod asking for $3 of CPU.
tm_deployment() {
	kubectl apply -f - >/dev/null <<EOF || fail "apply the TaskManager Deployment"
apiVersion: apps/v1
kind: Deployment
metadata: {name: flink-taskmanager, namespace: ${4:-flink}}
spec:
  replicas: $1
  selector: {matchLabels: {app: flink, component: taskmanager}}
  template:
    metadata:
      labels: {app: flink, component: taskmanager, flinkhpa.io/role: taskmanager}
      annotations: {flinkhpa.io/metrics-port: "$2", flinkhpa.io/job-name: orders}
    spec:
      containers:
      - name: taskmanager
        image: flink:1.18
        resources: {requests: {cpu: "$3"}}
EOF
}

# The HPA of tm_deployment's Deployment (flink/flink-taskmanager): 1 to 3
# replicas on flink_tm_busy_ratio, 500m per pod; with "fast-down" it scales
# down at once (no stabilization window, 100% every 5 s).  tm_hpa_yaml
# prints it (to join other documents), tm_hpa applies it.
tm_hpa_yaml() {
	local behavior=
	[ "${1:-}" = fast-down ] && behavior='  behavior:
    scaleDown:
      stabilizationWindowSeconds: 0
      policies: [{type: Percent, value: 100, periodSeconds: 5}]
'
	cat <<EOF
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: flink-taskmanager, namespace: flink}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: flink-taskmanager}
  minReplicas: 1
  maxReplicas: 3
${behavior}  metrics:
  - type: Pods
    pods:
      metric: {name: flink_tm_busy_ratio}
      target: {type: AverageValue, averageValue: 500m}
EOF
}
tm_hpa() {
	tm_hpa_yaml "$@" | kubectl apply -f - >/dev/null || fail "apply the TaskManager HPA"
}
# Has it scaled flink-taskmanager to 2 or more?  (Marks new pods Running:
# a wait_until condition.)
tm_scaled_up() {
	mark_pods_running flink
	[ "$(kubectl -n flink get deployment flink-taskmanager -o jsonpath='{.spec.replicas}')" -ge 2 ]
}

# The three APIServices of the adapter listening on 127.0.0.1:$1, from
# manifests/overlays/local (a Service of type ExternalName to localhost),
# with the port and the cluster CA (the adapter serves pki/adapter.crt) set
# by one more overlay, as a user of hack/cluster-up.sh would; waits until
# they are Available.
register_apiservices() {
	local ca a dir=$FH_TMP/apiservices base
	ca=$(base64 -w0 "$FLINKHPA_CLUSTER_DIR/pki/ca.crt")
	mkdir -p "$dir"
	base=$(realpath --relative-to="$dir" "$FH_ROOT/manifests/overlays/local")
	cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $base
patches:
- target: {kind: APIService}
  patch: |-
    - {op: replace, path: /spec/service/port, value: $1}
    - {op: replace, path: /spec/caBundle, value: $ca}
- target: {kind: Service, name: flinkhpa-adapter}
  patch: |-
    - {op: replace, path: /spec/ports/0/port, value: $1}
EOF
	kubectl apply -k "$dir" >"$FH_TMP/apiservices.log" 2>&1 ||
		fail "apiservices: $(cat "$FH_TMP/apiservices.log")"
	for a in v1beta1.custom.metrics.k8s.io v1beta2.custom.metrics.k8s.io v1beta1.external.metrics.k8s.io; do
		wait_until -i 1 -s "kubectl get apiservice $a -o jsonpath='{.status.conditions}'" 60 "$a Available" \
			is True kubectl get apiservice "$a" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}'
	done
}

# The namespace flinkhpa-system, where an adapter outside the cluster
# keeps its Lease (--leader-elect-namespace's default) and where
# manifests/overlays/local puts its Service; created once, whoever asks
# first (the scripts that create it themselves do so before any adapter).
system_namespace() {
	kubectl get namespace flinkhpa-system >/dev/null 2>&1 ||
		kubectl create namespace flinkhpa-system >/dev/null ||
		fail "create namespace flinkhpa-system"
}

# The adapter as in a cluster: TLS with the cluster CA's certificate, the
# front-proxy CA from the ConfigMap, reviews through kube-apiserver.
start_cluster_adapter() {
	local pki=$FLINKHPA_CLUSTER_DIR/pki
	system_namespace
	start_adapter --kubeconfig "$KUBECONFIG" --tls-cert-file "$pki/adapter.crt" \
		--tls-private-key-file "$pki/adapter.key" --scrape-interval 1s "$@"
	ADAPTER_URL=https://127.0.0.1:$ADAPTER_PORT
	wait_ready "$ADAPTER_URL"
}
