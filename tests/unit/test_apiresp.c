/*
 * test_apiresp.c - the API encoders reproduce the Go stack's bytes: the
 * JSON examples of kubernetes-metrics-api.md sections 2.4-2.6, the
 * protobuf dump of section 3.3, the quantity table of section 2.3, Go's
 * MarshalIndent layout, and protobuf that decodes back to the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/serve/apiresp.h"
#include "proto/custom_metrics.pb-c.h"

#define T0 1704067200000LL

static const struct api_item tm1 = { "Pod", "/v1", "flink", "tm-1", T0,
				     1500, 0, NULL };

static void quantity__reference_table(void **state)
{
	static const struct { double v; const char *q; } t[] = {
		{ 0, "0" }, { 0.001, "1m" }, { 0.0335, "33m" }, { 0.5, "500m" },
		{ 1, "1" }, { 1.5, "1500m" }, { 2, "2" }, { 10.5, "10500m" },
		{ 100, "100" }, { 999, "999" }, { 1000, "1k" },
		{ 1500, "1500" }, { 12000, "12k" }, { 120000, "120k" },
		{ 1234567, "1234567" }, { 49152, "49152" }, { -0.25, "-250m" },
		{ 0.85, "850m" }, { 8, "8" }, { 0.0009, "0" }, { 2e9, "2G" },
	};
	char q[32];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		api_quantity(api_milli(t[i].v), q);
		assert_string_equal(q, t[i].q);
	}
	assert_int_equal(api_milli(0.0335), 33);
	assert_int_equal(api_milli(-0.0019), -1); /* toward zero */
}

static void json__v1beta2_and_v1beta1__reference_bytes(void **state)
{
	struct api_list l = { API_CUSTOM_V1BETA2, "busy_ratio", NULL, &tm1, 1 };
	struct api_item w = tm1;
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	assert_int_equal(apiresp_list_json(&l, &b), 0);
	assert_string_equal(buf_str(&b),
		"{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta2\",\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"flink\",\"name\":\"tm-1\",\"apiVersion\":\"/v1\"},\"metric\":{\"name\":\"busy_ratio\",\"selector\":null},\"timestamp\":\"2024-01-01T00:00:00Z\",\"value\":\"1500m\"}]}\n");
	buf_reset(&b);
	w.window_s = 60;
	l.items = &w;
	assert_int_equal(apiresp_list_json(&l, &b), 0);
	assert_non_null(strstr(buf_str(&b), ",\"timestamp\":\"2024-01-01T00:00:00Z\",\"windowSeconds\":60,\"value\":\"1500m\"}"));
	buf_reset(&b);
	l.gv = API_CUSTOM_V1BETA1;
	l.items = &tm1;
	assert_int_equal(apiresp_list_json(&l, &b), 0);
	assert_string_equal(buf_str(&b),
		"{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"Pod\",\"namespace\":\"flink\",\"name\":\"tm-1\",\"apiVersion\":\"/v1\"},\"metricName\":\"busy_ratio\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"value\":\"1500m\",\"selector\":null}]}\n");
	buf_reset(&b);
	l.n = 0;
	assert_int_equal(apiresp_list_json(&l, &b), 0);
	assert_string_equal(buf_str(&b), "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[]}\n");
	buf_release(&b);
}

static void json__metric_selector_echoed(void **state)
{
	struct selector s;
	struct api_list l = { API_CUSTOM_V1BETA2, "m", &s, &tm1, 1 };
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	assert_int_equal(sel_parse(&s, "job=wordcount", NULL), 0);
	assert_int_equal(apiresp_list_json(&l, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\"metric\":{\"name\":\"m\",\"selector\":{\"matchLabels\":{\"job\":\"wordcount\"}}}"));
	sel_release(&s);
	buf_release(&b);
}

