/*
 * javafmt.h - doubles written exactly as Java's Double.toString writes them
 * (JDK 19+, the shortest-digits specification), with the Prometheus Java
 * simpleclient's spelling of infinities.  This is how Flink's
 * PrometheusReporter prints every sample value, so the Flink emulator and
 * the page generator use it to produce byte-exact pages.
 *
 * Rules:
 * - digits: the shortest decimal that reads back as the same double; among
 *   those of that length the closest to the value (ties: even last digit);
 *   when one digit would do, up to two are allowed if closer (4.9E-324);
 * - 1e-3 <= |v| < 1e7: plain notation with at least one fraction digit
 *   ("0.0", "123.0", "0.001", "9999999.0");
 * - otherwise computerized scientific notation, one digit before the point
 *   and at least one after, capital E, no '+' ("1.0E-4", "5.5132808E7",
 *   "-9.223372036854776E18");
 * - NaN is "NaN"; infinities are "+Inf" and "-Inf" (simpleclient's
 *   doubleToGoString; Java itself would print "Infinity"); -0.0 is "-0.0".
 *
 * Needs the "C" numeric locale (a '.' decimal point), the default.
 */
#ifndef FH_JAVAFMT_H
#define FH_JAVAFMT_H

#include <stddef.h>

/* Longest output is 24 characters ("-2.2250738585072014E-308"). */
#define JFMT_MAX 32

/* Write v into out, NUL-terminated; returns the length. */
size_t jfmt_double(char out[JFMT_MAX], double v);

#endif
