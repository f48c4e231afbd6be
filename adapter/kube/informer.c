/*
 * informer.c - list and watch one kind of object (see informer.h).
 *
 * The informer remembers the keys (namespace/name) of the objects it has
 * passed on, in a hash table (common/keytab.h), so that a new list can
 * tell which ones went away while no watch was running: every key is
 * marked unseen when a list starts, each page marks its objects, and the
 * keys still unseen when the last page has been applied are removed.
 */
#include "adapter/kube/informer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/jget.h"
#include "common/keytab.h"
#include "common/log.h"
#include "common/str.h"

#define INF_PAGE_SIZE 500        /* client-go's pager */
#define INF_MAX_PATH (64 * 1024) /* selectors and a continue token */
#define INF_EXPIRED 1            /* inf_page: the continue token expired */
#define INF_SHORT_WATCH_MS 1000  /* client-go's "very short watch" */

struct inf_key {
	struct keytab_node node; /* ns and name point into block */
	char *block;             /* "ns\0name\0" */
	bool seen;               /* in the list being applied */
};

enum inf_wend { INF_W_OPEN, INF_W_GONE, INF_W_ERROR };

struct informer {
	struct kube_client *k;
	struct informer_handlers h;
	char *what, *api, *resource, *ns, *selector, *field;
	int resync_s;
	long page_size;
	struct keytab keys; /* of struct inf_key */
	char rv[128];      /* the last resourceVersion seen */
	int64_t relist_at; /* CLOCK_MONOTONIC ms of the next periodic list */
	size_t wevents;    /* events of the watch under way */
	bool dirty;        /* a change not yet told (h.changed) */
	enum inf_wend wend;
	char werr[256]; /* an ERROR event's message */
	pthread_t th;
	bool running;
	atomic_bool stop;
	pthread_mutex_t mu; /* guards synced_at */
	int64_t synced_at;
};

/* ---- the keys ---- */

/* Remember ns/name as seen; false when out of memory. */
static bool inf_remember(struct informer *inf, const char *ns,
			 const char *name)
{
	size_t lns = strlen(ns), lname = strlen(name);
	struct keytab_node **p;
	struct inf_key *k;
	uint32_t h;

	keytab_grow(&inf->keys);
	p = keytab_slot(&inf->keys, ns, name, &h);
	if (*p) {
		keytab_entry(*p, struct inf_key, node)->seen = true;
		return true;
	}
	if (!(k = calloc(1, sizeof(*k))) ||
	    !(k->block = malloc(lns + lname + 2))) {
		free(k);
		return false;
	}
	memcpy(k->block, ns, lns + 1);
	memcpy(k->block + lns + 1, name, lname + 1);
	k->node.ns = k->block;
	k->node.name = k->block + lns + 1;
	k->seen = true;
	keytab_insert(&inf->keys, p, &k->node, h);
	return true;
}

/* Free a key the table no longer holds. */
static void inf_key_free(struct inf_key *k)
{
	free(k->block);
	free(k);
}

/* Tell the handler that k, just unlinked, went away; free it. */
static void inf_forget(struct informer *inf, struct inf_key *k)
{
	inf->h.remove(inf->h.ud, k->node.ns, k->node.name);
	inf_key_free(k);
}

static void inf_unsee(struct informer *inf)
{
	struct keytab_iter it;
	struct keytab_node *n;

	keytab_iter_init(&it, &inf->keys);
	while ((n = keytab_next(&it)))
		keytab_entry(n, struct inf_key, node)->seen = false;
}

/* Remove what the list just applied did not have. */
static void inf_sweep(struct informer *inf)
{
	struct keytab_iter it;
	struct keytab_node *n;

	keytab_iter_init(&it, &inf->keys);
	while ((n = keytab_next(&it))) {
		struct inf_key *k = keytab_entry(n, struct inf_key, node);

		if (!k->seen) {
			keytab_iter_unlink(&it);
			inf_forget(inf, k);
		}
	}
}

