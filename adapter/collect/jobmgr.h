/*
 * jobmgr.h - the JobManager poller: on a thread of its own, every
 * interval, it reads each followed job from its JobManager's REST API
 * (port 8081) and puts the job's values in the store:
 *
 *   /jobs/overview, /taskmanagers      the job's id; slots total and free
 *   /jobs/:jobid, /jobs/:jobid/plan    vertices, their parallelism, edges
 *   .../vertices/:vid/subtasks/metrics the metric ids of each vertex, then
 *                                      their aggregates over the subtasks
 *
 * The requests of a round go in four concurrent batches (fetch.h), so a
 * slow or dead JobManager costs its own requests their timeout and never
 * delays the others; failures are logged once per change of state.  Page
 * values stay first: the store serves these where no TaskManager page has
 * the value (Flink without the PrometheusReporter, or a job whose pages
 * are failing), and the metrics only the JobManager knows (parallelism,
 * slots, and the throughput computation of model/tput.h: the job's true
 * processing rate, target rate, required parallelism and TaskManagers,
 * each vertex's logged at --v=2).
 */
#ifndef FH_JOBMGR_H
#define FH_JOBMGR_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "adapter/collect/store.h"

/* The throughput computation's parameters (model/tput.h), from the
 * annotations of a throughput rule; 0: the default (utilization 0.7,
 * catch-up 300 s, restart 30 s, slots as registered, min 1, no max). */
struct jm_tput {
	double utilization, catch_up_s, restart_s;
	int slots, min_tms, max_tms;
};

/* A job to follow.  Targets with the same ns, deployment and job are one. */
struct jm_target {
	const char *ns;
	const char *deployment; /* may be NULL */
	const char *job;        /* Flink job name; NULL or "": the only job */
	const char *url;        /* http://HOST:8081 */
	struct jm_tput tput;
};

struct jm_opts {
	int64_t interval_ms; /* between round starts */
	int64_t timeout_ms;  /* per request */
	size_t max_body;     /* bytes per answer */
};

struct jm_stats {
	uint64_t rounds;
	uint64_t ok;     /* jobs read and stored */
	uint64_t failed; /* jobs that could not be read */
	size_t targets;
	size_t failing;  /* jobs whose last read failed */
	int64_t last_round_ms;
};

struct jobmgr;

/* st is borrowed and must outlive the poller. */
struct jobmgr *jobmgr_new(const struct jm_opts *o, struct store *st,
			  struct err *e);
/* Replace the job set (strings copied; safe from any thread; applied at
 * the next round).  Jobs no longer followed leave the store then. */
int jobmgr_set_targets(struct jobmgr *m, const struct jm_target *t, size_t n,
		       struct err *e);
/* The poller's thread: jobmgr_start starts it (ERR_STATE when running,
 * ERR_IO when it cannot); jobmgr_stop wakes it out of a round or its wait,
 * joins it (accepts NULL and a stopped poller; it can start again). */
int jobmgr_start(struct jobmgr *m, struct err *e);
void jobmgr_stop(struct jobmgr *m);
void jobmgr_free(struct jobmgr *m); /* stops first; accepts NULL */
void jobmgr_get_stats(struct jobmgr *m, struct jm_stats *out);

/* The poller's own metrics, in the Prometheus text format (m may be
 * NULL: nothing). */
int jobmgr_metrics(struct jobmgr *m, struct buf *out);

/* One round on the calling thread: for tests. */
int jobmgr_round(struct jobmgr *m, struct err *e);

#endif
