/*
 * test_lease.c - leader election (adapter/kube/lease.c) against a Lease
 * store in this process (fakekube.h: kube-apiserver's answers for one
 * coordination.k8s.io/v1 Lease, with resourceVersions and 409 Conflict):
 *
 *   - acquire: no Lease yet, the first candidate creates it and leads;
 *   - renew: the holder writes again, keeping acquireTime and the
 *     transitions, with the resourceVersion it read;
 *   - another candidate waits a whole lease duration of an unchanged
 *     record by its own clock (a renewal restarts it), then takes over
 *     (a new term: acquireTime, transitions + 1); the old holder then
 *     sees someone else's record and does not lead;
 *   - a released Lease (no holder) is taken at once;
 *   - a write that loses the race (409) is "not leading", not an error;
 *     a server error is an error naming the Lease and the status;
 *   - the thread: leads, stops leading after the renew deadline when the
 *     server fails, leads again, and hands the Lease back when freed;
 *   - a namespace that does not exist (kube-apiserver answers 404 to the
 *     create): an error naming it, that it must exist and the flag; the
 *     thread keeps trying and leads once it exists;
 *   - where the Lease lives (daemon_lease_namespace): the flag, else in a
 *     cluster the pod's namespace, else flinkhpa-system, whatever the
 *     kubeconfig's context names (it was "default" outside a cluster).
 */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "adapter/daemon.h"
#include "adapter/kube/lease.h"
#include "common/log.h"
#include "tests/unit/fakekube.h"

#define PATH "/apis/coordination.k8s.io/v1/namespaces/flinkhpa-system/leases"

/* The store: one Lease (NULL: none) and what the test injects. */
struct store {
	pthread_mutex_t mu;
	json_object *lease;
	long rv;
	int fail;          /* answer every request with this status */
	bool no_ns;        /* the namespace does not exist */
	bool bump_on_get;  /* someone else writes right after each GET */
	int gets, posts, puts, patches, conflicts;
};

static const char *spec_str(json_object *o, const char *k)
{
	json_object *s, *v;

	if (!o || !json_object_object_get_ex(o, "spec", &s) ||
	    !json_object_object_get_ex(s, k, &v))
		return NULL;
	return json_object_get_string(v);
}

static long spec_int(json_object *o, const char *k)
{
	json_object *s, *v;

	if (!o || !json_object_object_get_ex(o, "spec", &s) ||
	    !json_object_object_get_ex(s, k, &v))
		return -1;
	return (long)json_object_get_int64(v);
}

static const char *body_rv(json_object *o)
{
	json_object *m, *v;

	if (!json_object_object_get_ex(o, "metadata", &m) ||
	    !json_object_object_get_ex(m, "resourceVersion", &v))
		return NULL;
	return json_object_get_string(v);
}

/* Store o (owned) as the Lease at the next resourceVersion. */
static void store_put(struct store *st, json_object *o)
{
	json_object *m;
	char rv[32];

	json_object_put(st->lease);
	st->lease = o;
	snprintf(rv, sizeof(rv), "%ld", ++st->rv);
	if (json_object_object_get_ex(o, "metadata", &m))
		json_object_object_add(m, "resourceVersion",
				       json_object_new_string(rv));
}

static bool rv_matches(struct store *st, json_object *body)
{
	const char *rv = body_rv(body);
	char cur[32];

	snprintf(cur, sizeof(cur), "%ld", st->rv);
	return rv && !strcmp(rv, cur);
}

static int store_write(struct store *st, const char *method,
		       json_object *body, struct buf *out)
{
	if (!strcmp(method, "POST")) {
		if (st->lease)
			return st->conflicts++, 409;
		st->posts++;
		store_put(st, json_object_get(body));
		buf_adds(out, json_object_to_json_string(st->lease));
		return 201;
	}
	if (!st->lease)
		return 404;
	if (!rv_matches(st, body))
		return st->conflicts++, 409;
	if (!strcmp(method, "PUT")) {
		st->puts++;
		store_put(st, json_object_get(body));
	} else { /* PATCH: a merge of spec */
		json_object *s, *cur;

		st->patches++;
		json_object_object_get_ex(st->lease, "spec", &cur);
		if (json_object_object_get_ex(body, "spec", &s)) {
			json_object_object_foreach(s, k, v)
				json_object_object_add(cur, k, json_object_get(v));
		}
		store_put(st, json_object_get(st->lease)); /* rv + 1 */
	}
	buf_adds(out, json_object_to_json_string(st->lease));
	return 200;
}

