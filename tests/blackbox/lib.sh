# tests/blackbox/lib.sh - helpers for black-box tests (sourced, not run).
# Expects FH_BIN, FH_ROOT, FH_TMP, FH_WRAP and FH_TIMEOUT_FACTOR from
# tests/run.sh.  Every process started here is stopped on exit.

: "${FH_TIMEOUT_FACTOR:=1}"
: "${FH_WRAP:=}"
BB_PIDS=()

bb_cleanup() {
	local p
	for p in "${BB_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap bb_cleanup EXIT

fail() {
	echo "FAIL: $*"
	if [ -f "$FH_TMP/adapter.log" ]; then
		echo "--- adapter log (last lines):"
		tail -n 20 "$FH_TMP/adapter.log"
	fi
	exit 1
}

# skip_part REASON: a part of a passing script did not run (under a slow
# wrapper, say); tests/run.sh counts it in the closing line's skipped.
skip_part() {
	echo "SKIP: $*"
	echo "$*" >>"$FH_TMP/.skipped"
}

# A TCP port nothing listens on right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Serve directory $1 over HTTP on loopback; sets PAGE_PORT and PAGE_PID.
start_page_server() {
	PAGE_PORT=$(free_port)
	python3 -m http.server "$PAGE_PORT" --bind 127.0.0.1 --directory "$1" \
		>"$FH_TMP/page-server.log" 2>&1 &
	PAGE_PID=$!
	BB_PIDS+=("$PAGE_PID")
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PAGE_PORT/" && return 0
		sleep 0.1
	done
	fail "page server did not start"
}

# Start flinkhpa-adapter with the given flags on a free port; sets
# ADAPTER_PORT, ADAPTER_URL (http) and ADAPTER_PID; log in adapter.log.
start_adapter() {
	ADAPTER_PORT=$(free_port)
	$FH_WRAP "$FH_BIN/flinkhpa-adapter" --secure-port "$ADAPTER_PORT" \
		--bind-address 127.0.0.1 "$@" >"$FH_TMP/adapter.log" 2>&1 &
	ADAPTER_PID=$!
	BB_PIDS+=("$ADAPTER_PID")
	ADAPTER_URL=http://127.0.0.1:$ADAPTER_PORT
}

# Wait until URL/readyz answers ok (the first scrape round is done).
wait_ready() {
	local deadline=$((SECONDS + 20 * FH_TIMEOUT_FACTOR))
	while [ "$(curl -sk --max-time 2 "$1/readyz")" != "ok" ]; do
		kill -0 "$ADAPTER_PID" 2>/dev/null || fail "adapter exited"
		[ $SECONDS -lt $deadline ] || fail "adapter not ready at $1"
		sleep 0.2
	done
}

# GET url into $FH_TMP/body; check the status code.
get() {
	local code
	code=$(curl -sk --max-time $((5 * FH_TIMEOUT_FACTOR)) -o "$FH_TMP/body" \
		-w '%{http_code}' -A 'flinkhpa-blackbox' -H 'Accept: application/json' "$1")
	[ "$code" = "$2" ] || fail "GET $1: status $code, want $2: $(head -c 400 "$FH_TMP/body")"
}

get_quiet() {
	curl -sk --max-time $((5 * FH_TIMEOUT_FACTOR)) -o "$FH_TMP/body" \
		-A 'flinkhpa-blackbox' -H 'Accept: application/json' "$1"
}

expect_body_has() {
	grep -qF -- "$1" "$FH_TMP/body" || fail "body lacks $1: $(head -c 600 "$FH_TMP/body")"
}

expect_body_lacks() {
	grep -qF -- "$1" "$FH_TMP/body" && fail "body has $1: $(head -c 600 "$FH_TMP/body")"
	return 0
}

# SIGTERM the adapter; it must exit 0 within a few seconds.
stop_adapter() {
	local rc
	kill -TERM "$ADAPTER_PID"
	wait "$ADAPTER_PID"
	rc=$?
	[ $rc -eq 0 ] || fail "adapter exited with $rc on SIGTERM"
	grep -q 'shutting down' "$FH_TMP/adapter.log" || fail "no shutdown log line"
}

# Poll URL until its body contains $2 (or, with $3 = lacks, no longer does).
wait_body() {
	local deadline=$((SECONDS + 30 * FH_TIMEOUT_FACTOR))
	while :; do
		get_quiet "$1"
		if [ "${3:-has}" = has ]; then
			grep -qF -- "$2" "$FH_TMP/body" && return 0
		else
			grep -qF -- "$2" "$FH_TMP/body" || return 0
		fi
		[ $SECONDS -lt $deadline ] || fail "waiting for ${3:-has} $2 at $1: $(head -c 600 "$FH_TMP/body")"
		sleep 0.5
	done
}
