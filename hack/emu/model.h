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
 *
 * The records' flow through the job graph is the shared workload model's
 * (model/fm.h, also `flinkhpa-gen simulate`'s): by default one chained
 * vertex of slot_capacity records/s per subtask, scaling linearly; or the
 * four-vertex pipeline (emu_model_pipeline) with partitions, a hot key
 * and a per-subtask efficiency below 1.
 *
 * How the parallelism follows the slots depends on the scheduler:
 *   reactive  the job uses every slot (up to the max parallelism);
 *   adaptive  it runs at min(upper bound, slots) of the declared bounds,
 *             and waits while fewer slots than the lower bound exist;
 *   default   (Flink's default scheduler, "savepoint" mode of the
 *             emulator) the parallelism is fixed when the job is
 *             submitted; with fewer slots the job cannot be scheduled and
 *             restarts until they come back.
 * A job stopped with a savepoint processes nothing until a new one is
 * submitted (emu_model_submit); its backlog grows meanwhile, as the
 * source's offsets were kept in the savepoint.
 */
#ifndef FH_EMU_MODEL_H
#define FH_EMU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/names.h"
#include "model/fm.h"

#define EMU_MAX_TM 4096

/* The schedulers, in the order of the parallelism modes (names.h). */
enum emu_sched {
	EMU_SCHED_REACTIVE = FH_MODE_REACTIVE,
	EMU_SCHED_ADAPTIVE = FH_MODE_ADAPTIVE,
	EMU_SCHED_DEFAULT = FH_MODE_SAVEPOINT,
};

struct emu_model {
	/* settings */
	double input_rate;    /* records/s offered to the sources */
	double slot_capacity; /* records/s one subtask processes */
	double cpu_per_slot;  /* cores a fully busy subtask burns */
	double cpu_idle;      /* cores an idle TaskManager burns */
	double restart_pause; /* seconds of restart after a rescale */
	int slots_per_tm;
	int max_parallelism;
	int sched;            /* enum emu_sched */
	int lower, upper;     /* adaptive: the declared parallelism bounds */

	/* state */
	int taskmanagers;     /* registered TaskManagers */
	int parallelism;      /* subtasks of each vertex, running */
	double restart_left;  /* > 0: restarting (or starting, see below) */
	bool starting;        /* a new job restoring its state: restart_left */
	bool waiting;         /* fewer slots than the job needs: not running */
	bool stopped;         /* no job runs (stopped with a savepoint) */
	int restarts;
	double backlog;       /* records pending at the sources */
	double processed;     /* records/s in the last tick */
	double busy;          /* 0..1, per running subtask */
	double cpu_ns[EMU_MAX_TM]; /* per TaskManager, monotonic */
	double cpu_scale;     /* real seconds per model second (1 / speed):
				 CPU time is the JVM's, spent in real time */
	double records_in;    /* total, for counters */
	double vrecords_in[FM_MAX_VERTICES]; /* per vertex, for counters */
	struct fm_graph g;    /* the job graph (fm_graph_single by default) */
	struct fm_state fs;   /* its flow in the last tick */
	int64_t now_ms;       /* model time */
};

/* Defaults: 1 TaskManager, 2 slots, capacity 1000 records/s per slot,
 * 0.45 cores per busy slot, 10 s restart pause, max parallelism 128,
 * reactive scheduler, bounds 1..2. */
void emu_model_init(struct emu_model *m, int64_t now_ms);

/* Use the four-vertex pipeline of fm.h instead of the single vertex. */
void emu_model_pipeline(struct emu_model *m, int partitions, double hot_key,
			double efficiency);

/* Advance by dt seconds of model time. */
void emu_model_tick(struct emu_model *m, double dt);

/* Run at parallelism p (a rescale: the job restarts unless p is the
 * current parallelism).  p is capped to the slots and max parallelism. */
void emu_model_rescale(struct emu_model *m, int p);

/* TaskManagers join or leave; the job follows as its scheduler does. */
void emu_model_set_taskmanagers(struct emu_model *m, int n);

/* Adaptive scheduler: new bounds (1 <= lower <= upper); the job restarts
 * at min(upper, slots, max parallelism) when that differs. */
void emu_model_set_bounds(struct emu_model *m, int lower, int upper);

/* The job stops (stop-with-savepoint): nothing is processed any more. */
void emu_model_stop(struct emu_model *m);

/* The JobManager fails over (high availability): the tasks are cancelled,
 * and the job, recovered by the new JobManager after down seconds, is
 * restored from its last checkpoint at the parallelism it had (restoring
 * for restart_pause seconds).  A stopped job stays stopped; one waiting
 * for slots keeps waiting. */
void emu_model_recover(struct emu_model *m, double down);

/* A new job at parallelism p (default scheduler: fixed; adaptive: the
 * upper bound; reactive: ignored) starts and restores its state for
 * restart_pause seconds. */
void emu_model_submit(struct emu_model *m, int p);

/* The job's state as Flink's JobStatus: RUNNING (also while starting),
 * RESTARTING (restarting or waiting for slots), FINISHED (stopped). */
const char *emu_model_state(const struct emu_model *m);

/* Its tasks' ExecutionState: RUNNING, INITIALIZING, SCHEDULED, FINISHED. */
const char *emu_model_task_state(const struct emu_model *m);

/* Records flow: not stopped, not waiting, not (re)starting. */
bool emu_model_processing(const struct emu_model *m);

/* Slots the job holds. */
int emu_slots_used(const struct emu_model *m);

/* Derived metrics. */
double emu_busy_ms(const struct emu_model *m);          /* per subtask */
double emu_backpressured_ms(const struct emu_model *m); /* per subtask */
double emu_pending_per_subtask(const struct emu_model *m);
double emu_watermark_lag_ms(const struct emu_model *m);
double emu_latency_p99_ms(const struct emu_model *m);
int emu_slots_total(const struct emu_model *m);

#endif
