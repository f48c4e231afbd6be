/*
 * emumetrics.c - GET /jobs/ID/vertices/VID/subtasks/metrics as Flink
 * 1.18's AggregatingSubtasksMetricsHandler answers it, computed from the
 * very series the TaskManagers' pages show (emupage.c), so both agree:
 *
 *   no get           [{"id":"busyTimeMsPerSecond"},...]: the union of the
 *                    subtasks' metric names, in the order of Java's HashSet
 *   get=A,B&agg=...  [{"id":"A","min":..,"max":..,"avg":..,"sum":..},...]
 *   subtasks=0-3,5   only these subtasks (ranges as Flink reads them)
 *
 * Names are those of Flink's MetricStore: a task metric by its name below
 * the task ("numRecordsIn", "buffers.outPoolUsage"), an operator metric
 * after its operator's name ("Source__orders.pendingRecords"), every part
 * filtered as the MetricQueryService does (' ', '.', ':', ',' become '_');
 * the key-value groups with their values ("Source__orders.KafkaSourceReader.
 * topic.orders.partition.0.currentOffset"); a histogram as NAME_median,
 * _p75, _p95, _p98, _p99 and _p999: the quantiles the page has (Flink's
 * store also has _min, _max, _mean, _stddev and _p90, which no page shows).
 *
 * As Flink does: a requested metric that none of the selected subtasks has
 * makes the whole answer [] (AbstractAggregatingMetricsHandler returns
 * early); one whose value is not a number (boolean and string gauges) is
 * left out; an unknown job or vertex gives [], no error; agg takes min, max,
 * avg and sum in any case (skew came with Flink 1.20): anything else is
 * Flink's 400; the aggregates come in the order id, min, max, avg, sum,
 * numbers as Jackson writes doubles (Double.toString; "NaN", "Infinity" as
 * strings), a float gauge as the double of its Float.toString.  Unlike
 * Flink, whose MetricFetcher reads the TaskManagers at most every 10 s,
 * the values are those of the pages now.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hack/emu/emu.h"
#include "hack/emu/javafmt.h"

#define EMU_KEY_MAX 512
#define EMU_OP_NAME_MAX 80 /* Flink's METRICS_OPERATOR_NAME_MAX_LENGTH */
#define EMU_MAX_SELECT (1 << 20) /* subtasks= entries looked at */
#define EMU_REST_EXC "org.apache.flink.runtime.rest.handler.RestHandlerException"

enum { K_ABSENT, K_NUMBER, K_OTHER }; /* one subtask's value of a metric */
enum { A_MIN = 1, A_MAX = 2, A_AVG = 4, A_SUM = 8, A_ALL = 15 };

struct emu_metric {
	char *id;
	unsigned char *kind; /* per subtask */
	double *v;           /* per subtask, when K_NUMBER */
};

/* The vertex's subtask metric stores: metric i of subtask k is
 * m[i].kind[k], m[i].v[k]; m in the order the series came. */
struct emu_mstore {
	const char *vid;
	json_object *want;  /* ids asked for (NULL: every one) */
	json_object *index; /* id -> i */
	struct emu_metric *m;
	size_t n, cap;
	int nsub;
	int rc;
};

/* ---- names ---- */

/* Append s to out (cap bytes) at *k, filtered as Flink's
 * MetricQueryService.replaceInvalidChars, cut at max characters. */
static void emu_qfilter(char *out, size_t cap, size_t *k, const char *s,
			size_t max)
{
	size_t nchar = 0;

	for (const unsigned char *p = (const unsigned char *)s;
	     *p && *k + 1 < cap; p++) {
		if ((*p < 0x80 || *p >= 0xC0) && nchar++ == max)
			break;
		out[(*k)++] = strchr(" .:,", *p) ? '_' : (char)*p;
	}
	out[*k] = '\0';
}

static void emu_kadd(char *out, size_t cap, size_t *k, const char *s)
{
	int n = snprintf(out + *k, cap - *k, "%s", s);

	*k = *k + (size_t)n < cap ? *k + (size_t)n : cap - 1;
}

/* The groups below the task or operator, each filtered and followed by
 * '.': "*" is the series' var; the key groups topic and partition are
 * followed by their values (Flink's GenericValueMetricGroup). */
