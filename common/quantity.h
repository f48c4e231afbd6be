/*
 * quantity.h - Kubernetes resource quantities ("1000m", "4Gi", "1.5",
 * "12e6"), parsed and printed as k8s.io/apimachinery's resource package
 * does (ParseQuantity, Quantity.String, Cmp, ScaledValue), so that what we
 * accept is what kube-apiserver accepts and what we print is what it would
 * store.
 *
 * The value is exact: a string of significant decimal digits times a power
 * of ten, never a double.  As in apimachinery:
 *   - values finer than 1n are rounded away from zero to 1n ("0.9n" is 1n);
 *   - binary-suffixed values are capped at 2^63-1 ("9Ei"), decimal ones are
 *     not ("18446744073709551616" keeps its value);
 *   - the suffix family is remembered: "1.5Gi" prints as "1536Mi", "1.5" as
 *     "1500m", "1.2e3" as "1200", with binary values below 1024 or not whole
 *     printed in decimal SI ("0.5Ki" is "512");
 *   - decimal values beyond the "E" suffix (10^18) print in exponent form
 *     ("1000E" is "1e21").
 * One thing is not reproduced: apimachinery hands back the input text
 * unchanged when it is already "canonical enough" ("+1" stays "+1");
 * qty_format always gives the canonical form ("1").
 */
#ifndef FH_QUANTITY_H
#define FH_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum qty_format {
	QTY_DECIMAL_SI,       /* 12M, 500m, 1 */
	QTY_BINARY_SI,        /* 12Mi */
	QTY_DECIMAL_EXPONENT, /* 12e6 */
};

#define QTY_MAX_TEXT 256                /* longest text qty_parse takes */
#define QTY_DIGITS (QTY_MAX_TEXT + 32)  /* significant digits kept */
#define QTY_STR_MAX (QTY_DIGITS + 16)   /* room for qty_format's output */

struct qty {
	bool neg;
	size_t ndigits;
	char digits[QTY_DIGITS]; /* no leading or trailing zeros; 0: none */
	int64_t exp;             /* value = digits x 10^exp */
	enum qty_format format;
};

/* Parse s as kube-apiserver does; ERR_INVAL says what was expected. */
int qty_parse(const char *s, struct qty *q, struct err *e);

/* The canonical text (Quantity.String) into out, which has n bytes
 * (QTY_STR_MAX is always enough).  ERR_LIMIT when out is too small. */
int qty_format(const struct qty *q, char *out, size_t n);

/* -1, 0 or 1. */
int qty_sign(const struct qty *q);

/* Compare values (formats do not matter): -1, 0 or 1. */
int qty_cmp(const struct qty *a, const struct qty *b);

/* v x 10^scale in decimal SI (NewScaledQuantity): (1500, -3) is "1500m". */
void qty_from_scaled(int64_t v, int scale, struct qty *q);

/* The value in units of 10^scale, rounded away from zero (ScaledValue):
 * scale 0 is Value(), -3 MilliValue().  Saturates at the int64 limits. */
int64_t qty_scaled_value(const struct qty *q, int scale);

#endif
