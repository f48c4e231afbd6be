/*
 * yread.h - reading flinkhpa-gen's YAML input through settings tables
 * (common/conf.h), with the position and the dotted path of every value
 * in every message:
 *
 *     spec.replicas.min: 0 is out of range (1 to 2147483647)   at 12:10
 *
 * A stream holds several documents (yr_stream_next).  Mappings are applied
 * to structs by a table for their scalar keys and a callback for the rest
 * (yr_map); unknown, duplicate and missing keys, nulls, lists or mappings
 * where a single value belongs, and quoted strings where a number belongs
 * are errors that say what was expected.  Aliases may make a small file
 * describe a huge tree, so every visited node is counted against a budget.
 */
#ifndef FH_YREAD_H
#define FH_YREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "common/conf.h"
#include "common/err.h"

#define YR_PATH_MAX 256
#define YR_BUDGET 200000 /* node visits per document */

struct yr_pos {
	unsigned long line, col; /* 1-based; 0: not given */
};

struct yr_stream {
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_doc;
	bool done;
	size_t budget;
};

/* Read from text[0..n) (not copied: keep it alive). */
void yr_stream_init(struct yr_stream *s, const char *text, size_t n);
void yr_stream_release(struct yr_stream *s);
/* The next document's root, skipping empty documents; *root NULL at the
 * end.  YAML syntax errors carry line and column. */
int yr_stream_next(struct yr_stream *s, yaml_node_t **root, struct err *e);

yaml_node_t *yr_node(struct yr_stream *s, int index);
struct yr_pos yr_pos_of(const yaml_node_t *n);
/* Scalar text, NULL for other nodes. */
const char *yr_scalar(const yaml_node_t *n);
/* An unquoted ~, null or nothing. */
bool yr_is_null(const yaml_node_t *n);
/* "a mapping", "a list", "null", "a string" ... for messages. */
const char *yr_kind(const yaml_node_t *n);

/* ERR_INVAL at n's position: "PATH: message" (no path: message alone). */
int yr_fail(struct err *e, const yaml_node_t *n, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int yr_fail_at(struct err *e, struct yr_pos at, const char *path,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Called for accepted keys outside the table; path is the key's path. */
typedef int (*yr_key_fn)(void *ud, struct yr_stream *s, const char *key,
			 const char *path, yaml_node_t *value, struct err *e);

struct yr_map {
	const char *path;          /* of the mapping; "" at the root */
	const struct conf_def *tab; /* scalar keys (NULL: none) */
	void *obj;                 /* the struct tab stores into */
	struct yr_pos *at;         /* where each tab key was (NULL: unused) */
	const char *const *keys;   /* other keys, NULL-terminated, for fn */
	unsigned required;         /* bit i: keys[i] must be given */
	yr_key_fn fn;
	void *ud;
};

/* Apply mapping node n: defaults first, then every key. */
int yr_map(struct yr_stream *s, yaml_node_t *n, const struct yr_map *m,
	   struct err *e);

/* A mapping of strings to strings (labels, settings). */
struct yr_kv {
	char *key, *value;
	struct yr_pos kpos, vpos;
};
struct yr_kvs {
	struct yr_kv *v;
	size_t n;
};
int yr_strmap(struct yr_stream *s, yaml_node_t *n, const char *path,
	      size_t max, struct yr_kvs *out, struct err *e);
void yr_kvs_release(struct yr_kvs *k);

/* Each item of list node n (at most max) through fn with its index. */
typedef int (*yr_item_fn)(void *ud, struct yr_stream *s, size_t i,
			  const char *path, yaml_node_t *item, struct err *e);
int yr_seq(struct yr_stream *s, yaml_node_t *n, const char *path, size_t max,
	   yr_item_fn fn, void *ud, struct err *e);

/* Where tab's key name was in at (line 0 when not given). */
struct yr_pos yr_at(const struct conf_def *tab, const struct yr_pos *at,
		    const char *name);

#endif
