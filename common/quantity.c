/*
 * quantity.c - Kubernetes resource quantities (see quantity.h).
 *
 * Parsing follows apimachinery's parseQuantityString and ParseQuantity step
 * by step (sign, leading zeros, numerator, '.', denominator, suffix letters,
 * exponent digits), then computes the exact value on a string of decimal
 * digits: multiply by 2^k for binary suffixes, round finer than nano away
 * from zero, cap binary values at 2^63-1.  apimachinery's int64 fast path
 * and its inf.Dec slow path give the same values, so one exact path serves
 * both; only the slow path's "no digits" error is kept apart.
 */
#include "common/quantity.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"

#define QTY_NANO (-9)
#define QTY_EXPECTED "expected a quantity such as 500m, 2, 1.5 or 4Gi"

/* The pieces of the text, as parseQuantityString returns them. */
struct qty_parts {
	bool neg;
	const char *value; /* sign and number, as written */
	size_t nvalue;
	const char *num; /* numerator without leading zeros ("0" if none) */
	size_t nnum;
	const char *denom; /* digits after '.' */
	size_t ndenom;
	const char *suffix;
	size_t nsuffix;
};

static bool qty_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t qty_digits_from(const char *s, size_t i, size_t end)
{
	while (i < end && qty_digit(s[i]))
		i++;
	return i;
}

/* Everything after the number: suffix letters, an optional sign, digits. */
static int qty_split_suffix(const char *s, size_t pos, size_t end,
			    struct qty_parts *p)
{
	size_t start = pos, i = pos;

	while (i < end && strchr("eEinumkKMGTP", s[i]))
		i++;
	if (i < end && (s[i] == '-' || s[i] == '+'))
		i++;
	if (qty_digits_from(s, i, end) < end)
		return ERR_INVAL;
	p->suffix = s + start;
	p->nsuffix = end - start;
	return 0;
}

static int qty_split(const char *s, size_t end, struct qty_parts *p)
{
	size_t pos = 0, i;

	memset(p, 0, sizeof(*p));
	p->denom = p->suffix = "";
	if (end && (s[0] == '-' || s[0] == '+'))
		p->neg = s[pos++] == '-';
	while (pos < end && s[pos] == '0')
		pos++;
	if (pos >= end) {
		p->num = p->value = "0";
		p->nnum = p->nvalue = 1;
		return 0;
	}
	i = qty_digits_from(s, pos, end);
	p->num = s + pos;
	p->nnum = i - pos;
	p->value = s;
	p->nvalue = i;
	if (p->nnum == 0) {
		p->num = "0";
		p->nnum = 1;
	}
	if (i < end && s[i] == '.') {
		pos = i + 1;
		i = qty_digits_from(s, pos, end);
		p->denom = s + pos;
		p->ndenom = i - pos;
		p->nvalue = i;
	}
	return i >= end ? 0 : qty_split_suffix(s, i, end, p);
}

/* quantitySuffixer.interpret: base 10 or 2, the exponent, the format. */
static bool qty_suffix(const char *s, size_t n, int *base, int64_t *exp,
		       enum qty_format *fmt)
{
	static const char *const dec[] = { "n", "u", "m", "", "k", "M",
					   "G", "T", "P", "E" };
	static const char *const bin[] = { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	int64_t v;

	for (int i = 0; i < 10; i++)
		if (n == strlen(dec[i]) && memcmp(s, dec[i], n) == 0) {
			*base = 10, *exp = -9 + 3 * i, *fmt = QTY_DECIMAL_SI;
			return true;
		}
	for (int i = 0; i < 6; i++)
		if (n == 2 && memcmp(s, bin[i], 2) == 0) {
			*base = 2, *exp = 10 * (i + 1), *fmt = QTY_BINARY_SI;
			return true;
		}
	if (n < 2 || (s[0] != 'e' && s[0] != 'E') ||
	    str_parse_i64(s + 1, n - 1, &v, NULL))
		return false;
	/* Go converts the parsed int64 to int32, wrapping. */
	*base = 10, *exp = (int32_t)(uint32_t)(uint64_t)v;
	*fmt = QTY_DECIMAL_EXPONENT;
	return true;
}

/* Strip leading zeros from the digits and move trailing zeros into exp. */
static void qty_normalize(struct qty *q)
{
	size_t lead = 0;

	while (lead < q->ndigits && q->digits[lead] == '0')
		lead++;
	memmove(q->digits, q->digits + lead, q->ndigits - lead);
	q->ndigits -= lead;
	while (q->ndigits && q->digits[q->ndigits - 1] == '0') {
		q->ndigits--;
		q->exp++;
	}
	if (!q->ndigits) {
		q->exp = 0;
		q->neg = false;
	}
}

static void qty_double(struct qty *q)
{
	int carry = 0;

	for (size_t i = q->ndigits; i-- > 0;) {
		int d = (q->digits[i] - '0') * 2 + carry;
		q->digits[i] = (char)('0' + d % 10);
		carry = d / 10;
	}
	if (carry) {
		memmove(q->digits + 1, q->digits, q->ndigits);
		q->digits[0] = (char)('0' + carry);
		q->ndigits++;
	}
}

/* Add one unit in the last digit. */
static void qty_increment(struct qty *q)
{
	size_t i = q->ndigits;

	while (i > 0 && q->digits[i - 1] == '9')
		q->digits[--i] = '0';
	if (i > 0) {
		q->digits[i - 1]++;
		return;
	}
	memmove(q->digits + 1, q->digits, q->ndigits);
	q->digits[0] = '1';
	q->ndigits++;
}

/* Round a value finer than nano away from zero to nano. */
static void qty_round_nano(struct qty *q)
{
	uint64_t cut;
	bool rest = false;

	if (q->exp >= QTY_NANO)
		return;
	cut = (uint64_t)(QTY_NANO - q->exp);
	if (cut >= q->ndigits) {
		for (size_t i = 0; i < q->ndigits; i++)
			rest |= q->digits[i] != '0';
		q->ndigits = rest ? 1 : 0;
		q->digits[0] = '1';
	} else {
		for (size_t i = q->ndigits - (size_t)cut; i < q->ndigits; i++)
			rest |= q->digits[i] != '0';
		q->ndigits -= (size_t)cut;
		if (rest)
			qty_increment(q);
	}
	q->exp = QTY_NANO;
}

void qty_from_scaled(int64_t v, int scale, struct qty *q)
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char tmp[24];

