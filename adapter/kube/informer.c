/*
 * informer.c - list and watch one kind of object (see informer.h).
 *
 * The informer remembers the keys (namespace/name) of the objects it has
 * passed on, so that a new list can tell which ones went away while no
 * watch was running.
 */
#include "adapter/kube/informer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/str.h"

struct inf_key {
	char *ns, *name;
	bool seen; /* in the list being applied */
};

struct informer {
	struct kube_client *k;
	struct informer_handlers h;
	char *what, *api, *resource, *ns, *selector;
	int resync_s;
	struct inf_key *keys;
	size_t nkeys, cap;
	char rv[128];
	pthread_t th;
	bool running;
	atomic_bool stop;
	pthread_mutex_t mu; /* guards synced_at */
	int64_t synced_at;
};

static const char *inf_str(json_object *o, const char *a, const char *b)
{
	json_object *m, *v;

	if (!json_object_object_get_ex(o, a, &m) ||
	    !json_object_object_get_ex(m, b, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct inf_key *inf_find(struct informer *inf, const char *ns,
				const char *name)
{
	for (size_t i = 0; i < inf->nkeys; i++)
		if (strcmp(inf->keys[i].ns, ns) == 0 &&
		    strcmp(inf->keys[i].name, name) == 0)
			return &inf->keys[i];
	return NULL;
}

/* Remember ns/name; false when out of memory. */
static bool inf_remember(struct informer *inf, const char *ns,
			 const char *name)
{
	struct inf_key *k = inf_find(inf, ns, name);

	if (k) {
		k->seen = true;
		return true;
	}
	if (inf->nkeys == inf->cap) {
		size_t cap = inf->cap ? inf->cap * 2 : 64;
		void *p = realloc(inf->keys, cap * sizeof(*inf->keys));

		if (!p)
			return false;
		inf->keys = p;
		inf->cap = cap;
	}
	k = &inf->keys[inf->nkeys];
	if (!(k->ns = str_dup(ns)) || !(k->name = str_dup(name))) {
		free(k->ns);
		return false;
	}
	k->seen = true;
	inf->nkeys++;
	return true;
}

/* Forget key i and tell the handler. */
static void inf_forget(struct informer *inf, size_t i)
{
	struct inf_key k = inf->keys[i];

	inf->keys[i] = inf->keys[--inf->nkeys];
	inf->h.remove(inf->h.ud, k.ns, k.name);
	free(k.ns);
	free(k.name);
}

static void inf_upsert(struct informer *inf, json_object *obj)
{
	const char *ns = inf_str(obj, "metadata", "namespace");
	const char *name = inf_str(obj, "metadata", "name");

	if (!name)
		return;
	if (!inf_remember(inf, ns ? ns : "", name))
		log_error("%s: out of memory", inf->what);
	inf->h.upsert(inf->h.ud, obj);
}

static int inf_event(void *ud, const char *type, json_object *obj)
{
	struct informer *inf = ud;
	const char *rv = inf_str(obj, "metadata", "resourceVersion");
	const char *ns = inf_str(obj, "metadata", "namespace");
	const char *name = inf_str(obj, "metadata", "name");
	struct inf_key *k;

	if (strcmp(type, "ERROR") == 0) {
		json_object *code = json_object_object_get(obj, "code");
		log_v(1, "%s: watch error %d, listing again", inf->what,
		      code ? json_object_get_int(code) : 0);
		return 1; /* ends the watch */
	}
	if (rv)
		str_lcpy(inf->rv, rv, sizeof(inf->rv));
	if (strcmp(type, "BOOKMARK") == 0 || !name)
		return 0;
	if (strcmp(type, "DELETED") == 0) {
		if ((k = inf_find(inf, ns ? ns : "", name)))
			inf_forget(inf, (size_t)(k - inf->keys));
	} else {
		inf_upsert(inf, obj);
	}
	if (inf->h.changed)
		inf->h.changed(inf->h.ud, false);
	return 0;
}

/* The collection's path; with watch, from the last resourceVersion. */
static void inf_path(const struct informer *inf, char *out, size_t n,
		     bool watch)
{
	char sel[1024];
	size_t k = 0;

	for (const char *s = inf->selector ? inf->selector : "";
	     *s && k + 4 < sizeof(sel); s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.~", *s))
			sel[k++] = *s;
		else
			k += (size_t)snprintf(sel + k, 4, "%%%02X",
					      (unsigned char)*s);
	}
	sel[k] = '\0';
	snprintf(out, n, "%s/%s%s%s%s?labelSelector=%s%s%s", inf->api,
		 inf->ns ? "namespaces/" : "", inf->ns ? inf->ns : "",
		 inf->ns ? "/" : "", inf->resource, sel,
		 watch ? "&watch=1&allowWatchBookmarks=true&resourceVersion="
		       : "",
		 watch ? inf->rv : "");
}

/* Apply a list: upsert every item, remove what it no longer has. */
static void inf_apply(struct informer *inf, json_object *items)
{
	for (size_t i = 0; i < inf->nkeys; i++)
		inf->keys[i].seen = false;
	for (size_t i = 0; i < json_object_array_length(items); i++)
		inf_upsert(inf, json_object_array_get_idx(items, i));
	for (size_t i = 0; i < inf->nkeys;)
		if (!inf->keys[i].seen)
			inf_forget(inf, i);
		else
			i++;
}

static void inf_mark_synced(struct informer *inf)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&inf->mu);
	if (!inf->synced_at)
		inf->synced_at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_unlock(&inf->mu);
}

static int inf_list(struct informer *inf, struct err *e)
{
	char path[2048];
	json_object *out = NULL, *items = NULL;
	const char *msg, *rv;
	long status;
	int rc;

	inf_path(inf, path, sizeof(path), false);
	rc = kube_request(inf->k, "GET", path, NULL, &status, &out, e);
	msg = out ? json_object_get_string(json_object_object_get(out,
							"message")) : NULL;
	if (!rc && status != 200)
		rc = err_set(e, ERR_IO, "listing %s: HTTP %ld%s%s", inf->resource,
			     status, msg ? ": " : "", msg ? msg : "");
	if (!rc && (!json_object_object_get_ex(out, "items", &items) ||
		    !json_object_is_type(items, json_type_array)))
		rc = err_set(e, ERR_IO, "listing %s: no items in the answer",
			     inf->resource);
	if (!rc) {
		inf_apply(inf, items);
		rv = inf_str(out, "metadata", "resourceVersion");
		str_lcpy(inf->rv, rv ? rv : "", sizeof(inf->rv));
		inf_mark_synced(inf);
		if (inf->h.changed)
			inf->h.changed(inf->h.ud, true);
		log_v(1, "%s: %zu listed", inf->what, inf->nkeys);
	}
	json_object_put(out);
	return rc;
}

static void inf_sleep(struct informer *inf, int seconds)
{
	for (int i = 0; i < seconds * 10 && !atomic_load(&inf->stop); i++)
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
}

/* One list and the watch after it; 0 when the watch ended normally. */
static int inf_cycle(struct informer *inf, struct err *e)
{
	char path[2048];
	long status = 0;
	int rc = inf_list(inf, e);

	if (rc)
		return rc;
	inf_path(inf, path, sizeof(path), true);
	rc = kube_watch(inf->k, path, inf_event, inf, &inf->stop,
			inf->resync_s, &status, e);
	if (!rc && status != 200 && !atomic_load(&inf->stop))
		rc = err_set(e, ERR_IO, "watching %s: HTTP %ld", inf->resource,
			     status);
	return rc;
}

static void *inf_main(void *arg)
{
	struct informer *inf = arg;
	int backoff = 1;
	bool failing = false;

	while (!atomic_load(&inf->stop)) {
		struct err e;

		err_clear(&e);
		if (inf_cycle(inf, &e) == 0) {
			if (failing)
				log_info("%s: watching again", inf->what);
			failing = false;
			backoff = 1;
			continue; /* the watch ended: list again */
		}
		if (!failing)
			log_warn("%s: %s (retrying)", inf->what, e.msg);
		failing = true;
		inf_sleep(inf, backoff);
		backoff = backoff < 30 ? backoff * 2 : 30;
	}
	return NULL;
}

struct informer *informer_new(struct kube_client *k,
			      const struct informer_opts *o,
			      const struct informer_handlers *h,
			      struct err *e)
{
	struct informer *inf = calloc(1, sizeof(*inf));

	if (!inf) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	inf->k = k;
	inf->h = *h;
	inf->what = str_dup(o->what);
	inf->api = str_dup(o->api);
	inf->resource = str_dup(o->resource);
	inf->ns = str_dup(o->ns);
	inf->selector = str_dup(o->selector);
	inf->resync_s = o->resync_s > 0 ? o->resync_s : 300;
	atomic_init(&inf->stop, false);
	pthread_mutex_init(&inf->mu, NULL);
	if (!inf->what || !inf->api || !inf->resource ||
	    (o->ns && !inf->ns) || (o->selector && !inf->selector)) {
		informer_free(inf);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return inf;
}

int informer_start(struct informer *inf, struct err *e)
{
	if (inf->running)
		return err_set(e, ERR_STATE, "%s: already started", inf->what);
	if (pthread_create(&inf->th, NULL, inf_main, inf))
		return err_set(e, ERR_IO, "%s: cannot start a thread", inf->what);
	inf->running = true;
	return 0;
}

int64_t informer_synced_at(struct informer *inf)
{
	int64_t t;

	pthread_mutex_lock(&inf->mu);
	t = inf->synced_at;
	pthread_mutex_unlock(&inf->mu);
	return t;
}

void informer_free(struct informer *inf)
{
	if (!inf)
		return;
	if (inf->running) {
		atomic_store(&inf->stop, true);
		pthread_join(inf->th, NULL);
	}
	for (size_t i = 0; i < inf->nkeys; i++) {
		free(inf->keys[i].ns);
		free(inf->keys[i].name);
	}
	free(inf->keys);
	free(inf->what);
	free(inf->api);
	free(inf->resource);
	free(inf->ns);
	free(inf->selector);
	pthread_mutex_destroy(&inf->mu);
	free(inf);
}
