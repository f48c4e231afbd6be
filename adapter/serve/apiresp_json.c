/*
 * apiresp_json.c - JSON answers of the metrics API (see apiresp.h): value
 * lists of custom.metrics.k8s.io v1beta1/v1beta2 and external.metrics.k8s.io
 * v1beta1, metav1.Status, the discovery documents (APIGroupList, APIGroup,
 * APIResourceList), quantities, times, and Go-style indentation.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "adapter/serve/apiresp.h"

/* Decimal digits of v into out (21 bytes), NUL-terminated; the length. */
static size_t json_utoa(uint64_t v, char *out)
{
	char tmp[21];
	size_t n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		out[k++] = tmp[--n];
	out[k] = '\0';
	return k;
}

void api_quantity(int64_t milli, char out[32])
{
	static const char *suffix[] = { "m", "", "k", "M", "G", "T", "P", "E" };
	uint64_t mant = milli < 0 ? 0 - (uint64_t)milli : (uint64_t)milli;
	int exp = -3;
	size_t k = 0;

	if (milli == 0) {
		strcpy(out, "0");
		return;
	}
	while (mant % 10 == 0) {
		mant /= 10;
		exp++;
	}
	while (exp % 3 != 0) { /* exp > -3 here: mant grows by <= 100 */
		mant *= 10;
		exp--;
	}
	if (milli < 0)
		out[k++] = '-';
	k += json_utoa(mant, out + k);
	strcpy(out + k, suffix[(exp + 3) / 3]);
}

int64_t api_milli(double v)
{
	double m = v * 1000;

	if (isnan(m))
		return 0;
	if (m >= 9.2e18)
		return INT64_MAX;
	if (m <= -9.2e18)
		return INT64_MIN + 1;
	return (int64_t)m;
}

