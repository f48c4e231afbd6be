/*
 * yamlconf.c - YAML mappings through settings tables (see yamlconf.h).
 */
#include "common/yamlconf.h"

#include "common/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YDOC_MAX_KEYS 64

int ydoc_fail(struct err *e, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set_at(e, ERR_INVAL, n ? n->start_mark.line + 1 : 1,
			  n ? n->start_mark.column + 1 : 1, "%s", msg);
}

int ydoc_load(struct ydoc *d, const char *path, struct err *e)
{
	yaml_parser_t p;
	FILE *f = fopen(path, "rb");
	int rc = 0;

	d->loaded = false;
	if (!f)
		return err_set(e, ERR_IO, "%s", strerror(errno));
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &d->doc))
		rc = err_set_at(e, ERR_INVAL, p.problem_mark.line + 1,
				p.problem_mark.column + 1, "%s",
				p.problem ? p.problem : "invalid YAML");
	else
		d->loaded = true;
	if (!rc && !yaml_document_get_root_node(&d->doc))
		rc = err_set_at(e, ERR_INVAL, 1, 1, "the file is empty");
	yaml_parser_delete(&p);
	fclose(f);
	if (rc)
		ydoc_release(d);
	return rc;
}

void ydoc_release(struct ydoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = false;
}

yaml_node_t *ydoc_root(struct ydoc *d)
{
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *ydoc_node(struct ydoc *d, int index)
{
	return yaml_document_get_node(&d->doc, index);
}

const char *ydoc_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value : NULL;
}

/* A table key: the value must be a scalar, parsed by the table. */
static int ydoc_table_key(const struct conf_def *tab, void *obj,
			  const char *key, yaml_node_t *v, unsigned char *seen,
			  struct err *e)
{
	int rc;

	if (!ydoc_scalar(v))
		return ydoc_fail(e, v, "%s: expected a single value", key);
	rc = conf_set(tab, obj, key, ydoc_scalar(v), seen, e);
	if (rc && e) { /* the message is set; add where */
		e->line = v->start_mark.line + 1;
		e->col = v->start_mark.column + 1;
	}
	return rc;
}

static bool ydoc_dup(const char **keys, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i], k) == 0)
			return true;
	return false;
}

int ydoc_map(struct ydoc *d, yaml_node_t *map, const char *what,
	     const struct conf_def *tab, void *obj, ydoc_key_fn fn, void *ud,
	     struct err *e)
{
	unsigned char seen[YDOC_MAX_KEYS] = { 0 };
	const char *keys[YDOC_MAX_KEYS];
	size_t nkeys = 0;
	int rc = 0;

	if (!map || map->type != YAML_MAPPING_NODE)
		return ydoc_fail(e, map, "%s: expected a mapping", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top && !rc; p++) {
		yaml_node_t *k = ydoc_node(d, p->key), *v = ydoc_node(d, p->value);
		const char *key = ydoc_scalar(k);

		if (!key)
			return ydoc_fail(e, k, "%s: keys must be strings", what);
		if (ydoc_dup(keys, nkeys, key))
			return ydoc_fail(e, k, "%s: duplicate key \"%s\"", what, key);
		if (nkeys == YDOC_MAX_KEYS)
			return ydoc_fail(e, k, "%s: too many keys", what);
		keys[nkeys++] = key;
		if (tab && conf_find(tab, key))
			rc = ydoc_table_key(tab, obj, key, v, seen, e);
		else if (!fn || (rc = fn(ud, key, v, e)) == ERR_NOTFOUND)
			return ydoc_fail(e, k, "%s: unknown key \"%s\"", what, key);
	}
	if (!rc && tab && conf_check_required(tab, seen, e)) {
		char msg[ERR_MSG_MAX];
		str_lcpy(msg, e ? e->msg : "", sizeof(msg));
		return ydoc_fail(e, map, "%s: %s", what, msg);
	}
	return rc;
}
