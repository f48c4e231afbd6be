/*
 * test_storeindex.c - the store's label index against a full scan: random
 * pods in three namespaces with labels from a small alphabet (repeated
 * pairs and keys too), upserted, relabelled, scraped and removed in a
 * random order, and after each step a random selector (every operator)
 * answered through store_pods_eq with the pairs sel_eq_pairs gives, as
 * the API does (pairs checked by the index, or the selector called, on
 * each candidate), and through store_pods walking every pod: the names and
 * their order must be the same.  The seed is printed when they differ.
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
#include "adapter/serve/selector.h"

#define T0 1704067200000LL
#define NPODS 80
#define MAXN 512

static const char *const nss[] = { "a", "b", "c" };
static const char *const keys[] = { "app", "component", "job", "tier",
				    "flinkhpa.io/role" };
static const char *const vals[] = { "", "v0", "v1", "v2", "v3", "x-y.z" };

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

#define PICK(a) ((a)[rnd(sizeof(a) / sizeof((a)[0]))])

struct names {
	char v[MAXN][16];
	size_t n;
};

static int collect(void *ud, const char *name, double value, int64_t at)
{
	struct names *s = ud;

	(void)value;
	(void)at;
	if (s->n == MAXN)
		return -1;
	snprintf(s->v[s->n++], 16, "%s", name);
	return 0;
}

static bool match(void *ud, const char *const *labels)
{
	return sel_matches(ud, labels);
}

static void upsert(struct store *st, const char *ns, const char *name)
{
	const char *labels[2 * 6 + 1];
	size_t n = rnd(6);
	struct store_pod_meta m = { ns, name, NULL, "orders", labels };

	for (size_t i = 0; i < n; i++) {
		if (i && rnd(8) == 0) { /* a pair or a key repeated */
			labels[2 * i] = labels[2 * (i - 1)];
			labels[2 * i + 1] = rnd(2) ? labels[2 * i - 1]
						   : PICK(vals);
			continue;
		}
		labels[2 * i] = PICK(keys);
		labels[2 * i + 1] = PICK(vals);
	}
	labels[2 * n] = NULL;
	assert_int_equal(store_upsert_pod(st, &m, NULL), 0);
}

static void scrape(struct store *st, const struct ex_spec *spec,
		   struct ex_page *pg, const char *ns, const char *name)
{
	char page[256];
	double v[CAT_N];
	bool has[CAT_N];
	struct ex_cpu_state cpu = { 0, 0, false };

	snprintf(page, sizeof(page),
		 "flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=\"orders\",} %u\n",
		 rnd(1000));
	ex_page_reset(pg);
	assert_int_equal(pp_parse(page, strlen(page), NULL,
				  ex_spec_filter(spec), ex_sample, pg, NULL),
			 0);
	ex_pod_values(pg, 0, T0, &cpu, v, has);
	store_put_page(st, ns, name, pg, v, has, T0, NULL);
}

/* A random requirement of any operator, appended to text. */
static void requirement(char *text, size_t cap)
{
	const char *k = PICK(keys), *v = PICK(vals), *w = PICK(vals);
	size_t len = strlen(text);

	if (!*v) /* in/notin take no empty single value */
		v = "v1";
	switch (rnd(9)) {
	case 0: snprintf(text + len, cap - len, "%s=%s", k, v); break;
	case 1: snprintf(text + len, cap - len, "%s==%s", k, v); break;
	case 2: snprintf(text + len, cap - len, "%s!=%s", k, v); break;
	case 3: snprintf(text + len, cap - len, "%s in (%s)", k, v); break;
	case 4: snprintf(text + len, cap - len, "%s in (%s,%s)", k, v, w); break;
	case 5: snprintf(text + len, cap - len, "%s notin (%s)", k, v); break;
	case 6: snprintf(text + len, cap - len, "%s", k); break;
	case 7: snprintf(text + len, cap - len, "!%s", k); break;
	default: snprintf(text + len, cap - len, "%s=", k); break;
	}
}

/* One random selector in a random namespace: index and scan agree. */
static size_t check_query(struct store *st, struct store_metric m,
			  uint64_t seed, int step)
{
	static struct names a, b;
	struct selector sel;
	struct store_eq eq[SEL_MAX_REQS];
	const char *kv[2 * SEL_MAX_REQS];
	const char *ns = PICK(nss);
	char text[512] = "";
	size_t n, nreq = 1 + rnd(3);

	for (size_t i = 0; i < nreq; i++) {
		if (i)
			strcat(text, ",");
		requirement(text, sizeof(text));
	}
	assert_int_equal(sel_parse(&sel, text, NULL), 0);
	n = sel_eq_pairs(&sel, kv);
	for (size_t i = 0; i < n; i++)
		eq[i] = (struct store_eq){ kv[2 * i], kv[2 * i + 1] };
	a.n = b.n = 0;
	/* exact (pairs checked, match not called) when every requirement is
	 * an equality, as the API asks; else match checks each candidate */
	assert_int_equal(store_pods_eq(st, ns, m, T0, eq, n,
				       n == sel.n && rnd(4), match, &sel,
				       collect, &a), 0);
	assert_int_equal(store_pods(st, ns, m, T0, match, &sel, collect, &b),
			 0);
	if (a.n != b.n)
		fail_msg("seed %llu step %d: %s in %s: %zu pods through the "
			 "index, %zu by a scan", (unsigned long long)seed, step,
			 text, ns, a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(a.v[i], b.v[i]) != 0)
			fail_msg("seed %llu step %d: %s in %s: item %zu is %s "
				 "through the index, %s by a scan",
				 (unsigned long long)seed, step, text, ns, i,
				 a.v[i], b.v[i]);
	sel_release(&sel);
	return a.n;
}

