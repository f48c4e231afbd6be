/*
 * test_syncctl.c - the sync controller's state machine (adapter/sync/
 * sync.c), on its own thread as in the adapter, between a TaskManager
 * Deployment kept by a stand-in for kube-apiserver in this process
 * (fakekube.h: list and watch of Deployments, merge patches of their
 * annotations, Events) and the Flink emulator in this process (hack/emu):
 *
 *   - adopt: a job already at replicas x slots is recorded
 *     (flinkhpa.io/parallelism), without an event;
 *   - adaptive: replicas 1 -> 3, the resource requirements put, the job
 *     at 6, the rescale annotation set while in flight and removed, a
 *     Rescaled event; back to 1 replica, the job at 2;
 *   - reactive: Flink rescales by itself, the controller verifies and
 *     reports; a job that does not follow fails after the timeout;
 *   - savepoint: stop with savepoint, resubmit at the target (the
 *     annotation goes through trigger= and savepoint=); a failed savepoint
 *     leaves the job running and is reported, the retry succeeds; no
 *     savepoint directory: a failure at once;
 *   - resume: a new leader finds the rescale annotation of a previous one
 *     (a savepoint under way, or taken) and finishes that rescale, with no
 *     second savepoint and one submission;
 *   - stranded (savepoint mode): the HPA removes TaskManagers and the job
 *     cannot run on the slots left: with checkpoints kept on cancellation
 *     it is cancelled and resubmitted from its latest checkpoint at the
 *     slots there are (one cancellation, one submission, no savepoint);
 *     without a retained checkpoint, or with none completed, it is never
 *     cancelled and one JobStranded Event says why; a TaskManager lost
 *     while the Deployment still asks for it is waited for; a new leader
 *     finishes a cancellation a previous one ordered.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "adapter/sync/sync.h"
#include "common/log.h"
#include "hack/emu/emu.h"
#include "tests/unit/fakekube.h"

#define NS "flink"
#define DEP "orders-taskmanager"
#define DEPS "/apis/apps/v1/namespaces/" NS "/deployments"
#define JAR "0c4bd4b7-7b3a-4a7e-bb5a-2a9c3e1f0d11_orders-enrichment.jar"
#define WAIT_MS (20000 * factor())
#define MAX_SEEN 64

/* FH_TIMEOUT_FACTOR (slow wrappers such as valgrind) stretches the
 * controller's timeout and the test's waits. */
static int factor(void)
{
	const char *f = getenv("FH_TIMEOUT_FACTOR");
	int n = f ? atoi(f) : 1;

	return n > 0 ? n : 1;
}

/* ---- the Deployment and what was written to it ---- */

struct kstore {
	pthread_mutex_t mu;
	json_object *dep;
	long rv;
	char reasons[MAX_SEEN][32];      /* Events, in order */
	char messages[MAX_SEEN][1024];
	int nevents;
	char rescale[MAX_SEEN][512];     /* flinkhpa.io/rescale as written */
	int nrescale;
};

static void annotations_patch(struct kstore *ks, json_object *patch)
{
	json_object *m, *a, *cur_m, *cur_a;

	if (!json_object_object_get_ex(patch, "metadata", &m) ||
	    !json_object_object_get_ex(m, "annotations", &a))
		return;
	json_object_object_get_ex(ks->dep, "metadata", &cur_m);
	if (!json_object_object_get_ex(cur_m, "annotations", &cur_a)) {
		cur_a = json_object_new_object();
		json_object_object_add(cur_m, "annotations", cur_a);
	}
	json_object_object_foreach(a, k, v) {
		if (!strcmp(k, "flinkhpa.io/rescale") && ks->nrescale < MAX_SEEN)
			snprintf(ks->rescale[ks->nrescale++], sizeof(ks->rescale[0]),
				 "%s", v ? json_object_get_string(v) : "(removed)");
		if (v)
			json_object_object_add(cur_a, k, json_object_get(v));
		else
			json_object_object_del(cur_a, k);
	}
}

static void set_rv(struct kstore *ks)
{
	json_object *m;
	char rv[32];

	snprintf(rv, sizeof(rv), "%ld", ++ks->rv);
	json_object_object_get_ex(ks->dep, "metadata", &m);
	json_object_object_add(m, "resourceVersion", json_object_new_string(rv));
}