static void emu_key_groups(const struct fp_series *s, char *out, size_t cap,
			   size_t *k)
{
	char comp[128], num[16];

	for (const char *g = s->group; *g;) {
		size_t n = strcspn(g, ".");

		snprintf(comp, sizeof(comp), "%.*s", (int)n, g);
		emu_qfilter(out, cap, k, strcmp(comp, "*") ? comp
				: s->var ? s->var : "", SIZE_MAX);
		emu_kadd(out, cap, k, ".");
		if (s->partition >= 0 && !strcmp(comp, "topic")) {
			emu_qfilter(out, cap, k, s->job->topic, SIZE_MAX);
			emu_kadd(out, cap, k, ".");
		} else if (s->partition >= 0 && !strcmp(comp, "partition")) {
			snprintf(num, sizeof(num), "%d.", s->partition);
			emu_kadd(out, cap, k, num);
		}
		g += n + (g[n] == '.');
	}
}

static const char *emu_hist_suffix(double q)
{
	static const struct {
		double q;
		const char *suffix;
	} t[] = { { 0.5, "_median" }, { 0.75, "_p75" }, { 0.95, "_p95" },
		  { 0.98, "_p98" },  { 0.99, "_p99" }, { 0.999, "_p999" } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].q == q)
			return t[i].suffix;
	return NULL;
}

/* The MetricStore's name of series s in its subtask's store; false when
 * it has none there (TaskManager and job scopes, a histogram's count). */
static bool emu_store_key(const struct fp_series *s, char *out, size_t cap)
{
	const char *suffix = "";
	size_t k = 0;

	out[0] = '\0';
	if (s->scope != FP_SCOPE_TASK && s->scope != FP_SCOPE_OPERATOR)
		return false;
	if (s->kind == FP_HISTOGRAM && !(suffix = emu_hist_suffix(s->quantile)))
		return false;
	if (s->scope == FP_SCOPE_OPERATOR) {
		emu_qfilter(out, cap, &k, s->op->name, EMU_OP_NAME_MAX);
		emu_kadd(out, cap, &k, ".");
	}
	emu_key_groups(s, out, cap, &k);
	emu_qfilter(out, cap, &k, s->name, SIZE_MAX);
	emu_kadd(out, cap, &k, suffix);
	return k + 1 < cap;
}

/* ---- values ---- */

/* Double.valueOf(Float.toString(f)): the shortest decimal that reads back
 * as the float, as a double. */
static double emu_float_text(double v)
{
	float f = (float)v;
	char b[32];

	if (!isfinite(f))
		return f;
	for (int p = 1; p <= 9; p++) {
		snprintf(b, sizeof(b), "%.*e", p - 1, (double)f);
		if (strtof(b, NULL) == f)
			return strtod(b, NULL);
	}
	return f;
}

/* What the REST API makes of the value the page shows as v. */
static int emu_store_value(const struct fp_series *s, double v, double *out)
{
	switch (fp_java_type(s)) {
	case FP_J_BOOLEAN:
	case FP_J_STRING:
		return K_OTHER; /* "true", "3.4.0": Double.valueOf fails */
	case FP_J_FLOAT:
		*out = emu_float_text(v);
		return K_NUMBER;
	default:
		*out = v;
		return K_NUMBER;
	}
}

/* ---- the store ---- */

static struct emu_metric *emu_metric_get(struct emu_mstore *st,
					 const char *id)
{
	json_object *i;
	struct emu_metric *m;

	if (json_object_object_get_ex(st->index, id, &i))
		return &st->m[json_object_get_int(i)];
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 64;
		struct emu_metric *p = realloc(st->m, cap * sizeof(*p));

		if (!p)
			return NULL;
		st->m = p;
		st->cap = cap;
	}
	m = &st->m[st->n];
	m->id = strdup(id);
	m->kind = calloc((size_t)st->nsub + 1, 1);
	m->v = calloc((size_t)st->nsub + 1, sizeof(double));
	if (!m->id || !m->kind || !m->v) {
		free(m->id);
		free(m->kind);
		free(m->v);
		return NULL;
	}
	json_object_object_add(st->index, id,
			       json_object_new_int((int)st->n));
	st->n++;
	return m;
}

static void emu_mvisit(void *ud, const struct fp_series *s, double v)
{
	struct emu_mstore *st = ud;
	char key[EMU_KEY_MAX];
	struct emu_metric *m;
	int k = s->subtask ? s->subtask->index : -1;

	if (st->rc || k < 0 || k >= st->nsub || !s->task ||
	    strcasecmp(s->task->id, st->vid) ||
	    !emu_store_key(s, key, sizeof(key)))
		return;
	if (st->want && !json_object_object_get_ex(st->want, key, NULL))
		return;
	if (!(m = emu_metric_get(st, key))) {
		st->rc = ERR_NOMEM;
		return;
	}
	m->kind[k] = (unsigned char)emu_store_value(s, v, &m->v[k]);
}

