/*
 * emucheck.c - the emulated JobManager's checkpoints and cancelling, in
 * Flink 1.18's shapes (see emu.h):
 *
 *   GET   /jobs/ID/checkpoints         CheckpointingStatistics: counts,
 *         summary, latest {completed, savepoint, failed, restored},
 *         history (newest first; "tasks" empty, as Flink writes them here)
 *   GET   /jobs/ID/checkpoints/config  CheckpointConfigInfo, with
 *         externalization {enabled, delete_on_cancellation}
 *         both 404 when checkpointing is off (--checkpoint-interval 0)
 *   PATCH /jobs/ID?mode=cancel         202 {}: the job is CANCELED
 *
 * The job takes a checkpoint every --checkpoint-interval of model time
 * while it processes records (none while it restarts or waits for slots);
 * a new one subsumes the previous (state.checkpoints.num-retained 1).  When
 * the job ends its latest checkpoint stays on storage or goes as
 * --checkpoint-retention says, as Flink's CheckpointProperties do:
 * RETAIN_ON_CANCELLATION keeps it after a cancellation and a failure,
 * DELETE_ON_CANCELLATION after a failure only, NO_EXTERNALIZED_CHECKPOINTS
 * never; a stop-with-savepoint (FINISHED) deletes it.  Savepoints stay.
 * Every function here runs with the emulator's lock held.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "hack/emu/emu.h"

#define EMU_REST_EXC "org.apache.flink.runtime.rest.handler.RestHandlerException"
#define EMU_NOTFOUND_EXC "org.apache.flink.runtime.rest.NotFoundException"
#define EMU_CP_BYTES 24576 /* a checkpoint's size per subtask */

static json_object *js(const char *s) { return json_object_new_string(s); }
static json_object *ji(int64_t v) { return json_object_new_int64(v); }

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

/* Flink's Path of dir: "file:///x" is written "file:/x". */
static const char *emu_cp_dir(const struct emu *e, char *scheme, size_t n)
{
	const char *d = e->checkpoint_dir;

	snprintf(scheme, n, "%s", strncmp(d, "file:///", 8) ? "" : "file:");
	return strncmp(d, "file:///", 8) ? d : d + 7;
}

/* A completed snapshot into the job's history and latest. */
static void emu_cp_add(struct emu_job *j, const struct emu_cp *c)
{
	struct emu_cpstats *s = &j->cp;

	if (!c->savepoint) {
		/* subsumed: the one before is deleted */
		for (int i = 0; i < s->nhist && i < EMU_CP_HISTORY; i++)
			if (!s->hist[i].savepoint)
				s->hist[i].discarded = true;
		s->latest_cp = *c;
	} else {
		s->latest_sp = *c;
	}
	s->hist[s->nhist++ % EMU_CP_HISTORY] = *c;
	s->completed++;
	if (s->next_id <= c->id)
		s->next_id = c->id + 1;
}

static void emu_cp_new(struct emu *e, struct emu_job *j, struct emu_cp *c)
{
	memset(c, 0, sizeof(*c));
	if (j->cp.next_id < 1)
		j->cp.next_id = 1;
	c->id = j->cp.next_id;
	c->ack_ms = e->m.now_ms;
	c->subtasks = e->m.parallelism * e->m.g.n;
	c->size = (int64_t)c->subtasks * EMU_CP_BYTES;
	c->trigger_ms = e->m.now_ms - 40 - c->subtasks;
}

void emu_cp_tick(struct emu *e)
{
	struct emu_job *j = emu_job_current(e);
	char scheme[8];
	const char *dir;
	struct emu_cp c;

	if (!j || j->state != EMU_JOB_ACTIVE || e->checkpoint_ms <= 0 ||
	    !emu_model_processing(&e->m))
		return;
	if (!j->cp.last_ms)
		j->cp.last_ms = e->m.now_ms; /* the first one an interval on */
	if (e->m.now_ms - j->cp.last_ms < e->checkpoint_ms)
		return;
	j->cp.last_ms = e->m.now_ms;
	emu_cp_new(e, j, &c);
	dir = emu_cp_dir(e, scheme, sizeof(scheme));
	snprintf(c.path, sizeof(c.path), "%s%s%s%s/chk-%lld", scheme, dir,
		 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", j->jid,
		 (long long)c.id);
	emu_cp_add(j, &c);
}

