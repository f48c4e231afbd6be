/*
 * api.c - routes and answers of the metrics API (see api.h).
 *
 * Paths handled (GET only):
 *   /healthz /livez /readyz /version /metrics /openapi/... (404)
 *   /apis  /apis/GROUP  /apis/GROUP/VERSION        discovery
 *   /apis/custom.metrics.k8s.io/V/namespaces/NS/pods/NAME|*\/METRIC
 *   /apis/custom.metrics.k8s.io/V/namespaces/NS/deployments.apps/NAME|*\/METRIC
 *   /apis/custom.metrics.k8s.io/V/namespaces/NS/metrics/METRIC
 *   /apis/custom.metrics.k8s.io/V/namespaces/NAME/METRIC  (root route)
 *   /apis/external.metrics.k8s.io/v1beta1/namespaces/NS/METRIC
 *
 * Metrics that are not flinkhpa's go to the delegate of their group, if
 * there is one (api_forward); its discovery entries join ours.
 *
 * Every API answer (discovery, values, Status) is JSON or, when the Accept
 * header asks for it first, the Kubernetes protobuf envelope.
 */
#include "adapter/serve/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "common/str.h"
#include "adapter/serve/apiresp.h"
#include "adapter/serve/selector.h"

#define G_CUSTOM "custom.metrics.k8s.io"
#define G_EXTERNAL "external.metrics.k8s.io"
#define CT_JSON "application/json"
#define CT_PROTO "application/vnd.kubernetes.protobuf"
#define CT_TEXT "text/plain; charset=utf-8"
#define MAX_SEGS 12
#define MAX_ITEMS 100000

struct rctx {
	const struct api_ctx *c;
	const struct api_request *rq;
	struct api_response *rs;
	bool proto;
	bool pretty;
	int64_t now;
};

static int64_t api_now(const struct api_ctx *c)
{
	struct timespec ts;

	if (c->now_ms)
		return c->now_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- answers ---- */

/* Answer with the JSON document doc (taken: released here). */
static void api_json(struct rctx *x, int code, struct buf *doc)
{
	struct api_response *rs = x->rs;
	size_t max = rs->body.max;

	rs->code = code;
	rs->content_type = CT_JSON;
	buf_reset(&rs->body);
	if (x->pretty || doc->len > max) {
		apiresp_indent(doc->p, doc->len, &rs->body);
		buf_release(doc);
		return;
	}
	buf_release(&rs->body); /* hand the document over, no copy */
	rs->body = *doc;
	rs->body.max = max;
	buf_init(doc, 0);
}

/* Start a protobuf answer; returns the body to write it to. */
static struct buf *api_proto_body(struct rctx *x, int code)
{
	buf_reset(&x->rs->body);
	x->rs->code = code;
	x->rs->content_type = CT_PROTO;
	return &x->rs->body;
}

static void api_status(struct rctx *x, int code, const char *reason,
		       const char *details_kind, const char *details_name,
		       const char *details_group, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void api_status(struct rctx *x, int code, const char *reason,
		       const char *details_kind, const char *details_name,
		       const char *details_group, const char *fmt, ...)
{
	char msg[1024];
	struct api_status st = { code, reason, msg, details_name,
				 details_group, details_kind };
	struct buf doc = BUF_INIT(64 * 1024);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->proto) {
		apiresp_status_proto(&st, api_proto_body(x, code));
		return;
	}
	apiresp_status_json(&st, &doc);
	api_json(x, code, &doc);
	buf_release(&doc);
}

static void api_not_found(struct rctx *x)
{
	api_status(x, 404, "NotFound", NULL, NULL, NULL,
		   "the server could not find the requested resource");
}

static void api_text(struct rctx *x, int code, const char *text)
{
	x->rs->code = code;
	x->rs->content_type = CT_TEXT;
	buf_reset(&x->rs->body);
	if (buf_adds(&x->rs->body, text)) /* out of memory: no body */
		x->rs->code = 500;
}

/* ---- negotiation ---- */

/* First acceptable media range wins; 0 ok, -1 nothing acceptable. */
static int api_negotiate(const char *accept, bool *proto)
{
	const char *p = accept;

	*proto = false;
	if (!p || !*p)
		return 0;
	while (*p) {
		size_t n;
		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ",;");
		while (n && p[n - 1] == ' ')
			n--;
		if (str_eq_n(p, n, CT_PROTO)) {
			*proto = true;
			return 0;
		}
		if (str_eq_n(p, n, CT_JSON) || str_eq_n(p, n, "*/*") ||
		    str_eq_n(p, n, "application/*"))
			return 0;
		p += strcspn(p, ",");
	}
	return -1;
}