void api_time(int64_t ms, char out[32])
{
	/* most items of an answer share their second: format it once */
	static _Thread_local time_t last = -1;
	static _Thread_local char text[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (t != last) {
		gmtime_r(&t, &tm);
		strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
		last = t;
	}
	memcpy(out, text, sizeof(text));
}

static const char *api_gv_name(enum api_group_version gv)
{
	switch (gv) {
	case API_CUSTOM_V1BETA1: return "custom.metrics.k8s.io/v1beta1";
	case API_CUSTOM_V1BETA2: return "custom.metrics.k8s.io/v1beta2";
	case API_EXTERNAL_V1BETA1: break;
	}
	return "external.metrics.k8s.io/v1beta1";
}

static int json_selector(struct buf *b, const struct selector *sel)
{
	if (!sel || sel->n == 0)
		return buf_adds(b, "null");
	return sel_to_json(sel, b);
}

/* timestamp, window and value, in the field order of each version; with
 * no printf (a list of 10,000 pods writes 10,000 of them) */
static int json_tail(struct buf *b, const struct api_item *it,
		     const char *window_key)
{
	char t[32], q[32], w[128];
	size_t n;
	int rc;

	api_time(it->at_ms, t);
	api_quantity(it->milli, q);
	rc = buf_adds(b, ",\"timestamp\":\"");
	if (!rc)
		rc = buf_adds(b, t);
	n = strlen(window_key); /* "window" or "windowSeconds" */
	memcpy(w, "\",\"", 3);
	memcpy(w + 3, window_key, n);
	memcpy(w + 3 + n, "\":", 2);
	n += 5;
	if (it->window_s > 0) {
		n += json_utoa((uint64_t)it->window_s, w + n);
	} else if (it->window_s) {
		w[n++] = '-';
		n += json_utoa(0 - (uint64_t)it->window_s, w + n);
	} else {
		n = 1; /* the closing quote only */
	}
	memcpy(w + n, ",\"value\":\"", 10);
	n += 10;
	if (!rc)
		rc = buf_add(b, w, n);
	if (!rc)
		rc = buf_adds(b, q);
	return rc ? rc : buf_addc(b, '"');
}

/* What the items of a custom list share, written once for the object
 * kind, namespace and apiVersion of the item it was made for: the text
 * before an item's name, after it up to the timestamp, and at its end. */
struct json_shared {
	bool made;
	const char *kind, *ns, *api_version;
	struct buf pre, mid, end;
};

static int json_shared_make(struct json_shared *sh, const struct api_list *l,
			    const struct api_item *it)
{
	bool v2 = l->gv == API_CUSTOM_V1BETA2;
	int rc;

	buf_reset(&sh->pre);
	buf_reset(&sh->mid);
	buf_reset(&sh->end);
	rc = buf_adds(&sh->pre, "{\"describedObject\":{\"kind\":");
	if (!rc)
		rc = jsonw_str(&sh->pre, it->kind);
	if (!rc && it->ns && *it->ns) {
		rc = buf_adds(&sh->pre, ",\"namespace\":");
		if (!rc)
			rc = jsonw_str(&sh->pre, it->ns);
	}
	if (!rc)
		rc = buf_adds(&sh->pre, ",\"name\":");
	if (!rc)
		rc = buf_adds(&sh->mid, ",\"apiVersion\":");
	if (!rc)
		rc = jsonw_str(&sh->mid, it->api_version);
	if (!rc)
		rc = buf_adds(&sh->mid, v2 ? "},\"metric\":{\"name\":"
					   : "},\"metricName\":");
	if (!rc)
		rc = jsonw_str(&sh->mid, l->metric);
	if (!rc)
		rc = buf_adds(v2 ? &sh->mid : &sh->end, ",\"selector\":");
	if (!rc)
		rc = json_selector(v2 ? &sh->mid : &sh->end, l->metric_sel);
	if (!rc)
		rc = buf_addc(v2 ? &sh->mid : &sh->end, '}');
	if (!rc && v2)
		rc = buf_addc(&sh->end, '}');
	sh->made = !rc;
	sh->kind = it->kind;
	sh->ns = it->ns;
	sh->api_version = it->api_version;
	return rc;
}

static int json_custom_item(struct buf *b, const struct api_list *l,
			    const struct api_item *it, struct json_shared *sh)
{
	int rc = 0;

	if (!sh->made || sh->kind != it->kind || sh->ns != it->ns ||
	    sh->api_version != it->api_version)
		rc = json_shared_make(sh, l, it);
	if (!rc)
		rc = buf_add(b, sh->pre.p, sh->pre.len);
	if (!rc)
		rc = jsonw_str(b, it->name);
	if (!rc)
		rc = buf_add(b, sh->mid.p, sh->mid.len);
	if (!rc)
		rc = json_tail(b, it, l->gv == API_CUSTOM_V1BETA2
					      ? "windowSeconds"
					      : "window");
	return rc ? rc : buf_add(b, sh->end.p, sh->end.len);
}

static int json_external_item(struct buf *b, const struct api_list *l,
			      const struct api_item *it)
{
	int rc = buf_adds(b, "{\"metricName\":");

	if (!rc)
		rc = jsonw_str(b, l->metric);
	if (!rc && it->job_label) {
		rc = buf_adds(b, ",\"metricLabels\":{\"job_name\":");
		if (!rc)
			rc = jsonw_str(b, it->job_label);
		if (!rc)
			rc = buf_addc(b, '}');
	} else if (!rc) {
		rc = buf_adds(b, ",\"metricLabels\":null");
	}
	if (!rc)
		rc = json_tail(b, it, "window");
	return rc ? rc : buf_addc(b, '}');
}

int apiresp_list_json(const struct api_list *l, struct buf *out)
{
	bool ext = l->gv == API_EXTERNAL_V1BETA1;
	struct json_shared sh = { false, NULL, NULL, NULL, BUF_INIT(1 << 20),
				  BUF_INIT(1 << 20), BUF_INIT(1 << 20) };
	int rc = buf_addf(out, "{\"kind\":\"%s\",\"apiVersion\":\"%s\","
			  "\"metadata\":{},\"items\":[",
			  ext ? "ExternalMetricValueList" : "MetricValueList",
			  api_gv_name(l->gv));

	/* room for the whole list at once when it fits (an item of a pod
	 * is about 250 bytes); else it grows as it goes, within its limit */
	if (!rc && l->n && buf_reserve(out, l->n * 256) == ERR_NOMEM)
		rc = ERR_NOMEM;
	for (size_t i = 0; i < l->n && !rc; i++) {
		if (i)
			rc = buf_addc(out, ',');
		if (!rc)
			rc = ext ? json_external_item(out, l, &l->items[i])
				 : json_custom_item(out, l, &l->items[i], &sh);
	}
	buf_release(&sh.pre);
	buf_release(&sh.mid);
	buf_release(&sh.end);
	return rc ? rc : buf_adds(out, "]}\n");
}

/* One omitempty string field: ,"key":"value" (first: no comma). */
static int json_opt(struct buf *b, const char *key, const char *v,
		    bool *first)
{
	int rc;

	if (!v || !*v)
		return 0;
	rc = buf_addf(b, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
	return rc ? rc : jsonw_str(b, v);
}

static int json_details(struct buf *b, const struct api_status *st)
{
	bool first = true;
	int rc = buf_adds(b, ",\"details\":{");

	if (!rc)
		rc = json_opt(b, "name", st->details_name, &first);
	if (!rc)
		rc = json_opt(b, "group", st->details_group, &first);
	if (!rc)
		rc = json_opt(b, "kind", st->details_kind, &first);
	return rc ? rc : buf_addc(b, '}');
}

int apiresp_status_json(const struct api_status *st, struct buf *out)
{
	int rc = buf_adds(out, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
			       "\"metadata\":{},\"status\":\"Failure\","
			       "\"message\":");

	if (!rc)
		rc = jsonw_str(out, st->message);
	if (!rc)
		rc = buf_adds(out, ",\"reason\":");
	if (!rc)
		rc = jsonw_str(out, st->reason);
	if (!rc && st->details_kind)
		rc = json_details(out, st);
	return rc ? rc : buf_addf(out, ",\"code\":%d}\n", st->code);
}

/* ---- discovery ---- */

/* The fields of an APIGroup (without braces): name, versions, preferred. */
static int json_group_fields(struct buf *b, const struct api_group *g)
{
	int rc = buf_addf(b, "\"name\":\"%s\",\"versions\":[", g->name);

	for (size_t i = 0; i < g->nversions && !rc; i++)
		rc = buf_addf(b, "%s{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}",
			      i ? "," : "", g->name, g->versions[i],
			      g->versions[i]);
	if (!rc && g->nversions)
		rc = buf_addf(b, "],\"preferredVersion\":{\"groupVersion\":"
			      "\"%s/%s\",\"version\":\"%s\"}", g->name,
			      g->versions[0], g->versions[0]);
	else if (!rc)
		rc = buf_adds(b, "],\"preferredVersion\":{\"groupVersion\":\"\","
			      "\"version\":\"\"}");
	return rc;
}

int apiresp_group_list_json(const struct api_group *g, size_t n,
			    struct buf *out)
{
	int rc = buf_adds(out, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\","
			  "\"groups\":[");

	for (size_t i = 0; i < n && !rc; i++) {
		rc = buf_adds(out, i ? ",{" : "{");
		if (!rc)
			rc = json_group_fields(out, &g[i]);
		if (!rc)
			rc = buf_addc(out, '}');
	}
	return rc ? rc : buf_adds(out, "]}\n");
}

int apiresp_group_json(const struct api_group *g, struct buf *out)
{
	int rc = buf_adds(out, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",");

	if (!rc)
		rc = json_group_fields(out, g);
	return rc ? rc : buf_adds(out, "}\n");
}

static int json_resource(struct buf *b, const struct api_resource *r)
{
	int rc = buf_adds(b, "{\"name\":");

	if (!rc)
		rc = jsonw_str(b, r->name);
	return rc ? rc : buf_addf(b, ",\"singularName\":\"\",\"namespaced\":%s,"
				  "\"kind\":\"%s\",\"verbs\":[\"get\"]}",
				  r->namespaced ? "true" : "false", r->kind);
}

int apiresp_resources_json(const struct api_resource_list *l,
			   struct buf *out)
{
	int rc = buf_addf(out, "{\"kind\":\"APIResourceList\",\"apiVersion\":"
			  "\"v1\",\"groupVersion\":\"%s\",\"resources\":[",
			  l->group_version);

	for (size_t i = 0; i < l->n && !rc; i++) {
		if (i)
			rc = buf_addc(out, ',');
		if (!rc)
			rc = json_resource(out, &l->res[i]);
	}
	return rc ? rc : buf_adds(out, "]}\n");
}

static int indent_nl(struct buf *b, int depth)
{
	int rc = buf_addc(b, '\n');

	for (int i = 0; i < depth && !rc; i++)
		rc = buf_add(b, "  ", 2);
	return rc;
}

int apiresp_indent(const char *in, size_t n, struct buf *out)
{
	bool str = false, esc = false;
	int depth = 0, rc = 0;

	while (n && (in[n - 1] == '\n'))
		n--;
	for (size_t i = 0; i < n && !rc; i++) {
		char c = in[i];
		if (str) {
			str = esc || c != '"';
			esc = !esc && c == '\\';
			rc = buf_addc(out, c);
		} else if (c == '"') {
			str = true;
			rc = buf_addc(out, c);
		} else if ((c == '{' || c == '[') && i + 1 < n &&
			   (in[i + 1] == '}' || in[i + 1] == ']')) {
			rc = buf_add(out, in + i, 2);
			i++;
		} else if (c == '{' || c == '[') {
			rc = buf_addc(out, c);
			if (!rc)
				rc = indent_nl(out, ++depth);
		} else if (c == '}' || c == ']') {
			rc = indent_nl(out, --depth);
			if (!rc)
				rc = buf_addc(out, c);
		} else if (c == ',') {
			rc = buf_addc(out, c);
			if (!rc)
				rc = indent_nl(out, depth);
		} else if (c == ':') {
			rc = buf_add(out, ": ", 2);
		} else {
			rc = buf_addc(out, c);
		}
	}
	return rc;
}
