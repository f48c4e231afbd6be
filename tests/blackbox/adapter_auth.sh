#!/usr/bin/env bash
# adapter_auth.sh - who may ask the adapter what, over real HTTPS with
# certificates made by openssl (hack/certs.sh and here), without a
# Kubernetes API (so only system:masters is authorized; the
# SubjectAccessReview path is tests/e2e/aggregation.sh):
#   no certificate, anonymous: 403 Status, health endpoints open;
#   the front proxy's certificate with X-Remote-Group system:masters: 200;
#   the front proxy's certificate for a plain user: 403;
#   X-Remote-* headers without the front proxy's certificate: ignored;
#   a certificate from another CA, or with a CN not allowed: ignored;
#   a client-CA certificate with O=system:masters: 200, and its X-Remote-*
#   headers ignored;
#   subjects with several CNs read as Go's crypto/x509 (kube-apiserver)
#   reads them: the last CN is the name, every O a group;
#   %00 in a path or query: 400; blanks around X-Remote-* values trimmed.
# Slow clients: 4,200 connections from 127.0.0.2 trickling a TLS record
# a byte every 2 s (past the connection limit of 4,096) while the HPA,
# from 127.0.0.1, still gets its answer; each address gets at most 512
# connections and the server closes every slow one at the header deadline
# (32 s, kube-apiserver's ReadHeaderTimeout).
# Then with a slow SubjectAccessReview server (python, here: it is the
# reviewer, the adapter is real): distinct questions are reviewed at the
# same time (at most 8), identical ones share one review, and the newest
# waiting question goes first.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

pki=$FH_TMP/pki
"$FH_ROOT/hack/certs.sh" "$pki" || fail "certs.sh"
# a client certificate from another CA, and one from the front-proxy CA
# with a CN that is not allowed
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=front-proxy-client" \
	-keyout "$pki/other.key" -out "$pki/other.crt" \
	-addext "extendedKeyUsage=clientAuth" 2>/dev/null || fail "openssl"
openssl req -newkey rsa:2048 -nodes -subj "/CN=intruder" -keyout "$pki/intruder.key" \
	-out "$pki/intruder.csr" 2>/dev/null &&
	openssl x509 -req -in "$pki/intruder.csr" -CA "$pki/front-proxy-ca.crt" \
		-CAkey "$pki/front-proxy-ca.key" -CAcreateserial -days 1 \
		-extfile <(echo "extendedKeyUsage=clientAuth") -out "$pki/intruder.crt" 2>/dev/null ||
	fail "openssl"

# leaf NAME CA SUBJECT: a client certificate signed by CA
leaf() {
	openssl req -newkey rsa:2048 -nodes -subj "$3" -keyout "$pki/$1.key" \
		-out "$pki/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.crt" \
			-CAkey "$pki/$2.key" -CAcreateserial -days 1 \
			-extfile <(echo "extendedKeyUsage=clientAuth") \
			-out "$pki/$1.crt" 2>/dev/null || fail "openssl $3"
}
leaf twocn ca "/CN=alice/CN=mallory"
leaf groups ca "/CN=alice/O=dev/O=system:masters/CN=carol"
leaf fp-evil-last front-proxy-ca "/CN=front-proxy-client/CN=evil-proxy"
leaf fp-good-last front-proxy-ca "/CN=evil-proxy/CN=front-proxy-client"

mkdir -p "$FH_TMP/tm"
echo 'flink_taskmanager_job_task_operator_pendingRecords{job_name="j",} 7.0' >"$FH_TMP/tm/metrics"
start_page_server "$FH_TMP/tm"
printf 'targets:\n  - {namespace: flink, pod: tm-1, url: "http://127.0.0.1:%s/metrics"}\n' \
	"$PAGE_PORT" >"$FH_TMP/targets.yaml"

