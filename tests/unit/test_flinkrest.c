/*
 * test_flinkrest.c - the Flink REST client (adapter/flinkrest.c) against
 * the Flink emulator running in this process (hack/emu, REST on a free
 * port) and against canned and broken servers:
 *
 *   - reactive: jobs, vertices, slots; the job follows new TaskManagers;
 *   - adaptive: requirements read and put, the job restarts at
 *     min(upper bound, slots); Flink's 400 reaches the error message;
 *   - savepoint mode: stop-with-savepoint, IN_PROGRESS then COMPLETED with
 *     a location, the job FINISHED; the jar listed and run from the
 *     savepoint at a new parallelism as a new job; more parallelism than
 *     slots cannot be scheduled until a TaskManager joins; an unknown
 *     savepoint gives a FAILED job; an injected savepoint failure comes
 *     back with its cause and the job keeps running;
 *   - checkpoints: the latest completed one and the retention read, the
 *     job cancelled (PATCH, then again: accepted), run again from that
 *     checkpoint (restored from it); a FINISHED job's cancel is 409
 *     (ERR_STATE), an unknown job's 404; checkpointing off: ERR_NOTFOUND;
 *   - unknown job and trigger ids: 404 with Flink's message naming them;
 *   - malformed answers (not JSON, wrong types, bad ids, too deep, NUL
 *     bytes, trailing data), HTTP errors with and without Flink's errors;
 *   - an answer over the 4 MiB cap (with and without Content-Length),
 *     a port nobody listens on, a server that never answers (timeout).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "adapter/flink/flinkrest.h"
#include "common/str.h"
#include "hack/emu/emu.h"

#define JAR "0c4bd4b7-7b3a-4a7e-bb5a-2a9c3e1f0d11_orders-enrichment.jar"
#define ENTRY "com.example.OrdersEnrichment"
#define WAIT_MS 15000

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* ---- an emulator in this process ---- */

struct rig {
	struct emu *e;
	struct fr_client *c;
	struct err er;
};

