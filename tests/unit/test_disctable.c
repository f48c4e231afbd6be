/*
 * test_disctable.c - discovery's table of pods (adapter/collect/
 * discovery.c, a hash table that doubles as it fills) against a stand-in
 * for kube-apiserver in this process (fakekube.h):
 *
 *   - a list of 1,000 pods in two namespaces, with the same names in both
 *     (the key is namespace and name): every one reaches the store, the
 *     table having grown from 64 chains through four doublings;
 *   - the watch then adds 100 more, deletes every other pod and modifies
 *     the rest (a new address): the store holds exactly the pods that
 *     are left, none twice, and a pod turned Succeeded is forgotten;
 *   - discovery_free releases every pod (under ASan and valgrind: no leak).
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

#include "adapter/collect/discovery.h"
#include "adapter/collect/extract.h"
#include "adapter/collect/scrape.h"
#include "adapter/collect/store.h"
#include "tests/unit/fakekube.h"

#define PODS "/api/v1/pods"
#define NLIST 500 /* per namespace */
#define WAIT_MS 10000

struct world {
	struct fakekube f;
	struct ex_spec *spec;
	struct store *st;
	struct scraper *sc;
	struct discovery *d;
};

static void pod_json(struct buf *out, const char *ns, int i, int ip,
		     const char *phase)
{
	assert_int_equal(buf_addf(out,
		"{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
		"\"name\":\"tm-%d\",\"namespace\":\"%s\",\"resourceVersion\":\"7\","
		"\"labels\":{\"job\":\"j%d\"},"
		"\"annotations\":{\"flinkhpa.io/metrics-port\":\"9249\"}},"
		"\"spec\":{\"containers\":[{\"name\":\"taskmanager\"}]},"
		"\"status\":{\"phase\":\"%s\",\"podIP\":\"127.0.%d.%d\"}}",
		i, ns, i % 10, phase, ip / 250, ip % 250 + 1), 0);
}

static int serve(void *ud, const char *method, const char *path,
		 const char *query, const char *body, struct buf *out)
{
	(void)ud; (void)body;
	if (strcmp(method, "GET") || strcmp(path, PODS))
		return 404;
	if (strstr(query, "watch=1"))
		return FK_STREAM;
	assert_int_equal(buf_adds(out, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
				  "\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["), 0);
	for (int k = 0; k < 2 * NLIST; k++) {
		if (k)
			assert_int_equal(buf_adds(out, ","), 0);
		pod_json(out, k < NLIST ? "a" : "b", k % NLIST, k, "Running");
	}
	assert_int_equal(buf_adds(out, "]}"), 0);
	return 200;
}

static void push(struct world *w, const char *type, const char *ns, int i,
		 int ip, const char *phase)
{
	struct buf ev = BUF_INIT(4096);

	assert_int_equal(buf_addf(&ev, "{\"type\":\"%s\",\"object\":", type), 0);
	pod_json(&ev, ns, i, ip, phase);
	assert_int_equal(buf_adds(&ev, "}\n"), 0);
	assert_int_equal(fk_push(&w->f, ev.p), 0);
	buf_release(&ev);
}

static size_t pods_known(struct world *w)
{
	struct store_counts c;

	store_get_counts(w->st, &c);
	return c.pods;
}

static void wait_pods(struct world *w, size_t want)
{
	for (int i = 0; i < WAIT_MS / 10 && pods_known(w) != want; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_int_equal(pods_known(w), want);
}

static int setup(void **state)
{
	static const struct ex_rule rules[] = {
		{ "busy", "flink_taskmanager_job_task_busyTimeMsPerSecond",
		  NULL, 0, EX_AGG_MAX, EX_AGG_MAX, 1 },
	};
	struct world *w = calloc(1, sizeof(*w));
	struct scrape_opts so = { 5000, 4000, 1 << 20, 100000 };
	struct disc_opts dopt = { NULL, "flinkhpa.io/role=taskmanager", 0 };
	struct err e;

	err_clear(&e);
	if (!w || fk_start(&w->f, serve, w))
		return -1;
	w->spec = ex_spec_new(rules, 1, NULL);
	w->st = w->spec ? store_new(w->spec, 15000) : NULL;
	w->sc = w->st ? scraper_new(&so, w->spec, w->st, &e) : NULL;
	w->d = w->sc ? discovery_new(w->f.k, &dopt, w->st, w->sc, NULL, &e)
		     : NULL;
	if (!w->d)
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	discovery_free(w->d);
	fk_stop(&w->f);
	scraper_free(w->sc);
	store_free(w->st);
	ex_spec_free(w->spec);
	free(w);
	return 0;
}

static void grows_and_keeps_every_pod(void **state)
{
	struct world *w = *state;
	struct err e;

	err_clear(&e);
	assert_int_equal(discovery_start(w->d, &e), 0);
	wait_pods(w, 2 * NLIST); /* a and b hold the same names */
	for (int i = 0; i < WAIT_MS / 10 && !discovery_synced_at(w->d); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_true(discovery_synced_at(w->d) > 0);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	/* add 100 in b, delete every other pod, readdress the rest, and end
	 * a pod of a as Succeeded (no longer scraped): the count goes up to
	 * 1,100, then down, and is 599 only once every event is applied */
	for (int i = NLIST; i < NLIST + 100; i++)
		push(w, "ADDED", "b", i, 3 * NLIST + i, "Running");
	for (int k = 0; k < 2 * NLIST; k++) {
		const char *ns = k < NLIST ? "a" : "b";

		if (k % 2)
			push(w, "DELETED", ns, k % NLIST, k, "Running");
		else
			push(w, "MODIFIED", ns, k % NLIST, 2 * NLIST + k, "Running");
	}
	push(w, "MODIFIED", "a", 0, 0, "Succeeded");
	wait_pods(w, NLIST + 100 - 1);
	for (int k = 0; k < 2 * NLIST; k++) {
		const char *ns = k < NLIST ? "a" : "b";
		bool kept = k % 2 == 0 && k != 0;
		char name[32];

		snprintf(name, sizeof(name), "tm-%d", k % NLIST);
		assert_int_equal(store_remove_pod(w->st, ns, name), kept);
	}
	for (int i = NLIST; i < NLIST + 100; i++) {
		char name[32];

		snprintf(name, sizeof(name), "tm-%d", i);
		assert_true(store_remove_pod(w->st, "b", name));
	}
	assert_int_equal(pods_known(w), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(grows_and_keeps_every_pod,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
