/*
 * model.c - the emulator's workload model (see model.h).
 */
#include "hack/emu/model.h"

#include <math.h>
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
	m->sched = EMU_SCHED_REACTIVE;
	m->lower = 1;
	m->upper = 2;
	m->taskmanagers = 1;
	m->parallelism = 2;
	m->now_ms = now_ms;
	m->cpu_scale = 1;
	fm_graph_single(&m->g, "cbc357ccb763df2852fee8c4fc7d55f2",
			"Source: orders -> Map: enrich -> Sink: out",
			m->slot_capacity, m->max_parallelism);
	fm_state_init(&m->fs, m->parallelism);
	for (int i = 0; i < EMU_MAX_TM; i++)
		m->cpu_ns[i] = 5.0e10; /* the JVM's start-up */
}

int emu_slots_total(const struct emu_model *m)
{
	return m->taskmanagers * m->slots_per_tm;
}

void emu_model_pipeline(struct emu_model *m, int partitions, double hot_key,
			double efficiency)
{
	fm_graph_pipeline(&m->g, m->slot_capacity, partitions, hot_key,
			  efficiency, m->max_parallelism);
}

bool emu_model_processing(const struct emu_model *m)
{
	return !m->stopped && !m->waiting && m->restart_left <= 0;
}

int emu_slots_used(const struct emu_model *m)
{
	int slots = emu_slots_total(m);

	if (m->stopped || m->waiting)
		return 0;
	return m->parallelism < slots ? m->parallelism : slots;
}

void emu_model_tick(struct emu_model *m, double dt)
{
	bool run = emu_model_processing(m);

	if (dt <= 0)
		return;
	m->now_ms += llround(dt * 1000);
	if (!m->stopped && !m->waiting && m->restart_left > 0) {
		m->restart_left -= dt;
		if (m->restart_left <= 0)
			m->starting = false;
	}
	if (m->g.n == 1) /* the single vertex follows the settings */
		m->g.v[0].capacity = m->slot_capacity;
	m->g.max_parallelism = m->max_parallelism;
	m->fs.backlog = m->backlog;
	fm_step(&m->g, &m->fs, m->parallelism, run, m->input_rate, dt);
	m->backlog = m->fs.backlog;
	m->processed = m->fs.read;
	m->busy = emu_model_processing(m) ? fm_load(&m->g, &m->fs) : 0;
	m->records_in += m->processed * dt;
	for (int v = 0; v < m->g.n; v++)
		m->vrecords_in[v] += m->fs.in[v] * dt;
	for (int t = 0; t < m->taskmanagers && t < EMU_MAX_TM; t++) {
		/* subtasks spread evenly over the TaskManagers */
		double subtasks = (double)m->parallelism / m->taskmanagers;
		double cores = m->cpu_idle + m->busy * subtasks * m->cpu_per_slot;
		m->cpu_ns[t] += cores * dt * m->cpu_scale * 1e9;
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
	m->starting = false;
	m->restarts++;
}

/* What the job needs and wants of the slots, by scheduler. */
static void emu_want(const struct emu_model *m, int *need, int *want)
{
	int slots = emu_slots_total(m);

	switch (m->sched) {
	case EMU_SCHED_REACTIVE:
		*need = 1;
		*want = slots;
		break;
	case EMU_SCHED_ADAPTIVE:
		*need = m->lower;
		*want = m->upper < slots ? m->upper : slots;
		break;
	default:
		*need = m->parallelism;
		*want = m->parallelism;
		break;
	}
	if (*want > m->max_parallelism)
		*want = m->max_parallelism;
	if (*want < 1)
		*want = 1;
}

/* After a change of slots or bounds: rescale, wait for slots (the job
 * fails over and cannot be scheduled: one restart), or resume. */
static void emu_follow(struct emu_model *m)
{
	int need, want;

	if (m->stopped)
		return;
	emu_want(m, &need, &want);
	if (emu_slots_total(m) < need) {
		if (!m->waiting) {
			m->waiting = true;
			m->starting = false;
			m->restart_left = 0;
			m->restarts++;
		}
		return;
	}
	if (m->waiting) {
		m->waiting = false;
		m->parallelism = want;
		m->restart_left = m->restart_pause;
		return;
	}
	emu_model_rescale(m, want);
}

void emu_model_set_taskmanagers(struct emu_model *m, int n)
{
	if (n < 1)
		n = 1;
	if (n > EMU_MAX_TM)
		n = EMU_MAX_TM;
	m->taskmanagers = n;
	emu_follow(m);
}

void emu_model_set_bounds(struct emu_model *m, int lower, int upper)
{
	m->lower = lower < 1 ? 1 : lower;
	m->upper = upper < m->lower ? m->lower : upper;
	emu_follow(m);
}

void emu_model_stop(struct emu_model *m)
{
	m->stopped = true;
	m->waiting = false;
	m->starting = false;
	m->restart_left = 0;
	m->processed = 0;
	m->busy = 0;
}

void emu_model_recover(struct emu_model *m, double down)
{
	if (m->stopped || m->waiting)
		return;
	m->restart_left = (down > 0 ? down : 0) + m->restart_pause;
	m->starting = true; /* a new JobMaster: RUNNING, tasks INITIALIZING */
	m->restarts++;
}

void emu_model_submit(struct emu_model *m, int p)
{
	int need, want;

	if (p < 1)
		p = 1;
	if (p > m->max_parallelism)
		p = m->max_parallelism;
	m->stopped = false;
	m->waiting = false;
	if (m->sched == EMU_SCHED_ADAPTIVE) {
		m->lower = 1;
		m->upper = p;
	}
	m->parallelism = p;
	emu_want(m, &need, &want);
	m->parallelism = want;
	m->starting = true;
	m->restart_left = m->restart_pause;
	if (emu_slots_total(m) < need) {
		m->waiting = true; /* no slots for it: it fails over */
		m->starting = false;
		m->restart_left = 0;
		m->restarts++;
	}
}

const char *emu_model_state(const struct emu_model *m)
{
	if (m->stopped)
		return "FINISHED";
	if (m->waiting || (m->restart_left > 0 && !m->starting))
		return "RESTARTING";
	return "RUNNING";
}

const char *emu_model_task_state(const struct emu_model *m)
{
	if (m->stopped)
		return "FINISHED";
	if (m->waiting || (m->restart_left > 0 && !m->starting))
		return "SCHEDULED";
	return m->restart_left > 0 ? "INITIALIZING" : "RUNNING";
}

double emu_busy_ms(const struct emu_model *m)
{
	return 1000 * m->busy;
}

double emu_backpressured_ms(const struct emu_model *m)
{
	/* the sources wait on a saturated chain once there is a backlog */
	if (m->backlog <= 0 || !emu_model_processing(m))
		return 0;
	return 1000 * (1 - m->busy) * 0.5;
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