static int serve(void *ud, const char *method, const char *path,
		 const char *query, const char *body, struct buf *out)
{
	struct kstore *ks = ud;
	json_object *b = NULL, *v;
	int status = 404;

	if (!strcmp(method, "GET") && strstr(query, "watch=1")) {
		/* a watch that ends at once: the informer lists again */
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		return 200;
	}
	pthread_mutex_lock(&ks->mu);
	if (!strcmp(method, "GET") && !strcmp(path, DEPS)) {
		buf_addf(out, "{\"kind\":\"DeploymentList\",\"apiVersion\":\"apps/v1\","
			 "\"metadata\":{\"resourceVersion\":\"%ld\"},\"items\":[%s]}",
			 ks->rv, json_object_to_json_string(ks->dep));
		status = 200;
	} else if (!strcmp(method, "PATCH") && !strcmp(path, DEPS "/" DEP) &&
		   (b = json_tokener_parse(body))) {
		annotations_patch(ks, b);
		set_rv(ks);
		buf_adds(out, json_object_to_json_string(ks->dep));
		status = 200;
	} else if (!strcmp(method, "POST") &&
		   !strcmp(path, "/api/v1/namespaces/" NS "/events") &&
		   (b = json_tokener_parse(body)) && ks->nevents < MAX_SEEN) {
		if (json_object_object_get_ex(b, "reason", &v))
			snprintf(ks->reasons[ks->nevents], sizeof(ks->reasons[0]),
				 "%s", json_object_get_string(v));
		if (json_object_object_get_ex(b, "message", &v))
			snprintf(ks->messages[ks->nevents], sizeof(ks->messages[0]),
				 "%s", json_object_get_string(v));
		ks->nevents++;
		status = 201;
	}
	pthread_mutex_unlock(&ks->mu);
	json_object_put(b);
	return status;
}

/* ---- the rig ---- */

struct rig {
	struct kstore ks;
	struct fakekube f;
	struct emu *e;
	char emu_url[64];
	struct sync *s;
	struct sync_opts o;
};

/* Checkpoints of the emulators emu_up starts (0: off, as before). */
static int64_t emu_cp_ms;
static int emu_cp_retention;

static void emu_up(struct rig *r, int sched, int tms, int par)
{
	struct emu_settings s = {
		.checkpoint_ms = emu_cp_ms, .retention = emu_cp_retention,
		.taskmanagers = tms, .slots = 2, .metrics_port = 0,
		.rest_port = 0, .max_parallelism = 128, .parallelism = par,
		.address_base = "127.0.1.1", .rest_address = "127.0.0.1",
		.job_name = "orders-enrichment", .jar_id = JAR,
		.entry_class = "com.example.OrdersEnrichment", .sched = sched,
		.input_rate = 500, .slot_capacity = 1000, .speed = 1,
		.restart_ms = 300, .savepoint_ms = 500,
	};
	struct err er;

	r->e = calloc(1, sizeof(*r->e));
	assert_non_null(r->e);
	err_clear(&er);
	assert_int_equal(emu_start(r->e, &s, &er), 0);
	snprintf(r->emu_url, sizeof(r->emu_url), "http://127.0.0.1:%d",
		 emu_rest_port(r->e));
}

/* The Deployment flinkhpa-gen writes, with replicas (all ready) and the
 * mode's annotations; extra: more annotations as a JSON fragment. */
static void dep_init(struct rig *r, int replicas, const char *mode,
		     const char *extra)
{
	char js[4096];

	snprintf(js, sizeof(js),
		 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
		 "\"name\":\"" DEP "\",\"namespace\":\"" NS "\",\"uid\":\"u-1\","
		 "\"labels\":{\"flinkhpa.io/role\":\"taskmanager\"},\"annotations\":{"
		 "\"flinkhpa.io/jobmanager\":\"%s\",\"flinkhpa.io/job-name\":\"orders-enrichment\","
		 "\"flinkhpa.io/slots-per-taskmanager\":\"2\",\"flinkhpa.io/parallelism-mode\":\"%s\"%s%s}},"
		 "\"spec\":{\"replicas\":%d},\"status\":{\"replicas\":%d,\"readyReplicas\":%d}}",
		 r->emu_url, mode, extra ? "," : "", extra ? extra : "",
		 replicas, replicas, replicas);
	r->ks.dep = json_tokener_parse(js);
	assert_non_null(r->ks.dep);
	set_rv(&r->ks);
}

