#!/usr/bin/env bash
# incluster.sh - the documented install on a real node: the image `make
# image` builds (hack/image.sh), imported into containerd, runs as pods of
# manifests/base (through manifests/overlays/e2e-node, which changes only
# what this loopback-only machine forces) on a real kubelet with containerd
# and runc (tests/e2e/node.sh), scheduled by the real kube-scheduler:
#   - the pods become Ready through their own probes (kubelet), restart-free;
#   - the adapter uses in-cluster configuration: the ServiceAccount token
#     the admission plugin mounts (no kubeconfig anywhere), and reads the
#     front-proxy CA from the extension-apiserver-authentication ConfigMap;
#   - the three APIServices become Available;
#   - a real HPA scales harness-marked TaskManager pods (kept off the node,
#     on fake addresses, as in the other scripts) on the adapter's metric
#     through the aggregation layer;
#   - the second replica (another Deployment of the same image on another
#     port, same ServiceAccount and Lease) waits; `kubectl delete pod` of the
#     leader: its Deployment recreates it, the other replica takes the Lease,
#     and the HPA keeps reading (it sees a changed metric);
#   - `kubectl logs` of every adapter pod is klog lines, none an error;
#   - each container's root filesystem is mounted read-only, and a write to
#     it fails;
#   - node.sh's teardown leaves the host as it was (it fails the test if not).
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"
. "$FH_ROOT/tests/e2e/node.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: a kubelet and containerd need root"; exit 77; }
t0=$SECONDS
step() { echo "[$((SECONDS - t0))s] $*"; }
version=$(cat "$FH_ROOT/VERSION")
NS=flinkhpa-system

step "make image"
"$FH_ROOT/hack/image.sh" >"$FH_TMP/image.log" 2>&1 || fail "hack/image.sh: $(tail -n 20 "$FH_TMP/image.log")"
sed 's/^/    /' "$FH_TMP/image.log"
archive=$FH_ROOT/build/image/flinkhpa-adapter-$version.oci.tar

step "control plane (with the ServiceAccount admission plugin) and the node"
export FLINKHPA_SERVICEACCOUNTS=1
cluster_up
node_up
node_import "$archive"
# the name the base asks for, as the CRI resolves it
images=$(ctr_ images ls -q)
grep -qx "docker.io/library/flinkhpa-adapter:$version" <<<"$images" ||
	fail "image not in containerd: $images"

# ---- the base through the e2e-node overlay, with this run's ports ----
api_port=$(cat "$FLINKHPA_CLUSTER_DIR/apiserver.port")
p1=$(free_port)
p2=$(free_port)
dir=$FH_TMP/deploy
mkdir -p "$dir"
cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $(realpath --relative-to="$dir" "$FH_ROOT/manifests/overlays/e2e-node")
patches:
- target: {kind: Deployment, name: flinkhpa-adapter}
  patch: |-
    - {op: test, path: /spec/template/spec/containers/0/env/1/name, value: KUBERNETES_SERVICE_PORT}
    - {op: replace, path: /spec/template/spec/containers/0/env/1/value, value: "$api_port"}
    - {op: test, path: /spec/template/spec/containers/0/args/0, value: --secure-port=6443}
    - {op: replace, path: /spec/template/spec/containers/0/args/0, value: --secure-port=$p1}
    - {op: replace, path: /spec/template/spec/containers/0/ports/0/containerPort, value: $p1}
- target: {kind: Service, name: flinkhpa-adapter}
  patch: |-
    - {op: replace, path: /spec/ports/0/port, value: $p1}
- target: {kind: APIService}
  patch: |-
    - {op: replace, path: /spec/service/port, value: $p1}
EOF
kubectl kustomize "$dir" >"$dir/all.yaml" 2>"$FH_TMP/err" || fail "kustomize: $(cat "$FH_TMP/err")"
grep -q "image: flinkhpa-adapter:$version$" "$dir/all.yaml" || fail "the base does not name flinkhpa-adapter:$version"
# the second replica: the same Deployment on port p2, with one more label
# so that the two Deployments' pods are told apart
python3 - "$dir/all.yaml" "$p2" >"$dir/replica-b.yaml" <<'PY' || fail "replica b"
import sys, yaml
port = sys.argv[2]
d = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o and o["kind"] == "Deployment"][0]
d["metadata"]["name"] = "flinkhpa-adapter-b"
d["spec"]["selector"]["matchLabels"]["flinkhpa.io/e2e-replica"] = "b"
d["spec"]["template"]["metadata"]["labels"]["flinkhpa.io/e2e-replica"] = "b"
c = d["spec"]["template"]["spec"]["containers"][0]
c["args"] = ["--secure-port=" + port if a.startswith("--secure-port=") else a for a in c["args"]]
c["ports"][0]["containerPort"] = int(port)
print(yaml.safe_dump(d))
PY

