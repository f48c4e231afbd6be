#!/usr/bin/env bash
# delegate.sh - flinkhpa-adapter in front of another metrics adapter
# (tests/tools/other_adapter.py, over plain HTTP here; the end-to-end test
# tests/e2e/delegate.sh runs it with TLS and front-proxy authentication):
#   - discovery documents list both adapters' metrics, ours winning a name
#     both have;
#   - a metric that is not ours is forwarded and its answer comes back byte
#     for byte, in JSON and in protobuf, with the query as the aggregator
#     writes it; ours are answered here even when the other has the name;
#   - a slow delegate never holds up our metrics, and one slower than
#     --delegate-timeout gives a 503 Status for its metric;
#   - the delegate down: 503 Status (JSON or protobuf) for its metrics only,
#     ours and the discovery (as last read) still served;
#   - SIGTERM with a forwarded request in flight: a prompt clean exit;
#   - bad --delegate-* flags are refused.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
printf '%s\n' \
 'flink_taskmanager_job_task_busyTimeMsPerSecond{job_name="orders",subtask_index="0",} 900.0' \
 'flink_taskmanager_job_task_operator_pendingRecords{job_name="orders",subtask_index="0",} 1234.0' \
 >"$tm_dir/metrics"
start_page_server "$tm_dir"
printf '%s\n' 'targets:' \
 '  - namespace: flink' '    pod: tm-1' "    url: http://127.0.0.1:$PAGE_PORT/metrics" \
 '    deployment: flink-taskmanager' '    job: orders' \
 '    labels: {app: flink, component: taskmanager}' >"$FH_TMP/targets.yaml"

# the other adapter: a custom metric about a Service, two external ones,
# one of them under a name of ours
state() { # DELAY
	cat >"$FH_TMP/state.json.new" <<EOF
{"custom": {"web/services/frontend/http_requests": 2.5, "flink/services/x/flink_tm_backlog": 9},
 "external": {"web/queue_depth": 42, "flink/flink_job_backlog": 5},
 "delay": $1, "time": 1704067200}
EOF
	mv "$FH_TMP/state.json.new" "$FH_TMP/state.json"
}
state 0
OPORT=$(free_port)
start_other() {
	python3 "$FH_ROOT/tests/tools/other_adapter.py" --port "$OPORT" --state "$FH_TMP/state.json" \
		--log "$FH_TMP/other.log" >"$FH_TMP/other.out" 2>&1 &
	OTHER_PID=$!
	BB_PIDS+=("$OTHER_PID")
	local deadline=$((SECONDS + 10 * FH_TIMEOUT_FACTOR))
	until curl -s -o /dev/null "http://127.0.0.1:$OPORT/healthz"; do
		[ $SECONDS -lt $deadline ] || fail "the other adapter did not start: $(cat "$FH_TMP/other.out")"
		sleep 0.1
	done
}
start_other
O=http://127.0.0.1:$OPORT

# bad flags first
bad_flags() { # WANT-IN-STDERR FLAGS...
	local want=$1
	shift
	$FH_WRAP "$FH_BIN/flinkhpa-adapter" --insecure-demo --secure-port 0 \
		--targets-file "$FH_TMP/targets.yaml" "$@" >"$FH_TMP/bad.out" 2>&1 &&
		fail "accepted: $*"
	grep -qF -- "$want" "$FH_TMP/bad.out" || fail "$*: $(cat "$FH_TMP/bad.out")"
}
bad_flags 'is not an http:// or https:// URL' --delegate-custom-metrics ftp://x
bad_flags 'go together' --delegate-custom-metrics "$O" --delegate-client-cert-file /etc/hostname
bad_flags 'cannot read /nonexistent' --delegate-external-metrics "$O" --delegate-ca-file /nonexistent
bad_flags 'without --delegate-custom-metrics' --delegate-token-file /etc/hostname