void emu_cp_savepoint(struct emu *e, struct emu_job *j,
		      struct emu_savepoint *sp, bool stop)
{
	struct emu_cp c;

	if (!j)
		return;
	emu_cp_new(e, j, &c);
	c.savepoint = true;
	c.sync = stop;
	c.trigger_ms = sp->due_ms - e->savepoint_ms;
	snprintf(c.path, sizeof(c.path), "%s", sp->location);
	sp->cp_id = c.id;
	emu_cp_add(j, &c);
}

void emu_cp_end(struct emu *e, struct emu_job *j, int state)
{
	struct emu_cp *c = &j->cp.latest_cp;
	bool keep = state == EMU_JOB_CANCELED ? e->retention == EMU_RETAIN_KEEP
		  : state == EMU_JOB_FAILED ? e->retention != EMU_RETAIN_NONE
					    : false;
	/* a savepoint stays: its own, or the one it was restored from */
	bool sp = j->cp.latest_sp.id > 0 ||
		  (j->cp.restore.id > 0 && j->cp.restore.savepoint);

	if (state == EMU_JOB_CANCELED) {
		e->cancels++;
		if (!sp && !(keep && c->id && !c->discarded))
			e->cancels_lost++;
	}
	if (!c->id || c->discarded)
		return;
	if (keep) {
		e->retained[e->nretained++ % EMU_MAX_SAVEPOINTS] = *c;
		return;
	}
	c->discarded = true;
	for (int i = 0; i < j->cp.nhist && i < EMU_CP_HISTORY; i++)
		if (j->cp.hist[i].id == c->id)
			j->cp.hist[i].discarded = true;
}

bool emu_cp_lookup(struct emu *e, const char *path, struct emu_cp *out)
{
	int first = e->nsp > EMU_MAX_SAVEPOINTS ? e->nsp - EMU_MAX_SAVEPOINTS : 0;
	struct emu_job *cur = emu_job_current(e);

	for (int i = first; i < e->nsp; i++) {
		struct emu_savepoint *sp = &e->sp[i % EMU_MAX_SAVEPOINTS];
		if (sp->status == EMU_SP_DONE && !strcmp(sp->location, path)) {
			memset(out, 0, sizeof(*out));
			out->id = sp->cp_id;
			out->savepoint = true;
			snprintf(out->path, sizeof(out->path), "%s", path);
			return true;
		}
	}
	first = e->nretained > EMU_MAX_SAVEPOINTS
		? e->nretained - EMU_MAX_SAVEPOINTS : 0;
	for (int i = first; i < e->nretained; i++)
		if (!strcmp(e->retained[i % EMU_MAX_SAVEPOINTS].path, path)) {
			*out = e->retained[i % EMU_MAX_SAVEPOINTS];
			return true;
		}
	if (cur && cur->state == EMU_JOB_ACTIVE && cur->cp.latest_cp.id &&
	    !strcmp(cur->cp.latest_cp.path, path)) {
		*out = cur->cp.latest_cp;
		return true;
	}
	return false;
}

void emu_cp_restore(struct emu *e, struct emu_job *j,
		    const struct emu_cp *snap)
{
	struct emu_cpstats *s = &j->cp;

	if (!snap && !s->latest_cp.id)
		return; /* nothing to recover from: started afresh */
	s->restore = snap ? *snap : s->latest_cp;
	s->restore_ms = e->m.now_ms;
	s->restored++;
	s->last_ms = 0;
	if (s->next_id <= s->restore.id)
		s->next_id = s->restore.id + 1;
}

/* ---- the answers ---- */