step "kubectl apply -k (adapter on :$p1, second replica on :$p2)"
kubectl apply -f "$dir/all.yaml" >"$FH_TMP/apply.log" 2>&1 || fail "apply: $(cat "$FH_TMP/apply.log")"
kubectl apply -f "$dir/replica-b.yaml" >>"$FH_TMP/apply.log" 2>&1 || fail "apply b: $(cat "$FH_TMP/apply.log")"

adapter_pods() { kubectl -n $NS get pods -l app.kubernetes.io/name=flinkhpa-adapter -o name; }
# wait_adapter_pods N: N adapter pods, all Ready (and none terminating)
all_ready() {
	local out
	out=$(kubectl -n $NS get pods -l app.kubernetes.io/name=flinkhpa-adapter \
		-o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}/{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
	[ "$(echo "$out" | grep -cx '/True')" -eq "$1" ] && [ "$(echo "$out" | grep -c .)" -eq "$1" ]
}
wait_adapter_pods() {
	wait_until -i 1 -s "kubectl -n $NS get pods -o wide; kubectl -n $NS describe pods | tail -n 30" \
		120 "$1 adapter pods Ready" all_ready "$1"
}
wait_adapter_pods 2
step "assertion: both pods Ready through their probes"
kubectl -n $NS get pods -o wide
for p in $(adapter_pods); do
	kubectl -n $NS get "$p" -o json >"$FH_TMP/pod.json" || fail "get $p"
	python3 - "$p" <<PY || fail "$p: $(cat "$FH_TMP/err")"
import json, sys
p = json.load(open("$FH_TMP/pod.json"))
s, c = p["spec"], p["spec"]["containers"][0]
st = p["status"]["containerStatuses"][0]
problems = []
if s.get("nodeName") != "$NODE_NAME": problems.append("node %s" % s.get("nodeName"))
if c["readinessProbe"]["httpGet"] != {"path": "/readyz", "port": "https", "scheme": "HTTPS"}: problems.append("readiness probe")
if c["livenessProbe"]["httpGet"]["path"] != "/livez": problems.append("liveness probe")
if not st["ready"] or st["restartCount"] != 0: problems.append("ready %s restarts %s" % (st["ready"], st["restartCount"]))
if "running" not in st["state"]: problems.append("state %s" % st["state"])
if any("kubeconfig" in a for a in c.get("args", [])): problems.append("a kubeconfig flag")
sc = c["securityContext"]
if not (sc["readOnlyRootFilesystem"] and sc["capabilities"]["drop"] == ["ALL"] and not sc["allowPrivilegeEscalation"]): problems.append("container securityContext")
if s["securityContext"]["seccompProfile"]["type"] != "RuntimeDefault" or not s["securityContext"]["runAsNonRoot"]: problems.append("pod securityContext")
tok = [v for v in s["volumes"] if v.get("secret", {}).get("secretName", "").startswith("flinkhpa-adapter-token-")]
mnt = [m for m in c["volumeMounts"] if m["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"]
if not tok or not mnt: problems.append("no ServiceAccount token mounted")
print("%s: node %s, ready, 0 restarts, image %s, token volume %s" % (sys.argv[1], s["nodeName"], st["imageID"], tok and tok[0]["name"]))
if problems:
    open("$FH_TMP/err", "w").write(", ".join(problems)); sys.exit(1)
PY
	# the real kubelet probed it (the harness never marks these pods)
	grep -q "Pod.*${p#pod/}.*Readiness\|probe.*${p#pod/}\|${p#pod/}.*probe" "$NODE_DIR/kubelet.log" ||
		echo "    (the kubelet logs no probe lines at --v=2; Ready came from its prober)"
done

step "assertion: in-cluster configuration and the front-proxy CA from the ConfigMap"
for p in $(adapter_pods); do
	kubectl -n $NS logs "$p" >"$FH_TMP/log-${p#pod/}" 2>&1 || fail "kubectl logs $p"
	grep -q 'authentication: front-proxy CA set (allowed names: front-proxy-client), client CA set; authorization: SubjectAccessReview' \
		"$FH_TMP/log-${p#pod/}" || fail "$p did not read the CAs from extension-apiserver-authentication: $(cat "$FH_TMP/log-${p#pod/}")"
	grep -q "sync controller: leader election on Lease $NS/flinkhpa-sync as " "$FH_TMP/log-${p#pod/}" ||
		fail "$p: no leader election: $(cat "$FH_TMP/log-${p#pod/}")"
	grep 'authentication:\|leader election' "$FH_TMP/log-${p#pod/}" | sed "s|^|    ${p#pod/}: |"
done
# the Lease, written with the ServiceAccount's token (the pods have no other
# credentials): its holder is one of them
wait_until -i 1 30 "a Lease holder" eval 'holder=$(holder) && [ -n "$holder" ]'
leader_pod() { # the pod whose log names identity $1
	local p
	for p in $(adapter_pods); do
		kubectl -n $NS logs "$p" >"$FH_TMP/leader.log" 2>/dev/null &&
			grep -q "as $1\$" "$FH_TMP/leader.log" && { echo "${p#pod/}"; return 0; }
	done
	return 1
}
leader=$(leader_pod "$holder") || fail "no pod holds the Lease ($holder)"
echo "    Lease $NS/flinkhpa-sync held by $holder ($leader)"

step "assertion: the three APIServices Available"
for a in v1beta1.custom.metrics.k8s.io v1beta2.custom.metrics.k8s.io v1beta1.external.metrics.k8s.io; do
	wait_until -i 1 -s "kubectl get apiservice $a -o jsonpath='{.status.conditions}'" 60 "$a Available" \
		is True kubectl get apiservice "$a" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}'
done
kubectl get apiservice | grep -E 'NAME|metrics'

step "assertion: a real HPA scales TaskManagers on the adapter's metric"
tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
tm_page() {
	printf '%s\n' \
		"flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=\"orders\",subtask_index=\"0\",} $1" \
		'flink_taskmanager_job_task_operator_pendingRecords{job_name="orders",subtask_index="0",} 1234.0' \
		>"$tm_dir/metrics.new" && mv "$tm_dir/metrics.new" "$tm_dir/metrics"
}
tm_page 900.0
start_page_server "$tm_dir"
kubectl create namespace flink >/dev/null || fail "namespace"
# no scheduler has this name: the harness's TaskManager pods stay off the
# real node (their image does not exist there), and the harness plays
# their kubelet as in the other scripts
tm_deployment 0 "$PAGE_PORT" 1
kubectl -n flink patch deployment flink-taskmanager --type=merge \
	-p '{"spec":{"template":{"spec":{"schedulerName":"flinkhpa-e2e-harness"}}}}' >/dev/null || fail "schedulerName"
kubectl -n flink scale deployment flink-taskmanager --replicas=1 >/dev/null || fail "scale"
wait_running_pods flink 1
# through the aggregation layer, once the adapter has found and scraped
# the pod (the base scrapes every 5 s)
raw_900m() {
	mark_pods_running flink
	raw_to_body "/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/*/flink_tm_busy_ratio" &&
		grep -qF '"value":"900m"' "$FH_TMP/body"
}
wait_until -i 1 -s "cat '$FH_TMP/body' '$FH_TMP/err'" 60 "900m through the aggregation layer" raw_900m
echo "    kubectl get --raw .../pods/*/flink_tm_busy_ratio: $(grep -o '"value":"[^"]*"' "$FH_TMP/body")"
tm_hpa
wait_until -i 1 -s "kubectl -n flink describe hpa flink-taskmanager | tail -n 15" 120 "the HPA to scale" \
	tm_scaled_up
kubectl get hpa -A
[ -z "$(kubectl -n flink get pods -o jsonpath='{.items[*].spec.nodeName}')" ] || fail "a TaskManager pod went to the node"

step "assertion: delete the leader pod $leader"
kubectl -n $NS logs "$leader" >"$FH_TMP/log-$leader" 2>&1 || fail "kubectl logs $leader"
kubectl -n $NS delete pod "$leader" --wait=false >/dev/null || fail "delete $leader"
lease_moved() {
	mark_pods_running flink
	new=$(holder) && [ -n "$new" ] && [ "$new" != "$holder" ]
}
wait_until -i 1 -s 'echo "held by $(holder)"' 90 "the Lease to move from $holder" lease_moved
new_leader=$(leader_pod "$new") || fail "no pod holds the Lease ($new)"
[ "$new_leader" != "$leader" ] || fail "the Lease moved within $leader"
echo "    the Lease moved from $holder ($leader) to $new ($new_leader)"
wait_adapter_pods 2
kubectl -n $NS get pods -o wide
grep -qx "pod/$leader" <<<"$(adapter_pods)" && fail "$leader is still there"
echo "    the Deployment recreated the deleted pod; the Lease is with the replica that was running"
[ "$(kubectl -n $NS get lease flinkhpa-sync -o jsonpath='{.spec.holderIdentity}')" = "$new" ] ||
	fail "the Lease changed hands again"
# the HPA keeps reading: the metric changes, the HPA's status follows
tm_page 300.0
hpa_sees_300m() {
	mark_pods_running flink
	[[ "$(kubectl get hpa -A --no-headers | awk '{print $4}')" == 300m/500m* ]]
}
wait_until -i 1 -s "kubectl get hpa -A" 90 "the HPA to see the new value" hpa_sees_300m
kubectl get hpa -A
# the base's PodDisruptionBudget covers both replicas
pdb() { kubectl -n $NS get pdb flinkhpa-adapter -o jsonpath='{.status.currentHealthy}/{.status.disruptionsAllowed}'; }
wait_until -i 1 -s 'echo "healthy/allowed: $(pdb)"' 30 "PodDisruptionBudget 2 healthy, 1 disruption allowed" \
	is 2/1 pdb
echo "    PodDisruptionBudget: 2 healthy, 1 disruption allowed"

step "assertion: kubectl logs are klog lines with no error"
for p in $(adapter_pods) pod/"$leader"; do
	# the deleted pod's log is gone with it; it was read just before
	[ "$p" = pod/"$leader" ] && f=$FH_TMP/log-$leader || {
		f=$FH_TMP/log-${p#pod/}
		kubectl -n $NS logs "$p" >"$f" 2>&1 || fail "kubectl logs $p"
	}
	[ -s "$f" ] || fail "$p: empty log"
	bad=$(grep -vE '^[IWEF][0-9]{4} [0-9:.]+ +[0-9]+ [^ ]+:[0-9]+\] ' "$f" | head -n 3)
	[ -z "$bad" ] || fail "$p: not klog lines: $bad"
	errs=$(grep -E '^[EF]' "$f" | head -n 5)
	[ -z "$errs" ] || fail "$p logged errors: $errs"
	echo "    ${p#pod/}: $(wc -l <"$f") klog lines, $(grep -c '^W' "$f") warnings, no errors"
done

step "assertion: the containers' root filesystems are read-only"
n=0
for c in $(ctr_ containers ls -q); do
	[ "$(ctr_ containers info "$c" | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["Labels"].get("io.kubernetes.container.name",""))')" = adapter ] || continue
	pid=$(ctr_ tasks ls | awk -v c="$c" '$1 == c {print $2}')
	[ -n "$pid" ] || continue
	ctr_ containers info "$c" | python3 -c 'import json,sys; i=json.load(sys.stdin); sys.exit(0 if i["Spec"]["root"].get("readonly") else 1)' ||
		fail "container $c: the OCI spec's root is writable"
	opts=$(awk '$5 == "/" {print $6}' "/proc/$pid/mountinfo" | tail -n 1)
	[[ ",$opts," == *,ro,* ]] || fail "container $c: / is mounted $opts"
	if touch "/proc/$pid/root/flinkhpa-write-probe" 2>"$FH_TMP/err"; then
		fail "container $c: wrote to its root filesystem"
	fi
	grep -q 'Read-only file system' "$FH_TMP/err" || fail "container $c: $(cat "$FH_TMP/err")"
	echo "    container ${c:0:12} (pid $pid): / mounted $opts, a write fails: $(cat "$FH_TMP/err")"
	n=$((n + 1))
done
[ "$n" -eq 2 ] || fail "checked $n adapter containers, want 2"

step "done; teardown follows"
echo ok
