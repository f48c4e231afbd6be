/*
 * kube.h - a small client for the Kubernetes API: connection settings from a
 * kubeconfig file (current context; certificate, key and CA as files or
 * *-data; bearer token or token file; insecure-skip-tls-verify) or from the
 * pod's service account (in-cluster), then JSON requests and watches over
 * HTTPS with libcurl.
 *
 * Requests block: they are made from the adapter's own threads (discovery,
 * authorization, the sync controller), never from an HTTP handler.  A
 * client serves any number of threads at once (a curl easy handle per
 * request, over a connection cache shared under locks): one per
 * kubeconfig is enough.
 */
#ifndef FH_KUBE_H
#define FH_KUBE_H

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/err.h"

struct kube_config {
	char *server;       /* https://host:port */
	struct buf ca;      /* PEM; empty: system CAs */
	struct buf cert;    /* client certificate PEM; empty: none */
	struct buf key;     /* its key PEM */
	char *token;        /* bearer token; NULL: none */
	char *namespace;    /* the pod's namespace (in a cluster) or the
			     * current context's; NULL: none named */
	bool in_cluster;    /* from the service account, not a kubeconfig */
	bool insecure;      /* skip TLS verification */
};

/* path NULL: in-cluster (KUBERNETES_SERVICE_HOST/PORT and the service
 * account files).  Errors name the key that is missing or wrong. */
int kube_config_load(const char *path, struct kube_config *c, struct err *e);
void kube_config_release(struct kube_config *c);

struct kube_client;

struct kube_client *kube_client_new(const struct kube_config *c,
				    struct err *e);
void kube_client_free(struct kube_client *k);

/* One request: method, path (with query), JSON body or NULL (PATCH bodies
 * are JSON merge patches).  On return *status is the HTTP status and *out,
 * unless out is NULL, the parsed JSON answer (the caller owns it; NULL when
 * the body was not JSON).  Transport errors: ERR_IO. */
int kube_request(struct kube_client *k, const char *method, const char *path,
		 const char *body, long *status, json_object **out,
		 struct err *e);

/* Watch events: type ("ADDED", "MODIFIED", "DELETED", "BOOKMARK",
 * "ERROR") and the object (borrowed for the call).  Non-zero stops.
 * After the events of one read from the connection, fn is called once
 * more with type and obj NULL (the batch ends: a consumer that rebuilds
 * something per change can do it once per batch). */
typedef int (*kube_event_fn)(void *ud, const char *type, json_object *obj);

/* Stream path (which must carry watch=1) until the server ends it, fn
 * stops it, *stop turns true, or timeout_s passes.  *status: HTTP status
 * (the body of an answer other than 200 is not read as events).  Each
 * event is one line of at most 16 MiB, parsed and freed before the next;
 * a longer one is ERR_IO, a line that is not an event ERR_INVAL (both end
 * the watch). */
int kube_watch(struct kube_client *k, const char *path, kube_event_fn fn,
	       void *ud, const atomic_bool *stop, long timeout_s,
	       long *status, struct err *e);

#endif
