/*
 * policy_rules.c - spec.rules and spec.behavior of a ScalingPolicy (see
 * policy.h): each rule kind has its own table of keys, and is mapped here
 * to the one HPA metric that serves it (docs/policy.md has the table).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "gen/policy.h"
#include "gen/policy_int.h"

static const char *const type_names[] = { "cpu", "memory", "backlog",
	"latency", "watermarkLag", "busyRatio", "custom", "throughput", NULL };
static const char *const resource_sources[] = { "resource", "flink", NULL };
static const char *const custom_sources[] = { "pods", "deployment",
	"external", "resource", NULL };
static const enum pol_source custom_map[] = { SRC_PODS, SRC_DEPLOYMENT,
	SRC_EXTERNAL, SRC_RESOURCE };

struct raw_rule {
	int type, source;
	int64_t utilization, max_ms;
	double target;
	char *average, *value, *per_tm, *metric;
	double tput_util;
	int64_t catch_up_ms, restart_ms;
};

#define R(f) offsetof(struct raw_rule, f)
#define TYPE_KEY { "type", CONF_ENUM, R(type), 0, 0, NULL, type_names, NULL, \
		   NULL, CONF_REQUIRED }
#define UTIL_KEY { "utilization", CONF_INT, R(utilization), 1, I32, NULL, \
		   NULL, NULL, NULL, 0 }
#define AVG_KEY { "averageValue", CONF_STRING, R(average), 1, 64, NULL, NULL, \
		  pol_chk_quantity, NULL, 0 }

static const struct conf_def resource_tab[] = {
	TYPE_KEY, UTIL_KEY, AVG_KEY,
	{ "source", CONF_ENUM, R(source), 0, 0, "resource", resource_sources,
	  NULL, NULL, 0 },
	ARRAY_END
};
static const struct conf_def backlog_tab[] = {
	TYPE_KEY,
	{ "perTaskManager", CONF_STRING, R(per_tm), 1, 64, NULL, NULL,
	  pol_chk_quantity, NULL, CONF_REQUIRED },
	ARRAY_END
};
static const struct conf_def lag_tab[] = {
	TYPE_KEY,
	{ "max", CONF_DURATION, R(max_ms), 1, 365 * 86400e3, NULL, NULL, NULL,
	  NULL, CONF_REQUIRED },
	ARRAY_END
};
static const struct conf_def busy_tab[] = {
	TYPE_KEY,
	{ "target", CONF_DOUBLE, R(target), 0.001, 1, NULL, NULL, NULL, NULL,
	  CONF_REQUIRED },
	ARRAY_END
};
static const struct conf_def custom_tab[] = {
	TYPE_KEY, UTIL_KEY, AVG_KEY,
	{ "value", CONF_STRING, R(value), 1, 64, NULL, NULL, pol_chk_quantity,
	  NULL, 0 },
	{ "metric", CONF_STRING, R(metric), 1, 127, NULL, NULL, NULL, NULL,
	  CONF_REQUIRED },
	{ "source", CONF_ENUM, R(source), 0, 0, "pods", custom_sources, NULL,
	  NULL, 0 },
	ARRAY_END
};

static const struct conf_def throughput_tab[] = {
	TYPE_KEY,
	{ "utilization", CONF_DOUBLE, R(tput_util), 0.05, 1, "0.7", NULL, NULL,
	  NULL, 0 },
	{ "catchUp", CONF_DURATION, R(catch_up_ms), 1000, 86400e3, "5m", NULL,
	  NULL, NULL, 0 },
	{ "restartTime", CONF_DURATION, R(restart_ms), 0, 3600e3, "30s", NULL,
	  NULL, NULL, 0 },
	ARRAY_END
};

static const struct conf_def *const rule_tabs[] = {
	resource_tab, resource_tab, backlog_tab, lag_tab, lag_tab, busy_tab,
	custom_tab, throughput_tab
};

/* The value of key "type" in mapping n, with its node. */
static int rule_type(struct yr_stream *s, yaml_node_t *n, const char *path,
		     int *type, struct err *e)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return yr_fail(e, n, path, "expected a mapping with a type, "
			       "found %s", yr_kind(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		const char *k = yr_scalar(yr_node(s, p->key));
		yaml_node_t *v = yr_node(s, p->value);
		if (!k || strcmp(k, "type"))
			continue;
		for (int i = 0; type_names[i]; i++)
			if (yr_scalar(v) && !strcmp(yr_scalar(v), type_names[i]))
				return *type = i, 0;
		return yr_fail(e, v, path, "type: unknown rule type \"%s\" "
			       "(expected cpu, memory, backlog, latency, "
			       "watermarkLag, busyRatio, custom or "
			       "throughput)",
			       yr_scalar(v) ? yr_scalar(v) : yr_kind(v));
	}
	return yr_fail(e, n, path, "missing required key \"type\" (cpu, "
		       "memory, backlog, latency, watermarkLag, busyRatio, "
		       "custom or throughput)");
}

