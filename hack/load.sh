#!/usr/bin/env bash
# hack/load.sh start|stop|status [RATE] - the reference scenario's load
# generator, against the Flink emulator (flinkhpa-emu): `start` offers RATE
# records/s to the emulated job's sources (default 9000, more than two
# TaskManagers of two 1000 records/s slots can process), `stop` goes back to
# the calm rate (default 500), `status` prints the emulator's state.
# The emulator's REST address comes from FLINKHPA_EMU (default
# http://127.0.0.1:8081).
set -euo pipefail

emu=${FLINKHPA_EMU:-http://127.0.0.1:8081}
case "${1:-}" in
start) rate=${2:-9000} ;;
stop) rate=${2:-500} ;;
status)
	curl -sf "$emu/control" && echo
	exit
	;;
*)
	echo "usage: hack/load.sh start|stop|status [RATE]" >&2
	exit 2
	;;
esac
curl -sf -X PUT "$emu/control?input-rate=$rate" >/dev/null ||
	{ echo "load.sh: no emulator at $emu (start bin/flinkhpa-emu)" >&2; exit 1; }
echo "load.sh: $rate records/s offered to the job at $emu"
