#!/usr/bin/env bash
# simulate.sh - flinkhpa-gen simulate: a replayed CPU trace gives exactly the
# timeline worked out by hand from the HPA algorithm (tests/data/sim/
# cpu-replay.out: ceil(ratio x replicas), the 10% tolerance, 4 pods or 100%
# per 15 s up, the 300 s down window, 100% per 15 s down); the workload model
# scales up on the spike and back to one TaskManager after the window; the
# SVG renders (rsvg-convert) with the lines it claims; bad input is named.
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"
cd "$FH_ROOT" || exit 1
GEN="$FH_WRAP $FH_BIN/flinkhpa-gen"

$GEN simulate --trace tests/data/sim/cpu-replay.csv examples/scenario-cpu.yaml >"$FH_TMP/replay.out" ||
	fail "replay"
diff tests/data/sim/cpu-replay.out "$FH_TMP/replay.out" || fail "replay timeline differs"

# the model: the reference scenario's spike, busy ratio target 0.6
cat >"$FH_TMP/busy.yaml" <<'P'
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: flink, namespace: demo}
spec:
  job: {slotsPerTaskManager: 2}
  replicas: {min: 1, max: 5}
  rules: [{type: busyRatio, target: 0.6}]
P
$GEN simulate --trace examples/traces/spike.csv --capacity 1000 --restart-pause 5s \
	--svg "$FH_TMP/chart.svg" "$FH_TMP/busy.yaml" >"$FH_TMP/model.out" || fail "model"
grep -q "New size: [2-5]; reason: pods metric flink_tm_busy_ratio above target" "$FH_TMP/model.out" ||
	fail "no scale-up: $(cat "$FH_TMP/model.out")"
tail -n 2 "$FH_TMP/model.out" | head -n 1 | awk '{exit !($2 == 1)}' || fail "not back to 1: $(tail -n 3 "$FH_TMP/model.out")"
up=$(grep -n "above target" "$FH_TMP/model.out" | head -n 1 | cut -d: -f1)
down=$(grep -n "All metrics below target" "$FH_TMP/model.out" | tail -n 1 | cut -d: -f1)
[ -n "$up" ] && [ -n "$down" ] && [ "$up" -lt "$down" ] || fail "no up then down"
grep -q "^chart: $FH_TMP/chart.svg" "$FH_TMP/model.out" || fail "chart path not printed"

# the chart renders, with the metric (blue), target (red), replicas (green)
command -v rsvg-convert >/dev/null || fail "rsvg-convert missing (librsvg2-bin)"
rsvg-convert -o "$FH_TMP/chart.png" "$FH_TMP/chart.svg" || fail "the SVG does not render"
python3 - "$FH_TMP/chart.png" <<'PY' || fail "the chart lacks its lines"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 4 if ctype == 6 else 3
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, None, []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
def count(rgb, top, bottom):
    n = 0
    for y in range(top, bottom):
        r = rows[y]
        for x in range(0, stride, bpp):
            if abs(r[x] - rgb[0]) < 12 and abs(r[x + 1] - rgb[1]) < 12 and abs(r[x + 2] - rgb[2]) < 12:
                n += 1
    return n
blue, red, green = (0x1f, 0x77, 0xb4), (0xd6, 0x27, 0x28), (0x2c, 0xa0, 0x2c)
ok = count(blue, 40, 280) > 300 and count(red, 40, 280) > 300 and count(green, 310, 510) > 300
ok = ok and count(green, 0, 300) == 0 and count(blue, 300, h) == 0
sys.exit(0 if ok else 1)
PY

# bad input
printf 'time,cpu\n0,3\n10,x\n' >"$FH_TMP/bad.csv"
$GEN simulate --trace "$FH_TMP/bad.csv" examples/scenario-cpu.yaml 2>"$FH_TMP/err" && fail "bad trace accepted"
grep -q "bad.csv:3:1: cpu: \"x\" is not a number" "$FH_TMP/err" || fail "bad trace: $(cat "$FH_TMP/err")"
printf 'time,memory\n0,3\n' >"$FH_TMP/nocol.csv"
$GEN simulate --trace "$FH_TMP/nocol.csv" examples/scenario-cpu.yaml 2>"$FH_TMP/err" && fail "missing column accepted"
grep -q "no column cpu (spec.rules\[0\])" "$FH_TMP/err" || fail "missing column: $(cat "$FH_TMP/err")"
$GEN simulate --trace examples/traces/spike.csv examples/all-rules.yaml 2>"$FH_TMP/err" && fail "two policies, none chosen"
grep -q "choose one with --policy" "$FH_TMP/err" || fail "several policies: $(cat "$FH_TMP/err")"
$GEN simulate --trace examples/traces/spike.csv --policy orders examples/all-rules.yaml 2>"$FH_TMP/err" &&
	fail "the model fed a custom metric"
