/*
 * test_promparse.c - the streaming Prometheus text parser: exact samples
 * (names, families, types, labels, values, timestamps), the same result for
 * every way of cutting the input into chunks, the family filter and its
 * patterns, limits, errors with positions, reuse and sticky errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/promparse.h"
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