static bool api_pretty(const struct api_request *rq)
{
	const char *ua = rq->user_agent;

	if (rq->pretty)
		return strcmp(rq->pretty, "true") == 0 ||
		       strcmp(rq->pretty, "1") == 0;
	return ua && (str_has_prefix(ua, "curl") || str_has_prefix(ua, "Wget") ||
		      str_has_prefix(ua, "Mozilla/5.0"));
}

/* ---- discovery ---- */

static const char *const api_custom_versions[] = { "v1beta2", "v1beta1" };
static const char *const api_external_versions[] = { "v1beta1" };
static const struct api_group api_served_groups[] = {
	{ G_CUSTOM, api_custom_versions, 2 },
	{ G_EXTERNAL, api_external_versions, 1 },
};

/* /apis (group NULL) or /apis/GROUP. */
static void api_groups(struct rctx *x, const char *group)
{
	const struct api_group *g =
		&api_served_groups[group && strcmp(group, G_CUSTOM) != 0];
	struct buf b = BUF_INIT(16 * 1024);

	if (x->proto && group) {
		apiresp_group_proto(g, api_proto_body(x, 200));
	} else if (x->proto) {
		apiresp_group_list_proto(api_served_groups, 2,
					 api_proto_body(x, 200));
	} else {
		if (group)
			apiresp_group_json(g, &b);
		else
			apiresp_group_list_json(api_served_groups, 2, &b);
		api_json(x, 200, &b);
	}
	buf_release(&b);
}

/* The resources of one group version; names are NUL-separated in names
 * and the entries point in when all are collected. */
struct reslist {
	struct api_resource *v;
	size_t *off;
	size_t n, cap;
	struct buf names;
	bool external;
};

/* One APIResource named prefix + metric. */
static int api_resource(struct reslist *r, const char *prefix,
			const char *metric, bool namespaced, const char *kind)
{
	char name[512];
	void *p;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		p = realloc(r->v, cap * sizeof(*r->v));
		if (p)
			r->v = p;
		p = p ? realloc(r->off, cap * sizeof(*r->off)) : NULL;
		if (!p)
			return ERR_NOMEM;
		r->off = p;
		r->cap = cap;
	}
	snprintf(name, sizeof(name), "%s%s", prefix, metric);
	r->off[r->n] = r->names.len;
	r->v[r->n] = (struct api_resource){ NULL, kind, namespaced };
	if (buf_add(&r->names, name, strlen(name) + 1))
		return ERR_LIMIT;
	r->n++;
	return 0;
}

/* Every metric name with where it is served; fn(ud, name, pods, jobs). */
static int api_each_metric(const struct api_ctx *c,
			   int (*fn)(void *, const char *, bool, bool),
			   void *ud)
{
	size_t nr = c->spec ? ex_spec_nrules(c->spec) : 0;
	int rc = 0;

	for (int i = 0; i < CAT_N && !rc; i++)
		rc = fn(ud, cat_metrics[i].name, cat_metrics[i].scope == CAT_POD,
			cat_metrics[i].scope == CAT_JOB);
	for (size_t r = 0; r < nr && !rc; r++)
		rc = fn(ud, ex_spec_rule(c->spec, r)->name, true, true);
	return rc;
}

static int api_reslist_one(void *ud, const char *name, bool pods, bool jobs)
{
	struct reslist *r = ud;
	int rc = 0;

	if (r->external)
		return jobs ? api_resource(r, "", name, true,
					   "ExternalMetricValueList")
			    : 0;
	if (pods)
		rc = api_resource(r, "pods/", name, true, "MetricValueList");
	if (!rc && jobs)
		rc = api_resource(r, "deployments.apps/", name, true,
				  "MetricValueList");
	if (!rc && jobs)
		rc = api_resource(r, "namespaces/", name, false,
				  "MetricValueList");
	return rc;
}

