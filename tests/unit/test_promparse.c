/*
 * test_promparse.c - the streaming Prometheus text parser: exact samples
 * (names, families, types, labels, values, timestamps), comments, blanks,
 * escapes, Java doubles and NaN/Inf spellings, summary and histogram
 * families, the same result (samples, and errors with their line and
 * column) for every way of cutting the input into chunks, the family filter
 * and its patterns, every limit at and past its edge, errors with
 * positions, reuse, callbacks that stop the parse, sticky errors, and a
 * realistic Flink page (tests/data/flink-tm-2slot.prom; run from the
 * repository root, as tests/run.sh does).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/collect/promparse.h"
#include "common/buf.h"

/* Every sample as "family|type|id|name{k=v,...}=value@ts" lines. */
struct got {
	struct buf b;
	size_t n;
	int stop_at; /* abort after this many samples (0: never) */
};

static int collect(void *ud, const struct pp_sample *s, struct err *e)
{
	struct got *g = ud;

	buf_addf(&g->b, "%.*s|%s|%d|%.*s{", (int)s->family_len, s->family,
		 pp_type_name(s->type), s->family_id, (int)s->name_len, s->name);
	for (size_t i = 0; i < s->nlabels; i++)
		buf_addf(&g->b, "%s%.*s=%.*s", i ? "," : "",
			 (int)s->labels[i].name_len, s->labels[i].name,
			 (int)s->labels[i].value_len, s->labels[i].value);
	buf_addf(&g->b, "}=%.17g", s->value);
	if (s->has_timestamp)
		buf_addf(&g->b, "@%lld", (long long)s->timestamp_ms);
	buf_addc(&g->b, '\n');
	if (g->stop_at && (int)++g->n == g->stop_at)
		return err_set(e, -99, "enough");
	if (!g->stop_at)
		g->n++;
	return 0;
}

static const char page[] =
	"# HELP flink_taskmanager_Status_JVM_CPU_Load Load (scope: taskmanager_Status_JVM_CPU)\n"
	"# TYPE flink_taskmanager_Status_JVM_CPU_Load gauge\n"
	"flink_taskmanager_Status_JVM_CPU_Load{host=\"172_18_0_7\",tm_id=\"172_18_0_7:38235_53686e\",} 0.0\n"
	"# TYPE lat summary\n"
	"lat{quantile=\"0.99\",} 5.5132808E7\n"
	"lat_count 3.0\n"
	"lat_sum 1.0E-4 1704067200000\n"
	"lat_bucket 1\n"
	"# TYPE h histogram\n"
	"h_bucket{le=\"+Inf\",} 7\n"
	"\n"
	"# TYPE g_count gauge\n"
	"g_count{a=\"x \\\"y\\\" \\\\ z\\n\",} -9.223372036854776E18\r\n"
	"plain\t\t+Inf\n"
	"neg -Inf";

static const char expect[] =
	"flink_taskmanager_Status_JVM_CPU_Load|gauge|-1|flink_taskmanager_Status_JVM_CPU_Load{host=172_18_0_7,tm_id=172_18_0_7:38235_53686e}=0\n"
	"lat|summary|-1|lat{quantile=0.99}=55132808\n"
	"lat|summary|-1|lat_count{}=3\n"
	"lat|summary|-1|lat_sum{}=0.0001@1704067200000\n"
	"lat_bucket|untyped|-1|lat_bucket{}=1\n"
	"h|histogram|-1|h_bucket{le=+Inf}=7\n"
	"g_count|gauge|-1|g_count{a=x \"y\" \\ z\n}=-9.2233720368547758e+18\n"
	"plain|untyped|-1|plain{}=inf\n"
	"neg|untyped|-1|neg{}=-inf\n";

static void parse__whole_page__exact_samples(void **state)
{
	struct got g = { BUF_INIT(1 << 20), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);
	const struct pp_stats *st;

	(void)state;
	assert_int_equal(pp_feed(p, page, sizeof(page) - 1, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), expect);
	st = pp_get_stats(p);
	assert_int_equal(st->kept, 9);
	assert_int_equal(st->samples, 9);
	assert_int_equal(st->lines, 15);
	assert_int_equal(st->bytes, sizeof(page) - 1);
	assert_int_equal(st->families, 7);
	pp_free(p);
	buf_release(&g.b);
}

static void parse__every_split__same_samples(void **state)
{
	size_t n = sizeof(page) - 1;

	(void)state;
	for (size_t cut = 0; cut <= n; cut++) {
		struct got g = { BUF_INIT(1 << 20), 0, 0 };
		struct pp_parser *p = pp_new(NULL, NULL, collect, &g);

		assert_int_equal(pp_feed(p, page, cut, NULL), 0);
		assert_int_equal(pp_feed(p, page + cut, n - cut, NULL), 0);
		assert_int_equal(pp_finish(p, NULL), 0);
		if (strcmp(buf_str(&g.b), expect) != 0)
			fail_msg("cut at %zu: %s", cut, buf_str(&g.b));
		pp_free(p);
		buf_release(&g.b);
	}
	/* and byte by byte */
	{
		struct got g = { BUF_INIT(1 << 20), 0, 0 };
		struct pp_parser *p = pp_new(NULL, NULL, collect, &g);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(pp_feed(p, page + i, 1, NULL), 0);
		assert_int_equal(pp_finish(p, NULL), 0);
		assert_string_equal(buf_str(&g.b), expect);
		pp_free(p);
		buf_release(&g.b);
	}
}

static void filter__only_wanted_families_with_ids(void **state)
{
	struct pp_filter *f = pp_filter_new();
	struct got g = { BUF_INIT(1 << 20), 0, 0 };

	(void)state;
	assert_int_equal(pp_filter_add(f, "lat", 7), 0);
	assert_int_equal(pp_filter_add(f, "lat", 8), ERR_EXISTS);
	assert_int_equal(pp_filter_add_pattern(f, "g_", "nt", 3), 0);
	assert_int_equal(pp_filter_add(f, "plain", 1), 0);
	assert_int_equal(pp_filter_count(f), 2);
	assert_int_equal(pp_filter_lookup(f, "lat", 3), 7);
	assert_int_equal(pp_filter_lookup(f, "g_xcount", 8), 3);
	assert_int_equal(pp_filter_lookup(f, "late", 4), -1);
	assert_int_equal(pp_parse(page, sizeof(page) - 1, NULL, f, collect, &g,
				  NULL), 0);
	assert_string_equal(buf_str(&g.b),
		"lat|summary|7|lat{quantile=0.99}=55132808\n"
		"lat|summary|7|lat_count{}=3\n"
		"lat|summary|7|lat_sum{}=0.0001@1704067200000\n"
		"g_count|gauge|3|g_count{a=x \"y\" \\ z\n}=-9.2233720368547758e+18\n"
		"plain|untyped|1|plain{}=inf\n");
	buf_release(&g.b);
	pp_filter_free(f);
}

static void filter__many_names__table_grows(void **state)
{
	struct pp_filter *f = pp_filter_new();
	char name[32];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "family_%d", i);
		assert_int_equal(pp_filter_add(f, name, i), 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "family_%d", i);
		assert_int_equal(pp_filter_lookup(f, name, strlen(name)), i);
	}
	assert_int_equal(pp_filter_lookup(f, "family_5000", 11), -1);
	pp_filter_free(f);
}

