/*
 * synckube.h - what the sync controller asks of Kubernetes (the
 * Deployments themselves come from its watch, depcache.h): merge patches
 * of their annotations (the controller's durable state), and Events on
 * them (`kubectl describe deployment` shows them).
 */
#ifndef FH_SYNCKUBE_H
#define FH_SYNCKUBE_H

#include <json-c/json.h>

#include "common/err.h"
#include "adapter/kube/kube.h"

/* Set (value non-NULL) or remove (NULL) annotations keys[i] on the
 * Deployment ns/name in one merge patch. */
int sk_annotate(struct kube_client *k, const char *ns, const char *name,
		const char *const *keys, const char *const *values, size_t n,
		struct err *e);

/* An Event on the Deployment: type Normal or Warning, reason such as
 * Rescaled or RescaleFailed. */
int sk_event(struct kube_client *k, const char *ns, const char *name,
	     const char *uid, const char *type, const char *reason,
	     const char *message, struct err *e);

/* A string field of a json object by path ("metadata", "name", NULL). */
const char *sk_str(json_object *o, ...);
/* An annotation of a Deployment (or pod), NULL when absent. */
const char *sk_annotation(json_object *obj, const char *key);

#endif
