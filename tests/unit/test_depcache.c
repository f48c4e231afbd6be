/*
 * test_depcache.c - the TaskManager Deployments in view (adapter/kube/
 * depcache.c) against a stand-in for kube-apiserver in this process
 * (fakekube.h: a list of Deployments and a watch streamed event by event):
 *
 *   - a miss before the first list: dc_snapshot gives NULL; the request
 *     carries the namespace and the selector;
 *   - after it, every Deployment listed, as deep copies: a change to the
 *     copy leaves the cache as it was;
 *   - the watch keeps the cache current: MODIFIED replaces the cached
 *     version (the HPA's spec.replicas), DELETED drops it, ADDED adds it,
 *     and each one wakes dc_wait before its timeout;
 *   - a new list (after 410) drops what it no longer has;
 *   - dc_wait without a change waits its whole timeout, a change seen
 *     once wakes it once, dc_wake wakes it from another thread.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "adapter/kube/depcache.h"
#include "common/clock.h"
#include "common/log.h"
#include "tests/unit/fakekube.h"

#define NS "flink"
#define DEPS "/apis/apps/v1/namespaces/" NS "/deployments"
#define MAX_DEP 8
#define WAIT_MS 10000

struct world {
	pthread_mutex_t mu;
	struct fakekube f;
	struct depcache *c;
	char names[MAX_DEP][32];
	int replicas[MAX_DEP];
	int ndep;
	int lists;
	char query[512]; /* the last list's */
};

static void dep_json(struct buf *out, const char *name, int replicas)
{
	buf_addf(out, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"" NS "\","
		 "\"resourceVersion\":\"20\"},\"spec\":{\"replicas\":%d}}",
		 name, replicas);
}

static int serve(void *ud, const char *method, const char *path,
		 const char *query, const char *body, struct buf *out)
{
	struct world *w = ud;
	int status = 404;

	(void)body;
	if (strcmp(method, "GET") || strcmp(path, DEPS))
		return 404;
	if (strstr(query, "watch=1"))
		return FK_STREAM;
	pthread_mutex_lock(&w->mu);
	w->lists++;
	snprintf(w->query, sizeof(w->query), "%s", query);
	buf_adds(out, "{\"kind\":\"DeploymentList\",\"apiVersion\":\"apps/v1\","
		 "\"metadata\":{\"resourceVersion\":\"20\"},\"items\":[");
	for (int i = 0; i < w->ndep; i++) {
		if (i)
			buf_adds(out, ",");
		dep_json(out, w->names[i], w->replicas[i]);
	}
	buf_adds(out, "]}");
	status = 200;
	pthread_mutex_unlock(&w->mu);
	return status;
}

static void add_dep(struct world *w, const char *name, int replicas)
{
	pthread_mutex_lock(&w->mu);
	snprintf(w->names[w->ndep], sizeof(w->names[0]), "%s", name);
	w->replicas[w->ndep++] = replicas;
	pthread_mutex_unlock(&w->mu);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct err e;

	if (!w)
		return -1;
	pthread_mutex_init(&w->mu, NULL);
	if (fk_start(&w->f, serve, w))
		return -1;
	err_clear(&e);
	if (!(w->c = dc_new(w->f.k, NS, "flinkhpa.io/role=taskmanager", &e)))
		return -1;
	add_dep(w, "orders", 2);
	add_dep(w, "payments", 4);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	dc_free(w->c);
	fk_stop(&w->f);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return 0;
}

/* The cache as "name=replicas,..." (sorted as cached), "-" when NULL. */
static const char *cached(struct world *w)
{
	static char s[512];
	json_object *a = dc_snapshot(w->c);
	size_t k = 0;

	if (!a)
		return "-";
	s[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *d = json_object_array_get_idx(a, i), *m, *n, *sp, *r;

		assert_true(json_object_object_get_ex(d, "metadata", &m));
		assert_true(json_object_object_get_ex(m, "name", &n));
		assert_true(json_object_object_get_ex(d, "spec", &sp));
		assert_true(json_object_object_get_ex(sp, "replicas", &r));
		k += (size_t)snprintf(s + k, sizeof(s) - k, "%s%s=%d",
				      i ? "," : "", json_object_get_string(n),
				      json_object_get_int(r));
	}
	json_object_put(a);
	return s;
}