static void values__java_and_go_spellings(void **state)
{
	static const struct { const char *text; double v; } t[] = {
		{ "0.0", 0 }, { "5.5132808E7", 55132808 }, { "1.0E-4", 1e-4 },
		{ "-9.223372036854776E18", -9.223372036854776e18 },
		{ "123", 123 }, { ".5", 0.5 }, { "5.", 5 }, { "+3", 3 },
		{ "1e3", 1000 }, { "0.1", 0.1 }, { "2.2250738585072014E-308", 2.2250738585072014e-308 },
		{ "1.7976931348623157E308", 1.7976931348623157e308 },
		{ "123456789012345678901234567890", 1.2345678901234568e29 },
		{ "0.30000000000000004", 0.30000000000000004 },
		{ "4.9E-324", 4.9e-324 }, { "1E400", INFINITY },
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct got g = { BUF_INIT(4096), 0, 0 };
		char want[128];

		snprintf(line, sizeof(line), "m %s\n", t[i].text);
		assert_int_equal(pp_parse(line, strlen(line), NULL, NULL, collect,
					  &g, NULL), 0);
		snprintf(want, sizeof(want), "m|untyped|-1|m{}=%.17g\n", t[i].v);
		if (strcmp(buf_str(&g.b), want) != 0)
			fail_msg("%s: got %s", t[i].text, buf_str(&g.b));
		buf_release(&g.b);
	}
}

static int parse_err(const char *text, const struct pp_limits *lim,
		     struct err *e)
{
	struct got g = { BUF_INIT(1 << 20), 0, 0 };
	int rc;

	err_clear(e);
	rc = pp_parse(text, strlen(text), lim, NULL, collect, &g, e);
	buf_release(&g.b);
	return rc;
}

static void errors__line_and_column(void **state)
{
	static const struct { const char *text; const char *msg; unsigned long l, c; } t[] = {
		{ "a 1\nb{x=\"y\"} zz\n", "invalid number", 2, 10 },
		{ "a{x=\"y\" z=\"w\"} 1\n", "expected ',' or '}' after label value", 1, 9 },
		{ "a{=\"y\"} 1\n", "invalid label name", 1, 3 },
		{ "a{x=y} 1\n", "expected '\"' to start label value", 1, 5 },
		{ "a{x=\"\\q\"} 1\n", "invalid escape sequence in label value", 1, 7 },
		{ "# HELP a bad \\t escape\n", "invalid escape sequence in HELP text", 1, 15 },
		{ "# HELP 1a x\n", "invalid metric name", 1, 8 },
		{ "a# 1\n", "invalid metric name", 1, 1 },
		{ "# HELP a x\n# HELP a y\n", "second HELP line for this family", 2, 10 },
		{ "a 1\n# TYPE a gauge\n", "second TYPE line for this family, or TYPE after its samples", 2, 1 },
		{ "a\n", "expected a value", 1, 2 },
		{ "a 1 -\n", "invalid timestamp", 1, 5 },
	};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse_err(t[i].text, NULL, &e), ERR_INVAL);
		if (strcmp(e.msg, t[i].msg) != 0 || e.line != t[i].l ||
		    e.col != t[i].c)
			fail_msg("case %zu: %lu:%lu: %s", i, e.line, e.col, e.msg);
	}
}

static void limits__each_enforced(void **state)
{
	struct pp_limits lim = { 20, 2, 100, 2 };
	struct err e;

	(void)state;
	assert_int_equal(parse_err("ok 1\nwaytoolongname_______ 1\n", &lim, &e), ERR_LIMIT);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 21);
	assert_int_equal(parse_err("a{b=\"1\",c=\"2\",d=\"3\"} 1\n", &(struct pp_limits){ 100, 2, 100, 2 }, &e), ERR_LIMIT);
	assert_string_equal(e.msg, "too many labels");
	assert_int_equal(parse_err("a 1\nb 2\nc 3\n", &lim, &e), ERR_LIMIT);
	assert_string_equal(e.msg, "more than 2 samples");
	assert_int_equal(e.line, 3);
	assert_int_equal(parse_err("a 1\n# padding padding padding padding padding padding padding padding padding padding padding padding padding padding\n", &(struct pp_limits){ 200, 2, 100, 2 }, &e), ERR_LIMIT);
	assert_string_equal(e.msg, "page larger than 100 bytes");
	/* a line exactly at the limit, with a CR, is fine */
	assert_int_equal(parse_err("a234567890123456 1\r\n", &lim, &e), 0);
}

static void reuse__reset_and_sticky_error(void **state)
{
	struct got g = { BUF_INIT(1 << 20), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(pp_feed(p, "a{x=\"1\n", 7, &e), ERR_INVAL);
	err_clear(&e);
	assert_int_equal(pp_feed(p, "b 1\n", 4, &e), ERR_INVAL); /* sticky */
	assert_string_equal(e.msg, "label value not terminated");
	assert_int_equal(pp_finish(p, NULL), ERR_INVAL);
	pp_reset(p);
	assert_int_equal(pp_feed(p, "b 1\nc", 5, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), ERR_INVAL); /* "c" has no value */
	pp_reset(p);
	buf_reset(&g.b);
	assert_int_equal(pp_feed(p, "b 2\n", 4, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), "b|untyped|-1|b{}=2\n");
	assert_int_equal(pp_get_stats(p)->lines, 1);
	pp_free(p);
	buf_release(&g.b);
}

static void callback__abort_stops_parse(void **state)
{
	struct got g = { BUF_INIT(1 << 20), 0, 2 };
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(pp_parse(page, sizeof(page) - 1, NULL, NULL, collect,
				  &g, &e), -99);
	assert_string_equal(e.msg, "enough");
	assert_int_equal(g.n, 2);
	buf_release(&g.b);
}

/* ---- helpers for the cases below ---- */

/* Feed text in three chunks cut at a <= b, then finish. */
static int run_cuts(const char *text, size_t n, size_t a, size_t b,
		    const struct pp_limits *lim, const struct pp_filter *f,
		    struct got *g, struct err *e)
{
	struct pp_parser *p = pp_new(lim, f, collect, g);
	int rc;

	assert_non_null(p);
	err_clear(e);
	rc = pp_feed(p, text, a, e);
	if (!rc)
		rc = pp_feed(p, text + a, b - a, e);
	if (!rc)
		rc = pp_feed(p, text + b, n - b, e);
	if (!rc)
		rc = pp_finish(p, e);
	pp_free(p);
	return rc;
}

/* One-shot parse into a fresh string; returns the code. */
static int parse_text(const char *text, const struct pp_limits *lim,
		      const struct pp_filter *f, struct got *g, struct err *e)
{
	err_clear(e);
	return pp_parse(text, strlen(text), lim, f, collect, g, e);
}

/* Every sample of text, as collect writes them, must equal want. */
static void expect_samples(const char *text, const char *want)
{
	struct got g = { BUF_INIT(1 << 20), 0, 0 };
	struct err e;

	if (parse_text(text, NULL, NULL, &g, &e) != 0)
		fail_msg("%s: %lu:%lu: %s", text, e.line, e.col, e.msg);
	if (strcmp(buf_str(&g.b), want) != 0)
		fail_msg("input:\n%s\ngot:\n%s\nwant:\n%s", text, buf_str(&g.b),
			 want);
	buf_release(&g.b);
}

/* ---- accepted forms ---- */

static void parse__comments_blank_lines_leading_blanks__ignored(void **state)
{
	static const char text[] =
		"#\n"
		"# \n"
		"# just a comment with \"quotes\" and {braces} 1 2 3\n"
		"   \n"
		"\t\n"
		"\r\n"
		"# help x lower-case keywords are plain comments\n"
		"# HELP x some help \\\\ with \\n escapes (scope: x)\n"
		"#\tTYPE x counter\n"
		"  x{a=\"1\"} 2\n"
		"\tx 3\n"
		"# a comment between samples\n"
		"x 4\n";
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);
	const struct pp_stats *st;

	(void)state;
	assert_int_equal(pp_feed(p, text, sizeof(text) - 1, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), "x|counter|-1|x{a=1}=2\n"
					   "x|counter|-1|x{}=3\n"
					   "x|counter|-1|x{}=4\n");
	st = pp_get_stats(p);
	assert_int_equal(st->lines, 13);
	assert_int_equal(st->samples, 3);
	assert_int_equal(st->kept, 3);
	assert_int_equal(st->families, 1);
	assert_int_equal(st->bytes, sizeof(text) - 1);
	pp_free(p);
	buf_release(&g.b);
}