start_adapter --insecure-demo --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s \
	--delegate-custom-metrics "$O/" --delegate-external-metrics "$O" \
	--delegate-timeout 4s --delegate-discovery-interval 1s -v 1
wait_ready "$ADAPTER_URL"
grep -q "delegating the custom metrics flinkhpa does not serve to $O (identity: none (anonymous); timeout 4000ms)" \
	"$FH_TMP/adapter.log" || fail "the delegation is not announced"
A=$ADAPTER_URL
C=/apis/custom.metrics.k8s.io/v1beta2
E=/apis/external.metrics.k8s.io/v1beta1

# 1. discovery: the union, once the other's document is read
wait_body "$A$C" '"name":"services/http_requests","singularName":"","namespaced":true,"kind":"MetricValueList","verbs":["get"]}'
expect_body_has '"name":"pods/flink_tm_busy_ratio"'
expect_body_lacks 'services/flink_tm_backlog'
wait_body "$A/apis/custom.metrics.k8s.io/v1beta1" '"services/http_requests"'
wait_body "$A$E" '{"name":"queue_depth","singularName":"","namespaced":true,"kind":"ExternalMetricValueList","verbs":["get"]}'
[ "$(grep -o '"name":"flink_job_backlog"' "$FH_TMP/body" | wc -l)" = 1 ] ||
	fail "flink_job_backlog listed more than once: $(cat "$FH_TMP/body")"
echo "discovery: the union, ours winning"

# 2. forwarded unchanged, byte for byte, JSON and protobuf
same() { # PATH ACCEPT
	local a b
	a=$(curl -s -A kcm -H "Accept: $2" -w ' %{http_code} %{content_type}' "$A$1" | od -An -tx1 | tr -d ' \n')
	b=$(curl -s -A kcm -H "Accept: $2" -w ' %{http_code} %{content_type}' "$O$1" | od -An -tx1 | tr -d ' \n')
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "$1 ($2) through flinkhpa differs from the other's answer:
$(echo "$a" | head -c 300)
$(echo "$b" | head -c 300)"
}
for p in "$C/namespaces/web/services/frontend/http_requests" \
	"/apis/custom.metrics.k8s.io/v1beta1/namespaces/web/services/frontend/http_requests" \
	"$E/namespaces/web/queue_depth?labelSelector=queue%3Dorders" \
	"$C/namespaces/web/services/frontend/unknown"; do
	same "$p" 'application/json'
	same "$p" 'application/vnd.kubernetes.protobuf, */*'
done
get "$A$E/namespaces/web/queue_depth?labelSelector=queue%3Dorders,tier%3Dgold" 200
expect_body_has '"metricLabels":{"queue":"orders","tier":"gold"},"timestamp":"2024-01-01T00:00:00Z","value":"42"}'
# (the other's log also has discovery reads, every second)
grep -qF '"path": "/apis/external.metrics.k8s.io/v1beta1/namespaces/web/queue_depth", "query": "labelSelector=queue%3Dorders%2Ctier%3Dgold"' \
	"$FH_TMP/other.log" || fail "the query as forwarded: $(grep queue_depth "$FH_TMP/other.log" | tail -n 1)"
curl -s -o /dev/null "$A$C/namespaces/web/pods/%2A/http_requests?metricLabelSelector=a%3Db&labelSelector=app%3Dweb"
grep -qF '"path": "/apis/custom.metrics.k8s.io/v1beta2/namespaces/web/pods/%2A/http_requests", "query": "labelSelector=app%3Dweb&metricLabelSelector=a%3Db"' \
	"$FH_TMP/other.log" || fail "path and sorted query as forwarded: $(grep pods "$FH_TMP/other.log" | tail -n 1)"
# protobuf really is protobuf
curl -s -H 'Accept: application/vnd.kubernetes.protobuf' -o "$FH_TMP/pb" "$A$E/namespaces/web/queue_depth"
[ "$(head -c 4 "$FH_TMP/pb" | od -An -tx1 | tr -d ' ')" = 6b387300 ] || fail "no protobuf envelope"
echo "forwarded: JSON and protobuf unchanged"

