/*
 * syncflink.h - the sync controller's view of a JobManager: the few
 * questions and orders a rescale needs, on top of the Flink REST client
 * (flinkrest.h).  Every call is one short blocking request made from the
 * controller's thread.
 */
#ifndef FH_SYNCFLINK_H
#define FH_SYNCFLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define SF_MAX_VERTICES 128

struct sf_vertex {
	char id[40];
	int64_t par, max_par;
};

struct sf_job {
	char id[40];
	char state[32]; /* RUNNING, RESTARTING, FINISHED ... */
	struct sf_vertex v[SF_MAX_VERTICES];
	size_t nv;
};

enum sf_savepoint { SF_SP_RUNNING, SF_SP_DONE, SF_SP_FAILED };

struct sf;

struct sf *sf_new(const char *base_url, int64_t timeout_ms, struct err *e);
void sf_free(struct sf *f);

/* The job called name that is not in a terminal state (else the newest
 * one): ERR_NOTFOUND when there is none. */
int sf_find_job(struct sf *f, const char *name, struct sf_job *j,
		struct err *e);
/* Registered TaskManagers and their slots. */
int sf_slots(struct sf *f, int64_t *tms, int64_t *slots, struct err *e);
/* Adaptive scheduler: every vertex's upper bound to min(target, its max). */
int sf_set_parallelism(struct sf *f, const struct sf_job *j, int64_t target,
		       struct err *e);
/* Stop with savepoint into dir: the trigger id. */
int sf_stop_with_savepoint(struct sf *f, const char *job, const char *dir,
			   char *trigger, size_t n, struct err *e);
int sf_savepoint(struct sf *f, const char *job, const char *trigger,
		 enum sf_savepoint *st, char *location, size_t nloc,
		 char *why, size_t nwhy, struct err *e);
/* Submit jar (NULL: the first uploaded) at parallelism from savepoint:
 * the new job's id. */
int sf_resubmit(struct sf *f, const char *jar, int64_t parallelism,
		const char *savepoint, char *job, size_t n, struct err *e);

/* The highest vertex parallelism; true when every vertex runs at
 * min(target, its max). */
int64_t sf_parallelism(const struct sf_job *j);
bool sf_at_target(const struct sf_job *j, int64_t target);

#endif
