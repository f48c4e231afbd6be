/*
 * test_tput.c - the throughput computation (model/tput.h) against values
 * worked out by hand: the true processing rate from the busy ratio, the
 * target propagated over the edges with each vertex's output ratio, the
 * catch-up beyond one restart's backlog, the restart term, the required
 * parallelism and TaskManagers, even partition and key-group counts, a
 * hot key estimated from the busiest subtask against the mean, an idle
 * job, the
 * scale-down hold and the bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/tput.h"

static const struct tput_params P = { .utilization = 0.7, .catch_up_s = 300,
	.restart_s = 30, .slots = 2, .min_tms = 1, .max_tms = 50 };

static struct tput_vertex vx(int p, double in, double out, double busy)
{
	struct tput_vertex v = { .parallelism = p, .in_rate = in,
				 .out_rate = out, .busy = busy };
	return v;
}

static void one_vertex__tpr_and_required(void **state)
{
	struct tput_job j = { .n = 1 };
	struct tput_result r;

	(void)state;
	j.v[0] = vx(4, 3000, 3000, 0.75);
	j.v[0].source = true;
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_float_equal(r.v[0].tpr, 1000, 1e-9);      /* 3000/0.75/4 */
	assert_float_equal(r.v[0].target, 3000, 1e-9);
	/* 3000/0.7 = 4285.7 (more than 3000 + 3000 x 30/300: the headroom
	 * catches up the restart) -> 5 subtasks, 3 TMs */
	assert_float_equal(r.v[0].needed, 3000 / 0.7, 1e-6);
	assert_int_equal(r.v[0].required, 5);
	assert_int_equal(r.required_parallelism, 5);
	assert_int_equal(r.required_tms, 3);
	assert_float_equal(r.true_rate, 4000, 1e-9);
	assert_float_equal(r.target_rate, 3000, 1e-9);
}

/* source -> map (0.8) -> keyed window (0.1, saturated) -> sink */
static void pipeline(struct tput_job *j)
{
	memset(j, 0, sizeof(*j));
	j->n = 4;
	j->v[0] = vx(8, 8000, 8000, 0.25);
	j->v[0].source = true;
	j->v[1] = vx(8, 8000, 6400, 0.5);
	j->v[2] = vx(8, 6400, 640, 1.0);
	j->v[3] = vx(8, 640, 0, 0.139);
	for (int i = 1; i < 4; i++) {
		j->v[i].inputs[0] = i - 1;
		j->v[i].ninputs = 1;
	}
	j->backlog = 5000;
	j->growth = 1000; /* 9000/s arrive, 8000/s read */
}

static void pipeline__target_over_edges(void **state)
{
	struct tput_job j;
	struct tput_result r;

	(void)state;
	pipeline(&j);
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_float_equal(r.target_rate, 9000, 1e-9);
	assert_float_equal(r.v[1].target, 9000, 1e-9);
	assert_float_equal(r.v[2].target, 7200, 1e-9);  /* x 0.8 */
	assert_float_equal(r.v[3].target, 720, 1e-9);   /* x 0.1 */
	assert_float_equal(r.v[2].catch_up, 0, 1e-12);  /* < one restart's */
	assert_float_equal(r.v[2].tpr, 800, 1e-9);
	/* window: 7200/0.7 / 800 = 12.86 -> 13; source: 9000/0.7 /
	 * (8000/0.25/8) = 3.21 -> 4 */
	assert_int_equal(r.v[2].required, 13);
	assert_int_equal(r.v[0].required, 4);
	assert_int_equal(r.required_parallelism, 13);
	assert_int_equal(r.bottleneck, 2);
	assert_int_equal(r.required_tms, 7);
	/* the job's TPR: the window's 6400/s of window input = 8000/s read */
	assert_float_equal(r.true_rate, 8000, 1e-6);
}

static void catch_up__beyond_one_restart(void **state)
{
	struct tput_job j;
	struct tput_result r;

	(void)state;
	pipeline(&j);
	j.growth = 0;
	j.backlog = 8000 * 30 + 300 * 1000; /* a restart's + 300 s of 1000/s */
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_float_equal(r.v[0].catch_up, 1000, 1e-9);
	assert_float_equal(r.v[2].catch_up, 800, 1e-9);
	/* window: 6400 + 800 + 640 < 6400/0.7: the headroom does it, 12 */
	assert_float_equal(r.v[2].needed, 6400 / 0.7, 1e-6);
	assert_int_equal(r.v[2].required, 12);
	j.backlog = 8000 * 30 + 300 * 4000; /* 300 s of 4000/s */
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	/* window: 6400 + 3200 + 640 = 10240 > 9142.9 -> 12.8 -> 13 */
	assert_float_equal(r.v[2].catch_up, 3200, 1e-9);
	assert_float_equal(r.v[2].needed, 10240, 1e-6);
	assert_int_equal(r.v[2].required, 13);
}

static void source_partitions__even_counts(void **state)
{
	struct tput_job j = { .n = 1 };
	struct tput_result r;

	(void)state;
	/* 8 subtasks of 24 partitions (3 each), the busiest at 0.75 of
	 * 5700/8: it handles 3/24 x 5700 = 712.5/s at 0.75, 950/s busy.
	 * Needed 5700/0.7 = 8142.9/s: 3 partitions -> 1017.9/s, too much;
	 * 2 -> 678.6/s fits: 12 subtasks (linearly: 9, which still leaves 3
	 * partitions on some) */
	j.v[0] = vx(8, 5700, 5700, 0.75);
	j.v[0].source = true;
	j.v[0].partitions = 24;
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_int_equal(r.v[0].required, 12);
	/* never above the partitions */
	j.growth = 100000;
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_int_equal(r.v[0].required, 24);
}