static json_object *emu_cp_json(const struct emu_cp *c)
{
	json_object *o = json_object_new_object();

	put(o, "className", js("completed"));
	put(o, "id", ji(c->id));
	put(o, "status", js("COMPLETED"));
	put(o, "is_savepoint", json_object_new_boolean(c->savepoint));
	put(o, "savepointFormat", c->savepoint ? js("CANONICAL") : NULL);
	put(o, "trigger_timestamp", ji(c->trigger_ms));
	put(o, "latest_ack_timestamp", ji(c->ack_ms));
	put(o, "checkpointed_size", ji(c->size));
	put(o, "state_size", ji(c->size));
	put(o, "end_to_end_duration", ji(c->ack_ms - c->trigger_ms));
	put(o, "alignment_buffered", ji(0));
	put(o, "processed_data", ji(0));
	put(o, "persisted_data", ji(0));
	put(o, "num_subtasks", ji(c->subtasks));
	put(o, "num_acknowledged_subtasks", ji(c->subtasks));
	put(o, "checkpoint_type", js(!c->savepoint ? "CHECKPOINT"
				     : c->sync ? "SYNC_SAVEPOINT" : "SAVEPOINT"));
	put(o, "tasks", json_object_new_object());
	put(o, "external_path", js(c->path));
	put(o, "discarded", json_object_new_boolean(c->discarded));
	return o;
}

/* StatsSummaryDto over the history's values (which: 0 size, 1 duration,
 * 2 zero). */
static json_object *emu_cp_summary1(const struct emu_cpstats *s, int which)
{
	json_object *o = json_object_new_object();
	int n = s->nhist < EMU_CP_HISTORY ? s->nhist : EMU_CP_HISTORY;
	int64_t min = 0, max = 0, sum = 0;

	for (int i = 0; i < n; i++) {
		const struct emu_cp *c = &s->hist[i];
		int64_t v = which == 0 ? c->size : which == 1
			    ? c->ack_ms - c->trigger_ms : 0;
		min = i == 0 || v < min ? v : min;
		max = i == 0 || v > max ? v : max;
		sum += v;
	}
	put(o, "min", ji(min));
	put(o, "max", ji(max));
	put(o, "avg", ji(n ? sum / n : 0));
	put(o, "p50", json_object_new_double((double)(n ? max : 0)));
	put(o, "p90", json_object_new_double((double)max));
	put(o, "p95", json_object_new_double((double)max));
	put(o, "p99", json_object_new_double((double)max));
	put(o, "p999", json_object_new_double((double)max));
	return o;
}

static json_object *emu_cp_summary(const struct emu_cpstats *s)
{
	json_object *o = json_object_new_object();

	put(o, "checkpointed_size", emu_cp_summary1(s, 0));
	put(o, "state_size", emu_cp_summary1(s, 0));
	put(o, "end_to_end_duration", emu_cp_summary1(s, 1));
	put(o, "alignment_buffered", emu_cp_summary1(s, 2));
	put(o, "processed_data", emu_cp_summary1(s, 2));
	put(o, "persisted_data", emu_cp_summary1(s, 2));
	return o;
}

static json_object *emu_cp_stats(const struct emu_job *j)
{
	const struct emu_cpstats *s = &j->cp;
	json_object *o = json_object_new_object(), *n = json_object_new_object();
	json_object *l = json_object_new_object(), *h = json_object_new_array();
	json_object *r = NULL;

	put(n, "restored", ji(s->restored));
	put(n, "total", ji(s->completed + s->failed));
	put(n, "in_progress", ji(0));
	put(n, "completed", ji(s->completed));
	put(n, "failed", ji(s->failed));
	put(o, "counts", n);
	put(o, "summary", emu_cp_summary(s));
	put(l, "completed", s->latest_cp.id ? emu_cp_json(&s->latest_cp) : NULL);
	put(l, "savepoint", s->latest_sp.id ? emu_cp_json(&s->latest_sp) : NULL);
	put(l, "failed", NULL);
	if (s->restore.id) {
		r = json_object_new_object();
		put(r, "id", ji(s->restore.id));
		put(r, "restore_timestamp", ji(s->restore_ms));
		put(r, "is_savepoint", json_object_new_boolean(s->restore.savepoint));
		put(r, "external_path", js(s->restore.path));
	}
	put(l, "restored", r);
	put(o, "latest", l);
	for (int i = s->nhist - 1; i >= 0 && i >= s->nhist - EMU_CP_HISTORY; i--)
		json_object_array_add(h, emu_cp_json(&s->hist[i % EMU_CP_HISTORY]));
	put(o, "history", h);
	return o;
}

