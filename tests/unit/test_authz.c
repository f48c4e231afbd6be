/*
 * test_authz.c - delegated authorization (adapter/auth/authz.c) against a
 * SubjectAccessReview and TokenReview server in this process (fakekube.h):
 *
 *   - the rules: /healthz, /livez, /readyz open to all, system:masters
 *     allowed everything, and without a Kubernetes API nobody else;
 *   - a miss, the review (its body: user, groups, extra, the resource or
 *     non-resource attributes), the answer cached: a hit sends nothing;
 *     an answer expires after the TTL; a denial keeps the reviewer's
 *     reason;
 *   - parking: requests asking the same question while its review is in
 *     flight share that one review and are answered when it is in;
 *   - a review that fails (HTTP 500) answers the waiters with a short
 *     denial naming the cause;
 *   - the denial's wording, as kube-apiserver's (namespaced, cluster
 *     scope, non-resource, with a reason);
 *   - TokenReviews: the user a good token names, a bad token denied.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "adapter/auth/authz.h"
#include "common/log.h"
#include "tests/unit/fakekube.h"

#define SAR "/apis/authorization.k8s.io/v1/subjectaccessreviews"
#define TR "/apis/authentication.k8s.io/v1/tokenreviews"

struct reviewer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int sars, tokens;     /* reviews received */
	bool hold;            /* answers wait until released */
	int held;             /* reviews waiting now */
	int fail;             /* answer with this status */
	char last[8192];      /* the last review's body */
	/* done callbacks */
	int done;
};

/* allowed unless the user is "alice" (denied, with a reason) */
static int review(const char *body, struct buf *out)
{
	json_object *o = json_tokener_parse(body), *spec, *user;
	const char *name = "";

	if (o && json_object_object_get_ex(o, "spec", &spec) &&
	    json_object_object_get_ex(spec, "user", &user))
		name = json_object_get_string(user);
	if (!strcmp(name, "alice"))
		buf_adds(out, "{\"kind\":\"SubjectAccessReview\",\"status\":"
			 "{\"allowed\":false,\"reason\":\"no RBAC policy matched\"}}");
	else
		buf_adds(out, "{\"kind\":\"SubjectAccessReview\",\"status\":"
			 "{\"allowed\":true,\"reason\":\"RBAC: allowed by ClusterRoleBinding\"}}");
	json_object_put(o);
	return 201;
}

static int token_review(const char *body, struct buf *out)
{
	if (strstr(body, "\"token\":\"good\""))
		buf_adds(out, "{\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,"
			 "\"user\":{\"username\":\"system:serviceaccount:kube-system:hpa\","
			 "\"uid\":\"1\",\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"],"
			 "\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"p1\"]}}}}");
	else if (strstr(body, "\"token\":\"odd\""))
		/* authenticated, but with members of the wrong types: the
		 * strings are kept, the rest skipped, nothing crashes */
		buf_adds(out, "{\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,"
			 "\"user\":{\"username\":7,\"groups\":[null,\"g\",{}],"
			 "\"extra\":{\"k\":\"not-a-list\",\"l\":[null,\"v\"]}}}}");
	else if (strstr(body, "\"token\":\"odd2\""))
		buf_adds(out, "{\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,"
			 "\"user\":{\"username\":\"u\",\"groups\":\"g\",\"extra\":[1]}}}");
	else
		buf_adds(out, "{\"kind\":\"TokenReview\",\"status\":{\"authenticated\":false,"
			 "\"error\":\"invalid bearer token\"}}");
	return 201;
}

