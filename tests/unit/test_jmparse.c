/*
 * test_jmparse.c - reading a Flink JobManager's REST answers: the job to
 * follow from /jobs/overview (by name as written or as in metric labels,
 * RUNNING first, newest first), its vertices, the slots, the metric ids to
 * ask for, the aggregates folded per kind, error bodies, and bad bodies
 * refused with a message.  The answers are in tests/data/jobmanager/ in
 * Flink 1.18's shapes (run from the repository root, as make test does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/flink/jmparse.h"

static struct buf loaded; /* the latest file */

static char *load(const char *name)
{
	char path[256];
	struct err e;

	buf_release(&loaded);
	buf_init(&loaded, 1 << 20);
	snprintf(path, sizeof(path), "tests/data/jobmanager/%s", name);
	if (buf_add_file(&loaded, path, &e))
		fail_msg("%s", e.msg);
	return loaded.p;
}

static void pick__by_name__running_newest(void **state)
{
	char jid[JMP_ID_MAX], name[64];
	const char *body = load("jobs-overview.json");

	(void)state;
	assert_int_equal(jmp_pick_job(body, "orders-enrichment", jid, name,
				      sizeof(name), NULL), 0);
	assert_string_equal(jid, "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b");
	assert_string_equal(name, "orders-enrichment");
	/* as Flink writes it in metric labels */
	assert_int_equal(jmp_pick_job(body, "orders_enrichment", jid, name,
				      sizeof(name), NULL), 0);
	assert_string_equal(jid, "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b");
	/* no name: the RUNNING one */
	assert_int_equal(jmp_pick_job(body, "", jid, name, sizeof(name), NULL),
			 0);
	assert_string_equal(name, "orders-enrichment");
}

static void pick__not_running__notfound_with_state(void **state)
{
	char jid[JMP_ID_MAX], name[64];
	const char *body = load("jobs-overview.json");
	struct err e;

	(void)state;
	assert_int_equal(jmp_pick_job(body, "clicks", jid, name, sizeof(name),
				      &e), ERR_NOTFOUND);
	assert_string_equal(e.msg, "job \"clicks\" is RESTARTING");
	assert_int_equal(jmp_pick_job(body, "nope", jid, name, sizeof(name),
				      &e), ERR_NOTFOUND);
	assert_string_equal(e.msg, "no job named \"nope\"");
	assert_int_equal(jmp_pick_job("{\"jobs\":[]}", "", jid, name,
				      sizeof(name), &e), ERR_NOTFOUND);
	assert_string_equal(e.msg, "no job");
}

static void pick__bad_bodies__refused(void **state)
{
	char jid[JMP_ID_MAX], name[64];
	struct err e;

	(void)state;
	assert_int_equal(jmp_pick_job("<html>", "", jid, name, sizeof(name),
				      &e), ERR_INVAL);
	assert_string_equal(e.msg, "/jobs/overview: not a JSON object");
	assert_int_equal(jmp_pick_job("{\"jobs\":5}", "", jid, name,
				      sizeof(name), &e), ERR_INVAL);
	assert_int_equal(jmp_pick_job("{\"jobs\":[{\"name\":\"a\",\"state\":"
				      "\"RUNNING\"}]}", "a", jid, name,
				      sizeof(name), &e), ERR_INVAL);
	assert_string_equal(e.msg, "/jobs/overview: a job without a valid "
				   "jid or name");
}

static void job__vertices_and_parallelism(void **state)
{
	static struct jmp_job j;
	struct err e;

	(void)state;
	assert_int_equal(jmp_job(load("job.json"), &j, NULL), 0);
	assert_string_equal(j.state, "RUNNING");
	assert_int_equal(j.n, 2);
	assert_string_equal(j.v[0].id, "cbc357ccb763df2852fee8c4fc7d55f2");
	assert_int_equal(j.v[0].parallelism, 4);
	assert_int_equal(j.v[0].max_parallelism, 128);
	assert_int_equal(j.v[1].parallelism, 2);
	assert_int_equal(jmp_job("{\"vertices\":[{\"id\":\"x\"}]}", &j, &e),
			 ERR_INVAL);
	assert_string_equal(e.msg, "/jobs/:jobid: a vertex without a valid "
				   "id or parallelism");
	assert_int_equal(jmp_job("[]", &j, &e), ERR_INVAL);
}