static void emu_mstore_free(struct emu_mstore *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->m[i].id);
		free(st->m[i].kind);
		free(st->m[i].v);
	}
	free(st->m);
	json_object_put(st->index);
}

/* Subtask k has a store: it reported a metric (of those looked at). */
static bool emu_has_store(const struct emu_mstore *st, int k)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->m[i].kind[k] != K_ABSENT)
			return true;
	return false;
}

/* ---- the query ---- */

/* Java's s.trim() of s[0..n): *s and *n narrowed. */
static void emu_trim(const char **s, size_t *n)
{
	while (*n && (unsigned char)**s <= ' ') {
		(*s)++;
		(*n)--;
	}
	while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
		(*n)--;
}

/* Java's Integer.valueOf of s[0..n); false where it throws. */
static bool emu_java_int(const char *s, size_t n, long long *out)
{
	size_t i = n && (s[0] == '-' || s[0] == '+');
	long long v = 0;

	if (i == n)
		return false;
	for (size_t j = i; j < n; j++) {
		if (s[j] < '0' || s[j] > '9' || v > 2147483648LL)
			return false;
		v = v * 10 + (s[j] - '0');
	}
	v = s[0] == '-' ? -v : v;
	if (v > INT32_MAX || v < INT32_MIN)
		return false;
	*out = v;
	return true;
}

/* Java's s.split(","): the items as a JSON array of strings (trailing
 * empty items dropped, but "" is [""]). */
static json_object *emu_split(const char *s)
{
	json_object *a = json_object_new_array();
	size_t len;

	for (const char *p = s;; p += len + 1) {
		len = strcspn(p, ",");
		json_object_array_add(a, json_object_new_string_len(p, (int)len));
		if (!p[len])
			break;
	}
	while (strchr(s, ',') && json_object_array_length(a) > 0 &&
	       !*json_object_get_string(json_object_array_get_idx(
		       a, json_object_array_length(a) - 1)))
		json_object_array_del_idx(a, json_object_array_length(a) - 1, 1);
	return a;
}

/* The stores to aggregate, in order (AggregatingSubtasksMetricsHandler's
 * getStores): every subtask's, or those the ranges of subtasks= name
 * ("0-3,5"; what is not a number is skipped, as Flink logs and skips it;
 * a subtask named twice counts twice).  *n gets their count. */
static int *emu_select(const struct emu_mstore *st, const char *subtasks,
		       size_t *n)
{
	int *sel = malloc(sizeof(int) * ((size_t)st->nsub + 1));
	json_object *items = subtasks ? emu_split(subtasks) : NULL;
	size_t cap = (size_t)st->nsub + 1;

	*n = 0;
	for (int k = 0; !items && sel && k < st->nsub; k++)
		if (emu_has_store(st, k))
			sel[(*n)++] = k;
	for (size_t i = 0; items && sel && i < json_object_array_length(items); i++) {
		const char *r = json_object_get_string(json_object_array_get_idx(items, i));
		size_t len = strlen(r), dash;
		long long from, to;

		emu_trim(&r, &len);
		dash = strcspn(r, "-") < len ? strcspn(r, "-") : len;
		if (!emu_java_int(r, dash, &from) ||
		    (dash < len && !emu_java_int(r + dash + 1, len - dash - 1, &to)))
			continue;
		if (dash == len)
			to = from;
		for (long long k = from < 0 ? 0 : from; k <= to && k < st->nsub; k++) {
			if (!emu_has_store(st, (int)k))
				continue;
			if (*n == cap) {
				int *p = cap < EMU_MAX_SELECT
					 ? realloc(sel, 2 * cap * sizeof(int)) : NULL;
				if (!p)
					break;
				sel = p;
				cap *= 2;
			}
			sel[(*n)++] = (int)k;
		}
	}
	json_object_put(items);
	return sel;
}

/* ---- the list of ids: a Java HashSet's order ---- */

/* Java's String.hashCode: over the UTF-16 units of UTF-8 s. */
static uint32_t emu_java_hash(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t h = 0;

	while (*p) {
		uint32_t c = *p++;
		int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

		c &= more == 3 ? 0x07 : more == 2 ? 0x0F : more ? 0x1F : 0xFF;
		for (; more && (*p & 0xC0) == 0x80; more--)
			c = (c << 6) | (*p++ & 0x3F);
		if (c >= 0x10000) {
			c -= 0x10000;
			h = 31 * h + (0xD800 + (c >> 10));
			c = 0xDC00 + (c & 0x3FF);
		}
		h = 31 * h + c;
	}
	return h;
}