static bool api_ours(const struct api_ctx *c, const char *metric)
{
	struct store_metric m;
	bool pods, jobs;

	return store_lookup_metric(c->store, metric, &m, &pods, &jobs);
}

struct delegated {
	struct reslist *r;
	const struct api_ctx *c;
};

/* One of the delegate's resources, unless its metric name is ours. */
static int api_reslist_delegated(void *ud, const char *name, bool namespaced)
{
	struct delegated *dl = ud;
	const char *slash = strchr(name, '/');
	const char *metric = dl->r->external || !slash ? name : slash + 1;

	if (api_ours(dl->c, metric))
		return 0;
	return api_resource(dl->r, "", name, namespaced,
			    dl->r->external ? "ExternalMetricValueList"
					    : "MetricValueList");
}

/* Ours, then the delegate's (as last read). */
static int api_reslist_all(const struct api_ctx *c, const char *gv,
			   struct reslist *r)
{
	struct delegated dl = { r, c };
	int rc = api_each_metric(c, api_reslist_one, r);

	return rc ? rc : delegate_each_resource(c->delegate, gv,
						 api_reslist_delegated, &dl);
}

/* /apis/GROUP/VERSION: always 200, even before the first scrape. */
static void api_resource_list(struct rctx *x, const char *gv, bool external)
{
	struct reslist r = { .names = BUF_INIT(4 * 1024 * 1024),
			     .external = external };
	struct api_resource_list l = { gv, NULL, 0 };
	struct buf b = BUF_INIT(4 * 1024 * 1024);

	if (api_reslist_all(x->c, gv, &r)) {
		api_status(x, 500, "InternalError", NULL, NULL, NULL,
			   "Internal error occurred: too many resources");
		goto out;
	}
	for (size_t i = 0; i < r.n; i++)
		r.v[i].name = r.names.p + r.off[i];
	l.res = r.v;
	l.n = r.n;
	if (x->proto) {
		apiresp_resources_proto(&l, api_proto_body(x, 200));
	} else {
		apiresp_resources_json(&l, &b);
		api_json(x, 200, &b);
	}
out:
	buf_release(&b);
	buf_release(&r.names);
	free(r.off);
	free(r.v);
}

/* ---- collecting items ---- */

struct items {
	struct api_item *v;
	size_t n, cap;
	struct buf names; /* NUL-separated names; items point in after */
	size_t *off;
	const char *only; /* keep only this name (NULL: all) */
	const struct selector *name_sel; /* external: on {job_name: name} */
	int64_t window_s;
	bool overflow;
};

static const char *api_job_label(void *ud, const char *key)
{
	return strcmp(key, "job_name") == 0 ? ud : NULL;
}

/* Jobs are named on pages as Flink writes label values; read the
 * selector's job_name values the same way, so that job_name=my-job finds
 * the job Flink labels my_job. */
static int api_flink_job_names(struct selector *sel)
{
	for (size_t i = 0; i < sel->n; i++) {
		if (strcmp(sel->req[i].key, "job_name") != 0)
			continue;
		for (size_t v = 0; v < sel->req[i].nvalues; v++) {
			char *n = store_flink_name(sel->req[i].values[v]);
			if (!n)
				return ERR_NOMEM;
			free(sel->req[i].values[v]);
			sel->req[i].values[v] = n;
		}
	}
	return 0;
}

static int items_add(void *ud, const char *name, double value, int64_t at)
{
	struct items *it = ud;

	if ((it->only && strcmp(name, it->only) != 0) ||
	    (it->name_sel &&
	     !sel_matches_fn(it->name_sel, api_job_label, (void *)name)))
		return 0;
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 16;
		void *v = realloc(it->v, cap * sizeof(*it->v));
		void *o = v ? realloc(it->off, cap * sizeof(*it->off)) : NULL;
		if (v)
			it->v = v;
		if (!o || cap > MAX_ITEMS) {
			it->overflow = true;
			return -1;
		}
		it->off = o;
		it->cap = cap;
	}
	memset(&it->v[it->n], 0, sizeof(it->v[it->n]));
	it->off[it->n] = it->names.len;
	if (buf_add(&it->names, name, strlen(name) + 1)) {
		it->overflow = true;
		return -1;
	}
	it->v[it->n].milli = api_milli(value);
	it->v[it->n].at_ms = at;
	it->v[it->n].window_s = it->window_s;
	it->n++;
	return 0;
}

