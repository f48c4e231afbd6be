#!/usr/bin/env bash
# emucheckpoints.sh - the emulator's checkpoints and cancelling, in Flink
# 1.18's shapes, which the sync controller relies on to resume a stranded
# job (README, "The parallelism sync controller"):
#   - GET /jobs/ID/checkpoints: counts, summary, latest {completed,
#     savepoint, failed, restored}, history newest first; checkpoints every
#     --checkpoint-interval while the job runs, each subsuming (discarding)
#     the one before; a savepoint shows in latest.savepoint;
#   - GET /jobs/ID/checkpoints/config: externalization per
#     --checkpoint-retention (enabled only, or enabled and
#     delete_on_cancellation);
#   - PATCH /jobs/ID?mode=cancel: 202 {}, the job CANCELED, again 202; an
#     unknown job 404, mode=stop 400, a FINISHED job 409;
#   - a jar run from the cancelled job's latest checkpoint: kept with
#     RETAIN_ON_CANCELLATION (a RUNNING job restored from it, latest.restored
#     saying so, ids going on after it); deleted otherwise (the run gives a
#     FAILED job, the checkpoint shows discarded);
#   - checkpointing off: both GETs 404 with Flink's messages; a job
#     restored from a savepoint and cancelled counts no lost cancellation
#     (the savepoint stays).
set -uo pipefail
. "$FH_ROOT/tests/blackbox/lib.sh"

JAR=d9e1c4a2-5b7f-4e3a-9c6d-2f8b1a0e7c45_orders-enrichment.jar
J0=3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1
get() { curl -s --max-time 5 -o "$FH_TMP/body" -w '%{http_code}' "$1"; }
req() { curl -s --max-time 5 -o "$FH_TMP/body" -w '%{http_code}' -X "$1" "$2" ${3:+-d "$3"}; }
# py EXPR: EXPR over the last body (d), printed
py() { python3 -c "import json,sys; d=json.load(open('$FH_TMP/body')); print($1)"; }

start_emu E --taskmanagers 2 --slots 2 --mode savepoint --parallelism 4 \
	--checkpoint-interval 300ms --checkpoint-retention RETAIN_ON_CANCELLATION \
	--checkpoint-dir file:///var/flink/checkpoints --restart-pause 200ms --savepoint-duration 200ms
U=$E_URL

wait_until 10 "two checkpoints" eval '[ "$(get "$U/jobs/$J0/checkpoints")" = 200 ] && [ "$(py "d[\"counts\"][\"completed\"]")" -ge 2 ]'
[ "$(py 'sorted(d)')" = "['counts', 'history', 'latest', 'summary']" ] || fail "keys: $(cat "$FH_TMP/body")"
[ "$(py 'list(d["counts"])')" = "['restored', 'total', 'in_progress', 'completed', 'failed']" ] ||
	fail "counts: $(py 'd["counts"]')"
[ "$(py 'list(d["latest"])')" = "['completed', 'savepoint', 'failed', 'restored']" ] || fail "latest: $(py 'd["latest"]')"
[ "$(py 'sorted(d["summary"])')" = "['alignment_buffered', 'checkpointed_size', 'end_to_end_duration', 'persisted_data', 'processed_data', 'state_size']" ] ||
	fail "summary: $(py 'd["summary"]')"
[ "$(py 'list(d["summary"]["state_size"])')" = "['min', 'max', 'avg', 'p50', 'p90', 'p95', 'p99', 'p999']" ] ||
	fail "a summary: $(py 'd["summary"]["state_size"]')"
c=$(py 'd["latest"]["completed"]["id"]')
[ "$(py 'd["latest"]["completed"]["external_path"]')" = "file:/var/flink/checkpoints/$J0/chk-$c" ] ||
	fail "external_path: $(py 'd["latest"]["completed"]')"
[ "$(py 'list(d["latest"]["completed"])')" = "['className', 'id', 'status', 'is_savepoint', 'savepointFormat', 'trigger_timestamp', 'latest_ack_timestamp', 'checkpointed_size', 'state_size', 'end_to_end_duration', 'alignment_buffered', 'processed_data', 'persisted_data', 'num_subtasks', 'num_acknowledged_subtasks', 'checkpoint_type', 'tasks', 'external_path', 'discarded']" ] ||
	fail "a completed checkpoint: $(py 'd["latest"]["completed"]')"
