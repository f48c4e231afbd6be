/*
 * test_emu_model.c - the emulator's workload model behaves as the
 * reference scenario needs: load below capacity keeps busy proportional and
 * no backlog; a spike above capacity builds backlog and saturates; a
 * rescale pauses processing, then more subtasks drain the backlog; CPU time
 * grows with busy subtasks; reactive mode follows the TaskManagers; the
 * adaptive scheduler runs at min(upper bound, slots) and waits below the
 * lower bound; the default scheduler keeps its parallelism, cannot run
 * with fewer slots and resumes when they come back; a stopped job
 * processes nothing and a new one starts at its own parallelism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hack/emu/model.h"

static void run(struct emu_model *m, double seconds)
{
	int ticks = (int)(seconds * 10 + 0.5);

	for (int i = 0; i < ticks; i++)
		emu_model_tick(m, 0.1);
}

static void calm__below_capacity__no_backlog(void **state)
{
	struct emu_model m;

	(void)state;
	emu_model_init(&m, 0);
	m.input_rate = 500; /* 2 slots x 1000 */
	run(&m, 10);
	assert_float_equal(m.backlog, 0, 1e-6);
	assert_float_equal(emu_busy_ms(&m), 250, 1e-6);
	assert_float_equal(emu_pending_per_subtask(&m), 0, 1e-6);
	assert_string_equal(emu_model_state(&m), "RUNNING");
	assert_int_equal(m.now_ms, 10000);
}

static void spike__above_capacity__backlog_and_saturation(void **state)
{
	struct emu_model m;

	(void)state;
	emu_model_init(&m, 0);
	m.input_rate = 3000;
	run(&m, 10);
	assert_float_equal(emu_busy_ms(&m), 1000, 1e-6);
	assert_float_equal(m.backlog, 10000, 1); /* 1000/s for 10 s */
	assert_true(emu_watermark_lag_ms(&m) > 4000);
	assert_true(emu_latency_p99_ms(&m) > 400);
}

static void rescale__pause_then_drain(void **state)
{
	struct emu_model m;
	double before;

	(void)state;
	emu_model_init(&m, 0);
	m.input_rate = 3000;
	m.restart_pause = 5;
	run(&m, 10);
	emu_model_set_taskmanagers(&m, 3); /* reactive: 6 slots */
	assert_int_equal(m.parallelism, 6);
	assert_string_equal(emu_model_state(&m), "RESTARTING");
	before = m.backlog;
	run(&m, 5);
	assert_float_equal(m.backlog, before + 15000, 1); /* nothing processed */
	assert_float_equal(emu_busy_ms(&m), 0, 1e-9);
	run(&m, 20); /* 3000 spare/s drains 25000 in ~8.3 s */
	assert_float_equal(m.backlog, 0, 1e-6);
	assert_float_equal(emu_busy_ms(&m), 500, 1e-6);
	assert_int_equal(m.restarts, 1);
	emu_model_rescale(&m, 6); /* same parallelism: no restart */
	assert_int_equal(m.restarts, 1);
	emu_model_rescale(&m, 1000); /* capped by the slots */
	assert_int_equal(m.parallelism, 6);
}

static void cpu__grows_with_busy_subtasks(void **state)
{
	struct emu_model m;
	double c0;

	(void)state;
	emu_model_init(&m, 0);
	m.input_rate = 2000; /* fully busy, 2 subtasks on 1 TM */
	c0 = m.cpu_ns[0];
	run(&m, 10);
	/* (0.02 + 1 x 2 x 0.45) cores x 10 s */
	assert_float_equal((m.cpu_ns[0] - c0) / 1e9, 9.2, 0.05);
	m.sched = EMU_SCHED_ADAPTIVE; /* upper bound 2: same P */
	emu_model_set_taskmanagers(&m, 2);
	assert_int_equal(m.parallelism, 2);
	emu_model_set_taskmanagers(&m, 1);
	assert_int_equal(m.taskmanagers, 1);
	assert_int_equal(m.restarts, 0);
}

