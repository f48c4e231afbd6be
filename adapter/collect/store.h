/*
 * store.h - what the adapter knows, in memory: the TaskManager pods (from
 * discovery) with the values of their latest scrape, each with the time it
 * was observed.  Scrapes write; API handlers read.  Reads never block on the
 * network: they take a read lock for the time it takes to walk the pods.
 *
 * Pod metrics are the pod's own values.  Job metrics are combined at read
 * time from the per-job partials of the pods' latest scrapes (backlog sums,
 * lags and ratios take the max; custom rules use their job aggregation).
 * Job values read from the JobManager fill in where no page has the value.
 * A value observed more than stale_ms ago is not returned: the API answers
 * without it and the HPA holds instead of acting on old data.
 */
#ifndef FH_STORE_H
#define FH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/collect/catalog.h"
#include "adapter/collect/extract.h"

struct store;

/* A metric: a catalogue entry (cat >= 0) or a custom rule (rule >= 0). */
struct store_metric {
	int cat;
	int rule;
};

/* Identity of a pod, from discovery.  labels: "k", "v", "k", "v", ...,
 * NULL.  All strings are copied. */
struct store_pod_meta {
	const char *ns;
	const char *name;
	const char *deployment; /* owning Deployment, may be NULL */
	const char *job;        /* Flink job name (as named, or as in labels) */
	const char *const *labels;
};

/* spec: for the custom rules (names, job aggregation); borrowed. */
struct store *store_new(const struct ex_spec *spec, int64_t stale_ms);
void store_free(struct store *s);

int store_upsert_pod(struct store *s, const struct store_pod_meta *m,
		     struct err *e);
/* Returns true when the pod was known. */
bool store_remove_pod(struct store *s, const char *ns, const char *name);
struct store_counts {
	size_t pods;           /* known */
	uint64_t jobs_dropped; /* samples of jobs beyond the EX_MAX_JOBS a page
				* keeps, dropped so far (the first page that
				* drops some is logged, once) */
};
void store_get_counts(struct store *s, struct store_counts *out);
/* Posting lists in the label index (see store_pods_eq). */
size_t store_label_lists(struct store *s);

/* Record the values of a parsed page of pod ns/name, observed at at_ms.
 * ERR_NOTFOUND when the pod is unknown (removed meanwhile). */
int store_put_page(struct store *s, const char *ns, const char *name,
		   const struct ex_page *pg, const double pod[CAT_N],
		   const bool has[CAT_N], int64_t at_ms, struct err *e);

/* Job values read from the job's JobManager (jobmgr.c): Flink job `job`
 * run by Deployment ns/deployment (deployment "" when not known).  They
 * are served for a job metric when no fresh page has it.  Replaces what
 * an earlier call put for the same ns, deployment and job, value by
 * value: a value without has[] keeps the earlier one and its time, and so
 * goes stale on its own (as when one vertex's aggregates could not be
 * read this round). */
int store_put_job(struct store *s, const char *ns, const char *deployment,
		  const char *job, const double v[CAT_N], const bool has[CAT_N],
		  int64_t at_ms, struct err *e);
void store_remove_job(struct store *s, const char *ns, const char *deployment,
		      const char *job);

/* Read side.  Label predicate for selectors: labels as in the meta. */
typedef bool (*store_match_fn)(void *ud, const char *const *labels);
/* Visitor: name of the object (pod or job), its value and time.  A non-zero
 * return stops the walk and is returned.
 *
 * Locking: one rwlock guards the pods, their values, the label index and
 * the JobManager values.  Writers (upsert, remove, put_page, put_job,
 * remove_job) take it for writing for a copy and, on upsert and remove,
 * the index update (allocation happens before it where it can; a posting
 * list is allocated under it).  Every read below takes it for reading for
 * one walk and calls the visitor (and the store_match_fn) with it held:
 * they may read their arguments (name and labels are valid only during
 * the call: copy what is needed) and write their own memory (ud), and
 * must not call back into the store (a writer waiting behind them would
 * deadlock the readers), take any lock, or block. */
typedef int (*store_visit_fn)(void *ud, const char *name, double value,
			      int64_t at_ms);

/* Pod metric m of the pods of ns (NULL: all) that match, newest pod
 * (last upserted) first.  Walks every pod. */
int store_pods(struct store *s, const char *ns, struct store_metric m,
	       int64_t now_ms, store_match_fn match, void *match_ud,
	       store_visit_fn fn, void *ud);

/* A label pair that every pod a match function accepts must carry. */
struct store_eq {
	const char *key;
	const char *value;
};
#define STORE_MAX_EQ 32

/* As store_pods, through the label index: the pods visited are those of
 * the shortest posting list among the pairs eq (the pods of ns whose label
 * key has the value; a pod's first value of a key counts, the one a
 * selector reads; kept for every namespace, key and value as pods are
 * upserted and removed), in the order of store_pods.  Each is then checked
 * by match as in store_pods; with exact, match is taken to accept exactly
 * the pods that carry every pair of eq, and the pairs are checked instead
 * (pointer comparisons, no call).  The answer and its order are
 * store_pods's when the caller keeps the promise that match accepts only
 * pods carrying every pair (all of them with exact).  Costs a hash lookup
 * per pair and a step per pod of that list; with ns NULL, no pairs or more
 * than STORE_MAX_EQ, it is store_pods.  The index costs one link
 * (4 pointers) per label of each pod, and one list (a header and the
 * three strings) per distinct namespace, key and value. */
int store_pods_eq(struct store *s, const char *ns, struct store_metric m,
		  int64_t now_ms, const struct store_eq *eq, size_t neq,
		  bool exact, store_match_fn match, void *match_ud,
		  store_visit_fn fn, void *ud);

/* Job metric m of the job run by Deployment ns/deployment; with deployment
 * NULL, of every job in namespace ns together (the Namespace object). */
int store_deployment(struct store *s, const char *ns, const char *deployment,
		     struct store_metric m, int64_t now_ms, double *value,
		     int64_t *at_ms);

/* Job metric m of each Deployment in ns whose pods match (a Deployment is
 * matched by its pods' labels, which carry its selector's labels); the
 * name is the Deployment's. */
int store_deployments(struct store *s, const char *ns, struct store_metric m,
		      int64_t now_ms, store_match_fn match, void *match_ud,
		      store_visit_fn fn, void *ud);

/* Job metric m of every job in ns; the name is the Flink job name. */
int store_jobs(struct store *s, const char *ns, struct store_metric m,
	       int64_t now_ms, store_visit_fn fn, void *ud);

/* A job name as Flink writes it in label values (letters, digits, '_' and
 * ':' kept, others '_'); the caller frees it.  NULL for NULL. */
char *store_flink_name(const char *s);

/* Resolve an API metric name; false when unknown.  *pods: served per pod;
 * *jobs: served per job.  Custom rules are served both ways. */
bool store_lookup_metric(const struct store *s, const char *name,
			 struct store_metric *m, bool *pods, bool *jobs);

#endif
