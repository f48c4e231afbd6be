/*
 * test_fm.c - the shared Flink workload model (model/fm.h): one vertex
 * scales linearly; the pipeline's window is the bottleneck, its upstream
 * is back-pressured at a busy ratio below 1 and its downstream idle; the
 * hot key and the partitions skew the subtasks; the efficiency makes the
 * capacity grow less than the parallelism; a restart reads nothing and
 * the backlog grows, then drains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/fm.h"

static void run(const struct fm_graph *g, struct fm_state *s, int p,
		bool running, double input, double seconds)
{
	for (int i = 0; i < (int)(seconds + 0.5); i++)
		fm_step(g, s, p, running, input, 1);
}

static void single__linear(void **state)
{
	struct fm_graph g;
	struct fm_state s;

	(void)state;
	fm_graph_single(&g, "cbc357ccb763df2852fee8c4fc7d55f2", "Source", 1000,
			128);
	fm_state_init(&s, 4);
	assert_float_equal(fm_max_read(&g, 4), 4000, 1e-9);
	run(&g, &s, 4, true, 3000, 10);
	assert_float_equal(s.read, 3000, 1e-9);
	assert_float_equal(fm_busy(&g, &s, 0, 3), 0.75, 1e-12);
	assert_float_equal(fm_backpressured(&g, &s, 0, 0), 0, 1e-12);
	assert_int_equal(s.bottleneck, -1);
	run(&g, &s, 4, true, 5000, 10); /* 1000/s piles up */
	assert_float_equal(s.backlog, 10000, 1e-6);
	assert_int_equal(s.bottleneck, 0);
	assert_float_equal(fm_pending(&g, &s, 2), 2500, 1e-6);
}

static void pipeline__window_bottleneck_backpressures_upstream(void **state)
{
	struct fm_graph g;
	struct fm_state s;
	double bm, bs;

	(void)state;
	fm_graph_pipeline(&g, 1000, 0, 0, 1, 128); /* even keys, linear */
	fm_state_init(&s, 8);
	/* 8 subtasks x 1000/s at the window (0.8 x 1000 of 0.8 of reads) */
	assert_float_equal(fm_max_read(&g, 8), 8000, 1e-6);
	run(&g, &s, 8, true, 9000, 5);
	assert_int_equal(s.bottleneck, 2);
	assert_float_equal(s.read, 8000, 1e-6);
	assert_float_equal(s.backlog, 5000, 1e-6);
	assert_float_equal(fm_busy_max(&g, &s, 2), 1, 1e-9);
	/* the map: 8000 x 1 / 8 / 2000 = 0.5 busy, the rest back-pressured */
	bm = fm_busy(&g, &s, 1, 0);
	assert_float_equal(bm, 0.5, 1e-9);
	assert_float_equal(fm_backpressured(&g, &s, 1, 0), 0.5, 1e-9);
	/* the source: 8000 / 8 / 4000 = 0.25 busy, 0.75 back-pressured */
	assert_float_equal(fm_backpressured(&g, &s, 0, 7), 0.75, 1e-9);
	/* the sink downstream: idle, not back-pressured */
	bs = fm_busy(&g, &s, 3, 0);
	assert_float_equal(bs, 8000 * 0.08 / 8 / 500, 1e-9);
	assert_float_equal(fm_backpressured(&g, &s, 3, 0), 0, 1e-12);
	/* output ratios */
	assert_float_equal(fm_rate_out(&g, &s, 1, 0), 800, 1e-9);
	assert_float_equal(fm_rate_in(&g, &s, 3, 0), 80, 1e-9);
	run(&g, &s, 8, true, 4000, 5); /* drains at 4000/s: no pressure */
	assert_float_equal(s.backlog, 0, 1e-9);
	assert_int_equal(s.bottleneck, -1);
	assert_float_equal(fm_backpressured(&g, &s, 1, 0), 0, 1e-12);
}

static void pipeline__hot_key_and_partitions_skew(void **state)
{
	struct fm_graph g;
	double sum = 0;

	(void)state;
	fm_graph_pipeline(&g, 1000, 12, 0.1, 1, 128);
	for (int k = 0; k < 8; k++)
		sum += fm_share(&g, 2, 8, k);
	assert_float_equal(sum, 1, 1e-12);
	/* the hot subtask: 0.1 + 0.9 / 8 */
	assert_float_equal(fm_share(&g, 2, 8, 4), 0.1 + 0.9 / 8, 1e-12);
	assert_float_equal(fm_share(&g, 2, 8, 0), 0.9 / 8, 1e-12);
	/* 12 partitions over 8 source subtasks: 2 or 1 each; over 16: 4 idle */
	assert_float_equal(fm_share(&g, 0, 8, 0), 2.0 / 12, 1e-12);
	assert_float_equal(fm_share(&g, 0, 8, 7), 1.0 / 12, 1e-12);
	assert_float_equal(fm_share(&g, 0, 16, 13), 0, 1e-12);
	/* the window at 8: limited by its hot subtask */
	assert_float_equal(fm_max_read(&g, 8),
			   800 / (0.1 + 0.9 / 8) / 0.8, 1e-6);
	/* key groups: 128 over 3 subtasks is 43, 43, 42 */
	g.v[2].hot_key = 0;
	assert_float_equal(fm_share(&g, 2, 3, 0), 43.0 / 128, 1e-12);
	assert_float_equal(fm_share(&g, 2, 3, 2), 42.0 / 128, 1e-12);
}

static void efficiency__sublinear(void **state)
{
	struct fm_graph g;

	(void)state;
	fm_graph_pipeline(&g, 1000, 0, 0, 0.8, 128);
	assert_float_equal(fm_subtask_capacity(&g, 2, 1), 800, 1e-9);
	/* 10 subtasks: 1 + 9 x 0.8 = 8.2 subtasks' worth */
	assert_float_equal(fm_subtask_capacity(&g, 2, 10), 800 * 8.2 / 10,
			   1e-9);
	/* 8 subtasks (a divisor of the 128 key groups): 6.6 subtasks' worth */
	assert_float_equal(fm_max_read(&g, 8), 6600, 1e-6);
	/* 10: the busiest window subtask holds 13 of 128 key groups */
	assert_float_equal(fm_max_read(&g, 10), 800 * 8.2 / 10 / (13.0 / 128)
			   / 0.8, 1e-6);
}

static void restart__nothing_read_backlog_grows(void **state)
{
	struct fm_graph g;
	struct fm_state s;

	(void)state;
	fm_graph_pipeline(&g, 1000, 0, 0, 1, 128);
	fm_state_init(&s, 4);
	run(&g, &s, 4, false, 1000, 10);
	assert_float_equal(s.backlog, 10000, 1e-9);
	assert_float_equal(s.read, 0, 1e-12);
	assert_float_equal(fm_busy(&g, &s, 2, 0), 0, 1e-12);
	assert_float_equal(fm_load(&g, &s), 0, 1e-12);
	run(&g, &s, 4, true, 1000, 10); /* 3000 spare/s */
	assert_float_equal(s.backlog, 0, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(single__linear),
		cmocka_unit_test(pipeline__window_bottleneck_backpressures_upstream),
		cmocka_unit_test(pipeline__hot_key_and_partitions_skew),
		cmocka_unit_test(efficiency__sublinear),
		cmocka_unit_test(restart__nothing_read_backlog_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
