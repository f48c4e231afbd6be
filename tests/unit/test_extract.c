/*
 * test_extract.c - catalogue values computed from Flink TaskManager pages:
 * every built-in input, the fallbacks (Kafka lag for pendingRecords, input
 * watermark for watermarkLag, CPU load without a request), per-job partials
 * and custom rules with matchers, aggregation and scale.  Expected values
 * are computed by hand from the page text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/collect/extract.h"

#define TM "host=\"10_0_0_1\",tm_id=\"tm-1\","
#define J1 "job_id=\"a1\",job_name=\"orders\","
#define J2 "job_id=\"b2\",job_name=\"clicks\","

static const char page[] =
	"# HELP flink_taskmanager_Status_JVM_CPU_Time Time (scope: taskmanager_Status_JVM_CPU)\n"
	"# TYPE flink_taskmanager_Status_JVM_CPU_Time gauge\n"
	"flink_taskmanager_Status_JVM_CPU_Time{" TM "} 1.0E10\n"
	"# TYPE flink_taskmanager_Status_JVM_CPU_Load gauge\n"
	"flink_taskmanager_Status_JVM_CPU_Load{" TM "} 0.25\n"
	"# TYPE flink_taskmanager_Status_JVM_Memory_Heap_Used gauge\n"
	"flink_taskmanager_Status_JVM_Memory_Heap_Used{" TM "} 2.5E8\n"
	"# TYPE flink_taskmanager_Status_JVM_Memory_Heap_Max gauge\n"
	"flink_taskmanager_Status_JVM_Memory_Heap_Max{" TM "} 1.0E9\n"
	"# TYPE flink_taskmanager_job_task_busyTimeMsPerSecond gauge\n"
	"flink_taskmanager_job_task_busyTimeMsPerSecond{" TM J1 "subtask_index=\"0\",} 300.0\n"
	"flink_taskmanager_job_task_busyTimeMsPerSecond{" TM J1 "subtask_index=\"1\",} 700.0\n"
	"flink_taskmanager_job_task_busyTimeMsPerSecond{" TM J2 "subtask_index=\"0\",} 900.0\n"
	"flink_taskmanager_job_task_busyTimeMsPerSecond{" TM J2 "subtask_index=\"1\",} NaN\n"
	"# TYPE flink_taskmanager_job_task_backPressuredTimeMsPerSecond gauge\n"
	"flink_taskmanager_job_task_backPressuredTimeMsPerSecond{" TM J1 "subtask_index=\"0\",} 120.0\n"
	"# TYPE flink_taskmanager_job_task_operator_pendingRecords gauge\n"
	"flink_taskmanager_job_task_operator_pendingRecords{" TM J1 "operator_name=\"Source:_Kafka\",subtask_index=\"0\",} 1000.0\n"
	"flink_taskmanager_job_task_operator_pendingRecords{" TM J1 "operator_name=\"Source:_Kafka\",subtask_index=\"1\",} 500.0\n"
	"# TYPE flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max gauge\n"
	"flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max{" TM J2 "subtask_index=\"0\",} 42.0\n"
	"flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max{" TM J2 "subtask_index=\"1\",} -Inf\n"
	"# TYPE flink_taskmanager_job_task_currentInputWatermark gauge\n"
	"flink_taskmanager_job_task_currentInputWatermark{" TM J1 "subtask_index=\"0\",} 1.7040672E12\n"
	"flink_taskmanager_job_task_currentInputWatermark{" TM J1 "subtask_index=\"1\",} 1.704067195E12\n"
	"flink_taskmanager_job_task_currentInputWatermark{" TM J2 "subtask_index=\"0\",} -9.223372036854776E18\n"
	"# TYPE flink_taskmanager_job_task_operator_watermarkLag gauge\n"
	"flink_taskmanager_job_task_operator_watermarkLag{" TM J2 "subtask_index=\"0\",} 2500.0\n"
	"# TYPE flink_taskmanager_job_task_operator_currentEmitEventTimeLag gauge\n"
	"flink_taskmanager_job_task_operator_currentEmitEventTimeLag{" TM J1 "subtask_index=\"0\",} 800.0\n"
	"flink_taskmanager_job_task_operator_currentEmitEventTimeLag{" TM J2 "subtask_index=\"0\",} 1200.0\n"
	"# TYPE flink_taskmanager_job_latency_source_id_operator_id_operator_subtask_index_latency summary\n"
	"flink_taskmanager_job_latency_source_id_operator_id_operator_subtask_index_latency{" TM J2 "source_id=\"s\",operator_id=\"o\",operator_subtask_index=\"0\",quantile=\"0.5\",} 10.0\n"
	"flink_taskmanager_job_latency_source_id_operator_id_operator_subtask_index_latency{" TM J2 "source_id=\"s\",operator_id=\"o\",operator_subtask_index=\"0\",quantile=\"0.99\",} 350.0\n"
	"flink_taskmanager_job_latency_source_id_operator_id_operator_subtask_index_latency_count{" TM J2 "source_id=\"s\",operator_id=\"o\",operator_subtask_index=\"0\",} 99999.0\n"
	"# TYPE flink_taskmanager_job_task_numRecordsInPerSecond gauge\n"
	"flink_taskmanager_job_task_numRecordsInPerSecond{" TM J1 "task_name=\"Map\",subtask_index=\"0\",} 150.0\n"
	"flink_taskmanager_job_task_numRecordsInPerSecond{" TM J1 "task_name=\"Map\",subtask_index=\"1\",} 250.0\n"
	"flink_taskmanager_job_task_numRecordsInPerSecond{" TM J1 "task_name=\"Sink\",subtask_index=\"0\",} 5000.0\n";

/* 1704067200000 ms = 2024-01-01T00:00:00Z */
#define NOW 1704067210000LL

