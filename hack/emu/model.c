/*
 * model.c - the emulator's workload model (see model.h).
 */
#include "model.h"

#include <string.h>

void emu_model_init(struct emu_model *m, int64_t now_ms)
{
	memset(m, 0, sizeof(*m));
	m->input_rate = 500;
	m->slot_capacity = 1000;
	m->cpu_per_slot = 0.45;
	m->cpu_idle = 0.02;
	m->restart_pause = 10;
	m->slots_per_tm = 2;
	m->max_parallelism = 128;
	m->taskmanagers = 1;
	m->parallelism = 2;
	m->now_ms = now_ms;
	for (int i = 0; i < EMU_MAX_TM; i++)
		m->cpu_ns[i] = 5.0e10; /* the JVM's start-up */
}

int emu_slots_total(const struct emu_model *m)
{
	return m->taskmanagers * m->slots_per_tm;
}

static double emu_cap(const struct emu_model *m)
{
	return m->parallelism * m->slot_capacity;
}

void emu_model_tick(struct emu_model *m, double dt)
{
	double cap = emu_cap(m), want;

	if (dt <= 0)
		return;
	m->now_ms += (int64_t)(dt * 1000);
	if (m->restart_left > 0) {
		m->restart_left -= dt;
		m->processed = 0;
	} else {
		want = m->input_rate + m->backlog / dt;
		m->processed = want < cap ? want : cap;
	}
	m->backlog += (m->input_rate - m->processed) * dt;
	if (m->backlog < 0)
		m->backlog = 0;
	m->busy = cap > 0 && m->restart_left <= 0 ? m->processed / cap : 0;
	m->records_in += m->processed * dt;
	for (int t = 0; t < m->taskmanagers && t < EMU_MAX_TM; t++) {
		/* subtasks spread evenly over the TaskManagers */
		double subtasks = (double)m->parallelism / m->taskmanagers;
		double cores = m->cpu_idle + m->busy * subtasks * m->cpu_per_slot;
		m->cpu_ns[t] += cores * dt * 1e9;
	}
}

void emu_model_rescale(struct emu_model *m, int p)
{
	int slots = emu_slots_total(m);

	if (p > slots)
		p = slots;
	if (p > m->max_parallelism)
		p = m->max_parallelism;
	if (p < 1)
		p = 1;
	if (p == m->parallelism)
		return;
	m->parallelism = p;
	m->restart_left = m->restart_pause;
	m->restarts++;
}

void emu_model_set_taskmanagers(struct emu_model *m, int n, bool reactive)
{
	if (n < 1)
		n = 1;
	if (n > EMU_MAX_TM)
		n = EMU_MAX_TM;
	m->taskmanagers = n;
	if (reactive || m->parallelism > emu_slots_total(m))
		emu_model_rescale(m, emu_slots_total(m));
}

const char *emu_model_state(const struct emu_model *m)
{
	return m->restart_left > 0 ? "RESTARTING" : "RUNNING";
}

double emu_busy_ms(const struct emu_model *m)
{
	return 1000 * m->busy;
}

double emu_backpressured_ms(const struct emu_model *m)
{
	/* the sources wait on a saturated chain once there is a backlog */
	return m->backlog > 0 && m->restart_left <= 0 ? 1000 * (1 - m->busy) * 0.5 : 0;
}

double emu_pending_per_subtask(const struct emu_model *m)
{
	return m->parallelism ? m->backlog / m->parallelism : m->backlog;
}

double emu_watermark_lag_ms(const struct emu_model *m)
{
	double rate = m->processed > 1 ? m->processed : m->input_rate;

	return 200 + (rate > 0 ? m->backlog / rate * 1000 : 0);
}

double emu_latency_p99_ms(const struct emu_model *m)
{
	double b = m->busy;

	return 20 + 400 * b * b * b * b + emu_watermark_lag_ms(m) / 10;
}
