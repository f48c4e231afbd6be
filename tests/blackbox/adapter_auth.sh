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
#   reads them: the last CN is the name, every O a group.
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
echo ok
