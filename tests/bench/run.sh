#!/usr/bin/env bash
# tests/bench/run.sh - `make bench`: our figures side by side with a
# reference measured in the same run on the same input, and the ratio.
#
# Page parsing: a large Flink TaskManager page (tests/bench/mkpage, built on
# hack/emu/flinkpage) parsed by our parser (adapter/promparse) with no
# filter and as the adapter reads it, and by the Prometheus project's own Go
# parser, expfmt.TextParser.TextToMetricFamilies.  Target: ours >= 10 x
# expfmt.  Figures are printed, the target is reported and never fails the
# run; a disagreement on the number of samples does.
#
# Then the metrics API under load (tests/bench/api.sh), scraping 1,000
# TaskManagers beside Prometheus (tests/bench/scrape.sh) and discovering
# 1,000 pods in kube-apiserver (tests/bench/discovery.sh); FH_BENCH_SCALE=10000
# makes the three 10,000 (pods, TaskManagers, pods).
#
# Environment:
#   FH_BIN              directory with flinkhpa-adapter and flinkhpa-emu, for
#                       scrape.sh (bin)
#   FH_BENCH_BIN        directory with mkpage and bench_promparse (the
#                       Makefile passes build/release/bench-bin); unset: they
#                       are built with make MODE=release
#   FH_BENCH_SECONDS    seconds per measurement (2)
#   FH_BENCH_PAGE       mkpage arguments ("--jobs 3 --slots 8 --operators 8")
#   FH_BENCH_SCALE      pods and TaskManagers of api.sh, scrape.sh and
#                       discovery.sh (1000)
#   FLINKHPA_CACHE      cache directory (${XDG_CACHE_HOME:-~/.cache}/flinkhpa);
#                       the Go build cache goes to its go/ subdirectory
# Needs go (golang-go), Debian's golang-github-prometheus-common-dev and
# prometheus (the Makefile installs them: hack/deps.sh bench), and python3
# and curl for scrape.sh; this script installs nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FH_BENCH_SECONDS:-2}
page_args=${FH_BENCH_PAGE:---jobs 3 --slots 8 --operators 8}
cache=${FLINKHPA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkhpa}
gosrc=/usr/share/gocode

die() {
	echo "bench: $*" >&2
	exit 1
}

if [ -n "${FH_BENCH_BIN:-}" ]; then
	bin=$FH_BENCH_BIN
else
	bin=$root/build/release/bench-bin
	make -C "$root" --no-print-directory MODE=release \
		build/release/bench-bin/mkpage \
		build/release/bench-bin/bench_promparse >&2
fi
for p in mkpage bench_promparse; do
	[ -x "$bin/$p" ] || die "$bin/$p is missing (build with make MODE=release tests)"
done
command -v go >/dev/null || die "go is missing: install golang-go (hack/deps.sh bench)"
[ -d "$gosrc/src/github.com/prometheus/common/expfmt" ] ||
	die "expfmt is missing: install golang-github-prometheus-common-dev (hack/deps.sh bench)"

work=$(mktemp -d "${TMPDIR:-/tmp}/flinkhpa-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The reference, built offline in GOPATH mode against Debian's sources.
mkdir -p "$cache/go"
GO111MODULE=off GOPATH=$work/gopath:$gosrc GOCACHE=$cache/go GOFLAGS='' \
	GOTOOLCHAIN=local go build -o "$work/expfmt-bench" \
	"$root/tests/bench/expfmt/main.go" || die "building the expfmt benchmark failed"

# shellcheck disable=SC2086 # page_args is a list of arguments
"$bin/mkpage" $page_args -o "$work/page.prom" 2>"$work/page.info" ||
	die "mkpage failed: $(cat "$work/page.info")"
"$work/expfmt-bench" -seconds "$secs" "$work/page.prom" >"$work/expfmt.out" ||
	die "expfmt benchmark failed"
"$bin/bench_promparse" --seconds "$secs" "$work/page.prom" >"$work/ours.out" ||
	die "bench_promparse failed"

# field LINE-PREFIX KEY: the value of KEY= on the line starting with PREFIX
field() {
	awk -v p="$1" -v k="$2" '$1 == p {
		for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) {
			print substr($i, length(k) + 2); exit } }' \
		"$work/expfmt.out" "$work/ours.out"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

series=$(sed -n 's/^mkpage: [0-9]* bytes, \([0-9]*\) series.*/\1/p' "$work/page.info")
families=$(sed -n 's/.* \([0-9]*\) families$/\1/p' "$work/page.info")
bytes=$(field expfmt bytes)
ref=$(field expfmt mbps)
all=$(field ours-all mbps)
filt=$(field ours-filtered mbps)
r_all=$(ratio "$all" "$ref")
r_filt=$(ratio "$filt" "$ref")

echo "== page parsing: ours (adapter/promparse) vs Prometheus expfmt (Go), same page, same run"
printf 'page: %s bytes (%.2f MB), %s series, %s families  [mkpage %s]\n' \
	"$bytes" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$series" \
	"$families" "$page_args"
printf '%-46s %9s %13s %9s %9s\n' parser MB/s samples/s "peak RSS" "vs expfmt"
printf '%-46s %9s %13s %7sMB %8sx\n' \
	"expfmt TextToMetricFamilies (Go $(go env GOVERSION | sed 's/^go//'))" \
	"$ref" "$(field expfmt sps)" \
	"$(awk -v k="$(field expfmt peak_kb)" 'BEGIN { printf "%.1f", k / 1024 }')" 1.0
printf '%-46s %9s %13s %7sMB %8sx\n' "ours, no filter (every sample to a callback)" \
	"$all" "$(field ours-all sps)" \
	"$(awk -v k="$(field rss peak_kb)" 'BEGIN { printf "%.1f", k / 1024 }')" "$r_all"
printf '%-46s %9s %13s %9s %8sx\n' \
	"ours, as the adapter reads ($(field ours-filtered kept) samples kept)" \
	"$filt" "$(field ours-filtered sps)" "" "$r_filt"
echo "(samples/s counts every sample line of the page; peak RSS includes the page read into memory)"

for n in "$(field expfmt samples)" "$(field ours-all samples)" "$(field ours-all kept)"; do
	[ "$n" = "$series" ] || die "sample counts disagree: mkpage $series," \
		"expfmt $(field expfmt samples), ours $(field ours-all samples)"
done

met=$(awk -v r="$r_all" 'BEGIN { print (r >= 10) ? "met" : "NOT met" }')
echo "target: ours >= 10x expfmt on the same page: $met" \
	"(${r_all}x with no filter, ${r_filt}x as the adapter reads)"

scale=${FH_BENCH_SCALE:-1000}
# the metrics API under load, beside kube-apiserver (tests/bench/api.sh)
FH_BENCH_BIN=$bin FH_API_PODS=${FH_API_PODS:-$scale} "$root/tests/bench/api.sh"

# scraping 1,000 TaskManagers, beside Prometheus (tests/bench/scrape.sh)
FH_BIN=${FH_BIN:-$root/bin} FH_TOOLBIN=$bin FH_SCRAPE_TMS=${FH_SCRAPE_TMS:-$scale} \
	"$root/tests/bench/scrape.sh"

# discovering the pods in kube-apiserver (tests/bench/discovery.sh)
FH_BIN=${FH_BIN:-$root/bin} FH_DISC_PODS=${FH_DISC_PODS:-$scale} "$root/tests/bench/discovery.sh"
