/*
 * emurest.c - the emulated JobManager's REST API (the subset flinkhpa
 * reads and drives; formats as Flink 1.18 writes them) and the emulator's
 * own /control endpoint (see emu.h):
 *
 *   GET /overview  /jobs/overview  /jobs/ID  /taskmanagers
 *   GET /jobs/ID/vertices/VID/subtasks/metrics[?get=A,B&agg=min,max,avg,sum
 *       &subtasks=0-3,5]   the metric ids, or their aggregates over the
 *                          subtasks, as the pages show them (emumetrics.c)
 *   GET|PUT /jobs/ID/resource-requirements       (adaptive scheduler)
 *   savepoints and jars: emusave.c; checkpoints and cancelling: emucheck.c
 *
 *   GET /control  the model's state; PUT /control?input-rate=R&
 *       taskmanagers=N&savepoint-fails=K&jobmanager-restart=S&speed=X
 *       sets the load, the TaskManagers, K failing savepoints, restarts
 *       the JobManager (S seconds of model time down, then 1 s electing a
 *       leader), or the model's speed (0: it stands still).  Faults:
 *       tm-hang=K / tm-malformed=K (TaskManager K, from 1, accepts and
 *       never answers / serves a page that is not the text format; 0 heals
 *       every TaskManager), jm-delay=MS (each REST answer waits MS).
 *
 * Errors are Flink's: {"errors":["..."]}.  A handler's exception comes as
 * its stack trace in one string (Flink 1.18's AbstractHandler); a path
 * that matches no route as "Not found: URI".
 *
 * A JobManager that is down cannot refuse connections here: /control is
 * served on the same port and must keep answering.  So while it is down
 * every other request is dropped unanswered (the connection closed: what a
 * client sees of a JobManager killed mid-request), and while it elects a
 * leader it answers 503 as Flink's LeaderRetrievalHandler does.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/names.h"
#include "hack/emu/emu.h"

#define EMU_REST_EXC "org.apache.flink.runtime.rest.handler.RestHandlerException"
#define EMU_NOTFOUND_EXC "org.apache.flink.runtime.rest.NotFoundException"

static json_object *js(const char *s) { return json_object_new_string(s); }
static json_object *ji(int64_t v) { return json_object_new_int64(v); }

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static int emu_json_out(struct buf *out, json_object *o)
{
	return buf_adds(out, json_object_to_json_string_ext(
				     o, JSON_C_TO_STRING_PLAIN |
					JSON_C_TO_STRING_NOSLASHESCAPE));
}

json_object *emu_error(struct buf *out, int *code, int status, const char *msg)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_array_add(a, js(msg));
	put(o, "errors", a);
	*code = status;
	buf_reset(out);
	emu_json_out(out, o);
	json_object_put(o);
	return NULL;
}

json_object *emu_error_exc(struct buf *out, int *code, int status,
			   const char *cls, const char *msg)
{
	char trace[2048];

	snprintf(trace, sizeof(trace), "%s: %s\n"
		 "\tat org.apache.flink.runtime.rest.handler.AbstractRestHandler.respondToRequest(AbstractRestHandler.java:83)\n"
		 "\tat org.apache.flink.runtime.rest.handler.AbstractHandler.respondAsLeader(AbstractHandler.java:196)\n"
		 "\tat org.apache.flink.runtime.rest.handler.LeaderRetrievalHandler.lambda$channelRead0$0(LeaderRetrievalHandler.java:83)\n"
		 "\tat java.base/java.util.Optional.ifPresent(Unknown Source)\n",
		 cls, msg);
	return emu_error(out, code, status, trace);
}

bool emu_check_id(const char *id, const char *param, struct buf *out,
		  int *code)
{
	char msg[512];
	size_t n = strlen(id);

	if (n == 32 && strspn(id, "0123456789abcdefABCDEF") == 32)
		return true;
	snprintf(msg, sizeof(msg), "Bad request, could not parse parameters: "
		 "Cannot resolve path parameter (%s) from value \"%.300s\".",
		 param, id);
	emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
	return false;
}

static json_object *emu_job_not_found(struct buf *out, int *code,
				      const char *jid)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "Job %s not found", jid);
	return emu_error_exc(out, code, 404, EMU_NOTFOUND_EXC, msg);
}

static json_object *emu_overview(struct emu *e)
{
	json_object *o = json_object_new_object();
	int slots = emu_slots_total(&e->m), ended[4] = { 0 };

	for (int i = 0; i < e->njobs; i++)
		ended[e->jobs[i].state]++;
	put(o, "taskmanagers", ji(e->m.taskmanagers));
	put(o, "slots-total", ji(slots));
	put(o, "slots-available", ji(slots - emu_slots_used(&e->m)));
	put(o, "jobs-running", ji(ended[EMU_JOB_ACTIVE]));
	put(o, "jobs-finished", ji(ended[EMU_JOB_FINISHED]));
	put(o, "jobs-cancelled", ji(ended[EMU_JOB_CANCELED]));
	put(o, "jobs-failed", ji(ended[EMU_JOB_FAILED]));
	put(o, "flink-version", js("1.18.1"));
	put(o, "flink-commit", js("a8c8b1c"));
	return o;
}

static const char *const emu_exec_states[] = {
	"CREATED", "SCHEDULED", "DEPLOYING", "RUNNING", "FINISHED",
	"CANCELING", "CANCELED", "FAILED", "RECONCILING", "INITIALIZING",
};
#define EMU_NSTATES (sizeof(emu_exec_states) / sizeof(emu_exec_states[0]))

/* The ExecutionState all of job j's tasks are in. */
static const char *emu_task_state(struct emu *e, const struct emu_job *j)
{
	switch (j->state) {
	case EMU_JOB_FINISHED:
		return "FINISHED";
	case EMU_JOB_CANCELED:
		return "CANCELED";
	case EMU_JOB_FAILED:
		return "FAILED";
	}
	return emu_model_task_state(&e->m);
}

