/*
 * err.c - filling struct err (see err.h).
 */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = ERR_OK;
	e->line = 0;
	e->col = 0;
	e->msg[0] = '\0';
}

static int err_vset(struct err *e, int code, unsigned long line,
		    unsigned long col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static int err_vset(struct err *e, int code, unsigned long line,
		    unsigned long col, const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	e->line = line;
	e->col = col;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, code, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int err_set_at(struct err *e, int code, unsigned long line, unsigned long col,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, code, line, col, fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	size_t n, m;
	va_list ap;
	int w;

	if (!e)
		return ERR_OK;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	w = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = w < 0 ? 0 : (size_t)w;
	if (n >= sizeof(e->msg) - 1)
		return e->code;
	m = strnlen(old, sizeof(old) - 1);
	if (m > sizeof(e->msg) - 1 - n)
		m = sizeof(e->msg) - 1 - n;
	memcpy(e->msg + n, old, m);
	e->msg[n + m] = '\0';
	return e->code;
}

const char *err_code_name(int code)
{
	switch (code) {
	case ERR_OK: return "success";
	case ERR_INVAL: return "invalid input";
	case ERR_LIMIT: return "limit exceeded";
	case ERR_NOMEM: return "out of memory";
	case ERR_IO: return "I/O error";
	case ERR_NOTFOUND: return "not found";
	case ERR_EXISTS: return "already exists";
	case ERR_STATE: return "invalid state";
	}
	return "unknown error";
}
