/*
 * test_api.c - the metrics API end to end without HTTP: discovery, pod,
 * deployment, namespace and external metrics, selectors, errors and their
 * Status bodies, content negotiation, pretty printing, health endpoints and
 * the authorization attributes of requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/serve/api.h"

#define T0 1704067200000LL

static int64_t fixed_now(void)
{
	return T0 + 1000;
}

static bool is_ready;

static bool ready(void *ud)
{
	(void)ud;
	return is_ready;
}

struct fx {
	struct ex_spec *spec;
	struct store *st;
	struct api_ctx ctx;
	struct api_response rs;
};

static const struct ex_rule rules[] = {
	{ "records_in", "flink_taskmanager_job_task_numRecordsInPerSecond",
	  NULL, 0, EX_AGG_SUM, EX_AGG_SUM, 1 },
};

static void put(struct fx *f, const char *name, const char *page,
		int64_t at)
{
	struct ex_page *pg = ex_page_new(f->spec);
	struct ex_cpu_state cpu = { 0, 0, false };
	double v[CAT_N];
	bool has[CAT_N];

	assert_int_equal(pp_parse(page, strlen(page), NULL,
				  ex_spec_filter(f->spec), ex_sample, pg, NULL), 0);
	ex_pod_values(pg, 0, at, &cpu, v, has);
	assert_int_equal(store_put_page(f->st, "flink", name, pg, v, has, at, NULL), 0);
	ex_page_free(pg);
}

static int setup(void **state)
{
	static struct fx f;
	const char *la[] = { "app", "flink", "component", "taskmanager", NULL };
	const char *lb[] = { "app", "other", NULL };
	struct store_pod_meta m[] = {
		{ "flink", "tm-1", "flink-tm", "orders", la },
		{ "flink", "tm-2", "flink-tm", "orders", la },
		{ "flink", "tm-3", "other-tm", NULL, lb },
		{ "flink", "tm-old", "flink-tm", "orders", la },
	};

	f.spec = ex_spec_new(rules, 1, NULL);
	f.st = store_new(f.spec, 15000);
	for (int i = 0; i < 4; i++)
		store_upsert_pod(f.st, &m[i], NULL);
	put(&f, "tm-1", "flink_taskmanager_Status_JVM_CPU_Load 0.5\n"
		"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"orders\",} 100\n"
		"flink_taskmanager_job_task_numRecordsInPerSecond{job_name=\"orders\",} 7\n", T0);
	put(&f, "tm-2", "flink_taskmanager_Status_JVM_CPU_Load 0.875\n"
		"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"orders\",} 250\n", T0);
	put(&f, "tm-3", "flink_taskmanager_Status_JVM_CPU_Load 0.1\n"
		"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"clicks\",} 5\n", T0);
	put(&f, "tm-old", "flink_taskmanager_Status_JVM_CPU_Load 0.99\n", T0 - 60000);
	f.ctx = (struct api_ctx){ f.st, f.spec, 5, ready, NULL, NULL, fixed_now, NULL };
	buf_init(&f.rs.body, 64 * 1024 * 1024);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	buf_release(&f->rs.body);
	store_free(f->st);
	ex_spec_free(f->spec);
	return 0;
}

/* GET path?sel with Accept/UA; returns the body. */
static const char *req(struct fx *f, const char *path, const char *sel,
		       const char *accept)
{
	struct api_request rq = { "GET", path, sel, NULL, NULL, NULL, accept,
				  "kube-controller-manager/v1.36" };

	api_handle(&f->ctx, &rq, &f->rs);
	return buf_str(&f->rs.body);
}

#define CUSTOM "/apis/custom.metrics.k8s.io/v1beta2"

