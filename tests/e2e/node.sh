# tests/e2e/node.sh - a real Kubernetes node for end-to-end tests (sourced
# after tests/e2e/lib.sh): containerd and runc from Debian with their own
# configuration, root, state and socket under $FH_TMP/node, kubelet and
# kube-scheduler built by hack/k8s-build.sh from the same source as the
# control plane, registered to the cluster of cluster_up.  Facts behind the
# choices: ../shared/reference/real-node.md.
#
#   node_up               start everything; returns once the Node is Ready
#                         and schedulable
#   node_import ARCHIVE   load an OCI archive into containerd's k8s.io
#                         namespace (the images pods use; nothing is pulled)
#   node_down             (on exit, before the cluster stops) delete the
#                         node's pods while the kubelet runs, stop it all,
#                         remove what is left (containers, shims, mounts,
#                         cgroups) and put back what the kubelet changes on
#                         the host (sysctls, directories); then compares the
#                         host with what it was before node_up and fails on
#                         any difference
#
# Network: loopback only.  The node is named 127.0.0.1 (an IP name is both
# its Hostname and InternalIP; the kubelet refuses --node-ip on loopback);
# the CNI configuration has the loopback plugin alone, so pods must use
# hostNetwork; the kubelet and containerd's stream server listen on
# 127.0.0.1.

NODE_DIR=$FH_TMP/node
NODE_NAME=127.0.0.1
NODE_SOCK=$NODE_DIR/containerd/containerd.sock
NODE_PIDS=()
# what the kubelet changes on the host whatever its --root-dir says
NODE_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"
NODE_HOST_DIRS="/var/lib/kubelet /var/log/pods /var/log/containers /opt/containerd /etc/cni/net.d/cni.lock /run/containerd"

trap 'rc=$?; node_down || rc=1; e2e_cleanup; exit $rc' EXIT

# The host state the node may change: sysctls, the directories above,
# cgroup directories, mounts and shim sockets.
node_host_state() {
	local k d
	for k in $NODE_SYSCTLS; do
		echo "sysctl $k=$(sysctl -n "$k" 2>/dev/null)"
	done
	for d in $NODE_HOST_DIRS; do
		[ -e "$d" ] && echo "exists $d"
	done
	find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -name 'kubepods*' 2>/dev/null | sed 's/^/cgroup /'
	awk '{print "mount " $5}' /proc/self/mountinfo | grep -v "^mount $FH_TMP" | sort
	ls /run/containerd/s 2>/dev/null | sed 's/^/shim-socket /'
}

node_cert() { # name subject
	local pki=$FLINKHPA_CLUSTER_DIR/pki
	openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$NODE_DIR/pki/$1.key" \
		-out "$NODE_DIR/pki/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$NODE_DIR/pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
			-CAcreateserial -days 2 -out "$NODE_DIR/pki/$1.crt" \
			-extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null ||
		fail "node certificate $1"
	cat >"$NODE_DIR/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:$(cat "$FLINKHPA_CLUSTER_DIR/apiserver.port")", certificate-authority: "$pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$NODE_DIR/pki/$1.crt", client-key: "$NODE_DIR/pki/$1.key"}
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
EOF
}

node_containerd_config() {
	local pause=$1
	mkdir -p "$NODE_DIR/cni" "$NODE_DIR/runc" "$NODE_DIR/containerd"
	# the loopback plugin alone: the runtime reports its network ready (so
	# the Node becomes Ready) and no pod network exists
	cat >"$NODE_DIR/cni/10-loopback.conflist" <<'EOF'
{"cniVersion": "0.4.0", "name": "loopback-only", "plugins": [{"type": "loopback"}]}
EOF
	cat >"$NODE_DIR/containerd.toml" <<EOF
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
# opt would create /opt/containerd; the snapshotters other than overlayfs
# are of no use here
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$NODE_SOCK"
[ttrpc]
  address = "$NODE_DIR/containerd/ttrpc.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  # root here lacks CAP_SYS_RESOURCE: without this runc cannot lower its
  # oom_score_adj and every sandbox fails
  restrict_oom_score_adj = true
  tolerate_missing_hugetlb_controller = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$NODE_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni"
EOF
}