/* The Deployment, its API and the controller, for the emulator running. */
static void rig_sync(struct rig *r, int replicas, const char *mode,
		     const char *extra, int64_t timeout_ms)
{
	struct err e;

	pthread_mutex_init(&r->ks.mu, NULL);
	dep_init(r, replicas, mode, extra);
	assert_int_equal(fk_start(&r->f, serve, &r->ks), 0);
	r->o = (struct sync_opts){
		.ns = NS, .period_ms = 100, .settle_ms = 300,
		.min_interval_ms = 1000, .timeout_ms = timeout_ms * factor(),
		.flink_timeout_ms = 2000,
	};
	err_clear(&e);
	r->s = sync_new(r->f.k, NULL, &r->o, &e);
	assert_non_null(r->s);
	assert_int_equal(sync_start(r->s, &e), 0);
}

static void rig_up(struct rig *r, int sched, int tms, int par,
		   const char *mode, const char *extra, int64_t timeout_ms)
{
	memset(r, 0, sizeof(*r));
	emu_up(r, sched, tms, par);
	rig_sync(r, tms, mode, extra, timeout_ms);
}

static void rig_down(struct rig *r)
{
	sync_free(r->s);
	if (r->f.d)
		fk_stop(&r->f);
	if (r->e)
		emu_stop(r->e);
	free(r->e);
	json_object_put(r->ks.dep);
	if (r->ks.dep)
		pthread_mutex_destroy(&r->ks.mu);
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct rig));
	return *state ? 0 : -1;
}

/* Also after a failed test: nothing of it outlives it. */
static int teardown(void **state)
{
	struct rig *r = *state;

	rig_down(r);
	free(r);
	return 0;
}

/* The HPA's part and the kubelet's: replicas, all ready, and as many
 * TaskManagers registered at the JobManager. */
static void scale(struct rig *r, int replicas, int tms)
{
	json_object *spec, *st;

	pthread_mutex_lock(&r->e->mu);
	assert_int_equal(emu_set_tms(r->e, tms), 0);
	pthread_mutex_unlock(&r->e->mu);
	pthread_mutex_lock(&r->ks.mu);
	json_object_object_get_ex(r->ks.dep, "spec", &spec);
	json_object_object_add(spec, "replicas", json_object_new_int(replicas));
	json_object_object_get_ex(r->ks.dep, "status", &st);
	json_object_object_add(st, "replicas", json_object_new_int(replicas));
	json_object_object_add(st, "readyReplicas", json_object_new_int(replicas));
	set_rv(&r->ks);
	pthread_mutex_unlock(&r->ks.mu);
}

/* An annotation of the Deployment now ("" when absent). */
static void annotation(struct rig *r, const char *key, char *out, size_t n)
{
	json_object *m, *a, *v;

	pthread_mutex_lock(&r->ks.mu);
	out[0] = '\0';
	if (json_object_object_get_ex(r->ks.dep, "metadata", &m) &&
	    json_object_object_get_ex(m, "annotations", &a) &&
	    json_object_object_get_ex(a, key, &v))
		snprintf(out, n, "%s", json_object_get_string(v));
	pthread_mutex_unlock(&r->ks.mu);
}

static bool annotation_is(struct rig *r, const char *key, const char *want)
{
	char v[512];

	annotation(r, key, v, sizeof(v));
	return !strcmp(v, want);
}

static int events(struct rig *r, const char *reason)
{
	int n = 0;

	pthread_mutex_lock(&r->ks.mu);
	for (int i = 0; i < r->ks.nevents; i++)
		n += !strcmp(r->ks.reasons[i], reason);
	pthread_mutex_unlock(&r->ks.mu);
	return n;
}

/* The message of the last event with reason (a copy). */
static void last_event(struct rig *r, const char *reason, char *out, size_t n)
{
	pthread_mutex_lock(&r->ks.mu);
	out[0] = '\0';
	for (int i = 0; i < r->ks.nevents; i++)
		if (!strcmp(r->ks.reasons[i], reason))
			snprintf(out, n, "%s", r->ks.messages[i]);
	pthread_mutex_unlock(&r->ks.mu);
}

