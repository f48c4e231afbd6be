/*
 * str.h - small string and number helpers shared by the daemon and the CLI.
 *
 * All parsers here are strict: the whole input must be consumed, and the
 * error says what was expected.  Inputs are (pointer, length) pairs so they
 * work on slices of a larger buffer without copying.
 */
#ifndef FH_STR_H
#define FH_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* a[0..alen) equals the C string b. */
bool str_eq_n(const char *a, size_t alen, const char *b);
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

/* Decimal integer with optional sign, nothing else. */
int str_parse_i64(const char *s, size_t n, int64_t *out, struct err *e);

/* Floating point number as strtod accepts it, the whole slice, plus the
 * Prometheus spellings NaN, +Inf, -Inf, Inf. */
int str_parse_double(const char *s, size_t n, double *out, struct err *e);

/* A Go time.Duration string as Kubernetes uses ("30s", "5m", "1h30m",
 * "1.5s", "250ms", "0"), into nanoseconds.  Negative durations are accepted
 * here (with a leading '-'); callers that forbid them check the sign. */
int str_parse_duration(const char *s, int64_t *ns, struct err *e);

/* Copy at most size-1 bytes and NUL-terminate; returns strlen(src). */
size_t str_lcpy(char *dst, const char *src, size_t size);

/* strdup that returns NULL for NULL. */
char *str_dup(const char *s);

#endif
