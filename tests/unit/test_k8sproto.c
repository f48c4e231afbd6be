/*
 * test_k8sproto.c - the .proto files in proto/ reproduce the Kubernetes
 * protobuf wire format: encoding the reference MetricValueList (item tm-1,
 * metric "busy", 1500m at 1704067200) inside runtime.Unknown gives the
 * byte-exact dump of kubernetes-metrics-api.md section 3.3, and it decodes
 * back to the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/custom_metrics.pb-c.h"

typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__ListMeta ListMeta;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__ObjectReference ObjRef;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Time Time;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Quantity Quantity;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown Unknown;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeTypeMeta TypeMeta;
typedef K8s__Io__Metrics__MetricIdentifier MetricId;
typedef K8s__Io__Metrics__MetricValueV1beta2 Value;
typedef K8s__Io__Metrics__MetricValueListV1beta2 ValueList;

static const unsigned char expected[] = {
	0x6b, 0x38, 0x73, 0x00,
	0x0a, 0x30, 0x0a, 0x1d, 'c', 'u', 's', 't', 'o', 'm', '.', 'm', 'e',
	't', 'r', 'i', 'c', 's', '.', 'k', '8', 's', '.', 'i', 'o', '/', 'v',
	'1', 'b', 'e', 't', 'a', '2', 0x12, 0x0f, 'M', 'e', 't', 'r', 'i',
	'c', 'V', 'a', 'l', 'u', 'e', 'L', 'i', 's', 't',
	0x12, 0x44,
	0x0a, 0x06, 0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00,
	0x12, 0x3a,
	0x0a, 0x1d, 0x0a, 0x03, 'P', 'o', 'd', 0x12, 0x05, 'f', 'l', 'i', 'n',
	'k', 0x1a, 0x04, 't', 'm', '-', '1', 0x22, 0x00, 0x2a, 0x03, '/', 'v',
	'1', 0x32, 0x00, 0x3a, 0x00,
	0x12, 0x06, 0x0a, 0x04, 'b', 'u', 's', 'y',
	0x1a, 0x08, 0x08, 0x80, 0x81, 0xc8, 0xac, 0x06, 0x10, 0x00,
	0x2a, 0x07, 0x0a, 0x05, '1', '5', '0', '0', 'm',
	0x1a, 0x00, 0x22, 0x00,
};

static size_t encode_reference(unsigned char *out, size_t cap)
{
	ListMeta meta = K8S__IO__APIMACHINERY__PKG__APIS__META__V1__LIST_META__INIT;
	ObjRef ref = K8S__IO__APIMACHINERY__PKG__APIS__META__V1__OBJECT_REFERENCE__INIT;
	Time ts = K8S__IO__APIMACHINERY__PKG__APIS__META__V1__TIME__INIT;
	Quantity q = K8S__IO__APIMACHINERY__PKG__APIS__META__V1__QUANTITY__INIT;
	MetricId id = K8S__IO__METRICS__METRIC_IDENTIFIER__INIT;
	Value v = K8S__IO__METRICS__METRIC_VALUE_V1BETA2__INIT;
	ValueList list = K8S__IO__METRICS__METRIC_VALUE_LIST_V1BETA2__INIT;
	TypeMeta tm = K8S__IO__APIMACHINERY__PKG__APIS__META__V1__RUNTIME_TYPE_META__INIT;
	Unknown u = K8S__IO__APIMACHINERY__PKG__APIS__META__V1__RUNTIME_UNKNOWN__INIT;
	Value *items[1] = { &v };
	unsigned char raw[256];
	size_t n;

	meta.selflink = meta.resourceversion = meta.continue_ = "";
	ref.kind = "Pod";
	ref.namespace_ = "flink";
	ref.name = "tm-1";
	ref.uid = ref.resourceversion = ref.fieldpath = "";
	ref.apiversion = "/v1";
	ts.has_seconds = ts.has_nanos = 1;
	ts.seconds = 1704067200;
	q.string = "1500m";
	id.name = "busy";
	v.describedobject = &ref;
	v.metric = &id;
	v.timestamp = &ts;
	v.value = &q;
	list.metadata = &meta;
	list.n_items = 1;
	list.items = items;
	assert_true(k8s__io__metrics__metric_value_list_v1beta2__get_packed_size(&list) <= sizeof(raw));
	n = k8s__io__metrics__metric_value_list_v1beta2__pack(&list, raw);
	tm.apiversion = "custom.metrics.k8s.io/v1beta2";
	tm.kind = "MetricValueList";
	u.typemeta = &tm;
	u.has_raw = 1;
	u.raw.data = raw;
	u.raw.len = n;
	u.contentencoding = u.contenttype = "";
	assert_true(4 + k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__get_packed_size(&u) <= cap);
	memcpy(out, "k8s\0", 4);
	return 4 + k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__pack(&u, out + 4);
}

static void encode__reference_list__matches_upstream_bytes(void **state)
{
	unsigned char out[512];
	size_t n = encode_reference(out, sizeof(out));

	(void)state;
	assert_int_equal(n, sizeof(expected));
	assert_memory_equal(out, expected, sizeof(expected));
}

static void decode__upstream_bytes__gives_reference_values(void **state)
{
	Unknown *u;
	ValueList *list;

	(void)state;
	u = k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__unpack(
		NULL, sizeof(expected) - 4, expected + 4);
	assert_non_null(u);
	assert_string_equal(u->typemeta->kind, "MetricValueList");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode__reference_list__matches_upstream_bytes),
		cmocka_unit_test(decode__upstream_bytes__gives_reference_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