/* Was a rescale annotation written that contains text? */
static bool rescale_written(struct rig *r, const char *text)
{
	bool found = false;

	pthread_mutex_lock(&r->ks.mu);
	for (int i = 0; i < r->ks.nrescale; i++)
		found = found || strstr(r->ks.rescale[i], text);
	pthread_mutex_unlock(&r->ks.mu);
	return found;
}

static int emu_int(struct rig *r, const char *what)
{
	int v;

	pthread_mutex_lock(&r->e->mu);
	if (!strcmp(what, "parallelism"))
		v = r->e->m.parallelism;
	else if (!strcmp(what, "submissions"))
		v = r->e->submissions;
	else if (!strcmp(what, "savepoints"))
		v = r->e->savepoints;
	else if (!strcmp(what, "savepoints_failed"))
		v = r->e->savepoints_failed;
	else if (!strcmp(what, "cancels"))
		v = r->e->cancels;
	else if (!strcmp(what, "cancels_lost"))
		v = r->e->cancels_lost;
	else if (!strcmp(what, "checkpoints"))
		v = emu_job_current(r->e) ? (int)emu_job_current(r->e)->cp.completed : 0;
	else if (!strcmp(what, "waiting"))
		v = r->e->m.waiting;
	else
		v = -1;
	pthread_mutex_unlock(&r->e->mu);
	return v;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

#define WAIT_FOR(cond)                                                       \
	do {                                                                 \
		int waited_ = 0;                                             \
		while (!(cond) && waited_ < WAIT_MS) {                       \
			sleep_ms(50);                                        \
			waited_ += 50;                                       \
		}                                                            \
		if (!(cond))                                                 \
			fail_msg("timed out waiting for %s", #cond);         \
	} while (0)

static bool stats_are(struct rig *r, uint64_t rescales, uint64_t failures)
{
	struct sync_stats st;

	sync_stats(r->s, &st);
	return st.rescales == rescales && st.failures == failures;
}

/* The counters (they move just after the Event is written: waited for). */
static void stats(struct rig *r, uint64_t rescales, uint64_t failures)
{
	WAIT_FOR(stats_are(r, rescales, failures));
}

/* ---- the cases ---- */

static void adaptive(void **state)
{
	struct rig *r = *state;
	char msg[1024];

	rig_up(r, EMU_SCHED_ADAPTIVE, 1, 2, "adaptive", NULL, 10000);
	/* adopted: the job runs at 1 x 2 already */
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	sleep_ms(300);
	assert_int_equal(events(r, "Rescaled"), 0);
	assert_int_equal(r->ks.nrescale, 0);
	/* the HPA's 3 replicas: requirements put, the job at 6 */
	scale(r, 3, 3);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "6"));
	assert_int_equal(emu_int(r, "parallelism"), 6);
	assert_true(rescale_written(r, "target=6 from=2 job=" EMU_JOB_ID));
	assert_true(annotation_is(r, "flinkhpa.io/rescale", "")); /* removed */
	WAIT_FOR(events(r, "Rescaled") == 1);
	last_event(r, "Rescaled", msg, sizeof(msg));
	assert_non_null(strstr(msg, "job orders-enrichment runs at parallelism 6 (was 2): "
				    "3 TaskManagers x 2 slots, adaptive mode, in "));
	stats(r, 1, 0);
	assert_int_equal(emu_int(r, "submissions"), 0);
	/* back to one replica, after the minimum interval */
	scale(r, 1, 3);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	WAIT_FOR(events(r, "Rescaled") == 2);
	assert_int_equal(emu_int(r, "parallelism"), 2);
	stats(r, 2, 0);
	assert_int_equal(events(r, "RescaleFailed"), 0);
}

