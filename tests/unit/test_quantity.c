/*
 * test_quantity.c - Kubernetes quantities against apimachinery's own test
 * tables (resource/quantity_test.go: TestQuantityParse, TestQuantityString,
 * TestQuantityParseEmit, TestNewScaledSet, TestScaledValue): the same values,
 * formats, canonical strings and errors, with and without a sign.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/quantity.h"

static void expect_text(const char *in, const char *want)
{
	char out[QTY_STR_MAX];
	struct qty q;
	struct err e;

	err_clear(&e);
	if (qty_parse(in, &q, &e) != 0)
		fail_msg("%s: %s", in, e.msg);
	assert_int_equal(qty_format(&q, out, sizeof(out)), 0);
	if (strcmp(out, want) != 0)
		fail_msg("%s: got %s, want %s", in, out, want);
}

/* TestQuantityParse: input, value as mantissa x 10^exp, format. */
static const struct {
	const char *in;
	int64_t mant;
	int exp;
	enum qty_format fmt;
} parse_table[] = {
	{ "0", 0, 0, QTY_DECIMAL_SI }, { "0n", 0, 0, QTY_DECIMAL_SI },
	{ "0u", 0, 0, QTY_DECIMAL_SI }, { "0m", 0, 0, QTY_DECIMAL_SI },
	{ "0Ki", 0, 0, QTY_BINARY_SI }, { "0k", 0, 0, QTY_DECIMAL_SI },
	{ "0Mi", 0, 0, QTY_BINARY_SI }, { "0M", 0, 0, QTY_DECIMAL_SI },
	{ "0Gi", 0, 0, QTY_BINARY_SI }, { "0G", 0, 0, QTY_DECIMAL_SI },
	{ "0Ti", 0, 0, QTY_BINARY_SI }, { "0T", 0, 0, QTY_DECIMAL_SI },
	{ "1", 1, 0, QTY_DECIMAL_SI },
	{ "1Ki", 1024, 0, QTY_BINARY_SI }, { "8Ki", 8 * 1024, 0, QTY_BINARY_SI },
	{ "7Mi", 7LL << 20, 0, QTY_BINARY_SI },
	{ "6Gi", 6LL << 30, 0, QTY_BINARY_SI },
	{ "5Ti", 5LL << 40, 0, QTY_BINARY_SI },
	{ "4Pi", 4LL << 50, 0, QTY_BINARY_SI },
	{ "3Ei", 3LL << 60, 0, QTY_BINARY_SI },
	{ "10Ti", 10LL << 40, 0, QTY_BINARY_SI },
	{ "100Ti", 100LL << 40, 0, QTY_BINARY_SI },
	{ "5n", 5, -9, QTY_DECIMAL_SI }, { "4u", 4, -6, QTY_DECIMAL_SI },
	{ "3m", 3, -3, QTY_DECIMAL_SI }, { "9", 9, 0, QTY_DECIMAL_SI },
	{ "8k", 8, 3, QTY_DECIMAL_SI }, { "50k", 5, 4, QTY_DECIMAL_SI },
	{ "7M", 7, 6, QTY_DECIMAL_SI }, { "6G", 6, 9, QTY_DECIMAL_SI },
	{ "5T", 5, 12, QTY_DECIMAL_SI }, { "40T", 4, 13, QTY_DECIMAL_SI },
	{ "300T", 3, 14, QTY_DECIMAL_SI }, { "2P", 2, 15, QTY_DECIMAL_SI },
	{ "1E", 1, 18, QTY_DECIMAL_SI },
	{ "1E-3", 1, -3, QTY_DECIMAL_EXPONENT },
	{ "1e3", 1, 3, QTY_DECIMAL_EXPONENT },
	{ "1E6", 1, 6, QTY_DECIMAL_EXPONENT },
	{ "1e9", 1, 9, QTY_DECIMAL_EXPONENT },
	{ "1E12", 1, 12, QTY_DECIMAL_EXPONENT },
	{ "1e15", 1, 15, QTY_DECIMAL_EXPONENT },
	{ "1E18", 1, 18, QTY_DECIMAL_EXPONENT },
	{ "1e14", 1, 14, QTY_DECIMAL_EXPONENT },
	{ "1e13", 1, 13, QTY_DECIMAL_EXPONENT },
	{ "100.035k", 100035, 0, QTY_DECIMAL_SI },
	{ "0.001", 1, -3, QTY_DECIMAL_SI }, { "0.0005k", 5, -1, QTY_DECIMAL_SI },
	{ "0.005", 5, -3, QTY_DECIMAL_SI }, { "0.05", 5, -2, QTY_DECIMAL_SI },
	{ "0.5", 5, -1, QTY_DECIMAL_SI }, { "0.00050k", 5, -1, QTY_DECIMAL_SI },
	{ "0.00500", 5, -3, QTY_DECIMAL_SI }, { "0.05000", 5, -2, QTY_DECIMAL_SI },
	{ "0.50000", 5, -1, QTY_DECIMAL_SI },
	{ "0.5e0", 5, -1, QTY_DECIMAL_EXPONENT },
	{ "0.5e-1", 5, -2, QTY_DECIMAL_EXPONENT },
	{ "0.5e-2", 5, -3, QTY_DECIMAL_EXPONENT },
	{ "10.035M", 10035, 3, QTY_DECIMAL_SI },
	{ "1.2e3", 12, 2, QTY_DECIMAL_EXPONENT },
	{ "1.3E+6", 13, 5, QTY_DECIMAL_EXPONENT },
	{ "1.40e9", 14, 8, QTY_DECIMAL_EXPONENT },
	{ "1.53E12", 153, 10, QTY_DECIMAL_EXPONENT },
	{ "1.6e15", 16, 14, QTY_DECIMAL_EXPONENT },
	{ "1.7E18", 17, 17, QTY_DECIMAL_EXPONENT },
	{ "9.01", 901, -2, QTY_DECIMAL_SI }, { "8.1k", 81, 2, QTY_DECIMAL_SI },
	{ "7.123456M", 7123456, 0, QTY_DECIMAL_SI },
	{ "6.987654321G", 6987654321, 0, QTY_DECIMAL_SI },
	{ "5.444T", 5444, 9, QTY_DECIMAL_SI },
	{ "40.1T", 401, 11, QTY_DECIMAL_SI },
	{ "300.2T", 3002, 11, QTY_DECIMAL_SI },
	{ "2.5P", 25, 14, QTY_DECIMAL_SI }, { "1.01E", 101, 16, QTY_DECIMAL_SI },
	{ "3.001n", 4, -9, QTY_DECIMAL_SI },
	{ "1.1E-9", 2, -9, QTY_DECIMAL_EXPONENT },
	{ "0.0000000001", 1, -9, QTY_DECIMAL_SI },
	{ "0.0000000005", 1, -9, QTY_DECIMAL_SI },
	{ "0.00000000050", 1, -9, QTY_DECIMAL_SI },
	{ "0.5e-9", 1, -9, QTY_DECIMAL_EXPONENT },
	{ "0.9n", 1, -9, QTY_DECIMAL_SI },
	{ "0.00000012345", 124, -9, QTY_DECIMAL_SI },
	{ "0.00000012354", 124, -9, QTY_DECIMAL_SI },
	{ "9Ei", INT64_MAX, 0, QTY_BINARY_SI },
	{ "9223372036854775807Ki", INT64_MAX, 0, QTY_BINARY_SI },
	{ "12E", 12, 18, QTY_DECIMAL_SI },
	{ "100.035Ki", 10243584, -2, QTY_BINARY_SI },
	{ "0.5Mi", 524288, 0, QTY_BINARY_SI },
	{ "0.05Gi", 536870912, -1, QTY_BINARY_SI },
	{ "0.025Ti", 274877906944, -1, QTY_BINARY_SI },
	{ "0.000000000001Ki", 2, -9, QTY_DECIMAL_SI },
	{ ".001", 1, -3, QTY_DECIMAL_SI }, { ".0001k", 100, -3, QTY_DECIMAL_SI },
	{ "1.", 1, 0, QTY_DECIMAL_SI }, { "1.G", 1, 9, QTY_DECIMAL_SI },
};

