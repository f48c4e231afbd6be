/*
 * buf.h - a growable byte buffer with a hard upper limit (after curl's dynbuf).
 *
 * Every buffer that grows from input is given its maximum when it is set up,
 * so no caller can forget to bound it.  The content is always followed by a
 * NUL byte (not counted in len), so b->p can be used as a C string when the
 * data has no NUL of its own.
 *
 * Ownership: buf_init/buf_release manage the heap block inside a struct the
 * caller owns; buf_detach hands the block to the caller, who frees it with
 * free().
 */
#ifndef FH_BUF_H
#define FH_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/err.h"

struct buf {
	char *p;    /* NULL until the first add; then NUL-terminated */
	size_t len; /* bytes used, excluding the terminating NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* len may never exceed this */
};

#define BUF_INIT(maxlen) { NULL, 0, 0, (maxlen) }

void buf_init(struct buf *b, size_t max);
/* Free the block and return to the state after buf_init.  Accepts NULL. */
void buf_release(struct buf *b);
/* Forget the content but keep the block for reuse. */
void buf_reset(struct buf *b);

/* Append; ERR_LIMIT when len would pass max (b unchanged), ERR_NOMEM. */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Append the whole file at path (within the buffer's limit).  ERR_IO when
 * it cannot be opened or read, ERR_LIMIT when it is larger than the limit;
 * e names the file. */
int buf_add_file(struct buf *b, const char *path, struct err *e);

/* Make room for n more bytes without adding them. */
int buf_reserve(struct buf *b, size_t n);

/* Drop bytes at the end. */
void buf_truncate(struct buf *b, size_t len);

/* Hand the block to the caller (never NULL on success: an empty buffer gives
 * a fresh "").  The buffer is reset to empty.  Returns NULL on ERR_NOMEM. */
char *buf_detach(struct buf *b, size_t *len);

/* The content as a C string ("" when nothing was added yet). */
const char *buf_str(const struct buf *b);

#endif
