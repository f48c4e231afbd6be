/*
 * str.c - string and number helpers (see str.h).
 */
#include "common/str.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool str_eq_n(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int str_parse_i64(const char *s, size_t n, int64_t *out, struct err *e)
{
	uint64_t v = 0, lim = INT64_MAX;
	bool neg = false;
	size_t i = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		lim += neg;
		i = 1;
	}
	if (i == n)
		return err_set(e, ERR_INVAL, "expected an integer, got \"%.*s\"",
			       (int)n, s);
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return err_set(e, ERR_INVAL,
				       "expected an integer, got \"%.*s\"",
				       (int)n, s);
		if (v > (lim - d) / 10)
			return err_set(e, ERR_LIMIT,
				       "integer out of range: \"%.*s\"", (int)n,
				       s);
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int str_parse_double(const char *s, size_t n, double *out, struct err *e)
{
	char tmp[64], *end;

	if (str_eq_n(s, n, "NaN")) {
		*out = NAN;
		return 0;
	}
	if (str_eq_n(s, n, "+Inf") || str_eq_n(s, n, "Inf")) {
		*out = INFINITY;
		return 0;
	}
	if (str_eq_n(s, n, "-Inf")) {
		*out = -INFINITY;
		return 0;
	}
	if (n == 0 || n >= sizeof(tmp) || memchr(s, 0, n))
		goto bad;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	/* strtod also takes "nan", "infinity", hex and leading blanks;
	 * the text format does not, so check the first character. */
	if (!(tmp[0] == '-' || tmp[0] == '+' || tmp[0] == '.' ||
	      (tmp[0] >= '0' && tmp[0] <= '9')))
		goto bad;
	errno = 0;
	*out = strtod(tmp, &end);
	if (end != tmp + n || strpbrk(tmp, "xXnNiI"))
		goto bad;
	return 0;
bad:
	return err_set(e, ERR_INVAL, "expected a number, got \"%.*s\"",
		       (int)(n < 40 ? n : 40), s);
}

static int64_t duration_unit(const char *u, size_t n)
{
	static const struct { const char *name; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60LL * 1000000000 }, { "h", 3600LL * 1000000000 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (str_eq_n(u, n, units[i].name))
			return units[i].ns;
	return 0;
}

/* One "<number><unit>" group of a duration; advances *p. */
static int duration_group(const char **p, double *total, const char *s,
			  struct err *e)
{
	const char *q = *p, *num = q, *unit;
	int64_t mult;
	char *end;
	double v;

	while ((*q >= '0' && *q <= '9') || *q == '.')
		q++;
	if (q == num)
		return err_set(e, ERR_INVAL,
			       "invalid duration \"%s\": expected a number", s);
	unit = q;
	while (*q && !((*q >= '0' && *q <= '9') || *q == '.'))
		q++;
	mult = duration_unit(unit, (size_t)(q - unit));
	if (!mult)
		return err_set(e, ERR_INVAL,
			       "invalid duration \"%s\": unit must be one of "
			       "ns, us, ms, s, m, h",
			       s);
	v = strtod(num, &end);
	if (end != unit)
		return err_set(e, ERR_INVAL, "invalid duration \"%s\"", s);
	*total += v * (double)mult;
	*p = q;
	return 0;
}

int str_parse_duration(const char *s, int64_t *ns, struct err *e)
{
	const char *p = s;
	double total = 0;
	bool neg = false;
	int rc;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return err_set(e, ERR_INVAL, "invalid duration \"%s\"", s);
	while (*p) {
		rc = duration_group(&p, &total, s, e);
		if (rc)
			return rc;
	}
	if (total > 9.2e18)
		return err_set(e, ERR_LIMIT, "duration \"%s\" is too long", s);
	*ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

size_t str_lcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t m = n < size - 1 ? n : size - 1;
		memcpy(dst, src, m);
		dst[m] = '\0';
	}
	return n;
}

char *str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}
