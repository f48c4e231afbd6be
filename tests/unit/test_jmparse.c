/*
 * test_jmparse.c - reading a Flink JobManager's REST answers: the jobs of
 * /jobs/overview and the one to follow (by name as written or as in metric
 * labels, live first, newest first; test_jobpick.c shows both callers
 * follow it), its vertices, the slots, the metric ids to
 * ask for, the aggregates folded per kind, error bodies, and bad bodies
 * refused with a message; the checkpoints (latest completed, savepoint,
 * restored), their retention, and what a cancelled job could be resumed
 * from.  The answers are in tests/data/jobmanager/ in
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

#define L(s) (s), strlen(s)

/* The id jmp_pick chooses from body for want; "" none. */
static const char *pick(const char *body, const char *want)
{
	static char id[JMP_ID_LEN];
	struct jmp_jobs jobs;
	const struct jmp_brief *b;

	assert_int_equal(jmp_jobs(L(body), &jobs, NULL), 0);
	b = jmp_pick(&jobs, want);
	snprintf(id, sizeof(id), "%s", b ? b->id : "");
	jmp_jobs_release(&jobs);
	return id;
}

static void pick__by_name__live_newest(void **state)
{
	const char *body = load("jobs-overview.json");
	struct jmp_jobs jobs;

	(void)state;
	assert_string_equal(pick(body, "orders-enrichment"),
			    "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b");
	/* as Flink writes it in metric labels */
	assert_string_equal(pick(body, "orders_enrichment"),
			    "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b");
	/* no name: the newest live one, RESTARTING or not */
	assert_string_equal(pick(body, ""), "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b");
	assert_string_equal(pick(body, "clicks"),
			    "aa11bb22cc33dd44ee55ff6677889900");
	assert_string_equal(pick(body, "nope"), "");
	assert_string_equal(pick("{\"jobs\":[]}", ""), "");
	assert_int_equal(jmp_jobs(L(body), &jobs, NULL), 0);
	assert_int_equal(jobs.n, 3);
	assert_string_equal(jobs.v[2].state, "RESTARTING");
	assert_string_equal(jobs.v[2].name, "clicks");
	assert_int_equal(jobs.v[2].start_time, 1732526100000);
	jmp_jobs_release(&jobs);
	assert_true(jmp_same_name("a-b c", "a_b_c"));
	assert_false(jmp_same_name("a-b", "a_bc"));
	assert_true(jmp_live("RESTARTING") && jmp_live("SUSPENDED"));
	assert_false(jmp_live("FINISHED") || jmp_live("FAILED") ||
		     jmp_live("CANCELED"));
}

static void jobs__bad_bodies__refused(void **state)
{
	struct jmp_jobs jobs;
	struct err e;

	(void)state;
	assert_int_equal(jmp_jobs(L("<html>"), &jobs, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "/jobs/overview: the answer is not JSON"));
	assert_null(jobs.v);
	assert_int_equal(jmp_jobs(L("{\"jobs\":5}"), &jobs, &e), ERR_INVAL);
	assert_int_equal(jmp_jobs(L("{\"jobs\":[{\"name\":\"a\",\"state\":"
				    "\"RUNNING\"}]}"), &jobs, &e), ERR_INVAL);
	assert_string_equal(e.msg, "/jobs/overview: jobs[0]: jid: missing, "
				   "want a string");
	assert_null(jobs.v);
	assert_int_equal(jmp_jobs("{\"jobs\":[]}\0{}", 14, &jobs, &e),
			 ERR_INVAL);
}

static void job__vertices_and_parallelism(void **state)
{
	static struct jmp_job j;
	struct err e;

	(void)state;
	load("job.json");
	assert_int_equal(jmp_job(loaded.p, loaded.len, &j, NULL), 0);
	assert_string_equal(j.state, "RUNNING");
	assert_string_equal(j.id, "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b");
	assert_int_equal(j.n, 2);
	assert_string_equal(j.v[0].id, "cbc357ccb763df2852fee8c4fc7d55f2");
	assert_int_equal(j.v[0].parallelism, 4);
	assert_int_equal(j.v[0].max_parallelism, 128);
	assert_int_equal(j.v[1].parallelism, 2);
	assert_int_equal(jmp_parallelism(&j), 4);
	assert_true(jmp_at_target(&j, 4) == false); /* vertex 2 runs at 2 */
	assert_int_equal(jmp_job(L("{\"jid\":\"3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b\","
				   "\"state\":\"RUNNING\",\"vertices\":[{\"id\":"
				   "\"x\"}]}"), &j, &e), ERR_INVAL);
	assert_string_equal(e.msg, "/jobs/:jobid: vertices[0]: id: \"x\" is "
				   "not 32 hex digits");
	assert_int_equal(j.n, 0);
	assert_int_equal(jmp_job(L("[]"), &j, &e), ERR_INVAL);
}