static int serve(void *ud, const char *method, const char *path,
		 const char *query, const char *body, struct buf *out)
{
	struct reviewer *rv = ud;
	int status;

	(void)query;
	pthread_mutex_lock(&rv->mu);
	if (!strcmp(path, SAR))
		rv->sars++;
	else if (!strcmp(path, TR))
		rv->tokens++;
	snprintf(rv->last, sizeof(rv->last), "%s", body);
	rv->held++;
	pthread_cond_broadcast(&rv->cv);
	while (rv->hold)
		pthread_cond_wait(&rv->cv, &rv->mu);
	rv->held--;
	if (rv->fail)
		status = rv->fail;
	else if (strcmp(method, "POST"))
		status = 405;
	else if (!strcmp(path, SAR))
		status = review(body, out);
	else if (!strcmp(path, TR))
		status = token_review(body, out);
	else
		status = 404;
	pthread_mutex_unlock(&rv->mu);
	return status;
}

struct rig {
	struct reviewer rv;
	struct fakekube f;
	struct authz *z;
};

static struct rig *rig_new(int64_t ttl_ms)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct err e;

	assert_non_null(r);
	pthread_mutex_init(&r->rv.mu, NULL);
	pthread_cond_init(&r->rv.cv, NULL);
	assert_int_equal(fk_start(&r->f, serve, &r->rv), 0);
	err_clear(&e);
	r->z = authz_new(r->f.k, NULL, ttl_ms, &e);
	assert_non_null(r->z);
	assert_int_equal(authz_start(r->z, &e), 0);
	return r;
}

static void rig_free(struct rig *r)
{
	authz_free(r->z);
	fk_stop(&r->f);
	pthread_cond_destroy(&r->rv.cv);
	pthread_mutex_destroy(&r->rv.mu);
	free(r);
}

static void on_done(void *ud)
{
	struct reviewer *rv = ud;

	pthread_mutex_lock(&rv->mu);
	rv->done++;
	pthread_cond_broadcast(&rv->cv);
	pthread_mutex_unlock(&rv->mu);
}

/* Wait (5 s at most) until *field reaches want. */
static bool wait_count(struct reviewer *rv, int *field, int want)
{
	struct timespec t;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 5;
	pthread_mutex_lock(&rv->mu);
	while (*field < want &&
	       pthread_cond_timedwait(&rv->cv, &rv->mu, &t) == 0)
		;
	ok = *field >= want;
	pthread_mutex_unlock(&rv->mu);
	return ok;
}

static int count(struct reviewer *rv, int *field)
{
	int n;

	pthread_mutex_lock(&rv->mu);
	n = *field;
	pthread_mutex_unlock(&rv->mu);
	return n;
}

static void user(struct authn_user *u, const char *name, const char *group)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	if (group)
		snprintf(u->groups[u->ngroups++], sizeof(u->groups[0]), "%s", group);
	u->how = "front-proxy";
}

