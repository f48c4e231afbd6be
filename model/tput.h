/*
 * tput.h - the throughput computation (DS2, FLIP-271 in our words): from
 * what a running Flink job's vertices report, how many subtasks each one
 * needs and how many TaskManagers the job needs, so that one rescale
 * lands on a size that keeps up with the input and works off the backlog.
 *
 *   true processing rate (TPR) of a vertex = its input rate / its busy
 *     ratio (busyTimeMsPerSecond / 1000, the busiest subtask's); per
 *     subtask: / parallelism.  A source's input rate is what it emits
 *     (numRecordsOutPerSecond).  Below TPUT_MIN_BUSY the ratio is taken
 *     as TPUT_MIN_BUSY: the TPR is then a lower bound and the vertex
 *     needs at most what that bound says (an idle job needs 1 subtask).
 *   target rate: at a source its input rate plus the backlog's growth per
 *     second (the rate records arrive at); downstream, the sum over the
 *     input edges of the upstream target x the upstream's observed
 *     output/input ratio.
 *   catch-up: the backlog beyond what one restart adds (target x restart
 *     time, covered by the restart term) over the catch-up duration,
 *     propagated like the target.
 *   capacity needed = target / utilization, or, when more, target +
 *     catch-up + target x restart / catch-up duration: the headroom the
 *     target utilization leaves (1/u - 1 of the target) is what works off
 *     the backlog and the records a restart leaves; capacity is added for
 *     them only when that headroom would not do it within the catch-up
 *     duration (FLIP-271 adds the three terms: at utilization 0.7 and a
 *     restart of a tenth of the catch-up duration that is 7% more than
 *     needed, a TaskManager or, at a key-group boundary, several);
 *   required parallelism = ceil(needed / per-subtask TPR), at least 1, at
 *     most the max parallelism.  Where the input comes in units spread by
 *     count over the subtasks (a source's partitions; a keyed vertex's key
 *     groups, as many as its max parallelism), the busiest subtask holds
 *     ceil(units / p) of them, plus what a hot key (or a hot partition)
 *     adds: h of the input, estimated from the busiest subtask's busy
 *     ratio against the mean (the busiest's share is max/mean/p = h + (1
 *     - h) ceil(units/p)/units).  A subtask's capacity is the input / (p x
 *     the mean busy ratio); the required parallelism is the smallest q
 *     whose busiest subtask's share of the capacity needed fits in it.  So
 *     it lands on counts that spread the units evenly (24 partitions, 3
 *     each: 8, never 10; 128 key groups, 9 each: 15), never above the unit
 *     count (no idle subtask), and accounts for the hot key;
 *   required TaskManagers = ceil(max over vertices / slots), within
 *     [min, max]; never below the current count while the backlog grows
 *     or is above the catch-up threshold (target x restart time).
 *
 * Pure computation on numbers the caller read (the adapter from the
 * JobManager, flinkhpa-gen simulate from model/fm.h): rule model -> common.
 */
#ifndef FH_TPUT_H
#define FH_TPUT_H

#include <stdbool.h>

#define TPUT_MAX_VERTICES 64
#define TPUT_MAX_INPUTS 8
#define TPUT_MIN_BUSY 0.005 /* busy ratios below: "about 0" */

struct tput_vertex {
	int parallelism;     /* running subtasks */
	int max_parallelism; /* key groups; 0: no limit */
	int partitions;      /* a source's partitions; 0: unknown */
	bool source;         /* no inputs */
	bool keyed;          /* input by key (a HASH edge): key groups */
	double in_rate;      /* records/s in, all subtasks (a source: out) */
	double out_rate;     /* records/s out, all subtasks */
	double busy;         /* busyTimeMsPerSecond / 1000, max of subtasks */
	double busy_avg;     /* the same, mean of subtasks (0: unknown) */
	int inputs[TPUT_MAX_INPUTS]; /* upstream vertices' indices */
	int ninputs;
};

struct tput_job {
	struct tput_vertex v[TPUT_MAX_VERTICES];
	int n;
	double backlog;      /* pendingRecords of the sources */
	double growth;       /* the backlog's change, records/s */
};

struct tput_params {
	double utilization;  /* target busy ratio, (0, 1] */
	double catch_up_s;   /* catch-up duration, > 0 */
	double restart_s;    /* restart time, >= 0 */
	int slots;           /* per TaskManager */
	int min_tms, max_tms;
	int current_tms;     /* 0: unknown, no scale-down hold */
};

struct tput_vresult {
	double tpr;          /* per subtask, records/s */
	double target;       /* records/s */
	double catch_up;     /* records/s */
	double needed;       /* capacity needed, records/s */
	int required;        /* parallelism */
};

struct tput_result {
	struct tput_vresult v[TPUT_MAX_VERTICES];
	double true_rate;    /* the job's, in source records/s at its
				current parallelism: the lowest vertex's */
	double target_rate;  /* the sources' */
	int required_parallelism; /* max over vertices */
	int required_tms;
	int bottleneck;      /* the vertex that asks for most */
	bool held;           /* a scale-down held back by the backlog */
};

/* 0, or -1 when the job is unusable (no vertex, an edge to a vertex not
 * before it, bad parameters): r is then untouched. */
int tput_compute(const struct tput_job *j, const struct tput_params *p,
		 struct tput_result *r);

/* What to serve the HPA for r (an Object or External metric with an
 * AverageValue target of 1, so that the HPA's ceil(value / 1) lands on
 * it): required_tms, except at the bounds, where a change of less than the
 * HPA's tolerance (0.1) would be skipped and leave the job one short of
 * its max (KEDA #2908) or one above its min: there the value is pushed
 * just past the tolerance, and the HPA clamps it to the bound. */
double tput_hpa_value(const struct tput_result *r, const struct tput_params *p,
		      double tolerance);

#endif
