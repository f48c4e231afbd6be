/*
 * emurest.c - the emulated JobManager's REST API (the subset flinkhpa
 * reads and drives; formats as Flink 1.18 writes them) and the emulator's
 * own /control endpoint (see emu.h):
 *
 *   GET /overview  /jobs/overview  /jobs/ID  /taskmanagers
 *   GET /jobs/ID/vertices/VID/subtasks/metrics?get=busyTimeMsPerSecond
 *   GET|PUT /jobs/ID/resource-requirements       (adaptive scheduler)
 *   GET|PUT /control?input-rate=R&taskmanagers=N (load, and the kubelet)
 *
 * Errors are Flink's: {"errors":["..."]} with 404 or 400.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static json_object *js(const char *s) { return json_object_new_string(s); }
static json_object *ji(int64_t v) { return json_object_new_int64(v); }

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static int emu_error(struct buf *out, int *code, int status, const char *msg)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_array_add(a, js(msg));
	put(o, "errors", a);
	*code = status;
	buf_adds(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

static json_object *emu_overview(struct emu *e)
{
	json_object *o = json_object_new_object();
	int slots = emu_slots_total(&e->m);

	put(o, "taskmanagers", ji(e->m.taskmanagers));
	put(o, "slots-total", ji(slots));
	put(o, "slots-available", ji(slots - e->m.parallelism));
	put(o, "jobs-running", ji(1));
	put(o, "jobs-finished", ji(0));
	put(o, "jobs-cancelled", ji(0));
	put(o, "jobs-failed", ji(0));
	put(o, "flink-version", js("1.18.1"));
	put(o, "flink-commit", js("a8c8b1c"));
	return o;
}

static json_object *emu_tasks(struct emu *e, int per_vertex)
{
	json_object *t = json_object_new_object();
	bool run = e->m.restart_left <= 0;

	put(t, "running", ji(run ? per_vertex : 0));
	put(t, "canceling", ji(0));
	put(t, "canceled", ji(0));
	put(t, "total", ji(per_vertex));
	put(t, "created", ji(0));
	put(t, "scheduled", ji(run ? 0 : per_vertex));
	put(t, "deploying", ji(0));
	put(t, "reconciling", ji(0));
	put(t, "finished", ji(0));
	put(t, "initializing", ji(0));
	put(t, "failed", ji(0));
	return t;
}

static json_object *emu_jobs_overview(struct emu *e)
{
	json_object *o = json_object_new_object(), *jobs = json_object_new_array();
	json_object *j = json_object_new_object();

	put(j, "jid", js(EMU_JOB_ID));
	put(j, "name", js(e->job_name));
	put(j, "state", js(emu_model_state(&e->m)));
	put(j, "start-time", ji(e->start_ms));
	put(j, "end-time", ji(-1));
	put(j, "duration", ji(e->m.now_ms - e->start_ms));
	put(j, "last-modification", ji(e->m.now_ms));
	put(j, "tasks", emu_tasks(e, e->m.parallelism));
	json_object_array_add(jobs, j);
	put(o, "jobs", jobs);
	return o;
}

static json_object *emu_job(struct emu *e)
{
	json_object *o = json_object_new_object(), *vs = json_object_new_array();
	json_object *v = json_object_new_object();

	put(o, "jid", js(EMU_JOB_ID));
	put(o, "name", js(e->job_name));
	put(o, "isStoppable", json_object_new_boolean(false));
	put(o, "state", js(emu_model_state(&e->m)));
	put(o, "start-time", ji(e->start_ms));
	put(o, "end-time", ji(-1));
	put(o, "duration", ji(e->m.now_ms - e->start_ms));
	put(o, "maxParallelism", ji(-1));
	put(o, "now", ji(e->m.now_ms));
	put(v, "id", js(EMU_VERTEX_ID));
	put(v, "name", js("Source: orders -> Map: enrich -> Sink: out"));
	put(v, "maxParallelism", ji(e->m.max_parallelism));
	put(v, "parallelism", ji(e->m.parallelism));
	put(v, "status", js(emu_model_state(&e->m)));
	put(v, "start-time", ji(e->start_ms));
	put(v, "end-time", ji(-1));
	put(v, "duration", ji(e->m.now_ms - e->start_ms));
	put(v, "tasks", emu_tasks(e, e->m.parallelism));
	json_object_array_add(vs, v);
	put(o, "vertices", vs);
	return o;
}

static json_object *emu_taskmanagers(struct emu *e)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (int t = 0; t < e->m.taskmanagers; t++) {
		json_object *tm = json_object_new_object(), *hw = json_object_new_object();
		char path[160];
		int used = (e->m.parallelism + e->m.taskmanagers - 1 - t) /
			   e->m.taskmanagers;

		snprintf(path, sizeof(path), "akka.tcp://flink@%s:6122/user/rpc/taskmanager_0",
			 e->tm[t].addr);
		put(tm, "id", js(e->tm[t].tm_id));
		put(tm, "path", js(path));
		put(tm, "dataPort", ji(6121));
		put(tm, "jmxPort", ji(-1));
		put(tm, "timeSinceLastHeartbeat", ji(e->m.now_ms));
		put(tm, "slotsNumber", ji(e->m.slots_per_tm));
		put(tm, "freeSlots", ji(e->m.slots_per_tm - used));
		put(hw, "cpuCores", ji(1));
		put(hw, "physicalMemory", ji(4294967296LL));
		put(hw, "freeMemory", ji(1073741824LL));
		put(hw, "managedMemory", ji(536870912LL));
		put(tm, "hardware", hw);
		json_object_array_add(a, tm);
	}
	put(o, "taskmanagers", a);
	return o;
}

static json_object *emu_requirements(struct emu *e)
{
	json_object *o = json_object_new_object(), *v = json_object_new_object();
	json_object *p = json_object_new_object();

	put(p, "lowerBound", ji(1));
	put(p, "upperBound", ji(e->m.parallelism));
	put(v, "parallelism", p);
	put(o, EMU_VERTEX_ID, v);
	return o;
}

/* PUT resource-requirements: {"VID":{"parallelism":{"upperBound":N}}}. */
static int emu_set_requirements(struct emu *e, const char *body,
				struct buf *out, int *code)
{
	json_object *o = body ? json_tokener_parse(body) : NULL, *v, *p, *ub;
	int rc;

