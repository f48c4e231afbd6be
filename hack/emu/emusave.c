/*
 * emusave.c - the emulated JobManager's savepoint and jar endpoints, in
 * Flink 1.18's shapes (see emu.h):
 *
 *   POST /jobs/ID/stop                 {"targetDirectory":D,"drain":false}
 *   POST /jobs/ID/savepoints           {"target-directory":D,"cancel-job":false}
 *        both 202 {"request-id":"<32 hex>"}
 *   GET  /jobs/ID/savepoints/TRIGGER   {"status":{"id":"IN_PROGRESS"},"operation":null}
 *        then {"status":{"id":"COMPLETED"},"operation":{"location":...}}
 *        or   {"status":{"id":"COMPLETED"},"operation":{"failure-cause":
 *              {"class":...,"stack-trace":...,"serialized-throwable":...}}}
 *   GET  /jars                         the one uploaded jar
 *   POST /jars/JAR/run                 {"parallelism":N,"savepointPath":P,...}
 *        200 {"jobid":"<32 hex>"}: a new job
 *
 * As in Flink, a savepoint of a job that does not run is accepted and then
 * fails (FlinkJobNotFoundException); a jar run from a savepoint that does
 * not exist gives a job that FAILED.  The emulator runs one job at a time,
 * so a jar run while a job is active is refused (an emulator limit).
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/b64.h"
#include "hack/emu/emu.h"

#define EMU_REST_EXC "org.apache.flink.runtime.rest.handler.RestHandlerException"

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

/* The request body as an object ("{}" when empty); NULL when it is not
 * one.  The caller owns the result. */
static json_object *emu_body(const char *body)
{
	json_object *o = json_tokener_parse(body && *body ? body : "{}");

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Optional member key of o with type t: false when present with another
 * type (null counts as absent); *v NULL when absent. */
static bool emu_member(json_object *o, const char *key, json_type t,
		       json_object **v)
{
	*v = NULL;
	if (!json_object_object_get_ex(o, key, v) || !*v) {
		*v = NULL;
		return true;
	}
	return json_object_is_type(*v, t);
}

static json_object *emu_bad_body(struct buf *out, int *code, const char *type)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "Request did not match expected format %s.",
		 type);
	return emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
}

/* POST /jobs/ID/stop and /jobs/ID/savepoints. */
static json_object *emu_trigger(struct emu *e, const char *jid, bool stop,
				const char *body, struct buf *out, int *code)
{
	const char *type = stop ? "StopWithSavepointRequestBody"
				: "SavepointTriggerRequestBody";
	const char *dkey = stop ? "targetDirectory" : "target-directory";
	json_object *b = emu_body(body), *dir, *flag, *o;
	struct emu_savepoint *sp;
	char msg[160];
	int kind = stop ? EMU_SP_STOP : EMU_SP_SAVEPOINT;

	if (!b || !emu_member(b, dkey, json_type_string, &dir) ||
	    !emu_member(b, stop ? "drain" : "cancel-job", json_type_boolean,
			&flag)) {
		json_object_put(b);
		return emu_bad_body(out, code, type);
	}
	if (!dir) {
		json_object_put(b);
		snprintf(msg, sizeof(msg), "Config key [state.savepoints.dir] is "
			 "not set. Property [%s] must be provided.", dkey);
		return emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
	}
	if (!stop && flag && json_object_get_boolean(flag))
		kind = EMU_SP_CANCEL;
	sp = emu_sp_trigger(e, jid, json_object_get_string(dir), kind);
	json_object_put(b);
	o = json_object_new_object();
	put(o, "request-id", json_object_new_string(sp->trigger));
	*code = 202;
	return o;
}

/* SerializedThrowableSerializer: class, stack-trace, serialized-throwable
 * (Java serialization in base64; here the stream's magic and the text). */