[ "$(py '(d["latest"]["completed"]["className"], d["latest"]["completed"]["status"], d["latest"]["completed"]["checkpoint_type"], d["latest"]["completed"]["discarded"], d["latest"]["completed"]["num_subtasks"], d["latest"]["savepoint"], d["latest"]["restored"])')" = \
	"('completed', 'COMPLETED', 'CHECKPOINT', False, 4, None, None)" ] || fail "the latest: $(py 'd["latest"]')"
# history: newest first; the older ones subsumed
[ "$(py '[h["id"] for h in d["history"]] == sorted([h["id"] for h in d["history"]], reverse=True) and d["history"][0]["id"] == '"$c"'')" = True ] ||
	fail "history order: $(py '[h["id"] for h in d["history"]]')"
[ "$(py '[h["discarded"] for h in d["history"][1:]] == [True] * (len(d["history"]) - 1)')" = True ] ||
	fail "subsumed checkpoints not discarded: $(py '[(h["id"], h["discarded"]) for h in d["history"]]')"

[ "$(get "$U/jobs/$J0/checkpoints/config")" = 200 ] || fail "config: $(cat "$FH_TMP/body")"
[ "$(py '(d["interval"], d["externalization"])')" = "(300, {'enabled': True, 'delete_on_cancellation': False})" ] ||
	fail "config: $(cat "$FH_TMP/body")"