/* Point items at their names and fill in what describes them. */
static void items_finish(struct items *it, const char *kind,
			 const char *api_version, const char *ns, bool ext)
{
	for (size_t i = 0; i < it->n; i++) {
		const char *name = it->names.p + it->off[i];
		it->v[i].kind = ext ? "" : kind;
		it->v[i].api_version = ext ? "" : api_version;
		it->v[i].ns = ns;
		it->v[i].name = ext ? "" : name;
		it->v[i].job_label = ext ? name : NULL;
	}
}

static void items_release(struct items *it)
{
	free(it->v);
	free(it->off);
	buf_release(&it->names);
}

static void api_list(struct rctx *x, enum api_group_version gv,
		     const char *metric, const struct selector *msel,
		     const struct items *it)
{
	struct api_list l = { gv, metric, msel, it->v, it->n };
	struct buf b = BUF_INIT(64 * 1024 * 1024);

	if (x->proto) {
		apiresp_list_proto(&l, api_proto_body(x, 200));
		return;
	}
	apiresp_list_json(&l, &b);
	api_json(x, 200, &b);
	buf_release(&b);
}

/* ---- custom.metrics.k8s.io ---- */

struct query {
	enum api_group_version gv;
	const char *ns;       /* NULL: cluster scope */
	const char *resource; /* "pods", "deployments.apps", "namespaces" */
	const char *name;     /* "*" for a selector */
	const char *metric;
	struct store_metric m;
	struct selector sel;  /* labelSelector */
	struct selector msel; /* metricLabelSelector */
};

static bool api_sel_match(void *ud, const char *const *labels)
{
	return sel_matches(ud, labels);
}

/* The selector's equality requirements as pairs for the store's label
 * index (sel_eq_pairs): every pod the selector matches carries each. */
static size_t api_sel_eq(const struct selector *sel,
			 struct store_eq eq[SEL_MAX_REQS])
{
	const char *kv[2 * SEL_MAX_REQS];
	size_t n = sel_eq_pairs(sel, kv);

	for (size_t i = 0; i < n; i++)
		eq[i] = (struct store_eq){ kv[2 * i], kv[2 * i + 1] };
	return n;
}

static void api_metric_not_found(struct rctx *x, const struct query *q,
				 bool with_name)
{
	if (with_name && strcmp(q->name, "*") != 0)
		api_status(x, 404, "NotFound", NULL, NULL, NULL,
			   "the server could not find the metric %s for %s %s",
			   q->metric, q->resource, q->name);
	else
		api_status(x, 404, "NotFound", NULL, NULL, NULL,
			   "the server could not find the metric %s for %s",
			   q->metric, q->resource);
}

/* Fetch the values of q into it; the object kind for the answer. */
static const char *api_fetch(struct rctx *x, struct query *q,
			     struct items *it, const char **api_version)
{
	struct store *st = x->c->store;
	struct store_eq eq[SEL_MAX_REQS];
	size_t neq;
	double v;
	int64_t at;
	bool star = strcmp(q->name, "*") == 0;

	it->only = star ? NULL : q->name;
	*api_version = "/v1";
	if (strcmp(q->resource, "pods") == 0) {
		if (q->m.cat == CAT_TM_CPU_UTILIZATION)
			it->window_s = x->c->window_s;
		neq = api_sel_eq(&q->sel, eq);
		store_pods_eq(st, q->ns, q->m, x->now, eq, neq,
			      neq == q->sel.n, api_sel_match, &q->sel,
			      items_add, it);
		return "Pod";
	}
	if (strcmp(q->resource, "namespaces") == 0) {
		it->only = NULL;
		if (!store_deployment(st, q->name, NULL, q->m, x->now, &v, &at))
			items_add(it, q->name, v, at);
		return "Namespace";
	}
	*api_version = "apps/v1";
	store_deployments(st, q->ns, q->m, x->now, api_sel_match, &q->sel,
			  items_add, it);
	return "Deployment";
}