static int rule_target(struct pol_rule *r, const struct raw_rule *raw,
		       struct yr_pos at, const char *path, struct err *e)
{
	int n = (raw->utilization > 0) + !!raw->average + !!raw->value;

	if (n != 1)
		return yr_fail_at(e, at, path, "give exactly one target: "
				  "utilization, averageValue%s",
				  r->type == RULE_CUSTOM ? " or value" : "");
	if (raw->utilization > 0) {
		r->target = TGT_UTILIZATION;
		r->utilization = raw->utilization;
		return 0;
	}
	r->target = raw->average ? TGT_AVERAGE_VALUE : TGT_VALUE;
	return qty_parse(raw->average ? raw->average : raw->value, &r->value,
			 e);
}

/* What each source accepts, as the HPA validates it. */
static int rule_check_source(const struct pol_rule *r, struct yr_pos at,
			     const char *path, struct err *e)
{
	if (r->target == TGT_UTILIZATION && r->source != SRC_RESOURCE &&
	    !(r->source == SRC_FLINK))
		return yr_fail_at(e, at, path, "utilization is only for "
				  "resource metrics (cpu, memory); use value "
				  "or averageValue");
	if (r->source == SRC_FLINK && r->target != TGT_UTILIZATION)
		return yr_fail_at(e, at, path, "with source flink, give "
				  "utilization (percent)");
	if (r->source == SRC_PODS && r->target != TGT_AVERAGE_VALUE)
		return yr_fail_at(e, at, path, "pods metrics take "
				  "averageValue");
	if (r->source == SRC_RESOURCE && r->target == TGT_VALUE)
		return yr_fail_at(e, at, path, "resource metrics take "
				  "utilization or averageValue");
	if (r->source == SRC_RESOURCE && r->type == RULE_CUSTOM &&
	    strcmp(r->metric, "cpu") && strcmp(r->metric, "memory") &&
	    strcmp(r->metric, "ephemeral-storage"))
		return yr_fail_at(e, at, path, "resource metrics are cpu, "
				  "memory or ephemeral-storage");
	return 0;
}

/* cpu and memory: natively or from the adapter's Flink-derived metric. */
static int rule_resource(struct pol_rule *r, const struct raw_rule *raw,
			 struct yr_pos at, const char *path, struct err *e)
{
	int rc = rule_target(r, raw, at, path, e);

	if (rc)
		return rc;
	r->source = raw->source ? SRC_FLINK : SRC_RESOURCE;
	if (r->source == SRC_RESOURCE)
		str_lcpy(r->metric, r->type == RULE_CPU ? "cpu" : "memory",
			 sizeof(r->metric));
	else
		str_lcpy(r->metric, r->type == RULE_CPU
			 ? "flink_tm_cpu_utilization" : "flink_tm_heap_utilization",
			 sizeof(r->metric));
	if ((rc = rule_check_source(r, at, path, e)))
		return rc;
	if (r->source == SRC_FLINK) { /* the metric is in percent */
		qty_from_scaled(r->utilization, 0, &r->value);
		r->target = TGT_AVERAGE_VALUE;
		r->source = SRC_PODS;
	}
	return 0;
}

static void rule_fixed(struct pol_rule *r, enum pol_source src,
		       const char *metric, enum pol_target t)
{
	r->source = src;
	r->target = t;
	str_lcpy(r->metric, metric, sizeof(r->metric));
}

static int rule_custom(struct pol_rule *r, const struct raw_rule *raw,
		       struct yr_pos at, const char *path, struct err *e)
{
	int rc;