static void rig_start(struct rig *r, int sched, int tms, int par,
		      int restart_ms)
{
	struct emu_settings s = {
		.taskmanagers = tms, .slots = 2, .metrics_port = 0,
		.rest_port = 0, .max_parallelism = 128, .parallelism = par,
		.address_base = "127.0.1.1", .rest_address = "127.0.0.1",
		.job_name = "orders-enrichment", .jar_id = JAR,
		.entry_class = ENTRY, .sched = sched, .input_rate = 500,
		.slot_capacity = 1000, .speed = 1, .restart_ms = restart_ms,
		.savepoint_ms = 600,
	};
	char url[64];

	memset(r, 0, sizeof(*r));
	r->e = calloc(1, sizeof(*r->e));
	assert_non_null(r->e);
	assert_int_equal(emu_start(r->e, &s, &r->er), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", emu_rest_port(r->e));
	r->c = fr_new(url, 5000, &r->er);
	assert_non_null(r->c);
}

static void rig_stop(struct rig *r)
{
	fr_free(r->c);
	emu_stop(r->e);
	free(r->e);
}

static void rig_set_tms(struct rig *r, int n)
{
	pthread_mutex_lock(&r->e->mu);
	assert_int_equal(emu_set_tms(r->e, n), 0);
	pthread_mutex_unlock(&r->e->mu);
}

/* Poll GET /jobs/ID until the job is in state with its vertex at
 * parallelism p and task status vstatus (NULL: any). */
static void wait_job(struct rig *r, const char *job, const char *state,
		     int p, const char *vstatus)
{
	int64_t deadline = mono_ms() + WAIT_MS;
	struct jmp_job d;

	for (;;) {
		assert_int_equal(fr_job(r->c, job, &d, &r->er), 0);
		assert_int_equal(d.n, 1);
		if (strcmp(d.state, state) == 0 && d.v[0].parallelism == p &&
		    (!vstatus || strcmp(d.v[0].status, vstatus) == 0))
			return;
		if (mono_ms() > deadline)
			fail_msg("job %s is %s at %lld (%s), want %s at %d", job,
				 d.state, (long long)d.v[0].parallelism, d.v[0].status,
				 state, p);
		sleep_ms(50);
	}
}

/* Poll a savepoint until it is no longer in progress; returns how many
 * answers said IN_PROGRESS. */
static int wait_savepoint(struct rig *r, const char *job, const char *trig,
			  struct fr_savepoint *sp)
{
	int64_t deadline = mono_ms() + WAIT_MS;
	int in_progress = 0;

	for (;;) {
		assert_int_equal(fr_savepoint_status(r->c, job, trig, sp, &r->er), 0);
		if (sp->status != FR_SP_IN_PROGRESS)
			return in_progress;
		in_progress++;
		assert_null(sp->location);
		assert_true(mono_ms() < deadline);
		sleep_ms(50);
	}
}

static void reactive__jobs_vertices_slots(void **state)
{
	struct rig r;
	struct fr_overview ov;
	struct jmp_slots tms;
	struct jmp_jobs jobs;
	struct jmp_job d;

	(void)state;
	rig_start(&r, EMU_SCHED_REACTIVE, 2, 0, 300);
	assert_int_equal(fr_overview(r.c, &ov, &r.er), 0);
	assert_int_equal(ov.taskmanagers, 2);
	assert_int_equal(ov.slots_total, 4);
	assert_int_equal(ov.slots_available, 0);
	assert_int_equal(ov.jobs_running, 1);
	assert_int_equal(fr_taskmanagers(r.c, &tms, &r.er), 0);
	assert_int_equal(tms.taskmanagers, 2);
	assert_int_equal(tms.total, 4);
	assert_int_equal(tms.free, 0);
	assert_int_equal(fr_jobs(r.c, &jobs, &r.er), 0);
	assert_int_equal(jobs.n, 1);
	assert_string_equal(jobs.v[0].id, EMU_JOB_ID);
	assert_string_equal(jobs.v[0].state, "RUNNING");
	assert_string_equal(jobs.v[0].name, "orders-enrichment");
	jmp_jobs_release(&jobs);
	assert_int_equal(fr_job(r.c, EMU_JOB_ID, &d, &r.er), 0);
	assert_string_equal(d.id, EMU_JOB_ID);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].id, EMU_VERTEX_ID);
	assert_int_equal(d.v[0].parallelism, 4);
	assert_int_equal(d.v[0].max_parallelism, 128);
	assert_string_equal(d.v[0].status, "RUNNING");
	rig_set_tms(&r, 3); /* reactive: the job follows the 6 slots */
	wait_job(&r, EMU_JOB_ID, "RUNNING", 6, "RUNNING");
	assert_int_equal(fr_taskmanagers(r.c, &tms, &r.er), 0);
	assert_int_equal(tms.taskmanagers, 3);
	assert_int_equal(tms.free, 0);
	assert_int_equal(r.e->m.restarts, 1);
	rig_stop(&r);
}

static void put_upper(struct rig *r, int lower, int upper, int want_rc)
{
	struct fr_bounds b = { EMU_VERTEX_ID, lower, upper };
	struct fr_requirements req = { &b, 1 };

	assert_int_equal(fr_put_requirements(r->c, EMU_JOB_ID, &req, &r->er),
			 want_rc);
}

static void adaptive__put_requirements_restarts_job(void **state)
{
	struct rig r;
	struct fr_requirements req;
	struct jmp_job d;

	(void)state;
	rig_start(&r, EMU_SCHED_ADAPTIVE, 3, 2, 1000); /* 6 slots, P 2 */
	assert_int_equal(fr_get_requirements(r.c, EMU_JOB_ID, &req, &r.er), 0);
	assert_int_equal(req.n, 1);
	assert_string_equal(req.v[0].vertex, EMU_VERTEX_ID);
	assert_int_equal(req.v[0].lower, 1);
	assert_int_equal(req.v[0].upper, 2);
	fr_requirements_release(&req);
	put_upper(&r, 1, 4, 0);
	assert_int_equal(fr_job(r.c, EMU_JOB_ID, &d, &r.er), 0);
	assert_string_equal(d.state, "RESTARTING"); /* for 1 s */
	assert_int_equal(d.v[0].parallelism, 4);
	wait_job(&r, EMU_JOB_ID, "RUNNING", 4, "RUNNING");
	assert_int_equal(fr_get_requirements(r.c, EMU_JOB_ID, &req, &r.er), 0);
	assert_int_equal(req.v[0].upper, 4);
	fr_requirements_release(&req);
	put_upper(&r, 1, 10, 0); /* only 6 slots */
	wait_job(&r, EMU_JOB_ID, "RUNNING", 6, "RUNNING");
	assert_int_equal(r.e->m.restarts, 2);
	put_upper(&r, 0, 4, ERR_INVAL); /* refused before any request */
	assert_non_null(strstr(r.er.msg, "lower"));
	assert_int_equal(r.e->m.restarts, 2);
	put_upper(&r, 1, 129, ERR_INVAL); /* Flink's 400, first line kept */
	assert_non_null(strstr(r.er.msg, "HTTP 400: org.apache.flink.runtime."
			       "rest.handler.RestHandlerException: Invalid "
			       "parallelism bounds [1, 129]"));
	assert_null(strstr(r.er.msg, "\tat "));
	rig_stop(&r);
}