/* HashMap.hash: the bits that pick the bucket. */
static uint32_t emu_spread(const char *s)
{
	uint32_t h = emu_java_hash(s);

	return h ^ (h >> 16);
}

struct emu_slot {
	size_t metric; /* index in the store */
	uint32_t bucket;
	size_t seq; /* insertion order */
};

static int emu_slot_cmp(const void *a, const void *b)
{
	const struct emu_slot *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The ids in the order getAvailableMetrics gives them: the stores' keys
 * added to a HashSet(32), store by store, each store iterated as its
 * ConcurrentHashMap does (by bucket; within a bucket Flink's order depends
 * on identity hash codes: here the page's order). */
static json_object *emu_available(const struct emu_mstore *st,
				   const int *sel, size_t nsel)
{
	struct emu_slot *s = calloc(st->n + 1, sizeof(*s));
	bool *in = calloc(st->n + 1, sizeof(bool));
	json_object *a = json_object_new_array();
	size_t n = 0, set_cap = 32;

	for (size_t j = 0; s && in && j < nsel; j++) {
		size_t here = 0, chm_cap = 16, first = n;

		for (size_t i = 0; i < st->n; i++)
			here += st->m[i].kind[sel[j]] != K_ABSENT;
		while (here >= chm_cap - chm_cap / 4)
			chm_cap *= 2;
		for (size_t i = 0; i < st->n; i++)
			if (!in[i] && st->m[i].kind[sel[j]] != K_ABSENT) {
				in[i] = true;
				s[n++] = (struct emu_slot){ i,
					emu_spread(st->m[i].id) & 0x7fffffff &
					(uint32_t)(chm_cap - 1), i };
			}
		qsort(s + first, n - first, sizeof(*s), emu_slot_cmp);
	}
	while (n > set_cap - set_cap / 4)
		set_cap *= 2;
	for (size_t i = 0; s && i < n; i++)
		s[i] = (struct emu_slot){ s[i].metric,
			emu_spread(st->m[s[i].metric].id) & (uint32_t)(set_cap - 1), i };
	if (s)
		qsort(s, n, sizeof(*s), emu_slot_cmp);
	for (size_t i = 0; s && i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(
							 st->m[s[i].metric].id));
		json_object_array_add(a, o);
	}
	free(s);
	free(in);
	return a;
}

/* ---- aggregates ---- */

/* A double as Jackson writes it. */
static json_object *emu_jnum(double v)
{
	char b[JFMT_MAX];

	if (isnan(v))
		return json_object_new_string("NaN");
	if (isinf(v))
		return json_object_new_string(v > 0 ? "Infinity" : "-Infinity");
	jfmt_double(b, v);
	return json_object_new_double_s(v, b);
}

/* Java's Math.min and Math.max: NaN wins, -0.0 is below 0.0. */
static double emu_jmin(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	if (a == 0 && b == 0)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}

static double emu_jmax(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	if (a == 0 && b == 0)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}

/* The aggregates of metric m over the stores: false when no store has a
 * value (*skip: one that is not a number). */
static bool emu_aggregate(const struct emu_metric *m, const int *sel,
			  size_t nsel, int aggs, json_object **out, bool *skip)
{
	double min = 0, max = 0, sum = 0;
	size_t count = 0;

	*skip = false;
	for (size_t j = 0; j < nsel; j++) {
		double v = m->v[sel[j]];

		if (m->kind[sel[j]] == K_OTHER)
			*skip = true;
		if (m->kind[sel[j]] != K_NUMBER)
			continue;
		min = count ? emu_jmin(min, v) : v;
		max = count ? emu_jmax(max, v) : v;
		sum = count ? sum + v : v;
		count++;
	}
	if (*skip || !count)
		return false;
	*out = json_object_new_object();
	json_object_object_add(*out, "id", json_object_new_string(m->id));
	if (aggs & A_MIN)
		json_object_object_add(*out, "min", emu_jnum(min));
	if (aggs & A_MAX)
		json_object_object_add(*out, "max", emu_jnum(max));
	if (aggs & A_AVG)
		json_object_object_add(*out, "avg", emu_jnum(sum / (double)count));
	if (aggs & A_SUM)
		json_object_object_add(*out, "sum", emu_jnum(sum));
	return true;
}

/* getAggregatedMetricValues: one object per id asked for, in order. */
static json_object *emu_aggregates(const struct emu_mstore *st,
				   json_object *ids, const int *sel,
				   size_t nsel, int aggs)
{
	json_object *a = json_object_new_array(), *i, *o;

	for (size_t k = 0; k < json_object_array_length(ids); k++) {
		const char *id = json_object_get_string(
			json_object_array_get_idx(ids, k));
		bool skip = false;

		if (json_object_object_get_ex(st->index, id, &i) &&
		    emu_aggregate(&st->m[json_object_get_int(i)], sel, nsel,
				  aggs, &o, &skip)) {
			json_object_array_add(a, o);
			continue;
		}
		if (skip)
			continue; /* not numeric: "can't be aggregated" */
		json_object_put(a); /* no values: Flink answers [] */
		return json_object_new_array();
	}
	return a;
}

/* agg=: MetricsAggregationParameter of Flink 1.18 (MIN, MAX, SUM, AVG in
 * any case); -1 with Flink's 400 in out when one is not. */
static int emu_aggs(const char *s, struct buf *out, int *code)
{
	static const char *const names[] = { "min", "max", "avg", "sum" };
	json_object *items = emu_split(s);
	char msg[600];
	int aggs = 0;

	for (size_t i = 0; i < json_object_array_length(items); i++) {
		const char *v = json_object_get_string(
			json_object_array_get_idx(items, i));
		int bit = 0;

		for (int k = 0; k < 4; k++)
			if (!strcasecmp(v, names[k]))
				bit = 1 << k;
		if (!bit) {
			json_object_put(items);
			snprintf(msg, sizeof(msg), "Bad request, could not parse "
				 "parameters: Cannot resolve query parameter "
				 "(agg) from value \"%.400s\".", s);
			emu_error_exc(out, code, 400, EMU_REST_EXC, msg);
			return -1;
		}
		aggs |= bit;
	}
	json_object_put(items);
	return aggs ? aggs : A_ALL;
}

/* The ids of get= as the set st->want. */
static void emu_want(struct emu_mstore *st, json_object *ids)
{
	st->want = json_object_new_object();
	for (size_t k = 0; k < json_object_array_length(ids); k++)
		json_object_object_add(st->want, json_object_get_string(
			json_object_array_get_idx(ids, k)), NULL);
}

/* The stores of vertex vid of job jid, from the pages; none unless jid
 * is the job the TaskManagers run. */
static int emu_collect(struct emu *e, const char *jid, struct emu_mstore *st)
{
	struct emu_job *cur = emu_job_current(e);

	if (!cur || strcasecmp(cur->jid, jid) || cur->state != EMU_JOB_ACTIVE)
		return 0;
	for (int t = 0; t < e->ntm_running && !st->rc; t++)
		if (emu_visit_tm(e, t, emu_mvisit, st))
			st->rc = ERR_NOMEM;
	return st->rc;
}

json_object *emu_subtask_metrics(struct emu *e, const char *jid,
				 const char *vid, emu_arg_fn arg, void *ud,
				 struct buf *out, int *code)
{
	const char *get = arg ? arg(ud, "get") : NULL;
	const char *agg = arg ? arg(ud, "agg") : NULL;
	struct emu_mstore st = { .vid = vid, .nsub = e->m.parallelism };
	json_object *ids = get ? emu_split(get) : NULL, *o = NULL;
	int aggs = A_ALL, *sel;
	size_t nsel;

	if (!emu_check_id(vid, "vertexid", out, code) ||
	    (agg && (aggs = emu_aggs(agg, out, code)) < 0)) {
		json_object_put(ids);
		return NULL;
	}
	if (ids && json_object_array_length(ids) == 0) {
		json_object_put(ids); /* "get=,": no ids, the list */
		ids = NULL;
	}
	st.index = json_object_new_object();
	if (ids)
		emu_want(&st, ids);
	if (!emu_collect(e, jid, &st) &&
	    (sel = emu_select(&st, arg ? arg(ud, "subtasks") : NULL, &nsel))) {
		o = ids ? emu_aggregates(&st, ids, sel, nsel, aggs)
			: emu_available(&st, sel, nsel);
		free(sel);
	}
	json_object_put(st.want);
	json_object_put(ids);
	emu_mstore_free(&st);
	if (!o)
		return emu_error_exc(out, code, 500, EMU_REST_EXC,
				     "Could not retrieve metrics.");
	return o;
}