static int store_serve(void *ud, const char *method, const char *path,
		       const char *query, const char *body, struct buf *out)
{
	struct store *st = ud;
	json_object *b = NULL;
	int status;

	(void)query;
	pthread_mutex_lock(&st->mu);
	if (st->fail) {
		status = st->fail;
	} else if (st->no_ns) { /* as kube-apiserver: GET and POST, 404 */
		buf_adds(out, "{\"kind\":\"Status\",\"status\":\"Failure\","
			 "\"reason\":\"NotFound\",\"code\":404}");
		status = 404;
	} else if (!strcmp(method, "GET") && !strcmp(path, PATH "/flinkhpa-sync")) {
		st->gets++;
		if (!st->lease) {
			status = 404;
		} else {
			buf_adds(out, json_object_to_json_string(st->lease));
			status = 200;
			if (st->bump_on_get) /* a concurrent write lands */
				store_put(st, json_object_get(st->lease));
		}
	} else if (!(b = json_tokener_parse(body))) {
		status = 400;
	} else if ((!strcmp(method, "POST") && !strcmp(path, PATH)) ||
		   (strcmp(method, "POST") && !strcmp(path, PATH "/flinkhpa-sync"))) {
		status = store_write(st, method, b, out);
	} else {
		status = 404;
	}
	pthread_mutex_unlock(&st->mu);
	json_object_put(b);
	return status;
}

struct rig {
	struct store st;
	struct fakekube f;
};

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	pthread_mutex_init(&r->st.mu, NULL);
	if (fk_start(&r->f, store_serve, &r->st))
		return -1;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	fk_stop(&r->f);
	json_object_put(r->st.lease);
	pthread_mutex_destroy(&r->st.mu);
	free(r);
	return 0;
}

static struct lease *candidate(struct rig *r, const char *id, int retry_s,
			       int renew_s)
{
	struct lease_opts o = {
		.ns = "flinkhpa-system", .name = "flinkhpa-sync", .identity = id,
		.duration_s = 15, .renew_deadline_s = renew_s, .retry_s = retry_s,
	};
	struct err e;
	struct lease *l;

	err_clear(&e);
	l = lease_new(r->f.k, &o, &e);
	assert_non_null(l);
	return l;
}

static int try_at(struct lease *l, int64_t now)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = lease_try(l, now, &e);
	assert_true(rc >= 0);
	return rc;
}

/* The stored record's field k (a copy: the store changes). */
static void stored(struct rig *r, const char *k, char *out, size_t n)
{
	const char *v;

	pthread_mutex_lock(&r->st.mu);
	v = spec_str(r->st.lease, k);
	snprintf(out, n, "%s", v ? v : "(none)");
	pthread_mutex_unlock(&r->st.mu);
}

static long stored_int(struct rig *r, const char *k)
{
	long v;

	pthread_mutex_lock(&r->st.mu);
	v = spec_int(r->st.lease, k);
	pthread_mutex_unlock(&r->st.mu);
	return v;
}

static void acquire_renew(void **state)
{
	struct rig *r = *state;
	struct lease *a = candidate(r, "a", 2, 10);
	char holder[64], acq[64], acq2[64], renew[64], renew2[64];

	assert_int_equal(try_at(a, 1000), 1); /* created */
	assert_int_equal(r->st.posts, 1);
	stored(r, "holderIdentity", holder, sizeof(holder));
	assert_string_equal(holder, "a");
	assert_int_equal(stored_int(r, "leaseDurationSeconds"), 15);
	assert_int_equal(stored_int(r, "leaseTransitions"), 0);
	stored(r, "acquireTime", acq, sizeof(acq));
	stored(r, "renewTime", renew, sizeof(renew));
	assert_int_equal(strlen(acq), strlen("2006-01-02T15:04:05.000000Z"));

	nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	assert_int_equal(try_at(a, 3000), 1); /* renewed with the rv read */
	assert_int_equal(r->st.puts, 1);
	assert_int_equal(r->st.conflicts, 0);
	stored(r, "acquireTime", acq2, sizeof(acq2));
	stored(r, "renewTime", renew2, sizeof(renew2));
	assert_string_equal(acq2, acq);
	assert_string_not_equal(renew2, renew);
	assert_int_equal(stored_int(r, "leaseTransitions"), 0);
	lease_free(a); /* not started, not leader: gives nothing back */
	stored(r, "holderIdentity", holder, sizeof(holder));
	assert_string_equal(holder, "a");
}

