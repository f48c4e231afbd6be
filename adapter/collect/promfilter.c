/*
 * promfilter.c - the family filter of the Prometheus parser: an
 * open-addressing hash set of family names with the caller's ids, and the
 * number parser and character table the parser shares.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/collect/promparse_int.h"
#include "common/hash.h"

struct pp_fent {
	char *name; /* NULL: empty slot */
	size_t len;
	uint32_t hash;
	int id;
};

#define PP_MAX_PATTERNS 16

struct pp_pattern {
	char *prefix;
	char *suffix;
	int id;
};

struct pp_filter {
	struct pp_fent *slot;
	size_t cap; /* power of two */
	size_t n;
	struct pp_pattern pat[PP_MAX_PATTERNS];
	size_t npat;
};

struct pp_filter *pp_filter_new(void)
{
	struct pp_filter *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cap = 64;
	f->slot = calloc(f->cap, sizeof(*f->slot));
	if (!f->slot) {
		free(f);
		return NULL;
	}
	return f;
}

void pp_filter_free(struct pp_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->cap; i++)
		free(f->slot[i].name);
	for (size_t i = 0; i < f->npat; i++) {
		free(f->pat[i].prefix);
		free(f->pat[i].suffix);
	}
	free(f->slot);
	free(f);
}

static struct pp_fent *pp_filter_slot(const struct pp_filter *f,
				      const char *name, size_t len,
				      uint32_t h)
{
	size_t i = h & (f->cap - 1);

	for (;;) {
		struct pp_fent *s = &f->slot[i];
		if (!s->name || (s->hash == h && s->len == len &&
				 memcmp(s->name, name, len) == 0))
			return s;
		i = (i + 1) & (f->cap - 1);
	}
}

static int pp_filter_grow(struct pp_filter *f)
{
	struct pp_filter big;
	struct pp_fent *slot = calloc(f->cap * 2, sizeof(*slot));

	if (!slot)
		return ERR_NOMEM;
	big.slot = slot;
	big.cap = f->cap * 2;
	for (size_t i = 0; i < f->cap; i++) {
		struct pp_fent *s = &f->slot[i];
		if (s->name)
			*pp_filter_slot(&big, s->name, s->len, s->hash) = *s;
	}
	free(f->slot);
	f->slot = slot;
	f->cap = big.cap;
	return 0;
}

int pp_filter_add(struct pp_filter *f, const char *name, int id)
{
	size_t len = strlen(name);
	uint32_t h = hash_fnv1a(name, len);
	struct pp_fent *s;

	if (id < 0)
		return ERR_INVAL;
	if ((f->n + 1) * 2 > f->cap && pp_filter_grow(f))
		return ERR_NOMEM;
	s = pp_filter_slot(f, name, len, h);
	if (s->name)
		return ERR_EXISTS;
	s->name = strdup(name);
	if (!s->name)
		return ERR_NOMEM;
	s->len = len;
	s->hash = h;
	s->id = id;
	f->n++;
	return 0;
}

int pp_filter_add_pattern(struct pp_filter *f, const char *prefix,
			  const char *suffix, int id)
{
	struct pp_pattern *pt;

	if (id < 0)
		return ERR_INVAL;
	if (f->npat == PP_MAX_PATTERNS)
		return ERR_LIMIT;
	pt = &f->pat[f->npat];
	pt->prefix = strdup(prefix);
	pt->suffix = strdup(suffix);
	if (!pt->prefix || !pt->suffix) {
		free(pt->prefix);
		free(pt->suffix);
		return ERR_NOMEM;
	}
	pt->id = id;
	f->npat++;
	return 0;
}

static bool pp_pattern_match(const struct pp_pattern *pt, const char *name,
			     size_t len)
{
	size_t pl = strlen(pt->prefix), sl = strlen(pt->suffix);

	return len >= pl + sl && memcmp(name, pt->prefix, pl) == 0 &&
	       memcmp(name + len - sl, pt->suffix, sl) == 0;
}

int pp_filter_lookup(const struct pp_filter *f, const char *name, size_t len)
{
	const struct pp_fent *s = pp_filter_slot(f, name, len,
						 hash_fnv1a(name, len));

	if (s->name)
		return s->id;
	for (size_t i = 0; i < f->npat; i++)
		if (pp_pattern_match(&f->pat[i], name, len))
			return f->pat[i].id;
	return -1;
}

size_t pp_filter_count(const struct pp_filter *f)
{
	return f->n;
}

