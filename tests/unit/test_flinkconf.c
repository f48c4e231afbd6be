/*
 * test_flinkconf.c - the Flink configuration flinkhpa-gen derives for
 * spec.jobManager (gen/flinkconf.c, docs/policy.md "The Flink settings"):
 * heartbeat.timeout from the scale-down period and its bounds, the file
 * name and restart key by Flink version (from the image's tag or
 * flinkVersion), memory from the containers, the user's settings winning,
 * the mode's keys, and the old FLINK_PROPERTIES when spec.jobManager is
 * absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen/flinkconf.h"
#include "gen/policy.h"

static struct pol_file pf;
static struct fconf conf;

static const struct pol *load(const char *yaml)
{
	struct err e;

	err_clear(&e);
	pol_file_release(&pf);
	if (pol_parse("test.yaml", yaml, strlen(yaml), &pf, &e))
		fail_msg("%lu:%lu: %s", e.line, e.col, e.msg);
	fconf_build(&conf, &pf.v[0]);
	return &pf.v[0];
}

static const char *get(const char *key)
{
	return fconf_get(&conf, key);
}

#define HEAD "apiVersion: flinkhpa.io/v1\nkind: ScalingPolicy\n" \
	     "metadata: {name: t, namespace: ns}\nspec:\n" \
	     "  replicas: {max: 4}\n  rules: [{type: cpu, utilization: 50}]\n"
#define HEADJ HEAD "  job: {}\n"

static void heartbeat_follows_scale_down_period(void **state)
{
	(void)state;
	/* the HPA's default scale-down period, 15 s: raised to 20 s */
	assert_int_equal(fconf_heartbeat_ms(load(HEADJ "  jobManager: {}\n")),
			 20000);
	assert_string_equal(get("heartbeat.timeout"), "20000");
	assert_string_equal(get("heartbeat.interval"), "4000");
	/* the shortest of the policies */
	assert_int_equal(fconf_heartbeat_ms(load(HEADJ "  jobManager: {}\n"
		"  behavior: {scaleDown: {policies: [{type: Pods, value: 1, "
		"period: 40s}, {type: Percent, value: 10, period: 30s}]}}\n")),
		30000);
	assert_string_equal(get("heartbeat.interval"), "6000");
	/* never above Flink's default */
	assert_int_equal(fconf_heartbeat_ms(load(HEADJ "  jobManager: {}\n"
		"  behavior: {scaleDown: {policies: [{type: Pods, value: 1, "
		"period: 10m}]}}\n")), 50000);
}

static void version_picks_file_and_restart_key(void **state)
{
	const struct pol *p;

	(void)state;
	p = load(HEADJ "  jobManager: {}\n");     /* the default flink:1.20 */
	assert_int_equal(p->jm.flink_minor, 20);
	assert_string_equal(fconf_file_name(p), "config.yaml");
	assert_string_equal(get("restart-strategy.type"), "exponential-delay");
	assert_null(get("restart-strategy"));
	p = load(HEADJ "  jobManager: {image: \"reg:5000/flink:1.18.1-java11\"}\n");
	assert_int_equal(p->jm.flink_minor, 18);
	assert_string_equal(fconf_file_name(p), "flink-conf.yaml");
	assert_string_equal(get("restart-strategy"), "exponential-delay");
	assert_null(get("restart-strategy.type"));
	/* flinkVersion wins over a tag that says nothing */
	p = load(HEADJ "  jobManager: {image: \"job@sha256:0a1b\", "
		 "flinkVersion: \"1.19\"}\n");
	assert_int_equal(p->jm.flink_minor, 19);
	assert_string_equal(fconf_file_name(p), "config.yaml");
}

static void memory_from_the_containers(void **state)
{
	(void)state;
	load(HEADJ "  jobManager: {resources: {requests: {memory: 1536Mi}}}\n"
	     "  taskManager: {resources: {requests: {memory: 2G}, "
	     "limits: {memory: 3Gi}}}\n");
	assert_string_equal(get("taskmanager.memory.process.size"), "3072m");
	assert_string_equal(get("jobmanager.memory.process.size"), "1536m");
	load(HEADJ "  jobManager: {}\n");         /* Flink's default file's */
	assert_string_equal(get("taskmanager.memory.process.size"), "1728m");
	assert_string_equal(get("jobmanager.memory.process.size"), "1600m");
}

