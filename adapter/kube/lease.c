/*
 * lease.c - leader election on a coordination.k8s.io/v1 Lease (see
 * lease.h).
 */
#include "adapter/kube/lease.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/jget.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/str.h"

struct lease {
	struct kube_client *k;
	char *ns, *name, *identity;
	int duration_s, renew_deadline_s, retry_s;
	/* the record last seen, and when (monotonic ms) it last changed */
	char seen_holder[256], seen_renew[64];
	int64_t seen_at;
	int64_t renewed_at; /* our last successful write */
	atomic_bool leader;
	atomic_uint_fast64_t terms;
	atomic_bool stop;
	pthread_t th;
	bool running;
};

/* MicroTime: 2006-01-02T15:04:05.000000Z */
static void lease_micro_time(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

struct lease *lease_new(struct kube_client *k, const struct lease_opts *o,
			struct err *e)
{
	struct lease *l = calloc(1, sizeof(*l));

	if (!l) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	l->k = k;
	l->ns = str_dup(o->ns);
	l->name = str_dup(o->name);
	l->identity = str_dup(o->identity);
	l->duration_s = o->duration_s > 0 ? o->duration_s : 15;
	l->renew_deadline_s = o->renew_deadline_s > 0 ? o->renew_deadline_s : 10;
	l->retry_s = o->retry_s > 0 ? o->retry_s : 2;
	atomic_init(&l->leader, false);
	atomic_init(&l->terms, 0);
	atomic_init(&l->stop, false);
	if (!l->ns || !l->name || !l->identity) {
		lease_free(l);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return l;
}

/* The Lease body: ours from now on.  acquire: a new term starts. */
static int lease_body(struct lease *l, struct buf *b, const char *rv,
		      const char *acquired, long transitions)
{
	char now[64];
	int rc;

	lease_micro_time(now, sizeof(now));
	rc = buf_adds(b, "{\"apiVersion\":\"coordination.k8s.io/v1\","
		      "\"kind\":\"Lease\",\"metadata\":{\"name\":");
	rc = rc ? rc : jsonw_str(b, l->name);
	rc = rc ? rc : buf_adds(b, ",\"namespace\":");
	rc = rc ? rc : jsonw_str(b, l->ns);
	if (rv) {
		rc = rc ? rc : buf_adds(b, ",\"resourceVersion\":");
		rc = rc ? rc : jsonw_str(b, rv);
	}
	rc = rc ? rc : buf_adds(b, "},\"spec\":{\"holderIdentity\":");
	rc = rc ? rc : jsonw_str(b, l->identity);
	rc = rc ? rc : buf_addf(b, ",\"leaseDurationSeconds\":%d,"
				"\"acquireTime\":\"%s\",\"renewTime\":\"%s\","
				"\"leaseTransitions\":%ld}}", l->duration_s,
				acquired ? acquired : now, now, transitions);
	return rc;
}

static int lease_write(struct lease *l, const char *method, const char *rv,
		       const char *acquired, long transitions, struct err *e)
{
	struct buf body = BUF_INIT(8192);
	char path[1024];
	long status = 0;
	int rc;

	if (rv)
		snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/"
			 "namespaces/%s/leases/%s", l->ns, l->name);
	else
		snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/"
			 "namespaces/%s/leases", l->ns);
	rc = lease_body(l, &body, rv, acquired, transitions);
	if (!rc)
		rc = kube_request(l->k, method, path, buf_str(&body), &status,
				  NULL, e);
	buf_release(&body);
	if (rc)
		return rc;
	if (status == 409) /* another candidate wrote first */
		return 0;
	if (status == 404 && !rv) /* kube-apiserver: namespace not found */
		return err_set(e, ERR_NOTFOUND, "cannot create the Lease: "
			       "namespace \"%s\" not found (HTTP 404): it "
			       "must exist (create it, or name another with "
			       "--leader-elect-namespace); trying again every "
			       "%d s", l->ns, l->retry_s);
	if (status != 200 && status != 201)
		return err_set(e, ERR_IO, "%s lease %s/%s: HTTP %ld", method,
			       l->ns, l->name, status);
	return 1;
}

/* Someone else's record: may we take it over? */
static bool lease_expired(struct lease *l, json_object *lease, int64_t now)
{
	const char *holder = jget_str(lease, "spec", "holderIdentity");
	const char *renew = jget_str(lease, "spec", "renewTime");
	long dur = jget_int(lease, 0, "spec", "leaseDurationSeconds");

	if (!holder || !*holder)
		return true; /* released */
	if (strcmp(holder, l->seen_holder) || strcmp(renew ? renew : "",
						     l->seen_renew)) {
		str_lcpy(l->seen_holder, holder, sizeof(l->seen_holder));
		str_lcpy(l->seen_renew, renew ? renew : "",
			 sizeof(l->seen_renew));
		l->seen_at = now;
		return false;
	}
	return now - l->seen_at > (dur > 0 ? dur : l->duration_s) * 1000L;
}

