/*
 * test_jobpick.c - the JobManager poller (collect/jobmgr.c) and the sync
 * controller's Flink view (sync/syncflink.c) follow the same job: both
 * are asked about one JobManager (a small HTTP server in this process
 * answering by path from a table of /jobs/overview bodies) and must
 * choose the same job id as jmp_pick, for every body of the table (names
 * as written and as in metric labels, live before ended, newest first).
 *
 * Also issue 17 item 5: when one vertex's aggregates come back [] the
 * poller still serves the job's parallelism, slots and the values of the
 * other vertices; only the values that vertex feeds keep their last value
 * and go stale on their own.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "adapter/collect/jobmgr.h"
#include "adapter/flink/jmparse.h"
#include "adapter/sync/syncflink.h"

#define V1 "cbc357ccb763df2852fee8c4fc7d55f2"
#define V2 "0a448493b4782967b150582570326227"

static struct {
	pthread_mutex_t mu;
	const char *overview;     /* /jobs/overview */
	const char *agg2;         /* vertex 2's aggregates */
	char last_job[40];        /* the last /jobs/ID asked for */
	struct MHD_Daemon *d;
	char url[64];
} srv = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const char *answer(const char *url)
{
	static const char tms[] = "{\"taskmanagers\":[{\"slotsNumber\":2,"
		"\"freeSlots\":0},{\"slotsNumber\":2,\"freeSlots\":1}]}";
	static const char ids[] = "[{\"id\":\"busyTimeMsPerSecond\"},"
		"{\"id\":\"Source__orders.pendingRecords\"}]";
	static const char agg[] = "[{\"id\":\"busyTimeMsPerSecond\",\"min\":1,"
		"\"max\":500,\"sum\":600},{\"id\":\"Source__orders.pendingRecords\","
		"\"min\":1,\"max\":2,\"sum\":30}]";
	static char job[512];
	const char *id = url + strlen("/jobs/");

	if (!strcmp(url, "/taskmanagers"))
		return tms;
	if (!strcmp(url, "/jobs/overview"))
		return srv.overview;
	if (strstr(url, "/subtasks/metrics"))
		return strstr(url, "get=") ? strstr(url, V2) ? srv.agg2 : agg
					   : ids;
	if (strncmp(url, "/jobs/", 6) || strlen(id) != 32)
		return NULL;
	memcpy(srv.last_job, id, 33);
	snprintf(job, sizeof(job), "{\"jid\":\"%.32s\",\"name\":\"n\",\"state\":"
		 "\"RUNNING\",\"vertices\":[{\"id\":\"" V1 "\",\"status\":"
		 "\"RUNNING\",\"parallelism\":3},{\"id\":\"" V2 "\",\"status\":"
		 "\"RUNNING\",\"parallelism\":2,\"maxParallelism\":128}]}", id);
	return job;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c,
			     const char *url, const char *method,
			     const char *version, const char *upload,
			     size_t *upload_size, void **ctx)
{
	char full[1024];
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						    "get");
	const char *body;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)method, (void)version, (void)upload, (void)upload_size;
	if (!*ctx) {
		*ctx = c;
		return MHD_YES;
	}
	snprintf(full, sizeof(full), "%s%s%s", url, q ? "?get=" : "",
		 q ? q : "");
	pthread_mutex_lock(&srv.mu);
	body = answer(full);
	r = MHD_create_response_from_buffer(body ? strlen(body) : 2,
					    (void *)(body ? body : "{}"),
					    MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&srv.mu);
	ret = MHD_queue_response(c, body ? 200 : 404, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	const union MHD_DaemonInfo *i;

	(void)state;
	srv.agg2 = "[]";
	srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				 serve, NULL, MHD_OPTION_END);
	if (!srv.d || !(i = MHD_get_daemon_info(srv.d,
						MHD_DAEMON_INFO_BIND_PORT)))
		return -1;
	snprintf(srv.url, sizeof(srv.url), "http://127.0.0.1:%u",
		 (unsigned)i->port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(srv.d);
	return 0;
}