static void discovery__lists_and_groups(void **state)
{
	struct fx *f = *state;
	const char *b;

	b = req(f, CUSTOM, NULL, NULL);
	assert_int_equal(f->rs.code, 200);
	assert_string_equal(f->rs.content_type, "application/json");
	assert_true(strncmp(b, "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"custom.metrics.k8s.io/v1beta2\",\"resources\":[{\"name\":\"pods/flink_tm_cpu_utilization\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]}", 220) == 0);
	assert_non_null(strstr(b, "{\"name\":\"deployments.apps/flink_job_backlog\",\"singularName\":\"\",\"namespaced\":true,"));
	assert_non_null(strstr(b, "{\"name\":\"namespaces/flink_job_backlog\",\"singularName\":\"\",\"namespaced\":false,"));
	assert_non_null(strstr(b, "\"pods/records_in\""));
	assert_null(strstr(b, "\"deployments.apps/flink_tm_backlog\""));
	assert_int_equal(b[strlen(b) - 1], '\n');
	req(f, "/apis/custom.metrics.k8s.io/v1beta1/", NULL, NULL);
	assert_int_equal(f->rs.code, 200);
	b = req(f, "/apis/external.metrics.k8s.io/v1beta1", NULL, NULL);
	assert_non_null(strstr(b, "{\"name\":\"flink_job_backlog\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"ExternalMetricValueList\",\"verbs\":[\"get\"]}"));
	assert_null(strstr(b, "flink_tm_"));
	b = req(f, "/apis/custom.metrics.k8s.io", NULL, NULL);
	assert_string_equal(b, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"custom.metrics.k8s.io\",\"versions\":[{\"groupVersion\":\"custom.metrics.k8s.io/v1beta2\",\"version\":\"v1beta2\"},{\"groupVersion\":\"custom.metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}],\"preferredVersion\":{\"groupVersion\":\"custom.metrics.k8s.io/v1beta2\",\"version\":\"v1beta2\"}}\n");
	b = req(f, "/apis", NULL, NULL);
	assert_true(strncmp(b, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[{\"name\":\"custom.metrics.k8s.io\"", 80) == 0);
	assert_non_null(strstr(b, "{\"name\":\"external.metrics.k8s.io\""));
}

static void pods__selector__fresh_matching_pods_only(void **state)
{
	struct fx *f = *state;
	const char *b;

	b = req(f, CUSTOM "/namespaces/flink/pods/*/flink_tm_cpu_utilization",
		"app=flink,component=taskmanager", NULL);
	assert_int_equal(f->rs.code, 200);
	assert_non_null(strstr(b, "{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"flink\",\"name\":\"tm-1\",\"apiVersion\":\"/v1\"},\"metric\":{\"name\":\"flink_tm_cpu_utilization\",\"selector\":null},\"timestamp\":\"2024-01-01T00:00:00Z\",\"windowSeconds\":5,\"value\":\"50\"}"));
	assert_non_null(strstr(b, "\"name\":\"tm-2\""));
	assert_non_null(strstr(b, "\"value\":\"87500m\""));
	assert_null(strstr(b, "tm-3"));
	assert_null(strstr(b, "tm-old")); /* stale */
	b = req(f, CUSTOM "/namespaces/flink/pods/*/flink_tm_backlog", "app=nobody", NULL);
	assert_int_equal(f->rs.code, 200);
	assert_non_null(strstr(b, "\"items\":[]"));
	b = req(f, CUSTOM "/namespaces/other/pods/*/flink_tm_backlog", NULL, NULL);
	assert_non_null(strstr(b, "\"items\":[]"));
}

static void pods__by_name__one_item_or_404(void **state)
{
	struct fx *f = *state;
	const char *b;

	b = req(f, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/flink/pods/tm-2/flink_tm_backlog", NULL, NULL);
	assert_int_equal(f->rs.code, 200);
	assert_string_equal(b, "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"flink\",\"name\":\"tm-2\",\"apiVersion\":\"/v1\"},\"metricName\":\"flink_tm_backlog\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"value\":\"250\",\"selector\":null}]}\n");
	b = req(f, CUSTOM "/namespaces/flink/pods/tm-old/flink_tm_backlog", NULL, NULL);
	assert_int_equal(f->rs.code, 404);
	assert_string_equal(b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"the server could not find the metric flink_tm_backlog for pods tm-old\",\"reason\":\"NotFound\",\"code\":404}\n");
	b = req(f, CUSTOM "/namespaces/flink/pods/*/nope", NULL, NULL);
	assert_int_equal(f->rs.code, 404);
	assert_non_null(strstr(b, "\"message\":\"the server could not find the metric nope for pods\""));
	req(f, CUSTOM "/namespaces/flink/pods/*/flink_job_backlog", NULL, NULL);
	assert_int_equal(f->rs.code, 404);
}

static void jobs__deployment_namespace_external(void **state)
{
	struct fx *f = *state;
	const char *b;

	b = req(f, CUSTOM "/namespaces/flink/deployments.apps/flink-tm/flink_job_backlog", NULL, NULL);
	assert_int_equal(f->rs.code, 200);
	assert_non_null(strstr(b, "{\"describedObject\":{\"kind\":\"Deployment\",\"namespace\":\"flink\",\"name\":\"flink-tm\",\"apiVersion\":\"apps/v1\"},\"metric\":{\"name\":\"flink_job_backlog\",\"selector\":null},\"timestamp\":\"2024-01-01T00:00:00Z\",\"value\":\"350\"}"));
	b = req(f, CUSTOM "/namespaces/flink/deployments.apps/*/flink_job_backlog", "app=other", NULL);
	assert_non_null(strstr(b, "\"name\":\"other-tm\""));
	assert_non_null(strstr(b, "\"value\":\"5\""));
	assert_null(strstr(b, "\"flink-tm\""));
	req(f, CUSTOM "/namespaces/flink/deployments.apps/nope/flink_job_backlog", NULL, NULL);
	assert_int_equal(f->rs.code, 404);
	b = req(f, CUSTOM "/namespaces/flink/metrics/flink_job_backlog", NULL, NULL);
	assert_non_null(strstr(b, "{\"describedObject\":{\"kind\":\"Namespace\",\"name\":\"flink\",\"apiVersion\":\"/v1\"}"));
	assert_non_null(strstr(b, "\"value\":\"355\""));
	b = req(f, CUSTOM "/namespaces/flink/deployments.apps/flink-tm/records_in", NULL, NULL);
	assert_non_null(strstr(b, "\"value\":\"7\""));
	b = req(f, "/apis/external.metrics.k8s.io/v1beta1/namespaces/flink/flink_job_backlog", "job_name=orders", NULL);
	assert_int_equal(f->rs.code, 200);
	assert_string_equal(b, "{\"kind\":\"ExternalMetricValueList\",\"apiVersion\":\"external.metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[{\"metricName\":\"flink_job_backlog\",\"metricLabels\":{\"job_name\":\"orders\"},\"timestamp\":\"2024-01-01T00:00:00Z\",\"value\":\"350\"}]}\n");
	b = req(f, "/apis/external.metrics.k8s.io/v1beta1/namespaces/flink/flink_job_backlog", NULL, NULL);
	assert_non_null(strstr(b, "\"job_name\":\"clicks\""));
	assert_non_null(strstr(b, "\"job_name\":\"orders\""));
	/* a job_name written with characters Flink rewrites in labels */
	b = req(f, "/apis/external.metrics.k8s.io/v1beta1/namespaces/flink/flink_job_backlog", "job_name in (orders, x-y)", NULL);
	assert_non_null(strstr(b, "\"job_name\":\"orders\""));
	assert_null(strstr(b, "clicks"));
	req(f, "/apis/external.metrics.k8s.io/v1beta1/namespaces/flink/flink_tm_backlog", NULL, NULL);
	assert_int_equal(f->rs.code, 404);
}

static void errors__bad_selector_field_selector_paths(void **state)
{
	struct fx *f = *state;
	struct api_request rq = { "GET", CUSTOM "/namespaces/flink/pods/tm-1/flink_tm_backlog",
				  NULL, NULL, "metadata.name=tm-2", NULL, NULL, NULL };
	const char *b;

	b = req(f, CUSTOM "/namespaces/flink/pods/*/flink_tm_backlog", "app in (", NULL);
	assert_int_equal(f->rs.code, 400);
	assert_non_null(strstr(b, "\"reason\":\"BadRequest\""));
	api_handle(&f->ctx, &rq, &f->rs);
	assert_int_equal(f->rs.code, 400);
	assert_non_null(strstr(buf_str(&f->rs.body), "fieldSelector metadata.name doesn't match requested name"));
	rq.field_selector = "metadata.name=tm-1";
	api_handle(&f->ctx, &rq, &f->rs);
	assert_int_equal(f->rs.code, 200);
	rq.metric_label_selector = "topic=orders";
	api_handle(&f->ctx, &rq, &f->rs); /* our series have no labels */
	assert_int_equal(f->rs.code, 404);
	static const char *nf[] = { "/", "/api", "/apis/foo", "/apis/custom.metrics.k8s.io/v2",
		CUSTOM "/namespaces/flink/pods/tm-1", "/apis/external.metrics.k8s.io/v1beta2",
		"/apis/external.metrics.k8s.io/v1beta1/namespaces/flink", "/openapi/v2",
		"/openapi/v3", CUSTOM "/a/b/c/d/e/f/g/h/i/j/k/l/m/n" };
	for (size_t i = 0; i < sizeof(nf) / sizeof(nf[0]); i++) {
		b = req(f, nf[i], NULL, NULL);
		assert_int_equal(f->rs.code, 404);
		assert_non_null(strstr(b, "\"kind\":\"Status\""));
	}
	b = req(f, CUSTOM "/nodes/*/load", NULL, NULL);
	assert_non_null(strstr(b, "the server could not find the metric load for nodes"));
	b = req(f, CUSTOM "/namespaces/flink/services/jm/flink_job_backlog", NULL, NULL);
	assert_non_null(strstr(b, "the server could not find the metric flink_job_backlog for services"));
	rq = (struct api_request){ "POST", CUSTOM, NULL, NULL, NULL, NULL, NULL, NULL };
	api_handle(&f->ctx, &rq, &f->rs);
	assert_int_equal(f->rs.code, 405);
}

static void negotiation__protobuf_json_pretty(void **state)
{
	struct fx *f = *state;
	struct api_request rq = { "GET", CUSTOM "/namespaces/flink/pods/tm-1/flink_tm_backlog",
				  NULL, NULL, NULL, NULL, NULL, "curl/8.1" };
	const char *b;

	b = req(f, rq.path, NULL, "application/vnd.kubernetes.protobuf, */*");
	assert_string_equal(f->rs.content_type, "application/vnd.kubernetes.protobuf");
	assert_memory_equal(b, "k8s\0", 4);
	req(f, CUSTOM "/namespaces/flink/pods/*/nope", NULL, "application/vnd.kubernetes.protobuf;q=1, */*");
	assert_int_equal(f->rs.code, 404);
	assert_memory_equal(f->rs.body.p, "k8s\0", 4);
	req(f, rq.path, NULL, "application/json, */*");
	assert_string_equal(f->rs.content_type, "application/json");
	req(f, rq.path, NULL, "text/html");
	assert_int_equal(f->rs.code, 406);
	api_handle(&f->ctx, &rq, &f->rs);
	assert_true(strncmp(buf_str(&f->rs.body), "{\n  \"kind\": \"MetricValueList\",\n", 31) == 0);
	assert_int_not_equal(f->rs.body.p[f->rs.body.len - 1], '\n');
	rq.pretty = "false";
	api_handle(&f->ctx, &rq, &f->rs);
	assert_true(strncmp(buf_str(&f->rs.body), "{\"kind\":", 8) == 0);
}

static void plain__health_version_readiness(void **state)
{
	struct fx *f = *state;
	const char *b;

	is_ready = false;
	assert_string_equal(req(f, "/healthz", NULL, NULL), "ok");
	assert_string_equal(req(f, "/livez", NULL, NULL), "ok");
	b = req(f, "/readyz", NULL, NULL);
	assert_int_equal(f->rs.code, 500);
	assert_non_null(strstr(b, "readyz check failed"));
	/* discovery answers 200 even before the first scrape */
	req(f, CUSTOM, NULL, NULL);
	assert_int_equal(f->rs.code, 200);
	is_ready = true;
	assert_string_equal(req(f, "/readyz", NULL, NULL), "ok");
	b = req(f, "/version", NULL, NULL);
	/* the version of the file VERSION, as kube-apiserver's /version */
	const char *want = "{\"major\":\"" FH_VERSION_MAJOR "\",\"minor\":\""
			   FH_VERSION_MINOR "\",\"gitVersion\":\"v" FH_VERSION "\"";
	assert_true(strncmp(b, want, strlen(want)) == 0);
}

static void attrs__as_kubernetes_request_info(void **state)
{
	struct api_request rq = { "GET", CUSTOM "/namespaces/flink/pods/*/busy", NULL, NULL, NULL, NULL, NULL, NULL };
	struct authz_attrs a;

	(void)state;
	api_attrs(&rq, &a);
	assert_true(a.resource);
	assert_string_equal(a.verb, "get");
	assert_string_equal(a.ns, "flink");
	assert_string_equal(a.group, "custom.metrics.k8s.io");
	assert_string_equal(a.version, "v1beta2");
	assert_string_equal(a.resource_name, "pods");
	assert_string_equal(a.name, "*");
	assert_string_equal(a.subresource, "busy");
	rq.path = CUSTOM "/namespaces/flink/metrics/m";
	api_attrs(&rq, &a);
	assert_string_equal(a.resource_name, "metrics");
	assert_string_equal(a.name, "m");
	rq.path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/flink/lag";
	api_attrs(&rq, &a);
	assert_string_equal(a.verb, "list");
	assert_string_equal(a.resource_name, "lag");
	assert_string_equal(a.name, "");
	rq.path = CUSTOM;
	api_attrs(&rq, &a);
	assert_false(a.resource);
	assert_string_equal(a.verb, "get");
	assert_string_equal(a.path, CUSTOM);
}

/* Pods found through the store's label index: a relabelled pod leaves
 * the answers of its old labels and joins those of its new ones, newest
 * first, for equality selectors (the index) and others (a full walk). */
static void selectors__relabelled_pod_moves(void **state)
{
	struct fx *f = *state;
	const char *other[] = { "app", "other", NULL };
	const char *tm[] = { "app", "flink", "component", "taskmanager", NULL };
	struct store_pod_meta m = { "flink", "tm-2", "flink-tm", "orders", other };
	const char *path = CUSTOM "/namespaces/flink/pods/*/flink_tm_backlog";
	const char *b;

	assert_int_equal(store_upsert_pod(f->st, &m, NULL), 0);
	b = req(f, path, "app=flink,component=taskmanager", NULL);
	assert_int_equal(f->rs.code, 200);
	assert_non_null(strstr(b, "\"tm-1\""));
	assert_null(strstr(b, "\"tm-2\""));
	b = req(f, path, "app=other", NULL);
	assert_non_null(strstr(b, "\"tm-2\""));
	assert_non_null(strstr(b, "\"tm-3\""));
	assert_true(strstr(b, "\"tm-2\"") < strstr(b, "\"tm-3\"")); /* newest first */
	b = req(f, path, "app in (other),component!=x", NULL);
	assert_true(strstr(b, "\"tm-2\"") && strstr(b, "\"tm-2\"") < strstr(b, "\"tm-3\""));
	b = req(f, path, "app=nope", NULL);
	assert_int_equal(f->rs.code, 200);
	assert_null(strstr(b, "tm-"));
	m.labels = tm; /* back as it was */
	assert_int_equal(store_upsert_pod(f->st, &m, NULL), 0);
	b = req(f, path, "component=taskmanager,app==flink", NULL);
	assert_non_null(strstr(b, "\"tm-2\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(discovery__lists_and_groups),
		cmocka_unit_test(pods__selector__fresh_matching_pods_only),
		cmocka_unit_test(pods__by_name__one_item_or_404),
		cmocka_unit_test(jobs__deployment_namespace_external),
		cmocka_unit_test(errors__bad_selector_field_selector_paths),
		cmocka_unit_test(negotiation__protobuf_json_pretty),
		cmocka_unit_test(plain__health_version_readiness),
		cmocka_unit_test(attrs__as_kubernetes_request_info),
		cmocka_unit_test(selectors__relabelled_pod_moves), /* last: reorders */
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