static void pods_metric(struct authz_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->resource = true;
	strcpy(a->verb, "get");
	strcpy(a->ns, "flink");
	strcpy(a->group, "custom.metrics.k8s.io");
	strcpy(a->version, "v1beta2");
	strcpy(a->resource_name, "pods");
	strcpy(a->subresource, "flink_tm_busy_ratio");
	strcpy(a->name, "*");
	a->path = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/flink/pods/*/flink_tm_busy_ratio";
}

static void rules(void **state)
{
	struct authn_user anon, root;
	struct authz_attrs a = { .verb = "get", .path = "/readyz" };
	struct authz *z;
	struct err e;
	char reason[256];

	(void)state;
	user(&anon, "system:anonymous", "system:unauthenticated");
	user(&root, "admin", "system:masters");
	err_clear(&e);
	z = authz_new(NULL, NULL, 10000, &e); /* no Kubernetes API */
	assert_non_null(z);
	assert_int_equal(authz_lookup(z, &anon, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	a.path = "/healthz";
	assert_int_equal(authz_lookup(z, &anon, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	a.path = "/livez";
	assert_int_equal(authz_lookup(z, &anon, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	a.path = "/readyz/extra"; /* only the exact paths */
	assert_int_equal(authz_lookup(z, &anon, &a, reason, sizeof(reason)), AUTHZ_DENY);
	assert_string_equal(reason, "no Kubernetes API to ask (only system:masters is allowed)");
	pods_metric(&a);
	assert_int_equal(authz_lookup(z, &root, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	assert_int_equal(authz_lookup(z, &anon, &a, reason, sizeof(reason)), AUTHZ_DENY);
	/* no TokenReview either */
	assert_int_equal(authz_token_lookup(z, "good", &anon), AUTHZ_DENY);
	assert_int_not_equal(authz_token_request(z, "good", on_done, NULL), 0);
	assert_int_equal(authz_reviews(z), 0);
	authz_free(z);
}

static void miss_review_hit(void **state)
{
	struct rig *r = rig_new(10000);
	struct authn_user u;
	struct authz_attrs a;
	json_object *o, *spec, *ra, *v;
	char reason[256];

	(void)state;
	user(&u, "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
	     "system:serviceaccounts");
	snprintf(u.groups[u.ngroups++], sizeof(u.groups[0]), "system:authenticated");
	snprintf(u.extra_key[0], sizeof(u.extra_key[0]), "scopes");
	snprintf(u.extra_val[0], sizeof(u.extra_val[0]), "read");
	u.nextra = 1;
	pods_metric(&a);
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_UNKNOWN);
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 1));
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	assert_int_equal(count(&r->rv, &r->rv.sars), 1);
	assert_int_equal(authz_reviews(r->z), 1);
	/* the review asked kube-apiserver's question */
	o = json_tokener_parse(r->rv.last);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "kind", &v));
	assert_string_equal(json_object_get_string(v), "SubjectAccessReview");
	assert_true(json_object_object_get_ex(o, "apiVersion", &v));
	assert_string_equal(json_object_get_string(v), "authorization.k8s.io/v1");
	assert_true(json_object_object_get_ex(o, "spec", &spec));
	assert_true(json_object_object_get_ex(spec, "user", &v));
	assert_string_equal(json_object_get_string(v), u.name);
	assert_true(json_object_object_get_ex(spec, "groups", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "[\"system:serviceaccounts\",\"system:authenticated\"]");
	assert_true(json_object_object_get_ex(spec, "extra", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "{\"scopes\":[\"read\"]}");
	assert_true(json_object_object_get_ex(spec, "resourceAttributes", &ra));
	assert_string_equal(json_object_to_json_string_ext(ra, JSON_C_TO_STRING_PLAIN),
			    "{\"namespace\":\"flink\",\"verb\":\"get\",\"group\":\"custom.metrics.k8s.io\","
			    "\"version\":\"v1beta2\",\"resource\":\"pods\",\"subresource\":\"flink_tm_busy_ratio\","
			    "\"name\":\"*\"}");
	json_object_put(o);
	/* hits send nothing; another question (another verb) is a miss */
	for (int i = 0; i < 5; i++)
		assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	assert_int_equal(count(&r->rv, &r->rv.sars), 1);
	strcpy(a.verb, "list");
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_UNKNOWN);
	/* so is another group of the same user */
	strcpy(a.verb, "get");
	u.ngroups = 1;
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_UNKNOWN);
	rig_free(r);
}

static void non_resource(void **state)
{
	struct rig *r = rig_new(10000);
	struct authn_user u;
	struct authz_attrs a = { .verb = "get", .path = "/metrics" };
	char reason[256];
	json_object *o, *spec, *v;

	(void)state;
	user(&u, "prometheus", NULL);
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_UNKNOWN);
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 1));
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	o = json_tokener_parse(r->rv.last);
	assert_true(json_object_object_get_ex(o, "spec", &spec));
	assert_false(json_object_object_get_ex(spec, "resourceAttributes", &v));
	assert_true(json_object_object_get_ex(spec, "nonResourceAttributes", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"path\":\"/metrics\",\"verb\":\"get\"}");
	json_object_put(o);
	rig_free(r);
}

/* FH_TIMEOUT_FACTOR (slow wrappers such as valgrind) stretches the TTL
 * below, so that an answer does not expire before the test reads it. */
static int factor(void)
{
	const char *f = getenv("FH_TIMEOUT_FACTOR");
	int n = f ? atoi(f) : 1;

	return n > 0 ? n : 1;
}

static void deny_and_expiry(void **state)
{
	int ttl = 500 * factor();
	struct rig *r = rig_new(ttl);
	struct authn_user u;
	struct authz_attrs a;
	char reason[256];

	(void)state;
	user(&u, "alice", "dev");
	pods_metric(&a);
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 1));
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_DENY);
	assert_string_equal(reason, "no RBAC policy matched");
	/* the TTL passes: asked again */
	nanosleep(&(struct timespec){ (ttl + 100) / 1000, ((ttl + 100) % 1000) * 1000000L }, NULL);
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_UNKNOWN);
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 2));
	assert_int_equal(count(&r->rv, &r->rv.sars), 2);
	rig_free(r);
}

