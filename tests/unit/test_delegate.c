/*
 * test_delegate.c - delegation without HTTP in front: which requests the API
 * leaves to the delegate (metrics that are not ours, in a delegated group
 * only; our names always win), the discovery documents as the union of
 * ours and the delegate's cached one (a bad document keeps the old), the
 * 503 Status in JSON and protobuf, the options refused, and a call to a
 * delegate that is down ending in a failure, not a hang.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "adapter/serve/api.h"
#include "adapter/delegate/delegate.h"

static bool has(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; b->p && i + n <= b->len; i++)
		if (memcmp(b->p + i, s, n) == 0)
			return true;
	return false;
}

struct fx {
	struct ex_spec *spec;
	struct store *st;
	struct delegate *d;
	struct api_ctx ctx;
	struct api_response rs;
};

static const struct ex_rule rules[] = {
	{ "records_in", "flink_taskmanager_job_task_numRecordsInPerSecond",
	  NULL, 0, EX_AGG_SUM, EX_AGG_SUM, 1 },
};

static int setup(void **state)
{
	static struct fx f;
	/* port 1 on loopback: nothing listens there */
	struct delegate_opts o = { .custom_url = "http://127.0.0.1:1/",
				   .timeout_ms = 2000 };
	struct err e;

	err_clear(&e);
	f.spec = ex_spec_new(rules, 1, NULL);
	f.st = store_new(f.spec, 15000);
	f.d = delegate_new(&o, &e);
	assert_non_null(f.d);
	f.ctx = (struct api_ctx){ f.st, f.spec, 5, NULL, NULL, NULL, NULL, f.d };
	buf_init(&f.rs.body, 64 * 1024 * 1024);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	buf_release(&f->rs.body);
	delegate_free(f->d);
	store_free(f->st);
	ex_spec_free(f->spec);
	return 0;
}

static const char *req(struct fx *f, const char *path, const char *accept)
{
	struct api_request rq = { "GET", path, NULL, NULL, NULL, NULL, accept,
				  "kube-controller-manager/v1.36" };

	api_handle(&f->ctx, &rq, &f->rs);
	return buf_str(&f->rs.body);
}

#define C2 "/apis/custom.metrics.k8s.io/v1beta2"
#define EXT "/apis/external.metrics.k8s.io/v1beta1"

