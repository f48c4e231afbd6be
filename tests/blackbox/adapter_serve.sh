#!/usr/bin/env bash
# adapter_serve.sh - flinkhpa-adapter as a running server, seen from outside:
# a TaskManager page served over HTTP, the adapter in standalone mode (plain
# HTTP demo mode, then HTTPS), answers checked with curl: discovery, values,
# Status errors, protobuf (values and discovery documents), values going
# stale when the TaskManager dies, bad target files, and a clean exit on
# SIGTERM.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

tm_dir=$FH_TMP/tm
mkdir -p "$tm_dir"
printf '%s\n' \
 '# HELP flink_taskmanager_Status_JVM_CPU_Load Load (scope: taskmanager_Status_JVM_CPU)' \
 '# TYPE flink_taskmanager_Status_JVM_CPU_Load gauge' \
 'flink_taskmanager_Status_JVM_CPU_Load{host="127_0_0_1",tm_id="tm-1",} 0.42' \
 '# HELP flink_taskmanager_job_task_operator_pendingRecords pendingRecords (scope: taskmanager_job_task_operator)' \
 '# TYPE flink_taskmanager_job_task_operator_pendingRecords gauge' \
 'flink_taskmanager_job_task_operator_pendingRecords{job_name="orders",subtask_index="0",} 1234.0' \
 'flink_taskmanager_job_task_operator_pendingRecords{job_name="orders",subtask_index="1",} 766.0' \
 >"$tm_dir/metrics"
start_page_server "$tm_dir"

dead=$(free_port)
printf '%s\n' 'targets:' \
 '  - namespace: flink' '    pod: tm-1' "    url: http://127.0.0.1:$PAGE_PORT/metrics" \
 '    deployment: flink-taskmanager' '    job: orders' \
 '    labels: {app: flink, component: taskmanager}' \
 '  - namespace: flink' '    pod: tm-dead' "    url: http://127.0.0.1:$dead/metrics" \
 '    deployment: flink-taskmanager' '    job: orders' \
 '    labels: {app: flink, component: taskmanager}' >"$FH_TMP/targets.yaml"

printf '%s\n' 'apiVersion: flinkhpa.io/v1' 'kind: AdapterConfig' 'rules:' \
 '  - name: first_subtask_backlog_k' \
 '    family: flink_taskmanager_job_task_operator_pendingRecords' \
 '    match: {subtask_index: "0"}' '    scale: 0.001' >"$FH_TMP/config.yaml"
start_adapter --insecure-demo --targets-file "$FH_TMP/targets.yaml" \
	--config "$FH_TMP/config.yaml" --scrape-interval 1s --stale-after 3s
wait_ready "$ADAPTER_URL"
grep -q 'INSECURE DEMO MODE' "$FH_TMP/adapter.log" || fail "demo mode is not announced"

C=$ADAPTER_URL/apis/custom.metrics.k8s.io/v1beta2
get "$C" 200
expect_body_has '"kind":"APIResourceList"'
expect_body_has '"name":"pods/flink_tm_backlog","singularName":"","namespaced":true,"kind":"MetricValueList","verbs":["get"]'

get "$C/namespaces/flink/pods/%2A/flink_tm_backlog?labelSelector=app%3Dflink" 200
expect_body_has '"name":"tm-1","apiVersion":"/v1"},"metric":{"name":"flink_tm_backlog","selector":null}'
expect_body_has '"value":"2k"'
expect_body_lacks 'tm-dead'

# the custom rule, per pod and per Deployment
get "$C/namespaces/flink/pods/tm-1/first_subtask_backlog_k" 200
expect_body_has '"value":"1234m"'
get "$C/namespaces/flink/deployments.apps/flink-taskmanager/first_subtask_backlog_k" 200
expect_body_has '"value":"1234m"'

get "$C/namespaces/flink/pods/tm-1/flink_tm_cpu_utilization" 200
expect_body_has '"value":"42"'

get "$C/namespaces/flink/deployments.apps/flink-taskmanager/flink_job_backlog" 200
expect_body_has '"kind":"Deployment","namespace":"flink","name":"flink-taskmanager","apiVersion":"apps/v1"'

get "$ADAPTER_URL/apis/external.metrics.k8s.io/v1beta1/namespaces/flink/flink_job_backlog?labelSelector=job_name%3Dorders" 200
expect_body_has '"metricLabels":{"job_name":"orders"}'
expect_body_has '"value":"2k"'