/* Wait up to WAIT_MS for the cache to read want. */
static void wait_cached(struct world *w, const char *want)
{
	for (int i = 0; i < WAIT_MS / 10 && strcmp(cached(w), want); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_string_equal(cached(w), want);
}

static void push(struct world *w, const char *type, const char *name,
		 int replicas)
{
	struct buf ev = BUF_INIT(4096);

	assert_int_equal(buf_addf(&ev, "{\"type\":\"%s\",\"object\":", type), 0);
	dep_json(&ev, name, replicas);
	assert_int_equal(buf_adds(&ev, "}\n"), 0);
	assert_int_equal(fk_push(&w->f, ev.p), 0);
	buf_release(&ev);
}

/* ms dc_wait(timeout) took. */
static int64_t timed_wait(struct world *w, int64_t timeout)
{
	int64_t t0 = clock_ms(CLOCK_MONOTONIC);

	dc_wait(w->c, timeout);
	return clock_ms(CLOCK_MONOTONIC) - t0;
}

static void miss_then_hit(void **state)
{
	struct world *w = *state;
	struct err e;
	json_object *a, *d, *sp;

	assert_null(dc_snapshot(w->c)); /* nothing listed yet */
	err_clear(&e);
	assert_int_equal(dc_start(w->c, &e), 0);
	wait_cached(w, "orders=2,payments=4");
	assert_string_equal(w->query, "labelSelector=flinkhpa.io/role="
			    "taskmanager&limit=500");
	/* the snapshot is the caller's: changing it changes no cache */
	a = dc_snapshot(w->c);
	assert_non_null(a);
	d = json_object_array_get_idx(a, 0);
	assert_true(json_object_object_get_ex(d, "spec", &sp));
	json_object_object_add(sp, "replicas", json_object_new_int(99));
	json_object_put(a);
	assert_string_equal(cached(w), "orders=2,payments=4");
}

static void watch_updates(void **state)
{
	struct world *w = *state;
	struct err e;

	err_clear(&e);
	assert_int_equal(dc_start(w->c, &e), 0);
	wait_cached(w, "orders=2,payments=4");
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	timed_wait(w, 0); /* the list's change, seen */
	push(w, "MODIFIED", "orders", 5); /* the HPA scaled it */
	assert_true(timed_wait(w, 20000) < 10000);
	assert_string_equal(cached(w), "orders=5,payments=4");
	push(w, "DELETED", "payments", 4);
	assert_true(timed_wait(w, 20000) < 10000);
	wait_cached(w, "orders=5");
	push(w, "ADDED", "search", 1);
	assert_true(timed_wait(w, 20000) < 10000);
	wait_cached(w, "orders=5,search=1");
	assert_int_equal(w->lists, 1); /* all of it from the watch */
}

static void relist_drops(void **state)
{
	struct world *w = *state;
	struct err e;

	err_clear(&e);
	assert_int_equal(dc_start(w->c, &e), 0);
	wait_cached(w, "orders=2,payments=4");
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	pthread_mutex_lock(&w->mu);
	w->ndep = 1; /* payments went while no watch saw it */
	w->replicas[0] = 3;
	pthread_mutex_unlock(&w->mu);
	assert_int_equal(fk_push(&w->f, "{\"type\":\"ERROR\",\"object\":{"
				 "\"kind\":\"Status\",\"code\":410}}\n"), 0);
	wait_cached(w, "orders=3");
	assert_int_equal(w->lists, 2);
}

static void *waker(void *arg)
{
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	dc_wake(arg);
	return NULL;
}

static void wait_and_wake(void **state)
{
	struct world *w = *state;
	pthread_t th;
	struct err e;

	/* no change: the whole timeout */
	assert_true(timed_wait(w, 200) >= 190);
	err_clear(&e);
	assert_int_equal(dc_start(w->c, &e), 0);
	wait_cached(w, "orders=2,payments=4");
	assert_true(timed_wait(w, 20000) < 10000); /* the list: a change */
	assert_true(timed_wait(w, 200) >= 190);    /* seen once */
	assert_int_equal(pthread_create(&th, NULL, waker, w->c), 0);
	assert_true(timed_wait(w, 20000) < 10000);
	pthread_join(th, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(miss_then_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(watch_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(relist_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_and_wake, setup, teardown),
	};

	log_set_verbosity(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
