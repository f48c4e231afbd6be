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
echo ok
