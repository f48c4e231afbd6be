/*
 * discovery.c - TaskManager pods from the Kubernetes API (see discovery.h).
 *
 * The thread keeps a table of the pods it knows (key ns/name).  Each event
 * updates the store at once; the scraper's target list is rebuilt from the
 * table when it changed, at most once a second.
 */
#include "discovery.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/str.h"
#include "targets.h"

static const char *js(json_object *o, const char *path)
{
	char key[128];
	const char *dot;

	while (o && (dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_object_get(o, key);
		path = dot + 1;
	}
	o = o ? json_object_object_get(o, path) : NULL;
	return o && json_object_is_type(o, json_type_string)
		       ? json_object_get_string(o) : NULL;
}

static const char *js_map(json_object *meta, const char *map, const char *k)
{
	json_object *m = json_object_object_get(meta, map);
	json_object *v = m ? json_object_object_get(m, k) : NULL;

	return v && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

/* Deployment owning the pod's ReplicaSet: the ReplicaSet's name without
 * the pod-template-hash suffix. */
static void disc_owner(json_object *meta, char *out, size_t n)
{
	json_object *refs = json_object_object_get(meta, "ownerReferences");
	const char *hash = js_map(meta, "labels", "pod-template-hash");

	out[0] = '\0';
	for (size_t i = 0; refs && i < json_object_array_length(refs); i++) {
		json_object *r = json_object_array_get_idx(refs, i);
		const char *kind = js(r, "kind"), *name = js(r, "name");
		size_t len, hl;

		if (!kind || !name || strcmp(kind, "ReplicaSet") != 0)
			continue;
		str_lcpy(out, name, n);
		len = strlen(out);
		hl = hash ? strlen(hash) : 0;
		if (hl && len > hl + 1 && strcmp(out + len - hl, hash) == 0 &&
		    out[len - hl - 1] == '-')
			out[len - hl - 1] = '\0';
		return;
	}
}

static double disc_cpu(json_object *pod)
{
	json_object *spec = json_object_object_get(pod, "spec");
	json_object *cs = spec ? json_object_object_get(spec, "containers") : NULL;
	double total = 0, c;

	for (size_t i = 0; cs && i < json_object_array_length(cs); i++) {
		const char *q = js(json_object_array_get_idx(cs, i),
				   "resources.requests.cpu");
		if (q && targets_parse_cpu(q, &c) == 0)
			total += c;
	}
	return total;
}

static int disc_labels(json_object *meta, struct pod_target *t)
{
	json_object *l = json_object_object_get(meta, "labels");
	size_t k = 0;

	if (!l || !json_object_is_type(l, json_type_object))
		return 0;
	json_object_object_foreach(l, key, val) {
		if (k == 2 * DISC_MAX_LABELS)
			break;
		t->labels[k++] = str_dup(key);
		t->labels[k++] = str_dup(json_object_get_string(val));
		if (!t->labels[k - 1] || !t->labels[k - 2])
			return ERR_NOMEM;
	}
	return 0;
}

int disc_pod_target(json_object *pod, struct pod_target *t)
{
	json_object *meta = json_object_object_get(pod, "metadata");
	const char *ns = js(meta, "namespace"), *name = js(meta, "name");
	const char *ip = js(pod, "status.podIP"), *phase = js(pod, "status.phase");
	const char *port = js_map(meta, "annotations", "flinkhpa.io/metrics-port");
	const char *path = js_map(meta, "annotations", "flinkhpa.io/metrics-path");
	const char *job = js_map(meta, "annotations", "flinkhpa.io/job-name");

	memset(t, 0, sizeof(*t));
	if (!ns || !name)
		return ERR_INVAL;
	str_lcpy(t->ns, ns, sizeof(t->ns));
	str_lcpy(t->name, name, sizeof(t->name));
	if (!ip || !*ip || !phase || strcmp(phase, "Running") != 0 ||
	    json_object_object_get(meta, "deletionTimestamp"))
		return ERR_NOTFOUND;
	snprintf(t->url, sizeof(t->url), strchr(ip, ':') ? "http://[%s]:%s%s%s"
							: "http://%s:%s%s%s",
		 ip, port ? port : "9249", path && *path == '/' ? "" : "/",
		 path ? path : "metrics");
	str_lcpy(t->job, job ? job : "", sizeof(t->job));
	disc_owner(meta, t->deployment, sizeof(t->deployment));
	t->cpu = disc_cpu(pod);
	return disc_labels(meta, t);
}

void disc_pod_target_release(struct pod_target *t)
{
	for (size_t i = 0; t->labels[i]; i++)
		free(t->labels[i]);
	t->labels[0] = NULL;
}

/* ---- the watch loop ---- */

struct dpod {
	struct pod_target t;
	bool seen; /* in the latest list */
	struct dpod *next;
};

struct discovery {
	struct kube_client *k;
	char *ns, *selector;
	int resync_s;
	struct store *st;
	struct scraper *sc;
	pthread_t th;
	bool running;
	volatile bool stop;
	pthread_mutex_t mu; /* guards synced_at */
	int64_t synced_at;
	struct dpod *pods;
	size_t npods;
	char rv[128];
	bool relist;
};

static struct dpod **disc_find(struct discovery *d, const char *ns,
			       const char *name)
{
	struct dpod **p = &d->pods;

	for (; *p; p = &(*p)->next)
		if (strcmp((*p)->t.ns, ns) == 0 && strcmp((*p)->t.name, name) == 0)
			return p;
	return p;
}

static void disc_push(struct discovery *d)
{
	struct scrape_target *t = calloc(d->npods + 1, sizeof(*t));
	size_t n = 0;
	struct err e;

	if (!t) {
		log_error("discovery: out of memory");
		return;
	}
	for (struct dpod *p = d->pods; p; p = p->next)
		t[n++] = (struct scrape_target){ p->t.ns, p->t.name, p->t.url,
						 p->t.cpu };
	err_clear(&e);
	if (scraper_set_targets(d->sc, t, n, &e))
		log_error("discovery: %s", e.msg);
	free(t);
}

static void disc_forget(struct discovery *d, struct dpod **slot)
{
	struct dpod *p = *slot;

	*slot = p->next;
	store_remove_pod(d->st, p->t.ns, p->t.name);
	log_v(1, "discovery: %s/%s is no longer scraped", p->t.ns, p->t.name);
	disc_pod_target_release(&p->t);
	free(p);
	d->npods--;
}

/* A pod was added or changed: scrape it if it can be, else forget it. */
static bool disc_update(struct discovery *d, json_object *pod)
{
	struct pod_target t;
	struct dpod **slot, *p;
	int rc = disc_pod_target(pod, &t);
	struct store_pod_meta m = { t.ns, t.name, t.deployment[0] ? t.deployment : NULL,
				    t.job[0] ? t.job : NULL,
				    (const char *const *)t.labels };

	slot = disc_find(d, t.ns, t.name);
	if (rc) {
		disc_pod_target_release(&t);
		if (*slot)
			disc_forget(d, slot);
		return rc == ERR_NOTFOUND;
	}
	if (store_upsert_pod(d->st, &m, NULL) || (!*slot && !(*slot = calloc(1, sizeof(**slot))))) {
		disc_pod_target_release(&t);
		return false;
	}
	p = *slot;
	if (p->t.name[0])
		disc_pod_target_release(&p->t);
	else
		d->npods++;
	p->t = t;
	p->seen = true;
	return true;
}

static void disc_rv(struct discovery *d, json_object *obj)
{
	const char *rv = js(obj, "metadata.resourceVersion");

	if (rv)
		str_lcpy(d->rv, rv, sizeof(d->rv));
}

static int disc_event(void *ud, const char *type, json_object *obj)
{
	struct discovery *d = ud;
	struct dpod **slot;
	const char *ns = js(obj, "metadata.namespace");
	const char *name = js(obj, "metadata.name");

	if (strcmp(type, "ERROR") == 0) {
		json_object *code = json_object_object_get(obj, "code");
		log_v(1, "discovery: watch error %d, re-listing",
		      code ? json_object_get_int(code) : 0);
		d->relist = true;
		return 1; /* ends the watch */
	}
	disc_rv(d, obj);
	if (strcmp(type, "BOOKMARK") == 0 || !ns || !name)
		return 0;
	if (strcmp(type, "DELETED") == 0) {
		slot = disc_find(d, ns, name);
		if (*slot)
			disc_forget(d, slot);
	} else {
		disc_update(d, obj);
	}
	disc_push(d);
	return 0;
}

static void disc_path(struct discovery *d, char *out, size_t n, bool watch)
{
	char sel[1024];
	size_t k = 0;

	for (const char *s = d->selector; *s && k + 4 < sizeof(sel); s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.~", *s))
			sel[k++] = *s;
		else
			k += (size_t)snprintf(sel + k, 4, "%%%02X",
					      (unsigned char)*s);
	}
	sel[k] = '\0';
	snprintf(out, n, "/api/v1/%s%s%spods?labelSelector=%s%s%s%s",
		 d->ns ? "namespaces/" : "", d->ns ? d->ns : "",
		 d->ns ? "/" : "", sel,
		 watch ? "&watch=1&allowWatchBookmarks=true&resourceVersion=" : "",
		 watch ? d->rv : "", "");
}

static int disc_list(struct discovery *d, struct err *e)
{
	char path[2048];
	json_object *out = NULL, *items;
	long status;
	struct dpod **p;
	int rc;

	disc_path(d, path, sizeof(path), false);
	rc = kube_request(d->k, "GET", path, NULL, &status, &out, e);
	if (!rc && status != 200)
		rc = err_set(e, ERR_IO, "listing pods: HTTP %ld%s%s", status,
			     out ? ": " : "", out ? js(out, "message") ? js(out, "message") : "" : "");
	items = out ? json_object_object_get(out, "items") : NULL;
	if (!rc && !items)
		rc = err_set(e, ERR_IO, "listing pods: no items in the answer");
	for (struct dpod *q = d->pods; !rc && q; q = q->next)
		q->seen = false;
	for (size_t i = 0; !rc && i < json_object_array_length(items); i++)
		disc_update(d, json_object_array_get_idx(items, i));
	for (p = &d->pods; !rc && *p;)
		if (!(*p)->seen)
			disc_forget(d, p);
		else
			p = &(*p)->next;
	if (!rc) {
		disc_rv(d, out);
		disc_push(d);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		pthread_mutex_lock(&d->mu);
		if (!d->synced_at)
			d->synced_at = (int64_t)ts.tv_sec * 1000 +
				       ts.tv_nsec / 1000000;
		pthread_mutex_unlock(&d->mu);
		log_v(1, "discovery: %zu TaskManager pods", d->npods);
	}
	json_object_put(out);
	return rc;
}

static void disc_sleep(struct discovery *d, int seconds)
{
	for (int i = 0; i < seconds * 10 && !d->stop; i++)
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
}

static void *disc_main(void *arg)
{
	struct discovery *d = arg;
	char path[2048];
	int backoff = 1;
	bool failing = false;

	while (!d->stop) {
		struct err e;
		long status = 0;

		err_clear(&e);
		if (disc_list(d, &e) == 0) {
			d->relist = false;
			disc_path(d, path, sizeof(path), true);
			if (kube_watch(d->k, path, disc_event, d, &d->stop,
				       d->resync_s, &status, &e) == 0 &&
			    (status == 200 || d->stop)) {
				if (failing)
					log_info("discovery: watching pods again");
				failing = false;
				backoff = 1;
				continue; /* resync: list again */
			}
			if (!e.msg[0])
				err_set(&e, ERR_IO, "watch: HTTP %ld", status);
		}
		if (!failing)
			log_warn("discovery: %s (retrying)", e.msg);
		failing = true;
		disc_sleep(d, backoff);
		backoff = backoff < 30 ? backoff * 2 : 30;
	}
	return NULL;
}

struct discovery *discovery_new(struct kube_client *k,
				const struct disc_opts *o, struct store *st,
				struct scraper *sc, struct err *e)
{
	struct discovery *d = calloc(1, sizeof(*d));

	if (!d) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	d->k = k;
	d->ns = str_dup(o->ns);
	d->selector = str_dup(o->selector ? o->selector
					  : "flinkhpa.io/role=taskmanager");
	d->resync_s = o->resync_s > 0 ? o->resync_s : 300;
	d->st = st;
	d->sc = sc;
	pthread_mutex_init(&d->mu, NULL);
	if (!d->selector || (o->ns && !d->ns)) {
		discovery_free(d);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return d;
}

int discovery_start(struct discovery *d, struct err *e)
{
	if (pthread_create(&d->th, NULL, disc_main, d))
		return err_set(e, ERR_IO, "cannot start the discovery thread");
	d->running = true;
	return 0;
}

int64_t discovery_synced_at(struct discovery *d)
{
	int64_t at;

	pthread_mutex_lock(&d->mu);
	at = d->synced_at;
	pthread_mutex_unlock(&d->mu);
	return at;
}

void discovery_free(struct discovery *d)
{
	if (!d)
		return;
	d->stop = true;
	if (d->running)
		pthread_join(d->th, NULL);
	while (d->pods) {
		struct dpod *p = d->pods;
		d->pods = p->next;
		disc_pod_target_release(&p->t);
		free(p);
	}
	pthread_mutex_destroy(&d->mu);
	free(d->ns);
	free(d->selector);
	free(d);
}
