#!/usr/bin/env bash
# flinkcluster.sh - what flinkhpa-gen writes for spec.jobManager, on a real
# control plane, for each parallelism mode:
#   reactive + HA   examples/reactive-application.yaml (namespace streaming)
#   reactive        tests/data/gen/jm/reactive.yaml     (web)
#   adaptive + HA   tests/data/gen/jm/adaptive-ha.yaml  (finance)
#   savepoint       tests/data/gen/jm/savepoint.yaml    (default)
#   1. kubectl apply --validate=strict -k creates every object (and a
#      misspelt field is refused, so the validation means something);
#   2. the harness plays the scheduler and the kubelet (the JobManager's
#      pod gets a node and 192.0.2.10, the TaskManagers 127.0.1.k): the
#      Service's selector picks exactly the JobManager's pod, and
#      kube-controller-manager's endpoints controller puts it behind the
#      Service, on
#      the ports rpc 6123, blob-server 6124 and rest 8081 (the named
#      targetPorts resolved against the JobManager's container);
#   3. high availability: SubjectAccessReviews show the written
#      ServiceAccount (and the TaskManagers' own account) may get, create,
#      update, delete, list and watch ConfigMaps in its namespace, as
#      Flink's HA services do, and nothing else;
#   4. adaptive: the Flink emulator stands in for the JobManager.  The
#      adapter reaches it at the Service's address, http://billing-
#      jobmanager.finance.svc:8081 from the flinkhpa.io/jobmanager
#      annotation as written, through the harness (an HTTP proxy on
#      loopback that maps that one address to the emulator's REST port, as
#      cluster DNS and kube-proxy would; there is neither here); when the
#      TaskManagers go from 1 to 2, its sync controller PUTs the job's
#      resource requirements there and the job runs at parallelism 2.
set -uo pipefail
. "$FH_ROOT/tests/e2e/lib.sh"

cluster_up
kubectl create namespace flinkhpa-system >/dev/null || fail "namespace"
G=$FH_TMP/gen
CASES="streaming:examples/reactive-application.yaml web:tests/data/gen/jm/reactive.yaml finance:tests/data/gen/jm/adaptive-ha.yaml default:tests/data/gen/jm/savepoint.yaml"

# 1. flinkhpa-gen for each mode (v2beta2: this Kubernetes' HPA), applied
mkdir -p "$G"
for c in $CASES; do
	ns=${c%%:*} policy=$FH_ROOT/${c#*:}
	$FH_WRAP "$FH_BIN/flinkhpa-gen" --namespaces --hpa-version v2beta2 -o "$G/$ns" "$policy" >/dev/null ||
		fail "flinkhpa-gen $policy"
	kubectl kustomize "$G/$ns" >"$FH_TMP/$ns.yaml" || fail "kustomize $ns"
	kubectl apply --validate=strict -k "$G/$ns" >"$FH_TMP/apply-$ns.log" 2>&1 ||
		fail "apply $ns: $(cat "$FH_TMP/apply-$ns.log")"
	n=$(grep -c '^kind:' "$FH_TMP/$ns.yaml")
	# every object created (the namespace default exists already)
	[ "$(grep -c ' created$\|^namespace/default configured$' "$FH_TMP/apply-$ns.log")" = "$n" ] ||
		fail "$ns: not all $n objects created: $(cat "$FH_TMP/apply-$ns.log")"
	echo "$ns: $(grep -v '^Warning' "$FH_TMP/apply-$ns.log" | tr '\n' ' ')"
done
# the validation above meant something: a misspelt field is refused
sed 's/mountPath:/mountpath:/' "$FH_TMP/streaming.yaml" >"$FH_TMP/typo.yaml"
grep -q mountpath "$FH_TMP/typo.yaml" || fail "no typo made"
kubectl apply --validate=strict --dry-run=server -f "$FH_TMP/typo.yaml" >"$FH_TMP/typo.log" 2>&1 &&
	fail "an unknown field was accepted: the applies above proved nothing"
grep -q mountpath "$FH_TMP/typo.log" || fail "typo refused for another reason: $(cat "$FH_TMP/typo.log")"

# the kubelet's part.  The JobManager's pods are bound to a node (the
# scheduler's part) and get the address $JM_IP: the endpoints controller
# takes a pod only with a node name, and Endpoints may not hold loopback
# addresses.  192.0.2.0/24 is RFC 5737's documentation range: nothing here
# connects to it (the JobManager's REST API is reached at the Service's
# name through the harness, below), it is only data in the API.  The
# TaskManagers get 127.0.1.k, where the adapter scrapes them; in finance
# the emulator runs one TaskManager per running one.
NODE=flink-node-1
JM_IP=192.0.2.10
# a Node object, or the pod garbage collector deletes pods bound to none
kubectl create -f - >/dev/null <<EOF || fail "node"
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "$NODE"}}
EOF
start_emu A --taskmanagers 1 --slots 1 --restart-pause 2s --mode adaptive --parallelism 1 \
	--job-name billing-aggregation