	memset(q, 0, sizeof(*q));
	q->neg = v < 0;
	q->ndigits = (size_t)snprintf(tmp, sizeof(tmp), "%" PRIu64, u);
	memcpy(q->digits, tmp, q->ndigits);
	q->exp = scale;
	q->format = QTY_DECIMAL_SI;
	qty_normalize(q);
}

int qty_sign(const struct qty *q)
{
	return q->ndigits == 0 ? 0 : q->neg ? -1 : 1;
}

static int qty_cmp_abs(const struct qty *a, const struct qty *b)
{
	int64_t ta = (int64_t)a->ndigits + a->exp;
	int64_t tb = (int64_t)b->ndigits + b->exp;
	size_t n = a->ndigits > b->ndigits ? a->ndigits : b->ndigits;

	if (!a->ndigits || !b->ndigits)
		return (a->ndigits != 0) - (b->ndigits != 0);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	for (size_t i = 0; i < n; i++) {
		char da = i < a->ndigits ? a->digits[i] : '0';
		char db = i < b->ndigits ? b->digits[i] : '0';
		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

int qty_cmp(const struct qty *a, const struct qty *b)
{
	int sa = qty_sign(a), sb = qty_sign(b);

	if (sa != sb)
		return sa < sb ? -1 : 1;
	return sa < 0 ? -qty_cmp_abs(a, b) : qty_cmp_abs(a, b);
}

/* The exact value of the parts with the suffix applied, then ParseQuantity's
 * rounding and binary cap. */
static void qty_build(const struct qty_parts *p, int base, int64_t exp,
		      struct qty *q)
{
	struct qty max;

	memcpy(q->digits, p->num, p->nnum);
	memcpy(q->digits + p->nnum, p->denom, p->ndenom);
	q->ndigits = p->nnum + p->ndenom;
	q->exp = -(int64_t)p->ndenom;
	q->neg = p->neg;
	if (base == 10)
		q->exp += exp;
	else
		for (int64_t i = 0; i < exp; i++)
			qty_double(q);
	qty_round_nano(q);
	qty_normalize(q);
	qty_from_scaled(INT64_MAX, 0, &max);
	if (q->format == QTY_BINARY_SI && qty_cmp_abs(q, &max) > 0) {
		memcpy(q->digits, max.digits, max.ndigits);
		q->ndigits = max.ndigits;
		q->exp = 0;
	}
	if (q->format == QTY_BINARY_SI && q->ndigits &&
	    (int64_t)q->ndigits + q->exp <= 0)
		q->format = QTY_DECIMAL_SI; /* 0 < |v| < 1 */
}

/* apimachinery's slow path (taken when the int64 fast path cannot hold the
 * value) fails when the number has no digit at all (".e-10"). */
static bool qty_slow_without_digits(const struct qty_parts *p, int base,
				    int64_t exp)
{
	int64_t precision, scale = 0;

	for (size_t i = 0; i < p->nvalue; i++)
		if (qty_digit(p->value[i]))
			return false;
	if (base == 10) {
		precision = 18 - (int64_t)(p->nnum + p->ndenom);
		scale = exp - (int64_t)p->ndenom;
	} else {
		precision = p->ndenom ? -1
				      : 14 - (int64_t)p->nnum - exp * 3 / 10;
	}
	return precision < 0 || scale < QTY_NANO;
}

int qty_parse(const char *s, struct qty *q, struct err *e)
{
	size_t n = strlen(s);
	struct qty_parts p;
	int base;
	int64_t exp;

	memset(q, 0, sizeof(*q));
	if (n == 0)
		return err_set(e, ERR_INVAL, QTY_EXPECTED ", got \"\"");
	if (n > QTY_MAX_TEXT)
		return err_set(e, ERR_LIMIT, "quantity longer than %d characters",
			       QTY_MAX_TEXT);
	if (strcmp(s, "0") == 0)
		return 0;
	if (qty_split(s, n, &p))
		return err_set(e, ERR_INVAL, QTY_EXPECTED ", got \"%s\"", s);
	if (!qty_suffix(p.suffix, p.nsuffix, &base, &exp, &q->format))
		return err_set(e, ERR_INVAL, QTY_EXPECTED ", got \"%s\" "
			       "(unknown suffix \"%.*s\")", s, (int)p.nsuffix,
			       p.suffix);
	if (qty_slow_without_digits(&p, base, exp))
		return err_set(e, ERR_INVAL, QTY_EXPECTED ", got \"%s\" "
			       "(no digits)", s);
	qty_build(&p, base, exp, q);
	return 0;
}

/* Append text to out; false when it does not fit. */
static bool qty_put(char *out, size_t n, size_t *len, const char *s,
		    size_t m)
{
	if (*len + m >= n)
		return false;
	memcpy(out + *len, s, m);
	*len += m;
	out[*len] = '\0';
	return true;
}

/* Binary SI: the integer value without factors of 1024, then Ki..Ei. */
static int qty_format_binary(const struct qty *q, char *out, size_t n)
{
	static const char *const sfx[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi",
					   "Ei" };
	uint64_t v = 0;
	int k = 0, w;

	for (size_t i = 0; i < q->ndigits; i++)
		v = v * 10 + (uint64_t)(q->digits[i] - '0');
	for (int64_t i = 0; i < q->exp; i++)
		v *= 10;
	while (v >= 1024 && v % 1024 == 0 && k < 6) {
		v /= 1024;
		k++;
	}
	w = snprintf(out, n, "%s%" PRIu64 "%s", q->neg ? "-" : "", v, sfx[k]);
	return w < 0 || (size_t)w >= n ? ERR_LIMIT : 0;
}

static void qty_decimal_suffix(enum qty_format fmt, int64_t exp,
			       char *sfx, size_t n)
{
	static const char *const si[] = { "n", "u", "m", "", "k", "M",
					  "G", "T", "P", "E" };

	if (exp == 0)
		sfx[0] = '\0';
	else if (fmt == QTY_DECIMAL_SI && exp >= -9 && exp <= 18)
		snprintf(sfx, n, "%s", si[(exp + 9) / 3]);
	else
		snprintf(sfx, n, "e%" PRId64, exp);
}

/* Decimal: the digits with the exponent lowered to a multiple of 3. */
static int qty_format_decimal(const struct qty *q, enum qty_format fmt,
			      char *out, size_t n)
{
	int64_t exp = q->exp;
	int zeros = (int)(((exp % 3) + 3) % 3);
	char sfx[32];
	size_t len = 0;

	exp -= zeros;
	qty_decimal_suffix(fmt, exp, sfx, sizeof(sfx));
	out[0] = '\0';
	if ((q->neg && !qty_put(out, n, &len, "-", 1)) ||
	    !qty_put(out, n, &len, q->digits, q->ndigits) ||
	    !qty_put(out, n, &len, "00", (size_t)zeros) ||
	    !qty_put(out, n, &len, sfx, strlen(sfx)))
		return ERR_LIMIT;
	return 0;
}

int qty_format(const struct qty *q, char *out, size_t n)
{
	struct qty k1024;
	enum qty_format fmt = q->format;

	if (n < 2)
		return ERR_LIMIT;
	if (!q->ndigits) {
		memcpy(out, "0", 2);
		return 0;
	}
	if (fmt == QTY_BINARY_SI) {
		qty_from_scaled(1024, 0, &k1024);
		if (qty_cmp_abs(q, &k1024) < 0 || q->exp < 0 ||
		    (int64_t)q->ndigits + q->exp > 19)
			fmt = QTY_DECIMAL_SI;
		else
			return qty_format_binary(q, out, n);
	}
	return qty_format_decimal(q, fmt, out, n);
}

int64_t qty_scaled_value(const struct qty *q, int scale)
{
	int64_t shift = q->exp - scale, top = (int64_t)q->ndigits + shift;
	uint64_t v = 0, lim = q->neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	bool rest = false;

	if (!q->ndigits)
		return 0;
	if (top > 19)
		return q->neg ? INT64_MIN : INT64_MAX;
	for (int64_t i = 0; i < top; i++) {
		unsigned d = 0;
		if (i < (int64_t)q->ndigits)
			d = (unsigned)(q->digits[i] - '0');
		if (v > (lim - d) / 10)
			return q->neg ? INT64_MIN : INT64_MAX;
		v = v * 10 + d;
	}
	/* normalized digits end in a non-zero one: anything cut is a rest */
	rest = top < (int64_t)q->ndigits;
	if (rest && v < lim)
		v++;
	return q->neg ? (int64_t)(0 - v) : (int64_t)v;
}