static void reactive(void **state)
{
	struct rig *r = *state;
	char msg[1024], want[1024];

	rig_up(r, EMU_SCHED_REACTIVE, 1, 0, "reactive", NULL, 3000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	scale(r, 2, 2); /* Flink follows the slots by itself */
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "4"));
	WAIT_FOR(events(r, "Rescaled") == 1);
	last_event(r, "Rescaled", msg, sizeof(msg));
	assert_non_null(strstr(msg, "runs at parallelism 4 (was 2): 2 TaskManagers x 2 slots, reactive mode"));
	/* one replica, but both TaskManagers stay registered: the job keeps
	 * the 4 slots and never runs at 2; after the timeout, a failure */
	scale(r, 1, 2);
	WAIT_FOR(events(r, "RescaleFailed") == 1);
	last_event(r, "RescaleFailed", msg, sizeof(msg));
	snprintf(want, sizeof(want), "rescaling job orders-enrichment to parallelism 2 failed: "
		 "the job did not run at the new parallelism within %d s", 3 * factor());
	assert_string_equal(msg, want);
	assert_true(annotation_is(r, "flinkhpa.io/parallelism", "4"));
	assert_true(annotation_is(r, "flinkhpa.io/rescale", ""));
	stats(r, 1, 1);
}

static void savepoint(void **state)
{
	struct rig *r = *state;
	char msg[1024];

	rig_up(r, EMU_SCHED_DEFAULT, 1, 2, "savepoint",
	       "\"flinkhpa.io/savepoint-dir\":\"file:///tmp/savepoints\"", 10000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	/* the first savepoint fails: the job keeps running as it was */
	pthread_mutex_lock(&r->e->mu);
	r->e->savepoint_fails = 1;
	pthread_mutex_unlock(&r->e->mu);
	scale(r, 2, 2);
	WAIT_FOR(events(r, "RescaleFailed") == 1);
	last_event(r, "RescaleFailed", msg, sizeof(msg));
	assert_non_null(strstr(msg, "rescaling job orders-enrichment to parallelism 4 failed: the savepoint failed ("));
	assert_non_null(strstr(msg, "); the job keeps running at parallelism 2"));
	assert_int_equal(emu_int(r, "parallelism"), 2);
	assert_int_equal(emu_int(r, "submissions"), 0);
	assert_true(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	stats(r, 0, 1);
	/* the retry, after the minimum interval: stop with a savepoint,
	 * resubmit at 4 */
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "4"));
	assert_true(rescale_written(r, " trigger="));
	assert_true(rescale_written(r, " savepoint=file:///tmp/savepoints/savepoint-"));
	assert_true(annotation_is(r, "flinkhpa.io/rescale", ""));
	assert_int_equal(emu_int(r, "parallelism"), 4);
	assert_int_equal(emu_int(r, "submissions"), 1);
	assert_int_equal(emu_int(r, "savepoints"), 1);
	assert_int_equal(emu_int(r, "savepoints_failed"), 1);
	WAIT_FOR(events(r, "Rescaled") == 1);
	last_event(r, "Rescaled", msg, sizeof(msg));
	assert_non_null(strstr(msg, "runs at parallelism 4 (was 2): 2 TaskManagers x 2 slots, savepoint mode"));
	stats(r, 1, 1);
}

static void no_savepoint_dir(void **state)
{
	struct rig *r = *state;
	char msg[1024];

	rig_up(r, EMU_SCHED_DEFAULT, 1, 2, "savepoint", NULL, 10000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	scale(r, 2, 2);
	WAIT_FOR(events(r, "RescaleFailed") == 1);
	last_event(r, "RescaleFailed", msg, sizeof(msg));
	assert_string_equal(msg, "rescaling job orders-enrichment to parallelism 4 failed: "
			    "no flinkhpa.io/savepoint-dir");
	assert_true(annotation_is(r, "flinkhpa.io/rescale", ""));
	assert_int_equal(emu_int(r, "savepoints"), 0);
	assert_int_equal(emu_int(r, "parallelism"), 2);
}

/* Trigger a stop-with-savepoint as a previous leader did; its trigger id. */
static void stop_with_savepoint(struct rig *r, char *trigger, size_t n)
{
	struct buf out = BUF_INIT(1 << 16);
	json_object *o, *v;
	int code = 0;

	assert_int_equal(emu_rest(r->e, "POST", "/jobs/" EMU_JOB_ID "/stop", NULL, NULL,
				  "{\"targetDirectory\":\"file:///tmp/savepoints\",\"drain\":false}",
				  &out, &code), 0);
	assert_int_equal(code, 202);
	o = json_tokener_parse(out.p);
	assert_true(json_object_object_get_ex(o, "request-id", &v));
	snprintf(trigger, n, "%s", json_object_get_string(v));
	json_object_put(o);
	buf_release(&out);
}

static void resume_savepoint_under_way(void **state)
{
	struct rig *r = *state;
	char trigger[64], extra[512];

	/* a previous leader stopped the job with a savepoint and died */
	emu_up(r, EMU_SCHED_DEFAULT, 2, 2);
	stop_with_savepoint(r, trigger, sizeof(trigger));
	snprintf(extra, sizeof(extra),
		 "\"flinkhpa.io/savepoint-dir\":\"file:///tmp/savepoints\","
		 "\"flinkhpa.io/parallelism\":\"2\","
		 "\"flinkhpa.io/rescale\":\"target=4 from=2 job=%s trigger=%s\"",
		 EMU_JOB_ID, trigger);
	rig_sync(r, 2, "savepoint", extra, 10000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "4"));
	assert_int_equal(emu_int(r, "savepoints"), 1); /* no second one */
	assert_int_equal(emu_int(r, "submissions"), 1);
	assert_int_equal(emu_int(r, "parallelism"), 4);
	assert_true(rescale_written(r, " savepoint=file:///tmp/savepoints/savepoint-"));
	assert_true(annotation_is(r, "flinkhpa.io/rescale", ""));
	WAIT_FOR(events(r, "Rescaled") == 1);
	stats(r, 1, 0);
}

