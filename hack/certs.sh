#!/usr/bin/env bash
# hack/certs.sh DIR - the certificates of a local control plane, made with
# openssl (for hack/cluster-up.sh and the tests):
#   ca.crt/key                 cluster CA
#   apiserver.crt/key          kube-apiserver serving (127.0.0.1, localhost,
#                              kubernetes.default.svc, 10.0.0.1)
#   admin.crt/key              client, CN admin, O system:masters
#   kcm.crt/key                client, CN system:kube-controller-manager
#   sa.key/sa.pub              service account token signing
#   front-proxy-ca.crt/key     request-header CA of the aggregation layer
#   front-proxy-client.crt/key client, CN front-proxy-client
#   adapter.crt/key            flinkhpa-adapter serving, signed by ca.crt
#                              (flinkhpa-adapter.flinkhpa-system.svc, localhost)
# Existing files are kept, so a second run changes nothing.
set -euo pipefail

dir=${1:?usage: hack/certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

ca() { # name subject
	[ -f "$1.crt" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "$2" \
		-keyout "$1.key" -out "$1.crt" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() { # name ca subject usage [san]
	[ -f "$1.crt" ] && return 0
	local ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$4"
	[ -n "${5:-}" ] && ext="$ext
subjectAltName=$5"
	openssl req -newkey rsa:2048 -nodes -subj "$3" -keyout "$1.key" \
		-out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" \
		-CAcreateserial -days 3650 -out "$1.crt" \
		-extfile <(printf '%s\n' "$ext") 2>/dev/null
	rm -f "$1.csr"
}

ca ca "/CN=flinkhpa-local-ca"
ca front-proxy-ca "/CN=flinkhpa-front-proxy-ca"
leaf apiserver ca "/CN=kube-apiserver" serverAuth \
	"IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
leaf admin ca "/O=system:masters/CN=admin" clientAuth
leaf kcm ca "/CN=system:kube-controller-manager" clientAuth
leaf front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
leaf adapter ca "/CN=flinkhpa-adapter" serverAuth \
	"DNS:flinkhpa-adapter.flinkhpa-system.svc,DNS:localhost,IP:127.0.0.1"
if [ ! -f sa.key ]; then
	openssl genrsa -out sa.key 2048 2>/dev/null
	openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
fi