static void job__too_many_vertices__limit(void **state)
{
	static struct jmp_job j;
	struct buf b = BUF_INIT(1 << 20);
	struct err e;

	(void)state;
	buf_adds(&b, "{\"vertices\":[");
	for (int i = 0; i <= JMP_MAX_VERTICES; i++)
		buf_addf(&b, "%s{\"id\":\"v%d\",\"parallelism\":1}",
			 i ? "," : "", i);
	buf_adds(&b, "]}");
	assert_int_equal(jmp_job(b.p, &j, &e), ERR_LIMIT);
	buf_release(&b);
}

static void slots__summed(void **state)
{
	int64_t total, free_slots;
	struct err e;

	(void)state;
	assert_int_equal(jmp_slots(load("taskmanagers.json"), &total,
				   &free_slots, NULL), 0);
	assert_int_equal(total, 4);
	assert_int_equal(free_slots, 1);
	assert_int_equal(jmp_slots("{\"taskmanagers\":[{\"slotsNumber\":1,"
				   "\"freeSlots\":2}]}", &total, &free_slots,
				   &e), ERR_INVAL);
}

static void metric_ids__the_ones_we_read(void **state)
{
	struct buf get = BUF_INIT(JMP_GET_MAX);
	struct err e;

	(void)state;
	assert_int_equal(jmp_metric_ids(load("metric-ids.json"), &get, NULL), 0);
	assert_string_equal(get.p,
			    "busyTimeMsPerSecond,Source__orders.pendingRecords,"
			    "backPressuredTimeMsPerSecond,currentInputWatermark,"
			    "Source__orders.KafkaSourceReader.KafkaConsumer."
			    "records-lag-max,Source__orders.currentEmitEventTimeLag");
	buf_release(&get);
	buf_init(&get, 30);
	assert_int_equal(jmp_metric_ids(load("metric-ids.json"), &get, &e),
			 ERR_LIMIT);
	buf_release(&get);
	buf_init(&get, 30);
	assert_int_equal(jmp_metric_ids("[]", &get, NULL), 0);
	assert_int_equal(get.len, 0);
	buf_release(&get);
}

static void aggregates__folded_per_kind(void **state)
{
	struct jmp_values v = { 0 };

	(void)state;
	assert_int_equal(jmp_aggregates(load("aggregates.json"), &v, NULL), 0);
	assert_int_equal(v.has, JMP_BUSY | JMP_BACKPRESSURED | JMP_PENDING |
					JMP_KAFKA_LAG | JMP_WATERMARK);
	assert_float_equal(v.busy, 950, 0);
	assert_float_equal(v.backpressured, 15, 0);
	assert_float_equal(v.pending, 1004, 0); /* two sources: summed */
	assert_float_equal(v.kafka_lag, 20, 0);
	assert_float_equal(v.watermark, 1732526455000.0, 0);
	/* NaN (Jackson quotes it) is no value */
	assert_false(v.has & JMP_EMIT_LAG);
	/* a subtask without a watermark yet: Long.MIN_VALUE, left out */
	memset(&v, 0, sizeof(v));
	assert_int_equal(jmp_aggregates("[{\"id\":\"currentInputWatermark\","
					"\"min\":-9.223372036854776E18}]",
					&v, NULL), 0);
	assert_int_equal(v.has, 0);
	assert_int_equal(jmp_aggregates("{}", &v, NULL), ERR_INVAL);
	/* an id gone since the list: Flink answers [] for the whole list */
	assert_int_equal(jmp_aggregates("[]", &v, NULL), ERR_NOTFOUND);
}

static void errors__first_line_of_first_message(void **state)
{
	char msg[256];

	(void)state;
	assert_true(jmp_errors(load("error.json"), msg, sizeof(msg)));
	assert_string_equal(msg, "org.apache.flink.runtime.rest."
				 "NotFoundException: Job "
				 "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7c not found");
	assert_true(jmp_errors("{\"errors\":[\"Not found: /x\"]}", msg, 8));
	assert_string_equal(msg, "Not fou");
	assert_false(jmp_errors("{\"errors\":[]}", msg, sizeof(msg)));
	assert_false(jmp_errors("oops", msg, sizeof(msg)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pick__by_name__running_newest),
		cmocka_unit_test(pick__not_running__notfound_with_state),
		cmocka_unit_test(pick__bad_bodies__refused),
		cmocka_unit_test(job__vertices_and_parallelism),
		cmocka_unit_test(job__too_many_vertices__limit),
		cmocka_unit_test(slots__summed),
		cmocka_unit_test(metric_ids__the_ones_we_read),
		cmocka_unit_test(aggregates__folded_per_kind),
		cmocka_unit_test(errors__first_line_of_first_message),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	buf_release(&loaded);
	return rc;
}
