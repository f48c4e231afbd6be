/*
 * test_javafmt.c - the Flink emulator's page writing (hack/emu): doubles as
 * Java's Double.toString prints them (expected strings taken from JDK 25),
 * and generated TaskManager pages read back by our parser with the series,
 * families, values and labels that were written.
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
#include "hack/emu/flinkpage.h"
#include "hack/emu/javafmt.h"

/* ---- javafmt ---- */

static const struct {
	uint64_t bits;
	const char *java;
} java_cases[] = {
	{ 0x0000000000000000ULL, "0.0" },
	{ 0x8000000000000000ULL, "-0.0" },
	{ 0x3ff0000000000000ULL, "1.0" },
	{ 0x405ec00000000000ULL, "123.0" },
	{ 0x3f50624dd2f1a9fcULL, "0.001" },
	{ 0x3f1a36e2eb1c432dULL, "1.0E-4" },
	{ 0x418a4a1440000000ULL, "5.5132808E7" },
	{ 0x416312d000000000ULL, "1.0E7" },
	{ 0x416312cfe0000000ULL, "9999999.0" },
	{ 0xc3e0000000000000ULL, "-9.223372036854776E18" },
	{ 0x3fb999999999999aULL, "0.1" },
	{ 0x3ee4f8b588e368f1ULL, "1.0E-5" },
	{ 0x419d6f34547e69adULL, "1.2345678912345E8" },
	{ 0x47efffffe0000000ULL, "3.4028234663852886E38" },
	{ 0x0000000000000001ULL, "4.9E-324" },
	{ 0x7fefffffffffffffULL, "1.7976931348623157E308" },
	{ 0x0010000000000000ULL, "2.2250738585072014E-308" },
	{ 0x0000000000000002ULL, "9.9E-324" },
	{ 0x44b52d02c7e14af6ULL, "1.0E23" },
	{ 0x3f60624dd2f1a9fcULL, "0.002" },
	{ 0x3f50624dd2f1a9fbULL, "9.999999999999998E-4" },
	{ 0x416312cfffffffffULL, "9999999.999999998" },
	{ 0x3fd3333333333333ULL, "0.3" },
	{ 0x3fe5555555555555ULL, "0.6666666666666666" },
	{ 0x4059000000000000ULL, "100.0" },
	{ 0x444b1ae4d6e2ef50ULL, "1.0E21" },
	{ 0x4480f0cf064dd592ULL, "1.0E22" },
	{ 0x40fe240c9fbe76c9ULL, "123456.789" },
	{ 0x3fb99999a0000000ULL, "0.10000000149011612" },
	{ 0x42793610bbc53000ULL, "1.732499979347E12" },
	{ 0xbff8000000000000ULL, "-1.5" },
	{ 0x3f3c8216c61522a7ULL, "4.35E-4" },
	{ 0x4340000000000000ULL, "9.007199254740992E15" },
	{ 0x0000000000000003ULL, "1.5E-323" },
};

static double from_bits(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof d);
	return d;
}

static void jfmt__java_outputs(void **state)
{
	char out[JFMT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof java_cases / sizeof java_cases[0]; i++) {
		size_t n = jfmt_double(out, from_bits(java_cases[i].bits));

		assert_string_equal(out, java_cases[i].java);
		assert_int_equal(n, strlen(java_cases[i].java));
	}
}

static void jfmt__literals_and_specials(void **state)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 0.0, "0.0" },		{ 1.0, "1.0" },
		{ 123.0, "123.0" },	{ 0.001, "0.001" },
		{ 1.0E-4, "1.0E-4" },	{ 5.5132808E7, "5.5132808E7" },
		{ 1.0E7, "1.0E7" },	{ 9999999.0, "9999999.0" },
		{ -9.223372036854776E18, "-9.223372036854776E18" },
		{ 0.1, "0.1" },		{ 1.0E-5, "1.0E-5" },
		{ 1.2345678912345E8, "1.2345678912345E8" },
		{ 3.4028234663852886E38, "3.4028234663852886E38" },
		{ 4.9E-324, "4.9E-324" },
		{ NAN, "NaN" },		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};
	char out[JFMT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		jfmt_double(out, cases[i].v);
		assert_string_equal(out, cases[i].s);
	}
}

