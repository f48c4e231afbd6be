/*
 * informer.h - one kind of Kubernetes object kept in view, as client-go's
 * informers do: a list, then a watch from the list's resourceVersion (with
 * bookmarks), of the objects matching a label selector in one namespace or
 * all.  It lists again when the watch ends (every resync period, or when
 * the server closes it), after 410 Gone, and after errors with a backoff
 * of 1 s doubling to 30 s; a failure and the recovery are logged once.
 *
 * The handlers run on the informer's thread: upsert for each object
 * listed, added or changed; remove for each one deleted, or absent from a
 * new list (so nothing is missed while no watch ran); changed after a list
 * and after each watch event.
 */
#ifndef FH_INFORMER_H
#define FH_INFORMER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/kube/kube.h"

struct informer_handlers {
	void *ud;
	void (*upsert)(void *ud, json_object *obj); /* obj borrowed */
	void (*remove)(void *ud, const char *ns, const char *name);
	void (*changed)(void *ud, bool listed); /* may be NULL */
};

struct informer_opts {
	const char *what;     /* for the log: "pods", "TaskManager Deployments" */
	const char *api;      /* "/api/v1", "/apis/apps/v1" */
	const char *resource; /* "pods", "deployments" */
	const char *ns;       /* NULL: all namespaces */
	const char *selector; /* label selector; NULL: every object */
	int resync_s;         /* longest watch before a new list; 0: 300 */
};

struct informer;

/* k is borrowed, strings are copied. */
struct informer *informer_new(struct kube_client *k,
			      const struct informer_opts *o,
			      const struct informer_handlers *h,
			      struct err *e);
int informer_start(struct informer *inf, struct err *e);
/* CLOCK_MONOTONIC ms when the first list was applied; 0 before. */
int64_t informer_synced_at(struct informer *inf);
void informer_free(struct informer *inf); /* stops; accepts NULL */

#endif