/* stop-with-savepoint of job into /tmp/sp: its location. */
static char *stop_job(struct rig *r, const char *job)
{
	char trig[JMP_ID_LEN];
	struct fr_savepoint sp;
	char *loc;

	assert_int_equal(fr_stop_with_savepoint(r->c, job, "/tmp/sp", false,
						trig, &r->er), 0);
	assert_int_equal(strlen(trig), 32);
	assert_true(wait_savepoint(r, job, trig, &sp) >= 1);
	assert_int_equal(sp.status, FR_SP_COMPLETED);
	assert_null(sp.failure);
	loc = sp.location;
	sp.location = NULL;
	fr_savepoint_release(&sp);
	return loc;
}

static void run_jar(struct rig *r, int p, const char *sp, char job[JMP_ID_LEN])
{
	static const char *const args[] = { "--topic", "orders" };
	struct fr_run run = { p, sp, false, NULL, args, 2 };

	assert_int_equal(fr_jar_run(r->c, JAR, &run, job, &r->er), 0);
	assert_int_equal(strlen(job), 32);
}

static void savepoint__stop_then_run_at_new_parallelism(void **state)
{
	struct rig r;
	struct fr_jar jar;
	struct jmp_jobs jobs;
	struct fr_overview ov;
	char job[JMP_ID_LEN], job2[JMP_ID_LEN], *loc;

	(void)state;
	rig_start(&r, EMU_SCHED_DEFAULT, 2, 2, 300); /* 4 slots, P 2 */
	rig_set_tms(&r, 3); /* the default scheduler does not follow */
	wait_job(&r, EMU_JOB_ID, "RUNNING", 2, "RUNNING");
	loc = stop_job(&r, EMU_JOB_ID);
	assert_true(str_has_prefix(loc, "/tmp/sp/savepoint-3c1bf1-"));
	assert_int_equal(strlen(loc), strlen("/tmp/sp/savepoint-3c1bf1-") + 12);
	wait_job(&r, EMU_JOB_ID, "FINISHED", 2, "FINISHED");
	assert_int_equal(fr_jars(r.c, &jar, &r.er), 0);
	assert_string_equal(jar.id, JAR);
	assert_string_equal(jar.name, "orders-enrichment.jar");
	assert_string_equal(jar.entry, ENTRY);
	run_jar(&r, 5, loc, job);
	assert_string_not_equal(job, EMU_JOB_ID);
	wait_job(&r, job, "RUNNING", 5, "RUNNING");
	assert_int_equal(fr_overview(r.c, &ov, &r.er), 0);
	assert_int_equal(ov.slots_available, 1);
	assert_int_equal(fr_jobs(r.c, &jobs, &r.er), 0);
	assert_int_equal(jobs.n, 2);
	assert_string_equal(jobs.v[0].id, job);
	assert_string_equal(jobs.v[0].state, "RUNNING");
	assert_string_equal(jobs.v[1].id, EMU_JOB_ID);
	assert_string_equal(jobs.v[1].state, "FINISHED");
	jmp_jobs_release(&jobs);
	free(loc);
	/* more than the 6 slots: cannot be scheduled until a TM joins */
	loc = stop_job(&r, job);
	run_jar(&r, 8, loc, job2);
	wait_job(&r, job2, "RESTARTING", 8, "SCHEDULED");
	sleep_ms(500);
	wait_job(&r, job2, "RESTARTING", 8, "SCHEDULED");
	rig_set_tms(&r, 4);
	wait_job(&r, job2, "RUNNING", 8, "RUNNING");
	assert_int_equal(r.e->submissions, 2);
	assert_int_equal(r.e->savepoints, 2);
	free(loc);
	/* from a savepoint that does not exist: the new job fails */
	loc = stop_job(&r, job2);
	run_jar(&r, 2, "/tmp/sp/savepoint-000000-000000000000", job);
	wait_job(&r, job, "FAILED", 2, NULL);
	free(loc);
	fr_jar_release(&jar);
	rig_stop(&r);
}