static void resume_savepoint_taken(void **state)
{
	struct rig *r = *state;
	char trigger[64], extra[1024], loc[512] = "";
	struct buf out = BUF_INIT(1 << 16);
	int code = 0;

	/* a previous leader's savepoint completed before it died */
	emu_up(r, EMU_SCHED_DEFAULT, 2, 2);
	stop_with_savepoint(r, trigger, sizeof(trigger));
	/* wait until it completes; its location */
	for (int i = 0; i < 100 && !loc[0]; i++) {
		char url[256];
		json_object *o, *op, *v;

		sleep_ms(100);
		snprintf(url, sizeof(url), "/jobs/%s/savepoints/%s", EMU_JOB_ID, trigger);
		buf_reset(&out);
		assert_int_equal(emu_rest(r->e, "GET", url, NULL, NULL, NULL, &out, &code), 0);
		o = json_tokener_parse(out.p);
		if (o && json_object_object_get_ex(o, "operation", &op) && op &&
		    json_object_object_get_ex(op, "location", &v))
			snprintf(loc, sizeof(loc), "%s", json_object_get_string(v));
		json_object_put(o);
	}
	buf_release(&out);
	assert_true(loc[0]);
	snprintf(extra, sizeof(extra),
		 "\"flinkhpa.io/savepoint-dir\":\"file:///tmp/savepoints\","
		 "\"flinkhpa.io/parallelism\":\"2\","
		 "\"flinkhpa.io/rescale\":\"target=4 from=2 job=%s trigger=%s savepoint=%s\"",
		 EMU_JOB_ID, trigger, loc);
	rig_sync(r, 2, "savepoint", extra, 10000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "4"));
	assert_int_equal(emu_int(r, "savepoints"), 1);
	assert_int_equal(emu_int(r, "submissions"), 1);
	assert_int_equal(emu_int(r, "parallelism"), 4);
	WAIT_FOR(events(r, "Rescaled") == 1);
}

/* ---- stranded jobs (savepoint mode) ---- */

static int teardown_cp(void **state)
{
	emu_cp_ms = 0;
	emu_cp_retention = EMU_RETAIN_NONE;
	return teardown(state);
}

/* Savepoint mode, 2 TaskManagers, the job at 4 and adopted, a first
 * checkpoint completed; then the HPA's 1 replica and the Deployment
 * removes a TaskManager at once: the job waits for slots. */
static void stranded_rig(struct rig *r, int64_t cp_ms, int retention)
{
	emu_cp_ms = cp_ms;
	emu_cp_retention = retention;
	rig_up(r, EMU_SCHED_DEFAULT, 2, 4, "savepoint",
	       "\"flinkhpa.io/savepoint-dir\":\"file:///tmp/savepoints\"", 10000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "4"));
	if (cp_ms < 60000)
		WAIT_FOR(emu_int(r, "checkpoints") >= 1);
	scale(r, 1, 1);
	WAIT_FOR(emu_int(r, "waiting") == 1);
}

