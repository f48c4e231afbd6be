/*
 * test_store.c - the in-memory store: pods from discovery, values from
 * parsed pages, selectors, staleness, job values combined across pods
 * (sum for backlog, max for lags, rule aggregation for custom rules),
 * Deployment-scoped job values, removal, and re-registration keeping values,
 * and the JobManager's job values filling in where no page has the value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/collect/store.h"

#define T0 1704067200000LL

static const struct ex_rule rules[] = {
	{ "records_in", "flink_taskmanager_job_task_numRecordsInPerSecond",
	  NULL, 0, EX_AGG_SUM, EX_AGG_AVG, 1 },
};

struct fixture {
	struct ex_spec *spec;
	struct store *st;
	struct ex_page *pg;
};

static int setup(void **state)
{
	static struct fixture f;

	f.spec = ex_spec_new(rules, 1, NULL);
	f.st = store_new(f.spec, 15000);
	f.pg = ex_page_new(f.spec);
	*state = &f;
	return f.spec && f.st && f.pg ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ex_page_free(f->pg);
	store_free(f->st);
	ex_spec_free(f->spec);
	return 0;
}

static void add_pod(struct fixture *f, const char *ns, const char *name,
		    const char *deploy, const char *app)
{
	const char *labels[] = { "app", app, "component", "taskmanager", NULL };
	struct store_pod_meta m = { ns, name, deploy, "orders", labels };

	assert_int_equal(store_upsert_pod(f->st, &m, NULL), 0);
}

/* A page: job "orders" with backlog b and busy ms; records-in r. */
static void put(struct fixture *f, const char *ns, const char *name,
		double b, double busy, double r, int64_t at)
{
	char page[1024];
	double v[CAT_N];
	bool has[CAT_N];
	struct ex_cpu_state cpu = { 0, 0, false };

	snprintf(page, sizeof(page),
		 "flink_taskmanager_job_task_operator_pendingRecords{job_name=\"orders\",} %g\n"
		 "flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=\"orders\",} %g\n"
		 "flink_taskmanager_job_task_numRecordsInPerSecond{job_name=\"orders\",} %g\n"
		 "flink_taskmanager_Status_JVM_CPU_Load %g\n", b, busy, r, busy / 1000);
	ex_page_reset(f->pg);
	assert_int_equal(pp_parse(page, strlen(page), NULL,
				  ex_spec_filter(f->spec), ex_sample, f->pg,
				  NULL), 0);
	ex_pod_values(f->pg, 0, at, &cpu, v, has);
	assert_int_equal(store_put_page(f->st, ns, name, f->pg, v, has, at,
					NULL), 0);
}

struct seen {
	char names[8][64];
	double v[8];
	int n;
};

static int collect(void *ud, const char *name, double value, int64_t at)
{
	struct seen *s = ud;

	(void)at;
	if (s->n == 8)
		return -1;
	snprintf(s->names[s->n], 64, "%s", name);
	s->v[s->n++] = value;
	return 0;
}

static bool app_is(void *ud, const char *const *labels)
{
	for (size_t i = 0; labels[i]; i += 2)
		if (strcmp(labels[i], "app") == 0)
			return strcmp(labels[i + 1], ud) == 0;
	return false;
}

static double find(const struct seen *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return s->v[i];
	fail_msg("%s not found", name);
	return 0;
}