static void job__too_many_vertices__limit(void **state)
{
	static struct jmp_job j;
	struct buf b = BUF_INIT(1 << 20);
	struct err e;

	(void)state;
	assert_int_equal(buf_adds(&b, "{\"jid\":\"3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7b"
				   "\",\"state\":\"RUNNING\",\"vertices\":["), 0);
	for (int i = 0; i <= JMP_MAX_VERTICES; i++)
		assert_int_equal(buf_addf(&b, "%s{\"id\":\"%032x\",\"status\":"
					  "\"RUNNING\",\"parallelism\":1}",
					  i ? "," : "", i), 0);
	assert_int_equal(buf_adds(&b, "]}"), 0);
	assert_int_equal(jmp_job(b.p, b.len, &j, &e), ERR_LIMIT);
	buf_release(&b);
}

static void slots__summed(void **state)
{
	struct jmp_slots s;
	struct err e;

	(void)state;
	load("taskmanagers.json");
	assert_int_equal(jmp_slots(loaded.p, loaded.len, &s, NULL), 0);
	assert_int_equal(s.taskmanagers, 2);
	assert_int_equal(s.total, 4);
	assert_int_equal(s.free, 1);
	assert_int_equal(jmp_slots(L("{\"taskmanagers\":[{\"slotsNumber\":1,"
				     "\"freeSlots\":2}]}"), &s, &e), ERR_INVAL);
	assert_int_equal(s.total, 0);
}

static void metric_ids__the_ones_we_read(void **state)
{
	struct buf get = BUF_INIT(JMP_GET_MAX);
	struct err e;

	(void)state;
	load("metric-ids.json");
	assert_int_equal(jmp_metric_ids(loaded.p, loaded.len, &get, NULL), 0);
	assert_string_equal(get.p,
			    "busyTimeMsPerSecond,Source__orders.pendingRecords,"
			    "backPressuredTimeMsPerSecond,currentInputWatermark,"
			    "Source__orders.KafkaSourceReader.KafkaConsumer."
			    "records-lag-max,Source__orders.currentEmitEventTimeLag");
	assert_int_equal(jmp_get_kinds(get.p), JMP_BUSY | JMP_PENDING |
			 JMP_BACKPRESSURED | JMP_WATERMARK | JMP_KAFKA_LAG |
			 JMP_EMIT_LAG);
	assert_int_equal(jmp_get_kinds("busyTimeMsPerSecond,x.y"), JMP_BUSY);
	assert_int_equal(jmp_get_kinds(""), 0);
	buf_release(&get);
	buf_init(&get, 30);
	load("metric-ids.json");
	assert_int_equal(jmp_metric_ids(loaded.p, loaded.len, &get, &e),
			 ERR_LIMIT);
	buf_release(&get);
	buf_init(&get, 30);
	assert_int_equal(jmp_metric_ids(L("[]"), &get, NULL), 0);
	assert_int_equal(get.len, 0);
	buf_release(&get);
}

static void aggregates__folded_per_kind(void **state)
{
	struct jmp_values v = { 0 };

	(void)state;
	load("aggregates.json");
	assert_int_equal(jmp_aggregates(loaded.p, loaded.len, &v, NULL), 0);
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
	assert_int_equal(jmp_aggregates(L("[{\"id\":\"currentInputWatermark\","
					  "\"min\":-9.223372036854776E18}]"),
					&v, NULL), 0);
	assert_int_equal(v.has, 0);
	assert_int_equal(jmp_aggregates(L("{}"), &v, NULL), ERR_INVAL);
	/* an id gone since the list: Flink answers [] for the whole list */
	assert_int_equal(jmp_aggregates(L("[]"), &v, NULL), ERR_NOTFOUND);
}