static void api_custom_query(struct rctx *x, struct query *q)
{
	struct items it = { .names = BUF_INIT(64 * 1024 * 1024) };
	const char *kind, *api_version;
	bool star = strcmp(q->name, "*") == 0;

	kind = api_fetch(x, q, &it, &api_version);
	if (!sel_matches(&q->msel, NULL)) /* our series carry no labels */
		it.n = 0;
	if (it.overflow) {
		api_status(x, 500, "InternalError", NULL, NULL, NULL,
			   "Internal error occurred: too many results");
	} else if (!star && it.n == 0) {
		api_metric_not_found(x, q, true);
	} else {
		items_finish(&it, kind, api_version,
			     strcmp(kind, "Namespace") ? q->ns : NULL, false);
		api_list(x, q->gv, q->metric, &q->msel, &it);
	}
	items_release(&it);
}

/* Parse selectors and check the metric fits the resource; false when an
 * error answer was written. */
static bool api_prepare(struct rctx *x, struct query *q)
{
	const struct api_request *rq = x->rq;
	bool pods, jobs, ok;
	struct err e;
	char want[600];

	err_clear(&e);
	ok = store_lookup_metric(x->c->store, q->metric, &q->m, &pods, &jobs);
	if (!ok || (strcmp(q->resource, "pods") == 0 ? !pods : !jobs)) {
		api_metric_not_found(x, q, false);
		return false;
	}
	if (sel_parse(&q->sel, rq->label_selector, &e) ||
	    sel_parse(&q->msel, rq->metric_label_selector, &e)) {
		sel_release(&q->sel);
		api_status(x, 400, "BadRequest", NULL, NULL, NULL, "%s", e.msg);
		return false;
	}
	snprintf(want, sizeof(want), "metadata.name=%s", q->name);
	if (rq->field_selector && *rq->field_selector &&
	    strcmp(q->name, "*") != 0 && strcmp(rq->field_selector, want) != 0) {
		sel_release(&q->sel);
		sel_release(&q->msel);
		api_status(x, 400, "BadRequest", NULL, NULL, NULL,
			   "fieldSelector metadata.name doesn't match "
			   "requested name");
		return false;
	}
	return true;
}

static bool api_supported_resource(const char *r)
{
	return strcmp(r, "pods") == 0 || strcmp(r, "deployments.apps") == 0;
}

/* A metric that is not ours, in a group with a delegate: leave the
 * answer to it.  Our names always win. */
static bool api_forward(struct rctx *x, enum delegate_group g,
			const char *metric)
{
	if (!delegate_serves(x->c->delegate, g) || api_ours(x->c, metric))
		return false;
	x->rs->forward = g;
	x->rs->code = 0;
	buf_reset(&x->rs->body);
	return true;
}

/* segs after /apis/custom.metrics.k8s.io/VERSION */
static void api_custom(struct rctx *x, enum api_group_version gv,
		       char **seg, int n)
{
	struct query q = { .gv = gv };

	if (n == 4 && strcmp(seg[0], "namespaces") == 0 &&
	    strcmp(seg[2], "metrics") == 0) {
		q.resource = "namespaces";
		q.name = seg[1];
		q.metric = seg[3];
	} else if (n == 5 && strcmp(seg[0], "namespaces") == 0) {
		q.ns = seg[1];
		q.resource = seg[2];
		q.name = seg[3];
		q.metric = seg[4];
		if (api_forward(x, DELEGATE_CUSTOM, q.metric))
			return;
		if (!api_supported_resource(q.resource)) {
			api_metric_not_found(x, &q, false);
			return;
		}
	} else if (n == 3 && strcmp(seg[0], "namespaces") == 0) {
		q.resource = "namespaces";
		q.name = seg[1];
		q.metric = seg[2];
	} else if (n == 3) {
		q.resource = seg[0];
		q.metric = seg[2];
		if (!api_forward(x, DELEGATE_CUSTOM, q.metric))
			api_metric_not_found(x, &q, false); /* nodes and the like */
		return;
	} else {
		api_not_found(x);
		return;
	}
	if (api_forward(x, DELEGATE_CUSTOM, q.metric))
		return;
	if (!api_prepare(x, &q))
		return;
	api_custom_query(x, &q);
	sel_release(&q.sel);
	sel_release(&q.msel);
}