static void parse__blanks_tabs_trailing_comma__same_sample(void **state)
{
	(void)state;
	expect_samples("m{a=\"1\",b=\"2\"} 3 42\n"
		       "m \t{ a = \"1\" ,\tb=\"2\"\t, } \t3\t 42 \t\n"
		       "m{a=\"1\",b=\"2\",}\t3 42\r\n"
		       "m{a=\"1\",b=\"2\",} 3 42",
		       "m|untyped|-1|m{a=1,b=2}=3@42\n"
		       "m|untyped|-1|m{a=1,b=2}=3@42\n"
		       "m|untyped|-1|m{a=1,b=2}=3@42\n"
		       "m|untyped|-1|m{a=1,b=2}=3@42\n");
	expect_samples("m{} 5\nm {} 6\nm{ } 7\n",
		       "m|untyped|-1|m{}=5\nm|untyped|-1|m{}=6\n"
		       "m|untyped|-1|m{}=7\n");
}

/* The first sample's labels, copied out of the callback. */
struct cap {
	size_t n;
	char name[8][32];
	char value[8][32];
	size_t value_len[8];
	size_t name_len[8];
};

static int capture(void *ud, const struct pp_sample *s, struct err *e)
{
	struct cap *c = ud;

	(void)e;
	c->n = s->nlabels;
	for (size_t i = 0; i < s->nlabels && i < 8; i++) {
		assert_true(s->labels[i].name_len < 32);
		assert_true(s->labels[i].value_len < 32);
		memcpy(c->name[i], s->labels[i].name, s->labels[i].name_len);
		memcpy(c->value[i], s->labels[i].value, s->labels[i].value_len);
		c->name_len[i] = s->labels[i].name_len;
		c->value_len[i] = s->labels[i].value_len;
	}
	return 0;
}

static void labels__escapes_and_specials__exact_bytes(void **state)
{
	static const char text[] =
		"m{a=\"x\\\\y\",b=\"q\\\"uote\",c=\"new\\nline\",d=\"\","
		"e=\"} , # = {\",f=\"gr\xc3\xbc\xc3\x9f" "e\",g=\"\\\\n\",} 1\n";
	static const struct { const char *name, *value; size_t len; } want[] = {
		{ "a", "x\\y", 3 },      { "b", "q\"uote", 6 },
		{ "c", "new\nline", 8 }, { "d", "", 0 },
		{ "e", "} , # = {", 9 }, { "f", "gr\xc3\xbc\xc3\x9f" "e", 7 },
		{ "g", "\\n", 2 },
	};
	struct cap c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(pp_parse(text, sizeof(text) - 1, NULL, NULL, capture,
				  &c, NULL), 0);
	assert_int_equal(c.n, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(c.name_len[i], 1);
		assert_string_equal(c.name[i], want[i].name);
		assert_int_equal(c.value_len[i], want[i].len);
		assert_memory_equal(c.value[i], want[i].value, want[i].len + 1);
	}
}

static int value_cb(void *ud, const struct pp_sample *s, struct err *e)
{
	(void)e;
	*(double *)ud = s->value;
	return 0;
}

static double parsed_value(const char *text)
{
	char line[1024];
	double v = 12345;
	struct err e;

	snprintf(line, sizeof(line), "m %s\n", text);
	err_clear(&e);
	if (pp_parse(line, strlen(line), NULL, NULL, value_cb, &v, &e) != 0)
		fail_msg("%.40s...: %lu:%lu %s", text, e.line, e.col, e.msg);
	return v;
}

static void values__nan_inf_spellings__any_case(void **state)
{
	static const char *nans[] = { "NaN", "nan", "NAN", "nAn" };
	static const char *pinf[] = { "+Inf", "inf", "+inf", "INF", "Infinity",
				      "+infinity" };
	static const char *ninf[] = { "-Inf", "-inf", "-INF", "-Infinity" };

	(void)state;
	for (size_t i = 0; i < sizeof(nans) / sizeof(nans[0]); i++)
		if (!isnan(parsed_value(nans[i])))
			fail_msg("%s is not NaN", nans[i]);
	for (size_t i = 0; i < sizeof(pinf) / sizeof(pinf[0]); i++)
		if (!(isinf(parsed_value(pinf[i])) && parsed_value(pinf[i]) > 0))
			fail_msg("%s is not +Inf", pinf[i]);
	for (size_t i = 0; i < sizeof(ninf) / sizeof(ninf[0]); i++)
		if (!(isinf(parsed_value(ninf[i])) && parsed_value(ninf[i]) < 0))
			fail_msg("%s is not -Inf", ninf[i]);
	assert_true(signbit(parsed_value("-0.0")));
	assert_false(signbit(parsed_value("0.0")));
	/* Java doubles exactly as the JDK prints them */
	assert_true(parsed_value("5.5132808E7") == 55132808.0);
	assert_true(parsed_value("1.0E-4") == 0.0001);
	assert_true(parsed_value("-9.223372036854776E18") == (double)INT64_MIN);
	assert_true(parsed_value("1.732543201234E12") == 1732543201234.0);
	assert_true(parsed_value("0.0421365913670436") == 0.0421365913670436);
	assert_true(parsed_value("3117.8333333333335") == 3117.8333333333335);
	assert_true(parsed_value("12.949999999999989") == 12.949999999999989);
	assert_true(parsed_value("4.9E-324") == 4.9e-324);
}

static void values__invalid_spellings__invalid_number_at_value(void **state)
{
	static const char *bad[] = {
		"0x10", "1e",  "e5",   "1.2.3", "--1",  "+-1",    "1_000",
		"Inf1", "nanx", ".",   "+",     "-",    "1e+",    "1E-",
		"0b1",  "1,5", "In",  "infinit", "1d",  "1f",     "0x1p-2",
		"NaN1", "\xd9\xa3", "1..2", "1e5.5", "++1", "Nan_",
	};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];
		struct got g = { BUF_INIT(4096), 0, 0 };
		int rc;

		snprintf(line, sizeof(line), "ok 1\nm %s\n", bad[i]);
		rc = parse_text(line, NULL, NULL, &g, &e);
		if (rc != ERR_INVAL || e.line != 2 || e.col != 3 ||
		    strcmp(e.msg, "invalid number") != 0)
			fail_msg("%s: %d %lu:%lu %s", bad[i], rc, e.line, e.col,
				 e.msg);
		assert_string_equal(buf_str(&g.b), "ok|untyped|-1|ok{}=1\n");
		buf_release(&g.b);
	}
}