static json_object *emu_failure_cause(const struct emu_savepoint *sp)
{
	json_object *c = json_object_new_object();
	struct buf trace = BUF_INIT(4096), raw = BUF_INIT(4096);
	struct buf ser = BUF_INIT(8192);
	int rc;

	rc = buf_addf(&trace, "%s: %s\n"
		 "\tat org.apache.flink.runtime.checkpoint.CheckpointCoordinator.abortPendingCheckpoint(CheckpointCoordinator.java:2145)\n"
		 "\tat org.apache.flink.runtime.checkpoint.CheckpointCoordinator$CheckpointCanceller.run(CheckpointCoordinator.java:2196)\n"
		 "\tat java.base/java.util.concurrent.Executors$RunnableAdapter.call(Unknown Source)\n",
		 sp->cause_class, sp->cause_msg);
	if (rc || buf_add(&raw, "\xac\xed\x00\x05sr", 6) ||
	    buf_add(&raw, trace.p, trace.len) ||
	    b64_encode(raw.p, raw.len, &ser))
		buf_reset(&ser); /* out of memory: an empty stream */
	put(c, "class", json_object_new_string(sp->cause_class));
	put(c, "stack-trace", json_object_new_string(buf_str(&trace)));
	put(c, "serialized-throwable", json_object_new_string(buf_str(&ser)));
	buf_release(&trace);
	buf_release(&raw);
	buf_release(&ser);
	return c;
}

/* GET /jobs/ID/savepoints/TRIGGER. */
static json_object *emu_sp_status(struct emu *e, const char *jid,
				  const char *trigger, struct buf *out,
				  int *code)
{
	struct emu_savepoint *sp;
	json_object *o, *st, *op = NULL;
	char msg[200];

	if (!emu_check_id(trigger, "triggerid", out, code))
		return NULL;
	if (!(sp = emu_sp_find(e, jid, trigger))) {
		snprintf(msg, sizeof(msg), "There is no savepoint operation with "
			 "triggerId=%s for job %s.", trigger, jid);
		return emu_error_exc(out, code, 404, EMU_REST_EXC, msg);
	}
	o = json_object_new_object();
	st = json_object_new_object();
	put(st, "id", json_object_new_string(sp->status == EMU_SP_PENDING
						     ? "IN_PROGRESS"
						     : "COMPLETED"));
	put(o, "status", st);
	if (sp->status != EMU_SP_PENDING) {
		op = json_object_new_object();
		if (sp->status == EMU_SP_DONE)
			put(op, "location", json_object_new_string(sp->location));
		else
			put(op, "failure-cause", emu_failure_cause(sp));
	}
	put(o, "operation", op);
	return o;
}

/* GET /jars. */
static json_object *emu_jars(struct emu *e)
{
	json_object *o = json_object_new_object(), *files = json_object_new_array();
	json_object *f = json_object_new_object(), *entries = json_object_new_array();
	json_object *en = json_object_new_object();
	const char *us = strchr(e->jar_id, '_');

	put(o, "address", json_object_new_string(e->rest_url));
	put(f, "id", json_object_new_string(e->jar_id));
	put(f, "name", json_object_new_string(us ? us + 1 : e->jar_id));
	put(f, "uploaded", json_object_new_int64(e->jar_uploaded));
	put(en, "name", json_object_new_string(e->entry_class));
	put(en, "description", NULL);
	json_object_array_add(entries, en);
	put(f, "entry", entries);
	json_object_array_add(files, f);
	put(o, "files", files);
	return o;
}

/* The run request's fields; false when one has the wrong type. */
static bool emu_run_fields(json_object *b, int *p, const char **sp,
			   const char **entry)
{
	json_object *par, *path, *cls, *args, *list, *allow;

	if (!emu_member(b, "parallelism", json_type_int, &par) ||
	    !emu_member(b, "savepointPath", json_type_string, &path) ||
	    !emu_member(b, "entryClass", json_type_string, &cls) ||
	    !emu_member(b, "programArgs", json_type_string, &args) ||
	    !emu_member(b, "programArgsList", json_type_array, &list) ||
	    !emu_member(b, "allowNonRestoredState", json_type_boolean, &allow))
		return false;
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		if (!json_object_is_type(json_object_array_get_idx(list, i),
					 json_type_string))
			return false;
	*p = par ? json_object_get_int(par) : 0;
	*sp = path ? json_object_get_string(path) : NULL;
	*entry = cls ? json_object_get_string(cls) : NULL;
	return true;
}