static struct ex_page *parse(struct ex_spec *spec)
{
	struct ex_page *pg = ex_page_new(spec);
	struct err e;

	assert_non_null(pg);
	err_clear(&e);
	assert_int_equal(pp_parse(page, sizeof(page) - 1, NULL,
				  ex_spec_filter(spec), ex_sample, pg, &e), 0);
	return pg;
}

static void pod_values__full_page__match_hand_computation(void **state)
{
	struct ex_spec *spec = ex_spec_new(NULL, 0, NULL);
	struct ex_page *pg = parse(spec);
	struct ex_cpu_state cpu = { 0, 0, false };
	double v[CAT_N];
	bool has[CAT_N];

	(void)state;
	ex_pod_values(pg, 0, NOW, &cpu, v, has); /* no request: CPU load */
	assert_true(has[CAT_TM_CPU_UTILIZATION]);
	assert_float_equal(v[CAT_TM_CPU_UTILIZATION], 25.0, 1e-9);
	assert_float_equal(v[CAT_TM_HEAP_UTILIZATION], 25.0, 1e-9);
	assert_float_equal(v[CAT_TM_BUSY_RATIO], 0.9, 1e-12); /* NaN skipped */
	assert_float_equal(v[CAT_TM_BACKPRESSURED_RATIO], 0.12, 1e-12);
	assert_float_equal(v[CAT_TM_BACKLOG], 1500.0, 1e-9);
	assert_float_equal(v[CAT_TM_WATERMARK_LAG], 2.5, 1e-12); /* source */
	assert_float_equal(v[CAT_TM_EVENT_TIME_LAG], 1.2, 1e-12);
	assert_int_equal(pg->njobs, 2);
	ex_page_free(pg);
	ex_spec_free(spec);
}

static void job_values__two_jobs__partials_and_fallbacks(void **state)
{
	struct ex_spec *spec = ex_spec_new(NULL, 0, NULL);
	struct ex_page *pg = parse(spec);
	double v[CAT_N];
	bool has[CAT_N];

	(void)state;
	assert_string_equal(pg->job[0].name, "orders");
	ex_job_values(pg, 0, NOW, v, has);
	assert_float_equal(v[CAT_JOB_BACKLOG], 1500.0, 1e-9);
	/* no watermarkLag: now - min input watermark = 15 s */
	assert_float_equal(v[CAT_JOB_WATERMARK_LAG], 15.0, 1e-9);
	/* no latency markers: emit lag */
	assert_float_equal(v[CAT_JOB_LATENCY], 0.8, 1e-12);
	assert_float_equal(v[CAT_JOB_BUSY_RATIO], 0.7, 1e-12);

	assert_string_equal(pg->job[1].name, "clicks");
	ex_job_values(pg, 1, NOW, v, has);
	assert_float_equal(v[CAT_JOB_BACKLOG], 42.0, 1e-9); /* Kafka, -Inf out */
	assert_float_equal(v[CAT_JOB_WATERMARK_LAG], 2.5, 1e-12);
	assert_float_equal(v[CAT_JOB_LATENCY], 0.35, 1e-12); /* p99 marker */
	assert_float_equal(v[CAT_JOB_BUSY_RATIO], 0.9, 1e-12);
	ex_page_free(pg);
	ex_spec_free(spec);
}