/* Tasks per ExecutionState: in /jobs/overview lower case after "total"
 * (JobDetailsSerializer), in a vertex the enum names. */
static json_object *emu_tasks(const char *state, int n, bool overview)
{
	json_object *t = json_object_new_object();

	if (overview)
		put(t, "total", ji(n));
	for (size_t i = 0; i < EMU_NSTATES; i++) {
		char key[16];
		int v = strcmp(emu_exec_states[i], state) == 0 ? n : 0;

		snprintf(key, sizeof(key), "%s", emu_exec_states[i]);
		for (char *k = key; overview && *k; k++)
			*k = (char)(*k - 'A' + 'a');
		put(t, key, ji(v));
	}
	return t;
}

/* The active job runs at the model's parallelism. */
static int emu_par(struct emu *e, const struct emu_job *j)
{
	return j->state == EMU_JOB_ACTIVE ? e->m.parallelism : j->parallelism;
}

static int64_t emu_end(struct emu *e, const struct emu_job *j)
{
	return j->end_ms < 0 ? e->m.now_ms : j->end_ms;
}

static json_object *emu_jobs_overview(struct emu *e)
{
	json_object *o = json_object_new_object(), *jobs = json_object_new_array();

	for (int i = e->njobs - 1; i >= 0; i--) {
		const struct emu_job *jb = &e->jobs[i];
		json_object *j = json_object_new_object();

		put(j, "jid", js(jb->jid));
		put(j, "name", js(e->job_name));
		put(j, "state", js(emu_job_state(e, jb)));
		put(j, "start-time", ji(jb->start_ms));
		put(j, "end-time", ji(jb->end_ms));
		put(j, "duration", ji(emu_end(e, jb) - jb->start_ms));
		put(j, "last-modification", ji(emu_end(e, jb)));
		put(j, "tasks", emu_tasks(emu_task_state(e, jb), emu_par(e, jb),
					  true));
		json_object_array_add(jobs, j);
	}
	put(o, "jobs", jobs);
	return o;
}