static void savepoint__injected_failure_keeps_job_running(void **state)
{
	struct rig r;
	struct fr_savepoint sp;
	char trig[JMP_ID_LEN];

	(void)state;
	rig_start(&r, EMU_SCHED_DEFAULT, 1, 2, 300);
	pthread_mutex_lock(&r.e->mu);
	r.e->savepoint_fails = 1; /* what PUT /control?savepoint-fails=1 does */
	pthread_mutex_unlock(&r.e->mu);
	assert_int_equal(fr_stop_with_savepoint(r.c, EMU_JOB_ID, "/tmp/sp", false,
						trig, &r.er), 0);
	assert_true(wait_savepoint(&r, EMU_JOB_ID, trig, &sp) >= 1);
	assert_int_equal(sp.status, FR_SP_FAILED);
	assert_null(sp.location);
	assert_string_equal(sp.failure, "org.apache.flink.runtime.checkpoint."
			    "CheckpointException: Checkpoint expired before "
			    "completing.");
	fr_savepoint_release(&sp);
	wait_job(&r, EMU_JOB_ID, "RUNNING", 2, "RUNNING");
	assert_int_equal(r.e->savepoints_failed, 1);
	/* a savepoint without stopping: the job keeps running */
	assert_int_equal(fr_trigger_savepoint(r.c, EMU_JOB_ID, "/tmp/sp2", false,
					      trig, &r.er), 0);
	wait_savepoint(&r, EMU_JOB_ID, trig, &sp);
	assert_int_equal(sp.status, FR_SP_COMPLETED);
	assert_true(str_has_prefix(sp.location, "/tmp/sp2/savepoint-3c1bf1-"));
	fr_savepoint_release(&sp);
	wait_job(&r, EMU_JOB_ID, "RUNNING", 2, "RUNNING");
	rig_stop(&r);
}