static void run(uint64_t seed)
{
	struct ex_spec *spec = ex_spec_new(NULL, 0, NULL);
	struct store *st = store_new(spec, 15000);
	struct ex_page *pg = ex_page_new(spec);
	struct store_metric m;
	struct store_counts c;
	size_t hits = 0;
	bool pods, jobs;

	assert_non_null(st);
	assert_non_null(pg);
	assert_true(store_lookup_metric(st, "flink_tm_busy_ratio", &m, &pods,
					&jobs));
	rnd_state = seed;
	for (int step = 0; step < 4000; step++) {
		char name[16];
		const char *ns = PICK(nss);
		uint32_t op = rnd(20);

		snprintf(name, sizeof(name), "p%u", rnd(NPODS));
		if (op < 8)
			upsert(st, ns, name); /* new, or relabelled */
		else if (op < 11)
			store_remove_pod(st, ns, name);
		else if (op < 15)
			scrape(st, spec, pg, ns, name);
		else
			hits += check_query(st, m, seed, step);
	}
	assert_true(hits > 100); /* the queries found pods, not only nothing */
	for (size_t i = 0; i < NPODS; i++)
		for (size_t k = 0; k < 3; k++) {
			char name[16];
			snprintf(name, sizeof(name), "p%zu", i);
			store_remove_pod(st, nss[k], name);
		}
	store_get_counts(st, &c);
	assert_int_equal(c.pods, 0);
	assert_int_equal(store_label_lists(st), 0); /* every list went */
	ex_page_free(pg);
	store_free(st);
	ex_spec_free(spec);
}

static void index__random_pods_and_selectors__same_as_scan(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++)
		run(seed * 0x9e3779b97f4a7c15ull);
}

/* The HPA's matchLabels: two pairs, the pods of one job in the order of
 * the full walk, relabelled pods leaving the old job and joining the new. */
static void index__match_labels__one_job_after_relabel(void **state)
{
	struct ex_spec *spec = ex_spec_new(NULL, 0, NULL);
	struct store *st = store_new(spec, 15000);
	struct ex_page *pg = ex_page_new(spec);
	struct store_eq eq[] = { { "app", "j1" }, { "component", "tm" } };
	struct store_metric m;
	struct selector sel;
	struct names a = { .n = 0 };
	bool pods, jobs;

	(void)state;
	assert_true(store_lookup_metric(st, "flink_tm_busy_ratio", &m, &pods,
					&jobs));
	for (int i = 0; i < 6; i++) {
		char name[16], app[8];
		const char *labels[] = { "app", app, "component", "tm", NULL };
		struct store_pod_meta md = { "ns", name, NULL, "orders", labels };
		snprintf(name, sizeof(name), "tm-%d", i);
		snprintf(app, sizeof(app), "j%d", i % 2);
		assert_int_equal(store_upsert_pod(st, &md, NULL), 0);
		scrape(st, spec, pg, "ns", name);
	}
	{ /* tm-0 moves from job j0 to job j1 */
		const char *labels[] = { "app", "j1", "component", "tm", NULL };
		struct store_pod_meta md = { "ns", "tm-0", NULL, "orders", labels };
		assert_int_equal(store_upsert_pod(st, &md, NULL), 0);
	}
	store_remove_pod(st, "ns", "tm-3");
	assert_int_equal(sel_parse(&sel, "app=j1,component=tm", NULL), 0);
	assert_int_equal(store_pods_eq(st, "ns", m, T0, eq, 2, false, match,
				       &sel, collect, &a), 0);
	assert_int_equal(a.n, 3);
	assert_string_equal(a.v[0], "tm-0"); /* newest first */
	assert_string_equal(a.v[1], "tm-5");
	assert_string_equal(a.v[2], "tm-1");
	a.n = 0;
	assert_int_equal(store_pods_eq(st, "ns", m, T0, eq, 2, true, NULL,
				       NULL, collect, &a), 0);
	assert_int_equal(a.n, 3); /* the pairs checked, the same pods */
	assert_string_equal(a.v[0], "tm-0");
	a.n = 0;
	eq[0].value = "j9"; /* no such pair: nothing */
	assert_int_equal(store_pods_eq(st, "ns", m, T0, eq, 2, true, NULL,
				       NULL, collect, &a), 0);
	assert_int_equal(a.n, 0);
	sel_release(&sel);
	ex_page_free(pg);
	store_free(st);
	ex_spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(index__random_pods_and_selectors__same_as_scan),
		cmocka_unit_test(index__match_labels__one_job_after_relabel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
