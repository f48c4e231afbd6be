#!/usr/bin/env bash
# gen.sh - flinkhpa-gen as users run it: golden files for the reference
# scenario's policy, for every rule kind (examples/) and for spec.jobManager
# in each parallelism mode with and without high availability, deterministic
# output, -o - and --hpa-version v2beta2, kubectl kustomize on what it
# writes, and every bad-input case in tests/data/gen/bad (the exact message
# with file:line:column and field, exit 1, nothing written or changed).
# FH_UPDATE_GOLDEN=1 rewrites the golden files after a deliberate change.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"
cd "$FH_ROOT" || exit 1
GEN="$FH_WRAP $FH_BIN/flinkhpa-gen"
GOLD=tests/data/gen/golden

# golden NAME FLAGS... FILE: writes into $FH_TMP/NAME, compares with GOLD/NAME
golden() {
	local name=$1 out=$FH_TMP/$1
	shift
	$GEN -o "$out" "$@" >"$FH_TMP/gen.out" 2>&1 || fail "$name: $(cat "$FH_TMP/gen.out")"
	if [ "${FH_UPDATE_GOLDEN:-0}" = 1 ]; then
		rm -rf "${GOLD:?}/$name" && cp -r "$out" "$GOLD/$name"
	fi
	diff -r "$GOLD/$name" "$out" >"$FH_TMP/diff" || fail "$name differs from $GOLD/$name: $(head -n 40 "$FH_TMP/diff")"
	kubectl kustomize "$out" >"$FH_TMP/$name.built" 2>"$FH_TMP/kustomize.err" ||
		fail "$name: kubectl kustomize: $(cat "$FH_TMP/kustomize.err")"
}

golden scenario examples/scenario-cpu.yaml
golden all-rules examples/all-rules.yaml
golden scenario-v2beta2 --hpa-version v2beta2 examples/scenario-cpu.yaml
golden two-files --namespaces examples/scenario-cpu.yaml examples/all-rules.yaml
# spec.jobManager: each mode with and without high availability
golden jm-reactive-ha examples/reactive-application.yaml
for m in reactive adaptive adaptive-ha savepoint savepoint-ha; do
	golden jm-$m tests/data/gen/jm/$m.yaml
done
# without spec.jobManager nothing of the JobManager's is written
[ "$(cat "$FH_TMP"/scenario/*/*.yaml | grep -c '^kind: \(ConfigMap\|Service\|Role\)')" = 0 ] ||
	fail "a policy without spec.jobManager got JobManager objects"
[ "$(cd "$FH_TMP/all-rules" && find . -type f | sort | tr '\n' ' ')" = "./kustomization.yaml ./streaming/clicks-deployment.yaml ./streaming/clicks-hpa.yaml ./streaming/orders-deployment.yaml ./streaming/orders-hpa.yaml " ] ||
	fail "unexpected files: $(cd "$FH_TMP/all-rules" && find . -type f)"

# the scenario: what users asked for is what the HPA gets
grep -q 'averageUtilization: 65' "$FH_TMP/scenario/realfuture-jobs-streampark-100000/streampark-100000-hpa.yaml" || fail "no 65% target"
grep -q 'maxReplicas: 5' "$FH_TMP/scenario/realfuture-jobs-streampark-100000/streampark-100000-hpa.yaml" || fail "no max 5"
grep -q 'cpu: "1"' "$FH_TMP/scenario/realfuture-jobs-streampark-100000/streampark-100000-deployment.yaml" || fail "no 1 CPU"
grep -q '^apiVersion: autoscaling/v2beta2' "$FH_TMP/scenario-v2beta2/realfuture-jobs-streampark-100000/streampark-100000-hpa.yaml" ||
	fail "--hpa-version v2beta2 ignored"
diff <(grep -v '^apiVersion' "$FH_TMP/scenario/realfuture-jobs-streampark-100000/streampark-100000-hpa.yaml") \
	<(grep -v '^apiVersion' "$FH_TMP/scenario-v2beta2/realfuture-jobs-streampark-100000/streampark-100000-hpa.yaml") >/dev/null ||
	fail "v2 and v2beta2 differ beyond apiVersion"

# same input, same bytes; -o - is the documents without the kustomization
$GEN -o "$FH_TMP/again" examples/all-rules.yaml || fail "second run"
diff -r "$FH_TMP/all-rules" "$FH_TMP/again" >/dev/null || fail "output is not deterministic"
$GEN -o - examples/all-rules.yaml >"$FH_TMP/stream.yaml" || fail "-o -"
for f in orders-deployment orders-hpa clicks-deployment clicks-hpa; do
	cat "$FH_TMP/all-rules/streaming/$f.yaml"
	[ $f = clicks-hpa ] || echo ---