static void checkpoints__cancel_and_resume(void **state)
{
	struct rig r;
	struct jmp_checkpoints c;
	struct jmp_cp_config cfg;
	char path[JMP_PATH_LEN], job[JMP_ID_LEN], *loc;
	int64_t deadline;

	(void)state;
	rig_start(&r, EMU_SCHED_DEFAULT, 1, 2, 100);
	pthread_mutex_lock(&r.e->mu);
	r.e->checkpoint_ms = 100;
	r.e->retention = EMU_RETAIN_KEEP;
	pthread_mutex_unlock(&r.e->mu);
	deadline = mono_ms() + WAIT_MS;
	do {
		sleep_ms(50);
		assert_int_equal(fr_checkpoints(r.c, EMU_JOB_ID, &c, &r.er), 0);
	} while (c.checkpoint.id < 2 && mono_ms() < deadline);
	assert_true(c.checkpoint.id >= 2);
	assert_int_equal(c.savepoint.id, 0);
	assert_true(str_has_prefix(c.checkpoint.path, "file:/tmp/flink-checkpoints/"
				   EMU_JOB_ID "/chk-"));
	assert_int_equal(fr_checkpoint_config(r.c, EMU_JOB_ID, &cfg, &r.er), 0);
	assert_true(cfg.externalized);
	assert_false(cfg.delete_on_cancel);
	assert_int_equal(cfg.interval_ms, 100);
	/* cancel, twice: both accepted, the job CANCELED */
	assert_int_equal(fr_cancel(r.c, EMU_JOB_ID, &r.er), 0);
	assert_int_equal(fr_cancel(r.c, EMU_JOB_ID, &r.er), 0);
	wait_job(&r, EMU_JOB_ID, "CANCELED", 2, "CANCELED");
	assert_int_equal(fr_checkpoints(r.c, EMU_JOB_ID, &c, &r.er), 0);
	assert_false(c.checkpoint.discarded);
	assert_ptr_equal(jmp_restore_point(&c, &cfg), &c.checkpoint);
	snprintf(path, sizeof(path), "%s", c.checkpoint.path);
	run_jar(&r, 1, path, job);
	wait_job(&r, job, "RUNNING", 1, "RUNNING");
	assert_int_equal(fr_checkpoints(r.c, job, &c, &r.er), 0);
	assert_string_equal(c.restore.path, path);
	assert_false(c.restore.savepoint);
	assert_int_equal(c.restored, 1);
	/* a stopped job is not cancelled: 409; an unknown one: 404 */
	loc = stop_job(&r, job);
	wait_job(&r, job, "FINISHED", 1, "FINISHED");
	err_clear(&r.er);
	assert_int_equal(fr_cancel(r.c, job, &r.er), ERR_STATE);
	assert_non_null(strstr(r.er.msg, "HTTP 409"));
	assert_non_null(strstr(r.er.msg, "was not canceled, but instead FINISHED."));
	assert_int_equal(fr_cancel(r.c, "0123456789abcdef0123456789abcdef", &r.er),
			 ERR_NOTFOUND);
	assert_non_null(strstr(r.er.msg, "Job could not be found."));
	assert_int_equal(fr_cancel(r.c, "../overview", &r.er), ERR_INVAL);
	free(loc);
	/* checkpointing off: 404 */
	pthread_mutex_lock(&r.e->mu);
	r.e->checkpoint_ms = 0;
	pthread_mutex_unlock(&r.e->mu);
	assert_int_equal(fr_checkpoints(r.c, job, &c, &r.er), ERR_NOTFOUND);
	assert_non_null(strstr(r.er.msg, "Checkpointing has not been enabled."));
	assert_int_equal(fr_checkpoint_config(r.c, job, &cfg, &r.er), ERR_NOTFOUND);
	rig_stop(&r);
}

static void unknown_ids__errors_name_them(void **state)
{
	static const char *ghost = "0123456789abcdef0123456789abcdef";
	struct rig r;
	struct jmp_job d;
	struct fr_savepoint sp;
	struct fr_run run = { 2, NULL, false, NULL, NULL, 0 };
	char job[JMP_ID_LEN], trig[JMP_ID_LEN];

	(void)state;
	rig_start(&r, EMU_SCHED_DEFAULT, 1, 2, 300);
	assert_int_equal(fr_job(r.c, ghost, &d, &r.er), ERR_NOTFOUND);
	assert_non_null(strstr(r.er.msg, "GET /jobs/0123456789abcdef0123456789abcdef: "
			       "HTTP 404: org.apache.flink.runtime.rest."
			       "NotFoundException: Job 0123456789abcdef0123456789abcdef "
			       "not found"));
	assert_int_equal(d.n, 0);
	assert_int_equal(fr_savepoint_status(r.c, EMU_JOB_ID, ghost, &sp, &r.er),
			 ERR_NOTFOUND);
	assert_non_null(strstr(r.er.msg, "There is no savepoint operation with "
			       "triggerId=0123456789abcdef0123456789abcdef"));
	/* Flink accepts a savepoint of an unknown job, then fails it */
	assert_int_equal(fr_stop_with_savepoint(r.c, ghost, "/tmp/sp", false,
						trig, &r.er), 0);
	wait_savepoint(&r, ghost, trig, &sp);
	assert_int_equal(sp.status, FR_SP_FAILED);
	assert_non_null(strstr(sp.failure, "FlinkJobNotFoundException: Could "
			       "not find Flink job (0123456789abcdef"));
	fr_savepoint_release(&sp);
	assert_int_equal(fr_jar_run(r.c, "nope.jar", &run, job, &r.er), ERR_INVAL);
	assert_non_null(strstr(r.er.msg, "nope.jar does not exist"));
	/* ids that are not ids never reach a URL */
	assert_int_equal(fr_job(r.c, "../overview", &d, &r.er), ERR_INVAL);
	assert_non_null(strstr(r.er.msg, "not 32 hex digits"));
	assert_int_equal(fr_jar_run(r.c, "a/../b", &run, job, &r.er), ERR_INVAL);
	assert_int_equal(fr_stop_with_savepoint(r.c, EMU_JOB_ID, "", false, trig,
						&r.er), ERR_INVAL);
	assert_int_equal(r.e->savepoints + r.e->savepoints_failed, 1);
	wait_job(&r, EMU_JOB_ID, "RUNNING", 2, "RUNNING");
	rig_stop(&r);
}