static void take_over(void **state)
{
	struct rig *r = *state;
	struct lease *a = candidate(r, "a", 2, 10);
	struct lease *b = candidate(r, "b", 2, 10);
	char holder[64], acq[64], acq2[64];

	assert_int_equal(try_at(a, 0), 1);
	stored(r, "acquireTime", acq, sizeof(acq));
	/* b's clock starts when it first sees the record */
	assert_int_equal(try_at(b, 100000), 0);
	assert_int_equal(try_at(b, 110000), 0);
	/* a renews: the record changed, b starts counting again */
	nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	assert_int_equal(try_at(a, 10), 1);
	assert_int_equal(try_at(b, 114000), 0);
	assert_int_equal(try_at(b, 128000), 0); /* 14 s unchanged: not yet */
	assert_int_equal(try_at(b, 129000), 0); /* exactly 15 s: not yet */
	stored(r, "holderIdentity", holder, sizeof(holder));
	assert_string_equal(holder, "a");
	/* a stopped renewing: past the duration, b takes over */
	nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	assert_int_equal(try_at(b, 129001), 1);
	stored(r, "holderIdentity", holder, sizeof(holder));
	assert_string_equal(holder, "b");
	assert_int_equal(stored_int(r, "leaseTransitions"), 1);
	stored(r, "acquireTime", acq2, sizeof(acq2));
	assert_string_not_equal(acq2, acq);
	/* a comes back: someone else's fresh record, a does not lead */
	assert_int_equal(try_at(a, 20), 0);
	assert_int_equal(try_at(b, 131000), 1); /* b renews */
	assert_int_equal(stored_int(r, "leaseTransitions"), 1);
	lease_free(a);
	lease_free(b);
}

static void released(void **state)
{
	struct rig *r = *state;
	struct lease *a = candidate(r, "a", 2, 10);
	struct lease *b = candidate(r, "b", 2, 10);
	char holder[64];

	assert_int_equal(try_at(a, 0), 1);
	pthread_mutex_lock(&r->st.mu);
	json_object_object_add(json_object_object_get(r->st.lease, "spec"),
			       "holderIdentity", json_object_new_string(""));
	pthread_mutex_unlock(&r->st.mu);
	assert_int_equal(try_at(b, 5), 1); /* no waiting for a released one */
	stored(r, "holderIdentity", holder, sizeof(holder));
	assert_string_equal(holder, "b");
	lease_free(a);
	lease_free(b);
}

static void conflict_and_errors(void **state)
{
	struct rig *r = *state;
	struct lease *a = candidate(r, "a", 2, 10);
	struct err e;

	assert_int_equal(try_at(a, 0), 1);
	/* another writer lands between our GET and PUT: 409, not leading */
	r->st.bump_on_get = true;
	assert_int_equal(try_at(a, 2000), 0);
	assert_int_equal(r->st.conflicts, 1);
	r->st.bump_on_get = false;
	assert_int_equal(try_at(a, 4000), 1);
	/* the server fails: an error naming the Lease and the status */
	r->st.fail = 500;
	err_clear(&e);
	assert_true(lease_try(a, 6000, &e) < 0);
	assert_string_equal(e.msg, "get lease flinkhpa-system/flinkhpa-sync: HTTP 500");
	r->st.fail = 0;
	lease_free(a);
}

static bool wait_leader(struct lease *l, bool want, int ms)
{
	for (int i = 0; i < ms / 50; i++) {
		if (lease_is_leader(l) == want)
			return true;
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	}
	return lease_is_leader(l) == want;
}