/* Submit the job: FAILED when its savepoint (or kept checkpoint) does not exist or its
 * parallelism is over the max parallelism, else the model runs it. */
static struct emu_job *emu_submit(struct emu *e, int p, const char *sp)
{
	struct emu_job *j;
	struct emu_cp from;

	e->submissions++;
	if ((sp && !emu_cp_lookup(e, sp, &from)) || p > e->m.max_parallelism) {
		j = emu_job_add(e, EMU_JOB_FAILED);
		j->parallelism = p;
		return j;
	}
	j = emu_job_add(e, EMU_JOB_ACTIVE);
	if (sp)
		emu_cp_restore(e, j, &from);
	emu_model_submit(&e->m, p);
	j->parallelism = e->m.parallelism;
	return j;
}

/* POST /jars/JAR/run. */
static json_object *emu_jar_run(struct emu *e, const char *jar,
				const char *body, struct buf *out, int *code)
{
	struct emu_job *cur = emu_job_current(e);
	json_object *b = emu_body(body), *o;
	const char *sp = NULL, *entry = NULL;
	char msg[600];
	int p = 0;

	if (strcmp(jar, e->jar_id) != 0) {
		json_object_put(b);
		snprintf(msg, sizeof(msg), "Jar file /tmp/flink-web-upload/%.400s "
			 "does not exist", jar);
		return emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
	}
	if (!b || !emu_run_fields(b, &p, &sp, &entry)) {
		json_object_put(b);
		return emu_bad_body(out, code, "JarRunRequestBody");
	}
	if (entry && strcmp(entry, e->entry_class) != 0) {
		snprintf(msg, sizeof(msg), "Could not find the entry class %.400s "
			 "in the jar file.", entry);
		json_object_put(b);
		return emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
	}
	if (cur && cur->state == EMU_JOB_ACTIVE) {
		json_object_put(b);
		snprintf(msg, sizeof(msg), "flinkhpa-emu runs one job at a time: "
			 "job %s is %s", cur->jid, emu_job_state(e, cur));
		return emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
	}
	cur = emu_submit(e, p > 0 ? p : e->default_parallelism, sp);
	json_object_put(b);
	o = json_object_new_object();
	put(o, "jobid", json_object_new_string(cur->jid));
	return o;
}

json_object *emu_save_route(struct emu *e, bool get, const char *job,
			    const char *rest, const char *body,
			    struct buf *out, int *code, bool *handled)
{
	char jar[256];
	size_t n;

	*handled = true;
	if (job && !get && strcmp(rest, "/stop") == 0)
		return emu_trigger(e, job, true, body, out, code);
	if (job && !get && strcmp(rest, "/savepoints") == 0)
		return emu_trigger(e, job, false, body, out, code);
	if (job && get && strncmp(rest, "/savepoints/", 12) == 0 &&
	    !strchr(rest + 12, '/'))
		return emu_sp_status(e, job, rest + 12, out, code);
	if (!job && get && strcmp(rest, "/jars") == 0)
		return emu_jars(e);
	if (!job && !get && strncmp(rest, "/jars/", 6) == 0 &&
	    (n = strcspn(rest + 6, "/")) < sizeof(jar) &&
	    strcmp(rest + 6 + n, "/run") == 0) {
		snprintf(jar, sizeof(jar), "%.*s", (int)n, rest + 6);
		return emu_jar_run(e, jar, body, out, code);
	}
	*handled = false;
	return NULL;
}