get "$C/namespaces/flink/pods/%2A/no_such_metric" 404
expect_body_has '"message":"the server could not find the metric no_such_metric for pods","reason":"NotFound","code":404'
get "$C/namespaces/flink/pods/%2A/flink_tm_backlog?labelSelector=app%20in%20(" 400
expect_body_has '"reason":"BadRequest"'
get "$ADAPTER_URL/openapi/v2" 404

# protobuf for the HPA's Accept header
code=$(curl -s -o "$FH_TMP/pb" -w '%{http_code} %{content_type}' \
	-H 'Accept: application/vnd.kubernetes.protobuf, */*' \
	"$C/namespaces/flink/pods/tm-1/flink_tm_backlog")
[ "$code" = "200 application/vnd.kubernetes.protobuf" ] || fail "protobuf answer: $code"
[ "$(head -c 4 "$FH_TMP/pb" | od -An -tx1 | tr -d ' ')" = "6b387300" ] || fail "no k8s protobuf magic"

# the discovery documents in protobuf too, saying what their JSON says:
# a small wire-format reader with the meta/v1 field numbers
cat >"$FH_TMP/pbdisc.py" <<'EOF'
import json, sys

def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return r, i

def fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i)
        if key & 7 == 0:
            v, i = varint(b, i)
        elif key & 7 == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        else:
            sys.exit("wire type %d" % (key & 7))
        out.append((key >> 3, v))
    if i != len(b):
        sys.exit("truncated message")
    return out

# number: (JSON name, type, repeated, omitempty)
GV = {1: ("groupVersion", "s", 0, 0), 2: ("version", "s", 0, 0)}
CIDR = {1: ("clientCIDR", "s", 0, 0), 2: ("serverAddress", "s", 0, 0)}
VERBS = {1: ("items", "s", 1, 0)}
RES = {1: ("name", "s", 0, 0), 2: ("namespaced", "b", 0, 0), 3: ("kind", "s", 0, 0),
       4: ("verbs", VERBS, 0, 0), 5: ("shortNames", "s", 1, 1),
       6: ("singularName", "s", 0, 0), 7: ("categories", "s", 1, 1),
       8: ("group", "s", 0, 1), 9: ("version", "s", 0, 1),
       10: ("storageVersionHash", "s", 0, 1)}
GROUP = {1: ("name", "s", 0, 0), 2: ("versions", GV, 1, 0),
         3: ("preferredVersion", GV, 0, 0), 4: ("serverAddressByClientCIDRs", CIDR, 1, 1)}
KINDS = {"APIGroupList": {1: ("groups", GROUP, 1, 0)}, "APIGroup": GROUP,
         "APIResourceList": {1: ("groupVersion", "s", 0, 0), 2: ("resources", RES, 1, 0)}}

def decode(b, schema):
    d, last = {}, 0
    for num, v in fields(b):
        if num not in schema or num < last:
            sys.exit("unexpected field %d" % num)
        last = num
        name, t, rep, _ = schema[num]
        v = v.decode() if t == "s" else bool(v) if t == "b" else decode(v, t)
        if t is VERBS:
            v = v.get("items", [])
        if rep:
            d.setdefault(name, []).append(v)
        elif name in d:
            sys.exit("field %s twice" % name)
        else:
            d[name] = v
    for name, t, rep, omit in schema.values():
        if omit and not d.get(name):
            d.pop(name, None)
        elif rep:
            d.setdefault(name, [])
    return d

want = json.load(open(sys.argv[1]))
pb = open(sys.argv[2], "rb").read()
if pb[:4] != b"k8s\0":
    sys.exit("no magic")
env = fields(pb[4:])
if [n for n, _ in env] != [1, 2, 3, 4] or env[2][1] or env[3][1]:
    sys.exit("bad runtime.Unknown: %r" % env)
tm = dict((n, v.decode()) for n, v in fields(env[0][1]))
if tm != {1: want.pop("apiVersion"), 2: want["kind"]}:
    sys.exit("typeMeta %r" % tm)
got = decode(env[1][1], KINDS[want.pop("kind")])
if got != want:
    sys.exit("decoded %r\nJSON    %r" % (got, want))
EOF
for p in /apis /apis/custom.metrics.k8s.io /apis/custom.metrics.k8s.io/v1beta1 \
	/apis/custom.metrics.k8s.io/v1beta2 /apis/external.metrics.k8s.io \
	/apis/external.metrics.k8s.io/v1beta1; do
	get "$ADAPTER_URL$p" 200
	code=$(curl -s -o "$FH_TMP/pb" -w '%{http_code} %{content_type}' \
		-H 'Accept: application/vnd.kubernetes.protobuf, */*' "$ADAPTER_URL$p")
	[ "$code" = "200 application/vnd.kubernetes.protobuf" ] || fail "protobuf $p: $code"
	[ "$(head -c 4 "$FH_TMP/pb" | od -An -tx1 | tr -d ' ')" = "6b387300" ] || fail "protobuf $p: no k8s magic"
	out=$(python3 "$FH_TMP/pbdisc.py" "$FH_TMP/body" "$FH_TMP/pb" 2>&1) ||
		fail "protobuf $p is not its JSON: $out"