static void errors__first_line_of_each_message(void **state)
{
	char msg[256];

	(void)state;
	assert_true(jmp_errors(load("error.json"), msg, sizeof(msg)));
	assert_string_equal(msg, "org.apache.flink.runtime.rest."
				 "NotFoundException: Job "
				 "3e9d2c1b0a7f6e5d4c3b2a1f0e9d8c7c not found");
	assert_true(jmp_errors("{\"errors\":[\"Not found: /x\"]}", msg, 8));
	assert_string_equal(msg, "Not fou");
	assert_true(jmp_errors("{\"errors\":[\"a\\nb\",\"c\"]}", msg,
			       sizeof(msg)));
	assert_string_equal(msg, "a; c"); /* each message's first line */
	assert_false(jmp_errors("{\"errors\":[]}", msg, sizeof(msg)));
	assert_false(jmp_errors("oops", msg, sizeof(msg)));
}

static void checkpoints__latest(void **state)
{
	struct jmp_checkpoints c;

	(void)state;
	load("checkpoints.json");
	assert_int_equal(jmp_checkpoints(loaded.p, loaded.len, &c, NULL), 0);
	assert_int_equal(c.total, 4);
	assert_int_equal(c.completed, 3);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.restored, 1);
	assert_int_equal(c.checkpoint.id, 14);
	assert_false(c.checkpoint.savepoint);
	assert_false(c.checkpoint.discarded);
	assert_string_equal(c.checkpoint.path, "s3://flink/checkpoints/"
			    "7cf6b767ba12954eb073f3195c26fac1/chk-14");
	assert_int_equal(c.savepoint.id, 13);
	assert_true(c.savepoint.savepoint);
	assert_string_equal(c.savepoint.path, "s3://flink/savepoints/savepoint-7cf6b7-0a1b2c3d4e5f");
	assert_int_equal(c.restore.id, 11);
	assert_true(c.restore.savepoint);
	/* a job without any: every latest is null */
	assert_int_equal(jmp_checkpoints(L("{\"counts\":{\"restored\":0,\"total\":0,"
		"\"in_progress\":0,\"completed\":0,\"failed\":0},\"summary\":{},"
		"\"latest\":{\"completed\":null,\"savepoint\":null,\"failed\":null,"
		"\"restored\":null},\"history\":[]}"), &c, NULL), 0);
	assert_int_equal(c.checkpoint.id + c.savepoint.id + c.restore.id, 0);
}

static void checkpoints__bad_bodies__refused(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"counts\":{}}",
		"{\"counts\":{\"restored\":0,\"total\":0,\"in_progress\":0,"
		"\"completed\":-1,\"failed\":0},\"latest\":{}}",
		"{\"counts\":{\"restored\":0,\"total\":1,\"in_progress\":0,"
		"\"completed\":1,\"failed\":0},\"latest\":{\"completed\":"
		"{\"id\":1,\"is_savepoint\":false,\"external_path\":\"file:/a b\"}}}",
		"{\"counts\":{\"restored\":0,\"total\":1,\"in_progress\":0,"
		"\"completed\":1,\"failed\":0},\"latest\":{\"completed\":"
		"{\"id\":\"1\",\"is_savepoint\":false,\"external_path\":\"file:/a\"}}}",
		"{\"counts\":{\"restored\":0,\"total\":1,\"in_progress\":0,"
		"\"completed\":1,\"failed\":0},\"latest\":{\"savepoint\":"
		"{\"id\":1,\"is_savepoint\":true,\"external_path\":\"\"}}}",
		"{\"counts\":{\"restored\":0,\"total\":1,\"in_progress\":0,"
		"\"completed\":1,\"failed\":0},\"latest\":{\"completed\":"
		"{\"id\":1,\"is_savepoint\":false,\"external_path\":\"f\","
		"\"discarded\":\"no\"}}}",
	};
	struct jmp_checkpoints c;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(jmp_checkpoints(L(bad[i]), &c, &e), ERR_INVAL);
		assert_non_null(strstr(e.msg, "/jobs/ID/checkpoints"));
		assert_int_equal(c.checkpoint.id, 0);
	}
	err_clear(&e);
	jmp_checkpoints(L(bad[3]), &c, &e);
	assert_string_equal(e.msg, "/jobs/ID/checkpoints: latest.completed: "
			    "external_path: a space or control character");
}