grep -q "the workload model has no metric kafka_lag" "$FH_TMP/err" || fail "model custom: $(cat "$FH_TMP/err")"
printf 'time,input_rate\n0,5\n99999999999,5\n' >"$FH_TMP/long.csv"
$GEN simulate --trace "$FH_TMP/long.csv" examples/scenario-cpu.yaml 2>"$FH_TMP/err" && fail "a trace of 3,000 years accepted"
grep -q "long.csv:3:1: time: 99999999999 s is past the longest trace simulated (2678400 s, 31 days)" "$FH_TMP/err" ||
	fail "long trace: $(cat "$FH_TMP/err")"
printf 'time,input_rate\n0,-5\n' >"$FH_TMP/neg.csv"
$GEN simulate --trace "$FH_TMP/neg.csv" examples/scenario-cpu.yaml 2>"$FH_TMP/err" && fail "a negative input rate accepted"
grep -q "neg.csv:2:1: input_rate: -5 is negative" "$FH_TMP/err" || fail "negative rate: $(cat "$FH_TMP/err")"
$GEN simulate examples/scenario-cpu.yaml 2>/dev/null; [ $? = 2 ] || fail "no --trace is a usage error"
$GEN simulate --kubernetes-version 1.17 --trace tests/data/sim/cpu-replay.csv examples/scenario-cpu.yaml 2>"$FH_TMP/err" &&
	fail "--kubernetes-version 1.17 accepted"
grep -q 'kubernetes-version: "1.17": the HPA.s behavior came with 1.18' "$FH_TMP/err" || fail "1.17: $(cat "$FH_TMP/err")"
$GEN simulate --kubernetes-version 1.2O --trace tests/data/sim/cpu-replay.csv examples/scenario-cpu.yaml 2>"$FH_TMP/err" &&
	fail "--kubernetes-version 1.2O accepted"
grep -q 'kubernetes-version: "1.2O" is not a version such as 1.20 or v1.20.2' "$FH_TMP/err" || fail "1.2O: $(cat "$FH_TMP/err")"
# a spike the scale-up window holds, then calm: 1.20 scales up "below
# target" (kubernetes#96671), 1.21 holds (tests/e2e/stabilize.sh on a
# real controller)
cat >"$FH_TMP/held.yaml" <<'EOF'
apiVersion: flinkhpa.io/v1
kind: ScalingPolicy
metadata: {name: held, namespace: flink}
spec:
  job: {name: orders, slotsPerTaskManager: 2}
  replicas: {min: 2, max: 5}
  rules: [{type: busyRatio, target: 0.6}]
  behavior: {scaleUp: {stabilizationWindow: 45s}}
EOF
printf 'time,flink_tm_busy_ratio\n0,0.075\n60,1\n70,0.075\n120,0.075\n' >"$FH_TMP/held.csv"
$GEN simulate --kubernetes-version v1.20.2 --sync-period 5s --trace "$FH_TMP/held.csv" "$FH_TMP/held.yaml" >"$FH_TMP/held-120.out" ||
	fail "simulate 1.20: $(cat "$FH_TMP/held-120.out")"
grep -Eq '^ +70s +2 +0.075 +4 +New size: 4; reason: All metrics below target$' "$FH_TMP/held-120.out" ||
	fail "1.20 does not scale up at the calm: $(cat "$FH_TMP/held-120.out")"
$GEN simulate --sync-period 5s --trace "$FH_TMP/held.csv" "$FH_TMP/held.yaml" >"$FH_TMP/held-121.out" ||
	fail "simulate: $(cat "$FH_TMP/held-121.out")"
! grep -q 'New size' "$FH_TMP/held-121.out" || fail "1.21 rescaled: $(cat "$FH_TMP/held-121.out")"
echo ok