static void json__external_and_status__reference_bytes(void **state)
{
	struct api_item it = { "", "", NULL, "", T0, 42000, 0, "orders" };
	struct api_list l = { API_EXTERNAL_V1BETA1, "kafka_consumer_lag", NULL, &it, 1 };
	struct api_status nf = { 404, "NotFound", "the server could not find the metric busy_ratio for pods", NULL, NULL, NULL };
	struct api_status fb = { 403, "Forbidden", "pods.custom.metrics.k8s.io \"*\" is forbidden: <&>", "*", "custom.metrics.k8s.io", "pods" };
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	assert_int_equal(apiresp_list_json(&l, &b), 0);
	assert_string_equal(buf_str(&b),
		"{\"kind\":\"ExternalMetricValueList\",\"apiVersion\":\"external.metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[{\"metricName\":\"kafka_consumer_lag\",\"metricLabels\":{\"job_name\":\"orders\"},\"timestamp\":\"2024-01-01T00:00:00Z\",\"value\":\"42\"}]}\n");
	buf_reset(&b);
	assert_int_equal(apiresp_status_json(&nf, &b), 0);
	assert_string_equal(buf_str(&b),
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"the server could not find the metric busy_ratio for pods\",\"reason\":\"NotFound\",\"code\":404}\n");
	buf_reset(&b);
	assert_int_equal(apiresp_status_json(&fb, &b), 0);
	assert_string_equal(buf_str(&b),
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"pods.custom.metrics.k8s.io \\\"*\\\" is forbidden: \\u003c\\u0026\\u003e\",\"reason\":\"Forbidden\",\"details\":{\"name\":\"*\",\"group\":\"custom.metrics.k8s.io\",\"kind\":\"pods\"},\"code\":403}\n");
	buf_release(&b);
}

static void indent__go_marshal_indent_layout(void **state)
{
	static const char in[] = "{\"a\":{},\"b\":[],\"c\":[{\"d\":\"x,{:}\\\"\"},1]}\n";
	struct buf b = BUF_INIT(4096);

	(void)state;
	assert_int_equal(apiresp_indent(in, sizeof(in) - 1, &b), 0);
	assert_string_equal(buf_str(&b),
		"{\n  \"a\": {},\n  \"b\": [],\n  \"c\": [\n    {\n      \"d\": \"x,{:}\\\"\"\n    },\n    1\n  ]\n}");
	buf_release(&b);
}

static const unsigned char reference_pb[] = {
	0x6b, 0x38, 0x73, 0x00, 0x0a, 0x30, 0x0a, 0x1d, 'c', 'u', 's', 't',
	'o', 'm', '.', 'm', 'e', 't', 'r', 'i', 'c', 's', '.', 'k', '8', 's',
	'.', 'i', 'o', '/', 'v', '1', 'b', 'e', 't', 'a', '2', 0x12, 0x0f,
	'M', 'e', 't', 'r', 'i', 'c', 'V', 'a', 'l', 'u', 'e', 'L', 'i', 's',
	't', 0x12, 0x44, 0x0a, 0x06, 0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00,
	0x12, 0x3a, 0x0a, 0x1d, 0x0a, 0x03, 'P', 'o', 'd', 0x12, 0x05, 'f',
	'l', 'i', 'n', 'k', 0x1a, 0x04, 't', 'm', '-', '1', 0x22, 0x00, 0x2a,
	0x03, '/', 'v', '1', 0x32, 0x00, 0x3a, 0x00, 0x12, 0x06, 0x0a, 0x04,
	'b', 'u', 's', 'y', 0x1a, 0x08, 0x08, 0x80, 0x81, 0xc8, 0xac, 0x06,
	0x10, 0x00, 0x2a, 0x07, 0x0a, 0x05, '1', '5', '0', '0', 'm', 0x1a,
	0x00, 0x22, 0x00,
};

static void proto__v1beta2__reference_bytes(void **state)
{
	struct api_list l = { API_CUSTOM_V1BETA2, "busy", NULL, &tm1, 1 };
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	assert_int_equal(apiresp_list_proto(&l, &b), 0);
	assert_int_equal(b.len, sizeof(reference_pb));
	assert_memory_equal(b.p, reference_pb, sizeof(reference_pb));
	buf_release(&b);
}

