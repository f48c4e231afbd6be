/*
 * model.h - the Flink emulator's workload model: one streaming job whose
 * sources are offered input_rate records/s; each running subtask can
 * process slot_capacity records/s.  What is not processed piles up as
 * backlog at the sources and drains when there is spare capacity.  A
 * rescale stops processing for restart_pause seconds (Flink restarts the
 * job from its last checkpoint), so the backlog grows meanwhile.
 *
 * Per tick the model yields what Flink's metrics would say: busy and
 * back-pressured time, records in and out, pending records, watermark and
 * event-time lag, latency markers, and per TaskManager the CPU time (one
 * fully busy subtask burns cpu_per_slot cores) and heap.
 */
#ifndef FH_EMU_MODEL_H
#define FH_EMU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define EMU_MAX_TM 4096

struct emu_model {
	/* settings */
	double input_rate;    /* records/s offered to the sources */
	double slot_capacity; /* records/s one subtask processes */
	double cpu_per_slot;  /* cores a fully busy subtask burns */
	double cpu_idle;      /* cores an idle TaskManager burns */
	double restart_pause; /* seconds of restart after a rescale */
	int slots_per_tm;
	int max_parallelism;

	/* state */
	int taskmanagers;     /* registered TaskManagers */
	int parallelism;      /* subtasks of each vertex, running */
	double restart_left;  /* > 0: restarting */
	int restarts;
	double backlog;       /* records pending at the sources */
	double processed;     /* records/s in the last tick */
	double busy;          /* 0..1, per running subtask */
	double cpu_ns[EMU_MAX_TM]; /* per TaskManager, monotonic */
	double records_in;    /* total, for counters */
	int64_t now_ms;       /* model time */
};

/* Defaults: 1 TaskManager, 2 slots, capacity 1000 records/s per slot,
 * 0.45 cores per busy slot, 10 s restart pause, max parallelism 128. */
void emu_model_init(struct emu_model *m, int64_t now_ms);

/* Advance by dt seconds of model time. */
void emu_model_tick(struct emu_model *m, double dt);

/* Run at parallelism p (a rescale: the job restarts unless p is the
 * current parallelism).  p is capped to the slots and max parallelism. */
void emu_model_rescale(struct emu_model *m, int p);

/* TaskManagers join or leave; in reactive mode the job follows. */
void emu_model_set_taskmanagers(struct emu_model *m, int n, bool reactive);

/* The state: RUNNING or RESTARTING. */
const char *emu_model_state(const struct emu_model *m);

/* Derived metrics. */
double emu_busy_ms(const struct emu_model *m);          /* per subtask */
double emu_backpressured_ms(const struct emu_model *m); /* per subtask */
double emu_pending_per_subtask(const struct emu_model *m);
double emu_watermark_lag_ms(const struct emu_model *m);
double emu_latency_p99_ms(const struct emu_model *m);
int emu_slots_total(const struct emu_model *m);

#endif
