#!/usr/bin/env bash
# readme.sh - the README is the user's manual: its metric catalogue and its
# flags references must be exactly what flinkhpa-adapter and flinkhpa-emu
# print.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

readme=$FH_ROOT/README.md
"$FH_BIN/flinkhpa-adapter" --print-catalog >"$FH_TMP/catalog" || fail "--print-catalog"
grep -qF -- "$(head -n 1 "$FH_TMP/catalog")" "$readme" || fail "README has no catalogue table"
while IFS= read -r line; do
	grep -qxF -- "$line" "$readme" || fail "README catalogue lacks: $line"
done <"$FH_TMP/catalog"
"$FH_BIN/flinkhpa-adapter" --help >"$FH_TMP/help" || fail "--help"
python3 - "$readme" "$FH_TMP/help" <<'PY' || fail "README flags section differs from --help"
import sys
readme, help_text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if ("```\n" + help_text + "```") in readme else 1)
PY
"$FH_BIN/flinkhpa-emu" --help >"$FH_TMP/emu-help" || fail "flinkhpa-emu --help"
python3 - "$readme" "$FH_TMP/emu-help" <<'PY' || fail "README emulator flags differ from flinkhpa-emu --help"
import sys
readme, help_text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if ("```\n" + help_text + "```") in readme else 1)
PY
"$FH_BIN/flinkhpa-gen" --help >"$FH_TMP/gen-help" || fail "flinkhpa-gen --help"
python3 - "$readme" "$FH_TMP/gen-help" <<'PY' || fail "README flinkhpa-gen flags differ from flinkhpa-gen --help"
import sys
readme, help_text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if ("```\n" + help_text + "```") in readme else 1)
PY
"$FH_BIN/flinkhpa-gen" simulate --help >"$FH_TMP/sim-help" || fail "flinkhpa-gen simulate --help"
python3 - "$readme" "$FH_TMP/sim-help" <<'PY' || fail "README simulate flags differ from flinkhpa-gen simulate --help"
import sys
readme, help_text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if ("```\n" + help_text + "```") in readme else 1)
PY
# the README's policy is valid and says what examples/scenario-cpu.yaml says
python3 - "$readme" >"$FH_TMP/readme-policy.yaml" <<'PY' || fail "no policy in the README"
import sys
s = open(sys.argv[1]).read()
s = s[s.index("## Scaling policies"):]
s = s[s.index("```yaml\n") + 8:]
print(s[:s.index("```")], end="")
PY
"$FH_BIN/flinkhpa-gen" -o "$FH_TMP/readme-out" "$FH_TMP/readme-policy.yaml" >/dev/null || fail "README policy"
"$FH_BIN/flinkhpa-gen" -o "$FH_TMP/example-out" "$FH_ROOT/examples/scenario-cpu.yaml" >/dev/null || fail "example policy"
diff <(grep -hv '^# generated' "$FH_TMP"/readme-out/*/*-hpa.yaml "$FH_TMP"/readme-out/*/*-deployment.yaml) \
	<(grep -hv '^# generated' "$FH_TMP"/example-out/*/*-hpa.yaml "$FH_TMP"/example-out/*/*-deployment.yaml) ||
	fail "the README's policy and examples/scenario-cpu.yaml differ"
echo ok