	if (strlen(raw->metric) >= sizeof(r->metric) ||
	    (r->source != SRC_RESOURCE && strspn(raw->metric,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		"_:") != strlen(raw->metric)))
		return yr_fail_at(e, at, path, "metric: \"%s\" is not a metric "
				  "name (letters, digits, _ and :)", raw->metric);
	str_lcpy(r->metric, raw->metric, sizeof(r->metric));
	if ((rc = rule_target(r, raw, at, path, e)))
		return rc;
	return rule_check_source(r, at, path, e);
}

static int rule_map(struct pol_rule *r, const struct raw_rule *raw,
		    struct yr_pos at, const char *path, struct err *e)
{
	r->type = raw->type;
	switch (r->type) {
	case RULE_CPU:
	case RULE_MEMORY:
		return rule_resource(r, raw, at, path, e);
	case RULE_BACKLOG:
		rule_fixed(r, SRC_DEPLOYMENT, "flink_job_backlog",
			   TGT_AVERAGE_VALUE);
		return qty_parse(raw->per_tm, &r->value, e);
	case RULE_LATENCY:
	case RULE_WATERMARK_LAG:
		rule_fixed(r, SRC_DEPLOYMENT, r->type == RULE_LATENCY
			   ? "flink_job_latency_seconds"
			   : "flink_job_watermark_lag_seconds", TGT_VALUE);
		qty_from_scaled(raw->max_ms, -3, &r->value);
		return 0;
	case RULE_BUSY_RATIO:
		rule_fixed(r, SRC_PODS, "flink_tm_busy_ratio",
			   TGT_AVERAGE_VALUE);
		qty_from_scaled(llround(raw->target * 1000), -3, &r->value);
		return 0;
	case RULE_THROUGHPUT: /* ceil(value / 1): lands on the value */
		rule_fixed(r, SRC_DEPLOYMENT, "flink_job_required_taskmanagers",
			   TGT_AVERAGE_VALUE);
		r->tput_utilization = raw->tput_util;
		r->catch_up_ms = raw->catch_up_ms;
		r->restart_ms = raw->restart_ms;
		qty_from_scaled(1, 0, &r->value);
		return 0;
	default:
		r->source = custom_map[raw->source];
		return rule_custom(r, raw, at, path, e);
	}
}

static int rule_selector(void *ud, struct yr_stream *s, const char *key,
			 const char *path, yaml_node_t *v, struct err *e)
{
	struct pol_rule *r = ud;

	(void)key;
	return yr_strmap(s, v, path, POL_MAX_MAP, &r->selector, e);
}

static int rule_dup(const struct pol *p, const struct pol_rule *r,
		    const char *path, struct err *e)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].source == r->source &&
		    !strcmp(p->rules[i].metric, r->metric))
			return yr_fail_at(e, r->at, path, "a second rule on "
					  "%s (the first is at line %lu)",
					  r->metric, p->rules[i].at.line);
	return 0;
}

static int rule_item(void *ud, struct yr_stream *s, size_t i,
		     const char *path, yaml_node_t *n, struct err *e)
{
	static const char *const custom_keys[] = { "selector", NULL };
	struct pol *p = ud;
	struct pol_rule *r = &p->rules[i];
	struct raw_rule raw = { 0 };
	int type = 0, rc;

	if ((rc = rule_type(s, n, path, &type, e)))
		return rc;
	struct yr_map m = { .path = path, .tab = rule_tabs[type], .obj = &raw,
			    .keys = type == RULE_CUSTOM ? custom_keys : NULL,
			    .fn = rule_selector, .ud = r };
	r->at = yr_pos_of(n);
	if (!(rc = yr_map(s, n, &m, e)))
		rc = rule_map(r, &raw, r->at, path, e);
	if (!rc && r->selector.n && r->source == SRC_RESOURCE)
		rc = yr_fail(e, n, path, "resource metrics take no selector");
	if (!rc)
		rc = rule_dup(p, r, path, e);
	if (!rc)
		p->nrules++;
	else
		yr_kvs_release(&r->selector);
	conf_release(rule_tabs[type], &raw);
	return rc;
}

int pol_rules(void *ud, struct yr_stream *s, const char *key,
	      const char *path, yaml_node_t *v, struct err *e)
{
	struct pol *p = ud;
	int rc;

	(void)key;
	rc = yr_seq(s, v, path, POL_MAX_RULES, rule_item, p, e);
	if (!rc && p->nrules == 0)
		rc = yr_fail(e, v, path, "give at least one rule");
	return rc;
}

