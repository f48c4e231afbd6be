/*
 * test_sync.c - the sync controller's arithmetic and reports: the target
 * parallelism from replicas, slots and max parallelism (with and without
 * rounding to a divisor), whether a job runs at a target (each vertex capped
 * by its own max parallelism), and the /metrics text.  The controller's
 * behaviour against Kubernetes and Flink is in tests/e2e/sync.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/sync/sync.h"
#include "adapter/sync/syncflink.h"

static void target(void **state)
{
	(void)state;
	assert_int_equal(sync_target(3, 2, 0, false), 6);
	assert_int_equal(sync_target(1, 2, 0, false), 2);
	assert_int_equal(sync_target(0, 2, 0, false), 0);
	assert_int_equal(sync_target(100, 4, 128, false), 128);
	/* rounded down to a divisor of the max parallelism */
	assert_int_equal(sync_target(7, 2, 120, true), 12);  /* 14 -> 12 */
	assert_int_equal(sync_target(5, 2, 120, true), 10);
	assert_int_equal(sync_target(4, 4, 120, true), 15);  /* 16 -> 15 */
	assert_int_equal(sync_target(3, 3, 7, true), 7);
	assert_int_equal(sync_target(2, 3, 7, true), 1);     /* 6 -> 1 */
	/* no max parallelism: nothing to align to */
	assert_int_equal(sync_target(7, 2, 0, true), 14);
}

static void at_target(void **state)
{
	struct sf_job j;

	(void)state;
	memset(&j, 0, sizeof(j));
	assert_false(sf_at_target(&j, 4)); /* no vertices: not known */
	j.nv = 2;
	j.v[0] = (struct sf_vertex){ "a", 4, 128 };
	j.v[1] = (struct sf_vertex){ "b", 1, 1 }; /* a non-parallel sink */
	assert_true(sf_at_target(&j, 4));
	assert_int_equal(sf_parallelism(&j), 4);
	assert_false(sf_at_target(&j, 6));
	j.v[1].max_par = -1; /* Flink did not say: the target applies */
	assert_false(sf_at_target(&j, 4));
	j.v[1].par = 4;
	assert_true(sf_at_target(&j, 4));
}

static void metrics_text(void **state)
{
	struct sync_opts o = { 0 };
	struct sync *s = sync_new(NULL, NULL, NULL, &o, NULL);
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	assert_non_null(s);
	assert_int_equal(sync_metrics(s, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\nflinkhpa_sync_leader 1\n"));
	assert_non_null(strstr(buf_str(&b), "\nflinkhpa_sync_rescales_total 0\n"));
	assert_non_null(strstr(buf_str(&b),
		"# TYPE flinkhpa_sync_rescale_failures_total counter\n"));
	assert_non_null(strstr(buf_str(&b),
		"\nflinkhpa_sync_last_rescale_duration_seconds 0.000\n"));
	assert_int_equal(sync_metrics(NULL, &b), 0); /* no controller */
	buf_release(&b);
	sync_free(s);
	sync_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(target),
		cmocka_unit_test(at_target),
		cmocka_unit_test(metrics_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
