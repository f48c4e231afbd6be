/*
 * jsonw.c - Go-compatible JSON string escaping (see jsonw.h).
 */
#include "common/jsonw.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid;
 * *cp gets the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t min = len == 4 ? 0x10000 : len == 3 ? 0x800 : 0x80;
	uint32_t c = s[0] & (0x7f >> len);

	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int jsonw_ascii(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

	switch (c) {
	case '"': return buf_add(b, "\\\"", 2);
	case '\\': return buf_add(b, "\\\\", 2);
	case '\n': return buf_add(b, "\\n", 2);
	case '\r': return buf_add(b, "\\r", 2);
	case '\t': return buf_add(b, "\\t", 2);
	}
	if (c < 0x20 || c == '<' || c == '>' || c == '&')
		return buf_add(b, u, 6);
	return buf_addc(b, (char)c);
}

int jsonw_strn(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = buf_addc(b, '"');
	size_t i = 0;

	while (i < n && !rc) {
		uint32_t cp = 0;
		size_t len, run = i;

		/* a run of characters that need no escape goes in at once */
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 &&
		       p[run] != '"' && p[run] != '\\' && p[run] != '<' &&
		       p[run] != '>' && p[run] != '&')
			run++;
		if (run > i) {
			rc = buf_add(b, p + i, run - i);
			i = run;
			continue;
		}
		if (p[i] < 0x80) {
			rc = jsonw_ascii(b, p[i++]);
			continue;
		}
		len = utf8_seq(p + i, n - i, &cp);
		if (!len) {
			rc = buf_adds(b, "\\ufffd");
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			rc = buf_adds(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
			i += len;
		} else {
			rc = buf_add(b, p + i, len);
			i += len;
		}
	}
	return rc ? rc : buf_addc(b, '"');
}

int jsonw_str(struct buf *b, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return jsonw_strn(b, s, n);
}

int jsonw_key(struct buf *b, const char *key)
{
	int rc = jsonw_str(b, key);

	return rc ? rc : buf_addc(b, ':');
}