static void pods__selector_and_namespace__only_matching(void **state)
{
	struct fixture *f = *state;
	struct store_metric m;
	struct seen s = { .n = 0 };
	bool pods, jobs;

	add_pod(f, "flink", "tm-1", "tm", "a");
	add_pod(f, "flink", "tm-2", "tm", "a");
	add_pod(f, "flink", "tm-3", "other", "b");
	add_pod(f, "prod", "tm-1", "tm", "a");
	put(f, "flink", "tm-1", 100, 500, 10, T0);
	put(f, "flink", "tm-2", 300, 900, 30, T0);
	put(f, "flink", "tm-3", 7, 100, 1, T0);
	put(f, "prod", "tm-1", 1, 1, 1, T0);
	assert_true(store_lookup_metric(f->st, "flink_tm_backlog", &m, &pods,
					&jobs));
	assert_true(pods);
	assert_false(jobs);
	assert_int_equal(store_pods(f->st, "flink", m, T0 + 1000, app_is, "a",
				    collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_float_equal(find(&s, "tm-1"), 100, 0);
	assert_float_equal(find(&s, "tm-2"), 300, 0);
	assert_int_equal(store_pod_count(f->st), 4);
}

static void pods__stale_values__not_served(void **state)
{
	struct fixture *f = *state;
	struct store_metric m = { CAT_TM_BUSY_RATIO, -1 };
	struct seen s = { .n = 0 };

	put(f, "flink", "tm-1", 100, 500, 10, T0 - 20000); /* 20 s old */
	assert_int_equal(store_pods(f->st, "flink", m, T0, app_is, "a",
				    collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_float_equal(find(&s, "tm-2"), 0.9, 1e-12);
	/* a pod scraped at exactly the bound is still fresh */
	s.n = 0;
	assert_int_equal(store_pods(f->st, "flink", m, T0 + 15000, app_is,
				    "a", collect, &s), 0);
	assert_int_equal(s.n, 1);
	s.n = 0;
	assert_int_equal(store_pods(f->st, "flink", m, T0 + 15001, app_is,
				    "a", collect, &s), 0);
	assert_int_equal(s.n, 0);
}

static void deployment__job_values__combined_across_pods(void **state)
{
	struct fixture *f = *state;
	struct store_metric m;
	bool pods, jobs;
	double v;
	int64_t at;

	put(f, "flink", "tm-1", 100, 500, 10, T0 - 2000);
	assert_true(store_lookup_metric(f->st, "flink_job_backlog", &m, &pods,
					&jobs));
	assert_true(jobs);
	assert_int_equal(store_deployment(f->st, "flink", "tm", m, T0, &v,
					  &at), 0);
	assert_float_equal(v, 400, 0); /* 100 + 300: sum */
	assert_int_equal(at, T0 - 2000); /* oldest contribution */
	m.cat = CAT_JOB_BUSY_RATIO;
	assert_int_equal(store_deployment(f->st, "flink", "tm", m, T0, &v,
					  &at), 0);
	assert_float_equal(v, 0.9, 1e-12); /* max */
	assert_true(store_lookup_metric(f->st, "records_in", &m, &pods, &jobs));
	assert_true(pods && jobs);
	assert_int_equal(store_deployment(f->st, "flink", "tm", m, T0, &v,
					  &at), 0);
	assert_float_equal(v, 20, 0); /* avg of 10 and 30 */
	assert_int_equal(store_deployment(f->st, "flink", "nope", m, T0, &v,
					  &at), ERR_NOTFOUND);
	m.cat = CAT_TM_BACKLOG; /* a pod metric is no job metric */
	m.rule = -1;
	assert_int_equal(store_deployment(f->st, "flink", "tm", m, T0, &v,
					  &at), ERR_NOTFOUND);
}

static void jobs__per_namespace__each_job_once(void **state)
{
	struct fixture *f = *state;
	struct store_metric m = { CAT_JOB_BACKLOG, -1 };
	struct seen s = { .n = 0 };

	assert_int_equal(store_jobs(f->st, "flink", m, T0, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "orders");
	assert_float_equal(s.v[0], 407, 0); /* tm-1, tm-2 and tm-3 */
	s.n = 0;
	assert_int_equal(store_jobs(f->st, NULL, m, T0, collect, &s), 0);
	assert_float_equal(s.v[0], 408, 0); /* and prod/tm-1 */
}

static void upsert_remove__values_kept_then_gone(void **state)
{
	struct fixture *f = *state;
	struct store_metric m = { CAT_TM_BACKLOG, -1 };
	struct seen s = { .n = 0 };

	add_pod(f, "flink", "tm-2", "tm", "c"); /* relabelled */
	assert_int_equal(store_pods(f->st, "flink", m, T0, app_is, "c",
				    collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_float_equal(find(&s, "tm-2"), 300, 0);
	assert_true(store_remove_pod(f->st, "flink", "tm-2"));
	assert_false(store_remove_pod(f->st, "flink", "tm-2"));
	s.n = 0;
	assert_int_equal(store_pods(f->st, "flink", m, T0, NULL, NULL,
				    collect, &s), 0);
	assert_int_equal(s.n, 2); /* tm-1, tm-3 */
	assert_int_equal(store_put_page(f->st, "flink", "tm-2", f->pg,
					(double[CAT_N]){ 0 },
					(bool[CAT_N]){ false }, T0, NULL),
			 ERR_NOTFOUND);
	assert_int_equal(store_pod_count(f->st), 3);
}

static void job_names__as_flink_writes_them__matched(void **state)
{
	struct fixture *f = *state;
	const char *labels[] = { "app", "x", NULL };
	struct store_pod_meta m = { "jobs", "tm-9", "enrich-tm", "orders-enrichment.v2", labels };
	struct store_metric q = { CAT_JOB_BACKLOG, -1 };
	static const char page[] =
		"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"orders_enrichment_v2\",} 11\n"
		"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"other_job\",} 5\n";
	struct ex_cpu_state cpu = { 0, 0, false };
	double v[CAT_N], x;
	bool has[CAT_N];
	int64_t at;
	char *n = store_flink_name("a-b.c:d_e/f");

	assert_string_equal(n, "a_b_c:d_e_f");
	free(n);
	assert_int_equal(store_upsert_pod(f->st, &m, NULL), 0);
	ex_page_reset(f->pg);
	assert_int_equal(pp_parse(page, sizeof(page) - 1, NULL,
				  ex_spec_filter(f->spec), ex_sample, f->pg, NULL), 0);
	ex_pod_values(f->pg, 0, T0, &cpu, v, has);
	assert_int_equal(store_put_page(f->st, "jobs", "tm-9", f->pg, v, has, T0, NULL), 0);
	/* the Deployment's job is the one named, not every job on its pods */
	assert_int_equal(store_deployment(f->st, "jobs", "enrich-tm", q, T0, &x, &at), 0);
	assert_float_equal(x, 11, 0);
}

/* JobManager values: the pages' value first; the JobManager's where no
 * page has one (or for a job with no pages), fresh ones only. */
static void jobmanager__fills_in__pages_first(void **state)
{
	struct fixture *f = *state;
	struct store_metric backlog = { CAT_JOB_BACKLOG, -1 };
	struct store_metric par = { CAT_JOB_PARALLELISM, -1 };
	double v[CAT_N] = { 0 }, x, pages, job_pages;
	bool has[CAT_N] = { false };
	struct seen s = { .n = 0 };
	int64_t at;

	assert_int_equal(store_deployment(f->st, "flink", "tm", backlog, T0,
					  &pages, &at), 0);
	assert_int_equal(store_deployment(f->st, "flink", "tm", par, T0, &x,
					  &at), ERR_NOTFOUND);
	assert_int_equal(store_jobs(f->st, "flink", backlog, T0, collect, &s), 0);
	assert_int_equal(s.n, 1);
	job_pages = s.v[0];
	s.n = 0;
	v[CAT_JOB_BACKLOG] = 9;
	v[CAT_JOB_PARALLELISM] = 6;
	has[CAT_JOB_BACKLOG] = has[CAT_JOB_PARALLELISM] = true;
	assert_int_equal(store_put_job(f->st, "flink", "tm", "orders", v, has,
				       T0 - 1000, NULL), 0);
	assert_int_equal(store_deployment(f->st, "flink", "tm", backlog, T0,
					  &x, &at), 0);
	assert_float_equal(x, pages, 0); /* not 9: the pages have it */
	assert_int_equal(store_deployment(f->st, "flink", "tm", par, T0, &x,
					  &at), 0);
	assert_float_equal(x, 6, 0);
	assert_int_equal(at, T0 - 1000);
	/* a job whose pages are all gone: served from its JobManager only */
	v[CAT_JOB_BACKLOG] = 5;
	assert_int_equal(store_put_job(f->st, "flink", "clicks-tm", "clicks",
				       v, has, T0, NULL), 0);
	assert_int_equal(store_deployment(f->st, "flink", "clicks-tm", backlog,
					  T0, &x, &at), 0);
	assert_float_equal(x, 5, 0);
	assert_int_equal(store_jobs(f->st, "flink", backlog, T0, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_float_equal(find(&s, "clicks"), 5, 0);
	assert_float_equal(find(&s, "orders"), job_pages, 0);
	/* stale: not served; replaced, then removed: gone */
	assert_int_equal(store_deployment(f->st, "flink", "tm", par,
					  T0 + 15000, &x, &at), ERR_NOTFOUND);
	v[CAT_JOB_PARALLELISM] = 8;
	assert_int_equal(store_put_job(f->st, "flink", "tm", "orders", v, has,
				       T0, NULL), 0);
	assert_int_equal(store_deployment(f->st, "flink", "tm", par, T0, &x,
					  &at), 0);
	assert_float_equal(x, 8, 0);
	store_remove_job(f->st, "flink", "tm", "orders");
	store_remove_job(f->st, "flink", "clicks-tm", "clicks");
	assert_int_equal(store_deployment(f->st, "flink", "tm", par, T0, &x,
					  &at), ERR_NOTFOUND);
	s.n = 0;
	assert_int_equal(store_jobs(f->st, "flink", backlog, T0, collect, &s), 0);
	assert_int_equal(s.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pods__selector_and_namespace__only_matching),
		cmocka_unit_test(pods__stale_values__not_served),
		cmocka_unit_test(deployment__job_values__combined_across_pods),
		cmocka_unit_test(jobs__per_namespace__each_job_once),
		cmocka_unit_test(upsert_remove__values_kept_then_gone),
		cmocka_unit_test(job_names__as_flink_writes_them__matched),
		cmocka_unit_test(jobmanager__fills_in__pages_first),
	};

	/* the tests build on each other's state, in this order */
	return cmocka_run_group_tests(tests, setup, teardown);
}