static void inf_upsert(struct informer *inf, json_object *obj)
{
	const char *ns = jget_str(obj, "metadata", "namespace");
	const char *name = jget_str(obj, "metadata", "name");

	if (!name)
		return;
	if (!inf_remember(inf, ns ? ns : "", name))
		log_error("%s: out of memory", inf->what);
	inf->h.upsert(inf->h.ud, obj);
}

/* ---- the watch's events ---- */

/* An ERROR event: 410 lists again at once, anything else is a failure. */
static int inf_event_error(struct informer *inf, json_object *obj)
{
	int64_t code = jget_int(obj, 0, "code");
	const char *msg = jget_str(obj, "message");

	inf->wend = code == 410 ? INF_W_GONE : INF_W_ERROR;
	snprintf(inf->werr, sizeof(inf->werr), "an ERROR event (%lld%s%s)",
		 (long long)code, msg ? ": " : "", msg ? msg : "");
	return 1; /* ends the watch */
}

static int inf_event(void *ud, const char *type, json_object *obj)
{
	struct informer *inf = ud;
	const char *rv = jget_str(obj, "metadata", "resourceVersion");
	const char *ns = jget_str(obj, "metadata", "namespace");
	const char *name = jget_str(obj, "metadata", "name");
	struct keytab_node **p, *n;

	if (!type) { /* a batch of events ends: one h.changed for all */
		if (inf->dirty && inf->h.changed)
			inf->h.changed(inf->h.ud, false);
		inf->dirty = false;
		return 0;
	}
	if (strcmp(type, "ERROR") == 0)
		return inf_event_error(inf, obj);
	inf->wevents++;
	if (rv)
		str_lcpy(inf->rv, rv, sizeof(inf->rv));
	if (strcmp(type, "BOOKMARK") == 0 || !name)
		return 0;
	if (strcmp(type, "DELETED") == 0) {
		if (!ns)
			ns = "";
		if ((n = *(p = keytab_slot(&inf->keys, ns, name, NULL)))) {
			keytab_unlink(&inf->keys, p);
			inf_forget(inf, keytab_entry(n, struct inf_key, node));
		}
	} else if (strcmp(type, "ADDED") == 0 ||
		   strcmp(type, "MODIFIED") == 0) {
		inf_upsert(inf, obj);
	} else {
		log_v(1, "%s: watch event of type %s ignored", inf->what, type);
		return 0;
	}
	inf->dirty = true;
	return 0;
}

/* ---- requests ---- */

