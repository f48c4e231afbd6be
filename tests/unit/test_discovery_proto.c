/*
 * test_discovery_proto.c - the discovery documents (/apis, /apis/GROUP,
 * /apis/GROUP/VERSION) in protobuf: the envelope, the gogo wire habits, and
 * that every document unpacks to what its JSON twin says (every group and
 * version, every resource's name, kind, verbs and scope).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "adapter/serve/api.h"
#include "proto/k8s_discovery.pb-c.h"
#include "proto/k8s_meta.pb-c.h"

#define PROTO "application/vnd.kubernetes.protobuf, */*"
#define CUSTOM "/apis/custom.metrics.k8s.io"
#define EXTERNAL "/apis/external.metrics.k8s.io"

typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown PbUnknown;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIGroup PbGroup;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIGroupList PbGroupList;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__GroupVersionForDiscovery PbGv;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIResource PbResource;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIResourceList PbResourceList;

struct fx {
	struct ex_spec *spec;
	struct store *st;
	struct api_ctx ctx;
	struct api_response rs;
	json_object *json; /* the JSON answer of the last pair */
	PbUnknown *u;      /* the protobuf envelope of the last pair */
};

static const struct ex_rule rules[] = {
	{ "records_in", "flink_taskmanager_job_task_numRecordsInPerSecond",
	  NULL, 0, EX_AGG_SUM, EX_AGG_SUM, 1 },
	{ "odd\"name\\", "flink_taskmanager_job_task_numRecordsOutPerSecond",
	  NULL, 0, EX_AGG_SUM, EX_AGG_SUM, 1 },
};

static int setup(void **state)
{
	static struct fx f;

	f.spec = ex_spec_new(rules, 2, NULL);
	f.st = store_new(f.spec, 15000);
	f.ctx = (struct api_ctx){ f.st, f.spec, 5, NULL, NULL, NULL, NULL };
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

static void get(struct fx *f, const char *path, const char *accept)
{
	struct api_request rq = { "GET", path, NULL, NULL, NULL, NULL, accept,
				  "kube-controller-manager/v1.36" };

	api_handle(&f->ctx, &rq, &f->rs);
	assert_int_equal(f->rs.code, 200);
}

/* GET path as JSON and as protobuf: f->json and the envelope f->u, whose
 * typeMeta must be the JSON's kind and apiVersion. */
static void get_pair(struct fx *f, const char *path)
{
	json_object *v;

	get(f, path, NULL);
	assert_string_equal(f->rs.content_type, "application/json");
	f->json = json_tokener_parse(buf_str(&f->rs.body));
	assert_non_null(f->json);
	get(f, path, PROTO);
	assert_string_equal(f->rs.content_type, "application/vnd.kubernetes.protobuf");
	assert_true(f->rs.body.len > 4);
	assert_memory_equal(f->rs.body.p, "k8s\0", 4);
	f->u = k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__unpack(
		NULL, f->rs.body.len - 4, (const uint8_t *)f->rs.body.p + 4);
	assert_non_null(f->u);
	assert_non_null(f->u->typemeta);
	assert_true(json_object_object_get_ex(f->json, "kind", &v));
	assert_string_equal(f->u->typemeta->kind, json_object_get_string(v));
	assert_true(json_object_object_get_ex(f->json, "apiVersion", &v));
	assert_string_equal(f->u->typemeta->apiversion, json_object_get_string(v));
	assert_string_equal(f->u->typemeta->apiversion, "v1");
	assert_true(f->u->has_raw);
	assert_string_equal(f->u->contentencoding, "");
	assert_string_equal(f->u->contenttype, "");
}

static void pair_release(struct fx *f)
{
	json_object_put(f->json);
	k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__free_unpacked(f->u, NULL);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

static void check_gv(const PbGv *gv, json_object *j)
{
	assert_non_null(gv);
	assert_string_equal(gv->groupversion, jstr(j, "groupVersion"));
	assert_string_equal(gv->version, jstr(j, "version"));
}

static void check_group(const PbGroup *g, json_object *j)
{
	json_object *vs, *pref;

	assert_string_equal(g->name, jstr(j, "name"));
	assert_true(json_object_object_get_ex(j, "versions", &vs));
	assert_int_equal(g->n_versions, json_object_array_length(vs));
	for (size_t i = 0; i < g->n_versions; i++)
		check_gv(g->versions[i], json_object_array_get_idx(vs, i));
	assert_true(json_object_object_get_ex(j, "preferredVersion", &pref));
	check_gv(g->preferredversion, pref);
	assert_int_equal(g->n_serveraddressbyclientcidrs, 0);
}

static void groups__list_and_each_group(void **state)
{
	struct fx *f = *state;
	PbGroupList *l;
	PbGroup *g;
	json_object *gs;
	const char *paths[] = { CUSTOM, EXTERNAL };

	get_pair(f, "/apis");
	l = k8s__io__apimachinery__pkg__apis__meta__v1__apigroup_list__unpack(
		NULL, f->u->raw.len, f->u->raw.data);
	assert_non_null(l);
	assert_true(json_object_object_get_ex(f->json, "groups", &gs));
	assert_int_equal(l->n_groups, 2);
	assert_int_equal(l->n_groups, json_object_array_length(gs));
	for (size_t i = 0; i < l->n_groups; i++)
		check_group(l->groups[i], json_object_array_get_idx(gs, i));
	assert_string_equal(l->groups[0]->preferredversion->version, "v1beta2");
	k8s__io__apimachinery__pkg__apis__meta__v1__apigroup_list__free_unpacked(l, NULL);
	pair_release(f);

	for (int i = 0; i < 2; i++) {
		get_pair(f, paths[i]);
		g = k8s__io__apimachinery__pkg__apis__meta__v1__apigroup__unpack(
			NULL, f->u->raw.len, f->u->raw.data);
		assert_non_null(g);
		check_group(g, f->json);
		assert_string_equal(g->name, paths[i] + strlen("/apis/"));
		k8s__io__apimachinery__pkg__apis__meta__v1__apigroup__free_unpacked(g, NULL);
		pair_release(f);
	}
}

static void check_resource(const PbResource *r, json_object *j)
{
	json_object *v, *verbs;

	assert_string_equal(r->name, jstr(j, "name"));
	assert_string_equal(r->kind, jstr(j, "kind"));
	assert_string_equal(r->singularname, jstr(j, "singularName"));
	assert_true(json_object_object_get_ex(j, "namespaced", &v));
	assert_true(r->has_namespaced);
	assert_int_equal(!!r->namespaced, !!json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(j, "verbs", &verbs));
	assert_non_null(r->verbs);
	assert_int_equal(r->verbs->n_items, json_object_array_length(verbs));
	for (size_t i = 0; i < r->verbs->n_items; i++)
		assert_string_equal(r->verbs->items[i],
				    json_object_get_string(json_object_array_get_idx(verbs, i)));
	assert_int_equal(r->n_shortnames, 0);
	assert_int_equal(r->n_categories, 0);
}

/* Every resource list: the same entries as the JSON one, in order. */
static void resources__every_version_matches_json(void **state)
{
	struct fx *f = *state;
	const char *paths[] = { CUSTOM "/v1beta1", CUSTOM "/v1beta2",
				EXTERNAL "/v1beta1" };
	PbResourceList *l;
	json_object *rs;

	for (int p = 0; p < 3; p++) {
		get_pair(f, paths[p]);
		l = k8s__io__apimachinery__pkg__apis__meta__v1__apiresource_list__unpack(
			NULL, f->u->raw.len, f->u->raw.data);
		assert_non_null(l);
		assert_string_equal(l->groupversion, jstr(f->json, "groupVersion"));
		assert_string_equal(l->groupversion, paths[p] + strlen("/apis/"));
		assert_true(json_object_object_get_ex(f->json, "resources", &rs));
		assert_true(l->n_resources > 0);
		assert_int_equal(l->n_resources, json_object_array_length(rs));
		for (size_t i = 0; i < l->n_resources; i++)
			check_resource(l->resources[i], json_object_array_get_idx(rs, i));
		k8s__io__apimachinery__pkg__apis__meta__v1__apiresource_list__free_unpacked(l, NULL);
		pair_release(f);
	}
}

static bool has_bytes(const struct buf *b, const char *want, size_t n)
{
	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->p + i, want, n) == 0)
			return true;
	return false;
}

