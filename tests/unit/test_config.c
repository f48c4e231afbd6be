/*
 * test_config.c - the adapter's configuration file: a full valid file
 * becomes extractor rules; every kind of bad input (syntax, unknown and
 * duplicate keys, missing required keys, bad values, clashing names) is
 * refused with its line and column.  Also the standalone targets file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "adapter/collect/config.h"
#include "adapter/collect/targets.h"

static char path[64];

static const char *write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/fh-config-%d.yaml", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void load__full_file__rules_for_the_extractor(void **state)
{
	struct adapter_config c;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(config_load(write_file(
		"apiVersion: flinkhpa.io/v1\n"
		"kind: AdapterConfig\n"
		"rules:\n"
		"  - name: kafka_lag\n"
		"    family: flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max\n"
		"    match: {topic: orders, partition: \"0\"}\n"
		"    exclude: {operator_name: Sink}\n"
		"    aggregate: max\n"
		"    jobAggregate: avg\n"
		"    scale: 0.001\n"
		"  - name: input_rate\n"
		"    family: flink_taskmanager_job_task_numRecordsInPerSecond\n"),
		&c, &e), 0);
	assert_int_equal(c.nrules, 2);
	assert_string_equal(c.rules[0].name, "kafka_lag");
	assert_int_equal(c.rules[0].agg, EX_AGG_MAX);
	assert_int_equal(c.rules[0].job_agg, EX_AGG_AVG);
	assert_float_equal(c.rules[0].scale, 0.001, 0);
	assert_int_equal(c.rules[0].nmatch, 3);
	assert_string_equal(c.rules[0].match[1].label, "partition");
	assert_string_equal(c.rules[0].match[1].value, "0");
	assert_false(c.rules[0].match[1].negate);
	assert_true(c.rules[0].match[2].negate);
	assert_int_equal(c.rules[1].agg, EX_AGG_SUM); /* defaults */
	assert_float_equal(c.rules[1].scale, 1, 0);
	config_release(&c);
}

static void load__bad_input__position_and_reason(void **state)
{
	static const struct { const char *text, *msg; unsigned long line, col; } bad[] = {
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules: [\n",
		  "did not find expected node content", 4, 1 },
		{ "apiVersion: flinkhpa.io/v2\nkind: AdapterConfig\n",
		  "apiVersion: must be flinkhpa.io/v1", 1, 13 },
		{ "kind: AdapterConfig\n", "config: missing required key \"apiVersion\"", 1, 1 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\ncolour: red\n",
		  "config: unknown key \"colour\"", 3, 1 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nkind: AdapterConfig\n",
		  "config: duplicate key \"kind\"", 3, 1 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - name: x\n",
		  "rules[]: missing required key \"family\"", 4, 5 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - name: x\n    family: f\n    aggregate: median\n",
		  "aggregate: \"median\" is not one of: sum, max, min, avg", 6, 16 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - name: x\n    family: f\n    scale: 0\n",
		  "scale: must not be 0", 6, 12 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - name: flink_tm_backlog\n    family: f\n",
		  "name: \"flink_tm_backlog\" is a catalogue metric already", 4, 11 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - name: a/b\n    family: f\n",
		  "name: \"a/b\" may hold only letters, digits and '_'", 4, 11 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - name: x\n    family: 9f\n",
		  "family: \"9f\" is not a Prometheus metric name", 5, 13 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - {name: x, family: f}\n  - {name: x, family: g}\n",
		  "rules[]: duplicate rule name \"x\"", 5, 5 },
		{ "apiVersion: flinkhpa.io/v1\nkind: AdapterConfig\nrules:\n  - {name: x, family: f, match: [a]}\n",
		  "match: expected a mapping of label names to values", 4, 33 },
	};
	struct adapter_config c;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		if (config_load(write_file(bad[i].text), &c, &e) == 0)
			fail_msg("case %zu accepted", i);
		if (!strstr(e.msg, bad[i].msg) || e.line != bad[i].line ||
		    e.col != bad[i].col)
			fail_msg("case %zu: got %lu:%lu: %s", i, e.line, e.col,
				 e.msg);
		assert_int_equal(c.nrules, 0);
	}
}

static void targets__file__parsed_and_checked(void **state)
{
	struct target_list l;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(targets_load(write_file(
		"targets:\n"
		"  - namespace: flink\n"
		"    pod: tm-1\n"
		"    url: http://127.0.1.1:9249/metrics\n"
		"    cpuRequest: 1500m\n"
		"    labels: {app: flink}\n"
		"  - {namespace: flink, pod: tm-2, url: \"http://127.0.1.2:9249/\", cpuRequest: \"2\"}\n"),
		&l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_float_equal(l.v[0].cpu_request, 1.5, 1e-12);
	assert_float_equal(l.v[1].cpu_request, 2, 0);
	assert_string_equal(l.v[0].labels[0], "app");
	assert_string_equal(l.v[0].labels[1], "flink");
	assert_null(l.v[1].labels[0]);
	targets_release(&l);
	assert_int_equal(targets_load(write_file(
		"targets:\n  - {namespace: a, pod: p, url: \"http://x/\"}\n"
		"  - {namespace: a, pod: p, url: \"http://y/\"}\n"), &l, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "duplicate pod \"a/p\""));
	assert_int_equal(e.line, 3);
	assert_int_equal(targets_load(write_file(
		"targets:\n  - {namespace: a, pod: p, url: \"ftp://x/\"}\n"), &l, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "url: must start with http:// or https://"));
	assert_int_equal(targets_load(write_file(
		"targets:\n  - {namespace: a, pod: p, url: \"http://x/\", cpuRequest: lots}\n"), &l, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "cpuRequest: expected a CPU quantity"));
	assert_int_equal(targets_load(write_file("nothing: here\n"), &l, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "unknown key \"nothing\""));
	assert_int_equal(targets_load("/nonexistent/x.yaml", &l, &e), ERR_IO);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load__full_file__rules_for_the_extractor),
		cmocka_unit_test(load__bad_input__position_and_reason),
		cmocka_unit_test(targets__file__parsed_and_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
