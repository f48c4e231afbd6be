/*
 * targets.c - load the standalone target list (see targets.h) through the
 * YAML settings layer, with positions in every error.
 */
#include "adapter/collect/targets.h"

#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/str.h"
#include "common/yamlconf.h"

#define TARGETS_MAX 100000

int targets_parse_cpu(const char *s, double *cores)
{
	size_t n = strlen(s);
	double v;

	if (n && s[n - 1] == 'm') {
		if (str_parse_double(s, n - 1, &v, NULL) || !(v >= 0))
			return ERR_INVAL;
		*cores = v / 1000;
		return 0;
	}
	if (str_parse_double(s, n, &v, NULL) || !(v >= 0) || v > 1e6)
		return ERR_INVAL;
	*cores = v;
	return 0;
}

static int check_cpu(const void *field, struct err *e)
{
	double c;

	return targets_parse_cpu(*(char *const *)field, &c)
		       ? err_set(e, ERR_INVAL, "cpuRequest: expected a CPU "
				 "quantity such as 1, 0.5 or 500m")
		       : 0;
}

static int check_url(const void *field, struct err *e)
{
	const char *u = *(char *const *)field;

	return str_has_prefix(u, "http://") || str_has_prefix(u, "https://")
		       ? 0 : err_set(e, ERR_INVAL, "url: must start with "
				     "http:// or https://");
}

static int check_jm(const void *field, struct err *e)
{
	const char *u = *(char *const *)field;

	return str_has_prefix(u, "http://") || str_has_prefix(u, "https://")
		       ? 0 : err_set(e, ERR_INVAL, "jobManager: must start "
				     "with http:// or https://");
}

#define T(f) offsetof(struct target, f)
static const struct conf_def target_tab[] = {
	{ "namespace", CONF_STRING, T(ns), 1, 253, NULL, NULL, NULL,
	  "namespace of the pod", CONF_REQUIRED },
	{ "pod", CONF_STRING, T(pod), 1, 253, NULL, NULL, NULL,
	  "pod name", CONF_REQUIRED },
	{ "url", CONF_STRING, T(url), 8, 2048, NULL, NULL, check_url,
	  "metrics page", CONF_REQUIRED },
	{ "deployment", CONF_STRING, T(deployment), 1, 253, NULL, NULL, NULL,
	  "owning Deployment", 0 },
	{ "job", CONF_STRING, T(job), 1, 256, NULL, NULL, NULL,
	  "Flink job name", 0 },
	{ "jobManager", CONF_STRING, T(jobmanager), 8, 2048, NULL, NULL,
	  check_jm, "JobManager REST address", 0 },
	{ "cpuRequest", CONF_STRING, T(cpu_text), 1, 32, NULL, NULL, check_cpu,
	  "CPU request", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

struct tload {
	struct ydoc *d;
	struct target_list *l;
	struct target *t;
};

static int tl_labels(struct tload *tl, yaml_node_t *m, struct err *e)
{
	size_t k = 0;

	if (m->type != YAML_MAPPING_NODE)
		return ydoc_fail(e, m, "labels: expected a mapping of label "
				 "names to values");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ydoc_node(tl->d, p->key);
		yaml_node_t *vn = ydoc_node(tl->d, p->value);
		if (!ydoc_scalar(kn) || !ydoc_scalar(vn))
			return ydoc_fail(e, kn, "labels: names and values must "
					 "be strings");
		if (k == 2 * TARGET_MAX_LABELS)
			return ydoc_fail(e, kn, "labels: too many labels");
		tl->t->labels[k++] = str_dup(ydoc_scalar(kn));
		tl->t->labels[k++] = str_dup(ydoc_scalar(vn));
		if (!tl->t->labels[k - 1] || !tl->t->labels[k - 2])
			return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int tl_key(void *ud, const char *key, yaml_node_t *v, struct err *e)
{
	return strcmp(key, "labels") == 0 ? tl_labels(ud, v, e) : ERR_NOTFOUND;
}

static int tl_target(struct tload *tl, yaml_node_t *item, struct err *e)
{
	struct target *t = &tl->l->v[tl->l->n];
	int rc;

	tl->t = t;
	tl->l->n++; /* counted now so release frees what was read */
	rc = ydoc_map(tl->d, item, "targets[]", target_tab, t, tl_key, tl, e);
	if (!rc && t->cpu_text)
		targets_parse_cpu(t->cpu_text, &t->cpu_request);
	for (size_t i = 0; !rc && i + 1 < tl->l->n; i++)
		if (strcmp(tl->l->v[i].ns, t->ns) == 0 &&
		    strcmp(tl->l->v[i].pod, t->pod) == 0)
			rc = ydoc_fail(e, item, "targets[]: duplicate pod "
				       "\"%s/%s\"", t->ns, t->pod);
	return rc;
}

static int tl_list(void *ud, const char *key, yaml_node_t *seq,
		   struct err *e)
{
	struct tload *tl = ud;
	size_t n;
	int rc = 0;

	if (strcmp(key, "targets") != 0)
		return ERR_NOTFOUND;
	if (seq->type != YAML_SEQUENCE_NODE)
		return ydoc_fail(e, seq, "targets: expected a list");
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n > TARGETS_MAX)
		return ydoc_fail(e, seq, "targets: more than %d", TARGETS_MAX);
	tl->l->v = calloc(n + 1, sizeof(*tl->l->v));
	if (!tl->l->v)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (yaml_node_item_t *i = seq->data.sequence.items.start;
	     i < seq->data.sequence.items.top && !rc; i++)
		rc = tl_target(tl, ydoc_node(tl->d, *i), e);
	return rc;
}

int targets_load(const char *path, struct target_list *out, struct err *e)
{
	struct ydoc d;
	struct tload tl = { &d, out, NULL };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ydoc_load(&d, path, e);
	if (rc)
		return rc;
	rc = ydoc_map(&d, ydoc_root(&d), "file", NULL, NULL, tl_list, &tl, e);
	if (!rc && !out->v)
		rc = ydoc_fail(e, ydoc_root(&d), "file: no \"targets\" list");
	ydoc_release(&d);
	if (rc)
		targets_release(out);
	return rc;
}

void targets_release(struct target_list *l)
{
	for (size_t i = 0; l->v && i < l->n; i++) {
		struct target *t = &l->v[i];
		conf_release(target_tab, t);
		for (size_t k = 0; t->labels[k]; k++)
			free(t->labels[k]);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
