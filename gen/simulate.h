/*
 * simulate.h - `flinkhpa-gen simulate`: what the HPA would do with a
 * policy, before it is applied.  A trace (CSV) is replayed through the HPA
 * controller's algorithm (hpasim.h) every sync period:
 *
 *   replay  columns named after the rules' HPA metrics (cpu, memory,
 *           flink_tm_busy_ratio, flink_job_backlog, ...): the values the
 *           HPA would read (per-pod averages for Pods and Resource rules)
 *   model   a column input_rate (records/s): a Flink job (the workload
 *           model the emulator runs, model/fm.h: one vertex of replicas x
 *           capacity records/s, or the four-vertex pipeline), restarting
 *           for the restart pause after each rescale, gives every metric
 *           (busy ratio, CPU, backlog, lag, the throughput computation's
 *           required TaskManagers), so more replicas lower the per-pod
 *           values (a closed loop)
 *
 * The output is a timeline (one line per sync, and the HPA's event when
 * it rescales) and, on request, an SVG chart.
 */
#ifndef FH_SIMULATE_H
#define FH_SIMULATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/err.h"
#include "gen/policy.h"
#include "model/fm.h"

#define SIM_MAX_ROWS 100000
#define SIM_MAX_COLS 16
#define SIM_MAX_SECONDS (31 * 86400) /* the longest trace: a month */

struct sim_trace {
	char *cols[SIM_MAX_COLS]; /* after "time" */
	size_t ncols;
	double *t;                /* seconds, increasing */
	double *v;                /* rows x ncols; NAN: empty */
	size_t nrows;
};

/* Read a CSV trace: header "time,NAME,...", then numbers; errors name
 * the line and the column. */
int sim_trace_load(const char *path, struct sim_trace *t, struct err *e);
int sim_trace_parse(const char *text, size_t n, struct sim_trace *t,
		    struct err *e);
void sim_trace_release(struct sim_trace *t);

struct sim_opts {
	int64_t period_ms;      /* HPA sync period (15 s) */
	int64_t initial;        /* replicas at t=0 (min replicas) */
	double capacity;        /* model: records/s per TaskManager at busy 1 */
	int64_t restart_ms;     /* model: pause after each rescale */
	int64_t delay_ms;       /* model: a new pod's time to start */
	/* the controller's Kubernetes 1.MINOR (0: the latest); before 21
	 * its stabilization picks one window (gen/hpasim.h) */
	int kube_minor;
	/* model: false, one vertex of capacity records/s per replica; true,
	 * the pipeline of model/fm.h at the policy's slots per replica
	 * (capacity / slots per slot), with these: */
	bool pipeline;
	int partitions;         /* the source's partitions (0: any) */
	double hot_key;         /* the window's hot key share */
	double efficiency;      /* of each subtask beyond the first */
};

struct sim_row {
	double t;
	int32_t replicas, desired;
	double m[POL_MAX_RULES];
	bool valid[POL_MAX_RULES];
	bool rescaled;
	double input, backlog;  /* model: records/s offered, records waiting */
	char reason[320];
};

struct sim_result {
	struct sim_row *rows;
	size_t n;
};

/* The minor version of "1.MINOR", "1.MINOR.PATCH" or with a leading "v":
 * 18 or later (the HPA's behavior came with 1.18). */
int sim_kube_minor(const char *version, int *minor, struct err *e);

/* Run p over the trace (model mode when it has a column input_rate). */
int sim_run(const struct pol *p, const struct sim_trace *t,
	    const struct sim_opts *o, struct sim_result *r, struct err *e);
void sim_result_release(struct sim_result *r);

/* The timeline, as text. */
int sim_timeline(const struct pol *p, const struct sim_result *r,
		 struct buf *out);
/* The chart: the first rule's metric against its target, replicas over
 * time, a marker at each rescale. */
int sim_svg(const struct pol *p, const struct sim_result *r,
	    struct buf *out);

#endif