static void check_parse(const char *in, int64_t mant, int exp,
			enum qty_format fmt, int sign)
{
	struct qty got, want;
	struct err e;

	err_clear(&e);
	if (qty_parse(in, &got, &e) != 0)
		fail_msg("%s: %s", in, e.msg);
	qty_from_scaled(sign * mant, exp, &want);
	if (qty_cmp(&got, &want) != 0)
		fail_msg("%s: wrong value", in);
	if (got.format != fmt)
		fail_msg("%s: format %d, want %d", in, got.format, fmt);
}

static void parse__apimachinery_table__same_values_and_formats(void **state)
{
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(parse_table) / sizeof(parse_table[0]); i++) {
		check_parse(parse_table[i].in, parse_table[i].mant,
			    parse_table[i].exp, parse_table[i].fmt, 1);
		snprintf(buf, sizeof(buf), "-%s", parse_table[i].in);
		check_parse(buf, parse_table[i].mant, parse_table[i].exp,
			    parse_table[i].fmt, -1);
		snprintf(buf, sizeof(buf), "+%s", parse_table[i].in);
		check_parse(buf, parse_table[i].mant, parse_table[i].exp,
			    parse_table[i].fmt, 1);
	}
}

static void parse__invalid__refused(void **state)
{
	static const char *bad[] = { "", "1.1.M", "1+1.0M", "0.1mi", "0.1am",
				     "aoeu", ".5i", "1i", "-3.01i", "-3.01e-",
				     " 1", "1 ", "1K", "e-10", ".e-10", "1e",
				     "1Ki5", "1e99999999999999999999", "--1",
				     "1.5 Gi", "0x10" };
	struct qty q;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		if (qty_parse(bad[i], &q, &e) == 0)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_true(strstr(e.msg, "quantity") != NULL);
	}
}