static void timestamps__int64_range__exact_or_invalid(void **state)
{
	static const char *bad[] = {
		"1.5", "9223372036854775808", "-9223372036854775809", "1e3",
		"0x10", "--1", "12:30", "1_000", "NaN", "-",
	};
	struct err e;

	(void)state;
	expect_samples("m 1 0\nm 1 -1\nm 1.0E-4 1704067200000\n"
		       "m 1 9223372036854775807\nm 1 -9223372036854775808\n",
		       "m|untyped|-1|m{}=1@0\n"
		       "m|untyped|-1|m{}=1@-1\n"
		       "m|untyped|-1|m{}=0.0001@1704067200000\n"
		       "m|untyped|-1|m{}=1@9223372036854775807\n"
		       "m|untyped|-1|m{}=1@-9223372036854775808\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];
		struct got g = { BUF_INIT(4096), 0, 0 };
		int rc;

		snprintf(line, sizeof(line), "m 1 %s\n", bad[i]);
		rc = parse_text(line, NULL, NULL, &g, &e);
		if (rc != ERR_INVAL || e.line != 1 || e.col != 5 ||
		    strcmp(e.msg, "invalid timestamp") != 0)
			fail_msg("%s: %d %lu:%lu %s", bad[i], rc, e.line, e.col,
				 e.msg);
		buf_release(&g.b);
	}
}

/* ---- families ---- */

static void families__summary_histogram_suffixes__family_and_type(void **state)
{
	static const char text[] =
		"# HELP lat latency (scope: taskmanager_job_latency)\n"
		"# TYPE lat summary\n"
		"lat_count{op=\"a\",} 12.0\n"
		"lat{op=\"a\",quantile=\"0.5\",} 3.0\n"
		"lat_sum{op=\"a\",} 40.0\n"
		"lat_bucket{le=\"1\"} 1\n"
		"# TYPE h histogram\n"
		"h_bucket{le=\"0.1\",} 1.0\n"
		"h_bucket{le=\"+Inf\",} 3.0\n"
		"h_sum 0.75\n"
		"h_count 3.0\n"
		"h 9\n"
		"h_total 1\n"
		"# TYPE g gauge\n"
		"g 1\n"
		"g_count 2\n"
		"g_sum 3\n"
		"# TYPE c counter\n"
		"c 4\n"
		"c_total 5\n";
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);

	(void)state;
	assert_int_equal(pp_feed(p, text, sizeof(text) - 1, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b),
		"lat|summary|-1|lat_count{op=a}=12\n"
		"lat|summary|-1|lat{op=a,quantile=0.5}=3\n"
		"lat|summary|-1|lat_sum{op=a}=40\n"
		"lat_bucket|untyped|-1|lat_bucket{le=1}=1\n"
		"h|histogram|-1|h_bucket{le=0.1}=1\n"
		"h|histogram|-1|h_bucket{le=+Inf}=3\n"
		"h|histogram|-1|h_sum{}=0.75\n"
		"h|histogram|-1|h_count{}=3\n"
		"h|histogram|-1|h{}=9\n"
		"h_total|untyped|-1|h_total{}=1\n"
		"g|gauge|-1|g{}=1\n"
		"g_count|untyped|-1|g_count{}=2\n"
		"g_sum|untyped|-1|g_sum{}=3\n"
		"c|counter|-1|c{}=4\n"
		"c_total|untyped|-1|c_total{}=5\n");
	assert_int_equal(pp_get_stats(p)->families, 9);
	assert_int_equal(pp_get_stats(p)->samples, 15);
	assert_int_equal(pp_get_stats(p)->lines, 20);
	pp_free(p);
	buf_release(&g.b);
}

static void families__help_only_type_only_untyped__counted(void **state)
{
	static const char text[] = "# HELP a x\na 1\n# TYPE b gauge\nb 1\n"
				   "c 1\n\nc 2\nd 1\nc 3\n# HELP e only\n";
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);

	(void)state;
	assert_int_equal(pp_feed(p, text, sizeof(text) - 1, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), "a|untyped|-1|a{}=1\n"
					   "b|gauge|-1|b{}=1\n"
					   "c|untyped|-1|c{}=1\n"
					   "c|untyped|-1|c{}=2\n"
					   "d|untyped|-1|d{}=1\n"
					   "c|untyped|-1|c{}=3\n");
	/* a, b, c, d, c again, e */
	assert_int_equal(pp_get_stats(p)->families, 6);
	pp_free(p);
	buf_release(&g.b);
}

/* ---- filter ---- */

static void filter__unwanted_lines__skipped_after_name(void **state)
{
	static const char text[] =
		"# HELP skip a family nobody wants (scope: x)\n"
		"# TYPE skip summary\n"
		"skip{this is not parsed at all 1\n"
		"skip_count notanumber\n"
		"skip_sum\n"
		"keep{a=\"1\",} 1.5\n"
		"skip2 {{{{ \\q\n"
		"keep 2 1000\n";
	struct pp_filter *f = pp_filter_new();
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_parser *p;
	const struct pp_stats *st;
	struct err e;

	(void)state;
	assert_int_equal(pp_filter_add(f, "keep", 4), 0);
	p = pp_new(NULL, f, collect, &g);
	assert_int_equal(pp_feed(p, text, sizeof(text) - 1, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), "keep|untyped|4|keep{a=1}=1.5\n"
					   "keep|untyped|4|keep{}=2@1000\n");
	st = pp_get_stats(p);
	assert_int_equal(st->samples, 6);
	assert_int_equal(st->kept, 2);
	assert_int_equal(st->families, 4); /* skip, keep, skip2, keep */
	assert_int_equal(st->lines, 8);
	pp_free(p);
	/* the metric name of a skipped line is still checked */
	buf_reset(&g.b);
	assert_int_equal(parse_text("skip 1\n9bad 1\n", NULL, f, &g, &e),
			 ERR_INVAL);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 1);
	assert_string_equal(e.msg, "invalid metric name");
	assert_int_equal(parse_text("skip-x 1\n", NULL, f, &g, &e), ERR_INVAL);
	assert_int_equal(e.col, 1);
	/* and so is its length */
	assert_int_equal(parse_text("skip 1\nskip 123456789012\n",
				    &(struct pp_limits){ 10, 4, 1000, 10 }, f,
				    &g, &e),
			 ERR_LIMIT);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 11);
	assert_string_equal(buf_str(&g.b), "");
	buf_release(&g.b);
	pp_filter_free(f);
}

