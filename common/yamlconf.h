/*
 * yamlconf.h - YAML files bound to settings tables (common/conf.h): load a
 * document with libyaml, then apply each mapping to a struct through its
 * table.  Unknown, duplicate, missing and invalid keys are errors that
 * carry the line and column of the offending node; nested mappings and
 * lists are handed to a callback.
 */
#ifndef FH_YAMLCONF_H
#define FH_YAMLCONF_H

#include <yaml.h>

#include "common/conf.h"
#include "common/err.h"

struct ydoc {
	yaml_document_t doc;
	bool loaded;
};

/* Parse path; syntax errors carry line and column. */
int ydoc_load(struct ydoc *d, const char *path, struct err *e);
void ydoc_release(struct ydoc *d);
yaml_node_t *ydoc_root(struct ydoc *d);
yaml_node_t *ydoc_node(struct ydoc *d, int index);
/* The text of a scalar node, NULL for other nodes. */
const char *ydoc_scalar(const yaml_node_t *n);

int ydoc_fail(struct err *e, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* For keys not in the table: return ERR_NOTFOUND when the key is unknown. */
typedef int (*ydoc_key_fn)(void *ud, const char *key, yaml_node_t *value,
			   struct err *e);

/* Apply mapping node map to obj: scalar values of table keys through
 * conf_set; other keys through fn (may be NULL).  Checks duplicates and
 * the table's required keys.  what names the mapping in messages. */
int ydoc_map(struct ydoc *d, yaml_node_t *map, const char *what,
	     const struct conf_def *tab, void *obj, ydoc_key_fn fn, void *ud,
	     struct err *e);

#endif