/* TestQuantityString: canonical text, and an alternate spelling of it. */
static void format__apimachinery_table__canonical(void **state)
{
	static const char *const t[][2] = {
		{ "1Gi", "1024Mi" }, { "300Mi", "307200Ki" }, { "6Ki", NULL },
		{ "1001Gi", "1025024Mi" }, { "1Ti", "1024Gi" },
		{ "5", "5000m" }, { "500m", "0.5" }, { "1G", "1000M" },
		{ "1G", "0.001T" }, { "1m", "1000u" }, { "80m", NULL },
		{ "1080m", "1.08" }, { "1080m", "1080000000n" },
		{ "300M", NULL }, { "1T", NULL }, { "1E", NULL },
		{ "1e21", "1000E" }, { "5e21", "5000E" }, { "1e24", "1000000E" },
		{ "1234567M", NULL }, { "1234567m", NULL }, { "3k", NULL },
		{ "1025", NULL }, { "0", "00" }, { "1e9", ".001e12" },
		{ "1e-3", "0.001e0" }, { "1e-9", "1000e-12" }, { "80e-3", NULL },
		{ "300e6", NULL }, { "1e12", NULL }, { "1e3", NULL },
		{ "3e3", NULL }, { "1n", NULL }, { "80n", NULL },
		{ "1080n", NULL }, { "1u", NULL }, { "80u", NULL },
		{ "1080u", NULL },
	};
	char neg[64], negalt[64];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		expect_text(t[i][0], t[i][0]);
		if (t[i][1])
			expect_text(t[i][1], t[i][0]);
		if (strcmp(t[i][0], "0") == 0)
			continue;
		snprintf(neg, sizeof(neg), "-%s", t[i][0]);
		expect_text(neg, neg);
		if (t[i][1]) {
			snprintf(negalt, sizeof(negalt), "-%s", t[i][1]);
			expect_text(negalt, neg);
		}
	}
}