/* Whatever the double, the text reads back as the same double. */
static void jfmt__round_trip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char out[JFMT_MAX];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		double v, back;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = from_bits(x);
		if (isnan(v) || isinf(v))
			continue;
		assert_true(jfmt_double(out, v) < JFMT_MAX);
		back = strtod(out, NULL);
		assert_memory_equal(&back, &v, sizeof v);
	}
}

/* ---- generated pages, read back ---- */

struct written {
	double v[4096]; /* values handed out, in page order */
	size_t n;
};

static double record(void *ud, const struct fp_series *s)
{
	struct written *w = ud;
	double v = fp_demo_value(NULL, s);

	if (w->n < sizeof w->v / sizeof w->v[0])
		w->v[w->n] = v;
	w->n++;
	return v;
}

struct seen {
	const struct written *w;
	size_t n;
	size_t busy, lag_max, offsets, latency;
	bool bad_value, bad_host;
};

static const char *label(const struct pp_sample *s, const char *name,
			 size_t *len)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (s->labels[i].name_len == strlen(name) &&
		    !memcmp(s->labels[i].name, name, s->labels[i].name_len)) {
			*len = s->labels[i].value_len;
			return s->labels[i].value;
		}
	return NULL;
}

static bool family_is(const struct pp_sample *s, const char *name)
{
	return s->family_len == strlen(name) &&
	       !memcmp(s->family, name, s->family_len);
}

static int check(void *ud, const struct pp_sample *s, struct err *e)
{
	struct seen *sn = ud;
	const double *want = &sn->w->v[sn->n];
	size_t len = 0;
	const char *host = label(s, "host", &len);

	(void)e;
	if (sn->n < sizeof sn->w->v / sizeof sn->w->v[0] &&
	    memcmp(want, &s->value, sizeof s->value) &&
	    !(isnan(*want) && isnan(s->value)))
		sn->bad_value = true;
	if (!host || len != 11 || memcmp(host, "10_244_1_10", 11))
		sn->bad_host = true;
	sn->busy += family_is(s, "flink_taskmanager_job_task_busyTimeMsPerSecond");
	sn->lag_max += family_is(s, "flink_taskmanager_job_task_operator_"
				    "KafkaSourceReader_KafkaConsumer_records_lag_max");
	sn->offsets += family_is(s, "flink_taskmanager_job_task_operator_"
				    "KafkaSourceReader_topic_partition_currentOffset");
	if (family_is(s, "flink_taskmanager_job_latency_source_id_operator_id_"
			 "operator_subtask_index_latency")) {
		assert_int_equal(s->type, PP_SUMMARY);
		sn->latency++;
	}
	sn->n++;
	return 0;
}

static void page__parses_back_with_every_series(void **state)
{
	const struct fp_demo_opts o = { .jobs = 2, .slots = 3, .operators = 5,
					.partitions = 4, .latency = true };
	static struct written w;
	struct seen sn = { .w = &w };
	struct buf page = BUF_INIT(64 << 20);
	struct fp_stats st;
	struct err e;
	struct pp_parser *p;
	struct fp_tm *tm;

	(void)state;
	err_clear(&e);
	w.n = 0;
	tm = fp_demo_new(&o, &e);
	assert_non_null(tm);
	assert_int_equal(fp_write_page(&page, tm, record, &w, &st, &e), 0);
	assert_int_equal(st.series, w.n);
	assert_true(w.n <= sizeof w.v / sizeof w.v[0]);

	p = pp_new(NULL, NULL, check, &sn);
	assert_int_equal(pp_feed(p, page.p, page.len, &e), 0);
	assert_int_equal(pp_finish(p, &e), 0);
	assert_int_equal(pp_get_stats(p)->samples, st.series);
	assert_int_equal(pp_get_stats(p)->kept, st.series);
	assert_int_equal(pp_get_stats(p)->families, st.families);
	assert_int_equal(sn.n, st.series);
	assert_false(sn.bad_value);
	assert_false(sn.bad_host);
	/* 2 jobs x 3 tasks x 3 subtasks; one Kafka source per job */
	assert_int_equal(sn.busy, 2 * 3 * 3);
	assert_int_equal(sn.lag_max, 2 * 3);
	assert_int_equal(sn.offsets, 2 * 3 * 4);
	/* 4 non-source operators x 3 subtasks x (_count + 6 quantiles) */
	assert_int_equal(sn.latency, 2 * 4 * 3 * 7);
	pp_free(p);
	fp_demo_free(tm);
	buf_release(&page);
}