# a savepoint shows in latest.savepoint, with its own id
[ "$(req POST "$U/jobs/$J0/savepoints" '{"target-directory":"file:///var/flink/savepoints","cancel-job":false}')" = 202 ] ||
	fail "savepoint: $(cat "$FH_TMP/body")"
wait_until 10 "the savepoint in the statistics" eval '[ "$(get "$U/jobs/$J0/checkpoints")" = 200 ] && [ "$(py "d[\"latest\"][\"savepoint\"] is not None")" = True ]'
[ "$(py '(d["latest"]["savepoint"]["is_savepoint"], d["latest"]["savepoint"]["savepointFormat"], d["latest"]["savepoint"]["checkpoint_type"], d["latest"]["savepoint"]["external_path"].startswith("file:///var/flink/savepoints/savepoint-"))')" = \
	"(True, 'CANONICAL', 'SAVEPOINT', True)" ] || fail "the savepoint: $(py 'd["latest"]["savepoint"]')"

# cancel: 202 {}, CANCELED, the latest checkpoint kept; again: 202
[ "$(req PATCH "$U/jobs/$J0?mode=cancel")" = 202 ] || fail "cancel: $(cat "$FH_TMP/body")"
[ "$(cat "$FH_TMP/body")" = "{}" ] || fail "cancel body: $(cat "$FH_TMP/body")"
[ "$(emu_state "$U" state)" = CANCELED ] || fail "state after cancel: $(emu_state "$U" state)"
[ "$(req PATCH "$U/jobs/$J0?mode=cancel")" = 202 ] || fail "a second cancel: $(cat "$FH_TMP/body")"
get "$U/jobs/$J0/checkpoints" >/dev/null
cp=$(py 'd["latest"]["completed"]["external_path"]')
cid=$(py 'd["latest"]["completed"]["id"]')
[ "$(py 'd["latest"]["completed"]["discarded"]')" = False ] || fail "the kept checkpoint shows discarded"
[ "$(req PATCH "$U/jobs/0123456789abcdef0123456789abcdef?mode=cancel")" = 404 ] || fail "cancel of an unknown job"
grep -q 'Job could not be found.' "$FH_TMP/body" || fail "unknown job: $(cat "$FH_TMP/body")"
[ "$(req PATCH "$U/jobs/$J0?mode=stop")" = 400 ] || fail "mode=stop"
grep -q 'The termination mode \\"stop\\" has been removed' "$FH_TMP/body" || fail "mode=stop: $(cat "$FH_TMP/body")"

# resubmitted from that checkpoint: RUNNING, restored from it
[ "$(req POST "$U/jars/$JAR/run" "{\"parallelism\":2,\"savepointPath\":\"$cp\"}")" = 200 ] ||
	fail "run from the checkpoint: $(cat "$FH_TMP/body")"
J1=$(py 'd["jobid"]')
wait_until 10 "the new job running at 2" eval '[ "$(emu_state "$U" state)" = RUNNING ] && [ "$(emu_state "$U" parallelism)" = 2 ]'
get "$U/jobs/$J1/checkpoints" >/dev/null
[ "$(py '(d["counts"]["restored"], d["latest"]["restored"]["id"], d["latest"]["restored"]["is_savepoint"], d["latest"]["restored"]["external_path"], list(d["latest"]["restored"]))')" = \
	"(1, $cid, False, '$cp', ['id', 'restore_timestamp', 'is_savepoint', 'external_path'])" ] ||
	fail "restored: $(py 'd["latest"]')"
wait_until 10 "a checkpoint of the new job" eval '[ "$(get "$U/jobs/$J1/checkpoints")" = 200 ] && [ "$(py "d[\"latest\"][\"completed\"] is not None")" = True ]'
[ "$(py 'd["latest"]["completed"]["id"] > '"$cid")" = True ] || fail "ids do not go on after the restored one"
[ "$(emu_state "$U" cancels)/$(emu_state "$U" cancels-lost)" = 1/0 ] || fail "cancel counters: $(curl -s "$U/control")"

# a stopped job cannot be cancelled: 409
[ "$(req POST "$U/jobs/$J1/stop" '{"targetDirectory":"file:///var/flink/savepoints","drain":false}')" = 202 ] || fail "stop"
wait_until 10 "the job FINISHED" eval '[ "$(emu_state "$U" state)" = FINISHED ]'
[ "$(req PATCH "$U/jobs/$J1?mode=cancel")" = 409 ] || fail "cancel of a FINISHED job: $(cat "$FH_TMP/body")"

# without RETAIN_ON_CANCELLATION the checkpoint goes with the job
start_emu N --taskmanagers 1 --slots 2 --mode savepoint --parallelism 2 \
	--checkpoint-interval 200ms --restart-pause 200ms
wait_until 10 "a checkpoint" eval '[ "$(get "$N_URL/jobs/$J0/checkpoints")" = 200 ] && [ "$(py "d[\"counts\"][\"completed\"]")" -ge 1 ]'
[ "$(get "$N_URL/jobs/$J0/checkpoints/config")" = 200 ] && [ "$(py 'd["externalization"]')" = "{'enabled': False}" ] ||
	fail "config without retention: $(cat "$FH_TMP/body")"
[ "$(req PATCH "$N_URL/jobs/$J0")" = 202 ] || fail "cancel (mode defaults to cancel)"
get "$N_URL/jobs/$J0/checkpoints" >/dev/null
cp=$(py 'd["latest"]["completed"]["external_path"]')
[ "$(py 'd["latest"]["completed"]["discarded"]')" = True ] || fail "a checkpoint not retained shows kept"
[ "$(emu_state "$N_URL" cancels-lost)" = 1 ] || fail "a cancellation without a restore point not counted"
[ "$(req POST "$N_URL/jars/$JAR/run" "{\"parallelism\":2,\"savepointPath\":\"$cp\"}")" = 200 ] || fail "run"
[ "$(emu_state "$N_URL" state)" = FAILED ] || fail "a run from a deleted checkpoint did not fail"

# checkpointing off
start_emu O --taskmanagers 1 --slots 2 --checkpoint-interval 0
[ "$(get "$O_URL/jobs/$J0/checkpoints")" = 404 ] && grep -q 'Checkpointing has not been enabled.' "$FH_TMP/body" ||
	fail "checkpoints when off: $(cat "$FH_TMP/body")"
[ "$(get "$O_URL/jobs/$J0/checkpoints/config")" = 404 ] &&
	grep -q "Checkpointing is not enabled for this job ($J0)." "$FH_TMP/body" ||
	fail "config when off: $(cat "$FH_TMP/body")"
# a job restored from a savepoint and cancelled before any checkpoint of
# its own can be resumed from that savepoint: not a lost cancellation
[ "$(req POST "$O_URL/jobs/$J0/stop" '{"targetDirectory":"file:///var/flink/savepoints","drain":false}')" = 202 ] || fail "stop"
T=$(py 'd["request-id"]')
wait_until 10 "the savepoint" eval '[ "$(get "$O_URL/jobs/$J0/savepoints/$T")" = 200 ] && [ "$(py "d[\"status\"][\"id\"]")" = COMPLETED ]'
sp=$(py 'd["operation"]["location"]')
[ "$(req POST "$O_URL/jars/$JAR/run" "{\"parallelism\":2,\"savepointPath\":\"$sp\"}")" = 200 ] || fail "run from the savepoint"
J2=$(py 'd["jobid"]')
[ "$(req PATCH "$O_URL/jobs/$J2?mode=cancel")" = 202 ] || fail "cancel of the restored job"
[ "$(emu_state "$O_URL" cancels)/$(emu_state "$O_URL" cancels-lost)" = 1/0 ] ||
	fail "a job restored from a savepoint counted lost: $(curl -s "$O_URL/control")"
echo ok