static void parked_share_one_review(void **state)
{
	struct rig *r = rig_new(10000);
	struct authn_user u;
	struct authz_attrs a;
	char reason[256];

	(void)state;
	user(&u, "bob", "dev");
	pods_metric(&a);
	pthread_mutex_lock(&r->rv.mu);
	r->rv.hold = true;
	pthread_mutex_unlock(&r->rv.mu);
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.held, 1)); /* in flight */
	/* the same question twice more while the review is out */
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	assert_int_equal(count(&r->rv, &r->rv.done), 0); /* all parked */
	assert_int_equal(count(&r->rv, &r->rv.sars), 1);
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_UNKNOWN);
	pthread_mutex_lock(&r->rv.mu);
	r->rv.hold = false;
	pthread_cond_broadcast(&r->rv.cv);
	pthread_mutex_unlock(&r->rv.mu);
	assert_true(wait_count(&r->rv, &r->rv.done, 3)); /* each answered */
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	assert_int_equal(count(&r->rv, &r->rv.sars), 1); /* one review */
	assert_int_equal(authz_reviews(r->z), 1);
	rig_free(r);
}

static void review_fails(void **state)
{
	struct rig *r = rig_new(10000);
	struct authn_user u;
	struct authz_attrs a;
	char reason[256];

	(void)state;
	user(&u, "bob", "dev");
	pods_metric(&a);
	r->rv.fail = 500;
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 1));
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_DENY);
	assert_string_equal(reason, "the authorizer could not be reached");
	/* not for long (a second): then asked again, and allowed */
	r->rv.fail = 0;
	nanosleep(&(struct timespec){ 1, 100000000 }, NULL);
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_UNKNOWN);
	assert_int_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 2));
	assert_int_equal(authz_lookup(r->z, &u, &a, reason, sizeof(reason)), AUTHZ_ALLOW);
	/* after authz_stop nothing is queued */
	authz_stop(r->z);
	assert_int_not_equal(authz_request(r->z, &u, &a, on_done, &r->rv), 0);
	rig_free(r);
}

static void deny_wording(void **state)
{
	struct authn_user u;
	struct authz_attrs a;
	char m[1024];

	(void)state;
	user(&u, "alice", "dev");
	pods_metric(&a);
	authz_forbidden_message(&u, &a, "", m, sizeof(m));
	assert_string_equal(m, "pods.custom.metrics.k8s.io \"*\" is forbidden: User \"alice\" "
			    "cannot get resource \"pods/flink_tm_busy_ratio\" in API group "
			    "\"custom.metrics.k8s.io\" in the namespace \"flink\"");
	authz_forbidden_message(&u, &a, "no RBAC policy matched", m, sizeof(m));
	assert_string_equal(m, "pods.custom.metrics.k8s.io \"*\" is forbidden: User \"alice\" "
			    "cannot get resource \"pods/flink_tm_busy_ratio\" in API group "
			    "\"custom.metrics.k8s.io\" in the namespace \"flink\": no RBAC policy matched");
	/* external metrics, cluster scope */
	memset(&a, 0, sizeof(a));
	a.resource = true;
	strcpy(a.verb, "list");
	strcpy(a.group, "external.metrics.k8s.io");
	strcpy(a.version, "v1beta1");
	strcpy(a.resource_name, "flink_job_backlog");
	authz_forbidden_message(&u, &a, NULL, m, sizeof(m));
	assert_string_equal(m, "flink_job_backlog.external.metrics.k8s.io \"\" is forbidden: "
			    "User \"alice\" cannot list resource \"flink_job_backlog\" in API "
			    "group \"external.metrics.k8s.io\" at the cluster scope");
	memset(&a, 0, sizeof(a));
	strcpy(a.verb, "get");
	a.path = "/metrics";
	authz_forbidden_message(&u, &a, "", m, sizeof(m));
	assert_string_equal(m, "forbidden: User \"alice\" cannot get path \"/metrics\"");
	/* a short buffer: cut, terminated */
	authz_forbidden_message(&u, &a, "", m, 12);
	assert_string_equal(m, "forbidden: ");
}