static void cpu__with_request__rate_of_cpu_time(void **state)
{
	struct ex_spec *spec = ex_spec_new(NULL, 0, NULL);
	struct ex_page *pg = parse(spec);
	struct ex_cpu_state cpu = { 7.0e9, NOW - 5000, true };
	double v[CAT_N];
	bool has[CAT_N];

	(void)state;
	/* 3e9 ns in 5 s = 0.6 cores; request 0.5 cores: 120 % */
	ex_pod_values(pg, 0.5, NOW, &cpu, v, has);
	assert_true(has[CAT_TM_CPU_UTILIZATION]);
	assert_float_equal(v[CAT_TM_CPU_UTILIZATION], 120.0, 1e-9);
	assert_float_equal(cpu.cpu_ns, 1.0e10, 1);
	assert_int_equal(cpu.at_ms, NOW);
	/* first page: no rate yet */
	cpu.valid = false;
	ex_pod_values(pg, 0.5, NOW, &cpu, v, has);
	assert_false(has[CAT_TM_CPU_UTILIZATION]);
	/* counter went back (JVM restart): no value, state reset */
	cpu.cpu_ns = 2.0e10;
	cpu.at_ms = NOW - 5000;
	ex_pod_values(pg, 0.5, NOW, &cpu, v, has);
	assert_false(has[CAT_TM_CPU_UTILIZATION]);
	assert_float_equal(cpu.cpu_ns, 1.0e10, 1);
	ex_page_free(pg);
	ex_spec_free(spec);
}

static void custom_rules__matchers_agg_scale(void **state)
{
	static const struct ex_matcher map[] = { { "task_name", "Map", false } };
	static const struct ex_matcher not_map[] = { { "task_name", "Map", true } };
	static const struct ex_rule rules[] = {
		{ "map_input_rate", "flink_taskmanager_job_task_numRecordsInPerSecond",
		  map, 1, EX_AGG_SUM, EX_AGG_SUM, 1 },
		{ "other_input_krate", "flink_taskmanager_job_task_numRecordsInPerSecond",
		  not_map, 1, EX_AGG_MAX, EX_AGG_MAX, 0.001 },
		{ "busy_avg", "flink_taskmanager_job_task_busyTimeMsPerSecond",
		  NULL, 0, EX_AGG_AVG, EX_AGG_AVG, 1 },
		{ "absent", "flink_taskmanager_no_such_family", NULL, 0,
		  EX_AGG_SUM, EX_AGG_SUM, 1 },
	};
	struct ex_spec *spec = ex_spec_new(rules, 4, NULL);
	struct ex_page *pg;
	double x;

	(void)state;
	assert_non_null(spec);
	pg = parse(spec);
	assert_true(ex_custom_value(pg, 0, &x));
	assert_float_equal(x, 400.0, 1e-9);
	assert_true(ex_custom_value(pg, 1, &x));
	assert_float_equal(x, 5.0, 1e-12);
	/* the rule shares its family with a built-in input: both see it */
	assert_true(ex_custom_value(pg, 2, &x));
	assert_float_equal(x, (300.0 + 700.0 + 900.0) / 3, 1e-9);
	assert_false(ex_custom_value(pg, 3, &x));
	assert_true(ex_custom_job_value(pg, 0, 2, &x));
	assert_float_equal(x, 500.0, 1e-9);
	assert_true(ex_custom_job_value(pg, 1, 2, &x));
	assert_float_equal(x, 900.0, 1e-9);
	assert_true(pg->in[EX_BUSY].n == 3);
	ex_page_free(pg);
	ex_spec_free(spec);
}

static void page_reset__reuse__no_leftovers(void **state)
{
	struct ex_spec *spec = ex_spec_new(NULL, 0, NULL);
	struct ex_page *pg = parse(spec);
	struct ex_cpu_state cpu = { 0, 0, false };
	double v[CAT_N];
	bool has[CAT_N];

	(void)state;
	ex_page_reset(pg);
	assert_int_equal(pg->njobs, 0);
	ex_pod_values(pg, 0, NOW, &cpu, v, has);
	for (int i = 0; i < CAT_N; i++)
		assert_false(has[i]);
	ex_page_free(pg);
	ex_spec_free(spec);
}

static void acc__aggregations(void **state)
{
	struct ex_acc a;
	double x;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_false(ex_acc_get(&a, EX_AGG_SUM, &x));
	ex_acc_add(&a, EX_AGG_MIN, 5);
	ex_acc_add(&a, EX_AGG_MIN, -2);
	ex_acc_add(&a, EX_AGG_MIN, 3);
	assert_true(ex_acc_get(&a, EX_AGG_MIN, &x));
	assert_float_equal(x, -2, 0);
	memset(&a, 0, sizeof(a));
	ex_acc_add(&a, EX_AGG_AVG, 1);
	ex_acc_add(&a, EX_AGG_AVG, 2);
	assert_true(ex_acc_get(&a, EX_AGG_AVG, &x));
	assert_float_equal(x, 1.5, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pod_values__full_page__match_hand_computation),
		cmocka_unit_test(job_values__two_jobs__partials_and_fallbacks),
		cmocka_unit_test(cpu__with_request__rate_of_cpu_time),
		cmocka_unit_test(custom_rules__matchers_agg_scale),
		cmocka_unit_test(page_reset__reuse__no_leftovers),
		cmocka_unit_test(acc__aggregations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
