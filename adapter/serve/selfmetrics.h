/*
 * selfmetrics.h - the adapter's own metrics, served on /metrics in the
 * Prometheus text format: requests by code and their latency, scrape rounds
 * and failures, targets, pods.  Counters are atomics: request threads and
 * the scrape thread update them without locks.
 */
#ifndef FH_SELFMETRICS_H
#define FH_SELFMETRICS_H

#include <stdint.h>

#include "common/buf.h"
#include "adapter/collect/scrape.h"
#include "adapter/collect/store.h"

struct selfmetrics;

struct selfmetrics *selfmetrics_new(void);
void selfmetrics_free(struct selfmetrics *m);

/* One answered request: HTTP status and duration in microseconds. */
void selfmetrics_request(struct selfmetrics *m, int code, int64_t us);

/* Write the page; scraper and store may be NULL. */
int selfmetrics_write(struct selfmetrics *m, struct scraper *sc,
		      struct store *st, struct buf *out);

#endif
