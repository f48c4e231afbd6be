/*
 * buf.c - bounded growable buffer (see buf.h).
 */
#include "common/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	if (!b)
		return;
	free(b->p);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

int buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return ERR_LIMIT;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->p, cap);
	if (!p)
		return ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int buf_addc(struct buf *b, char c)
{
	if (b->len + 2 <= b->cap) { /* room for it and the NUL */
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
		return 0;
	}
	return buf_add(b, &c, 1);
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	if (b->cap > b->len + 1) { /* try the free space first */
		size_t room = b->cap - b->len;
		va_copy(cp, ap);
		n = vsnprintf(b->p + b->len, room, fmt, cp);
		va_end(cp);
		if (n >= 0 && (size_t)n < room && b->len + (size_t)n <= b->max) {
			b->len += (size_t)n;
			return 0;
		}
		b->p[b->len] = '\0';
	}
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return ERR_INVAL;
	rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->p[len] = '\0';
	}
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->p;

	if (!p) {
		p = calloc(1, 1);
		if (!p)
			return NULL;
	}
	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}

const char *buf_str(const struct buf *b)
{
	return b->p ? b->p : "";
}

int buf_add_file(struct buf *b, const char *path, struct err *e)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	int rc = 0;

	if (!f)
		return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(b, chunk, n);
	if (!rc && ferror(f))
		rc = ERR_IO;
	fclose(f);
	if (rc == ERR_LIMIT)
		return err_set(e, rc, "%s: larger than %zu bytes", path, b->max);
	return rc ? err_set(e, rc, "%s: cannot read", path) : 0;
}