start_adapter --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s \
	--tls-cert-file "$pki/adapter.crt" --tls-private-key-file "$pki/adapter.key" \
	--requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
	--requestheader-allowed-names front-proxy-client \
	--client-ca-file "$pki/ca.crt" -v 2
U=https://127.0.0.1:$ADAPTER_PORT
wait_ready "$U"
P=$U/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/tm-1/flink_tm_backlog

call() { # expected-code curl-args...
	local want=$1 code
	shift
	code=$(curl -s --cacert "$pki/ca.crt" -A blackbox -o "$FH_TMP/body" -w '%{http_code}' "$@")
	[ "$code" = "$want" ] || fail "curl $*: $code, want $want: $(head -c 300 "$FH_TMP/body")"
}
fp=(--cert "$pki/front-proxy-client.crt" --key "$pki/front-proxy-client.key")

call 403 "$P"
expect_body_has '"message":"pods.custom.metrics.k8s.io \"tm-1\" is forbidden: User \"system:anonymous\" cannot get resource \"pods/flink_tm_backlog\" in API group \"custom.metrics.k8s.io\" in the namespace \"flink\"'
expect_body_has '"reason":"Forbidden","details":{"name":"tm-1","group":"custom.metrics.k8s.io","kind":"pods"},"code":403}'
call 403 "$U/apis/custom.metrics.k8s.io/v1beta2"
expect_body_has 'forbidden: User \"system:anonymous\" cannot get path \"/apis/custom.metrics.k8s.io/v1beta2\"'
call 200 "$U/healthz"
call 200 "$U/readyz"
call 200 "${fp[@]}" -H 'X-Remote-User: kube-aggregator' -H 'X-Remote-Group: system:masters' "$U/apis/custom.metrics.k8s.io/v1beta2"
call 200 "${fp[@]}" -H 'X-Remote-User: hpa' -H 'X-Remote-Group: system:masters' "$P"
expect_body_has '"value":"7"'
call 403 "${fp[@]}" -H 'X-Remote-User: bob' -H 'X-Remote-Group: dev' "$P"
expect_body_has 'User \"bob\" cannot get resource'
call 403 -H 'X-Remote-User: mallory' -H 'X-Remote-Group: system:masters' "$P"
expect_body_has 'User \"system:anonymous\"'
call 403 --cert "$pki/other.crt" --key "$pki/other.key" -H 'X-Remote-User: mallory' -H 'X-Remote-Group: system:masters' "$P"
expect_body_has 'User \"system:anonymous\"'
call 403 --cert "$pki/intruder.crt" --key "$pki/intruder.key" -H 'X-Remote-User: mallory' -H 'X-Remote-Group: system:masters' "$P"
expect_body_has 'User \"system:anonymous\"'
call 200 --cert "$pki/admin.crt" --key "$pki/admin.key" "$P"
call 403 --cert "$pki/kcm.crt" --key "$pki/kcm.key" -H 'X-Remote-Group: system:masters' "$P"
expect_body_has 'User \"system:kube-controller-manager\" cannot get resource'
# several CNs: the last one counts, as in kube-apiserver
call 403 --cert "$pki/twocn.crt" --key "$pki/twocn.key" "$P"
expect_body_has 'User \"mallory\" cannot get resource'
call 200 --cert "$pki/groups.crt" --key "$pki/groups.key" "$P"
call 403 --cert "$pki/fp-evil-last.crt" --key "$pki/fp-evil-last.key" \
	-H 'X-Remote-User: mallory' -H 'X-Remote-Group: system:masters' "$P"
expect_body_has 'User \"system:anonymous\"'
call 200 --cert "$pki/fp-good-last.crt" --key "$pki/fp-good-last.key" \
	-H 'X-Remote-User: hpa' -H 'X-Remote-Group: system:masters' "$P"