/* TestQuantityParseEmit and the reference scenario's spellings. */
static void format__parse_emit__canonical(void **state)
{
	static const char *const t[][2] = {
		{ "1Ki", "1Ki" }, { "1Mi", "1Mi" }, { "1Gi", "1Gi" },
		{ "1024Mi", "1Gi" }, { "1000M", "1G" }, { ".001Ki", "1024m" },
		{ ".000001Ki", "1024u" }, { ".000000001Ki", "1024n" },
		{ ".000000000001Ki", "2n" }, { "1000m", "1" }, { "1.5", "1500m" },
		{ "1.5Gi", "1536Mi" }, { "0.1m", "100u" }, { "12e6", "12e6" },
		{ "1.2e3", "1200" }, { "+1", "1" }, { "01", "1" },
		{ "0.5Ki", "512" }, { "800m", "800m" }, { "0.8", "800m" },
		{ "18446744073709551616", "18446744073709551616" },
		{ "8Ei", "9223372036854775807" }, { "4096Mi", "4Gi" },
		{ "-0", "0" }, { ".", "0" }, { "m", "0" }, { "-.", "0" },
		{ "1e4294967296", "1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_text(t[i][0], t[i][1]);
}

static void scaled__new_and_value__as_apimachinery(void **state)
{
	char out[QTY_STR_MAX];
	struct qty q;

	(void)state;
	qty_from_scaled(1, -9, &q);
	assert_int_equal(qty_format(&q, out, sizeof(out)), 0);
	assert_string_equal(out, "1n");
	qty_from_scaled(1000, -9, &q);
	qty_format(&q, out, sizeof(out));
	assert_string_equal(out, "1u");
	qty_from_scaled(1234000, -3, &q);
	qty_format(&q, out, sizeof(out));
	assert_string_equal(out, "1234");
	qty_from_scaled(0, -6, &q);
	qty_format(&q, out, sizeof(out));
	assert_string_equal(out, "0");
	qty_from_scaled(1, -9, &q);
	assert_int_equal(qty_scaled_value(&q, 0), 1);
	assert_int_equal(qty_scaled_value(&q, -6), 1);
	qty_from_scaled(1, 2, &q);
	assert_int_equal(qty_scaled_value(&q, -2), 10000);
	qty_from_scaled(-901, -2, &q);
	assert_int_equal(qty_scaled_value(&q, 0), -10);
	assert_int_equal(qty_scaled_value(&q, -3), -9010);
	qty_from_scaled(1, 30, &q);
	assert_true(qty_scaled_value(&q, 0) == INT64_MAX);
}

static void cmp__values__ordered(void **state)
{
	static const char *const t[][3] = {
		{ "0", "0", "0" }, { "100m", "50m", "1" }, { "50m", "100m", "-1" },
		{ "10000T", "100Gi", "1" }, { "1", "1000m", "0" },
		{ "-1", "1", "-1" }, { "1Ki", "1024", "0" }, { "-2", "-1", "-1" },
	};
	struct qty a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(qty_parse(t[i][0], &a, NULL), 0);
		assert_int_equal(qty_parse(t[i][1], &b, NULL), 0);
		if (qty_cmp(&a, &b) != (t[i][2][0] == '-' ? -1 : t[i][2][0] - '0'))
			fail_msg("%s vs %s", t[i][0], t[i][1]);
	}
}

static void parse__limits__no_overflow(void **state)
{
	char big[QTY_MAX_TEXT + 2], out[QTY_STR_MAX];
	struct qty q;

	(void)state;
	memset(big, '9', QTY_MAX_TEXT);
	big[QTY_MAX_TEXT] = '\0';
	assert_int_equal(qty_parse(big, &q, NULL), 0);
	assert_int_equal(qty_format(&q, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), QTY_MAX_TEXT);
	memcpy(big + QTY_MAX_TEXT - 2, "Ei", 3);
	assert_int_equal(qty_parse(big, &q, NULL), 0);
	qty_format(&q, out, sizeof(out));
	assert_string_equal(out, "9223372036854775807");
	big[QTY_MAX_TEXT] = '9';
	big[QTY_MAX_TEXT + 1] = '\0';
	assert_int_equal(qty_parse(big, &q, NULL), ERR_LIMIT);
	assert_int_equal(qty_format(&q, out, 2), 0);
	assert_int_equal(qty_parse("1500m", &q, NULL), 0);
	assert_int_equal(qty_format(&q, out, 4), ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__apimachinery_table__same_values_and_formats),
		cmocka_unit_test(parse__invalid__refused),
		cmocka_unit_test(format__apimachinery_table__canonical),
		cmocka_unit_test(format__parse_emit__canonical),
		cmocka_unit_test(scaled__new_and_value__as_apimachinery),
		cmocka_unit_test(cmp__values__ordered),
		cmocka_unit_test(parse__limits__no_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