/* ---- canned answers ---- */

static struct canned {
	pthread_mutex_t mu;
	unsigned status;
	const char *body;
	size_t len;
	bool chunked;
	struct MHD_Daemon *d;
	char url[64];
} cn = { .mu = PTHREAD_MUTEX_INITIALIZER };

static ssize_t chunk_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	size_t len = (size_t)(uintptr_t)cls, n;

	if (pos >= len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = len - pos < max ? len - pos : max;
	memset(buf, ' ', n);
	return (ssize_t)n;
}

static enum MHD_Result canned_serve(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version, const char *data,
				    size_t *size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status;

	(void)cls; (void)url; (void)method; (void)version; (void)data;
	if (!*con_cls) { /* first call: headers only */
		*con_cls = &cn;
		return MHD_YES;
	}
	if (*size) {
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&cn.mu);
	status = cn.status;
	r = cn.chunked ? MHD_create_response_from_callback(
				 MHD_SIZE_UNKNOWN, 65536, chunk_cb,
				 (void *)(uintptr_t)cn.len, NULL)
		       : MHD_create_response_from_buffer(
				 cn.len, (void *)cn.body, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&cn.mu);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void canned(unsigned status, const char *body, size_t len)
{
	pthread_mutex_lock(&cn.mu);
	cn.status = status;
	cn.body = body;
	cn.len = len;
	cn.chunked = false;
	pthread_mutex_unlock(&cn.mu);
}

/* fr_jobs on body: want rc, and msg in the message when rc != 0. */
static void jobs_on(struct fr_client *c, const char *body, size_t len,
		    int want, const char *msg)
{
	struct jmp_jobs j;
	struct err er;

	err_clear(&er);
	canned(200, body, len);
	assert_int_equal(fr_jobs(c, &j, &er), want);
	if (want) {
		assert_null(j.v);
		assert_non_null(strstr(er.msg, msg));
		assert_non_null(strstr(er.msg, "GET /jobs/overview"));
	}
	jmp_jobs_release(&j);
}

#define CANNED(status, s) canned(status, s, sizeof(s) - 1)
#define JOBS_ON(c, s, want, msg) jobs_on(c, s, sizeof(s) - 1, want, msg)
#define J1 "{\"jid\":\"3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1\",\"name\":\"n\",\"state\":\"RUNNING\"}"

static void malformed__jobs_rejected(void **state)
{
	struct fr_client *c = fr_new(cn.url, 5000, NULL);
	char deep[400];

	(void)state;
	JOBS_ON(c, "{\"jobs\":[" J1 "," J1 "]}", 0, NULL); /* the control */
	JOBS_ON(c, "not json", ERR_INVAL, "not JSON");
	JOBS_ON(c, "", ERR_INVAL, "not JSON");
	JOBS_ON(c, "{\"jobs\":[]} []", ERR_INVAL, "trailing data");
	JOBS_ON(c, "{\"jobs\":[]}\0{}", ERR_INVAL, "not JSON");
	JOBS_ON(c, "{\"jobs\":[", ERR_INVAL, "not JSON");
	JOBS_ON(c, "[]", ERR_INVAL, "jobs: not in an object");
	JOBS_ON(c, "{\"jobs\":\"x\"}", ERR_INVAL, "jobs: wrong type, want an array");
	JOBS_ON(c, "{\"jobs\":[" J1 ",{\"jid\":7,\"name\":\"n\",\"state\":\"RUNNING\"}]}",
		ERR_INVAL, "jobs[1]: jid: wrong type");
	JOBS_ON(c, "{\"jobs\":[{\"jid\":\"../../etc/passwd/xxxxxxxxxxxxxxxx\","
		"\"name\":\"n\",\"state\":\"RUNNING\"}]}", ERR_INVAL,
		"is not 32 hex digits");
	JOBS_ON(c, "{\"jobs\":[{\"jid\":\"3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1\","
		"\"name\":\"n\",\"state\":\"running\"}]}", ERR_INVAL,
		"jobs[0]: state: \"running\" is not a state");
	JOBS_ON(c, "{\"jobs\":[" J1 ",{\"jid\":\"3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1\","
		"\"state\":\"RUNNING\"}]}", ERR_INVAL, "jobs[1]: name: missing");
	memset(deep, '[', sizeof(deep));
	jobs_on(c, deep, sizeof(deep), ERR_INVAL, "not JSON");
	fr_free(c);
}

static void malformed__job_savepoint_jars_rejected(void **state)
{
	struct fr_client *c = fr_new(cn.url, 5000, NULL);
	struct jmp_job d;
	struct fr_savepoint sp;
	struct fr_jar jar;
	struct err er;
	static const char pfx[] = "{\"jid\":\"3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1\","
		"\"name\":\"n\",\"state\":\"RUNNING\",\"vertices\":[{\"id\":"
		"\"cbc357ccb763df2852fee8c4fc7d55f2\",\"name\":\"v\",\"status\":"
		"\"RUNNING\",\"parallelism\":";
	char body[512];

	(void)state;
	snprintf(body, sizeof(body), "%s%s", pfx, "3}]}");
	canned(200, body, strlen(body));
	assert_int_equal(fr_job(c, EMU_JOB_ID, &d, &er), 0);
	assert_int_equal(d.v[0].parallelism, 3);
	assert_int_equal(d.v[0].max_parallelism, 0); /* absent */
	snprintf(body, sizeof(body), "%s%s", pfx, "0}]}");
	canned(200, body, strlen(body));
	assert_int_equal(fr_job(c, EMU_JOB_ID, &d, &er), ERR_INVAL);
	assert_non_null(strstr(er.msg, "vertices[0]: parallelism: 0 is out of range"));
	assert_int_equal(d.n, 0);
	snprintf(body, sizeof(body), "%s%s", pfx, "99999999999999999999999}]}");
	canned(200, body, strlen(body));
	assert_int_equal(fr_job(c, EMU_JOB_ID, &d, &er), ERR_INVAL);
	snprintf(body, sizeof(body), "%s%s", pfx, "2.5}]}");
	canned(200, body, strlen(body));
	assert_int_equal(fr_job(c, EMU_JOB_ID, &d, &er), ERR_INVAL);
	CANNED(200, "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":null}");
	assert_int_equal(fr_savepoint_status(c, EMU_JOB_ID, EMU_JOB_ID, &sp, &er),
			 ERR_INVAL);
	assert_non_null(strstr(er.msg, "operation"));
	CANNED(200, "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{}}");
	assert_int_equal(fr_savepoint_status(c, EMU_JOB_ID, EMU_JOB_ID, &sp, &er),
			 ERR_INVAL);
	assert_non_null(strstr(er.msg, "neither location nor failure-cause"));
	CANNED(200, "{\"status\":{\"id\":\"MAYBE\"}}");
	assert_int_equal(fr_savepoint_status(c, EMU_JOB_ID, EMU_JOB_ID, &sp, &er),
			 ERR_INVAL);
	assert_null(sp.location);
	CANNED(200, "{\"address\":\"x\",\"files\":[]}");
	assert_int_equal(fr_jars(c, &jar, &er), ERR_NOTFOUND);
	CANNED(200, "{\"files\":[{\"id\":\"../x.jar\",\"name\":\"x\",\"entry\":[]}]}");
	assert_int_equal(fr_jars(c, &jar, &er), ERR_INVAL);
	assert_null(jar.id);
	fr_free(c);
}

static void http_errors__flink_messages(void **state)
{
	static const char two[] = "{\"errors\":[\"Internal server error.\","
		"\"<Exception on server side:\\njava.lang.NullPointerException\\n"
		"\\tat x\"]}";
	struct fr_client *c = fr_new(cn.url, 5000, NULL);
	struct fr_overview ov;
	struct err er;

	(void)state;
	canned(500, two, sizeof(two) - 1);
	assert_int_equal(fr_overview(c, &ov, &er), ERR_IO);
	assert_string_equal(er.msg, "GET /overview: HTTP 500: Internal server "
			    "error.; <Exception on server side:");
	CANNED(503, "<html>busy</html>");
	assert_int_equal(fr_overview(c, &ov, &er), ERR_IO);
	assert_string_equal(er.msg, "GET /overview: HTTP 503: (no Flink error "
			    "message)");
	CANNED(409, "{\"errors\":[]}");
	assert_int_equal(fr_overview(c, &ov, &er), ERR_STATE);
	fr_free(c);
}

static void limits__body_over_cap(void **state)
{
	size_t big = FR_MAX_BODY + 1024, ok = 3 << 20;
	char *body = malloc(big);
	struct fr_client *c = fr_new(cn.url, 10000, NULL);
	struct jmp_jobs j;
	struct err er;

	(void)state;
	assert_non_null(body);
	memset(body, ' ', big);
	memcpy(body, "{\"jobs\":[]}", 11);
	canned(200, body, ok); /* 3 MiB: under the cap */
	assert_int_equal(fr_jobs(c, &j, &er), 0);
	assert_int_equal(j.n, 0);
	canned(200, body, big); /* with Content-Length */
	assert_int_equal(fr_jobs(c, &j, &er), ERR_LIMIT);
	assert_non_null(strstr(er.msg, "larger than 4194304 bytes"));
	pthread_mutex_lock(&cn.mu);
	cn.chunked = true; /* without: found while reading */
	pthread_mutex_unlock(&cn.mu);
	assert_int_equal(fr_jobs(c, &j, &er), ERR_LIMIT);
	canned(200, body, ok); /* the client is still usable */
	assert_int_equal(fr_jobs(c, &j, &er), 0);
	fr_free(c);
	free(body);
}

/* ---- transport ---- */

static int loopback_socket(int *port, bool do_listen)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

static void transport__dead_port_and_timeout(void **state)
{
	struct fr_client *c;
	struct fr_overview ov;
	struct err er;
	char url[64];
	int port, fd;
	int64_t t0, took;

	(void)state;
	fd = loopback_socket(&port, false);
	close(fd); /* nothing listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	c = fr_new(url, 2000, &er);
	assert_int_equal(fr_overview(c, &ov, &er), ERR_IO);
	assert_non_null(strstr(er.msg, url));
	fr_free(c);
	fd = loopback_socket(&port, true); /* listens, never accepts */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	c = fr_new(url, 400, &er);
	t0 = mono_ms();
	assert_int_equal(fr_overview(c, &ov, &er), ERR_IO);
	took = mono_ms() - t0;
	assert_true(took >= 350 && took < 3000);
	assert_non_null(strstr(er.msg, "no answer within 400 ms"));
	fr_free(c);
	close(fd);
	assert_null(fr_new(NULL, 1000, &er));
	assert_null(fr_new("ftp://x", 1000, &er));
	assert_null(fr_new("http://", 1000, &er));
	assert_null(fr_new("http://a b", 1000, &er));
	assert_null(fr_new("http://x", 0, &er));
	assert_int_equal(er.code, ERR_INVAL);
	fr_free(NULL);
}

static int setup(void **state)
{
	const union MHD_DaemonInfo *i;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cn.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				canned_serve, NULL, MHD_OPTION_END);
	if (!cn.d)
		return -1;
	i = MHD_get_daemon_info(cn.d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(cn.url, sizeof(cn.url), "http://127.0.0.1:%d", i->port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(cn.d);
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reactive__jobs_vertices_slots),
		cmocka_unit_test(adaptive__put_requirements_restarts_job),
		cmocka_unit_test(savepoint__stop_then_run_at_new_parallelism),
		cmocka_unit_test(savepoint__injected_failure_keeps_job_running),
		cmocka_unit_test(checkpoints__cancel_and_resume),
		cmocka_unit_test(unknown_ids__errors_name_them),
		cmocka_unit_test(malformed__jobs_rejected),
		cmocka_unit_test(malformed__job_savepoint_jars_rejected),
		cmocka_unit_test(http_errors__flink_messages),
		cmocka_unit_test(limits__body_over_cap),
		cmocka_unit_test(transport__dead_port_and_timeout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