# %00 in the path or query: 400, not a path cut short
call 400 "$U/healthz%00/apis"
expect_body_has '400 Bad Request'
call 400 "$U/readyz?verbose=%00"
call 400 "${fp[@]}" -H 'X-Remote-User: hpa' -H 'X-Remote-Group: system:masters' "$P?labelSelector=a%3Db%00"
# header values lose their surrounding blanks, as Go's net/http trims them
call 403 "${fp[@]}" -H 'X-Remote-User: bob  ' -H 'X-Remote-Group: dev ' "$P"
expect_body_has 'User \"bob\" cannot get resource'
call 200 "${fp[@]}" -H 'X-Remote-User: hpa' -H 'X-Remote-Group: system:masters	 ' "$P"
# the protobuf clients get a protobuf Status
code=$(curl -s --cacert "$pki/ca.crt" -o "$FH_TMP/pb" -w '%{http_code} %{content_type}' \
	-H 'Accept: application/vnd.kubernetes.protobuf, */*' "$P")
[ "$code" = "403 application/vnd.kubernetes.protobuf" ] || fail "protobuf 403: $code"
grep -q 'user "mallory" (front-proxy)' "$FH_TMP/adapter.log" && fail "a spoofed user was believed"

# the serving certificate files change: the adapter serves the new one
# without a restart (certificates are rotated by cert-manager and the like)
serving_cn() {
	echo | openssl s_client -connect "127.0.0.1:$ADAPTER_PORT" 2>/dev/null |
		sed -n 's/^subject=.*CN = //p'
}
[ "$(serving_cn)" = flinkhpa-adapter ] || fail "serving $(serving_cn)"
openssl req -newkey rsa:2048 -nodes -subj "/CN=flinkhpa-adapter-renewed" \
	-keyout "$pki/new.key" -out "$pki/new.csr" 2>/dev/null &&
	openssl x509 -req -in "$pki/new.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 2 -out "$pki/new.crt" \
		-extfile <(echo "subjectAltName=IP:127.0.0.1") 2>/dev/null || fail "openssl"
cp "$pki/new.key" "$pki/adapter.key"
cp "$pki/new.crt" "$pki/adapter.crt"
deadline=$((SECONDS + 30 * FH_TIMEOUT_FACTOR))
until [ "$(serving_cn)" = flinkhpa-adapter-renewed ]; do
	[ $SECONDS -lt $deadline ] || fail "certificate not reloaded: $(serving_cn)"
	sleep 0.5
done
call 200 --cert "$pki/admin.crt" --key "$pki/admin.key" "$P"
grep -q 'serving certificate reloaded' "$FH_TMP/adapter.log" || fail "reload not logged"
stop_adapter

# ---- slow clients: a header deadline and a connection cap per address
cat >"$FH_TMP/slow.py" <<'PY'
import socket, sys, time
port, n, every, limit, ready = int(sys.argv[1]), int(sys.argv[2]), \
    float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
# a TLS handshake record announcing 16 kB, sent a byte at a time
record = b"\x16\x03\x01\x40\x00" + b"\x00" * 100000
t0 = time.monotonic()
socks = {}
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    socks[s] = 0
open(ready, "w").close()
closed = []   # seconds after the start at which the server closed each
sent_at = 0.0
while socks and time.monotonic() - t0 < limit:
    now = time.monotonic()
    trickle = now - sent_at >= every
    for s in list(socks):
        gone = False
        try:
            if s.recv(4096) == b"":
                gone = True
        except BlockingIOError:
            pass
        except OSError:
            gone = True
        if not gone and trickle:
            try:
                s.send(record[socks[s]:socks[s] + 1])
                socks[s] += 1
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                gone = True
        if gone:
            closed.append(now - t0)
            s.close()
            del socks[s]
    if trickle:
        sent_at = now
    time.sleep(0.2)
late = [c for c in closed if c > 3]
print("opened %d, closed at once %d, closed later %d (last after %.1f s), "
      "still open %d" % (n, len(closed) - len(late), len(late),
                         max(late) if late else 0, len(socks)))
