/*
 * test_informer.c - list and watch (adapter/kube/informer.c) against a
 * collection of pods served by a stand-in for kube-apiserver in this
 * process (fakekube.h: pages with limit and continue tokens, 410 on an
 * expired token, watches streamed event by event):
 *
 *   - a list, then ADDED, MODIFIED and DELETED events from the list's
 *     resourceVersion; an event of an unknown object is harmless; an
 *     event of 64 kB arriving in pieces is one event; the events of one
 *     read are told as changed once, not once each;
 *   - pages: limit=N, each page's continue token, every item handed on,
 *     the watch from the list's resourceVersion, one "listed" at the end;
 *   - a new list removes what it lacks only after its last page;
 *   - a continue token that expires (410): the list starts over from the
 *     first page, and what the new list lacks is removed once, at its end;
 *     a second expiry reads the list in one request;
 *   - a watch the server closes is opened again from the last
 *     resourceVersion, a BOOKMARK's included, without a list; one closed
 *     at once with no event lists again;
 *   - 410 on the watch (its status, or an ERROR event): a new list;
 *   - a line that is not an event, and an ERROR event other than 410, end
 *     the watch: nothing after it is applied, a warning is logged (none
 *     for 410), and a new list follows.
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
#include <unistd.h>

#include <cmocka.h>

#include "adapter/kube/informer.h"
#include "common/log.h"
#include "tests/unit/fakekube.h"

#define NS "ns1"
#define PODS "/api/v1/namespaces/" NS "/pods"
#define MAX_OBJ 16
#define MAX_LOG 256
#define MAX_REQ 64
#define WAIT_MS 10000

/* The collection, what the informer asked and what its handlers heard. */
struct world {
	pthread_mutex_t mu;
	struct fakekube f;
	struct informer *inf;
	char objs[MAX_OBJ][16]; /* pod names, in list order */
	int nobj;
	long rv;           /* the collection's resourceVersion */
	int expire;        /* answer this many continue requests with 410 */
	char drop[16];     /* deleted when a continue token expires */
	int watch_status;  /* answer the next watch with this, not a stream */
	char log[MAX_LOG][32]; /* "U name", "R name", "C1" (listed), "C0" */
	int nlog;
	char req[MAX_REQ][512]; /* "L query" (lists), "W query" (watches) */
	int nreq;
};

/* ---- the stand-in ---- */

/* The value of key in query ("a=1&b=2") into out; false if absent. */
static bool arg(const char *query, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = strcspn(p + kl + 1, "&");

			snprintf(out, n, "%.*s", (int)vl, p + kl + 1);
			return true;
		}
	return false;
}

static void drop_obj(struct world *w, const char *name)
{
	for (int i = 0; i < w->nobj; i++)
		if (!strcmp(w->objs[i], name)) {
			memmove(w->objs[i], w->objs[i + 1],
				(size_t)(w->nobj - i - 1) * sizeof(w->objs[0]));
			w->nobj--;
			return;
		}
}