static json_object *emu_cp_config(struct emu *e)
{
	json_object *o = json_object_new_object(), *x = json_object_new_object();

	put(o, "mode", js("exactly_once"));
	put(o, "interval", ji(e->checkpoint_ms));
	put(o, "timeout", ji(600000));
	put(o, "min_pause", ji(0));
	put(o, "max_concurrent", ji(1));
	put(x, "enabled", json_object_new_boolean(e->retention != EMU_RETAIN_NONE));
	if (e->retention != EMU_RETAIN_NONE)
		put(x, "delete_on_cancellation",
		    json_object_new_boolean(e->retention == EMU_RETAIN_DELETE));
	put(o, "externalization", x);
	put(o, "state_backend", js("HashMapStateBackend"));
	put(o, "checkpoint_storage", js("FileSystemCheckpointStorage"));
	put(o, "unaligned_checkpoints", json_object_new_boolean(false));
	put(o, "tolerable_failed_checkpoints", ji(0));
	put(o, "aligned_checkpoint_timeout", ji(0));
	put(o, "checkpoints_after_tasks_finish", json_object_new_boolean(true));
	put(o, "state_changelog_enabled", json_object_new_boolean(false));
	put(o, "changelog_periodic_materialization_interval", ji(600000));
	put(o, "changelog_storage", js("memory"));
	return o;
}

/* PATCH /jobs/ID[?mode=cancel]: JobCancellationHandler. */
static json_object *emu_cancel(struct emu *e, struct emu_job *j,
			       const char *mode, struct buf *out, int *code)
{
	char msg[200];

	if (mode && !strcmp(mode, "stop"))
		return emu_error_exc(out, code, 400, EMU_REST_EXC,
				     "The termination mode \"stop\" has been "
				     "removed. For an ungraceful shutdown, please "
				     "use \"cancel\" instead. For a graceful "
				     "shutdown, please use \"jobs/:jobId/stop\" "
				     "instead.");
	if (mode && strcmp(mode, "cancel")) {
		snprintf(msg, sizeof(msg), "Bad request, could not parse "
			 "parameters: Cannot resolve query parameter (mode) "
			 "from value \"%.40s\".", mode);
		return emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
	}
	if (!j)
		return emu_error_exc(out, code, 404, EMU_REST_EXC,
				     "Job could not be found.");
	if (j->state == EMU_JOB_ACTIVE) {
		emu_job_end(e, j, EMU_JOB_CANCELED);
	} else if (j->state != EMU_JOB_CANCELED) {
		snprintf(msg, sizeof(msg), "Job cancellation failed: Job %s was "
			 "not canceled, but instead %s.", j->jid,
			 emu_job_state(e, j));
		return emu_error_exc(out, code, 409, EMU_REST_EXC, msg);
	}
	*code = 202;
	return json_object_new_object(); /* EmptyResponseBody */
}

json_object *emu_cp_route(struct emu *e, const char *method, const char *jid,
			  const char *rest, emu_arg_fn arg, void *ud,
			  struct buf *out, int *code, bool *handled)
{
	struct emu_job *j = emu_job_find(e, jid);
	bool get = !strcmp(method, "GET");
	char msg[160];

	*handled = true;
	if (!strcmp(method, "PATCH") && *rest == '\0')
		return emu_cancel(e, j, arg ? arg(ud, "mode") : NULL, out, code);
	if (!get || (strcmp(rest, "/checkpoints") &&
		     strcmp(rest, "/checkpoints/config"))) {
		*handled = false;
		return NULL;
	}
	if (!j) {
		snprintf(msg, sizeof(msg), "Job %s not found", jid);
		return emu_error_exc(out, code, 404, EMU_NOTFOUND_EXC, msg);
	}
	if (e->checkpoint_ms <= 0) {
		if (!strcmp(rest, "/checkpoints"))
			return emu_error_exc(out, code, 404, EMU_REST_EXC,
					     "Checkpointing has not been "
					     "enabled.");
		snprintf(msg, sizeof(msg), "Checkpointing is not enabled for "
			 "this job (%s).", jid);
		return emu_error_exc(out, code, 404, EMU_REST_EXC, msg);
	}
	return strcmp(rest, "/checkpoints") ? emu_cp_config(e)
					    : emu_cp_stats(j);
}
