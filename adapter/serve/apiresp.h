/*
 * apiresp.h - encodes the metrics API's answers, byte-compatible with the
 * Go stack (k8s.io/metrics types served by custom-metrics-apiserver): JSON
 * as encoding/json writes it (compact with a trailing newline, or indented
 * with two spaces and no newline for ?pretty), and the Kubernetes protobuf
 * envelope ("k8s\0" + runtime.Unknown) for clients that ask for
 * application/vnd.kubernetes.protobuf.  The same two encodings serve the
 * discovery documents (APIGroupList, APIGroup, APIResourceList) as
 * kube-apiserver writes them.  See kubernetes-metrics-api.md.
 */
#ifndef FH_APIRESP_H
#define FH_APIRESP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "adapter/serve/selector.h"

/* One described object and its value. */
struct api_item {
	const char *kind;        /* "Pod", "Deployment", "Namespace" */
	const char *api_version; /* "/v1" (core, as Go writes it), "apps/v1" */
	const char *ns;          /* NULL for cluster-scoped objects */
	const char *name;
	int64_t at_ms;           /* observed */
	int64_t milli;           /* value x 1000 */
	int64_t window_s;        /* 0: not known */
	const char *job_label;   /* external: value of metricLabels.job_name */
};

enum api_group_version {
	API_CUSTOM_V1BETA1,
	API_CUSTOM_V1BETA2,
	API_EXTERNAL_V1BETA1,
};

struct api_list {
	enum api_group_version gv;
	const char *metric;
	const struct selector *metric_sel; /* echoed; NULL: none */
	const struct api_item *items;
	size_t n;
};

/* Canonical Kubernetes DecimalSI quantity of milli/1000 ("1500m", "2",
 * "12k", "0"); out needs 32 bytes. */
void api_quantity(int64_t milli, char out[32]);
/* Value to milli-units as adapters do (truncated toward zero, clamped). */
int64_t api_milli(double v);
/* RFC 3339 UTC, second precision: "2024-01-01T00:00:00Z"; out 32 bytes. */
void api_time(int64_t ms, char out[32]);

int apiresp_list_json(const struct api_list *l, struct buf *out);
int apiresp_list_proto(const struct api_list *l, struct buf *out);

/* metav1.Status.  details_kind NULL: no details. */
struct api_status {
	int code;
	const char *reason;  /* "NotFound", "BadRequest", ... */
	const char *message;
	const char *details_name;
	const char *details_group;
	const char *details_kind;
};
int apiresp_status_json(const struct api_status *st, struct buf *out);
int apiresp_status_proto(const struct api_status *st, struct buf *out);

/* An API group; versions[0] is the preferred version. */
struct api_group {
	const char *name;            /* "custom.metrics.k8s.io" */
	const char *const *versions; /* "v1beta2", "v1beta1" */
	size_t nversions;
};

/* One APIResource; its verbs are ["get"], singularName is "". */
struct api_resource {
	const char *name;            /* "pods/flink_tm_backlog" */
	const char *kind;            /* "MetricValueList" */
	bool namespaced;
};

struct api_resource_list {
	const char *group_version;   /* "custom.metrics.k8s.io/v1beta2" */
	const struct api_resource *res;
	size_t n;
};

/* APIGroupList of the n groups g (/apis), APIGroup of g (/apis/GROUP),
 * APIResourceList (/apis/GROUP/VERSION). */
int apiresp_group_list_json(const struct api_group *g, size_t n,
			    struct buf *out);
int apiresp_group_list_proto(const struct api_group *g, size_t n,
			     struct buf *out);
int apiresp_group_json(const struct api_group *g, struct buf *out);
int apiresp_group_proto(const struct api_group *g, struct buf *out);
int apiresp_resources_json(const struct api_resource_list *l,
			   struct buf *out);
int apiresp_resources_proto(const struct api_resource_list *l,
			    struct buf *out);

/* Go's MarshalIndent(v, "", "  ") of compact JSON in (no trailing
 * newline); in must be valid compact JSON as the encoders above write it. */
int apiresp_indent(const char *in, size_t n, struct buf *out);

#endif