static void thread_lose_and_release(void **state)
{
	struct rig *r = *state;
	struct lease *a = candidate(r, "a", 1, 2);
	struct err e;
	char holder[64];

	err_clear(&e);
	assert_int_equal(lease_start(a, &e), 0);
	assert_true(wait_leader(a, true, 5000));
	assert_int_equal(lease_terms(a), 1);
	/* renewals fail: after the renew deadline (2 s), not leading */
	r->st.fail = 503;
	assert_true(wait_leader(a, false, 6000));
	r->st.fail = 0; /* still its own record: a renews and leads again */
	assert_true(wait_leader(a, true, 5000));
	assert_int_equal(lease_terms(a), 2);
	lease_free(a); /* hands the Lease back */
	stored(r, "holderIdentity", holder, sizeof(holder));
	assert_string_equal(holder, "");
	assert_int_equal(stored_int(r, "leaseDurationSeconds"), 1);
	assert_int_equal(r->st.patches, 1);
}

static void missing_namespace(void **state)
{
	struct rig *r = *state;
	struct lease *a = candidate(r, "a", 1, 2);
	struct err e;
	char holder[64];

	r->st.no_ns = true;
	err_clear(&e);
	assert_int_equal(lease_try(a, 0, &e), ERR_NOTFOUND);
	assert_string_equal(e.msg, "cannot create the Lease: namespace "
			    "\"flinkhpa-system\" not found (HTTP 404): it must "
			    "exist (create it, or name another with "
			    "--leader-elect-namespace); trying again every 1 s");
	/* the thread keeps trying, and leads once the namespace exists */
	err_clear(&e);
	assert_int_equal(lease_start(a, &e), 0);
	nanosleep(&(struct timespec){ 1, 500000000 }, NULL);
	assert_false(lease_is_leader(a));
	pthread_mutex_lock(&r->st.mu);
	r->st.no_ns = false;
	pthread_mutex_unlock(&r->st.mu);
	assert_true(wait_leader(a, true, 5000));
	stored(r, "holderIdentity", holder, sizeof(holder));
	assert_string_equal(holder, "a");
	lease_free(a);
}

/* A kubeconfig whose current context names namespace ns (NULL: none). */
static void load_kubeconfig(const char *ns, struct kube_config *c)
{
	char path[] = "/tmp/test_lease_kubeconfig.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct err e;

	assert_non_null(f);
	fprintf(f, "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
		"clusters:\n- name: k\n  cluster: {server: "
		"\"https://127.0.0.1:6443\"}\nusers:\n- name: u\n  user: "
		"{token: t}\ncontexts:\n- name: c\n  context: {cluster: k, "
		"user: u%s%s}\n", ns ? ", namespace: " : "", ns ? ns : "");
	assert_int_equal(fclose(f), 0);
	err_clear(&e);
	assert_int_equal(kube_config_load(path, c, &e), 0);
	unlink(path);
}

static void lease_namespace(void **state)
{
	struct kube_config c;
	struct kube_config pod = { .in_cluster = true, .namespace = "prod" };
	struct kube_config no_file = { .in_cluster = true };

	(void)state;
	/* outside a cluster: flinkhpa-system, not "default" */
	load_kubeconfig(NULL, &c);
	assert_false(c.in_cluster);
	assert_null(c.namespace);
	assert_string_equal(daemon_lease_namespace(NULL, &c), "flinkhpa-system");
	assert_string_equal(daemon_lease_namespace("leases", &c), "leases");
	kube_config_release(&c);
	/* nor the context's namespace: it is where kubectl looks, not ours */
	load_kubeconfig("team", &c);
	assert_string_equal(c.namespace, "team");
	assert_string_equal(daemon_lease_namespace(NULL, &c), "flinkhpa-system");
	kube_config_release(&c);
	/* in a cluster: the pod's own, unless the flag says otherwise */
	assert_string_equal(daemon_lease_namespace(NULL, &pod), "prod");
	assert_string_equal(daemon_lease_namespace("leases", &pod), "leases");
	assert_string_equal(daemon_lease_namespace(NULL, &no_file),
			    "flinkhpa-system");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(acquire_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(take_over, setup, teardown),
		cmocka_unit_test_setup_teardown(released, setup, teardown),
		cmocka_unit_test_setup_teardown(conflict_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(thread_lose_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_namespace, setup, teardown),
		cmocka_unit_test(lease_namespace),
	};

	log_set_verbosity(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