	if (!o || !json_object_object_get_ex(o, EMU_VERTEX_ID, &v) ||
	    !json_object_object_get_ex(v, "parallelism", &p) ||
	    !json_object_object_get_ex(p, "upperBound", &ub)) {
		json_object_put(o);
		return emu_error(out, code, 400, "Request did not match expected "
				 "format JobResourceRequirementsBody.");
	}
	if (e->reactive) {
		json_object_put(o);
		return emu_error(out, code, 400, "Job is not using the adaptive "
				 "scheduler.");
	}
	emu_model_rescale(&e->m, json_object_get_int(ub));
	json_object_put(o);
	*code = 200;
	rc = buf_adds(out, "{}");
	return rc;
}

static json_object *emu_subtask_metrics(struct emu *e)
{
	json_object *a = json_object_new_array(), *m = json_object_new_object();
	double b = emu_busy_ms(&e->m);

	put(m, "id", js("busyTimeMsPerSecond"));
	put(m, "min", json_object_new_double(b));
	put(m, "max", json_object_new_double(b));
	put(m, "avg", json_object_new_double(b));
	put(m, "sum", json_object_new_double(b * e->m.parallelism));
	json_object_array_add(a, m);
	return a;
}

static json_object *emu_control_state(struct emu *e)
{
	json_object *o = json_object_new_object();

	put(o, "input-rate", json_object_new_double(e->m.input_rate));
	put(o, "taskmanagers", ji(e->m.taskmanagers));
	put(o, "parallelism", ji(e->m.parallelism));
	put(o, "state", js(emu_model_state(&e->m)));
	put(o, "backlog", ji((int64_t)e->m.backlog));
	put(o, "busy-ratio", json_object_new_double(e->m.busy));
	put(o, "restarts", ji(e->m.restarts));
	put(o, "time-ms", ji(e->m.now_ms));
	return o;
}

static int emu_control(struct emu *e, const char *rate, const char *tms,
		       struct buf *out, int *code)
{
	if (rate)
		e->m.input_rate = atof(rate) < 0 ? 0 : atof(rate);
	if (tms && emu_set_tms(e, atoi(tms))) {
		emu_error(out, code, 400, "cannot start the TaskManagers");
		return -1;
	}
	return 0;
}

/* The answer for url (lock held); NULL and an error set when none. */
static json_object *emu_route(struct emu *e, const char *method,
			      const char *url, const char *rate,
			      const char *tms, const char *body,
			      struct buf *out, int *code)
{
	const char *job = "/jobs/" EMU_JOB_ID;
	bool get = strcmp(method, "GET") == 0;

	if (strcmp(url, "/control") == 0) {
		if (!get && emu_control(e, rate, tms, out, code))
			return NULL;
		return emu_control_state(e);
	}
	if (get && strcmp(url, "/overview") == 0)
		return emu_overview(e);
	if (get && strcmp(url, "/jobs/overview") == 0)
		return emu_jobs_overview(e);
	if (get && strcmp(url, "/taskmanagers") == 0)
		return emu_taskmanagers(e);
	if (strncmp(url, job, strlen(job)) == 0) {
		const char *rest = url + strlen(job);
		if (get && *rest == '\0')
			return emu_job(e);
		if (strcmp(rest, "/resource-requirements") == 0) {
			if (!get && emu_set_requirements(e, body, out, code))
				return NULL;
			return get ? emu_requirements(e) : NULL;
		}
		if (get && strcmp(rest, "/vertices/" EMU_VERTEX_ID
				  "/subtasks/metrics") == 0)
			return emu_subtask_metrics(e);
	}
	emu_error(out, code, 404, "Not found: the requested resource does not exist");
	return NULL;
}

int emu_rest(struct emu *e, const char *method, const char *url,
	     const char *query_rate, const char *query_tms,
	     const char *body, struct buf *out, int *code)
{
	json_object *o;
	int rc = 0;

	*code = 200;
	pthread_mutex_lock(&e->mu);
	o = emu_route(e, method, url, query_rate, query_tms, body, out, code);
	pthread_mutex_unlock(&e->mu);
	if (o) {
		rc = buf_adds(out, json_object_to_json_string_ext(
					   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	return rc;
}
