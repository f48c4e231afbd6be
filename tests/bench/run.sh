#!/usr/bin/env bash
# tests/bench/run.sh - `make bench`: flinkhpa's figures printed side by side
# with a reference implementation measured in the same run, and the ratio.
#
# 1. Page parsing: a large Flink TaskManager page (hack/flinkpage.py) parsed
#    by flinkhpa's parser (as the adapter uses it, and keeping every sample)
#    and by Prometheus's own Go parser (expfmt).  Target: >= 10 x expfmt.
#
# Needs FH_BENCH_BIN (the C bench programs) from the Makefile; Go and
# golang-github-prometheus-common-dev are installed by `make bench`.
# Figures are measured, printed and never asserted.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FH_BENCH_BIN:?run through make bench}
secs=${FH_BENCH_SECONDS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cache=${FLINKHPA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkhpa}

echo "== page parsing: flinkhpa vs Prometheus expfmt (Go), same page, same run"
python3 "$root/hack/flinkpage.py" --slots 16 --operators 12 >"$work/page.prom" 2>"$work/page.info"
echo "page: $(cat "$work/page.info" | sed 's/^flinkpage: //') (16 slots, 12 operators)"

mkdir -p "$cache/go-build"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$cache/go-build GOFLAGS= \
	go build -o "$work/expfmt-bench" "$root/tests/bench/expfmt/main.go"

"$work/expfmt-bench" "$work/page.prom" "$secs" >"$work/expfmt.out"
"$bin/bench_promparse" "$work/page.prom" "$secs" >"$work/flinkhpa.out"

field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
ref=$(cat "$work/expfmt.out")
ours_adapter=$(grep 'mode=adapter' "$work/flinkhpa.out")
ours_all=$(grep 'mode=all' "$work/flinkhpa.out")
ref_mb=$(field "$ref" mb_per_s)
printf '%-44s %12s %10s %8s\n' "parser" "MB/s" "samples" "ratio"
printf '%-44s %12s %10s %8s\n' "Prometheus expfmt TextToMetricFamilies (Go)" "$ref_mb" \
	"$(field "$ref" series)" "1.0"
for line in "$ours_all" "$ours_adapter"; do
	mb=$(field "$line" mb_per_s)
	mode=$(sed -n 's/.*mode=\([a-z]*\).*/\1/p' <<<"$line")
	label="flinkhpa, every sample to a callback"
	[ "$mode" = adapter ] && label="flinkhpa, as the adapter reads (filtered)"
	printf '%-44s %12s %10s %8s\n' "$label" "$mb" "$(field "$line" series)" \
		"$(awk -v a="$mb" -v b="$ref_mb" 'BEGIN { printf "%.1f", a / b }')"
done
echo "(expfmt counts a summary's quantiles and _count as one metric; flinkhpa counts lines)"
grep peak_rss "$work/flinkhpa.out" | sed 's/flinkhpa peak_rss_kb=/flinkhpa peak RSS (KiB): /'
all_ratio=$(awk -v a="$(field "$ours_all" mb_per_s)" -v b="$ref_mb" 'BEGIN { printf "%.1f", a / b }')
echo "target: >= 10 x expfmt on the same page; measured $all_ratio x keeping every sample" \
	"($(awk -v a="$(field "$ours_adapter" mb_per_s)" -v b="$ref_mb" 'BEGIN { printf "%.1f", a / b }') x as the adapter reads)"
