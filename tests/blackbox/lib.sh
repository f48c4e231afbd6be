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

# wait_until [-i INTERVAL] [-p PID] [-s SHOW] SECONDS WHAT COMMAND...:
# runs COMMAND (a function, a test, or eval 'EXPRESSION') every INTERVAL
# seconds (0.5 unless given) until it succeeds.  After SECONDS times
# FH_TIMEOUT_FACTOR it fails with "timed out after N s waiting for WHAT"
# and the output of the command line SHOW (run then, e.g. a state dump);
# with -p it fails at once when process PID is gone.  A script sets
# WAIT_SHOW and WAIT_PID for the defaults of -s and -p.  COMMAND may fail
# the test itself (an early verdict).  Its locals start with _wu_, so
# that an expression sees the caller's variables (but not the caller's
# positional parameters: inside a function, pass them as arguments).
wait_until() {
	local _wu_interval=0.5 _wu_pid=${WAIT_PID:-} _wu_show=${WAIT_SHOW:-} _wu_secs _wu_what _wu_deadline
	while :; do
		case $1 in
		-i) _wu_interval=$2 ;;
		-p) _wu_pid=$2 ;;
		-s) _wu_show=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	_wu_secs=$(($1 * FH_TIMEOUT_FACTOR)) _wu_what=$2
	shift 2
	_wu_deadline=$((SECONDS + _wu_secs))
	until "$@"; do
		if [ -n "$_wu_pid" ] && ! kill -0 "$_wu_pid" 2>/dev/null; then
			fail "waiting for $_wu_what: process $_wu_pid exited${_wu_show:+: $(eval "$_wu_show" 2>&1)}"
		fi
		[ $SECONDS -lt $_wu_deadline ] ||
			fail "timed out after $_wu_secs s waiting for $_wu_what${_wu_show:+: $(eval "$_wu_show" 2>&1)}"
		sleep "$_wu_interval"
	done
}

# is WANT COMMAND...: COMMAND prints exactly WANT.
is() { [ "$("${@:2}")" = "$1" ]; }

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
	wait_until -i 0.1 -p "$PAGE_PID" -s "cat '$FH_TMP/page-server.log'" 10 "the page server" \
		curl -s -o /dev/null "http://127.0.0.1:$PAGE_PORT/"
}

# start_emu NAME FLAGS...: a Flink emulator (flinkhpa-emu FLAGS, on free
# metrics and REST ports) until the test ends; returns once it answers.
# Sets NAME_URL (its JobManager REST API and /control) and NAME_MPORT (the
# TaskManagers' metrics port); its log is $FH_TMP/emu-NAME.log.  It runs
# under BB_EMU_WRAP (default FH_WRAP; tests/e2e/lib.sh sets it).
start_emu() {
	local name=$1 mport rport pid try
	shift
	# a port free on 127.0.0.1 when free_port looked may be taken by the
	# time the emulator binds it on 127.0.1.k (another test's emulator, an
	# outgoing connection): then new ports, up to five times
	for try in 1 2 3 4 5; do
		mport=$(free_port)
		rport=$(free_port)
		${BB_EMU_WRAP-$FH_WRAP} "$FH_BIN/flinkhpa-emu" --metrics-port "$mport" --rest-port "$rport" \
			"$@" >"$FH_TMP/emu-$name.log" 2>&1 &
		pid=$!
		BB_PIDS+=($pid)
		wait_until -i 0.1 -s "cat '$FH_TMP/emu-$name.log'" 10 "emulator $name to start" \
			eval 'curl -s -o /dev/null "http://127.0.0.1:$rport/control" || ! kill -0 $pid 2>/dev/null'
		kill -0 $pid 2>/dev/null && break
		grep -q "cannot listen" "$FH_TMP/emu-$name.log" && [ $try -lt 5 ] ||
			fail "waiting for emulator $name to start: process $pid exited: $(cat "$FH_TMP/emu-$name.log")"
	done
	printf -v "${name}_URL" 'http://127.0.0.1:%s' "$rport"
	printf -v "${name}_MPORT" '%s' "$mport"
}

# emu_state URL FIELD: one field of the emulator's /control state.
emu_state() {
	curl -s "$1/control" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
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
	wait_until -i 0.2 -p "$ADAPTER_PID" 20 "the adapter ready at $1" \
		is ok curl -sk --max-time 2 "$1/readyz"
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
body_at() { # URL TEXT has|lacks
	get_quiet "$1"
	if [ "$3" = has ]; then
		grep -qF -- "$2" "$FH_TMP/body"
	else
		! grep -qF -- "$2" "$FH_TMP/body"
	fi
}
wait_body() {
	wait_until -s "head -c 600 '$FH_TMP/body'" 30 "${3:-has} $2 at $1" body_at "$1" "$2" "${3:-has}"
}
