/*
 * lease.h - leader election on a coordination.k8s.io/v1 Lease, as
 * client-go's leaderelection does it: the holder renews the Lease every
 * retry period; another candidate takes it over only when it has seen the
 * same record unchanged for a whole lease duration (by its own monotonic
 * clock, so clocks need not agree); writes carry the resourceVersion they
 * read, so two candidates never both win (one gets 409 Conflict).  A
 * holder that cannot renew within the renew deadline stops leading before
 * its lease can expire for others.
 *
 * With two adapter replicas, only the leader runs the sync controller.
 */
#ifndef FH_LEASE_H
#define FH_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/kube/kube.h"

struct lease_opts {
	const char *ns, *name;  /* where the Lease lives */
	const char *identity;   /* this candidate (pod name + random) */
	int duration_s;         /* leaseDurationSeconds (15) */
	int renew_deadline_s;   /* stop leading after this without renewal (10) */
	int retry_s;            /* between attempts (2) */
};

struct lease;

/* k is used only by the lease's thread once started. */
struct lease *lease_new(struct kube_client *k, const struct lease_opts *o,
			struct err *e);
int lease_start(struct lease *l, struct err *e);
/* True while this candidate holds the lease. */
bool lease_is_leader(struct lease *l);
/* How many times this candidate became leader. */
uint64_t lease_terms(struct lease *l);
/* Stops the thread, gives the lease up if held; accepts NULL. */
void lease_free(struct lease *l);

/* One attempt to acquire or renew, without the thread (tests):
 * 1 leading, 0 not, negative on errors.  now_ms: a monotonic clock. */
int lease_try(struct lease *l, int64_t now_ms, struct err *e);

#endif