static void proto__reference_bytes__decode_to_reference_values(void **state)
{
	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown *u;
	K8s__Io__Metrics__MetricValueListV1beta2 *list;

	(void)state;
	u = k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__unpack(
		NULL, sizeof(reference_pb) - 4, reference_pb + 4);
	assert_non_null(u);
	assert_string_equal(u->typemeta->apiversion,
			    "custom.metrics.k8s.io/v1beta2");
	list = k8s__io__metrics__metric_value_list_v1beta2__unpack(
		NULL, u->raw.len, u->raw.data);
	assert_non_null(list);
	assert_int_equal(list->n_items, 1);
	assert_string_equal(list->items[0]->describedobject->name, "tm-1");
	assert_string_equal(list->items[0]->metric->name, "busy");
	assert_null(list->items[0]->metric->selector);
	assert_int_equal(list->items[0]->timestamp->seconds, 1704067200);
	assert_string_equal(list->items[0]->value->string, "1500m");
	assert_false(list->items[0]->has_windowseconds);
	k8s__io__metrics__metric_value_list_v1beta2__free_unpacked(list, NULL);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(u, NULL);
}

static K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown *
unwrap(const struct buf *b, const char *kind)
{
	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown *u;

	assert_memory_equal(b->p, "k8s\0", 4);
	u = k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__unpack(
		NULL, b->len - 4, (const uint8_t *)b->p + 4);
	assert_non_null(u);
	assert_string_equal(u->typemeta->kind, kind);
	return u;
}

static void proto__v1beta1_external_status__decode_back(void **state)
{
	struct selector s;
	struct api_item w = tm1;
	struct api_list l = { API_CUSTOM_V1BETA1, "m", &s, &w, 1 };
	struct api_item ext = { "", "", NULL, "", T0, 42000, 30, "orders" };
	struct api_status st = { 404, "NotFound", "no such metric", NULL, NULL, NULL };
	struct buf b = BUF_INIT(1 << 16);
	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown *u;
	K8s__Io__Metrics__MetricValueListV1beta1 *l1;
	K8s__Io__Metrics__ExternalMetricValueList *le;
	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Status *ps;

	(void)state;
	w.window_s = 60;
	assert_int_equal(sel_parse(&s, "b=2,a in (y,x)", NULL), 0);
	assert_int_equal(apiresp_list_proto(&l, &b), 0);
	u = unwrap(&b, "MetricValueList");
	l1 = k8s__io__metrics__metric_value_list_v1beta1__unpack(NULL, u->raw.len, u->raw.data);
	assert_non_null(l1);
	assert_string_equal(l1->items[0]->metricname, "m");
	assert_int_equal(l1->items[0]->window, 60);
	assert_string_equal(l1->items[0]->selector->matchlabels[0]->key, "b");
	assert_string_equal(l1->items[0]->selector->matchexpressions[0]->operator_, "In");
	assert_string_equal(l1->items[0]->selector->matchexpressions[0]->values[0], "x");
	k8s__io__metrics__metric_value_list_v1beta1__free_unpacked(l1, NULL);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(u, NULL);
	sel_release(&s);

	buf_reset(&b);
	l = (struct api_list){ API_EXTERNAL_V1BETA1, "flink_job_backlog", NULL, &ext, 1 };
	assert_int_equal(apiresp_list_proto(&l, &b), 0);
	u = unwrap(&b, "ExternalMetricValueList");
	le = k8s__io__metrics__external_metric_value_list__unpack(NULL, u->raw.len, u->raw.data);
	assert_non_null(le);
	assert_string_equal(le->items[0]->metriclabels[0]->value, "orders");
	assert_string_equal(le->items[0]->value->string, "42");
	assert_int_equal(le->items[0]->timestamp->seconds, T0 / 1000);
	k8s__io__metrics__external_metric_value_list__free_unpacked(le, NULL);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(u, NULL);

	buf_reset(&b);
	assert_int_equal(apiresp_status_proto(&st, &b), 0);
	u = unwrap(&b, "Status");
	ps = k8s__io__apimachinery__pkg__apis__meta__v1__status__unpack(NULL, u->raw.len, u->raw.data);
	assert_non_null(ps);
	assert_int_equal(ps->code, 404);
	assert_string_equal(ps->reason, "NotFound");
	assert_null(ps->details);
	k8s__io__apimachinery__pkg__apis__meta__v1__status__free_unpacked(ps, NULL);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(u, NULL);
	buf_release(&b);
}

