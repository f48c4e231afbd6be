#!/usr/bin/env bash
# layout.sh - the include rule of HACKING.md ("Which folder may include
# which") holds for every C file of the tree: the table there is the rule,
# this script only reads it.  Also: includes are written from the top
# ("common/buf.h", never "../common/buf.h"), and a private header (*_int.h)
# is included only from its own folder.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"
cd "$FH_ROOT" || fail "no FH_ROOT"

# "| `adapter/serve` | `common`, `adapter/auth` |" -> "adapter/serve common adapter/auth"
rules=$(sed -n '/^## Which folder may include which/,/^## /p' HACKING.md |
	grep '^| `' | tr -d '`|,' | awk '{ $1 = $1; print }')
[ -n "$rules" ] || fail "HACKING.md has no include rule table"

# the longest folder of the table that holds PATH
folder_of() {
	local path=$1 best="" f
	while read -r f _; do
		case "$path" in "$f"/*) [ ${#f} -gt ${#best} ] && best=$f ;; esac
	done <<<"$rules"
	echo "$best"
}

bad=0
while IFS= read -r file; do
	from=$(folder_of "$file")
	[ -n "$from" ] || { echo "$file: in no folder of the include rule"; bad=1; continue; }
	allowed=" $(awk -v f="$from" '$1 == f { $1 = ""; print }' <<<"$rules") $from "
	while IFS= read -r inc; do
		case "$inc" in
		../* | */../*) echo "$file: \"$inc\": write includes from the top"; bad=1; continue ;;
		esac
		if [[ "$inc" == *_int.h ]] && [ "$(dirname "$inc")" != "$(dirname "$file")" ]; then
			echo "$file: \"$inc\" is another folder's private header"; bad=1
		fi
		to=$(folder_of "$inc")
		if [ -z "$to" ]; then
			echo "$file: \"$inc\" is in no folder of the include rule"; bad=1
		elif [[ "$allowed" != *" $to "* ]]; then
			echo "$file: $from may not include $to (\"$inc\")"; bad=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files '*.c' '*.h' | grep -v '^tests/')
[ $bad -eq 0 ] || fail "the include rule of HACKING.md is broken (above)"
echo "include rule holds for $(git ls-files '*.c' '*.h' | grep -vc '^tests/') files"