static void keyed__key_groups(void **state)
{
	struct tput_job j;
	struct tput_result r;

	(void)state;
	pipeline(&j);
	j.v[2].keyed = true;
	j.v[2].max_parallelism = 128;
	/* the busiest of 8: 16 of 128 key groups, 800/s at busy 1; needed
	 * 10285.7/s: ceil(128/q) <= 9.96 -> q = 15 (14 leaves 10 groups) */
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_int_equal(r.v[2].required, 15);
	/* a hot key with 5% of the records: the busiest of 8 holds 0.05 +
	 * 0.95 x 16/128 = 0.16875 of 4740.7/s at busy 1, the mean 0.7407;
	 * each subtask does 800/s; 10285.7/s needs 0.05 + 0.95 k/128 <=
	 * 800/10285.7: k = 3 key groups, q = 43 */
	j.v[2].in_rate = 800 / 0.16875;
	j.v[2].out_rate = j.v[2].in_rate * 0.1;
	j.v[2].busy_avg = j.v[2].in_rate / 8 / 800;
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_int_equal(r.v[2].required, 43);
	j.v[2].max_parallelism = 10; /* capped */
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_int_equal(r.v[2].required, 10);
}

static void idle__busy_about_zero(void **state)
{
	struct tput_job j;
	struct tput_result r;

	(void)state;
	pipeline(&j);
	for (int i = 0; i < 4; i++)
		j.v[i] = (struct tput_vertex){ .parallelism = 8,
			.source = i == 0, .inputs = { i - 1 }, .ninputs = i > 0 };
	j.backlog = j.growth = 0;
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_int_equal(r.required_parallelism, 1);
	assert_int_equal(r.required_tms, 1);
	assert_float_equal(r.true_rate, 0, 1e-12);
	/* 10/s at busy 0.001: the busy ratio counts as 0.005, a TPR of at
	 * least 10 / 0.005 / 8 = 250 per subtask */
	j.v[0].in_rate = j.v[0].out_rate = 10;
	j.v[0].busy = 0.001;
	assert_int_equal(tput_compute(&j, &P, &r), 0);
	assert_float_equal(r.v[0].tpr, 250, 1e-9);
	assert_int_equal(r.v[0].required, 1);
}

static void scale_down__held_while_catching_up(void **state)
{
	struct tput_job j = { .n = 1 };
	struct tput_params p = P;
	struct tput_result r;

	(void)state;
	j.v[0] = vx(10, 1000, 1000, 0.1); /* needs 2 subtasks: 1 TM */
	j.v[0].source = true;
	p.current_tms = 5;
	assert_int_equal(tput_compute(&j, &p, &r), 0);
	assert_int_equal(r.required_tms, 1);
	assert_false(r.held);
	j.growth = 50; /* growing */
	assert_int_equal(tput_compute(&j, &p, &r), 0);
	assert_int_equal(r.required_tms, 5);
	assert_true(r.held);
	j.growth = 0;
	j.backlog = 1000 * 30 + 1; /* above one restart's */
	assert_int_equal(tput_compute(&j, &p, &r), 0);
	assert_int_equal(r.required_tms, 5);
	j.backlog = 1000 * 30; /* at it: scale down */
	assert_int_equal(tput_compute(&j, &p, &r), 0);
	assert_int_equal(r.required_tms, 1);
}

static void bounds__min_max(void **state)
{
	struct tput_job j = { .n = 1 };
	struct tput_params p = P;
	struct tput_result r;

	(void)state;
	j.v[0] = vx(4, 4000, 4000, 1.0);
	j.v[0].source = true;
	j.growth = 100000;
	p.max_tms = 6;
	assert_int_equal(tput_compute(&j, &p, &r), 0);
	assert_int_equal(r.required_tms, 6);
	j.growth = 0;
	j.v[0].in_rate = j.v[0].out_rate = 1;
	j.v[0].busy = 0.0001;
	p.min_tms = 2;
	assert_int_equal(tput_compute(&j, &p, &r), 0);
	assert_int_equal(r.required_tms, 2);
}

static void invalid__rejected(void **state)
{
	struct tput_job j;
	struct tput_params p = P;
	struct tput_result r;

	(void)state;
	pipeline(&j);
	j.v[1].inputs[0] = 2; /* an edge from a later vertex */
	assert_int_equal(tput_compute(&j, &P, &r), -1);
	pipeline(&j);
	p.utilization = 0;
	assert_int_equal(tput_compute(&j, &p, &r), -1);
	j.n = 0;
	assert_int_equal(tput_compute(&j, &P, &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_vertex__tpr_and_required),
		cmocka_unit_test(pipeline__target_over_edges),
		cmocka_unit_test(catch_up__beyond_one_restart),
		cmocka_unit_test(source_partitions__even_counts),
		cmocka_unit_test(keyed__key_groups),
		cmocka_unit_test(idle__busy_about_zero),
		cmocka_unit_test(scale_down__held_while_catching_up),
		cmocka_unit_test(bounds__min_max),
		cmocka_unit_test(invalid__rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
