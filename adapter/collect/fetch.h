/*
 * fetch.h - a batch of HTTP GETs run concurrently with the curl multi
 * interface.  Each answer goes into a buffer with a limit, each request has
 * its own timeout: a slow or dead server costs its own requests their
 * timeout and never delays the others'.  The JobManager poller (jobmgr.c)
 * runs its dependent requests as a few such batches per round.
 *
 * Ownership: the caller owns the fetch_req array; fetch_req_release frees
 * what a run put in one.  A fetcher is used by one thread at a time.
 */
#ifndef FH_FETCH_H
#define FH_FETCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define FETCH_URL_MAX 4096

struct fetch_req {
	char url[FETCH_URL_MAX]; /* in */
	void *ud;                /* in: the caller's */
	size_t tag;              /* in: the caller's */
	long status;             /* out: HTTP status; 0 when no answer */
	struct buf body;         /* out: the answer, NUL-terminated */
	struct err err;          /* out: why there is no answer */
};

struct fetcher;

struct fetcher *fetcher_new(int64_t timeout_ms, size_t max_body,
			    struct err *e);
void fetcher_free(struct fetcher *f); /* accepts NULL */

/* Run n requests at once and return when all have ended, or early (with
 * the unfinished ones failed) once *stop is set. */
int fetcher_run(struct fetcher *f, struct fetch_req *r, size_t n,
		const atomic_bool *stop, struct err *e);
/* Wake a fetcher_run in progress (from another thread) to look at stop. */
void fetcher_wakeup(struct fetcher *f);

/* Prepare r for url (printf format); ERR_LIMIT when too long. */
int fetch_req_init(struct fetch_req *r, void *ud, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fetch_req_release(struct fetch_req *r);

#endif