# 3. ours stay ours, even where the other has the name
get "$A$E/namespaces/flink/flink_job_backlog" 200
expect_body_has '"value":"1234"'
get "$A$C/namespaces/flink/services/x/flink_tm_backlog" 404
expect_body_has 'the server could not find the metric flink_tm_backlog for services'
grep -E '"path": "[^"]*/(flink_job_backlog|flink_tm_backlog)"' "$FH_TMP/other.log" &&
	fail "our metrics were forwarded"

# 4. a slow delegate: ours answer at once meanwhile; its own answer comes
state 2.5
time_of() { curl -s -A kcm -o "$FH_TMP/$2" -w '%{http_code} %{time_total}' "$1"; }
time_of "$A$E/namespaces/web/queue_depth" slow.body >"$FH_TMP/slow" &
slow=$!
sleep 0.3
for _ in 1 2 3; do
	read -r code t < <(time_of "$A$C/namespaces/flink/pods/%2A/flink_tm_busy_ratio" fast.body)
	[ "$code" = 200 ] || fail "our metric during a slow forward: $code"
done
# all three answered while the forward was still waiting for the delegate
kill -0 $slow 2>/dev/null || fail "our metrics waited for the slow delegate (the forward is over already)"
wait $slow
read -r code t <"$FH_TMP/slow"
[ "$code" = 200 ] && awk -v t="$t" 'BEGIN { exit !(t >= 2.4) }' || fail "the slow forward: $code in ${t}s"
# slower than --delegate-timeout (4s): 503 for that metric
state 6
read -r code t < <(time_of "$A$E/namespaces/web/queue_depth" body)
[ "$code" = 503 ] || fail "a delegate slower than the timeout: $code in ${t}s"
grep -q '"reason":"ServiceUnavailable","code":503' "$FH_TMP/body" || fail "not a Status: $(cat "$FH_TMP/body")"
grep -qi 'timed out' "$FH_TMP/body" || fail "the Status does not say it timed out: $(cat "$FH_TMP/body")"
awk -v t="$t" 'BEGIN { exit !(t < 5.5) }' || fail "the timeout took ${t}s"
state 0
echo "slow delegate: ours unaffected, its own 503 after the timeout"

# 5. the delegate down: 503 for its metrics only
kill "$OTHER_PID"
wait "$OTHER_PID" 2>/dev/null
get "$A$C/namespaces/web/services/frontend/http_requests" 503
expect_body_has '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the metrics adapter flinkhpa delegates to is unavailable: '
expect_body_has '"reason":"ServiceUnavailable","code":503}'
code=$(curl -s -o "$FH_TMP/pb" -w '%{http_code} %{content_type}' -H 'Accept: application/vnd.kubernetes.protobuf, */*' \
	"$A$E/namespaces/web/queue_depth")
[ "$code" = "503 application/vnd.kubernetes.protobuf" ] || fail "protobuf 503: $code"
[ "$(head -c 4 "$FH_TMP/pb" | od -An -tx1 | tr -d ' ')" = 6b387300 ] || fail "the 503 is not in protobuf"
get "$A$C/namespaces/flink/pods/%2A/flink_tm_busy_ratio" 200
expect_body_has '"value":"900m"'
get "$A$E/namespaces/flink/flink_job_backlog" 200
get "$A$C" 200
expect_body_has '"services/http_requests"'
get "$A/metrics" 200
expect_body_has 'flinkhpa_delegate_requests_total{group="external",result="failed"}'
grep -q 'flinkhpa_delegate_requests_total{group="custom",result="answered"} [1-9]' "$FH_TMP/body" ||
	fail "no answered counter: $(grep delegate "$FH_TMP/body")"
echo "delegate down: 503 for its metrics, ours served"