static void filter__exact_and_patterns__precedence_and_order(void **state)
{
	static const char lat[] = "flink_taskmanager_job_latency_";
	struct pp_filter *f = pp_filter_new();
	char name[16];

#define LOOK(s) pp_filter_lookup(f, (s), strlen(s))
	(void)state;
	assert_int_equal(pp_filter_add_pattern(f, lat, "_latency", 5), 0);
	assert_int_equal(pp_filter_add_pattern(f, "flink_", "", 6), 0);
	assert_int_equal(pp_filter_add_pattern(f, "", "_count", 7), 0);
	assert_int_equal(pp_filter_add_pattern(f, "ab_", "_cd", 8), 0);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_job_latency_"
					  "source_id_latency", 1), 0);
	assert_true(pp_filter_add(f, "negative", -1) != 0);
	assert_int_equal(pp_filter_count(f), 1);
	assert_int_equal(LOOK("flink_taskmanager_job_latency_source_id_latency"), 1);
	assert_int_equal(LOOK("flink_taskmanager_job_latency_source_id_"
			      "operator_id_operator_subtask_index_latency"), 5);
	assert_int_equal(LOOK("flink_taskmanager_job_latency_source_id_"
			      "operator_id_operator_subtask_index_latency_count"), 6);
	assert_int_equal(LOOK("flink_taskmanager_Status_JVM_CPU_Load"), 6);
	assert_int_equal(LOOK("flink_x_count"), 6);
	assert_int_equal(LOOK("other_count"), 7);
	assert_int_equal(LOOK("_count"), 7);
	assert_int_equal(LOOK("ab_cd"), -1); /* prefix and suffix overlap */
	assert_int_equal(LOOK("ab__cd"), 8);
	assert_int_equal(LOOK("other"), -1);
	assert_int_equal(LOOK(""), -1);
	/* a name given with a length is not read past it */
	assert_int_equal(pp_filter_lookup(f, "other_countXYZ", 11), 7);
	/* at most 16 patterns */
	for (int i = 4; i < 16; i++) {
		snprintf(name, sizeof(name), "p%d_", i);
		assert_int_equal(pp_filter_add_pattern(f, name, "", 100 + i), 0);
	}
	assert_true(pp_filter_add_pattern(f, "one_too_many", "", 99) != 0);
	assert_int_equal(LOOK("p15_x"), 115);
	assert_int_equal(LOOK("one_too_many_x"), -1);
#undef LOOK
	pp_filter_free(f);
	pp_filter_free(NULL);
}

static void filter__every_split__same_samples(void **state)
{
	struct pp_filter *f = pp_filter_new();
	size_t n = sizeof(page) - 1;
	struct err e;
	char *want;

	(void)state;
	assert_int_equal(pp_filter_add(f, "lat", 7), 0);
	assert_int_equal(pp_filter_add_pattern(f, "g_", "nt", 3), 0);
	assert_int_equal(pp_filter_add(f, "neg", 1), 0);
	{
		struct got g = { BUF_INIT(1 << 20), 0, 0 };
		assert_int_equal(run_cuts(page, n, 0, 0, NULL, f, &g, &e), 0);
		want = strdup(buf_str(&g.b));
		buf_release(&g.b);
	}
	assert_string_equal(want,
		"lat|summary|7|lat{quantile=0.99}=55132808\n"
		"lat|summary|7|lat_count{}=3\n"
		"lat|summary|7|lat_sum{}=0.0001@1704067200000\n"
		"g_count|gauge|3|g_count{a=x \"y\" \\ z\n}=-9.2233720368547758e+18\n"
		"neg|untyped|1|neg{}=-inf\n");
	for (size_t cut = 0; cut <= n; cut++) {
		struct got g = { BUF_INIT(1 << 20), 0, 0 };

		assert_int_equal(run_cuts(page, n, cut, cut, NULL, f, &g, &e), 0);
		if (strcmp(buf_str(&g.b), want) != 0)
			fail_msg("cut at %zu: %s", cut, buf_str(&g.b));
		buf_release(&g.b);
	}
	free(want);
	pp_filter_free(f);
}

/* ---- chunking ---- */

static void chunks__every_pair_of_cuts__same_samples(void **state)
{
	static const char text[] =
		"# TYPE s summary\r\n"
		"s{q=\"0.5\",} 1.0E-4\r\n"
		"s_count 3 17\r\n"
		"\r\n"
		"m { a = \"x\\\\\\\"\\n\" ,}\tNaN\n"
		"# c\n"
		"z -Inf";
	static const char want[] =
		"s|summary|-1|s{q=0.5}=0.0001\n"
		"s|summary|-1|s_count{}=3@17\n"
		"m|untyped|-1|m{a=x\\\"\n}=nan\n"
		"z|untyped|-1|z{}=-inf\n";
	size_t n = sizeof(text) - 1;
	struct err e;

	(void)state;
	for (size_t a = 0; a <= n; a++)
		for (size_t b = a; b <= n; b++) {
			struct got g = { BUF_INIT(4096), 0, 0 };
			int rc = run_cuts(text, n, a, b, NULL, NULL, &g, &e);

			if (rc || strcmp(buf_str(&g.b), want) != 0)
				fail_msg("cuts %zu,%zu: rc %d: %s", a, b, rc,
					 buf_str(&g.b));
			buf_release(&g.b);
		}
}

static void feed__empty_chunks__no_effect(void **state)
{
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);

	(void)state;
	assert_int_equal(pp_feed(p, "", 0, NULL), 0);
	assert_int_equal(pp_feed(p, "a 1", 3, NULL), 0);
	assert_int_equal(pp_feed(p, "", 0, NULL), 0);
	assert_int_equal(pp_feed(p, "\nb", 2, NULL), 0);
	assert_int_equal(pp_feed(p, "", 0, NULL), 0);
	assert_int_equal(pp_feed(p, " 2", 2, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0); /* nothing left */
	assert_string_equal(buf_str(&g.b), "a|untyped|-1|a{}=1\n"
					   "b|untyped|-1|b{}=2\n");
	assert_int_equal(pp_get_stats(p)->bytes, 7);
	assert_int_equal(pp_get_stats(p)->lines, 2);
	pp_free(p);
	buf_release(&g.b);
}

/* An empty chunk may come as NULL (a read of 0 bytes into no buffer). */
static void feed__null_empty_chunk_with_partial_line__no_effect(void **state)
{
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);

	(void)state;
	assert_int_equal(pp_feed(p, NULL, 0, NULL), 0);
	assert_int_equal(pp_feed(p, "a 1", 3, NULL), 0);
	assert_int_equal(pp_feed(p, NULL, 0, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), "a|untyped|-1|a{}=1\n");
	pp_free(p);
	buf_release(&g.b);
}

/* ---- errors ---- */

static const struct pp_limits small = { 10, 2, 1000, 3 };