/* s escaped for a query, appended to out. */
static int inf_escape(struct buf *out, const char *s)
{
	int rc = 0;

	for (; s && *s && !rc; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.~", *s))
			rc = buf_addc(out, *s);
		else
			rc = buf_addf(out, "%%%02X", (unsigned char)*s);
	return rc;
}

/* The collection's path and selectors: the list's page (limit, continue
 * token) or, with watch, the watch from the last resourceVersion. */
static int inf_path(const struct informer *inf, struct buf *out, bool watch,
		    long limit, const char *cont)
{
	int rc = buf_addf(out, "%s/%s%s%s%s?labelSelector=", inf->api,
			  inf->ns ? "namespaces/" : "", inf->ns ? inf->ns : "",
			  inf->ns ? "/" : "", inf->resource);

	if (!rc)
		rc = inf_escape(out, inf->selector);
	if (!rc && inf->field)
		rc = buf_adds(out, "&fieldSelector=") ||
		     inf_escape(out, inf->field);
	if (!rc && watch)
		rc = buf_adds(out, "&watch=1&allowWatchBookmarks=true"
				   "&resourceVersion=") ||
		     inf_escape(out, inf->rv);
	if (!rc && !watch && limit > 0)
		rc = buf_addf(out, "&limit=%ld", limit);
	if (!rc && !watch && cont && cont[0])
		rc = buf_adds(out, "&continue=") || inf_escape(out, cont);
	return rc;
}

/* The answer's items to the handlers; *next: the continue token or NULL. */
static int inf_page_apply(struct informer *inf, json_object *out,
			  char *rv, size_t rvlen, char **next, struct err *e)
{
	json_object *items;
	const char *v;

	if (!json_object_object_get_ex(out, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return err_set(e, ERR_IO, "listing %s: no items in the answer",
			       inf->resource);
	for (size_t i = 0; i < json_object_array_length(items); i++)
		inf_upsert(inf, json_object_array_get_idx(items, i));
	v = jget_str(out, "metadata", "resourceVersion");
	str_lcpy(rv, v ? v : "", rvlen);
	v = jget_str(out, "metadata", "continue");
	if (v && v[0] && !(*next = str_dup(v)))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

/* One page of the list, applied; INF_EXPIRED when cont has expired. */
static int inf_page(struct informer *inf, long limit, const char *cont,
		    char *rv, size_t rvlen, char **next, struct err *e)
{
	struct buf path = BUF_INIT(INF_MAX_PATH);
	json_object *out = NULL;
	const char *msg;
	long status = 0;
	int rc;

	*next = NULL;
	if (inf_path(inf, &path, false, limit, cont)) {
		buf_release(&path);
		return err_set(e, ERR_LIMIT, "listing %s: the request is too "
			       "long", inf->resource);
	}
	rc = kube_request(inf->k, "GET", path.p, NULL, &status, &out, e);
	msg = jget_str(out, "message");
	if (!rc && status == 410 && cont && cont[0])
		rc = INF_EXPIRED;
	else if (!rc && status != 200)
		rc = err_set(e, ERR_IO, "listing %s: HTTP %ld%s%s", inf->resource,
			     status, msg ? ": " : "", msg ? msg : "");
	else if (!rc)
		rc = inf_page_apply(inf, out, rv, rvlen, next, e);
	json_object_put(out); /* the page, before the next is asked for */
	buf_release(&path);
	return rc;
}

static void inf_mark_synced(struct informer *inf)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);

	pthread_mutex_lock(&inf->mu);
	if (!inf->synced_at)
		inf->synced_at = now;
	pthread_mutex_unlock(&inf->mu);
}

/* Every page of a list; after an expired continue token the list starts
 * over, paged once more, then in one request (client-go's fallback). */
static int inf_pages(struct informer *inf, char *rv, size_t rvlen,
		     size_t *npages, struct err *e)
{
	long limit = inf->page_size;
	char *cont = NULL, *next = NULL;
	int restarts = 0, rc;

	for (*npages = 1;; (*npages)++) {
		rc = inf_page(inf, limit, cont, rv, rvlen, &next, e);
		free(cont);
		cont = next;
		if (rc == INF_EXPIRED) {
			log_v(1, "%s: the list's continue token expired (410), "
			      "listing from the start%s", inf->what,
			      restarts ? " in one request" : "");
			limit = restarts++ ? 0 : inf->page_size;
			inf_unsee(inf); /* a new list: absent means gone */
			continue;
		}
		if (rc || !cont || atomic_load(&inf->stop))
			break;
	}
	free(cont);
	return rc || !atomic_load(&inf->stop) ? rc
		: err_set(e, ERR_STATE, "listing %s: stopped", inf->resource);
}

static int inf_list(struct informer *inf, struct err *e)
{
	char rv[sizeof(inf->rv)] = "";
	size_t npages;
	int rc;

	inf_unsee(inf);
	if ((rc = inf_pages(inf, rv, sizeof(rv), &npages, e)))
		return rc;
	inf_sweep(inf); /* only now: the whole list is known */
	str_lcpy(inf->rv, rv, sizeof(inf->rv));
	inf->relist_at = clock_ms(CLOCK_MONOTONIC) + inf->resync_s * 1000LL;
	inf_mark_synced(inf);
	if (inf->h.changed)
		inf->h.changed(inf->h.ud, true);
	log_v(1, "%s: %zu listed in %zu page%s", inf->what, inf->keys.count,
	      npages, npages == 1 ? "" : "s");
	return 0;
}

/* A watch from inf->rv until it ends; *relist: list before the next. */
static int inf_watch(struct informer *inf, bool *relist, struct err *e)
{
	struct buf path = BUF_INIT(INF_MAX_PATH);
	int64_t start = clock_ms(CLOCK_MONOTONIC), now;
	long status = 0;
	int rc;

	*relist = true;
	if (start >= inf->relist_at)
		return 0; /* the resync period is over */
	inf->wevents = 0;
	inf->wend = INF_W_OPEN;
	if (inf_path(inf, &path, true, 0, NULL))
		rc = err_set(e, ERR_LIMIT, "watching %s: the request is too "
			     "long", inf->resource);
	else
		rc = kube_watch(inf->k, path.p, inf_event, inf, &inf->stop,
				(long)((inf->relist_at - start + 999) / 1000),
				&status, e);
	buf_release(&path);
	if (inf->dirty && !atomic_load(&inf->stop))
		inf_event(inf, NULL, NULL); /* events before one that ended it */
	now = clock_ms(CLOCK_MONOTONIC);
	if (rc || atomic_load(&inf->stop))
		return rc;
	if (status == 410 || inf->wend == INF_W_GONE) {
		log_v(1, "%s: watch: 410 Gone, listing again", inf->what);
		return 0;
	}
	if (status != 200)
		return err_set(e, ERR_IO, "watching %s: HTTP %ld", inf->resource,
			       status);
	if (inf->wend == INF_W_ERROR)
		return err_set(e, ERR_IO, "watching %s: %s", inf->resource,
			       inf->werr);
	/* closed by the server: from the last resourceVersion, unless it
	 * was at once and empty (client-go's very short watch) */
	*relist = now >= inf->relist_at ||
		  (inf->wevents == 0 && now - start < INF_SHORT_WATCH_MS);
	return 0;
}

static void inf_sleep(struct informer *inf, int seconds)
{
	for (int i = 0; i < seconds * 10 && !atomic_load(&inf->stop); i++)
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
}

static void *inf_main(void *arg)
{
	struct informer *inf = arg;
	int backoff = 1;
	bool failing = false, relist = true;

	while (!atomic_load(&inf->stop)) {
		struct err e;
		int rc;

		err_clear(&e);
		rc = relist ? inf_list(inf, &e) : 0;
		if (!rc)
			rc = inf_watch(inf, &relist, &e);
		if (rc == 0) {
			if (failing)
				log_info("%s: watching again", inf->what);
			failing = false;
			backoff = 1;
			continue;
		}
		if (atomic_load(&inf->stop))
			break;
		if (!failing)
			log_warn("%s: %s (retrying)", inf->what, e.msg);
		failing = true;
		relist = true;
		inf_sleep(inf, backoff);
		backoff = backoff < 30 ? backoff * 2 : 30;
	}
	return NULL;
}

/* ---- the object ---- */

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
	inf->field = str_dup(o->field);
	inf->resync_s = o->resync_s > 0 ? o->resync_s : 300;
	inf->page_size = INF_PAGE_SIZE;
	atomic_init(&inf->stop, false);
	pthread_mutex_init(&inf->mu, NULL);
	if (!inf->what || !inf->api || !inf->resource ||
	    (o->ns && !inf->ns) || (o->selector && !inf->selector) ||
	    (o->field && !inf->field) ||
	    keytab_init(&inf->keys, 1, KEYTAB_MAX_BUCKETS)) {
		informer_free(inf);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return inf;
}

void informer_set_page_size(struct informer *inf, long n)
{
	inf->page_size = n > 0 ? n : 0;
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

void informer_stop(struct informer *inf)
{
	if (!inf || !inf->running)
		return;
	atomic_store(&inf->stop, true);
	pthread_join(inf->th, NULL);
	inf->running = false;
	atomic_store(&inf->stop, false);
}

void informer_free(struct informer *inf)
{
	struct keytab_iter it;
	struct keytab_node *n;

	if (!inf)
		return;
	informer_stop(inf);
	keytab_iter_init(&it, &inf->keys);
	while ((n = keytab_next(&it))) {
		keytab_iter_unlink(&it);
		inf_key_free(keytab_entry(n, struct inf_key, node));
	}
	keytab_release(&inf->keys);
	free(inf->what);
	free(inf->api);
	free(inf->resource);
	free(inf->ns);
	free(inf->selector);
	free(inf->field);
	pthread_mutex_destroy(&inf->mu);
	free(inf);
}
