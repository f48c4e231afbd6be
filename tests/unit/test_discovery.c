/*
 * test_discovery.c - pods as the Kubernetes API returns them, turned into
 * scrape targets: URL from the pod IP and our annotations (defaults, IPv6),
 * the Deployment from the ReplicaSet owner, CPU from the containers'
 * requests, labels; pods that are not running, have no IP or are being
 * deleted are not scraped; a port or path annotation that makes no URL is
 * refused with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/collect/discovery.h"

static const char pod_json[] =
	"{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
	"\"name\":\"flink-taskmanager-848b558df9-zwj48\",\"namespace\":\"flink\","
	"\"labels\":{\"app\":\"flink\",\"pod-template-hash\":\"848b558df9\"},"
	"\"annotations\":{\"flinkhpa.io/metrics-port\":\"19249\","
	"\"flinkhpa.io/job-name\":\"orders\"},"
	"\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
	"\"name\":\"flink-taskmanager-848b558df9\",\"uid\":\"u\",\"controller\":true}]},"
	"\"spec\":{\"containers\":["
	"{\"name\":\"taskmanager\",\"resources\":{\"requests\":{\"cpu\":\"1500m\"}}},"
	"{\"name\":\"sidecar\",\"resources\":{\"requests\":{\"cpu\":\"0.25\"}}}]},"
	"\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.1.17\"}}";

static json_object *pod(const char *edit_key, json_object *edit_val)
{
	json_object *p = json_tokener_parse(pod_json);

	assert_non_null(p);
	if (edit_key) {
		json_object *st = json_object_object_get(p, "status");
		json_object_object_add(st, edit_key, edit_val);
	}
	return p;
}

static void target__running_pod__url_owner_cpu_labels(void **state)
{
	json_object *p = pod(NULL, NULL);
	struct pod_target t;

	(void)state;
	assert_int_equal(disc_pod_target(p, &t), 0);
	assert_string_equal(t.ns, "flink");
	assert_string_equal(t.name, "flink-taskmanager-848b558df9-zwj48");
	assert_string_equal(t.url, "http://10.244.1.17:19249/metrics");
	assert_string_equal(t.deployment, "flink-taskmanager");
	assert_string_equal(t.job, "orders");
	assert_float_equal(t.cpu, 1.75, 1e-12);
	assert_string_equal(t.labels[0], "app");
	assert_string_equal(t.labels[1], "flink");
	assert_string_equal(t.labels[2], "pod-template-hash");
	assert_null(t.labels[4]);
	disc_pod_target_release(&t);
	json_object_put(p);
}

static void target__defaults_and_ipv6(void **state)
{
	json_object *p = pod("podIP", json_object_new_string("fd00::5"));
	json_object *meta = json_object_object_get(p, "metadata");
	json_object *ann = json_object_object_get(meta, "annotations");
	struct pod_target t;

	(void)state;
	json_object_object_del(ann, "flinkhpa.io/metrics-port");
	json_object_object_add(ann, "flinkhpa.io/metrics-path",
			       json_object_new_string("/prom"));
	assert_int_equal(disc_pod_target(p, &t), 0);
	assert_string_equal(t.url, "http://[fd00::5]:9249/prom");
	disc_pod_target_release(&t);
	json_object_put(p);
}

static void target__not_scrapeable__not_found(void **state)
{
	json_object *p;
	struct pod_target t;

	(void)state;
	p = pod("phase", json_object_new_string("Pending"));
	assert_int_equal(disc_pod_target(p, &t), ERR_NOTFOUND);
	assert_string_equal(t.name, "flink-taskmanager-848b558df9-zwj48");
	json_object_put(p);
	p = pod("podIP", json_object_new_string(""));
	assert_int_equal(disc_pod_target(p, &t), ERR_NOTFOUND);
	json_object_put(p);
	p = pod(NULL, NULL);
	json_object_object_add(json_object_object_get(p, "metadata"),
			       "deletionTimestamp",
			       json_object_new_string("2026-01-01T00:00:00Z"));
	assert_int_equal(disc_pod_target(p, &t), ERR_NOTFOUND);
	json_object_put(p);
	p = json_tokener_parse("{\"metadata\":{}}");
	assert_int_equal(disc_pod_target(p, &t), ERR_INVAL);
	json_object_put(p);
}

static void target__owner_without_hash_or_not_replicaset(void **state)
{
	json_object *p = pod(NULL, NULL);
	json_object *meta = json_object_object_get(p, "metadata");
	struct pod_target t;

	(void)state;
	json_object_object_del(json_object_object_get(meta, "labels"),
			       "pod-template-hash");
	assert_int_equal(disc_pod_target(p, &t), 0);
	assert_string_equal(t.deployment, "flink-taskmanager-848b558df9");
	disc_pod_target_release(&t);
	json_object_object_add(meta, "ownerReferences",
			       json_tokener_parse("[{\"kind\":\"StatefulSet\",\"name\":\"tm\"}]"));
	assert_int_equal(disc_pod_target(p, &t), 0);
	assert_string_equal(t.deployment, "");
	disc_pod_target_release(&t);
	json_object_put(p);
}

/* Annotations that make no URL: the pod is named and not scraped. */
static void target__bad_port_or_path__invalid_with_reason(void **state)
{
	static const char *bad[][2] = {
		{ "flinkhpa.io/metrics-port", "99999" },
		{ "flinkhpa.io/metrics-port", "0" },
		{ "flinkhpa.io/metrics-port", "92a" },
		{ "flinkhpa.io/metrics-port", "-1" },
		{ "flinkhpa.io/metrics-port", "" },
		{ "flinkhpa.io/metrics-path", "/my metrics" },
		{ "flinkhpa.io/metrics-path", "/m#frag" },
		{ "flinkhpa.io/metrics-path", "/m%00x" },
		{ "flinkhpa.io/metrics-path", "/m%zz" },
		{ "flinkhpa.io/metrics-path", "" },
	};
	struct pod_target t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *p = pod(NULL, NULL);
		json_object *a = json_object_object_get(
			json_object_object_get(p, "metadata"), "annotations");

		json_object_object_add(a, bad[i][0],
				       json_object_new_string(bad[i][1]));
		assert_int_equal(disc_pod_target(p, &t), ERR_INVAL);
		assert_string_equal(t.name, "flink-taskmanager-848b558df9-zwj48");
		assert_non_null(strstr(t.bad, bad[i][0]));
		json_object_put(p);
	}
	for (size_t i = 0; i < 3; i++) {
		static const char *good[] = { "1", "65535", "/a/b-c_d.e~f%2F?x=1&y" };
		json_object *p = pod(NULL, NULL);
		json_object *a = json_object_object_get(
			json_object_object_get(p, "metadata"), "annotations");

		json_object_object_add(a, i < 2 ? "flinkhpa.io/metrics-port"
						: "flinkhpa.io/metrics-path",
				       json_object_new_string(good[i]));
		assert_int_equal(disc_pod_target(p, &t), 0);
		assert_string_equal(t.bad, "");
		disc_pod_target_release(&t);
		json_object_put(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(target__running_pod__url_owner_cpu_labels),
		cmocka_unit_test(target__defaults_and_ipv6),
		cmocka_unit_test(target__not_scrapeable__not_found),
		cmocka_unit_test(target__owner_without_hash_or_not_replicaset),
		cmocka_unit_test(target__bad_port_or_path__invalid_with_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
