/*
 * config.c - load the adapter's configuration file (see config.h) through
 * settings tables, with positions in every error.
 */
#include "adapter/collect/config.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "adapter/collect/catalog.h"
#include "common/yamlconf.h"

static const char *const agg_names[] = { "sum", "max", "min", "avg", NULL };

static int check_metric_name(const void *field, struct err *e)
{
	const char *s = *(char *const *)field;

	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || (*p >= 'A' && *p <= 'Z')))
			return err_set(e, ERR_INVAL, "name: \"%s\" may hold only "
				       "letters, digits and '_'", s);
	if (cat_find(s) >= 0)
		return err_set(e, ERR_INVAL, "name: \"%s\" is a catalogue "
			       "metric already", s);
	return 0;
}

static int check_family(const void *field, struct err *e)
{
	const char *s = *(char *const *)field;

	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      *p == '_' || *p == ':' || (p != s && *p >= '0' && *p <= '9')))
			return err_set(e, ERR_INVAL, "family: \"%s\" is not a "
				       "Prometheus metric name", s);
	return 0;
}

static int check_scale(const void *field, struct err *e)
{
	return *(const double *)field == 0
		       ? err_set(e, ERR_INVAL, "scale: must not be 0") : 0;
}

#define R(f) offsetof(struct config_rule, f)
static const struct conf_def rule_tab[] = {
	{ "name", CONF_STRING, R(name), 1, 200, NULL, NULL, check_metric_name,
	  "API metric name", CONF_REQUIRED },
	{ "family", CONF_STRING, R(family), 1, 400, NULL, NULL, check_family,
	  "Prometheus metric family on the TaskManager page", CONF_REQUIRED },
	{ "aggregate", CONF_ENUM, R(agg), 0, 0, "sum", agg_names, NULL,
	  "over the matching series of one pod", 0 },
	{ "jobAggregate", CONF_ENUM, R(job_agg), 0, 0, "sum", agg_names, NULL,
	  "over the pods of a job", 0 },
	{ "scale", CONF_DOUBLE, R(scale), -1e18, 1e18, "1", NULL, check_scale,
	  "factor applied to every value", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static int check_api_version(const void *field, struct err *e)
{
	return strcmp(*(char *const *)field, "flinkhpa.io/v1")
		       ? err_set(e, ERR_INVAL, "apiVersion: must be flinkhpa.io/v1")
		       : 0;
}

static int check_kind(const void *field, struct err *e)
{
	return strcmp(*(char *const *)field, "AdapterConfig")
		       ? err_set(e, ERR_INVAL, "kind: must be AdapterConfig")
		       : 0;
}

#define C(f) offsetof(struct adapter_config, f)
static const struct conf_def root_tab[] = {
	{ "apiVersion", CONF_STRING, C(api_version), 1, 100, NULL, NULL,
	  check_api_version, "flinkhpa.io/v1", CONF_REQUIRED },
	{ "kind", CONF_STRING, C(kind), 1, 100, NULL, NULL, check_kind,
	  "AdapterConfig", CONF_REQUIRED },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

struct cload {
	struct ydoc *d;
	struct adapter_config *c;
	struct config_rule *r; /* the rule being read */
};

/* match: / exclude: mappings of label name to value. */
static int cl_matchers(struct cload *cl, yaml_node_t *m, bool negate,
		       const char *what, struct err *e)
{
	struct config_rule *r = cl->r;

	if (m->type != YAML_MAPPING_NODE)
		return ydoc_fail(e, m, "%s: expected a mapping of label names "
				 "to values", what);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ydoc_node(cl->d, p->key);
		yaml_node_t *v = ydoc_node(cl->d, p->value);
		struct ex_matcher *x = &r->match[r->nmatch];

		if (!ydoc_scalar(k) || !ydoc_scalar(v))
			return ydoc_fail(e, k, "%s: label names and values "
					 "must be strings", what);
		if (r->nmatch == CONFIG_MAX_MATCHERS)
			return ydoc_fail(e, k, "%s: more than %d labels", what,
					 CONFIG_MAX_MATCHERS);
		x->label = str_dup(ydoc_scalar(k));
		x->value = str_dup(ydoc_scalar(v));
		x->negate = negate;
		r->nmatch++;
		if (!x->label || !x->value)
			return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int cl_rule_key(void *ud, const char *key, yaml_node_t *v,
		       struct err *e)
{
	if (strcmp(key, "match") == 0)
		return cl_matchers(ud, v, false, "match", e);
	if (strcmp(key, "exclude") == 0)
		return cl_matchers(ud, v, true, "exclude", e);
	return ERR_NOTFOUND;
}

static int cl_rule(struct cload *cl, yaml_node_t *n, struct err *e)
{
	struct config_rule *r = &cl->c->rule[cl->c->nrules];
	int rc;

	memset(r, 0, sizeof(*r));
	cl->r = r;
	cl->c->nrules++; /* counted now so release frees what was read */
	rc = conf_defaults(rule_tab, r, e);
	if (!rc)
		rc = ydoc_map(cl->d, n, "rules[]", rule_tab, r, cl_rule_key, cl,
			      e);
	for (size_t i = 0; !rc && i + 1 < cl->c->nrules; i++)
		if (strcmp(cl->c->rule[i].name, r->name) == 0)
			rc = ydoc_fail(e, n, "rules[]: duplicate rule name "
				       "\"%s\"", r->name);
	return rc;
}

static int cl_rules(struct cload *cl, yaml_node_t *seq, struct err *e)
{
	size_t n;
	int rc = 0;

	if (seq->type != YAML_SEQUENCE_NODE)
		return ydoc_fail(e, seq, "rules: expected a list");
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n > CONFIG_MAX_RULES)
		return ydoc_fail(e, seq, "rules: more than %d rules",
				 CONFIG_MAX_RULES);
	cl->c->rule = calloc(n + 1, sizeof(*cl->c->rule));
	if (!cl->c->rule)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (yaml_node_item_t *i = seq->data.sequence.items.start;
	     i < seq->data.sequence.items.top && !rc; i++)
		rc = cl_rule(cl, ydoc_node(cl->d, *i), e);
	return rc;
}

static int cl_root_key(void *ud, const char *key, yaml_node_t *v,
		       struct err *e)
{
	struct cload *cl = ud;

	return strcmp(key, "rules") == 0 ? cl_rules(cl, v, e) : ERR_NOTFOUND;
}

/* The ex_rule views the extractor reads. */
static int cl_views(struct adapter_config *c, struct err *e)
{
	c->rules = calloc(c->nrules + 1, sizeof(*c->rules));
	if (!c->rules)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < c->nrules; i++) {
		const struct config_rule *r = &c->rule[i];
		c->rules[i] = (struct ex_rule){ r->name, r->family, r->match,
						r->nmatch, (enum ex_agg)r->agg,
						(enum ex_agg)r->job_agg,
						r->scale };
	}
	return 0;
}

int config_load(const char *path, struct adapter_config *c, struct err *e)
{
	struct ydoc d;
	struct cload cl = { &d, c, NULL };
	int rc;

	memset(c, 0, sizeof(*c));
	rc = ydoc_load(&d, path, e);
	if (rc)
		return rc;
	rc = ydoc_map(&d, ydoc_root(&d), "config", root_tab, c, cl_root_key,
		      &cl, e);
	if (!rc)
		rc = cl_views(c, e);
	ydoc_release(&d);
	if (rc)
		config_release(c);
	return rc;
}

void config_release(struct adapter_config *c)
{
	for (size_t i = 0; i < c->nrules; i++) {
		struct config_rule *r = &c->rule[i];
		conf_release(rule_tab, r);
		for (size_t m = 0; m < r->nmatch; m++) {
			free((char *)r->match[m].label);
			free((char *)r->match[m].value);
		}
	}
	conf_release(root_tab, c);
	free(c->rule);
	free(c->rules);
	memset(c, 0, sizeof(*c));
}