PY
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 9000 ]; then
	ulimit -n 9000 2>/dev/null || echo "slow clients: cannot raise the file limit to 9000, part skipped"
fi
if [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 9000 ]; then
	start_adapter --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s \
		--tls-cert-file "$pki/adapter.crt" --tls-private-key-file "$pki/adapter.key" \
		--requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
		--requestheader-allowed-names front-proxy-client \
		--client-ca-file "$pki/ca.crt" -v 1
	U=https://127.0.0.1:$ADAPTER_PORT
	P=$U/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/tm-1/flink_tm_backlog
	wait_ready "$U"
	python3 "$FH_TMP/slow.py" "$ADAPTER_PORT" 4200 2 $((80 * FH_TIMEOUT_FACTOR)) \
		"$FH_TMP/slow.ready" >"$FH_TMP/slow.out" 2>&1 &
	slow_pid=$!
	BB_PIDS+=($slow_pid)
	for _ in $(seq 1 300); do [ -e "$FH_TMP/slow.ready" ] && break; sleep 0.1; done
	[ -e "$FH_TMP/slow.ready" ] || fail "slow clients did not start"
	sleep 3
	# the HPA's request (through the front proxy), answered within its
	# client's timeout while the slow connections are held
	for i in 1 2 3; do
		code=$(curl -s --cacert "$pki/ca.crt" "${fp[@]}" -H 'X-Remote-User: hpa' \
			-H 'X-Remote-Group: system:masters' -o "$FH_TMP/body" -w '%{http_code}' \
			--max-time $((10 * FH_TIMEOUT_FACTOR)) "$P")
		[ "$code" = 200 ] || fail "HPA request $i while slow clients hold connections: $code"
		sleep 1
	done
	wait $slow_pid
	out=$(cat "$FH_TMP/slow.out")
	echo "slow clients: $out"
	[[ $out == *"still open 0" ]] || fail "slow connections kept past the header deadline: $out"
	late=$(sed -n 's/.*closed later \([0-9]*\).*/\1/p' <<<"$out")
	[ "$late" -le 512 ] || fail "more than 512 connections from one address: $out"
	last=$(sed -n 's/.*(last after \([0-9]*\)\..*/\1/p' <<<"$out")
	[ "$last" -le $((32 + 15 * FH_TIMEOUT_FACTOR)) ] || fail "slow connections closed after $last s: $out"
	stop_adapter
fi

# ---- SubjectAccessReviews: concurrent, bounded, coalesced, newest first
# The reviewer holds each review until the test releases it (a file named
# after the user, or "all"), so what is checked is what was under review
# at once, whatever the machine's speed.
cat >"$FH_TMP/sar.py" <<'PY'
import http.server, json, os, sys, threading, time
port_file, log_path, release, hold = sys.argv[1], sys.argv[2], sys.argv[3], \
    float(sys.argv[4])