#define N0 (PP_C_NAME0 | PP_C_NAME | PP_C_LNAME0 | PP_C_LNAME)
#define D (PP_C_NAME | PP_C_LNAME)
#define CO (PP_C_NAME0 | PP_C_NAME)
#define B PP_C_BLANK
const unsigned char pp_cls[256] = {
	['\t'] = B, [' '] = B, [':'] = CO, ['_'] = N0,
	['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D,
	['5'] = D, ['6'] = D, ['7'] = D, ['8'] = D, ['9'] = D,
	['a'] = N0, ['b'] = N0, ['c'] = N0, ['d'] = N0, ['e'] = N0,
	['f'] = N0, ['g'] = N0, ['h'] = N0, ['i'] = N0, ['j'] = N0,
	['k'] = N0, ['l'] = N0, ['m'] = N0, ['n'] = N0, ['o'] = N0,
	['p'] = N0, ['q'] = N0, ['r'] = N0, ['s'] = N0, ['t'] = N0,
	['u'] = N0, ['v'] = N0, ['w'] = N0, ['x'] = N0, ['y'] = N0,
	['z'] = N0,
	['A'] = N0, ['B'] = N0, ['C'] = N0, ['D'] = N0, ['E'] = N0,
	['F'] = N0, ['G'] = N0, ['H'] = N0, ['I'] = N0, ['J'] = N0,
	['K'] = N0, ['L'] = N0, ['M'] = N0, ['N'] = N0, ['O'] = N0,
	['P'] = N0, ['Q'] = N0, ['R'] = N0, ['S'] = N0, ['T'] = N0,
	['U'] = N0, ['V'] = N0, ['W'] = N0, ['X'] = N0, ['Y'] = N0,
	['Z'] = N0,
};
#undef N0
#undef D
#undef CO
#undef B

static bool pp_ieq(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n && word[i]; i++)
		if ((s[i] | 0x20) != word[i])
			return false;
	return i == n && !word[i];
}

/* 10^0 .. 10^22 are exact doubles. */
static const double pp_pow10[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

struct pp_dec {
	uint64_t mant; /* first 19 significant digits */
	int exp10;     /* value = mant * 10^exp10, when !inexact */
	int digits;    /* significant digits in mant */
	bool inexact;  /* more than 19 significant digits */
	bool any;      /* at least one digit */
};

static void pp_dec_digit(struct pp_dec *d, unsigned v, bool frac)
{
	d->any = true;
	if (d->mant == 0 && v == 0) {
		d->exp10 -= frac;
		return;
	}
	if (d->digits < 19) {
		d->mant = d->mant * 10 + v;
		d->digits++;
		d->exp10 -= frac;
	} else {
		d->inexact = true;
		d->exp10 += !frac;
	}
}

/* Digits, '.', digits, then optional exponent; returns the end. */
static const char *pp_dec_scan(struct pp_dec *d, const char *p,
			       const char *end)
{
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		pp_dec_digit(d, (unsigned)(*p - '0'), false);
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			pp_dec_digit(d, (unsigned)(*p - '0'), true);
	if (d->any && p < end && (*p == 'e' || *p == 'E')) {
		const char *q = p + 1;
		bool eneg = false;
		long ev = 0;

		if (q < end && (*q == '+' || *q == '-'))
			eneg = *q++ == '-';
		if (q == end || *q < '0' || *q > '9')
			return p; /* not an exponent: caller sees junk */
		for (; q < end && *q >= '0' && *q <= '9'; q++)
			if (ev < 100000)
				ev = ev * 10 + (*q - '0');
		d->exp10 += (int)(eneg ? -ev : ev);
		p = q;
	}
	return p;
}

static int pp_slow_double(const char *s, size_t n, double *out)
{
	char small[128];
	char *tmp = n < sizeof(small) ? small : malloc(n + 1), *end;
	int rc;

	if (!tmp)
		return ERR_NOMEM;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &end);
	rc = end == tmp + n ? 0 : ERR_INVAL;
	if (tmp != small)
		free(tmp);
	return rc;
}

int pp_parse_double(const char *s, size_t n, double *out)
{
	const char *p = s, *end = s + n;
	struct pp_dec d = { 0, 0, 0, false, false };
	bool neg = false;
	double v;

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p < end && !((*p >= '0' && *p <= '9') || *p == '.')) {
		size_t m = (size_t)(end - p);
		if (pp_ieq(p, m, "inf") || pp_ieq(p, m, "infinity"))
			*out = neg ? -INFINITY : INFINITY;
		else if (pp_ieq(p, m, "nan"))
			*out = NAN;
		else
			return ERR_INVAL;
		return 0;
	}
	if (pp_dec_scan(&d, p, end) != end || !d.any)
		return ERR_INVAL;
	if (d.inexact || d.mant > (1ULL << 53) || d.exp10 < -22 ||
	    d.exp10 > 22)
		return pp_slow_double(s, n, out);
	v = (double)d.mant;
	v = d.exp10 < 0 ? v / pp_pow10[-d.exp10] : v * pp_pow10[d.exp10];
	*out = neg ? -v : v;
	return 0;
}
