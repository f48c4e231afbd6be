/*
 * informer.h - one kind of Kubernetes object kept in view, as client-go's
 * informers do: a list, then a watch from the list's resourceVersion (with
 * bookmarks), of the objects matching a label selector in one namespace or
 * all.
 *
 * The list is read in pages (limit/continue, as client-go's pager: 500
 * objects a page unless informer_set_page_size says otherwise); each
 * page's objects are handed on as the page arrives and the page is freed
 * before the next is asked for, so memory holds one page, not the whole
 * list.  The watch starts at the list's metadata.resourceVersion.  When a
 * continue token has expired (410) the list starts again from the first
 * page; when that one expires too, it is read in one request (client-go's
 * fallback to a full list), so a list always ends.
 *
 * When the server closes the watch, it is opened again from the last
 * resourceVersion seen (an event's or a BOOKMARK's); the informer lists
 * again after 410 Gone (the watch's status or an ERROR event), after a
 * watch that ended within a second without an event, every resync period,
 * and after errors (transport, HTTP, an ERROR event, an event that is not
 * one) with a backoff of 1 s doubling to 30 s; a failure and the recovery
 * are logged once.
 *
 * The handlers run on the informer's thread: upsert for each object
 * listed, added or changed; remove for each one deleted, or absent from a
 * new list once the whole list has been read (never between its pages);
 * changed after a list and once per batch of watch events (the events one
 * read from the connection brought), not after each event.
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
	const char *field;    /* field selector ("metadata.name=x"); NULL: none */
};

struct informer;

/* k is borrowed, strings are copied. */
struct informer *informer_new(struct kube_client *k,
			      const struct informer_opts *o,
			      const struct informer_handlers *h,
			      struct err *e);
/* The thread: informer_start starts it (ERR_STATE when running, ERR_IO
 * when it cannot); informer_stop ends the watch, joins the thread and
 * returns once no handler runs any more (accepts NULL and a stopped
 * informer; it can be started again). */
int informer_start(struct informer *inf, struct err *e);
void informer_stop(struct informer *inf);
/* Objects per list request (limit=N; before informer_start): 0 asks for
 * the whole list at once; the default is 500, client-go's. */
void informer_set_page_size(struct informer *inf, long n);
/* CLOCK_MONOTONIC ms when the first list was applied; 0 before. */
int64_t informer_synced_at(struct informer *inf);
void informer_free(struct informer *inf); /* stops first; accepts NULL */

#endif
