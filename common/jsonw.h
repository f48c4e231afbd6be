/*
 * jsonw.h - writing JSON text byte-compatible with Go's encoding/json, which
 * is what Kubernetes clients and tests compare against: strings escape '"',
 * '\\', control characters (\n \r \t, others as \u00XX), the HTML-sensitive
 * '<' '>' '&' as \u003c \u003e \u0026, U+2028 and U+2029, and replace
 * invalid UTF-8 with U+FFFD.
 */
#ifndef FH_JSONW_H
#define FH_JSONW_H

#include <stddef.h>

#include "common/buf.h"

/* "..." with escapes. */
int jsonw_str(struct buf *b, const char *s);
int jsonw_strn(struct buf *b, const char *s, size_t n);

/* "key": */
int jsonw_key(struct buf *b, const char *key);

#endif