static void cp_config__retention(void **state)
{
	struct jmp_cp_config c;
	struct err e;

	(void)state;
	load("checkpoints-config.json");
	assert_int_equal(jmp_cp_config(loaded.p, loaded.len, &c, NULL), 0);
	assert_int_equal(c.interval_ms, 5000);
	assert_true(c.externalized);
	assert_false(c.delete_on_cancel);
	/* NO_EXTERNALIZED_CHECKPOINTS: Flink writes enabled only */
	assert_int_equal(jmp_cp_config(L("{\"interval\":1000,\"externalization\":"
					 "{\"enabled\":false}}"), &c, NULL), 0);
	assert_false(c.externalized);
	assert_int_equal(jmp_cp_config(L("{\"interval\":1000,\"externalization\":"
					 "{\"enabled\":true,\"delete_on_cancellation\":true}}"),
				       &c, NULL), 0);
	assert_true(c.delete_on_cancel);
	err_clear(&e);
	assert_int_equal(jmp_cp_config(L("{\"interval\":1000,\"externalization\":"
					 "{\"enabled\":true}}"), &c, &e), ERR_INVAL);
	assert_string_equal(e.msg, "/jobs/ID/checkpoints/config: externalization: "
			    "delete_on_cancellation: missing, want a boolean");
}

static void restore_point__newest_kept(void **state)
{
	struct jmp_checkpoints c;
	struct jmp_cp_config keep = { 5000, true, false };
	struct jmp_cp_config del = { 5000, true, true };
	struct jmp_cp_config none = { 5000, false, false };

	(void)state;
	load("checkpoints.json");
	assert_int_equal(jmp_checkpoints(loaded.p, loaded.len, &c, NULL), 0);
	/* kept on cancellation: the checkpoint, newer than the savepoint */
	assert_ptr_equal(jmp_restore_point(&c, &keep), &c.checkpoint);
	/* deleted on cancellation: the savepoint (Flink never deletes it) */
	assert_ptr_equal(jmp_restore_point(&c, &del), &c.savepoint);
	assert_ptr_equal(jmp_restore_point(&c, &none), &c.savepoint);
	/* a restored savepoint newer than both */
	c.restore.id = 20;
	assert_ptr_equal(jmp_restore_point(&c, &keep), &c.restore);
	/* restored from a checkpoint: maybe claimed and deleted, not used */
	c.restore.savepoint = false;
	assert_ptr_equal(jmp_restore_point(&c, &keep), &c.checkpoint);
	/* no savepoint: only a kept, addressable, not discarded checkpoint */
	c.savepoint.id = 0;
	assert_null(jmp_restore_point(&c, &del));
	assert_null(jmp_restore_point(&c, &none));
	c.checkpoint.discarded = true;
	assert_null(jmp_restore_point(&c, &keep));
	c.checkpoint.discarded = false;
	snprintf(c.checkpoint.path, sizeof(c.checkpoint.path), "%s", JMP_NOT_EXTERNALIZED);
	assert_null(jmp_restore_point(&c, &keep));
	memset(&c, 0, sizeof(c));
	assert_null(jmp_restore_point(&c, &keep));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pick__by_name__live_newest),
		cmocka_unit_test(jobs__bad_bodies__refused),
		cmocka_unit_test(job__vertices_and_parallelism),
		cmocka_unit_test(job__too_many_vertices__limit),
		cmocka_unit_test(slots__summed),
		cmocka_unit_test(metric_ids__the_ones_we_read),
		cmocka_unit_test(aggregates__folded_per_kind),
		cmocka_unit_test(errors__first_line_of_each_message),
		cmocka_unit_test(checkpoints__latest),
		cmocka_unit_test(checkpoints__bad_bodies__refused),
		cmocka_unit_test(cp_config__retention),
		cmocka_unit_test(restore_point__newest_kept),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	buf_release(&loaded);
	return rc;
}
