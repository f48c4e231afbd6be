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
#include "adapter/flink/jmparse.h"

enum sf_savepoint { SF_SP_RUNNING, SF_SP_DONE, SF_SP_FAILED };

struct sf;

struct sf *sf_new(const char *base_url, int64_t timeout_ms, struct err *e);
void sf_free(struct sf *f);

/* The job called name as jmp_pick chooses it (the JobManager poller
 * follows the same one), read with GET /jobs/ID: ERR_NOTFOUND when no job
 * has that name.  The job may have ended: look at its state. */
int sf_find_job(struct sf *f, const char *name, struct jmp_job *j,
		struct err *e);
/* Registered TaskManagers and their slots. */
int sf_slots(struct sf *f, int64_t *tms, int64_t *slots, struct err *e);
/* Adaptive scheduler: every vertex's upper bound to min(target, its max). */
int sf_set_parallelism(struct sf *f, const struct jmp_job *j, int64_t target,
		       struct err *e);
/* Stop with savepoint into dir: the trigger id. */
int sf_stop_with_savepoint(struct sf *f, const char *job, const char *dir,
			   char *trigger, size_t n, struct err *e);
int sf_savepoint(struct sf *f, const char *job, const char *trigger,
		 enum sf_savepoint *st, char *location, size_t nloc,
		 char *why, size_t nwhy, struct err *e);
/* The job with this id (GET /jobs/ID); ERR_NOTFOUND when unknown. */
int sf_job(struct sf *f, const char *id, struct jmp_job *j, struct err *e);
/* What job could be resumed from if it were cancelled now
 * (jmp_restore_point over GET /jobs/ID/checkpoints and .../config): 0
 * with its path; ERR_NOTFOUND with why (no completed checkpoint or
 * savepoint, checkpointing off, checkpoints not retained on
 * cancellation) when there is none; other codes when Flink could not be
 * asked. */
int sf_restore_point(struct sf *f, const char *job, char *path, size_t n,
		     char *why, size_t nwhy, struct err *e);
/* PATCH /jobs/ID?mode=cancel. */
int sf_cancel(struct sf *f, const char *job, struct err *e);
/* Submit jar (NULL: the first uploaded) at parallelism from savepoint:
 * the new job's id. */
int sf_resubmit(struct sf *f, const char *jar, int64_t parallelism,
		const char *savepoint, char *job, size_t n, struct err *e);

#endif