done | cmp -s - "$FH_TMP/stream.yaml" || fail "-o - is not the documents joined by ---"
grep -q '^kind: Kustomization' "$FH_TMP/stream.yaml" && fail "-o - carries the kustomization"

# --check validates and writes nothing
out=$($GEN --check -o "$FH_TMP/checked" examples/all-rules.yaml) || fail "--check failed"
[ "$out" = "1 policy file OK" ] || fail "--check said: $out"
[ -e "$FH_TMP/checked" ] && fail "--check wrote something"

# bad input: exact message, exit 1, nothing written, nothing changed
mkdir -p "$FH_TMP/keep"
echo "previous" >"$FH_TMP/keep/kustomization.yaml"
n=0
for f in tests/data/gen/bad/*.yaml; do
	$GEN -o "$FH_TMP/keep" "$f" >"$FH_TMP/out" 2>"$FH_TMP/err"
	rc=$?
	[ $rc = 1 ] || fail "$f: exit $rc"
	diff "${f%.yaml}.err" "$FH_TMP/err" >/dev/null ||
		fail "$f: message $(cat "$FH_TMP/err"), want $(cat "${f%.yaml}.err")"
	grep -q "^flinkhpa-gen: $f:[0-9]*:[0-9]*: " "$FH_TMP/err" || fail "$f: no file:line:col"
	[ "$(ls -A "$FH_TMP/keep")" = kustomization.yaml ] || fail "$f: wrote $(ls -A "$FH_TMP/keep")"
	[ "$(cat "$FH_TMP/keep/kustomization.yaml")" = previous ] || fail "$f: changed the output"
	n=$((n + 1))
done
[ $n -ge 25 ] || fail "only $n bad cases"
# a good file with a bad one: still nothing
$GEN -o "$FH_TMP/keep" examples/scenario-cpu.yaml tests/data/gen/bad/target-zero.yaml 2>/dev/null &&
	fail "a bad file among good ones was accepted"
[ "$(ls -A "$FH_TMP/keep")" = kustomization.yaml ] || fail "partial output with one bad file"
# the same policy name in two files
$GEN --check examples/scenario-cpu.yaml examples/scenario-cpu.yaml 2>"$FH_TMP/err" && fail "duplicate across files"
grep -q 'duplicate policy realfuture-jobs-streampark-100000/streampark-100000 (also in examples/scenario-cpu.yaml:4)' "$FH_TMP/err" ||
	fail "duplicate across files: $(cat "$FH_TMP/err")"
# the same name in two namespaces is two policies
sed 's/namespace: realfuture-jobs-streampark-100000/namespace: other/' examples/scenario-cpu.yaml >"$FH_TMP/other.yaml"
$GEN -o "$FH_TMP/twons" examples/scenario-cpu.yaml "$FH_TMP/other.yaml" >/dev/null || fail "same name, two namespaces"
[ -f "$FH_TMP/twons/other/streampark-100000-hpa.yaml" ] &&
	[ -f "$FH_TMP/twons/realfuture-jobs-streampark-100000/streampark-100000-hpa.yaml" ] ||
	fail "two namespaces: $(cd "$FH_TMP/twons" && find .)"
[ "$(kubectl kustomize "$FH_TMP/twons" | grep -c '^kind: HorizontalPodAutoscaler')" = 2 ] || fail "two namespaces: kustomize"
# a policy removed from the input: its files go, other files stay
echo "mine" >"$FH_TMP/twons/other/notes.yaml"
$GEN -o "$FH_TMP/twons" examples/scenario-cpu.yaml >/dev/null || fail "rerun"
[ ! -e "$FH_TMP/twons/other/streampark-100000-hpa.yaml" ] || fail "the removed policy's files stayed"
[ "$(cat "$FH_TMP/twons/other/notes.yaml")" = mine ] || fail "a file not ours was touched"
[ -f "$FH_TMP/twons/realfuture-jobs-streampark-100000/streampark-100000-hpa.yaml" ] || fail "pruned too much"
# unreadable input and usage errors
$GEN --check "$FH_TMP/missing.yaml" 2>"$FH_TMP/err" && fail "missing file accepted"
grep -q "missing.yaml: No such file" "$FH_TMP/err" || fail "missing file: $(cat "$FH_TMP/err")"
$GEN 2>/dev/null; [ $? = 2 ] || fail "no argument is a usage error"
$GEN --hpa-version v1 x.yaml 2>"$FH_TMP/err"; [ $? = 2 ] || fail "bad flag value"
grep -q 'not one of: v2, v2beta2' "$FH_TMP/err" || fail "bad flag: $(cat "$FH_TMP/err")"
echo ok