#define JOB(id, name, state, start) \
	"{\"jid\":\"" id "\",\"name\":\"" name "\",\"state\":\"" state \
	"\",\"start-time\":" #start "}"
#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define C "cccccccccccccccccccccccccccccccc"

static const struct {
	const char *overview, *want, *picked; /* picked: NULL none */
	bool running;                          /* the pick is RUNNING */
} cases[] = {
	/* the newest of two RUNNING (syncflink took the first listed) */
	{ "{\"jobs\":[" JOB(A, "orders-enrichment", "RUNNING", 1) ","
	  JOB(B, "orders-enrichment", "RUNNING", 2) "]}",
	  "orders-enrichment", B, true },
	/* named as in metric labels (syncflink compared exactly) */
	{ "{\"jobs\":[" JOB(A, "orders-enrichment", "CANCELED", 5) ","
	  JOB(B, "orders-enrichment", "RUNNING", 2) "]}",
	  "orders_enrichment", B, true },
	/* live before ended, even when the ended one is newer */
	{ "{\"jobs\":[" JOB(B, "j", "RUNNING", 1) "," JOB(A, "j", "FINISHED", 9)
	  "]}", "j", B, true },
	/* live but not RUNNING: picked by both; the poller does not read it */
	{ "{\"jobs\":[" JOB(A, "j", "RUNNING", 1) "," JOB(B, "j", "RESTARTING", 2)
	  "]}", "j", B, false },
	/* only ended ones: the newest (the sync controller looks at it) */
	{ "{\"jobs\":[" JOB(A, "j", "FINISHED", 3) "," JOB(C, "j", "CANCELED", 1)
	  "]}", "j", A, false },
	/* other names do not count */
	{ "{\"jobs\":[" JOB(A, "x", "RUNNING", 1) "," JOB(C, "j", "RUNNING", 0)
	  "]}", "j", C, true },
	{ "{\"jobs\":[" JOB(A, "x", "RUNNING", 1) "]}", "j", NULL, false },
};

static struct jobmgr *poller(struct store **st, struct ex_spec **spec,
			     const char *job)
{
	struct jm_opts o = { 1000, 5000, 1 << 20 };
	struct jm_target t = { .ns = "ns", .deployment = "dep", .job = job,
			       .url = srv.url };
	struct jobmgr *m;

	*spec = ex_spec_new(NULL, 0, NULL);
	*st = store_new(*spec, 15000);
	assert_non_null(*st);
	m = jobmgr_new(&o, *st, NULL);
	assert_non_null(m);
	assert_int_equal(jobmgr_set_targets(m, &t, 1, NULL), 0);
	return m;
}

static void pollers_pick_the_same_job(void **state)
{
	(void)state;
	pthread_mutex_lock(&srv.mu);
	srv.agg2 = "[{\"id\":\"busyTimeMsPerSecond\",\"max\":9}]";
	pthread_mutex_unlock(&srv.mu);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jmp_jobs jobs;
		const struct jmp_brief *b;
		struct sf *f = sf_new(srv.url, 5000, NULL);
		struct store *st;
		struct ex_spec *spec;
		struct jobmgr *m = poller(&st, &spec, cases[i].want);
		static struct jmp_job j;
		struct jm_stats s;
		struct err e;
		int rc;

		pthread_mutex_lock(&srv.mu);
		srv.overview = cases[i].overview;
		srv.last_job[0] = '\0';
		pthread_mutex_unlock(&srv.mu);
		/* the picker itself */
		assert_int_equal(jmp_jobs(cases[i].overview,
					  strlen(cases[i].overview), &jobs, NULL), 0);
		b = jmp_pick(&jobs, cases[i].want);
		if (cases[i].picked)
			assert_string_equal(b->id, cases[i].picked);
		else
			assert_null(b);
		jmp_jobs_release(&jobs);
		/* the sync controller */
		rc = sf_find_job(f, cases[i].want, &j, &e);
		assert_int_equal(rc, cases[i].picked ? 0 : ERR_NOTFOUND);
		if (cases[i].picked)
			assert_string_equal(j.id, cases[i].picked);
		/* the poller: reads only a RUNNING pick */
		pthread_mutex_lock(&srv.mu);
		srv.last_job[0] = '\0';
		pthread_mutex_unlock(&srv.mu);
		assert_int_equal(jobmgr_round(m, &e), 0);
		jobmgr_get_stats(m, &s);
		assert_int_equal(s.failing, cases[i].running ? 0 : 1);
		pthread_mutex_lock(&srv.mu);
		assert_string_equal(srv.last_job, cases[i].running ?
				    cases[i].picked : "");
		pthread_mutex_unlock(&srv.mu);
		jobmgr_free(m);
		store_free(st);
		ex_spec_free(spec);
		sf_free(f);
	}
}