/* Invalid UTF-8 reads the same in both encodings: U+FFFD for each bad
 * byte (Go's encoding/json), in the protobuf strings too. */
static void proto__invalid_utf8__as_json_replaces_it(void **state)
{
	struct api_item ext = { "", "", NULL, "", T0, 1000, 0, "ord\xff" "ers\xc3" };
	struct api_item pod = { "Pod", "/v1", "flink", "tm-\xe2\x82", T0, 1000, 0, NULL };
	struct api_list l = { API_EXTERNAL_V1BETA1, "lag", NULL, &ext, 1 };
	struct api_status st = { 403, "Forbidden", "User \"b\x80ob\" \xc3\xa9", NULL, NULL, NULL };
	struct buf b = BUF_INIT(1 << 16);
	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown *u;
	K8s__Io__Metrics__ExternalMetricValueList *le;
	K8s__Io__Metrics__MetricValueListV1beta2 *l2;
	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Status *ps;

	(void)state;
	assert_int_equal(apiresp_list_json(&l, &b), 0);
	assert_non_null(strstr(b.p, "\"job_name\":\"ord\\ufffders\\ufffd\""));
	buf_reset(&b);
	assert_int_equal(apiresp_list_proto(&l, &b), 0);
	u = unwrap(&b, "ExternalMetricValueList");
	le = k8s__io__metrics__external_metric_value_list__unpack(NULL, u->raw.len, u->raw.data);
	assert_non_null(le);
	assert_string_equal(le->items[0]->metriclabels[0]->value,
			    "ord\xef\xbf\xbd" "ers\xef\xbf\xbd");
	assert_string_equal(ext.job_label, "ord\xff" "ers\xc3"); /* caller's kept */
	k8s__io__metrics__external_metric_value_list__free_unpacked(le, NULL);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(u, NULL);

	buf_reset(&b);
	l = (struct api_list){ API_CUSTOM_V1BETA2, "busy", NULL, &pod, 1 };
	assert_int_equal(apiresp_list_proto(&l, &b), 0);
	u = unwrap(&b, "MetricValueList");
	l2 = k8s__io__metrics__metric_value_list_v1beta2__unpack(NULL, u->raw.len, u->raw.data);
	assert_non_null(l2);
	assert_string_equal(l2->items[0]->describedobject->name, "tm-\xef\xbf\xbd\xef\xbf\xbd");
	k8s__io__metrics__metric_value_list_v1beta2__free_unpacked(l2, NULL);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(u, NULL);

	buf_reset(&b);
	assert_int_equal(apiresp_status_json(&st, &b), 0);
	assert_non_null(strstr(b.p, "User \\\"b\\ufffdob\\\" \xc3\xa9"));
	buf_reset(&b);
	assert_int_equal(apiresp_status_proto(&st, &b), 0);
	u = unwrap(&b, "Status");
	ps = k8s__io__apimachinery__pkg__apis__meta__v1__status__unpack(NULL, u->raw.len, u->raw.data);
	assert_non_null(ps);
	assert_string_equal(ps->message, "User \"b\xef\xbf\xbdob\" \xc3\xa9");
	k8s__io__apimachinery__pkg__apis__meta__v1__status__free_unpacked(ps, NULL);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(u, NULL);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantity__reference_table),
		cmocka_unit_test(json__v1beta2_and_v1beta1__reference_bytes),
		cmocka_unit_test(json__metric_selector_echoed),
		cmocka_unit_test(json__external_and_status__reference_bytes),
		cmocka_unit_test(indent__go_marshal_indent_layout),
		cmocka_unit_test(proto__v1beta2__reference_bytes),
		cmocka_unit_test(proto__reference_bytes__decode_to_reference_values),
		cmocka_unit_test(proto__v1beta1_external_status__decode_back),
		cmocka_unit_test(proto__invalid_utf8__as_json_replaces_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