emu() { emu_state "$A_URL" "$1"; }
(
	while :; do
		for c in $CASES; do
			ns=${c%%:*}
			for p in $(kubectl -n "$ns" get pods -l flinkhpa.io/role=jobmanager \
				--field-selector=status.phase=Pending -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do
				printf '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"%s"},"target":{"apiVersion":"v1","kind":"Node","name":"%s"}}' \
					"$p" "$NODE" | kubectl create --raw "/api/v1/namespaces/$ns/pods/$p/binding" -f - >/dev/null 2>&1
				kubectl -n "$ns" patch pod "$p" --subresource=status --type=merge -p \
					"{\"status\":{\"phase\":\"Running\",\"podIP\":\"$JM_IP\",\"podIPs\":[{\"ip\":\"$JM_IP\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" >/dev/null 2>&1
			done
			used=" $(kubectl -n "$ns" get pods -l flinkhpa.io/role=taskmanager --field-selector=status.phase=Running \
				-o jsonpath='{range .items[*]}{.status.podIP}{" "}{end}' 2>/dev/null)"
			for p in $(kubectl -n "$ns" get pods -l flinkhpa.io/role=taskmanager \
				--field-selector=status.phase=Pending --sort-by=.metadata.creationTimestamp -o name 2>/dev/null); do
				for k in $(seq 1 16); do
					[[ "$used" == *" 127.0.1.$k "* ]] || break
				done
				used="${used}127.0.1.$k "
				kubectl -n "$ns" patch "$p" --subresource=status --type=merge -p \
					"{\"status\":{\"phase\":\"Running\",\"podIP\":\"127.0.1.$k\",\"podIPs\":[{\"ip\":\"127.0.1.$k\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" >/dev/null 2>&1
			done
		done
		n=$(kubectl -n finance get pods -l flinkhpa.io/role=taskmanager --field-selector=status.phase=Running \
			--no-headers 2>/dev/null | grep -vc Terminating)
		[ "$n" -gt 0 ] && curl -s -X PUT "$A_URL/control?taskmanagers=$n" >/dev/null
		sleep 1
	done
) >"$FH_TMP/kubelet.log" 2>&1 &
BB_PIDS+=($!)

# what the cluster holds in namespace $1, for a failure's message
diag() {
	echo "pods:"
	kubectl -n "$1" get pods -o wide --show-labels 2>&1
	kubectl -n "$1" get replicasets,endpoints 2>&1
	echo "kubelet (harness):"
	tail -n 5 "$FH_TMP/kubelet.log"
	echo "kube-controller-manager:"
	grep -i 'endpoint' "$FLINKHPA_CLUSTER_DIR/kcm.log" | tail -n 8
}

# 2. the Service selects the JobManager's pod, on the configured ports:
# through the API's label selection, then as the endpoints controller
# resolves it (named targetPorts against the pod's container ports)
for c in $CASES; do
	ns=${c%%:*}
	svc=$(kubectl -n "$ns" get service -l flinkhpa.io/role=jobmanager -o jsonpath='{.items[0].metadata.name}')
	[ -n "$svc" ] || fail "$ns: no Service"
	sel=$(kubectl -n "$ns" get service "$svc" -o jsonpath='{.spec.selector}' |
		python3 -c 'import json, sys; print(",".join("%s=%s" % kv for kv in json.load(sys.stdin).items()))')
	deadline=$((SECONDS + 60 * FH_TIMEOUT_FACTOR))
	until [ "$(kubectl -n "$ns" get pods -l "$sel" -o jsonpath='{range .items[*]}{.status.podIP}{" "}{end}')" = "$JM_IP " ]; do
		[ $SECONDS -lt $deadline ] || fail "$ns: the Service's selector $sel picks [$(kubectl -n "$ns" get pods -l "$sel" -o name | tr '\n' ' ')], want the JobManager's pod: $(diag "$ns")"
		sleep 1
	done
	until eps=$(kubectl -n "$ns" get endpoints "$svc" \
		-o jsonpath='{range .subsets[*].addresses[*]}{.ip}{" "}{end}/{range .subsets[*].ports[*]}{.name}={.port}{" "}{end}' 2>/dev/null) &&
		[ "${eps%%/*}" = "$JM_IP " ]; do
		[ $SECONDS -lt $deadline ] || fail "$ns: endpoints of $svc: [$eps], want the JobManager's pod only: $(diag "$ns")"
		sleep 1
	done
	ports=$(tr ' ' '\n' <<<"${eps#*/}" | sort | tr '\n' ' ')
	[ "$ports" = " blob-server=6124 rest=8081 rpc=6123 " ] || fail "$ns: ports behind $svc: [$ports]"
	echo "$ns: Service $svc -> $eps"
done

# 3. the HA services' account may do what Flink's docs list, no more
can() { # yes|no USER VERB RESOURCE NAMESPACE
	local got
	got=$(printf '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"system:serviceaccount:%s","groups":["system:serviceaccounts","system:authenticated"],"resourceAttributes":{"verb":"%s","resource":"%s","namespace":"%s"}}}' \
		"$2" "$3" "$4" "$5" | kubectl create -f - -o jsonpath='{.status.allowed}' 2>&1)
	case $got in true) got=yes ;; false) got=no ;; esac
	[ "$got" = "$1" ] || fail "$2 $3 $4 in $5: [$got], want $1"
}
for sa in streaming:orders-flink finance:billing-flink finance:billing-tm; do
	ns=${sa%%:*}
	for verb in get create update delete list watch; do
		can yes "$sa" $verb configmaps "$ns"
	done
	can no "$sa" get configmaps flinkhpa-system
	can no "$sa" get secrets "$ns"
	can no "$sa" create pods "$ns"
	can no "$sa" patch configmaps "$ns"
