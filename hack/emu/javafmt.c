/*
 * javafmt.c - Java's Double.toString (see javafmt.h).
 *
 * The shortest digits are found with the C library's exactly rounded
 * conversions: snprintf gives the value's 17 significant digits, which are
 * rounded to m digits (falling back to snprintf at m digits when the cut is
 * an exact tie, where rounding twice could differ), and strtod tells whether
 * an m-digit decimal reads back as the value.  Whether some m-digit decimal
 * reads back only gets truer as m grows, so m is found by bisection; at each
 * m the candidates are the nearest m-digit decimal and its neighbour on the
 * other side of the value (the interval of decimals that read back is not
 * centred on the value at powers of two).  Whole numbers below 2^53, the
 * usual counters and byte counts, take a direct path.
 */
#include "hack/emu/javafmt.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* d[0].d[1]..d[n-1] x 10^e, digits as characters. */
struct dec {
	char d[24];
	int n;
	int e;
};

/* Parse snprintf's "%.*e" output ("d.ddde-XX") into *out. */
static void dec_from_sci(const char *s, struct dec *out)
{
	out->n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			out->d[out->n++] = *s;
	out->e = *s ? atoi(s + 1) : 0;
}

static void dec_exact(double a, int m, struct dec *out)
{
	char s[48];

	snprintf(s, sizeof s, "%.*e", m - 1, a);
	dec_from_sci(s, out);
}

static double dec_value(const struct dec *x)
{
	char s[48];

	snprintf(s, sizeof s, "%c.%.*se%d", x->d[0], x->n - 1, x->d + 1, x->e);
	return strtod(s, NULL);
}

/* One unit in the last of x's n digits up (dir > 0) or down. */
static void dec_step(struct dec *x, int dir)
{
	int i = x->n - 1;

	if (dir > 0) {
		while (i >= 0 && x->d[i] == '9')
			x->d[i--] = '0';
		if (i >= 0) {
			x->d[i]++;
		} else { /* 9.99 -> 10.0 = 1.00 x 10^(e+1) */
			x->d[0] = '1';
			x->e++;
		}
		return;
	}
	while (i >= 0 && x->d[i] == '0')
		x->d[i--] = '9';
	x->d[i]--; /* i >= 0: x is not zero */
	if (x->d[0] == '0') { /* 1.00 -> 0.99: the grid below is 9.99 x 10^(e-1) */
		memset(x->d, '9', (size_t)x->n);
		x->e--;
	}
}

static bool is_zeros(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '0')
			return false;
	return true;
}

/* The m-digit decimal nearest to a, from its 17 digits d17. */
static void dec_round(const struct dec *d17, double a, int m, struct dec *out)
{
	const char *tail = d17->d + m;
	size_t rest = (size_t)(d17->n - m);

	*out = *d17;
	if (m >= d17->n)
		return;
	if (tail[0] == '5' && is_zeros(tail + 1, rest - 1)) {
		dec_exact(a, m, out); /* a tie in the 17 digits: ask exactly */
		return;
	}
	out->n = m;
	if (tail[0] >= '5')
		dec_step(out, 1);
}

/* An m-digit decimal that reads back as a, the closest one; false if none. */
static bool dec_shortest_at(const struct dec *d17, double a, int m,
			    struct dec *out)
{
	double v;

	dec_round(d17, a, m, out);
	v = dec_value(out);
	if (v == a)
		return true;
	dec_step(out, v < a ? 1 : -1);
	return dec_value(out) == a;
}

static void dec_shortest(double a, struct dec *best)
{
	struct dec d17, c;
	int lo = 1, hi = 17;

	dec_exact(a, 17, &d17);
	*best = d17;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (dec_shortest_at(&d17, a, mid, &c)) {
			hi = mid;
			*best = c;
		} else {
			lo = mid + 1;
		}
	}
	/* Java: when one digit suffices, a closer two-digit decimal wins. */
	if (hi == 1 && dec_shortest_at(&d17, a, 2, &c))
		*best = c;
}

/* Whole numbers below 2^53 are their own shortest digits. */
static bool dec_whole(double a, struct dec *out)
{
	char s[24];
	uint64_t u;
	int n;

	if (a >= 9007199254740992.0 || a != floor(a))
		return false;
	u = (uint64_t)a;
	n = snprintf(s, sizeof s, "%llu", (unsigned long long)u);
	memcpy(out->d, s, (size_t)n);
	out->n = n;
	out->e = n - 1;
	return true;
}

static size_t put_plain(char *o, const struct dec *x)
{
	size_t k = 0;
	int i;

	if (x->e < 0) {
		o[k++] = '0';
		o[k++] = '.';
		for (i = -1; i > x->e; i--)
			o[k++] = '0';
		memcpy(o + k, x->d, (size_t)x->n);
		return k + (size_t)x->n;
	}
	for (i = 0; i <= x->e; i++)
		o[k++] = i < x->n ? x->d[i] : '0';
	o[k++] = '.';
	if (x->n <= x->e + 1)
		o[k++] = '0';
	for (; i < x->n; i++)
		o[k++] = x->d[i];
	return k;
}

static size_t put_sci(char *o, const struct dec *x)
{
	size_t k = 0;

	o[k++] = x->d[0];
	o[k++] = '.';
	if (x->n == 1)
		o[k++] = '0';
	memcpy(o + k, x->d + 1, (size_t)(x->n - 1));
	k += (size_t)(x->n - 1);
	return k + (size_t)sprintf(o + k, "E%d", x->e);
}

size_t jfmt_double(char out[JFMT_MAX], double v)
{
	struct dec x;
	double a = fabs(v);
	size_t k = 0;

	if (isnan(v))
		return (size_t)sprintf(out, "NaN");
	if (isinf(v))
		return (size_t)sprintf(out, v > 0 ? "+Inf" : "-Inf");
	if (signbit(v))
		out[k++] = '-';
	if (a == 0) {
		memcpy(out + k, "0.0", 4);
		return k + 3;
	}
	if (!dec_whole(a, &x))
		dec_shortest(a, &x);
	while (x.n > 1 && x.d[x.n - 1] == '0')
		x.n--;
	if (a >= 1e-3 && a < 1e7)
		k += put_plain(out + k, &x);
	else
		k += put_sci(out + k, &x);
	out[k] = '\0';
	return k;
}