/* segs after /apis/external.metrics.k8s.io/v1beta1 */
static void api_external(struct rctx *x, char **seg, int n)
{
	struct items it = { .names = BUF_INIT(64 * 1024 * 1024) };
	struct store_metric m;
	struct selector sel;
	struct err e;
	bool pods, jobs;

	if (n != 3 || strcmp(seg[0], "namespaces") != 0) {
		api_not_found(x);
		return;
	}
	if (api_forward(x, DELEGATE_EXTERNAL, seg[2]))
		return;
	if (!store_lookup_metric(x->c->store, seg[2], &m, &pods, &jobs) ||
	    !jobs) {
		api_status(x, 404, "NotFound", NULL, NULL, NULL,
			   "the server could not find the metric %s", seg[2]);
		return;
	}
	err_clear(&e);
	if (sel_parse(&sel, x->rq->label_selector, &e)) {
		api_status(x, 400, "BadRequest", NULL, NULL, NULL, "%s", e.msg);
		return;
	}
	api_flink_job_names(&sel);
	it.name_sel = &sel;
	store_jobs(x->c->store, seg[1], m, x->now, items_add, &it);
	items_finish(&it, "", "", NULL, true);
	api_list(x, API_EXTERNAL_V1BETA1, seg[2], NULL, &it);
	items_release(&it);
	sel_release(&sel);
}

/* ---- entry ---- */

/* Split path into segments (empty ones dropped); -1 when too long. */
static int api_split(const char *path, char *copy, size_t cap, char **seg)
{
	int n = 0;
	char *save = NULL, *tok;

	if (strlen(path) >= cap)
		return -1;
	strcpy(copy, path);
	for (tok = strtok_r(copy, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGS)
			return -1;
		seg[n++] = tok;
	}
	return n;
}

static void api_version_doc(struct rctx *x)
{
	struct buf b = BUF_INIT(4096);

	if (buf_adds(&b, "{\"major\":\"" FH_VERSION_MAJOR "\",\"minor\":\""
		     FH_VERSION_MINOR "\",\"gitVersion\":") ||
	    jsonw_str(&b, "v" FH_VERSION) ||
	    buf_adds(&b, ",\"gitCommit\":\"\",\"gitTreeState\":\"\",\"buildDate\":"
		     "\"\",\"goVersion\":\"\",\"compiler\":\"gcc\",\"platform\":"
		     "\"linux/amd64\"}\n"))
		api_text(x, 500, "out of memory\n");
	else
		api_json(x, 200, &b);
	buf_release(&b);
}

/* Health, version, own metrics, OpenAPI; false when not one of those. */
static bool api_plain(struct rctx *x, const char *path)
{
	const struct api_ctx *c = x->c;

	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0) {
		api_text(x, 200, "ok");
	} else if (strcmp(path, "/readyz") == 0) {
		if (c->ready && !c->ready(c->ud))
			api_text(x, 500, "[-]first-scrape failed: reason "
					 "withheld\nreadyz check failed\n");
		else
			api_text(x, 200, "ok");
	} else if (strcmp(path, "/version") == 0) {
		api_version_doc(x);
	} else if (strcmp(path, "/metrics") == 0 && c->self_metrics) {
		api_text(x, 200, "");
		x->rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
		c->self_metrics(c->ud, &x->rs->body);
	} else if (str_has_prefix(path, "/openapi/")) {
		api_not_found(x);
	} else {
		return false;
	}
	return true;
}

static void api_route(struct rctx *x, char **seg, int n)
{
	bool custom;

	if (n < 1 || strcmp(seg[0], "apis") != 0) {
		api_not_found(x);
		return;
	}
	if (n == 1) {
		api_groups(x, NULL);
		return;
	}
	custom = strcmp(seg[1], G_CUSTOM) == 0;
	if (!custom && strcmp(seg[1], G_EXTERNAL) != 0) {
		api_not_found(x);
	} else if (n == 2) {
		api_groups(x, custom ? G_CUSTOM : G_EXTERNAL);
	} else if (custom && strcmp(seg[2], "v1beta1") != 0 &&
		   strcmp(seg[2], "v1beta2") != 0) {
		api_not_found(x);
	} else if (!custom && strcmp(seg[2], "v1beta1") != 0) {
		api_not_found(x);
	} else if (n == 3) {
		char gv[64];
		snprintf(gv, sizeof(gv), "%s/%s", seg[1], seg[2]);
		api_resource_list(x, gv, !custom);
	} else if (custom) {
		api_custom(x, strcmp(seg[2], "v1beta1") == 0 ? API_CUSTOM_V1BETA1
							     : API_CUSTOM_V1BETA2,
			   seg + 3, n - 3);
	} else {
		api_external(x, seg + 3, n - 3);
	}
}

