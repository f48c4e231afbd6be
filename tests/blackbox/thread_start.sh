#!/usr/bin/env bash
# thread_start.sh - a thread that cannot start stops the adapter, cleanly
# (issue 13, item 3; HACKING.md, "Threads").  The shim
# FH_TOOLBIN/failthread.so (tests/tools/failthread.c, LD_PRELOAD) makes the
# Nth pthread_create of the process fail with EAGAIN; for N = 1, 2, ...
# until the adapter starts normally, in two set-ups:
#   standalone  a targets file, TLS from files (the certificate reload
#               thread) and a delegate (its thread);
#   kube        the same through a Kubernetes API (tests/tools/
#               fake_apiserver.py): discovery, the authorization reviews,
#               the CA ConfigMap watch, the Lease and the sync controller
#               with its Deployment informer;
# and for each N: the adapter exits with status 1 within a bounded time,
# its last line names the module whose thread could not start, every
# thread it had started was joined before it exited (the shim counts), no
# sanitizer or valgrind report, and its port is free.  The run where the
# Nth call never comes must have started every thread, and stops with
# status 0 on SIGTERM.  Runs under valgrind (it hands LD_PRELOAD on to its
# client) and ASan (verify_asan_link_order=0); a wrapper that does not pass
# LD_PRELOAD on makes it skip (77), saying so.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

SHIM=$FH_TOOLBIN/failthread.so
[ -f "$SHIM" ] || fail "no $SHIM (make tests builds it)"
# ASan wants its runtime first among the libraries; the shim comes first
ASAN_OPTS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# LD_PRELOAD must reach the program under FH_WRAP (valgrind passes it on
# to its client; a wrapper that does not makes this test meaningless)
LD_PRELOAD=$SHIM ASAN_OPTIONS=$ASAN_OPTS $FH_WRAP "$FH_BIN/flinkhpa-adapter" --version \
	>"$FH_TMP/probe.log" 2>&1
if ! grep -q '^failthread: exit:' "$FH_TMP/probe.log"; then
	echo "LD_PRELOAD does not reach the adapter under FH_WRAP='$FH_WRAP': $(head -c 300 "$FH_TMP/probe.log")"
	exit 77
fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=localhost -keyout "$FH_TMP/key.pem" -out "$FH_TMP/cert.pem" 2>/dev/null ||
	fail "openssl"
printf '%s\n' 'targets:' '  - namespace: flink' '    pod: tm-1' \
	'    url: http://127.0.0.1:9/metrics' '    deployment: flink-taskmanager' \
	'    job: orders' >"$FH_TMP/targets.yaml"
COMMON=(--bind-address 127.0.0.1 --tls-cert-file "$FH_TMP/cert.pem"
	--tls-private-key-file "$FH_TMP/key.pem" --delegate-custom-metrics http://127.0.0.1:9
	--scrape-interval 1s)

python3 "$FH_ROOT/tests/tools/fake_apiserver.py" "$FH_TMP/api.port" 2>"$FH_TMP/api.log" &
BB_PIDS+=($!)
wait_until -i 0.1 10 "the fake API server" test -s "$FH_TMP/api.port"
cat >"$FH_TMP/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster: {server: "http://127.0.0.1:$(cat "$FH_TMP/api.port")"}
users:
- name: u
  user: {token: t}
contexts:
- name: c
  context: {cluster: k, user: u}
EOF

port_free() {
	python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
exited() { test -s "$RUN/rc"; }
started_or_exited() { exited || grep -q 'started: every thread runs' "$RUN/log"; }
reports() { grep -E 'Sanitizer|runtime error|^==[0-9]+== ' "$RUN/log"; }

# run_adapter NAME N FLAGS...: the adapter with the Nth thread start
# failing, in the background; RUN is its directory (log, pid, rc).
run_adapter() {
	local name=$1 n=$2
	shift 2
	RUN=$FH_TMP/$name-$n
	PORT=$(free_port)
	mkdir -p "$RUN"
	(
		LD_PRELOAD=$SHIM FH_FAIL_THREAD=$n ASAN_OPTIONS=$ASAN_OPTS \
			$FH_WRAP "$FH_BIN/flinkhpa-adapter" --secure-port "$PORT" "$@" \
			>"$RUN/log" 2>&1 &
		echo $! >"$RUN/pid"
		wait $!
		echo $? >"$RUN/rc"
	) &
	BB_PIDS+=($!)
	wait_until -i 0.1 5 "the adapter's pid" test -s "$RUN/pid"
	BB_PIDS+=("$(cat "$RUN/pid")")
}

# One set-up: N = 1, 2, ... until the adapter starts.
sweep() {
	local name=$1 n=0 line
	shift
	while :; do
		n=$((n + 1))
		[ $n -le 64 ] || fail "$name: still not started after 64 thread starts"
		run_adapter "$name" "$n" "$@"
		wait_until -i 0.1 -s "tail -n 5 '$RUN/log'" 30 "$name N=$n: the adapter to exit or start" \
			started_or_exited
		if ! exited; then
			grep -q '^failthread: pthread_create call' "$RUN/log" &&
				fail "$name N=$n: started although a thread start failed: $(grep failthread "$RUN/log")"
			kill -TERM "$(cat "$RUN/pid")"
			wait_until -i 0.1 -s "tail -n 5 '$RUN/log'" 30 "$name N=$n: the adapter to stop" exited
			[ "$(cat "$RUN/rc")" = 0 ] || fail "$name: stopped with status $(cat "$RUN/rc"): $(tail -n 5 "$RUN/log")"
			grep -q '^failthread: exit: .*, 0 left$' "$RUN/log" ||
				fail "$name: threads left at exit: $(grep '^failthread: exit' "$RUN/log")"
			echo "$name: starts normally with $((n - 1)) thread starts ($(grep '^failthread: exit' "$RUN/log"))"
			[ $n -gt 1 ] || fail "$name: no thread start at all"
			return
		fi
		grep -q "^failthread: pthread_create call $n fails" "$RUN/log" ||
			fail "$name N=$n: exited, but not for the thread: $(tail -n 5 "$RUN/log")"
		[ "$(cat "$RUN/rc")" = 1 ] || fail "$name N=$n: exit status $(cat "$RUN/rc"), want 1: $(tail -n 8 "$RUN/log")"
		line=$(grep '^flinkhpa-adapter: ' "$RUN/log" | tail -n 1)
		grep -Eq 'thread|API server' <<<"$line" ||
			fail "$name N=$n: the error does not name what could not start: ${line:-$(tail -n 5 "$RUN/log")}"
		grep -q '^failthread: exit: .*, 0 left$' "$RUN/log" ||
			fail "$name N=$n: threads left at exit: $(grep '^failthread: exit' "$RUN/log")"
		! reports >/dev/null || fail "$name N=$n: $(reports | head -n 20)"
		port_free "$PORT" || fail "$name N=$n: port $PORT still taken"
		echo "$name N=$n: exit 1, ${line#flinkhpa-adapter: }"
	done
}

sweep standalone --targets-file "$FH_TMP/targets.yaml" "${COMMON[@]}"
sweep kube --kubeconfig "$FH_TMP/kubeconfig" "${COMMON[@]}"
echo ok
