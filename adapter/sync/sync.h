/*
 * sync.h - the parallelism sync controller: when the HPA changes a
 * TaskManager Deployment's replicas, bring the Flink job's parallelism in
 * line with the slots now available.
 *
 * It runs on its own thread, and only while this adapter holds the Lease
 * (lease.h).  Every period it lists the Deployments flinkhpa-gen wrote
 * (label flinkhpa.io/role=taskmanager, annotations naming the JobManager,
 * the job, slots per TaskManager and the mode) and advances each one's
 * rescale by one step, never blocking on one job: a rescale is a sequence
 * of short REST calls spread over periods.
 *
 *   target = replicas x slots, capped by max parallelism, optionally
 *            rounded down to a divisor of it
 *   when   the new replicas are ready and registered at the JobManager,
 *          replicas unchanged for the settle time, no rescale in flight,
 *          at least the minimum interval since the last one
 *   how    reactive: Flink rescales by itself; we verify and report
 *          adaptive: PUT /jobs/ID/resource-requirements
 *          savepoint: stop with savepoint, then resubmit the jar at the
 *          target from that savepoint; a failed savepoint leaves the job
 *          running as it was.  A job left without its slots by a
 *          scale-down (not RUNNING, fewer slots than its parallelism, the
 *          Deployment asking for fewer, for the settle time) is cancelled
 *          and resubmitted from its latest checkpoint Flink keeps after a
 *          cancellation (or a newer savepoint); never without one: a
 *          JobStranded Event says why
 *   then   verify: the job RUNNING with every vertex at its expected
 *          parallelism; annotation flinkhpa.io/parallelism, Event
 *          Rescaled (or RescaleFailed), counters on /metrics
 *
 * What a restart must not lose is kept on the Deployment, in annotations:
 *   flinkhpa.io/parallelism   the parallelism last applied and verified
 *   flinkhpa.io/rescale       a rescale in flight: "target=N from=M
 *                             job=ID trigger=ID savepoint=PATH [cancel=1]"
 *                             (what is known; cancel=1: the job is being
 *                             cancelled to resume from PATH)
 * so a new leader continues a rescale instead of starting a second one.
 */
#ifndef FH_SYNC_H
#define FH_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "adapter/kube/kube.h"
#include "adapter/kube/lease.h"

struct sync_opts {
	const char *ns;        /* NULL: all namespaces */
	const char *selector;  /* Deployments (flinkhpa.io/role=taskmanager) */
	int64_t period_ms;     /* between steps (2 s) */
	int64_t settle_ms;     /* replicas unchanged this long (10 s) */
	int64_t min_interval_ms; /* between two rescales of a job (30 s) */
	int64_t timeout_ms;    /* savepoint or verification (5 min) */
	int64_t flink_timeout_ms; /* one REST call (5 s) */
};

struct sync_stats {
	uint64_t rescales, failures;
	int64_t last_duration_ms;
	uint64_t in_flight;
};

struct sync;

/* k: for the watch on the Deployments and the REST calls of the steps
 * (patches, events); borrowed.  lease NULL: always act (one replica,
 * tests). */
struct sync *sync_new(struct kube_client *k, struct lease *lease,
		      const struct sync_opts *o, struct err *e);
/* The controller's thread and its Deployment informer: sync_start starts
 * both (ERR_STATE when running, ERR_IO when it cannot); sync_stop wakes
 * and joins the thread, then stops the informer (accepts NULL and a
 * stopped controller; it can start again).  A rescale in flight stays on
 * the Deployment's annotations for the next leader. */
int sync_start(struct sync *s, struct err *e);
void sync_stop(struct sync *s);
void sync_stats(struct sync *s, struct sync_stats *out);
/* Prometheus text for /metrics. */
int sync_metrics(struct sync *s, struct buf *out);
void sync_free(struct sync *s); /* stops first; accepts NULL */

/* The parallelism replicas x slots gives (exposed for tests). */
int64_t sync_target(int64_t replicas, int64_t slots, int64_t max_par,
		    bool align);

#endif
