/*
 * delegate.h - forwards the metrics flinkhpa does not serve to another
 * metrics adapter (prometheus-adapter, KEDA, ...), so that one APIService
 * serves both: --delegate-custom-metrics URL and --delegate-external-metrics
 * URL name them.
 *
 * Requests are forwarded with the identity flinkhpa already authenticated
 * and authorized: with a front-proxy client certificate, as kube-apiserver's
 * aggregator does (X-Remote-User, X-Remote-Group, X-Remote-Extra-*), so that
 * the delegate's own SubjectAccessReviews judge the real user; or with a
 * bearer token (flinkhpa's ServiceAccount), when the delegate cannot trust
 * a front proxy other than kube-apiserver.  The answer comes back
 * unchanged (status, Content-Type, body: JSON or protobuf alike).
 *
 * Nothing here blocks its callers: delegate_forward queues the request and
 * returns; the module's thread runs every transfer at once (curl multi),
 * each bounded by a timeout, and calls done(ud) when the answer (or the
 * failure) is in.  The same thread fetches the delegate's discovery
 * documents now and then and keeps them for delegate_each_resource.
 */
#ifndef FH_DELEGATE_H
#define FH_DELEGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "adapter/auth/authn.h"

enum delegate_group { DELEGATE_NONE, DELEGATE_CUSTOM, DELEGATE_EXTERNAL };

/* Settings, filled from the adapter's flags. */
struct delegate_opts {
	char *custom_url;   /* base URL of the custom metrics delegate */
	char *external_url; /* base URL of the external metrics delegate */
	char *ca_file;      /* CA of its serving certificate; NULL: system's */
	bool insecure;      /* do not verify its serving certificate */
	char *cert_file;    /* front-proxy client certificate (PEM) */
	char *key_file;     /* its key */
	char *token_file;   /* or: a bearer token, read again every minute */
	int64_t timeout_ms; /* one forwarded request, connection included */
	int64_t discovery_ms; /* between two reads of its discovery */
};

struct delegate;
struct delegate_call;

/* NULL with e clear when no delegate is configured. */
struct delegate *delegate_new(const struct delegate_opts *o, struct err *e);
/* Its thread, as every module's (HACKING.md, "Threads"): ERR_STATE when it
 * runs already, ERR_IO when it cannot start. */
int delegate_start(struct delegate *d, struct err *e);
/* Fail every queued and running call (done is called for each) and stop
 * the thread; before the HTTP server stops. */
void delegate_stop(struct delegate *d);
void delegate_free(struct delegate *d); /* shuts down first; accepts NULL */

/* Is group delegated?  NULL d: no. */
bool delegate_serves(const struct delegate *d, enum delegate_group g);

/* One request to forward, as received (after authorization). */
struct delegate_req {
	enum delegate_group group;
	const char *path; /* percent-decoded, without the query */
	/* every query parameter (fn(ud, key, value)) */
	void (*each_arg)(void *src, authn_each_fn fn, void *ud);
	void *src;
	const char *accept;     /* headers passed on; NULL: absent */
	const char *user_agent;
	const char *audit_id;
	const struct authn_user *user; /* NULL or anonymous: no X-Remote-* */
};

/* Queue rq; done(ud) runs on the delegate's thread once the answer is in,
 * after which the call is the caller's (delegate_call_free).  NULL (e set)
 * when it cannot be queued (too many calls, stopped). */
struct delegate_call *delegate_forward(struct delegate *d,
				       const struct delegate_req *rq,
				       void (*done)(void *ud), void *ud,
				       struct err *e);

struct delegate_result {
	long code;                /* 0: no answer, see error */
	const char *content_type; /* "" when the delegate sent none */
	const char *body;
	size_t len;
	const char *error;        /* why there is no answer */
};
void delegate_call_result(const struct delegate_call *c,
			  struct delegate_result *r);
void delegate_call_free(struct delegate_call *c); /* accepts NULL */

/* The delegate's discovery document of gv ("custom.metrics.k8s.io/v1beta2")
 * as last read: fn(ud, name, namespaced) for each resource.  Never blocks
 * on the network.  Returns fn's first non-zero result. */
int delegate_each_resource(struct delegate *d, const char *gv,
			   int (*fn)(void *ud, const char *name,
				     bool namespaced),
			   void *ud);

/* Parse an APIResourceList (JSON) and keep it as gv's document: what the
 * thread does with each answer; public for tests and the fuzzer. */
int delegate_set_discovery(struct delegate *d, const char *gv,
			   const char *json, size_t len, struct err *e);

/* Counters for /metrics (text format). */
int delegate_metrics(struct delegate *d, struct buf *out);

#endif