static void tokens(void **state)
{
	struct rig *r = rig_new(10000);
	struct authn_user u;

	(void)state;
	assert_int_equal(authz_token_lookup(r->z, "good", &u), AUTHZ_UNKNOWN);
	assert_int_equal(authz_token_request(r->z, "good", on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 1));
	assert_non_null(strstr(r->rv.last, "\"kind\":\"TokenReview\""));
	assert_non_null(strstr(r->rv.last, "\"spec\":{\"token\":\"good\"}"));
	memset(&u, 0, sizeof(u));
	assert_int_equal(authz_token_lookup(r->z, "good", &u), AUTHZ_ALLOW);
	assert_string_equal(u.name, "system:serviceaccount:kube-system:hpa");
	assert_int_equal(u.ngroups, 2);
	assert_string_equal(u.groups[0], "system:serviceaccounts");
	assert_int_equal(u.nextra, 1);
	assert_string_equal(u.extra_key[0], "authentication.kubernetes.io/pod-name");
	assert_string_equal(u.extra_val[0], "p1");
	assert_string_equal(u.how, "token");
	assert_int_equal(authz_token_request(r->z, "forged", on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 2));
	assert_int_equal(authz_token_lookup(r->z, "forged", &u), AUTHZ_DENY);
	assert_int_equal(count(&r->rv, &r->rv.tokens), 2);
	assert_int_equal(count(&r->rv, &r->rv.sars), 0);
	rig_free(r);
}

/* A TokenReview answer whose members have the wrong JSON types (a number
 * for the name, a string for the groups, nulls in the lists): only the
 * strings are read. */
static void token_odd_types(void **state)
{
	struct rig *r = rig_new(10000);
	struct authn_user u;

	(void)state;
	assert_int_equal(authz_token_request(r->z, "odd", on_done, &r->rv), 0);
	assert_int_equal(authz_token_request(r->z, "odd2", on_done, &r->rv), 0);
	assert_true(wait_count(&r->rv, &r->rv.done, 2));
	memset(&u, 0, sizeof(u));
	assert_int_equal(authz_token_lookup(r->z, "odd", &u), AUTHZ_ALLOW);
	assert_string_equal(u.name, "");
	assert_int_equal(u.ngroups, 1);
	assert_string_equal(u.groups[0], "g");
	assert_int_equal(u.nextra, 1);
	assert_string_equal(u.extra_key[0], "l");
	assert_string_equal(u.extra_val[0], "v");
	memset(&u, 0, sizeof(u));
	assert_int_equal(authz_token_lookup(r->z, "odd2", &u), AUTHZ_ALLOW);
	assert_string_equal(u.name, "u");
	assert_int_equal(u.ngroups, 0);
	assert_int_equal(u.nextra, 0);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules),
		cmocka_unit_test(miss_review_hit),
		cmocka_unit_test(non_resource),
		cmocka_unit_test(deny_and_expiry),
		cmocka_unit_test(parked_share_one_review),
		cmocka_unit_test(review_fails),
		cmocka_unit_test(deny_wording),
		cmocka_unit_test(tokens),
		cmocka_unit_test(token_odd_types),
	};

	log_set_verbosity(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
