/*
 * selfmetrics.c - the adapter's /metrics page (see selfmetrics.h).
 */
#include "adapter/serve/selfmetrics.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Latency buckets in seconds (upper bounds), as a Prometheus histogram. */
static const double sm_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
				    0.005, 0.01, 0.025, 0.1, 1 };
#define SM_NB (sizeof(sm_bounds) / sizeof(sm_bounds[0]))
static const int sm_codes[] = { 200, 400, 401, 403, 404, 405, 406, 500 };
#define SM_NC (sizeof(sm_codes) / sizeof(sm_codes[0]))

struct selfmetrics {
	atomic_uint_fast64_t by_code[SM_NC + 1]; /* last: other codes */
	atomic_uint_fast64_t bucket[SM_NB];
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_us;
};

struct selfmetrics *selfmetrics_new(void)
{
	return calloc(1, sizeof(struct selfmetrics));
}

void selfmetrics_free(struct selfmetrics *m)
{
	free(m);
}

void selfmetrics_request(struct selfmetrics *m, int code, int64_t us)
{
	size_t c = SM_NC;

	for (size_t i = 0; i < SM_NC; i++)
		if (sm_codes[i] == code)
			c = i;
	atomic_fetch_add(&m->by_code[c], 1);
	for (size_t i = 0; i < SM_NB; i++)
		if ((double)us / 1e6 <= sm_bounds[i])
			atomic_fetch_add(&m->bucket[i], 1);
	atomic_fetch_add(&m->count, 1);
	atomic_fetch_add(&m->sum_us, (uint_fast64_t)(us > 0 ? us : 0));
}

static int sm_requests(struct selfmetrics *m, struct buf *o)
{
	int rc = buf_adds(o, "# HELP flinkhpa_requests_total API requests answered, by HTTP status.\n"
			     "# TYPE flinkhpa_requests_total counter\n");

	for (size_t i = 0; i < SM_NC && !rc; i++)
		rc = buf_addf(o, "flinkhpa_requests_total{code=\"%d\"} %llu\n",
			      sm_codes[i],
			      (unsigned long long)atomic_load(&m->by_code[i]));
	if (!rc)
		rc = buf_addf(o, "flinkhpa_requests_total{code=\"other\"} %llu\n",
			      (unsigned long long)atomic_load(&m->by_code[SM_NC]));
	if (!rc)
		rc = buf_adds(o, "# HELP flinkhpa_request_duration_seconds Time to answer an API request.\n"
				 "# TYPE flinkhpa_request_duration_seconds histogram\n");
	for (size_t i = 0; i < SM_NB && !rc; i++)
		rc = buf_addf(o, "flinkhpa_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			      sm_bounds[i],
			      (unsigned long long)atomic_load(&m->bucket[i]));
	if (!rc)
		rc = buf_addf(o, "flinkhpa_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
			      "flinkhpa_request_duration_seconds_sum %.6f\n"
			      "flinkhpa_request_duration_seconds_count %llu\n",
			      (unsigned long long)atomic_load(&m->count),
			      (double)atomic_load(&m->sum_us) / 1e6,
			      (unsigned long long)atomic_load(&m->count));
	return rc;
}

static int sm_scrape(struct scraper *sc, struct buf *o)
{
	struct scrape_stats s;

	scraper_get_stats(sc, &s);
	return buf_addf(o,
		"# HELP flinkhpa_scrape_rounds_total Scrape rounds run.\n"
		"# TYPE flinkhpa_scrape_rounds_total counter\n"
		"flinkhpa_scrape_rounds_total %llu\n"
		"# HELP flinkhpa_scrapes_total TaskManager pages fetched, by result.\n"
		"# TYPE flinkhpa_scrapes_total counter\n"
		"flinkhpa_scrapes_total{result=\"ok\"} %llu\n"
		"flinkhpa_scrapes_total{result=\"failed\"} %llu\n"
		"# HELP flinkhpa_scrape_targets TaskManagers scraped.\n"
		"# TYPE flinkhpa_scrape_targets gauge\n"
		"flinkhpa_scrape_targets %zu\n"
		"# HELP flinkhpa_scrape_targets_failing TaskManagers whose last scrape failed (their values go stale).\n"
		"# TYPE flinkhpa_scrape_targets_failing gauge\n"
		"flinkhpa_scrape_targets_failing %zu\n"
		"# HELP flinkhpa_scrape_round_seconds Wall time of the last scrape round.\n"
		"# TYPE flinkhpa_scrape_round_seconds gauge\n"
		"flinkhpa_scrape_round_seconds %.3f\n"
		"# HELP flinkhpa_scrape_slowest_seconds The longest successful scrape of a target in the last round.\n"
		"# TYPE flinkhpa_scrape_slowest_seconds gauge\n"
		"flinkhpa_scrape_slowest_seconds %.3f\n"
		"# HELP flinkhpa_scrape_round_cpu_seconds CPU time of the scrape thread in the last round.\n"
		"# TYPE flinkhpa_scrape_round_cpu_seconds gauge\n"
		"flinkhpa_scrape_round_cpu_seconds %.6f\n"
		"# HELP flinkhpa_scrape_bytes_total Page bytes read.\n"
		"# TYPE flinkhpa_scrape_bytes_total counter\n"
		"flinkhpa_scrape_bytes_total %llu\n",
		(unsigned long long)s.rounds, (unsigned long long)s.ok,
		(unsigned long long)s.failed, s.targets, s.failing,
		(double)s.last_round_ms / 1000,
		(double)s.last_slowest_ms / 1000, (double)s.last_cpu_us / 1e6,
		(unsigned long long)s.bytes);
}

int selfmetrics_write(struct selfmetrics *m, struct scraper *sc,
		      struct store *st, struct buf *out)
{
	int rc = sm_requests(m, out);

	if (!rc && sc)
		rc = sm_scrape(sc, out);
	if (!rc && st)
		rc = buf_addf(out, "# HELP flinkhpa_pods TaskManager pods known.\n"
				   "# TYPE flinkhpa_pods gauge\n"
				   "flinkhpa_pods %zu\n", store_pod_count(st));
	return rc;
}
