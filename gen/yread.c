/*
 * yread.c - YAML input through settings tables, with positions and dotted
 * paths in every message (see yread.h).
 */
#include "gen/yread.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

#define YR_MAX_KEYS 64

void yr_stream_init(struct yr_stream *s, const char *text, size_t n)
{
	memset(s, 0, sizeof(*s));
	yaml_parser_initialize(&s->parser);
	yaml_parser_set_input_string(&s->parser, (const unsigned char *)text, n);
}

static void yr_drop_doc(struct yr_stream *s)
{
	if (s->have_doc)
		yaml_document_delete(&s->doc);
	s->have_doc = false;
}

void yr_stream_release(struct yr_stream *s)
{
	yr_drop_doc(s);
	yaml_parser_delete(&s->parser);
}

int yr_stream_next(struct yr_stream *s, yaml_node_t **root, struct err *e)
{
	*root = NULL;
	while (!s->done) {
		yr_drop_doc(s);
		if (!yaml_parser_load(&s->parser, &s->doc)) {
			s->done = true;
			return err_set_at(e, ERR_INVAL,
					  s->parser.problem_mark.line + 1,
					  s->parser.problem_mark.column + 1,
					  "invalid YAML: %s",
					  s->parser.problem ? s->parser.problem
							    : "syntax error");
		}
		s->have_doc = true;
		s->budget = YR_BUDGET;
		*root = yaml_document_get_root_node(&s->doc);
		if (*root)
			return 0;
		s->done = true; /* an empty document ends the stream */
	}
	return 0;
}

yaml_node_t *yr_node(struct yr_stream *s, int index)
{
	return yaml_document_get_node(&s->doc, index);
}

struct yr_pos yr_pos_of(const yaml_node_t *n)
{
	struct yr_pos p = { 0, 0 };

	if (n) {
		p.line = n->start_mark.line + 1;
		p.col = n->start_mark.column + 1;
	}
	return p;
}

const char *yr_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value : NULL;
}