static double one(void *ud, const struct fp_series *s)
{
	(void)ud;
	(void)s;
	return 1.0;
}

struct names {
	char job[64], op[128];
};

static int grab_names(void *ud, const struct pp_sample *s, struct err *e)
{
	struct names *nm = ud;
	size_t len;
	const char *v;

	(void)e;
	if ((v = label(s, "job_name", &len)))
		snprintf(nm->job, sizeof nm->job, "%.*s", (int)len, v);
	if ((v = label(s, "operator_name", &len)))
		snprintf(nm->op, sizeof nm->op, "%.*s", (int)len, v);
	return 0;
}

/* Label values: Flink's replacement, or kept and escaped; operator names
 * cut at 80 characters. */
static void page__label_values(void **state)
{
	static const char long_name[] =
		"Map: a very long operator name that goes on and on, past the "
		"eighty characters Flink keeps";
	const struct fp_operator op = { "0123456789abcdef0123456789abcdef",
					long_name, FP_OP_SOURCE, NULL };
	const struct fp_subtask sub = { 0, 0, "a_b_0_0", NULL, 0 };
	const struct fp_task task = { op.id, "Map", &op, 1, &sub, 1, 0, false };
	const struct fp_job job = { "fedcba9876543210fedcba9876543210",
				    "a.b \"c\" \\d", &task, 1, "t" };
	struct fp_tm tm = { "10.244.1.10", "tm-1", NULL, 0, &job, 1, false,
			    false };
	struct buf page = BUF_INIT(1 << 20);
	struct names nm;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(fp_write_page(&page, &tm, one, NULL, NULL, &e), 0);
	assert_int_equal(pp_parse(page.p, page.len, NULL, NULL, grab_names,
				  &nm, &e), 0);
	assert_string_equal(nm.job, "a_b__c___d");
	assert_int_equal(strlen(nm.op), 80);
	assert_memory_equal(nm.op, "Map:_a_very_long", 16);

	tm.raw_label_values = true;
	buf_reset(&page);
	assert_int_equal(fp_write_page(&page, &tm, one, NULL, NULL, &e), 0);
	assert_non_null(strstr(page.p, "job_name=\"a.b \\\"c\\\" \\\\d\","));
	assert_int_equal(pp_parse(page.p, page.len, NULL, NULL, grab_names,
				  &nm, &e), 0);
	assert_string_equal(nm.job, "a.b \"c\" \\d");
	assert_int_equal(strlen(nm.op), 80);
	buf_release(&page);
}

static void page__full_buffer_is_limit(void **state)
{
	const struct fp_demo_opts o = { .jobs = 1, .slots = 1, .operators = 1 };
	struct buf page = BUF_INIT(4096);
	struct fp_tm *tm;
	struct err e;

	(void)state;
	err_clear(&e);
	tm = fp_demo_new(&o, &e);
	assert_non_null(tm);
	assert_int_equal(fp_write_page(&page, tm, fp_demo_value, NULL, NULL, &e),
			 ERR_LIMIT);
	assert_int_equal(e.code, ERR_LIMIT);
	fp_demo_free(tm);
	buf_release(&page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jfmt__java_outputs),
		cmocka_unit_test(jfmt__literals_and_specials),
		cmocka_unit_test(jfmt__round_trip),
		cmocka_unit_test(page__parses_back_with_every_series),
		cmocka_unit_test(page__label_values),
		cmocka_unit_test(page__full_buffer_is_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