static int lease_take(struct lease *l, json_object *lease, int64_t now,
		      struct err *e)
{
	const char *holder = jget_str(lease, "spec", "holderIdentity");
	const char *rv = jget_str(lease, "metadata", "resourceVersion");
	const char *acquired = jget_str(lease, "spec", "acquireTime");
	long transitions = jget_int(lease, 0, "spec", "leaseTransitions");
	bool mine = holder && !strcmp(holder, l->identity);

	if (!mine && !lease_expired(l, lease, now))
		return 0;
	if (!mine)
		acquired = NULL, transitions++;
	return lease_write(l, "PUT", rv ? rv : "", acquired, transitions, e);
}

int lease_try(struct lease *l, int64_t now, struct err *e)
{
	json_object *lease = NULL;
	char path[1024];
	long status = 0;
	int rc;

	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/"
		 "%s/leases/%s", l->ns, l->name);
	rc = kube_request(l->k, "GET", path, NULL, &status, &lease, e);
	if (rc == 0 && status == 404)
		rc = lease_write(l, "POST", NULL, NULL, 0, e);
	else if (rc == 0 && status == 200 && lease)
		rc = lease_take(l, lease, now, e);
	else if (rc == 0)
		rc = err_set(e, ERR_IO, "get lease %s/%s: HTTP %ld", l->ns,
			     l->name, status);
	json_object_put(lease);
	if (rc == 1)
		l->renewed_at = now;
	return rc;
}

static void lease_set(struct lease *l, bool leading)
{
	if (leading == atomic_load(&l->leader))
		return;
	atomic_store(&l->leader, leading);
	if (leading) {
		atomic_fetch_add(&l->terms, 1);
		log_info("lease %s/%s: leading as %s", l->ns, l->name,
			 l->identity);
	} else {
		log_info("lease %s/%s: not leading", l->ns, l->name);
	}
}

static void *lease_main(void *arg)
{
	struct lease *l = arg;
	bool failing = false;

	while (!atomic_load(&l->stop)) {
		struct err e;
		int64_t now = clock_ms(CLOCK_MONOTONIC);
		int rc;

		err_clear(&e);
		rc = lease_try(l, now, &e);
		if (rc < 0 && !failing)
			log_warn("lease %s/%s: %s", l->ns, l->name, e.msg);
		failing = rc < 0;
		if (rc == 1)
			lease_set(l, true);
		else if (rc == 0 || now - l->renewed_at >
					    l->renew_deadline_s * 1000L)
			lease_set(l, false);
		for (int i = 0; i < l->retry_s * 10 && !atomic_load(&l->stop); i++)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return NULL;
}

int lease_start(struct lease *l, struct err *e)
{
	if (l->running)
		return err_set(e, ERR_STATE, "lease %s already running", l->name);
	if (pthread_create(&l->th, NULL, lease_main, l))
		return err_set(e, ERR_IO, "cannot start the lease thread");
	l->running = true;
	return 0;
}

bool lease_is_leader(struct lease *l)
{
	return l && atomic_load(&l->leader);
}

uint64_t lease_terms(struct lease *l)
{
	return l ? atomic_load(&l->terms) : 0;
}

/* Hand the lease back so that the other replica need not wait it out. */
static void lease_release(struct lease *l)
{
	json_object *lease = NULL;
	char path[1024];
	long status = 0;
	struct buf body = BUF_INIT(8192);
	const char *rv;

	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/"
		 "%s/leases/%s", l->ns, l->name);
	if (kube_request(l->k, "GET", path, NULL, &status, &lease, NULL) ||
	    status != 200 || !lease)
		goto out;
	rv = jget_str(lease, "metadata", "resourceVersion");
	if (buf_addf(&body, "{\"metadata\":{\"resourceVersion\":\"%s\"},"
		     "\"spec\":{\"holderIdentity\":\"\",\"leaseDurationSeconds\":1}}",
		     rv ? rv : "") == 0)
		kube_request(l->k, "PATCH", path, buf_str(&body), &status,
			     NULL, NULL);
out:
	buf_release(&body);
	json_object_put(lease);
}

void lease_stop(struct lease *l)
{
	if (!l || !l->running)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->th, NULL);
	l->running = false;
	atomic_store(&l->stop, false);
	if (atomic_load(&l->leader))
		lease_release(l);
	atomic_store(&l->leader, false);
}

void lease_free(struct lease *l)
{
	if (!l)
		return;
	lease_stop(l);
	if (atomic_load(&l->leader)) /* lease_try without the thread */
		lease_release(l);
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l);
}