void api_handle(const struct api_ctx *c, const struct api_request *rq,
		struct api_response *rs)
{
	struct rctx x = { c, rq, rs, false, api_pretty(rq), api_now(c) };
	char copy[4096], *seg[MAX_SEGS];
	int n;

	rs->forward = DELEGATE_NONE;
	if (api_negotiate(rq->accept, &x.proto)) {
		api_status(&x, 406, "NotAcceptable", NULL, NULL, NULL,
			   "only the following media types are accepted: "
			   "application/json, application/vnd.kubernetes.protobuf");
		return;
	}
	if (strcmp(rq->method, "GET") != 0) {
		api_status(&x, 405, "MethodNotAllowed", NULL, NULL, NULL,
			   "the server does not allow this method on the "
			   "requested resource");
		return;
	}
	if (api_plain(&x, rq->path))
		return;
	n = api_split(rq->path, copy, sizeof(copy), seg);
	if (n < 0)
		api_not_found(&x);
	else
		api_route(&x, seg, n);
}

/* ---- authorization attributes ---- */

static void api_cpy(char *dst, size_t n, const char *src)
{
	str_lcpy(dst, src, n);
}

void api_attrs(const struct api_request *rq, struct authz_attrs *a)
{
	char copy[4096], *seg[MAX_SEGS], **p;
	int n = api_split(rq->path, copy, sizeof(copy), seg);

	memset(a, 0, sizeof(*a));
	a->path = rq->path;
	for (size_t i = 0; rq->method[i] && i + 1 < sizeof(a->verb); i++)
		a->verb[i] = (char)(rq->method[i] | 0x20); /* lower case */
	if (n < 4 || strcmp(seg[0], "apis") != 0)
		return; /* non-resource: path and HTTP verb */
	a->resource = true;
	api_cpy(a->group, sizeof(a->group), seg[1]);
	api_cpy(a->version, sizeof(a->version), seg[2]);
	p = seg + 3;
	n -= 3;
	if (strcmp(p[0], "namespaces") == 0 && n > 1) {
		api_cpy(a->ns, sizeof(a->ns), p[1]);
		if (n == 2) {
			api_cpy(a->resource_name, sizeof(a->resource_name),
				"namespaces");
			api_cpy(a->name, sizeof(a->name), p[1]);
			n = 0;
		} else {
			p += 2;
			n -= 2;
		}
	}
	if (n >= 1)
		api_cpy(a->resource_name, sizeof(a->resource_name), p[0]);
	if (n >= 2)
		api_cpy(a->name, sizeof(a->name), p[1]);
	if (n >= 3)
		api_cpy(a->subresource, sizeof(a->subresource), p[2]);
	if (strcmp(a->verb, "get") == 0 && !a->name[0])
		api_cpy(a->verb, sizeof(a->verb), "list");
}

void api_forbidden(const struct api_request *rq, const struct authz_attrs *a,
		   const char *message, struct api_response *rs)
{
	struct rctx x = { NULL, rq, rs, false, api_pretty(rq), 0 };

	if (api_negotiate(rq->accept, &x.proto))
		x.proto = false;
	if (a->resource)
		api_status(&x, 403, "Forbidden", a->resource_name, a->name,
			   a->group, "%s", message);
	else
		api_status(&x, 403, "Forbidden", NULL, NULL, NULL, "%s", message);
}

void api_unauthorized(const struct api_request *rq, struct api_response *rs)
{
	struct rctx x = { NULL, rq, rs, false, api_pretty(rq), 0 };

	if (api_negotiate(rq->accept, &x.proto))
		x.proto = false;
	api_status(&x, 401, "Unauthorized", NULL, NULL, NULL, "Unauthorized");
}

void api_unavailable(const struct api_request *rq, const char *why,
		     struct api_response *rs)
{
	struct rctx x = { NULL, rq, rs, false, api_pretty(rq), 0 };

	if (api_negotiate(rq->accept, &x.proto))
		x.proto = false;
	api_status(&x, 503, "ServiceUnavailable", NULL, NULL, NULL,
		   "the metrics adapter flinkhpa delegates to is unavailable: "
		   "%s", why);
}