static void adaptive__bounds_then_slots(void **state)
{
	struct emu_model m;

	(void)state;
	emu_model_init(&m, 0);
	m.sched = EMU_SCHED_ADAPTIVE;
	m.restart_pause = 2;
	emu_model_set_taskmanagers(&m, 3); /* 6 slots, upper 2: no change */
	assert_int_equal(m.parallelism, 2);
	assert_int_equal(m.restarts, 0);
	emu_model_set_bounds(&m, 1, 4);
	assert_int_equal(m.parallelism, 4);
	assert_string_equal(emu_model_state(&m), "RESTARTING");
	assert_string_equal(emu_model_task_state(&m), "SCHEDULED");
	run(&m, 2.1);
	assert_string_equal(emu_model_state(&m), "RUNNING");
	emu_model_set_bounds(&m, 1, 100); /* capped by the 6 slots */
	assert_int_equal(m.parallelism, 6);
	emu_model_set_taskmanagers(&m, 5); /* 10 slots: follows up to 100 */
	assert_int_equal(m.parallelism, 10);
	emu_model_set_bounds(&m, 12, 12); /* more than the slots: waits */
	assert_true(m.waiting);
	assert_int_equal(emu_slots_used(&m), 0);
	assert_string_equal(emu_model_state(&m), "RESTARTING");
	emu_model_set_taskmanagers(&m, 6); /* 12 slots: runs again */
	assert_false(m.waiting);
	assert_int_equal(m.parallelism, 12);
	assert_int_equal(m.restarts, 4);
}

static void default__fixed_parallelism_waits_for_slots(void **state)
{
	struct emu_model m;
	double before;

	(void)state;
	emu_model_init(&m, 0);
	m.sched = EMU_SCHED_DEFAULT;
	m.restart_pause = 1;
	emu_model_set_taskmanagers(&m, 3);
	assert_int_equal(m.parallelism, 2); /* not following the slots */
	assert_int_equal(m.restarts, 0);
	emu_model_submit(&m, 4);
	assert_int_equal(m.parallelism, 4);
	assert_string_equal(emu_model_state(&m), "RUNNING");
	assert_string_equal(emu_model_task_state(&m), "INITIALIZING");
	assert_false(emu_model_processing(&m));
	run(&m, 1.1);
	assert_string_equal(emu_model_task_state(&m), "RUNNING");
	assert_true(emu_model_processing(&m));
	emu_model_set_taskmanagers(&m, 1); /* 2 slots < 4 */
	assert_string_equal(emu_model_state(&m), "RESTARTING");
	assert_int_equal(m.parallelism, 4);
	assert_int_equal(m.restarts, 1);
	before = m.backlog;
	run(&m, 3);
	assert_float_equal(m.backlog, before + 1500, 1); /* nothing done */
	emu_model_set_taskmanagers(&m, 2);
	assert_string_equal(emu_model_state(&m), "RESTARTING");
	run(&m, 1.1);
	assert_string_equal(emu_model_state(&m), "RUNNING");
	assert_int_equal(m.restarts, 1);
	emu_model_submit(&m, 1000); /* capped by the max parallelism */
	assert_int_equal(m.parallelism, 128);
	assert_true(m.waiting);
}

static void stop__nothing_processed_until_submit(void **state)
{
	struct emu_model m;

	(void)state;
	emu_model_init(&m, 0);
	m.sched = EMU_SCHED_DEFAULT;
	m.restart_pause = 1;
	m.input_rate = 500;
	emu_model_stop(&m);
	assert_string_equal(emu_model_state(&m), "FINISHED");
	assert_int_equal(emu_slots_used(&m), 0);
	run(&m, 4);
	assert_float_equal(m.backlog, 2000, 1);
	assert_float_equal(emu_busy_ms(&m), 0, 1e-9);
	assert_float_equal(emu_backpressured_ms(&m), 0, 1e-9);
	emu_model_set_taskmanagers(&m, 2); /* a stopped job does not restart */
	assert_string_equal(emu_model_state(&m), "FINISHED");
	emu_model_submit(&m, 3);
	assert_int_equal(emu_slots_used(&m), 3);
	run(&m, 10); /* 1 s start, then 3000/s drains 2500 + input */
	assert_float_equal(m.backlog, 0, 1e-6);
	assert_int_equal(m.restarts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calm__below_capacity__no_backlog),
		cmocka_unit_test(spike__above_capacity__backlog_and_saturation),
		cmocka_unit_test(rescale__pause_then_drain),
		cmocka_unit_test(cpu__grows_with_busy_subtasks),
		cmocka_unit_test(adaptive__bounds_then_slots),
		cmocka_unit_test(default__fixed_parallelism_waits_for_slots),
		cmocka_unit_test(stop__nothing_processed_until_submit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
