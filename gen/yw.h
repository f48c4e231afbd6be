/*
 * yw.h - the YAML writer of flinkhpa-gen: lines appended to a struct buf,
 * where the first failing append sticks in struct yw and every later call
 * does nothing, so writers stay straight-line code and check w.rc once at
 * the end.  Scalars are plain when YAML reads them back as the same
 * string, else double-quoted with JSON escapes.
 */
#ifndef FH_YW_H
#define FH_YW_H

#include "common/buf.h"
#include "common/quantity.h"

struct yw {
	struct buf *b;
	int rc;
};

/* One line: ind spaces, then the formatted text. */
void yw_line(struct yw *w, int ind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* key: scalar */
void yw_kv(struct yw *w, int ind, const char *key, const char *val);
/* - scalar */
void yw_item(struct yw *w, int ind, const char *val);
/* key: | and text's lines below it, indented by two more. */
void yw_block(struct yw *w, int ind, const char *key, const char *text);
/* key: the quantity in Kubernetes' canonical form */
void yw_qty(struct yw *w, int ind, const char *key, const struct qty *q);

/* Append s as a YAML scalar (plain or double-quoted). */
int yw_scalar(struct buf *b, const char *s);

#endif
