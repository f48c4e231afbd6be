#!/usr/bin/env bash
# hack/cluster-up.sh - a local Kubernetes control plane made of real parts:
# etcd (Debian's etcd-server), kube-apiserver and kube-controller-manager
# built from Debian's kubernetes source (hack/k8s-build.sh, cached).  There
# is no kubelet and no scheduler: pods stay Pending unless something marks
# them (the end-to-end harness plays that part).
#
# kube-apiserver runs with RBAC and the aggregation layer (front-proxy CA
# and client certificate, requestheader flags), so APIServices such as
# flinkhpa's work as in a real cluster; kube-controller-manager runs the
# HPA controller with a short sync period (FLINKHPA_HPA_SYNC, default 5s).
# FLINKHPA_APISERVER_EXTRA adds kube-apiserver flags (tests/e2e/chaos.sh
# cuts every watch after 10 to 20 s with --min-request-timeout=10).
#
# FLINKHPA_SERVICEACCOUNTS=1 turns on the ServiceAccount admission plugin,
# so that pods get their ServiceAccount's token mounted as in a real cluster
# (kube-controller-manager's token controller makes the tokens); it is off by
# default: nothing runs the pods, and the harness's pods need no token.
#
# State (certificates, kubeconfigs, logs, pid files) lives in
# ${FLINKHPA_CLUSTER_DIR:-/tmp/flinkhpa-cluster}; ports are picked free.
# Afterwards:  export KUBECONFIG=$FLINKHPA_CLUSTER_DIR/admin.kubeconfig
# Stop with hack/cluster-down.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${FLINKHPA_CLUSTER_DIR:-/tmp/flinkhpa-cluster}
sync=${FLINKHPA_HPA_SYNC:-5s}
log() { echo "cluster-up: $*" >&2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

if [ -f "$dir/apiserver.pid" ] && kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null; then
	log "already running in $dir"
	echo "export KUBECONFIG=$dir/admin.kubeconfig"
	exit 0
fi
bin=$("$here/k8s-build.sh" | tail -n 1)
"$here/deps.sh" k8s
mkdir -p "$dir"
"$here/certs.sh" "$dir/pki"
pki=$dir/pki

# A restart (state kept by cluster-down.sh without --purge) reuses the
# ports and etcd's data, so clients and objects survive it.
if [ -f "$dir/ports" ]; then
	read -r etcd_port peer_port api_port <"$dir/ports"
	log "restarting with the state in $dir"
else
	etcd_port=$(free_port)
	peer_port=$(free_port)
	api_port=$(free_port)
	echo "$etcd_port $peer_port $api_port" >"$dir/ports"
	rm -rf "$dir/etcd"
fi
echo "$api_port" >"$dir/apiserver.port"

kubeconfig() { # file user
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $pki/$2.crt
    client-key: $pki/$2.key
contexts:
- name: local
  context: {cluster: local, user: $2}
current-context: local
EOF
}
kubeconfig "$dir/admin.kubeconfig" admin
kubeconfig "$dir/kcm.kubeconfig" kcm

log "starting etcd on 127.0.0.1:$etcd_port"
etcd --name flinkhpa --data-dir "$dir/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" \
	--advertise-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$peer_port" \
	--initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
	--initial-cluster "flinkhpa=http://127.0.0.1:$peer_port" \
	>"$dir/etcd.log" 2>&1 &
echo $! >"$dir/etcd.pid"

admission=(--disable-admission-plugins=ServiceAccount)
[ "${FLINKHPA_SERVICEACCOUNTS:-0}" = 1 ] && admission=(--enable-admission-plugins=ServiceAccount)

log "starting kube-apiserver on 127.0.0.1:$api_port"
"$bin/kube-apiserver" \
	--etcd-servers="http://127.0.0.1:$etcd_port" \
	--bind-address=127.0.0.1 --secure-port="$api_port" \
	--advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
	--service-cluster-ip-range=10.0.0.0/24 \
	--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
	--client-ca-file="$pki/ca.crt" \
	--service-account-key-file="$pki/sa.pub" \
	--service-account-signing-key-file="$pki/sa.key" \
	--service-account-issuer=https://kubernetes.default.svc \
	--authorization-mode=RBAC \
	"${admission[@]}" \
	--requestheader-client-ca-file="$pki/front-proxy-ca.crt" \
	--requestheader-allowed-names=front-proxy-client \
	--requestheader-username-headers=X-Remote-User \
	--requestheader-group-headers=X-Remote-Group \
	--requestheader-extra-headers-prefix=X-Remote-Extra- \
	--proxy-client-cert-file="$pki/front-proxy-client.crt" \
	--proxy-client-key-file="$pki/front-proxy-client.key" \
	--enable-aggregator-routing=false \
	${FLINKHPA_APISERVER_EXTRA:-} \
	>"$dir/apiserver.log" 2>&1 &
echo $! >"$dir/apiserver.pid"

for i in $(seq 1 120); do
	if curl -s --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" \
		--key "$pki/admin.key" "https://127.0.0.1:$api_port/readyz" | grep -qx ok; then
		break
	fi
	kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null || {
		tail -n 20 "$dir/apiserver.log" >&2
		exit 1
	}
	sleep 0.5
done

log "starting kube-controller-manager (HPA sync every $sync)"
"$bin/kube-controller-manager" \
	--kubeconfig="$dir/kcm.kubeconfig" \
	--authentication-kubeconfig="$dir/kcm.kubeconfig" \
	--authorization-kubeconfig="$dir/kcm.kubeconfig" \
	--leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --port=0 \
	--use-service-account-credentials=true \
	--controllers='*,-nodeipam,-nodelifecycle,-ttl,-bootstrapsigner,-tokencleaner' \
	--service-account-private-key-file="$pki/sa.key" \
	--root-ca-file="$pki/ca.crt" \
	--horizontal-pod-autoscaler-sync-period="$sync" \
	>"$dir/kcm.log" 2>&1 &
echo $! >"$dir/kcm.pid"

log "ready: kube-apiserver https://127.0.0.1:$api_port"
echo "export KUBECONFIG=$dir/admin.kubeconfig"
