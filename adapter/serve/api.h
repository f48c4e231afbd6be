/*
 * api.h - the metrics API as a function from a request to a response,
 * independent of HTTP: discovery documents, custom.metrics.k8s.io
 * v1beta1/v1beta2 (pods, deployments.apps, namespaces), external.metrics
 * v1beta1, health, version, OpenAPI (404), content negotiation (protobuf or
 * JSON), pretty printing, and Kubernetes Status errors.  Everything is
 * answered from the store: nothing here blocks or touches the network.
 *
 * api_attrs describes a request as Kubernetes authorization sees it, for
 * SubjectAccessReview.
 */
#ifndef FH_API_H
#define FH_API_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "adapter/auth/authz.h"
#include "adapter/collect/store.h"

struct api_ctx {
	struct store *store;
	const struct ex_spec *spec; /* for the custom rules' names */
	int64_t window_s; /* scrape interval: window of rate metrics */
	/* Ready once the first scrape round is done.  NULL: always. */
	bool (*ready)(void *ud);
	/* The adapter's own metrics for /metrics (text format). */
	int (*self_metrics)(void *ud, struct buf *out);
	void *ud;
	/* Current time in ms since the epoch; NULL: the real clock. */
	int64_t (*now_ms)(void);
};

struct api_request {
	const char *method;
	const char *path; /* percent-decoded, without the query */
	const char *label_selector;        /* query parameters, NULL absent */
	const char *metric_label_selector;
	const char *field_selector;
	const char *pretty;
	const char *accept;     /* header, NULL absent */
	const char *user_agent; /* header, NULL absent */
};

struct api_response {
	int code;
	const char *content_type;
	struct buf body; /* set up by the caller, with its limit */
};

void api_handle(const struct api_ctx *c, const struct api_request *rq,
		struct api_response *rs);

/* Request attributes as Kubernetes' RequestInfo computes them. */
void api_attrs(const struct api_request *rq, struct authz_attrs *a);

/* A 403 Forbidden Status for a denied request, in the negotiated format;
 * details name the object, group and resource as kube-apiserver does. */
void api_forbidden(const struct api_request *rq, const struct authz_attrs *a,
		   const char *message, struct api_response *rs);
/* A 401 Unauthorized Status (a credential that does not authenticate). */
void api_unauthorized(const struct api_request *rq, struct api_response *rs);

#endif