bool yr_is_null(const yaml_node_t *n)
{
	const char *v = yr_scalar(n);

	if (!v || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

const char *yr_kind(const yaml_node_t *n)
{
	if (!n)
		return "nothing";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (yr_is_null(n))
		return "null";
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return "a quoted string";
	return "a value";
}

static int yr_vfail(struct err *e, struct yr_pos at, const char *path,
		    const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int yr_vfail(struct err *e, struct yr_pos at, const char *path,
		    const char *fmt, va_list ap)
{
	char msg[ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (path && *path)
		return err_set_at(e, ERR_INVAL, at.line, at.col, "%s: %s", path,
				  msg);
	return err_set_at(e, ERR_INVAL, at.line, at.col, "%s", msg);
}

int yr_fail(struct err *e, const yaml_node_t *n, const char *path,
	    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = yr_vfail(e, yr_pos_of(n), path, fmt, ap);
	va_end(ap);
	return rc;
}

int yr_fail_at(struct err *e, struct yr_pos at, const char *path,
	       const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = yr_vfail(e, at, path, fmt, ap);
	va_end(ap);
	return rc;
}

/* Every node visited costs one; aliases cannot make the walk unbounded. */
static int yr_spend(struct yr_stream *s, const yaml_node_t *n, struct err *e)
{
	if (s->budget == 0)
		return yr_fail(e, n, NULL, "the document is too large (more "
			       "than %d nodes, counting aliases)", YR_BUDGET);
	s->budget--;
	return 0;
}

static void yr_join(char *out, const char *path, const char *key)
{
	if (path && *path)
		snprintf(out, YR_PATH_MAX, "%s.%s", path, key);
	else
		snprintf(out, YR_PATH_MAX, "%s", key);
}

static const char *yr_type_word(enum conf_type t)
{
	switch (t) {
	case CONF_BOOL:
		return "true or false";
	case CONF_INT:
		return "a whole number";
	case CONF_DOUBLE:
		return "a number";
	case CONF_DURATION:
		return "a duration such as 30s or 5m";
	case CONF_ENUM:
		return "one of the listed values";
	default:
		return "a string";
	}
}

/* A table key's value: one scalar, unquoted when it is a number or bool. */
static int yr_table_value(const struct yr_map *m, const struct conf_def *d,
			  const char *path, yaml_node_t *v, unsigned char *seen,
			  struct err *e)
{
	bool numeric = d->type == CONF_BOOL || d->type == CONF_INT ||
		       d->type == CONF_DOUBLE;
	int rc;

	if (!yr_scalar(v) || yr_is_null(v))
		return yr_fail(e, v, path, "expected %s, found %s",
			       yr_type_word(d->type), yr_kind(v));
	if (numeric && v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return yr_fail(e, v, path, "expected %s, found a quoted "
			       "string", yr_type_word(d->type));
	rc = conf_set(m->tab, m->obj, d->name, yr_scalar(v), seen, e);
	if (rc) {
		char msg[ERR_MSG_MAX];
		const char *t = e ? e->msg : "";
		size_t n = strlen(d->name);

		/* conf's message starts with the key; the path replaces it */
		if (!strncmp(t, d->name, n) && t[n] == ':')
			t += n + 2;
		str_lcpy(msg, t, sizeof(msg));
		return yr_fail(e, v, path, "%s", msg);
	}
	if (m->at)
		m->at[d - m->tab] = yr_pos_of(v);
	return 0;
}

static int yr_other_key(const struct yr_map *m, struct yr_stream *s,
			const char *key, const char *path, yaml_node_t *k,
			yaml_node_t *v, unsigned *given, struct err *e)
{
	for (size_t i = 0; m->keys && m->keys[i]; i++) {
		if (strcmp(m->keys[i], key))
			continue;
		*given |= 1u << i;
		return m->fn(m->ud, s, key, path, v, e);
	}
	return yr_fail(e, k, m->path, "unknown key \"%s\"", key);
}

static int yr_missing(const struct yr_map *m, yaml_node_t *n,
		      const unsigned char *seen, unsigned given, struct err *e)
{
	for (size_t i = 0; m->tab && m->tab[i].name; i++)
		if ((m->tab[i].flags & CONF_REQUIRED) && !seen[i])
			return yr_fail(e, n, m->path, "missing required key "
				       "\"%s\"", m->tab[i].name);
	for (size_t i = 0; m->keys && m->keys[i]; i++)
		if ((m->required & (1u << i)) && !(given & (1u << i)))
			return yr_fail(e, n, m->path, "missing required key "
				       "\"%s\"", m->keys[i]);
	return 0;
}

static bool yr_seen_key(yaml_node_pair_t *start, yaml_node_pair_t *p,
			struct yr_stream *s, const char *key)
{
	for (yaml_node_pair_t *q = start; q < p; q++) {
		const char *k = yr_scalar(yr_node(s, q->key));
		if (k && !strcmp(k, key))
			return true;
	}
	return false;
}

int yr_map(struct yr_stream *s, yaml_node_t *n, const struct yr_map *m,
	   struct err *e)
{
	unsigned char seen[YR_MAX_KEYS] = { 0 };
	unsigned given = 0;
	char path[YR_PATH_MAX];
	int rc;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yr_fail(e, n, m->path, "expected a mapping, found %s",
			       yr_kind(n));
	if (m->tab && (rc = conf_defaults(m->tab, m->obj, e)))
		return rc;
	yaml_node_pair_t *start = n->data.mapping.pairs.start;
	for (yaml_node_pair_t *p = start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yr_node(s, p->key), *v = yr_node(s, p->value);
		const char *key = yr_scalar(k);
		const struct conf_def *d;

		if ((rc = yr_spend(s, v, e)))
			return rc;
		if (!key || yr_is_null(k))
			return yr_fail(e, k, m->path, "keys must be strings");
		if (yr_seen_key(start, p, s, key))
			return yr_fail(e, k, m->path, "duplicate key \"%s\"",
				       key);
		yr_join(path, m->path, key);
		d = m->tab ? conf_find(m->tab, key) : NULL;
		if (d)
			rc = yr_table_value(m, d, path, v, seen, e);
		else
			rc = yr_other_key(m, s, key, path, k, v, &given, e);
		if (rc)
			return rc;
	}
	return yr_missing(m, n, seen, given, e);
}

static int yr_kv_add(struct yr_kvs *out, yaml_node_t *k, yaml_node_t *v)
{
	struct yr_kv *kv = realloc(out->v, (out->n + 1) * sizeof(*kv));

	if (!kv)
		return ERR_NOMEM;
	out->v = kv;
	kv = &out->v[out->n];
	kv->key = strdup(yr_scalar(k));
	kv->value = strdup(yr_scalar(v));
	kv->kpos = yr_pos_of(k);
	kv->vpos = yr_pos_of(v);
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		return ERR_NOMEM;
	}
	out->n++;
	return 0;
}

int yr_strmap(struct yr_stream *s, yaml_node_t *n, const char *path,
	      size_t max, struct yr_kvs *out, struct err *e)
{
	char kpath[YR_PATH_MAX];
	int rc;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yr_fail(e, n, path, "expected a mapping of names to "
			       "strings, found %s", yr_kind(n));
	yaml_node_pair_t *start = n->data.mapping.pairs.start;
	for (yaml_node_pair_t *p = start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yr_node(s, p->key), *v = yr_node(s, p->value);
		const char *key = yr_scalar(k);

		if ((rc = yr_spend(s, v, e)))
			return rc;
		if (!key || yr_is_null(k))
			return yr_fail(e, k, path, "keys must be strings");
		if (yr_seen_key(start, p, s, key))
			return yr_fail(e, k, path, "duplicate key \"%s\"", key);
		yr_join(kpath, path, key);
		if (!yr_scalar(v) || yr_is_null(v))
			return yr_fail(e, v, kpath, "expected a string, found "
				       "%s", yr_kind(v));
		if (out->n == max)
			return yr_fail(e, k, path, "too many entries (max %zu)",
				       max);
		if (yr_kv_add(out, k, v))
			return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

void yr_kvs_release(struct yr_kvs *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].key);
		free(k->v[i].value);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

int yr_seq(struct yr_stream *s, yaml_node_t *n, const char *path, size_t max,
	   yr_item_fn fn, void *ud, struct err *e)
{
	char ipath[YR_PATH_MAX];
	size_t i = 0;
	int rc;

	if (!n || n->type != YAML_SEQUENCE_NODE)
		return yr_fail(e, n, path, "expected a list, found %s",
			       yr_kind(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *item = yr_node(s, *it);

		if ((rc = yr_spend(s, item, e)))
			return rc;
		if (i == max)
			return yr_fail(e, item, path, "too many items (max %zu)",
				       max);
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if ((rc = fn(ud, s, i, ipath, item, e)))
			return rc;
	}
	return 0;
}

struct yr_pos yr_at(const struct conf_def *tab, const struct yr_pos *at,
		    const char *name)
{
	struct yr_pos none = { 0, 0 };
	const struct conf_def *d = conf_find(tab, name);

	return d && at ? at[d - tab] : none;
}
