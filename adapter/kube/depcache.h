/*
 * depcache.h - the TaskManager Deployments in view, for the parallelism
 * sync controller: an informer (informer.h) lists and watches them and
 * this cache keeps the latest version of each, so the controller reads
 * them from memory instead of asking kube-apiserver every step, and wakes
 * up as soon as one changes (the HPA writing spec.replicas).
 *
 * Ownership: the cache holds one reference to each Deployment's json-c
 * object, touched only under its mutex; dc_snapshot hands the caller deep
 * copies (json-c's reference counts are not atomic).
 */
#ifndef FH_DEPCACHE_H
#define FH_DEPCACHE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/kube/kube.h"

struct depcache;

/* Deployments matching selector in ns (NULL: all namespaces); k is
 * borrowed and used by the cache's thread only. */
struct depcache *dc_new(struct kube_client *k, const char *ns,
			const char *selector, struct err *e);
int dc_start(struct depcache *c, struct err *e);
void dc_free(struct depcache *c); /* stops; accepts NULL */

/* A JSON array of the cached Deployments (caller owns it), or NULL before
 * the first list. */
json_object *dc_snapshot(struct depcache *c);

/* Wait up to ms for a change, or until dc_wake. */
void dc_wait(struct depcache *c, int64_t ms);
void dc_wake(struct depcache *c);

#endif
