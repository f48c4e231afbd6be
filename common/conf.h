/*
 * conf.h - configuration as a table (after redis config.c and nginx).
 *
 * A program describes each setting once: name, type, bounds, default,
 * validator, help text and where it is stored (offsetof into the program's
 * own struct).  The generic code here parses text values into that struct,
 * rejects unknown and duplicate keys, fills defaults and checks required
 * keys.  The same table serves config files (the caller adds file:line to the
 * message), command-line flags and --help output.
 *
 * Storage by type: CONF_BOOL bool, CONF_INT int64_t, CONF_DOUBLE double,
 * CONF_STRING char * (heap, freed by conf_release), CONF_DURATION int64_t
 * milliseconds, CONF_ENUM int (index into choices).
 */
#ifndef FH_CONF_H
#define FH_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum conf_type {
	CONF_BOOL,
	CONF_INT,
	CONF_DOUBLE,
	CONF_STRING,
	CONF_DURATION,
	CONF_ENUM,
};

enum conf_flags {
	CONF_REQUIRED = 1 << 0, /* must be given; no default */
};

struct conf_def {
	const char *name;
	enum conf_type type;
	size_t offset; /* offsetof(struct ..., field) */
	double min;    /* INT, DOUBLE: value; DURATION: ms; STRING: length */
	double max;
	const char *def; /* default as text; NULL: none (zero value) */
	const char *const *choices; /* ENUM: NULL-terminated list */
	/* Extra check after parsing; field points at the stored value. */
	int (*check)(const void *field, struct err *e);
	const char *help;
	unsigned flags;
};

/* Number of entries; tables end with an entry whose name is NULL. */
size_t conf_count(const struct conf_def *tab);
const struct conf_def *conf_find(const struct conf_def *tab, const char *name);

/* Parse val into obj's field for key.  seen (conf_count bytes, zeroed by the
 * caller) catches duplicates: ERR_EXISTS "duplicate key".  Unknown key:
 * ERR_NOTFOUND.  Bad value: ERR_INVAL or ERR_LIMIT, message names the key
 * and what was expected. */
int conf_set(const struct conf_def *tab, void *obj, const char *key,
	     const char *val, unsigned char *seen, struct err *e);

/* Set every default; call before conf_set. */
int conf_defaults(const struct conf_def *tab, void *obj, struct err *e);

/* ERR_INVAL naming the first CONF_REQUIRED key not in seen. */
int conf_check_required(const struct conf_def *tab, const unsigned char *seen,
			struct err *e);

/* Free the strings the table owns in obj. */
void conf_release(const struct conf_def *tab, void *obj);

/* Command-line flags from the same table, Go/pflag style: "--name=value",
 * "--name value", "-name value", and "--name" alone for CONF_BOOL.  "--"
 * ends the flags.  Arguments that are not flags are collected, in order,
 * into pos (an array of argc entries the caller provides); *npos is their
 * count.  Errors: ERR_NOTFOUND unknown flag, ERR_INVAL missing or bad
 * value.  Repeating a flag is allowed (the last one wins), as with pflag. */
int conf_parse_args(const struct conf_def *tab, void *obj, int argc,
		    char **argv, char **pos, int *npos, struct err *e);

/* Append a --help listing of the table: flag, default, help text. */
struct buf;
int conf_usage(const struct conf_def *tab, struct buf *out);

/* "true"/"false" (also yes/no, on/off, 1/0, as YAML 1.1 and flags allow). */
int conf_parse_bool(const char *s, bool *out);

#endif