/* A page: from the token's offset (tok:OFFSET:RV), limit items. */
static int serve_list(struct world *w, const char *query, struct buf *out)
{
	char v[256];
	long limit = arg(query, "limit", v, sizeof(v)) ? atol(v) : 0;
	long off = 0, rv = w->rv, end;

	if (arg(query, "continue", v, sizeof(v))) {
		if (sscanf(v, "tok:%ld:%ld", &off, &rv) != 2)
			return 400;
		if (w->expire > 0) {
			w->expire--;
			drop_obj(w, w->drop);
			buf_adds(out, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
				 "\"status\":\"Failure\",\"message\":\"The provided "
				 "continue parameter is too old\",\"reason\":"
				 "\"Expired\",\"code\":410}");
			return 410;
		}
	}
	end = limit > 0 && off + limit < w->nobj ? off + limit : w->nobj;
	buf_adds(out, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[");
	for (long i = off; i < end; i++)
		buf_addf(out, "%s{\"metadata\":{\"name\":\"%s\",\"namespace\":\""
			 NS "\",\"resourceVersion\":\"%ld\"}}", i > off ? "," : "",
			 w->objs[i], rv);
	buf_addf(out, "],\"metadata\":{\"resourceVersion\":\"%ld\"", rv);
	if (end < w->nobj)
		buf_addf(out, ",\"continue\":\"tok:%ld:%ld\"", end, rv);
	buf_adds(out, "}}");
	return 200;
}

static int serve(void *ud, const char *method, const char *path,
		 const char *query, const char *body, struct buf *out)
{
	struct world *w = ud;
	bool watch = strstr(query, "watch=1") != NULL;
	int status = 404;

	(void)body;
	pthread_mutex_lock(&w->mu);
	if (w->nreq < MAX_REQ)
		snprintf(w->req[w->nreq++], sizeof(w->req[0]), "%c %s",
			 watch ? 'W' : 'L', query);
	if (!strcmp(method, "GET") && !strcmp(path, PODS) && !watch) {
		status = serve_list(w, query, out);
	} else if (!strcmp(method, "GET") && !strcmp(path, PODS)) {
		status = w->watch_status ? w->watch_status : FK_STREAM;
		w->watch_status = 0;
		if (status != FK_STREAM)
			buf_addf(out, "{\"kind\":\"Status\",\"code\":%d}", status);
	}
	pthread_mutex_unlock(&w->mu);
	return status;
}

/* ---- the informer's handlers ---- */

static void note(struct world *w, const char *what, const char *s)
{
	pthread_mutex_lock(&w->mu);
	if (w->nlog < MAX_LOG)
		snprintf(w->log[w->nlog++], sizeof(w->log[0]), "%s%s%s", what,
			 s ? " " : "", s ? s : "");
	pthread_mutex_unlock(&w->mu);
}

static void on_upsert(void *ud, json_object *obj)
{
	json_object *m, *n;

	json_object_object_get_ex(obj, "metadata", &m);
	json_object_object_get_ex(m, "name", &n);
	note(ud, "U", json_object_get_string(n));
}

static void on_remove(void *ud, const char *ns, const char *name)
{
	assert_string_equal(ns, NS);
	note(ud, "R", name);
}

static void on_changed(void *ud, bool listed)
{
	note(ud, listed ? "C1" : "C0", NULL);
}

/* ---- the rig ---- */

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	pthread_mutex_init(&w->mu, NULL);
	w->rv = 10;
	if (fk_start(&w->f, serve, w))
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	informer_free(w->inf);
	fk_stop(&w->f);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return 0;
}

/* The pods named in names (space separated). */
static void set_objs(struct world *w, const char *names)
{
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", names);
	pthread_mutex_lock(&w->mu);
	w->nobj = 0;
	for (char *t = strtok_r(copy, " ", &save); t && w->nobj < MAX_OBJ;
	     t = strtok_r(NULL, " ", &save))
		snprintf(w->objs[w->nobj++], sizeof(w->objs[0]), "%s", t);
	pthread_mutex_unlock(&w->mu);
}

/* Start the informer (page: its page size, -1 the default). */
static void start(struct world *w, long page)
{
	struct informer_opts o = { .what = "test pods", .api = "/api/v1",
				   .resource = "pods", .ns = NS,
				   .selector = "app=tm", .resync_s = 300 };
	struct informer_handlers h = { w, on_upsert, on_remove, on_changed };
	struct err e;

	err_clear(&e);
	w->inf = informer_new(w->f.k, &o, &h, &e);
	assert_non_null(w->inf);
	if (page >= 0)
		informer_set_page_size(w->inf, page);
	assert_int_equal(informer_start(w->inf, &e), 0);
}

static int count(struct world *w, int *n)
{
	int v;

	pthread_mutex_lock(&w->mu);
	v = *n;
	pthread_mutex_unlock(&w->mu);
	return v;
}

/* Wait until the log has n entries, or the requests n. */
static void wait_log(struct world *w, int n)
{
	for (int i = 0; i < WAIT_MS / 10 && count(w, &w->nlog) < n; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_true(count(w, &w->nlog) >= n);
}

static void wait_req(struct world *w, int n)
{
	for (int i = 0; i < WAIT_MS / 10 && count(w, &w->nreq) < n; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_true(count(w, &w->nreq) >= n);
}

/* The log from entry `from` on, joined by commas. */
static const char *log_from(struct world *w, int from)
{
	static char s[4096];
	size_t k = 0;

	s[0] = '\0';
	pthread_mutex_lock(&w->mu);
	for (int i = from; i < w->nlog && k + 40 < sizeof(s); i++)
		k += (size_t)snprintf(s + k, sizeof(s) - k, "%s%s",
				      i > from ? "," : "", w->log[i]);
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* The log from entry `from` on without the "C0" entries, once it has
 * want and ends with "C0" (the change told after the events). */
static void wait_changed(struct world *w, int from, const char *want)
{
	char got[4096];

	for (int i = 0; i < WAIT_MS / 10; i++) {
		const char *s = log_from(w, from);
		size_t k = 0, n = strlen(s);

		got[0] = '\0';
		for (const char *e = s; *e; e += strcspn(e, ","), e += *e == ',') {
			size_t l = strcspn(e, ",");

			if (l == 2 && !strncmp(e, "C0", 2))
				continue;
			k += (size_t)snprintf(got + k, sizeof(got) - k, "%s%.*s",
					      k ? "," : "", (int)l, e);
		}
		if (!strcmp(got, want) && n >= 2 && !strcmp(s + n - 2, "C0"))
			return;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	assert_string_equal(log_from(w, from), want);
}

/* "C0" entries from entry `from` on. */
static int changes(struct world *w, int from)
{
	int n = 0;

	pthread_mutex_lock(&w->mu);
	for (int i = from; i < w->nlog; i++)
		n += !strcmp(w->log[i], "C0");
	pthread_mutex_unlock(&w->mu);
	return n;
}

static const char *req(struct world *w, int i)
{
	static char s[512];

	pthread_mutex_lock(&w->mu);
	snprintf(s, sizeof(s), "%s", i < w->nreq ? w->req[i] : "(none)");
	pthread_mutex_unlock(&w->mu);
	return s;
}

static void push(struct world *w, const char *type, const char *name,
		 long rv)
{
	char ev[512];

	snprintf(ev, sizeof(ev), "{\"type\":\"%s\",\"object\":{\"kind\":\"Pod\","
		 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"" NS "\","
		 "\"resourceVersion\":\"%ld\"}}}\n", type, name, rv);
	assert_int_equal(fk_push(&w->f, ev), 0);
}

static void push_410(struct world *w)
{
	assert_int_equal(fk_push(&w->f, "{\"type\":\"ERROR\",\"object\":{"
				 "\"kind\":\"Status\",\"status\":\"Failure\","
				 "\"reason\":\"Expired\",\"code\":410}}\n"), 0);
}

/* Warnings logged so far (the log goes to a file). */
static char log_path[64];

static int warnings(void)
{
	FILE *f = fopen(log_path, "r");
	char line[1024];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += line[0] == 'W';
	fclose(f);
	return n;
}

/* An ADDED event of 64 kB (an annotation), the stream's chunks are 4 kB. */
static void big_event(struct world *w)
{
	struct buf ev = BUF_INIT(1 << 20);

	assert_int_equal(buf_adds(&ev, "{\"type\":\"ADDED\",\"object\":{"
				  "\"metadata\":{\"name\":\"big\",\"namespace\":\""
				  NS "\",\"annotations\":{\"x\":\""), 0);
	for (int i = 0; i < 65536; i++)
		assert_int_equal(buf_addc(&ev, 'a' + i % 26), 0);
	assert_int_equal(buf_adds(&ev, "\"}}}}\n"), 0);
	assert_int_equal(fk_push(&w->f, ev.p), 0);
	buf_release(&ev);
}

/* ---- the tests ---- */

static void list_then_watch(void **state)
{
	struct world *w = *state;
	int from;

	set_objs(w, "a b c");
	start(w, -1);
	wait_log(w, 4);
	assert_string_equal(log_from(w, 0), "U a,U b,U c,C1");
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	assert_string_equal(req(w, 0), "L labelSelector=app=tm&limit=500");
	assert_string_equal(req(w, 1), "W labelSelector=app=tm&watch=1&"
			    "allowWatchBookmarks=true&resourceVersion=10");
	push(w, "ADDED", "d", 11);
	wait_log(w, 6);
	assert_string_equal(log_from(w, 4), "U d,C0");
	/* four events in one write: applied in order, and told as changed
	 * once per read (not once per event) */
	assert_int_equal(fk_push(&w->f,
		"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\","
		"\"namespace\":\"" NS "\",\"resourceVersion\":\"12\"}}}\n"
		"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"b\","
		"\"namespace\":\"" NS "\",\"resourceVersion\":\"13\"}}}\n"
		"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":"
		"\"never-seen\",\"namespace\":\"" NS "\",\"resourceVersion\":\"14\"}}}\n"
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"e\","
		"\"namespace\":\"" NS "\",\"resourceVersion\":\"15\"}}}\n"), 0);
	wait_changed(w, 6, "U a,R b,U e");
	assert_true(changes(w, 6) < 3); /* one read; two if split */
	from = count(w, &w->nlog);
	big_event(w); /* one line over several writes */
	wait_changed(w, from, "U big");
	assert_int_equal(count(w, &w->nreq), 2); /* still the one watch */
}

static void pages(void **state)
{
	struct world *w = *state;

	set_objs(w, "p0 p1 p2 p3 p4");
	w->rv = 7;
	start(w, 2);
	wait_log(w, 6);
	assert_string_equal(log_from(w, 0), "U p0,U p1,U p2,U p3,U p4,C1");
	wait_req(w, 4);
	assert_string_equal(req(w, 0), "L labelSelector=app=tm&limit=2");
	assert_string_equal(req(w, 1), "L labelSelector=app=tm&limit=2&"
			    "continue=tok:2:7");
	assert_string_equal(req(w, 2), "L labelSelector=app=tm&limit=2&"
			    "continue=tok:4:7");
	assert_string_equal(req(w, 3), "W labelSelector=app=tm&watch=1&"
			    "allowWatchBookmarks=true&resourceVersion=7");
}

/* In a relist, a removal comes after every upsert and before "C1". */
static void assert_removes_at_end(const char *log, const char *removed)
{
	const char *last_u = strrchr(log, 'U'), *first_r = strchr(log, 'R');

	assert_non_null(first_r);
	assert_true(last_u == NULL || last_u < first_r);
	assert_non_null(strstr(log, removed));
	assert_string_equal(log + strlen(log) - 2, "C1");
}

static void relist_removes_at_end(void **state)
{
	struct world *w = *state;
	const char *l;

	set_objs(w, "a b c d e");
	start(w, 2);
	wait_log(w, 6);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	set_objs(w, "a c e"); /* b and d went while no watch ran */
	push_410(w);
	wait_log(w, 6 + 6);
	l = log_from(w, 6);
	/* each page's items as the page comes, the two removals at the end */
	assert_int_equal(strncmp(l, "U a,U c,U e,", 12), 0);
	assert_removes_at_end(l, "R b");
	assert_non_null(strstr(l, "R d"));
	assert_string_equal(req(w, 4), "L labelSelector=app=tm&limit=2");
}

static void continue_expired(void **state)
{
	struct world *w = *state;
	const char *l;

	set_objs(w, "a b c d e");
	start(w, 2);
	wait_log(w, 6);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	pthread_mutex_lock(&w->mu);
	w->expire = 1;
	snprintf(w->drop, sizeof(w->drop), "a"); /* a goes meanwhile */
	pthread_mutex_unlock(&w->mu);
	push_410(w);
	assert_int_equal(fk_wait_streams(&w->f, 2, WAIT_MS), 0);
	l = log_from(w, 6);
	/* page 1 (a b), 410 on page 2, the list again: (b c) (d e) */
	assert_int_equal(strncmp(l, "U a,U b,U b,U c,U d,U e,R a,C1", 30), 0);
	assert_removes_at_end(l, "R a");
	assert_string_equal(req(w, 5), "L labelSelector=app=tm&limit=2&"
			    "continue=tok:2:10");
	assert_string_equal(req(w, 6), "L labelSelector=app=tm&limit=2");
	assert_string_equal(req(w, 8), "W labelSelector=app=tm&watch=1&"
			    "allowWatchBookmarks=true&resourceVersion=10");
}

static void continue_expired_twice(void **state)
{
	struct world *w = *state;

	set_objs(w, "a b c d e");
	w->expire = 2;
	start(w, 2);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	/* pages, 410; pages again, 410; then one request without limit */
	assert_string_equal(req(w, 1), "L labelSelector=app=tm&limit=2&"
			    "continue=tok:2:10");
	assert_string_equal(req(w, 2), "L labelSelector=app=tm&limit=2");
	assert_string_equal(req(w, 3), "L labelSelector=app=tm&limit=2&"
			    "continue=tok:2:10");
	assert_string_equal(req(w, 4), "L labelSelector=app=tm");
	assert_string_equal(log_from(w, 0),
			    "U a,U b,U a,U b,U a,U b,U c,U d,U e,C1");
}

static void closed_rewatch_bookmark(void **state)
{
	struct world *w = *state;

	set_objs(w, "a");
	start(w, -1);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	push(w, "ADDED", "x", 11);
	assert_int_equal(fk_push(&w->f, "{\"type\":\"BOOKMARK\",\"object\":{"
				 "\"kind\":\"Pod\",\"apiVersion\":\"v1\","
				 "\"metadata\":{\"resourceVersion\":\"15\"}}}\n"), 0);
	fk_end(&w->f);
	assert_int_equal(fk_wait_streams(&w->f, 2, WAIT_MS), 0);
	assert_string_equal(req(w, 2), "W labelSelector=app=tm&watch=1&"
			    "allowWatchBookmarks=true&resourceVersion=15");
	assert_string_equal(log_from(w, 0), "U a,C1,U x,C0"); /* no list */
	/* closed at once, with no event: a new list */
	fk_end(&w->f);
	assert_int_equal(fk_wait_streams(&w->f, 3, WAIT_MS), 0);
	assert_string_equal(req(w, 3), "L labelSelector=app=tm&limit=500");
}

static void watch_gone(void **state)
{
	struct world *w = *state;
	int w0 = warnings();

	set_objs(w, "a");
	start(w, -1);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	pthread_mutex_lock(&w->mu);
	w->watch_status = 410; /* the next watch */
	pthread_mutex_unlock(&w->mu);
	push(w, "MODIFIED", "a", 11);
	fk_end(&w->f);
	assert_int_equal(fk_wait_streams(&w->f, 2, WAIT_MS), 0);
	assert_string_equal(req(w, 2), "W labelSelector=app=tm&watch=1&"
			    "allowWatchBookmarks=true&resourceVersion=11");
	assert_string_equal(req(w, 3), "L labelSelector=app=tm&limit=500");
	assert_string_equal(req(w, 4), "W labelSelector=app=tm&watch=1&"
			    "allowWatchBookmarks=true&resourceVersion=10");
	/* an ERROR event with 410: a new list too */
	push_410(w);
	assert_int_equal(fk_wait_streams(&w->f, 3, WAIT_MS), 0);
	assert_string_equal(req(w, 5), "L labelSelector=app=tm&limit=500");
	assert_int_equal(warnings(), w0); /* 410 is no failure: no backoff */
}

static void malformed_event(void **state)
{
	struct world *w = *state;
	int w0 = warnings();

	set_objs(w, "a");
	start(w, -1);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	/* in one push, so that the stream left takes it all */
	assert_int_equal(fk_push(&w->f, "{\"type\":\"ADDED\",\"object\":{"
				 "\"metadata\":{\"name\":\"y\",\"namespace\":\""
				 NS "\",\"resourceVersion\":\"11\"}}}\n"
				 "{\"type\":\"ADDED\",\"object\":\n"
				 "{\"type\":\"ADDED\",\"object\":{"
				 "\"metadata\":{\"name\":\"z\",\"namespace\":\""
				 NS "\",\"resourceVersion\":\"12\"}}}\n"), 0);
	assert_int_equal(fk_wait_streams(&w->f, 2, WAIT_MS), 0);
	/* y applied, z not; a new list (after the backoff) removed y */
	assert_string_equal(req(w, 2), "L labelSelector=app=tm&limit=500");
	assert_string_equal(log_from(w, 0), "U a,C1,U y,C0,U a,R y,C1");
	assert_int_equal(warnings(), w0 + 1);
}

/* An ERROR event other than 410: a failure (logged, with backoff). */
static void error_event(void **state)
{
	struct world *w = *state;
	int w0 = warnings();

	set_objs(w, "a");
	start(w, -1);
	assert_int_equal(fk_wait_streams(&w->f, 1, WAIT_MS), 0);
	assert_int_equal(fk_push(&w->f, "{\"type\":\"ERROR\",\"object\":{"
				 "\"kind\":\"Status\",\"code\":500}}\n"
				 "{\"type\":\"ADDED\",\"object\":{"
				 "\"metadata\":{\"name\":\"z\",\"namespace\":\""
				 NS "\",\"resourceVersion\":\"13\"}}}\n"), 0);
	assert_int_equal(fk_wait_streams(&w->f, 2, WAIT_MS), 0);
	assert_string_equal(req(w, 2), "L labelSelector=app=tm&limit=500");
	assert_string_equal(log_from(w, 0), "U a,C1,U a,C1");
	assert_int_equal(warnings(), w0 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(list_then_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(pages, setup, teardown),
		cmocka_unit_test_setup_teardown(relist_removes_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(continue_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(continue_expired_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(closed_rewatch_bookmark, setup, teardown),
		cmocka_unit_test_setup_teardown(watch_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_event, setup, teardown),
		cmocka_unit_test_setup_teardown(error_event, setup, teardown),
	};

	FILE *lf;
	int fd, rc;

	snprintf(log_path, sizeof(log_path), "/tmp/test_informer.XXXXXX");
	if ((fd = mkstemp(log_path)) < 0 || !(lf = fdopen(fd, "w")))
		return 1;
	setvbuf(lf, NULL, _IOLBF, 0);
	log_set_file(lf);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fclose(lf);
	unlink(log_path);
	return rc;
}
