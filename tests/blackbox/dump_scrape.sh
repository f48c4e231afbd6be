#!/usr/bin/env bash
# dump_scrape.sh - flinkhpa-adapter --dump-scrape reads Flink pages exactly:
# the edge-case page against its hand-written dump, realistic pages against
# an independent Python reading (tests/blackbox/promref.py), standard input,
# CRLF and a missing final newline, and every malformed page in
# tests/data/bad with its exact FILE:LINE:COL message and exit status 1.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

A="$FH_BIN/flinkhpa-adapter"
D=$FH_ROOT/tests/data
dump() { $FH_WRAP "$A" --dump-scrape "$@"; }

dump "$D/edge.prom" >"$FH_TMP/edge.out" || fail "edge.prom rejected"
diff -u "$D/edge.dump" "$FH_TMP/edge.out" || fail "edge.prom dump differs"
python3 "$FH_ROOT/tests/blackbox/promref.py" "$D/edge.prom" | diff -q - "$D/edge.dump" >/dev/null ||
	fail "the reference reading disagrees with edge.dump"

"$FH_TOOLBIN/mkpage" --jobs 2 --slots 8 --operators 6 -o "$FH_TMP/big.prom" 2>/dev/null ||
	fail "mkpage"
for page in "$D/flink-tm.prom" "$FH_TMP/big.prom"; do
	python3 "$FH_ROOT/tests/blackbox/promref.py" "$page" >"$FH_TMP/ref.out"
	dump "$page" >"$FH_TMP/c.out" || fail "$page rejected"
	diff -u "$FH_TMP/ref.out" "$FH_TMP/c.out" >"$FH_TMP/diff" || fail "$page: $(head -n 20 "$FH_TMP/diff")"
	[ "$(wc -l <"$FH_TMP/c.out")" -gt 190 ] || fail "$page: too few samples"
done

# standard input gives the same
dump - <"$D/flink-tm.prom" >"$FH_TMP/stdin.out" || fail "stdin rejected"
dump "$D/flink-tm.prom" | diff -q - "$FH_TMP/stdin.out" >/dev/null || fail "stdin differs"

# CRLF line ends and no final newline: the same samples
sed 's/$/\r/' "$D/flink-tm.prom" >"$FH_TMP/crlf.prom"
head -c -2 "$FH_TMP/crlf.prom" >"$FH_TMP/crlf-nonl.prom"
for v in crlf crlf-nonl; do
	dump "$FH_TMP/$v.prom" >"$FH_TMP/$v.out" || fail "$v rejected"
	diff <(head -n -1 "$FH_TMP/$v.out") <(dump "$D/flink-tm.prom" | head -n -1) >/dev/null ||
		fail "$v: samples differ"
done

# malformed pages: FILE:LINE:COL: message, exit 1, on stderr
n=0
for page in "$D"/bad/*.prom; do
	want="flinkhpa-adapter: $page:$(cat "${page%.prom}.err")"
	got=$(dump "$page" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 1 ] || fail "$page: exit $rc, want 1"
	[ "$got" = "$want" ] || fail "$page: got [$got] want [$want]"
	n=$((n + 1))
done
[ $n -ge 10 ] || fail "only $n malformed pages"

# limits: a line over 64 KiB; a file that does not exist
python3 -c 'print("x{a=\"" + "v" * 70000 + "\"} 1")' >"$FH_TMP/long.prom"
got=$(dump "$FH_TMP/long.prom" 2>&1 >/dev/null) && fail "long line accepted"
[[ "$got" == *"long.prom:1:65537: line longer than 65536 bytes" ]] || fail "long line: $got"
got=$(dump "$FH_TMP/nope.prom" 2>&1) && fail "missing file accepted"
[[ "$got" == *"nope.prom: cannot open: No such file or directory" ]] || fail "missing file: $got"
echo ok
