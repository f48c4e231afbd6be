/*
 * yw.c - writing YAML line by line (see yw.h).
 */
#include "gen/yw.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/jsonw.h"

void yw_line(struct yw *w, int ind, const char *fmt, ...)
{
	va_list ap;

	if (w->rc)
		return;
	if (ind && (w->rc = buf_addf(w->b, "%*s", ind, "")))
		return;
	va_start(ap, fmt);
	w->rc = buf_vaddf(w->b, fmt, ap);
	va_end(ap);
	if (!w->rc)
		w->rc = buf_addc(w->b, '\n');
}

/* key: scalar */
void yw_kv(struct yw *w, int ind, const char *key, const char *val)
{
	if (w->rc)
		return;
	if (ind)
		w->rc = buf_addf(w->b, "%*s", ind, "");
	if (!w->rc)
		w->rc = buf_addf(w->b, "%s: ", key);
	if (!w->rc)
		w->rc = yw_scalar(w->b, val);
	if (!w->rc)
		w->rc = buf_addc(w->b, '\n');
}

/* - scalar */
void yw_item(struct yw *w, int ind, const char *val)
{
	if (w->rc)
		return;
	if (ind)
		w->rc = buf_addf(w->b, "%*s", ind, "");
	if (!w->rc)
		w->rc = buf_adds(w->b, "- ");
	if (!w->rc)
		w->rc = yw_scalar(w->b, val);
	if (!w->rc)
		w->rc = buf_addc(w->b, '\n');
}

static bool plain_word(const char *s)
{
	static const char *const reserved[] = { "true", "false", "yes", "no",
		"on", "off", "y", "n", "null", "~", NULL };
	char low[8];
	size_t n = strlen(s);

	if (n < sizeof(low)) {
		for (size_t i = 0; i <= n; i++)
			low[i] = (char)tolower((unsigned char)s[i]);
		for (size_t i = 0; reserved[i]; i++)
			if (!strcmp(low, reserved[i]))
				return false;
	}
	return true;
}

/* Digits then letters only ("1000m", "4Gi"): a string to every YAML
 * reader.  Anything else starting with a digit may read as a number. */
static bool plain_quantity(const char *s)
{
	size_t d = strspn(s, "0123456789.");
	size_t l = strspn(s + d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

	return d && l && !s[d + l] && strchr("eE", s[d]) == NULL;
}

static bool plain_ok(const char *s)
{
	if (!*s)
		return false;
	if (isdigit((unsigned char)s[0]) || s[0] == '.')
		return plain_quantity(s);
	if (!isalpha((unsigned char)s[0]) && s[0] != '/')
		return false;
	for (const char *c = s; *c; c++) {
		if (isalnum((unsigned char)*c) || strchr("._/-", *c))
			continue;
		if (*c == ':' && c[1] && c[1] != ' ')
			continue;
		return false;
	}
	return plain_word(s);
}

int yw_scalar(struct buf *b, const char *s)
{
	return plain_ok(s) ? buf_adds(b, s) : jsonw_str(b, s);
}

void yw_block(struct yw *w, int ind, const char *key, const char *text)
{
	yw_line(w, ind, "%s: |", key);
	for (const char *l = text; *l && !w->rc;) {
		const char *nl = strchr(l, '\n');
		int len = nl ? (int)(nl - l) : (int)strlen(l);
		yw_line(w, ind + 2, "%.*s", len, l);
		l += len + (nl != NULL);
	}
}

void yw_qty(struct yw *w, int ind, const char *key, const struct qty *q)
{
	char text[QTY_STR_MAX];

	if (!w->rc && (w->rc = qty_format(q, text, sizeof(text))) == 0)
		yw_kv(w, ind, key, text);
}