ctr_() { ctr --address "$NODE_SOCK" -n k8s.io "$@"; }

# The CRI looks images up by their normalized names (flinkhpa-adapter:1 is
# docker.io/library/flinkhpa-adapter:1): short names get that one too.
node_import() {
	local n
	ctr_ images import --all-platforms "$1" >"$NODE_DIR/import.log" 2>&1 ||
		fail "ctr images import $1: $(cat "$NODE_DIR/import.log")"
	for n in $(sed -n 's/^unpacking \([^ ]*\) .*/\1/p' "$NODE_DIR/import.log"); do
		case "$n" in
		*.*/* | localhost/* | sha256:*) ;;
		*/*) ctr_ images tag --force "$n" "docker.io/$n" >/dev/null ;;
		*) ctr_ images tag --force "$n" "docker.io/library/$n" >/dev/null ;;
		esac || fail "ctr images tag $n"
	done
}

node_wait() { # what seconds command...
	local what=$1 deadline=$((SECONDS + $2 * FH_TIMEOUT_FACTOR))
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "$what"
		sleep 0.5
	done
}

node_ready() {
	[ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

node_up() {
	local bin kport hport
	bin=$("$FH_ROOT/hack/k8s-build.sh" 2>"$FH_TMP/k8s-build.log" | tail -n 1) ||
		fail "k8s-build: $(tail -n 5 "$FH_TMP/k8s-build.log")"
	[ -x "$bin/kubelet" ] || fail "no kubelet in $bin"
	mkdir -p "$NODE_DIR/pki" "$NODE_DIR/kubelet"
	node_host_state >"$NODE_DIR/host-before"
	NODE_STARTED=1

	# the kubelet as system:node:127.0.0.1 (RBAC's system:node role: there is
	# no Node authorizer here), the scheduler as system:kube-scheduler
	node_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
	node_cert scheduler "/CN=system:kube-scheduler"
	kubectl create clusterrolebinding e2e-node --clusterrole=system:node \
		--user="system:node:$NODE_NAME" >/dev/null || fail "node RBAC"

	node_containerd_config "$(cat "$bin/pause.image")"
	touch "$NODE_DIR/containerd.log" "$NODE_DIR/kubelet.log" "$NODE_DIR/scheduler.log"
	containerd --config "$NODE_DIR/containerd.toml" >"$NODE_DIR/containerd.log" 2>&1 &
	NODE_PIDS+=($!)
	node_wait "containerd did not start: $(tail -n 5 "$NODE_DIR/containerd.log")" 30 ctr_ version
	node_import "$bin/pause.oci.tar"

	kport=$(free_port)
	hport=$(free_port)
	"$bin/kubelet" --kubeconfig="$NODE_DIR/kubelet.kubeconfig" \
		--container-runtime=remote --container-runtime-endpoint="unix://$NODE_SOCK" \
		--pod-infra-container-image="$(cat "$bin/pause.image")" \
		--cgroup-driver=cgroupfs --fail-swap-on=false \
		--root-dir="$NODE_DIR/kubelet" --cert-dir="$NODE_DIR/kubelet/pki" \
		--volume-plugin-dir="$NODE_DIR/kubelet/volume-plugins" \
		--hostname-override="$NODE_NAME" --address=127.0.0.1 \
		--port="$kport" --healthz-port="$hport" --healthz-bind-address=127.0.0.1 \
		--read-only-port=0 --make-iptables-util-chains=false \
		--image-gc-high-threshold=100 --image-gc-low-threshold=99 \
		--resolv-conf="" --v=2 >"$NODE_DIR/kubelet.log" 2>&1 &
	NODE_PIDS+=($!)
	"$bin/kube-scheduler" --kubeconfig="$NODE_DIR/scheduler.kubeconfig" \
		--authentication-kubeconfig="$NODE_DIR/scheduler.kubeconfig" \
		--authorization-kubeconfig="$NODE_DIR/scheduler.kubeconfig" \
		--leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --port=0 \
		>"$NODE_DIR/scheduler.log" 2>&1 &
	NODE_PIDS+=($!)
	node_wait "the node did not become Ready: $(tail -n 5 "$NODE_DIR/kubelet.log")" 90 node_ready
	# the node lifecycle controller, which removes this taint from a Ready
	# node, is off in hack/cluster-up.sh
	kubectl taint node "$NODE_NAME" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
}

node_stop_pid() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# Pods first, while the kubelet runs, then the processes, then what they
# leave behind.
node_stop() {
	local ns p i
	if [ -e "$KUBECONFIG" ] && kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
		for ns in $(kubectl get pods -A --field-selector "spec.nodeName=$NODE_NAME" \
			-o jsonpath='{range .items[*]}{.metadata.namespace}{"\n"}{end}' | sort -u); do
			kubectl -n "$ns" delete deployments --all --wait=false >/dev/null 2>&1
			kubectl -n "$ns" delete pods --field-selector "spec.nodeName=$NODE_NAME" \
				--wait=false >/dev/null 2>&1
		done
		for i in $(seq 1 60); do
			[ -z "$(kubectl get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o name 2>/dev/null)" ] && break
			sleep 1
		done
	fi
	for ((i = ${#NODE_PIDS[@]} - 1; i >= 0; i--)); do
		p=${NODE_PIDS[$i]}
		# containerd last, after its sandboxes are gone
		if [ "$i" -eq 0 ] && ctr_ version >/dev/null 2>&1; then
			for c in $(ctr_ tasks ls -q 2>/dev/null); do
				ctr_ tasks kill -s SIGKILL "$c" >/dev/null 2>&1
				ctr_ tasks delete -f "$c" >/dev/null 2>&1
			done
		fi
		node_stop_pid "$p"
	done
}

# What a killed kubelet or containerd leaves: containers (runc's state),
# their shims (Debian's shim writes no pid file; it is the parent of each
# container's init, and its command line names our socket), mounts under
# the node's directory, cgroups, the kubelet's host directories, sysctls.
node_clean_host() {
	local c pid d k v line
	for c in $(runc --root "$NODE_DIR/runc/k8s.io" list -q 2>/dev/null); do
		runc --root "$NODE_DIR/runc/k8s.io" delete --force "$c" >/dev/null 2>&1
	done
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		line=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline")
		[[ "$line" == *"-address $NODE_SOCK "* ]] && node_stop_pid "$pid"
	done
	awk '{print $5}' /proc/self/mountinfo | grep "^$NODE_DIR/" | sort -r | while read -r d; do
		umount -l "$d" 2>/dev/null
	done
	while read -r line; do
		case "$line" in
		"sysctl "*)
			k=${line#sysctl }
			v=${k#*=}
			k=${k%%=*}
			[ -n "$v" ] && [ "$(sysctl -n "$k" 2>/dev/null)" != "$v" ] && sysctl -qw "$k=$v"
			;;
		esac
	done <"$NODE_DIR/host-before"
	for d in $NODE_HOST_DIRS; do
		grep -qx "exists $d" "$NODE_DIR/host-before" || rm -rf "$d"
	done
	for d in $(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name 'kubepods*' 2>/dev/null); do
		grep -qx "cgroup $d" "$NODE_DIR/host-before" && continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	for d in $(ls /run/containerd/s 2>/dev/null); do
		grep -qx "shim-socket $d" "$NODE_DIR/host-before" || rm -f "/run/containerd/s/$d"
	done
}

node_down() {
	[ -n "${NODE_STARTED:-}" ] || return 0
	NODE_STARTED=
	node_stop
	node_clean_host
	node_host_state >"$NODE_DIR/host-after"
	if ! diff "$NODE_DIR/host-before" "$NODE_DIR/host-after" >"$NODE_DIR/host-diff"; then
		echo "FAIL: the host is not as it was before the node:"
		cat "$NODE_DIR/host-diff"
		return 1
	fi
	echo "node: the host is as it was (sysctls, directories, cgroups, mounts, shim sockets)"
}