static void modes_and_state(void **state)
{
	(void)state;
	load(HEAD "  job: {parallelismMode: reactive}\n  jobManager:\n"
	     "    checkpoints: {dir: \"s3://b/c\", interval: 1m30s}\n");
	assert_string_equal(get("scheduler-mode"), "reactive");
	assert_null(get("jobmanager.scheduler"));
	assert_string_equal(get("jobmanager.adaptive-scheduler.resource-"
				"stabilization-timeout"), "10 s");
	assert_string_equal(get("execution.checkpointing.interval"), "90 s");
	assert_string_equal(get("state.checkpoints.dir"), "s3://b/c");
	assert_string_equal(get(FCONF_CKP_RETENTION), "RETAIN_ON_CANCELLATION");
	assert_null(get("high-availability.type"));
	load(HEAD "  job: {parallelismMode: adaptive}\n  jobManager:\n"
	     "    highAvailability: {storageDir: \"s3://b/ha\"}\n");
	assert_string_equal(get("jobmanager.scheduler"), "adaptive");
	assert_null(get("scheduler-mode"));
	assert_string_equal(get("high-availability.type"), "kubernetes");
	assert_string_equal(get("kubernetes.cluster-id"), "t");
	assert_string_equal(get("kubernetes.namespace"), "ns");
	assert_string_equal(get("high-availability.jobmanager.port"), "6123");
	load(HEAD "  job: {parallelismMode: savepoint, savepointDirectory: "
	     "\"s3://b/s\"}\n  jobManager: {}\n");
	assert_string_equal(get("web.upload.dir"), FCONF_UPLOAD_DIR);
	assert_string_equal(get("state.savepoints.dir"), "s3://b/s");
	assert_null(get(FCONF_CKP_RETENTION)); /* no checkpoints, no key */
	assert_null(get("jobmanager.adaptive-scheduler.min-parallelism-"
			"increase"));
}

static void user_settings_win_and_keys_sort(void **state)
{
	(void)state;
	load(HEADJ "  jobManager: {}\n  taskManager:\n    flinkConfiguration:\n"
	     "      heartbeat.timeout: \"45000\"\n      a.first: x\n");
	assert_string_equal(get("heartbeat.timeout"), "45000");
	assert_string_equal(conf.v[0].key, "a.first");
	for (size_t i = 1; i < conf.n; i++)
		assert_true(strcmp(conf.v[i - 1].key, conf.v[i].key) < 0);
}

/* Without spec.jobManager: what FLINK_PROPERTIES carried before, and the
 * TaskManagers' rpc port, which their container and probe name. */
static void without_jobmanager_as_before(void **state)
{
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	load(HEAD "  job: {slotsPerTaskManager: 3}\n  taskManager:\n"
	     "    flinkConfiguration: {jobmanager.rpc.address: jm}\n");
	assert_int_equal(fconf_write_flat(&conf, &b), 0);
	assert_string_equal(buf_str(&b),
		"jobmanager.rpc.address: jm\n"
		"metrics.reporter.prom.factory.class: "
		"org.apache.flink.metrics.prometheus.PrometheusReporterFactory\n"
		"metrics.reporter.prom.port: 9249\n"
		"taskmanager.numberOfTaskSlots: 3\n"
		"taskmanager.rpc.port: 6122\n");
	buf_release(&b);
}

/* config.yaml is YAML: values it would read as something else quoted. */
static void yaml_quotes_what_yaml_would_change(void **state)
{
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	load(HEADJ "  jobManager: {}\n  taskManager:\n    flinkConfiguration:\n"
	     "      a.flag: \"true\"\n      a.list: \"x: y\"\n");
	assert_int_equal(fconf_write_yaml(&conf, &b), 0);
	assert_non_null(strstr(buf_str(&b), "a.flag: \"true\"\n"));
	assert_non_null(strstr(buf_str(&b), "a.list: \"x: y\"\n"));
	assert_non_null(strstr(buf_str(&b), "rest.port: \"8081\"\n"));
	assert_non_null(strstr(buf_str(&b), "scheduler-mode: reactive\n"));
	buf_release(&b);
}

static int teardown(void **state)
{
	(void)state;
	pol_file_release(&pf);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(heartbeat_follows_scale_down_period),
		cmocka_unit_test(version_picks_file_and_restart_key),
		cmocka_unit_test(memory_from_the_containers),
		cmocka_unit_test(modes_and_state),
		cmocka_unit_test(user_settings_win_and_keys_sort),
		cmocka_unit_test(without_jobmanager_as_before),
		cmocka_unit_test(yaml_quotes_what_yaml_would_change),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
