/*
 * scrape.h - scrapes every TaskManager's metrics page on a fixed interval,
 * on a thread of its own, with the curl multi interface: each target once
 * an interval, at a stable offset within it (a hash of its URL modulo the
 * interval, as Prometheus does), so that a round's scrapes are spread over
 * the interval rather than all started at once; transfers run concurrently,
 * each response is parsed while it arrives (nothing is buffered whole), and
 * each target's values go to the store as soon as its page is complete, so
 * a slow or dead TaskManager never delays the others.  Per-target timeout, page size limit and series limit; failures
 * are counted, and logged once per change of state, not every interval.
 */
#ifndef FH_SCRAPE_H
#define FH_SCRAPE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/collect/extract.h"
#include "adapter/collect/store.h"

struct scrape_target {
	const char *ns;
	const char *pod;
	const char *url;    /* http://IP:9249/metrics */
	double cpu_request; /* cores; 0: none */
};

struct scrape_opts {
	int64_t interval_ms; /* between round starts; >= 1000 */
	int64_t timeout_ms;  /* per target; <= interval */
	size_t max_page;     /* bytes per page */
	size_t max_series;   /* samples kept per page */
};

struct scrape_stats {
	uint64_t rounds;
	uint64_t ok;           /* pages scraped and stored */
	uint64_t failed;       /* scrapes that failed */
	size_t targets;
	size_t failing;        /* targets whose last scrape failed */
	/* a round: every target once (the thread: one interval's pass) */
	int64_t last_round_ms; /* wall time from start to last completion */
	int64_t last_start_ms; /* CLOCK_MONOTONIC ms when that round began */
	int64_t last_cpu_us;   /* CPU time of the scrape thread that round */
	int64_t last_slowest_ms; /* its slowest successful scrape */
	uint64_t bytes;        /* page bytes read, in all */
};

struct scraper;

/* spec and store are borrowed and must outlive the scraper. */
struct scraper *scraper_new(const struct scrape_opts *o,
			    const struct ex_spec *spec, struct store *st,
			    struct err *e);
/* Replace the target set (strings copied).  Safe from any thread; takes
 * effect at the next round.  Targets that stay keep their state. */
int scraper_set_targets(struct scraper *s, const struct scrape_target *t,
			size_t n, struct err *e);
int scraper_start(struct scraper *s, struct err *e);
/* Stop the thread (waits for it); transfers in flight are abandoned. */
void scraper_stop(struct scraper *s);
void scraper_free(struct scraper *s); /* stops first; accepts NULL */
void scraper_get_stats(struct scraper *s, struct scrape_stats *out);

/* One round on the calling thread (no thread needed), every target
 * started at once: for tests and benchmarks. */
int scraper_round(struct scraper *s, struct err *e);

#endif