static void stranded_resumed(void **state)
{
	struct rig *r = *state;
	char msg[1024];

	stranded_rig(r, 200, EMU_RETAIN_KEEP);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	assert_int_equal(emu_int(r, "parallelism"), 2);
	assert_int_equal(emu_int(r, "cancels"), 1);
	assert_int_equal(emu_int(r, "cancels_lost"), 0);
	assert_int_equal(emu_int(r, "submissions"), 1);
	assert_int_equal(emu_int(r, "savepoints"), 0);
	/* in flight: the checkpoint to resume from and the cancellation */
	assert_true(rescale_written(r, "target=2 from=4 job=" EMU_JOB_ID
				       " savepoint=file:/tmp/flink-checkpoints/"
				       EMU_JOB_ID "/chk-"));
	assert_true(rescale_written(r, " cancel=1"));
	assert_true(annotation_is(r, "flinkhpa.io/rescale", ""));
	WAIT_FOR(events(r, "Rescaled") == 1);
	last_event(r, "Rescaled", msg, sizeof(msg));
	assert_non_null(strstr(msg, "runs at parallelism 2 (was 4): 1 TaskManagers x 2 slots, "
				    "savepoint mode"));
	assert_non_null(strstr(msg, "; it could not run on the slots left, so it was "
				    "cancelled and resumed from file:/tmp/flink-checkpoints/"
				    EMU_JOB_ID "/chk-"));
	/* the new job restored that checkpoint */
	pthread_mutex_lock(&r->e->mu);
	assert_non_null(strstr(emu_job_current(r->e)->cp.restore.path,
			       "file:/tmp/flink-checkpoints/" EMU_JOB_ID "/chk-"));
	pthread_mutex_unlock(&r->e->mu);
	assert_int_equal(events(r, "JobStranded"), 0);
	stats(r, 1, 0);
}

/* Not cancelled: one JobStranded Event with why, the job as it was. */
static void stranded_kept(struct rig *r, const char *why)
{
	char msg[2048];

	WAIT_FOR(events(r, "JobStranded") == 1);
	last_event(r, "JobStranded", msg, sizeof(msg));
	assert_non_null(strstr(msg, "job orders-enrichment (" EMU_JOB_ID ") is RESTARTING at "
				    "parallelism 4 with 2 slots and cannot run; it is not "
				    "cancelled and resumed from a checkpoint because "));
	assert_non_null(strstr(msg, why));
	assert_non_null(strstr(msg, "Set execution.checkpointing.externalized-checkpoint-"
				    "retention: RETAIN_ON_CANCELLATION"));
	assert_non_null(strstr(msg, "or stop it and resubmit it at parallelism 2 by hand"));
	sleep_ms(1500); /* many periods: said once, nothing done */
	assert_int_equal(events(r, "JobStranded"), 1);
	assert_int_equal(emu_int(r, "cancels"), 0);
	assert_int_equal(emu_int(r, "submissions"), 0);
	assert_int_equal(emu_int(r, "parallelism"), 4);
	assert_int_equal(r->ks.nrescale, 0);
}

static void stranded_not_retained(void **state)
{
	struct rig *r = *state;

	stranded_rig(r, 200, EMU_RETAIN_NONE);
	stranded_kept(r, "Flink deletes its checkpoints when it is cancelled "
			 "(execution.checkpointing.externalized-checkpoint-"
			 "retention is NO_EXTERNALIZED_CHECKPOINTS, not "
			 "RETAIN_ON_CANCELLATION)");
}

static void stranded_delete_on_cancel(void **state)
{
	struct rig *r = *state;

	stranded_rig(r, 200, EMU_RETAIN_DELETE);
	stranded_kept(r, "retention is DELETE_ON_CANCELLATION, not");
}

static void stranded_no_checkpoint(void **state)
{
	struct rig *r = *state;

	stranded_rig(r, 3600000, EMU_RETAIN_KEEP);
	stranded_kept(r, "because it has no completed checkpoint or savepoint.");
}

static void stranded_checkpointing_off(void **state)
{
	struct rig *r = *state;

	stranded_rig(r, 3600000, EMU_RETAIN_KEEP);
	pthread_mutex_lock(&r->e->mu);
	r->e->checkpoint_ms = 0; /* GET .../checkpoints/config: 404 */
	pthread_mutex_unlock(&r->e->mu);
	stranded_kept(r, "because checkpointing is not enabled for it.");
}