static const struct {
	const char *text;
	const struct pp_limits *lim;
	int rc;
	unsigned long line, col;
	const char *msg;
} bad_pages[] = {
	{ "ok 1\n9lives 1\n", NULL, ERR_INVAL, 2, 1, "invalid metric name" },
	{ "ok 1\nok-2 1\n", NULL, ERR_INVAL, 2, 1, "invalid metric name" },
	{ "{a=\"1\"} 1\n", NULL, ERR_INVAL, 1, 1, "invalid metric name" },
	{ "# HELP\n", NULL, ERR_INVAL, 1, 7, "invalid metric name" },
	{ "# TYPE 9x gauge\n", NULL, ERR_INVAL, 1, 8, "invalid metric name" },
	{ "m{a=\"1\",b=\"oops} 1\n", NULL, ERR_INVAL, 1, 11,
	  "label value not terminated" },
	{ "m{a=\"x\\\"} 1\n", NULL, ERR_INVAL, 1, 5,
	  "label value not terminated" },
	{ "m{a=\"x\\", NULL, ERR_INVAL, 1, 5, "label value not terminated" },
	{ "m{a=\"x\\ty\"} 1\n", NULL, ERR_INVAL, 1, 8,
	  "invalid escape sequence in label value" },
	{ "m{a=\"\\u00e9\"} 1\n", NULL, ERR_INVAL, 1, 7,
	  "invalid escape sequence in label value" },
	{ "# HELP m bad \\q\n", NULL, ERR_INVAL, 1, 15,
	  "invalid escape sequence in HELP text" },
	{ "m{a \"1\"} 1\n", NULL, ERR_INVAL, 1, 5,
	  "expected '=' after label name" },
	{ "m{a", NULL, ERR_INVAL, 1, 4, "expected '=' after label name" },
	{ "m{a=1} 1\n", NULL, ERR_INVAL, 1, 5,
	  "expected '\"' to start label value" },
	{ "m{a=\"1\" b=\"2\"} 1\n", NULL, ERR_INVAL, 1, 9,
	  "expected ',' or '}' after label value" },
	{ "m{1a=\"x\"} 1\n", NULL, ERR_INVAL, 1, 3, "invalid label name" },
	{ "m{,} 1\n", NULL, ERR_INVAL, 1, 3, "invalid label name" },
	{ "a 1\nb{", NULL, ERR_INVAL, 2, 3, "invalid label name" },
	{ "m{a=\"1\",b=\"2\",a=\"3\"} 1\n", NULL, ERR_INVAL, 1, 15,
	  "duplicate label name" },
	{ "m{a=\"1\",} \n", NULL, ERR_INVAL, 1, 11, "expected a value" },
	{ "m\n", NULL, ERR_INVAL, 1, 2, "expected a value" },
	{ "m 12abc\n", NULL, ERR_INVAL, 1, 3, "invalid number" },
	{ "a 1\r\nb 2\r\nc x\r\n", NULL, ERR_INVAL, 3, 3, "invalid number" },
	{ "\n# c\n\nm x\n", NULL, ERR_INVAL, 4, 3, "invalid number" },
	{ "m 1\rx\n", NULL, ERR_INVAL, 1, 3, "invalid number" },
	{ "m 1 2 3\n", NULL, ERR_INVAL, 1, 7, "unexpected text after timestamp" },
	{ "m 1 12:00\n", NULL, ERR_INVAL, 1, 5, "invalid timestamp" },
	{ "# TYPE m gauges\n", NULL, ERR_INVAL, 1, 10,
	  "unknown metric type (want counter, gauge, histogram, summary or "
	  "untyped)" },
	{ "# TYPE m\n", NULL, ERR_INVAL, 1, 9,
	  "unknown metric type (want counter, gauge, histogram, summary or "
	  "untyped)" },
	{ "# TYPE m gauge extra\n", NULL, ERR_INVAL, 1, 16,
	  "unexpected text after type" },
	{ "# TYPE m gauge\n# TYPE m counter\n", NULL, ERR_INVAL, 2, 1,
	  "second TYPE line for this family, or TYPE after its samples" },
	{ "# HELP m a\n# HELP m b\n", NULL, ERR_INVAL, 2, 10,
	  "second HELP line for this family" },
	/* limits: max_line 10, max_labels 2, max_samples 3 */
	{ "m 12345678\nm 123456789\n", &small, ERR_LIMIT, 2, 11,
	  "line longer than 10 bytes" },
	{ "ok 1\n# 345678901\n", &small, ERR_LIMIT, 2, 11,
	  "line longer than 10 bytes" },
	{ "ok 1\nm 123456789", &small, ERR_LIMIT, 2, 11,
	  "line longer than 10 bytes" },
	{ "ok 1\nm 1234567890123456789", &small, ERR_LIMIT, 2, 11,
	  "line longer than 10 bytes" },
	{ "m{a=\"1\",b=\"2\",c=\"3\"} 1\n",
	  &(struct pp_limits){ 100, 2, 1000, 3 }, ERR_LIMIT, 1, 15,
	  "too many labels" },
	{ "a 1\n# c\nb 2\nc 3\nd 4\n", &small, ERR_LIMIT, 5, 1,
	  "more than 3 samples" },
};

static void errors__each_kind__exact_line_and_column(void **state)
{
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_pages) / sizeof(bad_pages[0]); i++) {
		struct got g = { BUF_INIT(4096), 0, 0 };
		int rc = parse_text(bad_pages[i].text, bad_pages[i].lim, NULL,
				    &g, &e);

		if (rc != bad_pages[i].rc || e.code != bad_pages[i].rc ||
		    e.line != bad_pages[i].line || e.col != bad_pages[i].col ||
		    strcmp(e.msg, bad_pages[i].msg) != 0)
			fail_msg("case %zu [%s]: %d %lu:%lu: %s", i,
				 bad_pages[i].text, rc, e.line, e.col, e.msg);
		buf_release(&g.b);
	}
}

static void errors__every_split__same_error_and_samples(void **state)
{
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_pages) / sizeof(bad_pages[0]); i++) {
		const char *t = bad_pages[i].text;
		size_t n = strlen(t);
		struct got one = { BUF_INIT(4096), 0, 0 };

		assert_int_equal(run_cuts(t, n, 0, 0, bad_pages[i].lim, NULL,
					  &one, &e),
				 bad_pages[i].rc);
		for (size_t cut = 0; cut <= n; cut++) {
			struct got g = { BUF_INIT(4096), 0, 0 };
			int rc = run_cuts(t, n, cut, cut, bad_pages[i].lim,
					  NULL, &g, &e);

			if (rc != bad_pages[i].rc ||
			    e.line != bad_pages[i].line ||
			    e.col != bad_pages[i].col ||
			    strcmp(e.msg, bad_pages[i].msg) != 0 ||
			    strcmp(buf_str(&g.b), buf_str(&one.b)) != 0)
				fail_msg("case %zu cut %zu: %d %lu:%lu: %s", i,
					 cut, rc, e.line, e.col, e.msg);
			buf_release(&g.b);
		}
		buf_release(&one.b);
	}
}

/* ---- limits at their exact edges ---- */

static void limits__at_the_limit__accepted(void **state)
{
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct err e;

	(void)state;
	/* 10-byte lines, with LF, CRLF, or none at the end */
	assert_int_equal(parse_text("m 12345678\nm 12345678\r\nm 12345678",
				    &small, NULL, &g, &e), 0);
	/* 2 labels, with the trailing comma */
	assert_int_equal(parse_text("a{b=\"1\",c=\"2\",} 1\n",
				    &(struct pp_limits){ 100, 2, 1000, 3 },
				    NULL, &g, &e), 0);
	/* 3 samples among comments and skipped families */
	buf_reset(&g.b);
	{
		struct pp_filter *f = pp_filter_new();
		assert_int_equal(pp_filter_add(f, "c", 0), 0);
		assert_int_equal(parse_text("a 1\nb 2\nc 3\na 4\nc 5\nc 6\n",
					    &small, f, &g, &e), 0);
		assert_string_equal(buf_str(&g.b), "c|untyped|0|c{}=3\n"
						   "c|untyped|0|c{}=5\n"
						   "c|untyped|0|c{}=6\n");
		pp_filter_free(f);
	}
	buf_release(&g.b);
}

static void limits__page_exactly_max__accepted_for_every_split(void **state)
{
	static const char text[] = "a 1\nb 2\nc 3\nd 4\ne 5\nf 6\n";
	struct pp_limits lim = { 100, 4, sizeof(text) - 1, 100 };
	size_t n = sizeof(text) - 1;
	struct err e;

	(void)state;
	for (size_t cut = 0; cut <= n; cut++) {
		struct got g = { BUF_INIT(4096), 0, 0 };

		assert_int_equal(run_cuts(text, n, cut, cut, &lim, NULL, &g, &e), 0);
		assert_int_equal(strlen(buf_str(&g.b)),
				 6 * strlen("a|untyped|-1|a{}=1\n"));
		buf_release(&g.b);
	}
}

/* Over max_page: the same outcome however the page is cut, and the
 * position of the first byte past the limit (byte 21 is line 6, column 1):
 * the five lines within the limit are parsed first, as they must be when
 * the page arrives in pieces. */
