/*
 * depcache.c - the Deployments in view (see depcache.h).
 */
#include "adapter/kube/depcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/kube/informer.h"

struct dc_entry {
	json_object *obj; /* one reference */
	struct dc_entry *next;
};

struct depcache {
	struct informer *inf;
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;
	struct dc_entry *head;
	bool synced, changed;
};

static const char *dc_meta(json_object *o, const char *key)
{
	json_object *m, *v;

	if (!json_object_object_get_ex(o, "metadata", &m) ||
	    !json_object_object_get_ex(m, key, &v))
		return "";
	return json_object_get_string(v);
}

/* The entry of ns/name (mutex held). */
static struct dc_entry **dc_find(struct depcache *c, const char *ns,
				 const char *name)
{
	struct dc_entry **p = &c->head;

	for (; *p; p = &(*p)->next)
		if (strcmp(dc_meta((*p)->obj, "namespace"), ns) == 0 &&
		    strcmp(dc_meta((*p)->obj, "name"), name) == 0)
			return p;
	return p;
}

static void dc_signal(struct depcache *c)
{
	c->changed = true;
	pthread_cond_broadcast(&c->cv);
}

static void dc_upsert(void *ud, json_object *obj)
{
	struct depcache *c = ud;
	struct dc_entry **p, *n;

	pthread_mutex_lock(&c->mu);
	p = dc_find(c, dc_meta(obj, "namespace"), dc_meta(obj, "name"));
	if (*p) {
		json_object_put((*p)->obj);
		(*p)->obj = json_object_get(obj);
	} else if ((n = calloc(1, sizeof(*n)))) {
		n->obj = json_object_get(obj);
		*p = n;
	}
	pthread_mutex_unlock(&c->mu);
}

static void dc_remove(void *ud, const char *ns, const char *name)
{
	struct depcache *c = ud;
	struct dc_entry **p, *gone;

	pthread_mutex_lock(&c->mu);
	p = dc_find(c, ns, name);
	if ((gone = *p))
		*p = gone->next;
	pthread_mutex_unlock(&c->mu);
	if (gone) {
		json_object_put(gone->obj);
		free(gone);
	}
}

static void dc_changed(void *ud, bool listed)
{
	struct depcache *c = ud;

	pthread_mutex_lock(&c->mu);
	if (listed)
		c->synced = true;
	dc_signal(c);
	pthread_mutex_unlock(&c->mu);
}

struct depcache *dc_new(struct kube_client *k, const char *ns,
			const char *selector, struct err *e)
{
	struct depcache *c = calloc(1, sizeof(*c));
	struct informer_opts o = { "sync: TaskManager Deployments",
				   "/apis/apps/v1", "deployments", ns,
				   selector, 300 };
	struct informer_handlers h = { c, dc_upsert, dc_remove, dc_changed };

	if (!c) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (!(c->inf = informer_new(k, &o, &h, e))) {
		dc_free(c);
		return NULL;
	}
	return c;
}

int dc_start(struct depcache *c, struct err *e)
{
	return informer_start(c->inf, e);
}

void dc_free(struct depcache *c)
{
	if (!c)
		return;
	informer_free(c->inf); /* stops its thread: no handler runs after */
	while (c->head) {
		struct dc_entry *n = c->head;
		c->head = n->next;
		json_object_put(n->obj);
		free(n);
	}
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

json_object *dc_snapshot(struct depcache *c)
{
	json_object *a = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->synced && (a = json_object_new_array()))
		for (struct dc_entry *n = c->head; n; n = n->next) {
			json_object *copy = NULL;

			/* a copy: json-c's reference counts are not atomic,
			 * and the informer's thread replaces entries */
			if (json_object_deep_copy(n->obj, &copy, NULL) == 0)
				json_object_array_add(a, copy);
		}
	pthread_mutex_unlock(&c->mu);
	return a;
}

void dc_wait(struct depcache *c, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->mu);
	while (!c->changed &&
	       pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0)
		;
	c->changed = false;
	pthread_mutex_unlock(&c->mu);
}

void dc_wake(struct depcache *c)
{
	pthread_mutex_lock(&c->mu);
	dc_signal(c);
	pthread_mutex_unlock(&c->mu);
}
