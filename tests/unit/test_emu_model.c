/*
 * test_emu_model.c - the emulator's workload model behaves as the
 * reference scenario needs: load below capacity keeps busy proportional and
 * no backlog; a spike above capacity builds backlog and saturates; a
 * rescale pauses processing, then more subtasks drain the backlog; CPU time
 * grows with busy subtasks; reactive mode follows the TaskManagers.
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
	emu_model_set_taskmanagers(&m, 3, true); /* 6 slots */
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
	emu_model_set_taskmanagers(&m, 2, false); /* not reactive: same P */
	assert_int_equal(m.parallelism, 2);
	emu_model_set_taskmanagers(&m, 1, false);
	assert_int_equal(m.taskmanagers, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calm__below_capacity__no_backlog),
		cmocka_unit_test(spike__above_capacity__backlog_and_saturation),
		cmocka_unit_test(rescale__pause_then_drain),
		cmocka_unit_test(cpu__grows_with_busy_subtasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
