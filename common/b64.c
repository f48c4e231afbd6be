/*
 * b64.c - base64 (see b64.h).
 */
#include "common/b64.h"

#include <stdint.h>
#include <string.h>

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;

	return p ? (int)(p - b64_chars) : -1;
}

int b64_decode(const char *s, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0, rc = 0;

	for (; *s && !rc; s++) {
		int v;
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		v = b64_val(*s);
		if (v < 0 || pad)
			return ERR_INVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			rc = buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	if (pad > 2 || (bits >= 6))
		return ERR_INVAL;
	return rc;
}

int b64_encode(const void *data, size_t n, struct buf *out)
{
	const unsigned char *p = data;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64_chars[(v >> 18) & 63];
		q[1] = b64_chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64_chars[v & 63] : '=';
		rc = buf_add(out, q, 4);
	}
	return rc;
}