/* ---- behavior ---- */

static const char *const policy_types[] = { "Pods", "Percent", NULL };
static const char *const select_names[] = { "Max", "Min", "Disabled", NULL };

struct raw_spol {
	int type;
	int64_t value, period_ms;
};

static const struct conf_def spol_tab[] = {
	{ "type", CONF_ENUM, offsetof(struct raw_spol, type), 0, 0, NULL,
	  policy_types, NULL, NULL, CONF_REQUIRED },
	{ "value", CONF_INT, offsetof(struct raw_spol, value), 1, I32, NULL,
	  NULL, NULL, NULL, CONF_REQUIRED },
	{ "period", CONF_DURATION, offsetof(struct raw_spol, period_ms), 1000,
	  1800e3, NULL, NULL, NULL, NULL, CONF_REQUIRED },
	ARRAY_END
};

static int spol_item(void *ud, struct yr_stream *s, size_t i,
		     const char *path, yaml_node_t *n, struct err *e)
{
	struct pol_behavior_side *b = ud;
	struct raw_spol r = { 0 };
	struct yr_pos at[4];
	struct yr_map m = { .path = path, .tab = spol_tab, .obj = &r,
			    .at = at };
	int rc;

	memset(at, 0, sizeof(at));
	if ((rc = yr_map(s, n, &m, e)))
		return rc;
	if (r.period_ms % 1000)
		return yr_fail_at(e, yr_at(spol_tab, at, "period"), path,
				  "period: must be whole seconds");
	b->policies[i].type = r.type;
	b->policies[i].value = r.value;
	b->policies[i].period_s = r.period_ms / 1000;
	b->npolicies = i + 1;
	return 0;
}

struct raw_side {
	int64_t window_ms;
	int select;
};

static const struct conf_def side_tab[] = {
	{ "stabilizationWindow", CONF_DURATION,
	  offsetof(struct raw_side, window_ms), 0, 3600e3, NULL, NULL, NULL,
	  NULL, 0 },
	{ "selectPolicy", CONF_ENUM, offsetof(struct raw_side, select), 0, 0,
	  "Max", select_names, NULL, NULL, 0 },
	ARRAY_END
};

static int side_key(void *ud, struct yr_stream *s, const char *key,
		    const char *path, yaml_node_t *v, struct err *e)
{
	(void)key;
	return yr_seq(s, v, path, POL_MAX_BEHAVIOR_POLICIES, spol_item, ud, e);
}

static int behavior_side(struct pol_behavior_side *b, struct yr_stream *s,
			 const char *path, yaml_node_t *v, struct err *e)
{
	static const char *const keys[] = { "policies", NULL };
	struct raw_side r = { 0 };
	struct yr_pos at[3];
	struct yr_map m = { .path = path, .tab = side_tab, .obj = &r, .at = at,
			    .keys = keys, .fn = side_key, .ud = b };
	int rc;

	memset(at, 0, sizeof(at));
	if ((rc = yr_map(s, v, &m, e)))
		return rc;
	b->given = true;
	b->have_window = yr_at(side_tab, at, "stabilizationWindow").line != 0;
	b->have_select = yr_at(side_tab, at, "selectPolicy").line != 0;
	if (r.window_ms % 1000)
		return yr_fail_at(e, yr_at(side_tab, at, "stabilizationWindow"),
				  path, "stabilizationWindow: must be whole "
				  "seconds");
	b->window_s = r.window_ms / 1000;
	b->select = r.select;
	return 0;
}

static int behavior_key(void *ud, struct yr_stream *s, const char *key,
			const char *path, yaml_node_t *v, struct err *e)
{
	struct pol *p = ud;

	return behavior_side(!strcmp(key, "scaleUp") ? &p->up : &p->down, s,
			     path, v, e);
}

int pol_behavior(void *ud, struct yr_stream *s, const char *key,
		 const char *path, yaml_node_t *v, struct err *e)
{
	static const char *const keys[] = { "scaleUp", "scaleDown", NULL };
	struct yr_map m = { .path = path, .keys = keys, .fn = behavior_key,
			    .ud = ud };

	(void)key;
	return yr_map(s, v, &m, e);
}