done

get "$ADAPTER_URL/metrics" 200
expect_body_has 'flinkhpa_scrape_targets 2'
expect_body_has 'flinkhpa_scrape_targets_failing 1'
# our own page is valid Prometheus text, as our own parser reads it
$FH_WRAP "$FH_BIN/flinkhpa-adapter" --dump-scrape "$FH_TMP/body" >/dev/null || fail "/metrics does not parse"
grep -q 'scrape flink/tm-dead .* failed: ' "$FH_TMP/adapter.log" || fail "dead TaskManager not logged"
[ "$(grep -c 'scrape flink/tm-dead' "$FH_TMP/adapter.log")" = 1 ] || fail "failure logged more than once"

# the TaskManager dies: its values go stale and are no longer served
kill "$PAGE_PID"
wait "$PAGE_PID" 2>/dev/null
deadline=$((SECONDS + 10 * FH_TIMEOUT_FACTOR))
while :; do
	get_quiet "$C/namespaces/flink/pods/%2A/flink_tm_backlog"
	grep -q '"items":\[\]' "$FH_TMP/body" && break
	[ $SECONDS -lt $deadline ] || fail "stale value still served: $(cat "$FH_TMP/body")"
	sleep 0.5
done
get "$C/namespaces/flink/pods/tm-1/flink_tm_backlog" 404
stop_adapter

# HTTPS with the self-signed certificate; plain HTTP and TLS 1.1 refused
# (who may ask what is tests/blackbox/adapter_auth.sh)
start_adapter --targets-file "$FH_TMP/targets.yaml" --scrape-interval 1s
ADAPTER_URL=https://127.0.0.1:$ADAPTER_PORT
wait_ready "$ADAPTER_URL"
grep -q 'self-signed certificate' "$FH_TMP/adapter.log" || fail "self-signed certificate not announced"
echo | openssl s_client -connect "127.0.0.1:$ADAPTER_PORT" 2>/dev/null |
	grep -q 'subject=CN = flinkhpa-adapter' || fail "not the self-signed certificate"
curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$ADAPTER_PORT/healthz" && fail "plain HTTP answered on the TLS port"
curl -sk -o /dev/null --max-time 3 --tlsv1.1 --tls-max 1.1 "$ADAPTER_URL/healthz" && fail "TLS 1.1 accepted"
stop_adapter

# bad target files and flags: file:line:col and a non-zero exit
printf 'targets:\n  - namespace: flink\n    pod: tm\n    url: http://x/\n    colour: red\n' >"$FH_TMP/bad.yaml"
out=$($FH_WRAP "$FH_BIN/flinkhpa-adapter" --insecure-demo --secure-port 0 --targets-file "$FH_TMP/bad.yaml" 2>&1) && fail "bad targets accepted"
[[ "$out" == *'bad.yaml:5:5: targets[]: unknown key "colour"'* ]] || fail "bad targets message: $out"
printf 'targets:\n  - namespace: flink\n    pod: tm\n' >"$FH_TMP/bad2.yaml"
out=$($FH_WRAP "$FH_BIN/flinkhpa-adapter" --insecure-demo --secure-port 0 --targets-file "$FH_TMP/bad2.yaml" 2>&1) && fail "target without url accepted"
[[ "$out" == *'bad2.yaml:2:5: targets[]: missing required key "url"'* ]] || fail "missing url message: $out"
printf 'apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - name: x\n' >"$FH_TMP/badconf.yaml"
out=$($FH_WRAP "$FH_BIN/flinkhpa-adapter" --insecure-demo --secure-port 0 --config "$FH_TMP/badconf.yaml" --targets-file "$FH_TMP/targets.yaml" 2>&1) && fail "bad config accepted"
[[ "$out" == *'badconf.yaml:4:5: rules[]: missing required key "family"'* ]] || fail "bad config message: $out"
out=$($FH_WRAP "$FH_BIN/flinkhpa-adapter" --scrape-interval 10 2>&1) && fail "bad duration accepted"
[[ "$out" == *'scrape-interval: invalid duration "10"'* ]] || fail "bad flag message: $out"
echo "ok"