/* As kube-apiserver's gogo marshaller writes them: fields in number order,
 * empty non-pointer strings and the preferred version always written. */
static void wire__gogo_habits(void **state)
{
	static const char res[] =
		"\x0a\x0arecords_in\x10\x01\x1a\x17" "ExternalMetricValueList"
		"\x22\x05\x0a\x03get\x32\x00\x42\x00\x4a\x00\x52\x00";
	static const char ns[] =
		"\x0a\x15namespaces/records_in\x10\x00\x1a\x0fMetricValueList"
		"\x22\x05\x0a\x03get\x32\x00\x42\x00\x4a\x00\x52\x00";
	static const char grp[] =
		"\x0a\x17" "external.metrics.k8s.io"
		"\x12\x2a\x0a\x1f" "external.metrics.k8s.io/v1beta1\x12\x07v1beta1"
		"\x1a\x2a\x0a\x1f" "external.metrics.k8s.io/v1beta1\x12\x07v1beta1";
	struct fx *f = *state;

	get(f, EXTERNAL "/v1beta1", PROTO);
	assert_true(has_bytes(&f->rs.body, res, sizeof(res) - 1));
	assert_memory_equal(f->rs.body.p + f->rs.body.len - 4, "\x1a\x00\x22\x00", 4);
	get(f, CUSTOM "/v1beta2", PROTO);
	assert_true(has_bytes(&f->rs.body, ns, sizeof(ns) - 1));
	get(f, EXTERNAL, PROTO);
	assert_true(has_bytes(&f->rs.body, grp, sizeof(grp) - 1));
	/* JSON is still the default and for application/json first */
	get(f, "/apis", "application/json, application/vnd.kubernetes.protobuf");
	assert_string_equal(f->rs.content_type, "application/json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(groups__list_and_each_group),
		cmocka_unit_test(resources__every_version_matches_json),
		cmocka_unit_test(wire__gogo_habits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