# 6. SIGTERM while a forward is in flight (well within the 4s timeout)
start_other
state 30
curl -s -o "$FH_TMP/inflight" -w '%{http_code}' "$A$E/namespaces/web/queue_depth" >"$FH_TMP/inflight.code" &
inflight=$!
sleep 0.5
t0=$(date +%s%N)
stop_adapter
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 1500 ] || fail "the shutdown waited for the delegate: ${ms}ms"
wait $inflight
echo "shutdown with a forward in flight: ${ms}ms, the client got [$(cat "$FH_TMP/inflight.code")]"

# 7. TLS and front-proxy identities on both sides (no Kubernetes API: only
# system:masters is authorized, by flinkhpa and by the other adapter)
kill "$OTHER_PID"
wait "$OTHER_PID" 2>/dev/null
pki=$FH_TMP/pki
"$FH_ROOT/hack/certs.sh" "$pki" >/dev/null 2>&1 || fail "hack/certs.sh"
state 0
python3 "$FH_ROOT/tests/tools/other_adapter.py" --port "$OPORT" --state "$FH_TMP/state.json" \
	--log "$FH_TMP/other.log" --tls-cert "$pki/adapter.crt" --tls-key "$pki/adapter.key" \
	--requestheader-ca "$pki/front-proxy-ca.crt" --allowed-names front-proxy-client >"$FH_TMP/other.out" 2>&1 &
BB_PIDS+=($!)
start_adapter --tls-cert-file "$pki/adapter.crt" --tls-private-key-file "$pki/adapter.key" \
	--requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
	--targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s \
	--delegate-external-metrics "https://localhost:$OPORT" --delegate-ca-file "$pki/ca.crt" \
	--delegate-client-cert-file "$pki/front-proxy-client.crt" --delegate-client-key-file "$pki/front-proxy-client.key"
A=https://127.0.0.1:$ADAPTER_PORT
wait_ready "$A"
fp=(--cacert "$pki/ca.crt" --cert "$pki/front-proxy-client.crt" --key "$pki/front-proxy-client.key")
n0=$(grep -c '"path": "/apis/external.metrics.k8s.io/v1beta1/namespaces/web/queue_depth"' "$FH_TMP/other.log")
code=$(curl -s -A kcm -o "$FH_TMP/body" -w '%{http_code}' "${fp[@]}" -H 'X-Remote-User: alice' \
	-H 'X-Remote-Group: system:masters' -H 'X-Remote-Group: dev' -H 'X-Remote-Extra-Scopes: a%2Fb' \
	-H 'Audit-Id: audit-1' "https://localhost:$ADAPTER_PORT$E/namespaces/web/queue_depth")
[ "$code" = 200 ] || fail "alice through both: $code $(cat "$FH_TMP/body")"
expect_body_has '"value":"42"'
grep -F '"path": "/apis/external.metrics.k8s.io/v1beta1/namespaces/web/queue_depth"' "$FH_TMP/other.log" | tail -n 1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
want = {"user": "alice", "groups": ["system:masters", "dev", "system:authenticated"],
        "how": "front-proxy front-proxy-client", "extra": {"scopes": "a%2Fb"}, "audit": "audit-1"}
bad = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
sys.exit("the other adapter saw %s" % bad if bad else 0)' || fail "identity as forwarded"
# anonymous: refused by flinkhpa, never forwarded
code=$(curl -s -A kcm -o "$FH_TMP/body" -w '%{http_code}' --cacert "$pki/ca.crt" -H 'X-Remote-User: alice' \
	-H 'X-Remote-Group: system:masters' "https://localhost:$ADAPTER_PORT$E/namespaces/web/queue_depth")
[ "$code" = 403 ] || fail "anonymous with spoofed headers: $code"
[ "$(grep -c '"path": "/apis/external.metrics.k8s.io/v1beta1/namespaces/web/queue_depth"' "$FH_TMP/other.log")" = \
	$((n0 + 1)) ] || fail "a refused request was forwarded"
echo "TLS: the caller's identity forwarded under flinkhpa's front-proxy certificate"
stop_adapter
echo ok