static void routing__not_ours_forwarded_ours_answered(void **state)
{
	struct fx *f = *state;

	/* not ours, every custom path shape: forwarded */
	req(f, C2 "/namespaces/web/services/frontend/http_requests", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_CUSTOM);
	req(f, C2 "/namespaces/web/pods/*/http_requests", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_CUSTOM);
	req(f, C2 "/namespaces/web/metrics/queue_length", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_CUSTOM);
	req(f, C2 "/nodes/*/node_load", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_CUSTOM);
	req(f, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/web/services/frontend/x", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_CUSTOM);
	/* ours (catalogue, rule) stay here, whatever the resource */
	req(f, C2 "/namespaces/flink/pods/*/flink_tm_backlog", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_NONE);
	assert_int_equal(f->rs.code, 200);
	req(f, C2 "/namespaces/flink/pods/tm-1/records_in", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_NONE);
	assert_int_equal(f->rs.code, 404);
	req(f, C2 "/namespaces/flink/services/x/flink_tm_backlog", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_NONE);
	assert_int_equal(f->rs.code, 404);
	/* external has no delegate here: our 404 */
	req(f, EXT "/namespaces/web/queue_depth", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_NONE);
	assert_int_equal(f->rs.code, 404);
	/* discovery and malformed paths are never forwarded */
	req(f, C2, NULL);
	assert_int_equal(f->rs.forward, DELEGATE_NONE);
	req(f, C2 "/namespaces/web/services/frontend/x/y", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_NONE);
	assert_int_equal(f->rs.code, 404);
	/* without a delegate: the old 404 */
	f->ctx.delegate = NULL;
	req(f, C2 "/namespaces/web/services/frontend/http_requests", NULL);
	assert_int_equal(f->rs.forward, DELEGATE_NONE);
	assert_int_equal(f->rs.code, 404);
	f->ctx.delegate = f->d;
}

static void discovery__union_ours_win(void **state)
{
	struct fx *f = *state;
	const char *doc = "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\","
		"\"groupVersion\":\"custom.metrics.k8s.io/v1beta2\",\"resources\":["
		"{\"name\":\"services/http_requests\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]},"
		"{\"name\":\"nodes/node_load\",\"namespaced\":false,\"kind\":\"MetricValueList\"},"
		"{\"name\":\"pods/flink_tm_backlog\",\"namespaced\":true},"
		"{\"name\":\"services/records_in\",\"namespaced\":true}]}\n";
	const char *b;
	struct err e;

	err_clear(&e);
	assert_int_equal(delegate_set_discovery(f->d, "custom.metrics.k8s.io/v1beta2",
						doc, strlen(doc), &e), 0);
	b = req(f, C2, NULL);
	assert_int_equal(f->rs.code, 200);
	assert_non_null(strstr(b, "\"pods/flink_tm_backlog\""));
	assert_non_null(strstr(b, ",{\"name\":\"services/http_requests\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]}"));
	assert_non_null(strstr(b, "{\"name\":\"nodes/node_load\",\"singularName\":\"\",\"namespaced\":false,"));
	/* our names win: listed once (ours), the delegate's under them not */
	assert_null(strstr(strstr(b, "\"pods/flink_tm_backlog\"") + 1, "\"pods/flink_tm_backlog\""));
	assert_null(strstr(b, "services/records_in"));
	/* the other version has no document yet: ours only */
	b = req(f, "/apis/custom.metrics.k8s.io/v1beta1", NULL);
	assert_null(strstr(b, "services/http_requests"));
	/* a bad document is refused and the old one stays */
	assert_int_not_equal(delegate_set_discovery(f->d, "custom.metrics.k8s.io/v1beta2",
						    "{\"resources\":[{\"name\":3}]}", 26, &e), 0);
	assert_int_not_equal(delegate_set_discovery(f->d, "custom.metrics.k8s.io/v1beta2",
						    "{\"resources\":", 13, &e), 0);
	assert_int_not_equal(delegate_set_discovery(f->d, "apps/v1", "{}", 2, &e), 0);
	b = req(f, C2, NULL);
	assert_non_null(strstr(b, "services/http_requests"));
	/* protobuf lists them too */
	b = req(f, C2, "application/vnd.kubernetes.protobuf");
	assert_string_equal(f->rs.content_type, "application/vnd.kubernetes.protobuf");
	assert_true(has(&f->rs.body, "services/http_requests"));
}

static void unavailable__status_json_and_proto(void **state)
{
	struct fx *f = *state;
	struct api_request rq = { "GET", C2 "/namespaces/web/services/f/m", NULL,
				  NULL, NULL, NULL, NULL, "kcm" };

	api_unavailable(&rq, "Connection refused", &f->rs);
	assert_int_equal(f->rs.code, 503);
	assert_string_equal(buf_str(&f->rs.body),
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
		"\"message\":\"the metrics adapter flinkhpa delegates to is unavailable: "
		"Connection refused\",\"reason\":\"ServiceUnavailable\",\"code\":503}\n");
	rq.accept = "application/vnd.kubernetes.protobuf, */*";
	api_unavailable(&rq, "Connection refused", &f->rs);
	assert_int_equal(f->rs.code, 503);
	assert_string_equal(f->rs.content_type, "application/vnd.kubernetes.protobuf");
	assert_memory_equal(f->rs.body.p, "k8s\0", 4);
	assert_true(has(&f->rs.body, "ServiceUnavailable"));
}

static volatile int done_calls;

static void on_done(void *ud)
{
	(void)ud;
	__atomic_add_fetch(&done_calls, 1, __ATOMIC_SEQ_CST);
}

static void each_arg(void *src, authn_each_fn fn, void *ud)
{
	(void)src;
	fn(ud, "labelSelector", "a=b");
}

static void forward__down_delegate_fails_not_hangs(void **state)
{
	struct fx *f = *state;
	struct delegate_req rq = { DELEGATE_CUSTOM, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/web/pods/*/m",
				   each_arg, NULL, NULL, NULL, NULL, NULL };
	struct delegate_result r;
	struct delegate_call *c;
	struct err e;
	int i;

	err_clear(&e);
	assert_int_equal(delegate_start(f->d, &e), 0);
	assert_int_equal(delegate_start(f->d, &e), ERR_STATE); /* as x_start */
	err_clear(&e);
	c = delegate_forward(f->d, &rq, on_done, NULL, &e);
	assert_non_null(c);
	for (i = 0; i < 500 && !__atomic_load_n(&done_calls, __ATOMIC_SEQ_CST); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_int_equal(done_calls, 1);
	delegate_call_result(c, &r);
	assert_int_equal(r.code, 0);
	assert_true(strlen(r.error) > 0);
	delegate_call_free(c);
	/* external is not delegated here */
	rq.group = DELEGATE_EXTERNAL;
	assert_null(delegate_forward(f->d, &rq, on_done, NULL, &e));
	/* a call left queued when the delegate stops is answered too */
	rq.group = DELEGATE_CUSTOM;
	delegate_stop(f->d);
	err_clear(&e);
	assert_null(delegate_forward(f->d, &rq, on_done, NULL, &e));
	assert_non_null(strstr(e.msg, "stopping"));
}

static void options__refused(void **state)
{
	struct delegate_opts o = { .custom_url = "ftp://x", .timeout_ms = 1000 };
	struct err e;

	(void)state;
	err_clear(&e);
	assert_null(delegate_new(&o, &e));
	assert_non_null(strstr(e.msg, "not an http:// or https:// URL"));
	o.custom_url = "https://x/?a=b";
	err_clear(&e);
	assert_null(delegate_new(&o, &e));
	o.custom_url = "https://x";
	o.cert_file = "/etc/hostname";
	err_clear(&e);
	assert_null(delegate_new(&o, &e));
	assert_non_null(strstr(e.msg, "go together"));
	o.key_file = "/etc/hostname";
	o.token_file = "/etc/hostname";
	err_clear(&e);
	assert_null(delegate_new(&o, &e));
	assert_non_null(strstr(e.msg, "one identity"));
	o = (struct delegate_opts){ .ca_file = "/etc/hostname", .timeout_ms = 1 };
	err_clear(&e);
	assert_null(delegate_new(&o, &e));
	assert_int_not_equal(e.code, 0);
	o.ca_file = NULL;
	err_clear(&e);
	assert_null(delegate_new(&o, &e)); /* nothing configured: no delegate */
	assert_int_equal(e.code, 0);
	assert_false(delegate_serves(NULL, DELEGATE_CUSTOM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routing__not_ours_forwarded_ours_answered),
		cmocka_unit_test(discovery__union_ours_win),
		cmocka_unit_test(unavailable__status_json_and_proto),
		cmocka_unit_test(forward__down_delegate_fails_not_hangs),
		cmocka_unit_test(options__refused),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
