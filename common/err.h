/*
 * err.h - error codes and the error struct that carries messages upward.
 *
 * Functions that can fail return 0 or a negative ERR_* code and, when the
 * caller passed a struct err, fill it with a human message (and, for parsers,
 * the line and column).  Only main() prints errors and decides to exit, as in
 * git's `return error(...)` idiom:
 *
 *     if (n > max)
 *             return err_set(e, ERR_LIMIT, "too many labels (max %zu)", max);
 *
 * No allocation: struct err is a fixed-size value the caller owns.
 */
#ifndef FH_ERR_H
#define FH_ERR_H

#include <stddef.h>

enum err_code {
	ERR_OK = 0,
	ERR_INVAL = -1,    /* malformed input */
	ERR_LIMIT = -2,    /* input exceeds a configured limit */
	ERR_NOMEM = -3,    /* allocation failed */
	ERR_IO = -4,       /* read/write/system call failed */
	ERR_NOTFOUND = -5, /* no such thing */
	ERR_EXISTS = -6,   /* duplicate */
	ERR_STATE = -7,    /* call not valid in this state */
};

#define ERR_MSG_MAX 512

struct err {
	int code;           /* last ERR_* set, ERR_OK when clear */
	unsigned long line; /* 1-based input line, 0 when not applicable */
	unsigned long col;  /* 1-based input column, 0 when not applicable */
	char msg[ERR_MSG_MAX];
};

/* Reset to "no error".  Accepts NULL. */
void err_clear(struct err *e);

/* Record code and message; returns code so it can be returned directly.
 * e may be NULL (the message is dropped, the code still returned). */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with the input position where the problem is. */
int err_set_at(struct err *e, int code, unsigned long line, unsigned long col,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prepend context ("reading foo.yaml: ") to an existing message.
 * Returns e->code (or ERR_OK for NULL). */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Short fixed name for a code: "invalid input", "limit exceeded", ... */
const char *err_code_name(int code);

#endif