lock = threading.Lock()
state = {"now": 0}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers["Content-Length"])
        user = json.loads(self.rfile.read(n))["spec"]["user"]
        with lock:
            state["now"] += 1
            with open(log_path, "a") as f:
                f.write("%s %d\n" % (user, state["now"]))
        t0 = time.monotonic()
        while time.monotonic() - t0 < hold and not (
                os.path.exists(os.path.join(release, "all")) or
                os.path.exists(os.path.join(release, user))):
            time.sleep(0.05)
        with lock:
            state["now"] -= 1
        out = json.dumps({"apiVersion": "authorization.k8s.io/v1",
                          "kind": "SubjectAccessReview",
                          "status": {"allowed": True}}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(port_file + ".tmp", port_file)
s.serve_forever()
PY
sar_log=$FH_TMP/sar.log
rel=$FH_TMP/release
mkdir -p "$rel"
: >"$sar_log"
python3 "$FH_TMP/sar.py" "$FH_TMP/sar.port" "$sar_log" "$rel" $((60 * FH_TIMEOUT_FACTOR)) &
BB_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$FH_TMP/sar.port" ] && break; sleep 0.1; done
[ -s "$FH_TMP/sar.port" ] || fail "SubjectAccessReview server did not start"
cat >"$FH_TMP/sar.kubeconfig" <<EOK
apiVersion: v1
kind: Config
clusters: [{name: sar, cluster: {server: "http://127.0.0.1:$(cat "$FH_TMP/sar.port")"}}]
users: [{name: u, user: {}}]
contexts: [{name: sar, context: {cluster: sar, user: u}}]
current-context: sar
EOK
start_adapter --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s \
	--tls-cert-file "$pki/adapter.crt" --tls-private-key-file "$pki/adapter.key" \
	--requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
	--requestheader-allowed-names front-proxy-client \
	--client-ca-file "$pki/ca.crt" --authorization-kubeconfig "$FH_TMP/sar.kubeconfig" -v 2
U=https://127.0.0.1:$ADAPTER_PORT
P=$U/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/tm-1/flink_tm_backlog
wait_ready "$U"
as_user() { # user: GET $P as user through the front proxy, 200 wanted
	local code
	code=$(curl -s --cacert "$pki/ca.crt" "${fp[@]}" -H "X-Remote-User: $1" \
		-o "$FH_TMP/body.$1" -w '%{http_code}' --max-time $((90 * FH_TIMEOUT_FACTOR)) "$P")
	[ "$code" = 200 ] || echo "user $1: HTTP $code" >>"$FH_TMP/sar.errors"
}
sar_wait() { # N: until the reviewer has seen N questions
	local deadline=$((SECONDS + 30 * FH_TIMEOUT_FACTOR))
	until [ "$(wc -l <"$sar_log")" -ge "$1" ]; do
		if [ $SECONDS -ge $deadline ]; then
			touch "$rel/all"
			fail "the reviewer saw $(wc -l <"$sar_log") of $1 questions at once: $(tr '\n' ' ' <"$sar_log")"
		fi
		sleep 0.1
	done
}
sar_phase() { # the next part: nothing held, an empty log
	touch "$rel/all"
	wait "${pids[@]}"
	[ ! -s "$FH_TMP/sar.errors" ] || fail "$(cat "$FH_TMP/sar.errors")"
	rm -f "$rel"/*
	: >"$sar_log"
	pids=()
}
peak() { awk '$2 > m {m = $2} END {print m + 0}' "$sar_log"; }
# five distinct questions: all five under review at once
pids=()
for u in u1 u2 u3 u4 u5; do as_user $u & pids+=($!); done
sar_wait 5
[ "$(peak)" = 5 ] || fail "5 distinct questions, at most $(peak) under review at once"
sar_phase
# five identical questions: one review
for _ in 1 2 3 4 5; do as_user same & pids+=($!); done
sar_wait 1
sleep 2
[ "$(wc -l <"$sar_log")" = 1 ] || fail "identical questions not shared: $(tr '\n' ' ' <"$sar_log")"
sar_phase
# ten questions: 8 under review, two wait; freeing one review takes the newer
for i in 1 2 3 4 5 6 7 8; do as_user w$i & pids+=($!); done
sar_wait 8
as_user older & pids+=($!)
sleep 1
as_user newer & pids+=($!)
sleep 2
[ "$(wc -l <"$sar_log")" = 8 ] || fail "more than 8 under review at once: $(tr '\n' ' ' <"$sar_log")"
touch "$rel/w1"
sar_wait 9
[ "$(sed -n 9p "$sar_log" | cut -d' ' -f1)" = newer ] || fail "the older waiting question went first: $(tr '\n' ' ' <"$sar_log")"
[ "$(peak)" = 8 ] || fail "reviews not bounded at 8 (peak $(peak))"
sar_phase
stop_adapter
echo ok