/* A TaskManager lost while the Deployment still wants 2: it comes back;
 * the job is not touched. */
static void lost_taskmanager_waited_for(void **state)
{
	struct rig *r = *state;

	emu_cp_ms = 200;
	emu_cp_retention = EMU_RETAIN_KEEP;
	rig_up(r, EMU_SCHED_DEFAULT, 2, 4, "savepoint",
	       "\"flinkhpa.io/savepoint-dir\":\"file:///tmp/savepoints\"", 10000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "4"));
	scale(r, 2, 1);
	WAIT_FOR(emu_int(r, "waiting") == 1);
	sleep_ms(1500);
	assert_int_equal(emu_int(r, "cancels"), 0);
	assert_int_equal(events(r, "JobStranded"), 0);
	scale(r, 2, 2); /* back: the job runs again, at 4 */
	WAIT_FOR(emu_int(r, "waiting") == 0);
	assert_int_equal(emu_int(r, "parallelism"), 4);
	assert_int_equal(emu_int(r, "submissions"), 0);
}

/* A previous leader ordered the cancellation and died: the job is
 * resubmitted once from the checkpoint it recorded. */
static void resume_cancel_ordered(void **state)
{
	struct rig *r = *state;
	char extra[2048], path[EMU_PATH_MAX];
	struct buf out = BUF_INIT(1 << 16);
	int code = 0;

	emu_cp_ms = 200;
	emu_cp_retention = EMU_RETAIN_KEEP;
	emu_up(r, EMU_SCHED_DEFAULT, 2, 4);
	WAIT_FOR(emu_int(r, "checkpoints") >= 1);
	pthread_mutex_lock(&r->e->mu);
	assert_int_equal(emu_set_tms(r->e, 1), 0);
	snprintf(path, sizeof(path), "%s", emu_job_current(r->e)->cp.latest_cp.path);
	pthread_mutex_unlock(&r->e->mu);
	assert_int_equal(emu_rest(r->e, "PATCH", "/jobs/" EMU_JOB_ID, NULL, NULL, "{}",
				  &out, &code), 0);
	assert_int_equal(code, 202);
	buf_release(&out);
	snprintf(extra, sizeof(extra),
		 "\"flinkhpa.io/savepoint-dir\":\"file:///tmp/savepoints\","
		 "\"flinkhpa.io/parallelism\":\"4\","
		 "\"flinkhpa.io/rescale\":\"target=2 from=4 job=%s savepoint=%s cancel=1\"",
		 EMU_JOB_ID, path);
	rig_sync(r, 1, "savepoint", extra, 10000);
	WAIT_FOR(annotation_is(r, "flinkhpa.io/parallelism", "2"));
	assert_int_equal(emu_int(r, "cancels"), 1);
	assert_int_equal(emu_int(r, "submissions"), 1);
	assert_int_equal(emu_int(r, "parallelism"), 2);
	pthread_mutex_lock(&r->e->mu);
	assert_string_equal(emu_job_current(r->e)->cp.restore.path, path);
	pthread_mutex_unlock(&r->e->mu);
	WAIT_FOR(events(r, "Rescaled") == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(adaptive, setup, teardown),
		cmocka_unit_test_setup_teardown(reactive, setup, teardown),
		cmocka_unit_test_setup_teardown(savepoint, setup, teardown),
		cmocka_unit_test_setup_teardown(no_savepoint_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_savepoint_under_way, setup, teardown),
		cmocka_unit_test_setup_teardown(resume_savepoint_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(stranded_resumed, setup, teardown_cp),
		cmocka_unit_test_setup_teardown(stranded_not_retained, setup, teardown_cp),
		cmocka_unit_test_setup_teardown(stranded_delete_on_cancel, setup, teardown_cp),
		cmocka_unit_test_setup_teardown(stranded_no_checkpoint, setup, teardown_cp),
		cmocka_unit_test_setup_teardown(stranded_checkpointing_off, setup, teardown_cp),
		cmocka_unit_test_setup_teardown(lost_taskmanager_waited_for, setup, teardown_cp),
		cmocka_unit_test_setup_teardown(resume_cancel_ordered, setup, teardown_cp),
	};

	log_set_verbosity(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