/* Vertex x of the graph (the single chain: its name as Flink chains it). */
static const char *emu_vertex_name(struct emu *e, int x)
{
	return e->m.g.n == 1 ? EMU_VERTEX_NAME : e->m.g.v[x].name;
}

static json_object *emu_vertex(struct emu *e, const struct emu_job *j, int x)
{
	json_object *v = json_object_new_object();
	const char *ts = emu_task_state(e, j);

	put(v, "id", js(e->m.g.v[x].id));
	put(v, "name", js(emu_vertex_name(e, x)));
	put(v, "maxParallelism", ji(e->m.max_parallelism));
	put(v, "parallelism", ji(emu_par(e, j)));
	put(v, "status", js(ts));
	put(v, "start-time", ji(j->start_ms));
	put(v, "end-time", ji(j->end_ms));
	put(v, "duration", ji(emu_end(e, j) - j->start_ms));
	put(v, "tasks", emu_tasks(ts, emu_par(e, j), false));
	return v;
}

/* A vertex name as JsonPlanGenerator writes a description: HTML-escaped
 * (escapeHtml4: & < > "), newlines as <br/>. */
static void emu_html(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in && o + 7 < n; in++) {
		const char *rep = *in == '&' ? "&amp;" : *in == '<' ? "&lt;"
				  : *in == '>' ? "&gt;" : *in == '"' ? "&quot;"
				  : *in == '\n' ? "<br/>" : NULL;

		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* GET /jobs/JID/plan: {"plan":{"jid","name","type","nodes":[{"id",
 * "parallelism","operator","operator_strategy","description","inputs":
 * [{"num","id","ship_strategy","exchange"}] (not at sources),
 * "optimizer_properties":{}}]}}: the chain's edges, HASH into the keyed
 * window, REBALANCE elsewhere. */
static json_object *emu_plan(struct emu *e, const struct emu_job *j)
{
	json_object *o = json_object_new_object(), *plan = json_object_new_object();
	json_object *nodes = json_object_new_array();
	char desc[256];

	put(plan, "jid", js(j->jid));
	put(plan, "name", js(e->job_name));
	put(plan, "type", js("STREAMING"));
	for (int x = 0; x < e->m.g.n; x++) {
		json_object *n = json_object_new_object(), *ins, *in;

		put(n, "id", js(e->m.g.v[x].id));
		put(n, "parallelism", ji(emu_par(e, j)));
		put(n, "operator", js(""));
		put(n, "operator_strategy", js(""));
		emu_html(emu_vertex_name(e, x), desc, sizeof(desc));
		put(n, "description", js(desc));
		if (x > 0) {
			ins = json_object_new_array();
			in = json_object_new_object();
			put(in, "num", ji(0));
			put(in, "id", js(e->m.g.v[x - 1].id));
			put(in, "ship_strategy", js(e->m.g.v[x].keyed ? "HASH"
						    : "REBALANCE"));
			put(in, "exchange", js("pipelined_bounded"));
			json_object_array_add(ins, in);
			put(n, "inputs", ins);
		}
		put(n, "optimizer_properties", json_object_new_object());
		json_object_array_add(nodes, n);
	}
	put(plan, "nodes", nodes);
	put(o, "plan", plan);
	return o;
}

static json_object *emu_job(struct emu *e, const struct emu_job *j)
{
	json_object *o = json_object_new_object(), *vs = json_object_new_array();
	bool active = j->state == EMU_JOB_ACTIVE;

	put(o, "jid", js(j->jid));
	put(o, "name", js(e->job_name));
	put(o, "isStoppable", json_object_new_boolean(false));
	put(o, "state", js(emu_job_state(e, j)));
	put(o, "start-time", ji(j->start_ms));
	put(o, "end-time", ji(j->end_ms));
	put(o, "duration", ji(emu_end(e, j) - j->start_ms));
	put(o, "maxParallelism", ji(-1));
	put(o, "now", ji(active ? e->m.now_ms : j->end_ms));
	for (int x = 0; x < e->m.g.n; x++)
		json_object_array_add(vs, emu_vertex(e, j, x));
	put(o, "vertices", vs);
	return o;
}

static json_object *emu_taskmanagers(struct emu *e)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	int n = e->m.taskmanagers, busy = emu_slots_used(&e->m);

	for (int t = 0; t < n; t++) {
		json_object *tm = json_object_new_object(), *hw = json_object_new_object();
		char path[160];
		int used = (busy + n - 1 - t) / n;

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
	bool adaptive = e->m.sched == EMU_SCHED_ADAPTIVE;

	put(p, "lowerBound", ji(adaptive ? e->m.lower : 1));
	put(p, "upperBound", ji(adaptive ? e->m.upper : e->m.parallelism));
	put(v, "parallelism", p);
	put(o, EMU_VERTEX_ID, v);
	for (int x = 1; x < e->m.g.n; x++) /* all at the same bounds */
		put(o, e->m.g.v[x].id, json_object_get(v));
	return o;
}

/* An int member of o into *out, when present and an integer. */
static bool emu_int(json_object *o, const char *key, int *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int(v);
	return true;
}

/* PUT resource-requirements: {"VID":{"parallelism":{"lowerBound":L,
 * "upperBound":U}}}; the job restarts at min(U, slots). */
static json_object *emu_set_requirements(struct emu *e, const char *body,
					 struct buf *out, int *code)
{
	json_object *o = body ? json_tokener_parse(body) : NULL, *v, *p;
	int lower = 1, upper;
	char msg[256];

	if (!o || !json_object_object_get_ex(o, EMU_VERTEX_ID, &v) ||
	    !json_object_object_get_ex(v, "parallelism", &p) ||
	    !emu_int(p, "upperBound", &upper) ||
	    (json_object_object_get_ex(p, "lowerBound", NULL) &&
	     !emu_int(p, "lowerBound", &lower))) {
		json_object_put(o);
		return emu_error_exc(out, code, 400, EMU_REST_EXC,
				     "Request did not match expected format "
				     "JobResourceRequirementsBody.");
	}
	json_object_put(o);
	if (e->m.sched != EMU_SCHED_ADAPTIVE)
		return emu_error_exc(out, code, 400, EMU_REST_EXC,
				     "Job is not using the adaptive scheduler.");
	if (lower < 1 || upper < lower || upper > e->m.max_parallelism) {
		snprintf(msg, sizeof(msg), "Invalid parallelism bounds [%d, %d] "
			 "for vertex %s (max parallelism %d).", lower, upper,
			 EMU_VERTEX_ID, e->m.max_parallelism);
		return emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
	}
	emu_model_set_bounds(&e->m, lower, upper);
	return json_object_new_object(); /* EmptyResponseBody */
}

static json_object *emu_control_state(struct emu *e)
{
	static const char *const jm_states[] = { "up", "down", "electing" };
	json_object *o = json_object_new_object();
	struct emu_job *j = emu_job_current(e);

	put(o, "input-rate", json_object_new_double(e->m.input_rate));
	put(o, "taskmanagers", ji(e->m.taskmanagers));
	put(o, "parallelism", ji(e->m.parallelism));
	put(o, "state", js(j ? emu_job_state(e, j) : "FINISHED"));
	put(o, "backlog", ji((int64_t)e->m.backlog));
	put(o, "busy-ratio", json_object_new_double(e->m.busy));
	put(o, "restarts", ji(e->m.restarts));
	put(o, "time-ms", ji(e->m.now_ms));
	put(o, "mode", js(fh_mode_name((enum fh_mode)e->m.sched)));
	put(o, "jobid", js(j ? j->jid : ""));
	put(o, "savepoints", ji(e->savepoints));
	put(o, "savepoints-failed", ji(e->savepoints_failed));
	put(o, "savepoint-fails", ji(e->savepoint_fails));
	put(o, "submissions", ji(e->submissions));
	put(o, "checkpoints", ji(j ? j->cp.completed : 0));
	put(o, "cancels", ji(e->cancels));
	put(o, "cancels-lost", ji(e->cancels_lost));
	put(o, "jm-delay", ji(e->jm_delay_ms));
	put(o, "jobmanager", js(jm_states[emu_jm_state(e)]));
	put(o, "jobmanager-restarts", ji(e->jm_restarts));
	return o;
}

/* A non-negative number from /control's query; -1 when absent, -2 bad. */
static double emu_query_num(emu_arg_fn arg, void *ud, const char *key)
{
	const char *s = arg ? arg(ud, key) : NULL;
	char *end;
	double v;

	if (!s)
		return -1;
	v = strtod(s, &end);
	return end == s || *end || !(v >= 0) ? -2 : v;
}

/* The injected faults of /control (-1: not asked); -1 on a bad value. */
static int emu_control_faults(struct emu *e, double hang, double bad,
			      double delay)
{
	if (hang == -2 || bad == -2 || delay == -2 || delay > 60000)
		return -1;
	if (delay >= 0)
		e->jm_delay_ms = (int)delay;
	if (hang >= 0 && emu_tm_fault(e, (int)hang - 1, true, true))
		return -1;
	if (bad >= 0 && emu_tm_fault(e, (int)bad - 1, false, true))
		return -1;
	return 0;
}

static json_object *emu_control(struct emu *e, emu_arg_fn arg, void *ud,
				struct buf *out, int *code)
{
	double rate = emu_query_num(arg, ud, "input-rate");
	double tms = emu_query_num(arg, ud, "taskmanagers");
	double fails = emu_query_num(arg, ud, "savepoint-fails");
	double jm = emu_query_num(arg, ud, "jobmanager-restart");
	double speed = emu_query_num(arg, ud, "speed");
	double hang = emu_query_num(arg, ud, "tm-hang");
	double bad = emu_query_num(arg, ud, "tm-malformed");
	double delay = emu_query_num(arg, ud, "jm-delay");

	if (rate == -2 || tms == -2 || fails == -2 || fails > 1e6 ||
	    jm == -2 || jm > 86400 || speed == -2 || speed > 1000)
		return emu_error(out, code, 400, "input-rate, taskmanagers, "
				 "savepoint-fails, jobmanager-restart and speed "
				 "take non-negative numbers");
	if (rate >= 0)
		e->m.input_rate = rate;
	if (speed >= 0)
		e->speed = speed; /* 0: the model stands still */
	if (speed > 0)
		e->m.cpu_scale = 1 / speed;
	if (fails >= 0)
		e->savepoint_fails = (int)fails;
	if (tms >= 0 && (tms > EMU_MAX_TM || emu_set_tms(e, (int)tms)))
		return emu_error(out, code, 400, "cannot start the TaskManagers");
	if (jm >= 0)
		emu_jm_restart(e, jm);
	if (emu_control_faults(e, hang, bad, delay))
		return emu_error(out, code, 400, "tm-hang and tm-malformed take "
				 "a running TaskManager (from 1) or 0, jm-delay "
				 "milliseconds up to 60000");
	return emu_control_state(e);
}

/* /jobs/ID...: rest is what follows the id. */
static json_object *emu_job_route(struct emu *e, const char *method,
				  const char *jid, const char *rest,
				  emu_arg_fn arg, void *ud, const char *body,
				  struct buf *out, int *code)
{
	bool get = strcmp(method, "GET") == 0;
	struct emu_job *j = emu_job_find(e, jid);
	bool active = j && j->state == EMU_JOB_ACTIVE, handled;
	char vid[80];
	json_object *o;
	size_t n;

	o = emu_save_route(e, get, jid, rest, body, out, code, &handled);
	if (handled)
		return o;
	o = emu_cp_route(e, method, jid, rest, arg, ud, out, code, &handled);
	if (handled)
		return o;
	if (get && *rest == '\0')
		return j ? emu_job(e, j) : emu_job_not_found(out, code, jid);
	if (get && strcmp(rest, "/plan") == 0)
		return j ? emu_plan(e, j) : emu_job_not_found(out, code, jid);
	if (strcmp(rest, "/resource-requirements") == 0) {
		if (!active)
			return emu_job_not_found(out, code, jid);
		return get ? emu_requirements(e)
			   : emu_set_requirements(e, body, out, code);
	}
	if (get && strncmp(rest, "/vertices/", 10) == 0 &&
	    (n = strcspn(rest + 10, "/")) < sizeof(vid) &&
	    strcmp(rest + 10 + n, "/subtasks/metrics") == 0) {
		snprintf(vid, sizeof(vid), "%.*s", (int)n, rest + 10);
		return emu_subtask_metrics(e, jid, vid, arg, ud, out, code);
	}
	return NULL;
}

/* The answer for url (lock held); NULL with out and *code set when none. */
static json_object *emu_route(struct emu *e, const char *method,
			      const char *url, emu_arg_fn arg, void *ud,
			      const char *body, struct buf *out, int *code)
{
	bool get = strcmp(method, "GET") == 0, handled;
	char msg[600], jid[80];
	json_object *o = NULL;

	if (strcmp(url, "/control") == 0)
		return get ? emu_control_state(e) : emu_control(e, arg, ud, out, code);
	if (emu_jm_state(e) != EMU_JM_UP)
		return emu_error(out, code, 503, "Service temporarily unavailable "
				 "due to an ongoing leader election. Please "
				 "refresh.");
	if (get && strcmp(url, "/overview") == 0)
		return emu_overview(e);
	if (get && strcmp(url, "/jobs/overview") == 0)
		return emu_jobs_overview(e);
	if (get && strcmp(url, "/taskmanagers") == 0)
		return emu_taskmanagers(e);
	if (strncmp(url, "/jobs/", 6) == 0 && url[6]) {
		size_t n = strcspn(url + 6, "/");

		snprintf(jid, sizeof(jid), "%.*s", (int)(n < 79 ? n : 79), url + 6);
		if (!emu_check_id(jid, "jobid", out, code))
			return NULL;
		o = emu_job_route(e, method, jid, url + 6 + n, arg, ud, body,
				  out, code);
	} else if (strncmp(url, "/jars", 5) == 0) {
		o = emu_save_route(e, get, NULL, url, body, out, code, &handled);
	}
	if (o || *code != 200)
		return o;
	snprintf(msg, sizeof(msg), "Not found: %.500s", url);
	return emu_error(out, code, 404, msg);
}

void emu_rest_delay(struct emu *e, const char *url)
{
	int ms;

	if (strcmp(url, "/control") == 0)
		return;
	pthread_mutex_lock(&e->mu);
	ms = e->jm_delay_ms;
	pthread_mutex_unlock(&e->mu);
	if (ms > 0)
		nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L },
			  NULL);
}

bool emu_rest_down(struct emu *e, const char *url)
{
	bool down;

	if (strcmp(url, "/control") == 0)
		return false;
	pthread_mutex_lock(&e->mu);
	down = emu_jm_state(e) == EMU_JM_DOWN;
	pthread_mutex_unlock(&e->mu);
	return down;
}

int emu_rest(struct emu *e, const char *method, const char *url,
	     emu_arg_fn arg, void *arg_ud, const char *body, struct buf *out,
	     int *code)
{
	json_object *o;
	int rc = 0;

	*code = 200;
	pthread_mutex_lock(&e->mu);
	o = emu_route(e, method, url, arg, arg_ud, body, out, code);
	pthread_mutex_unlock(&e->mu);
	if (o) {
		rc = emu_json_out(out, o);
		json_object_put(o);
	}
	return rc;
}
