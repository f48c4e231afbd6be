/*
 * targets.c - load the standalone target list (see targets.h) with
 * libyaml's document API; every node keeps its position for errors.
 */
#include "targets.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../common/str.h"

#define TARGETS_MAX 100000

struct tload {
	const char *path;
	yaml_document_t *doc;
	struct err *e;
};

static int tl_fail(struct tload *t, const yaml_node_t *n, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

static int tl_fail(struct tload *t, const yaml_node_t *n, const char *fmt,
		   ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set_at(t->e, ERR_INVAL, n->start_mark.line + 1,
			  n->start_mark.column + 1, "%s", msg);
}

static const char *tl_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: NULL;
}

int targets_parse_cpu(const char *s, double *cores)
{
	size_t n = strlen(s);
	double v;

	if (n && s[n - 1] == 'm') {
		if (str_parse_double(s, n - 1, &v, NULL) || v < 0)
			return ERR_INVAL;
		*cores = v / 1000;
		return 0;
	}
	if (str_parse_double(s, n, &v, NULL) || v < 0 || v != v)
		return ERR_INVAL;
	*cores = v;
	return 0;
}

static int tl_labels(struct tload *t, yaml_node_t *m, struct target *tg)
{
	size_t k = 0;

	if (m->type != YAML_MAPPING_NODE)
		return tl_fail(t, m, "%s: expected a mapping of label names to "
			       "values", "labels");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(t->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(t->doc, p->value);
		if (!tl_scalar(kn) || !tl_scalar(vn))
			return tl_fail(t, kn, "%s: label names and values must "
				       "be strings", "labels");
		if (k == 2 * TARGET_MAX_LABELS)
			return tl_fail(t, kn, "%s: too many labels", "labels");
		tg->labels[k++] = str_dup(tl_scalar(kn));
		tg->labels[k++] = str_dup(tl_scalar(vn));
		if (!tg->labels[k - 1] || !tg->labels[k - 2])
			return err_set(t->e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Set one key of a target; seen catches duplicates. */
static int tl_key(struct tload *t, struct target *tg, yaml_node_t *kn,
		  yaml_node_t *vn, unsigned *seen)
{
	static const char *keys[] = { "namespace", "pod", "url", "deployment",
				      "job", "cpuRequest", "labels" };
	const char *k = tl_scalar(kn), *v = tl_scalar(vn);
	char **dst[] = { &tg->ns, &tg->pod, &tg->url, &tg->deployment,
			 &tg->job };
	size_t i;

	for (i = 0; k && i < 7 && strcmp(k, keys[i]) != 0; i++)
		;
	if (!k || i == 7)
		return tl_fail(t, kn, "unknown key \"%s\" (want namespace, pod, "
			       "url, deployment, job, cpuRequest or labels)",
			       k ? k : "?");
	if (*seen & (1u << i))
		return tl_fail(t, kn, "duplicate key \"%s\"", k);
	*seen |= 1u << i;
	if (i == 6)
		return tl_labels(t, vn, tg);
	if (!v || !*v)
		return tl_fail(t, vn, "%s: expected a non-empty string", k);
	if (i == 5)
		return targets_parse_cpu(v, &tg->cpu_request)
			       ? tl_fail(t, vn, "%s: expected a CPU quantity "
					 "such as 1, 0.5 or 500m", k)
			       : 0;
	*dst[i] = str_dup(v);
	return *dst[i] ? 0 : err_set(t->e, ERR_NOMEM, "out of memory");
}

static int tl_target(struct tload *t, yaml_node_t *m, struct target *tg)
{
	unsigned seen = 0;
	int rc;

	if (m->type != YAML_MAPPING_NODE)
		return tl_fail(t, m, "%s: each target must be a mapping",
			       "targets");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		rc = tl_key(t, tg, yaml_document_get_node(t->doc, p->key),
			    yaml_document_get_node(t->doc, p->value), &seen);
		if (rc)
			return rc;
	}
	if (!tg->ns || !tg->pod || !tg->url)
		return tl_fail(t, m, "%s: a target needs namespace, pod and url",
			       "targets");
	if (!str_has_prefix(tg->url, "http://") &&
	    !str_has_prefix(tg->url, "https://"))
		return tl_fail(t, m, "%s: url must start with http:// or "
			       "https://", "targets");
	return 0;
}

static int tl_unique(struct tload *t, const struct target_list *l,
		     yaml_node_t *item)
{
	const struct target *tg = &l->v[l->n];

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].ns, tg->ns) == 0 &&
		    strcmp(l->v[i].pod, tg->pod) == 0)
			return tl_fail(t, item, "duplicate target pod \"%s\"",
				       tg->pod);
	return 0;
}

static int tl_root(struct tload *t, struct target_list *l)
{
	yaml_node_t *root = yaml_document_get_root_node(t->doc), *seq = NULL;
	int rc;

	if (!root || root->type != YAML_MAPPING_NODE)
		return err_set_at(t->e, ERR_INVAL, root ? root->start_mark.line + 1 : 1,
				  1, "expected a mapping with the key \"targets\"");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(t->doc, p->key);
		if (!tl_scalar(k) || strcmp(tl_scalar(k), "targets") != 0)
			return tl_fail(t, k, "unknown key \"%s\" (want targets)",
				       tl_scalar(k) ? tl_scalar(k) : "?");
		if (seq)
			return tl_fail(t, k, "duplicate key \"%s\"", "targets");
		seq = yaml_document_get_node(t->doc, p->value);
	}
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return err_set_at(t->e, ERR_INVAL, root->start_mark.line + 1, 1,
				  "targets: expected a list of targets");
	l->v = calloc((size_t)(seq->data.sequence.items.top -
			       seq->data.sequence.items.start) + 1,
		      sizeof(*l->v));
	if (!l->v)
		return err_set(t->e, ERR_NOMEM, "out of memory");
	for (yaml_node_item_t *i = seq->data.sequence.items.start;
	     i < seq->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(t->doc, *i);
		if (l->n == TARGETS_MAX)
			return tl_fail(t, item, "more than %d targets", TARGETS_MAX);
		rc = tl_target(t, item, &l->v[l->n]);
		if (!rc)
			rc = tl_unique(t, l, item);
		l->n++; /* counted even on error, so release frees it */
		if (rc)
			return rc;
	}
	return 0;
}

int targets_load(const char *path, struct target_list *out, struct err *e)
{
	struct tload t = { path, NULL, e };
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(path, "rb");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f)
		return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = err_set_at(e, ERR_INVAL, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1, "%s",
				parser.problem ? parser.problem : "invalid YAML");
		goto out_parser;
	}
	t.doc = &doc;
	rc = yaml_document_get_root_node(&doc)
		     ? tl_root(&t, out)
		     : err_set_at(e, ERR_INVAL, 1, 1, "the file is empty");
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc)
		targets_release(out);
	return rc;
}

void targets_release(struct target_list *l)
{
	for (size_t i = 0; l->v && i < l->n; i++) {
		struct target *t = &l->v[i];
		free(t->ns);
		free(t->pod);
		free(t->url);
		free(t->deployment);
		free(t->job);
		for (size_t k = 0; t->labels[k]; k++)
			free(t->labels[k]);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