static void limits__page_over_max__same_error_for_every_split(void **state)
{
	static const char text[] = "a 1\nb 2\nc 3\nd 4\ne 5\nf 6\n";
	struct pp_limits lim = { 100, 4, 20, 100 };
	size_t n = sizeof(text) - 1;
	struct err e;

	(void)state;
	for (size_t cut = 0; cut <= n; cut++) {
		struct got g = { BUF_INIT(4096), 0, 0 };
		int rc = run_cuts(text, n, cut, cut, &lim, NULL, &g, &e);
		size_t samples = strlen(buf_str(&g.b)) /
				 strlen("a|untyped|-1|a{}=1\n");

		if (rc != ERR_LIMIT || e.line != 6 || e.col != 1 ||
		    samples != 5 ||
		    strcmp(e.msg, "page larger than 20 bytes") != 0)
			fail_msg("cut %zu: rc %d, %zu samples, %lu:%lu: %s",
				 cut, rc, samples, e.line, e.col, e.msg);
		buf_release(&g.b);
	}
}

/* ---- reuse, callbacks, sticky errors ---- */

static void reset__mid_family_mid_line_after_error__fresh_page(void **state)
{
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_filter *f = pp_filter_new();
	struct pp_parser *p;
	const struct pp_stats *st;

	(void)state;
	assert_int_equal(pp_filter_add(f, "x", 2), 0);
	assert_int_equal(pp_filter_add(f, "x_count", 3), 0);
	p = pp_new(&(struct pp_limits){ 100, 4, 1000, 3 }, f, collect, &g);
	st = pp_get_stats(p);
	/* a page left inside a summary family and inside a line */
	assert_int_equal(pp_feed(p, "# TYPE x summary\nx_count 1\nx_cou", 32,
				 NULL), 0);
	assert_string_equal(buf_str(&g.b), "x|summary|2|x_count{}=1\n");
	pp_reset(p);
	assert_int_equal(st->bytes + st->lines + st->samples + st->kept +
				 st->families, 0);
	/* "x_cou" is gone (else "x_count 2" of family x), and x_count is a
	 * family of its own: there is no # TYPE x on this page */
	buf_reset(&g.b);
	assert_int_equal(pp_feed(p, "nt 2\nx_count 3\nx 4\n", 19, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), "x_count|untyped|3|x_count{}=3\n"
					   "x|untyped|2|x{}=4\n");
	assert_int_equal(st->bytes, 19);
	assert_int_equal(st->lines, 3);
	assert_int_equal(st->samples, 3);
	assert_int_equal(st->kept, 2);
	assert_int_equal(st->families, 3);
	/* after a syntax error */
	pp_reset(p);
	assert_int_equal(pp_feed(p, "x{\n", 3, NULL), ERR_INVAL);
	pp_reset(p);
	buf_reset(&g.b);
	assert_int_equal(pp_feed(p, "x 5\n", 4, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_string_equal(buf_str(&g.b), "x|untyped|2|x{}=5\n");
	/* after a limit error the sample count starts again */
	pp_reset(p);
	assert_int_equal(pp_feed(p, "x 1\nx 2\nx 3\nx 4\n", 16, NULL), ERR_LIMIT);
	pp_reset(p);
	assert_int_equal(pp_feed(p, "x 1\nx 2\nx 3\n", 12, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_int_equal(st->kept, 3);
	pp_free(p);
	pp_filter_free(f);
	buf_release(&g.b);
}

struct stopper {
	int at;    /* stop at this sample (1-based) */
	int seen;
	int rc;    /* what to return */
	unsigned long lines[8];
};

static int stop_cb(void *ud, const struct pp_sample *s, struct err *e)
{
	struct stopper *st = ud;

	(void)e;
	st->lines[st->seen++ % 8] = s->line;
	return st->seen == st->at ? st->rc : 0;
}

static void callback__abort_without_message__code_returned_and_sticky(void **state)
{
	static const char text[] = "# c\na 1\n\nb 2\nc 3\n";
	struct stopper st = { 2, 0, 42, { 0 } };
	struct pp_parser *p = pp_new(NULL, NULL, stop_cb, &st);
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(pp_feed(p, text, sizeof(text) - 1, &e), 42);
	assert_int_equal(st.seen, 2);
	assert_int_equal(st.lines[0], 2);
	assert_int_equal(st.lines[1], 4);
	assert_int_equal(e.code, 42);
	assert_int_equal(e.line, 4); /* the line whose sample was refused */
	assert_string_equal(e.msg, "stopped by caller (42)");
	err_clear(&e);
	assert_int_equal(pp_feed(p, "d 4\n", 4, &e), 42);
	assert_int_equal(e.line, 4);
	assert_int_equal(pp_finish(p, NULL), 42);
	assert_int_equal(st.seen, 2);
	pp_free(p);
}

/* The error of a call made without a struct err is the one later calls
 * report, not a made-up one. */
static void sticky__error_first_seen_without_err__same_error_later(void **state)
{
	struct got g = { BUF_INIT(4096), 0, 0 };
	struct pp_parser *p = pp_new(NULL, NULL, collect, &g);
	struct err e;

	(void)state;
	assert_int_equal(pp_feed(p, "ok 1\nm{a=\"1\n", 12, NULL), ERR_INVAL);
	err_clear(&e);
	assert_int_equal(pp_feed(p, "b 1\n", 4, &e), ERR_INVAL);
	if (e.line != 2 || e.col != 5 ||
	    strcmp(e.msg, "label value not terminated") != 0)
		fail_msg("got %lu:%lu: %s; want 2:5: label value not terminated",
			 e.line, e.col, e.msg);
	pp_free(p);
	buf_release(&g.b);
}

static void parse__no_callback__counts_only(void **state)
{
	struct pp_parser *p = pp_new(NULL, NULL, NULL, NULL);

	(void)state;
	assert_int_equal(pp_feed(p, page, sizeof(page) - 1, NULL), 0);
	assert_int_equal(pp_finish(p, NULL), 0);
	assert_int_equal(pp_get_stats(p)->kept, 9);
	pp_free(p);
}

static void pp_type_name__every_type__names(void **state)
{
	(void)state;
	assert_string_equal(pp_type_name(PP_UNTYPED), "untyped");
	assert_string_equal(pp_type_name(PP_COUNTER), "counter");
	assert_string_equal(pp_type_name(PP_GAUGE), "gauge");
	assert_string_equal(pp_type_name(PP_SUMMARY), "summary");
	assert_string_equal(pp_type_name(PP_HISTOGRAM), "histogram");
}

/* A valid decimal of any length is a number (here 600 digits). */
static void values__very_long_decimal__correctly_rounded(void **state)
{
	char text[700];

	(void)state;
	memset(text, '0', sizeof(text));
	memcpy(text, "1.", 2);
	text[602] = '\0';
	assert_true(parsed_value(text) == 1.0);
	memset(text, '9', 600);
	text[600] = '\0';
	assert_true(parsed_value(text) == strtod(text, NULL));
}

/* ---- a realistic page: tests/data/flink-tm-2slot.prom ---- */

static int flink_cb(void *ud, const struct pp_sample *s, struct err *e)
{
	struct buf *b = ud;
	const struct pp_label *last;
	size_t skip = strlen("flink_taskmanager_");

	(void)e;
	assert_true(s->nlabels > 0);
	last = &s->labels[s->nlabels - 1];
	assert_true(s->name_len > skip && s->family_len > skip);
	buf_addf(b, "%d %.*s %s %zu %.*s %.*s=%.*s %.17g\n", s->family_id,
		 (int)(s->name_len - skip), s->name + skip,
		 pp_type_name(s->type), s->nlabels,
		 (int)s->labels[0].name_len, s->labels[0].name,
		 (int)last->name_len, last->name, (int)last->value_len,
		 last->value, s->value);
	return 0;
}

static void parse__flink_2slot_page__adapter_families_exact(void **state)
{
	static const char want[] =
		"7 Status_JVM_CPU_Time gauge 2 host tm_id=10_244_1_17:6122_9c1d4e 482130000000\n"
		"5 Status_JVM_Memory_Heap_Used gauge 2 host tm_id=10_244_1_17:6122_9c1d4e 55132808\n"
		"6 Status_JVM_Memory_Heap_Max gauge 2 host tm_id=10_244_1_17:6122_9c1d4e 536870912\n"
		"1 job_task_busyTimeMsPerSecond gauge 9 job_id subtask_index=0 210\n"
		"1 job_task_busyTimeMsPerSecond gauge 9 job_id subtask_index=1 198\n"
		"1 job_task_busyTimeMsPerSecond gauge 9 job_id subtask_index=0 640\n"
		"1 job_task_busyTimeMsPerSecond gauge 9 job_id subtask_index=1 602\n"
		"1 job_task_busyTimeMsPerSecond gauge 9 job_id subtask_index=0 964\n"
		"1 job_task_busyTimeMsPerSecond gauge 9 job_id subtask_index=1 958\n"
		"2 job_task_currentInputWatermark gauge 9 job_id subtask_index=0 1732543201234\n"
		"2 job_task_currentInputWatermark gauge 9 job_id subtask_index=1 -9.2233720368547758e+18\n"
		"2 job_task_currentInputWatermark gauge 9 job_id subtask_index=0 1732543199876\n"
		"2 job_task_currentInputWatermark gauge 9 job_id subtask_index=1 -9.2233720368547758e+18\n"
		"8 job_task_operator_pendingRecords gauge 11 job_id subtask_index=0 48213\n"
		"8 job_task_operator_pendingRecords gauge 11 job_id subtask_index=1 1063412\n"
		"3 job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max gauge 11 job_id subtask_index=0 48213\n"
		"3 job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max gauge 11 job_id subtask_index=1 nan\n";
	static const char lat_want[] =
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency_count summary 7 job_id tm_id=10_244_1_17:6122_9c1d4e 1204\n"
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency summary 8 job_id quantile=0.5 3\n"
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency summary 8 job_id quantile=0.75 5\n"
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency summary 8 job_id quantile=0.95 12.949999999999989\n"
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency summary 8 job_id quantile=0.98 19\n"
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency summary 8 job_id quantile=0.99 27\n"
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency summary 8 job_id quantile=0.999 88\n"
		"4 job_latency_source_id_operator_id_operator_subtask_index_latency_count summary 7 job_id tm_id=10_244_1_17:6122_9c1d4e 1187\n";
	struct buf file = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	struct pp_filter *f = pp_filter_new();
	struct pp_parser *p;
	const struct pp_stats *st;
	struct err e;

	(void)state;
	err_clear(&e);
	if (buf_add_file(&file, "tests/data/flink-tm-2slot.prom", &e))
		fail_msg("run from the repository root: %s", e.msg);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_job_task_busyTimeMsPerSecond", 1), 0);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_job_task_currentInputWatermark", 2), 0);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max", 3), 0);
	assert_int_equal(pp_filter_add_pattern(f, "flink_taskmanager_job_latency_", "_latency", 4), 0);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_Status_JVM_Memory_Heap_Used", 5), 0);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_Status_JVM_Memory_Heap_Max", 6), 0);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_Status_JVM_CPU_Time", 7), 0);
	assert_int_equal(pp_filter_add(f, "flink_taskmanager_job_task_operator_pendingRecords", 8), 0);
	p = pp_new(NULL, f, flink_cb, &out);
	for (size_t off = 0; off < file.len; off += 4096) {
		size_t n = file.len - off < 4096 ? file.len - off : 4096;
		assert_int_equal(pp_feed(p, file.p + off, n, &e), 0);
	}
	assert_int_equal(pp_finish(p, &e), 0);
	st = pp_get_stats(p);
	assert_int_equal(st->bytes, 72764);
	assert_int_equal(st->lines, 253);
	assert_int_equal(st->samples, 169);
	assert_int_equal(st->families, 42);
	assert_int_equal(st->kept, 17 + 28);
	assert_true(out.len > sizeof(want));
	assert_memory_equal(out.p, want, sizeof(want) - 1);
	assert_memory_equal(out.p + sizeof(want) - 1, lat_want,
			    sizeof(lat_want) - 1);
	pp_free(p);
	pp_filter_free(f);
	buf_release(&file);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__whole_page__exact_samples),
		cmocka_unit_test(parse__every_split__same_samples),
		cmocka_unit_test(filter__only_wanted_families_with_ids),
		cmocka_unit_test(filter__many_names__table_grows),
		cmocka_unit_test(values__java_and_go_spellings),
		cmocka_unit_test(errors__line_and_column),
		cmocka_unit_test(limits__each_enforced),
		cmocka_unit_test(reuse__reset_and_sticky_error),
		cmocka_unit_test(callback__abort_stops_parse),
		cmocka_unit_test(parse__comments_blank_lines_leading_blanks__ignored),
		cmocka_unit_test(parse__blanks_tabs_trailing_comma__same_sample),
		cmocka_unit_test(labels__escapes_and_specials__exact_bytes),
		cmocka_unit_test(values__nan_inf_spellings__any_case),
		cmocka_unit_test(values__invalid_spellings__invalid_number_at_value),
		cmocka_unit_test(values__very_long_decimal__correctly_rounded),
		cmocka_unit_test(timestamps__int64_range__exact_or_invalid),
		cmocka_unit_test(families__summary_histogram_suffixes__family_and_type),
		cmocka_unit_test(families__help_only_type_only_untyped__counted),
		cmocka_unit_test(filter__unwanted_lines__skipped_after_name),
		cmocka_unit_test(filter__exact_and_patterns__precedence_and_order),
		cmocka_unit_test(filter__every_split__same_samples),
		cmocka_unit_test(chunks__every_pair_of_cuts__same_samples),
		cmocka_unit_test(feed__empty_chunks__no_effect),
		cmocka_unit_test(errors__each_kind__exact_line_and_column),
		cmocka_unit_test(errors__every_split__same_error_and_samples),
		cmocka_unit_test(limits__at_the_limit__accepted),
		cmocka_unit_test(limits__page_exactly_max__accepted_for_every_split),
		cmocka_unit_test(limits__page_over_max__same_error_for_every_split),
		cmocka_unit_test(reset__mid_family_mid_line_after_error__fresh_page),
		cmocka_unit_test(callback__abort_without_message__code_returned_and_sticky),
		cmocka_unit_test(sticky__error_first_seen_without_err__same_error_later),
		cmocka_unit_test(parse__no_callback__counts_only),
		cmocka_unit_test(pp_type_name__every_type__names),
		cmocka_unit_test(parse__flink_2slot_page__adapter_families_exact),
		/* last: under UBSan a failure here ends the program */
		cmocka_unit_test(feed__null_empty_chunk_with_partial_line__no_effect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