done
can no web:default get configmaps web
kubectl -n web get serviceaccounts clicks-flink >/dev/null 2>&1 && fail "an HA account without highAvailability"
echo "RBAC: as Flink's HA services need"

# 4. the emulator as the JobManager, at the Service's address
svc=billing-jobmanager.finance.svc:8081
[ "$(kubectl -n finance get deployment billing-taskmanager -o jsonpath='{.metadata.annotations.flinkhpa\.io/jobmanager}')" = "http://$svc" ] ||
	fail "the annotation is not the Service's address"
kubectl -n finance delete hpa billing >/dev/null || fail "delete hpa (the test sets the replicas)"
pport=$(free_port)
python3 - "$pport" "$svc" "${A_URL#http://}" >"$FH_TMP/proxy.log" 2>"$FH_TMP/proxy.err" <<'PY' &
import http.client, http.server, sys, threading
port, service, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# one line per request, written whole under a lock: the server's threads
# printing side by side interleaved their words ("GETGET http://...")
log_lock = threading.Lock()
class Proxy(http.server.BaseHTTPRequestHandler):
    def relay(self):
        host = self.path.split("/")[2] if self.path.startswith("http://") else ""
        with log_lock:
            sys.stdout.write("%s %s\n" % (self.command, self.path))
            sys.stdout.flush()
        if host != service:
            self.send_error(502, "no route to " + host)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        c = http.client.HTTPConnection(target, timeout=10)
        c.request(self.command, "/" + self.path.split("/", 3)[3], body,
                  {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")})
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_PUT = do_POST = do_PATCH = relay
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
PY
BB_PIDS+=($!)
pki=$FLINKHPA_CLUSTER_DIR/pki
port=$(free_port)
http_proxy=http://127.0.0.1:$pport no_proxy=127.0.0.0/8,localhost \
	$FH_WRAP "$FH_BIN/flinkhpa-adapter" --secure-port "$port" --bind-address 127.0.0.1 \
	--kubeconfig "$KUBECONFIG" --tls-cert-file "$pki/adapter.crt" \
	--tls-private-key-file "$pki/adapter.key" --leader-elect-namespace flinkhpa-system \
	--sync-period 500ms --sync-settle 2s --sync-min-interval 2s \
	--sync-timeout $((60 * FH_TIMEOUT_FACTOR))s >"$FH_TMP/adapter.log" 2>&1 &
ADAPTER_PID=$!
BB_PIDS+=($ADAPTER_PID)
[ "$(emu parallelism)" = 1 ] || fail "the job does not start at parallelism 1: $(emu parallelism)"
kubectl -n finance scale deployment billing-taskmanager --replicas=2 >/dev/null || fail "scale"
deadline=$((SECONDS + 90 * FH_TIMEOUT_FACTOR))
until [ "$(emu parallelism)" = 2 ] && [ "$(emu state)" = RUNNING ] &&
	[ "$(kubectl -n finance get deployment billing-taskmanager -o jsonpath='{.metadata.annotations.flinkhpa\.io/parallelism}')" = 2 ]; do
	kill -0 $ADAPTER_PID 2>/dev/null || fail "the adapter exited: $(tail -n 20 "$FH_TMP/adapter.log")"
	[ $SECONDS -lt $deadline ] || fail "the job did not follow: parallelism $(emu parallelism), $(emu state); proxy: $(tail -n 5 "$FH_TMP/proxy.log"); adapter: $(tail -n 10 "$FH_TMP/adapter.log")"
	sleep 1
done
grep -q "^PUT http://$svc/jobs/[0-9a-f]*/resource-requirements" "$FH_TMP/proxy.log" ||
	fail "no PUT of the resource requirements at the Service's address: $(cat "$FH_TMP/proxy.log")"
# every JobManager request the adapter made went to a Service's address,
# as the annotations name them (the others' are answered 502 here)
want=" $(kubectl get services -A -l flinkhpa.io/role=jobmanager \
	-o jsonpath='{range .items[*]}{.metadata.name}.{.metadata.namespace}.svc:8081{" "}{end}')"
while read -r _ url; do
	host=${url#http://}
	[[ "$want" == *" ${host%%/*} "* ]] || fail "a request to $url, not a JobManager Service's address"
done <"$FH_TMP/proxy.log"
echo "adaptive: replicas 2, job parallelism $(emu parallelism), $(grep -c . "$FH_TMP/proxy.log") requests to http://$svc"
echo ok