static int64_t read_at; /* the time of the last job_value */

static double job_value(struct store *st, const char *metric, int64_t now,
			bool *found)
{
	struct store_metric m;
	bool pods, jobs;
	double v = 0;
	int64_t at = 0;

	assert_true(store_lookup_metric(st, metric, &m, &pods, &jobs));
	*found = store_deployment(st, "ns", "dep", m, now, &v, &at) == 0 &&
		 at > 0;
	read_at = at;
	return v;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Issue 17 item 5. */
static void empty_aggregates__rest_served(void **state)
{
	struct store *st;
	struct ex_spec *spec;
	struct jobmgr *m = poller(&st, &spec, "j");
	struct jm_stats s;
	int64_t busy_at;
	bool found;
	double v;

	(void)state;
	pthread_mutex_lock(&srv.mu);
	srv.overview = "{\"jobs\":[" JOB(A, "j", "RUNNING", 1) "]}";
	srv.agg2 = "[]";
	pthread_mutex_unlock(&srv.mu);
	assert_int_equal(jobmgr_round(m, NULL), 0);
	jobmgr_get_stats(m, &s);
	assert_int_equal(s.failing, 0);
	v = job_value(st, "flink_job_parallelism", now_ms(), &found);
	assert_true(found);
	assert_float_equal(v, 3, 0);
	v = job_value(st, "flink_job_slots_total", now_ms(), &found);
	assert_true(found);
	assert_float_equal(v, 4, 0);
	/* both vertices feed busy and backlog: not known this round */
	job_value(st, "flink_job_busy_ratio", now_ms(), &found);
	assert_false(found);
	/* a round where vertex 2 answers: all values */
	pthread_mutex_lock(&srv.mu);
	srv.agg2 = "[{\"id\":\"busyTimeMsPerSecond\",\"min\":1,\"max\":900,"
		   "\"sum\":901}]";
	pthread_mutex_unlock(&srv.mu);
	assert_int_equal(jobmgr_round(m, NULL), 0);
	v = job_value(st, "flink_job_busy_ratio", now_ms(), &found);
	assert_true(found);
	assert_float_equal(v, 0.9, 1e-9);
	busy_at = read_at;
	/* [] again: busy keeps its value and the time it was read, so it goes
	 * stale on its own while parallelism is new */
	nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	pthread_mutex_lock(&srv.mu);
	srv.agg2 = "[]";
	pthread_mutex_unlock(&srv.mu);
	assert_int_equal(jobmgr_round(m, NULL), 0);
	v = job_value(st, "flink_job_busy_ratio", now_ms(), &found);
	assert_true(found);
	assert_float_equal(v, 0.9, 1e-9);
	assert_int_equal(read_at, busy_at);
	job_value(st, "flink_job_parallelism", now_ms(), &found);
	assert_true(read_at > busy_at);
	job_value(st, "flink_job_busy_ratio", busy_at + 15001, &found);
	assert_false(found);
	job_value(st, "flink_job_parallelism", busy_at + 15001, &found);
	assert_true(found);
	jobmgr_free(m);
	store_free(st);
	ex_spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pollers_pick_the_same_job),
		cmocka_unit_test(empty_aggregates__rest_served),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
