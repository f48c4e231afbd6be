/*
 * extract.h - turns the samples of one TaskManager page into the values of
 * the metric catalogue (catalog.h) and of the custom rules.
 *
 * An ex_spec is built once from the configuration: it holds the parser's
 * family filter (only families some metric needs are kept) and the custom
 * rules.  It is read-only afterwards and shared by every scrape.  An ex_page
 * holds the accumulators of one page being parsed; ex_sample is its parser
 * callback.  After the page, ex_pod_values and ex_job_values compute the
 * catalogue's values for the pod and, per Flink job on the page, the job
 * partials that the store combines across pods.
 */
#ifndef FH_EXTRACT_H
#define FH_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/collect/catalog.h"
#include "adapter/collect/promparse.h"

/* Raw inputs read from a page. */
enum ex_input {
	EX_CPU_TIME,    /* ns, TaskManager */
	EX_CPU_LOAD,    /* 0..1, TaskManager */
	EX_HEAP_USED,   /* bytes */
	EX_HEAP_MAX,    /* bytes */
	EX_BUSY,        /* ms/s, max over subtasks */
	EX_BACKPRESSURED,
	EX_PENDING,     /* records, sum over source subtasks */
	EX_KAFKA_LAG,   /* records, sum */
	EX_WM_LAG,      /* ms, max */
	EX_INPUT_WM,    /* epoch ms, min */
	EX_EMIT_LAG,    /* ms, max */
	EX_LATENCY_P99, /* ms, max of the 0.99 quantiles */
	EX_N
};

enum ex_agg { EX_AGG_SUM, EX_AGG_MAX, EX_AGG_MIN, EX_AGG_AVG };

struct ex_matcher {
	const char *label;
	const char *value;
	bool negate; /* label != value */
};

/* A custom rule: any Flink metric family to an API metric name. */
struct ex_rule {
	const char *name;   /* API metric name */
	const char *family; /* Prometheus family on the TaskManager page */
	const struct ex_matcher *match;
	size_t nmatch;
	enum ex_agg agg;     /* over the matching series of one pod */
	enum ex_agg job_agg; /* over the pods of a job */
	double scale;        /* multiplies the value (0.001: ms to s) */
};

struct ex_acc {
	double v; /* sum, max or min so far */
	unsigned n;
};

#define EX_MAX_JOBS 16
#define EX_JOB_NAME_MAX 256

struct ex_spec;

struct ex_job {
	char name[EX_JOB_NAME_MAX];
	struct ex_acc in[EX_N];
	struct ex_acc *custom; /* nrules */
};

struct ex_page {
	const struct ex_spec *spec;
	struct ex_acc in[EX_N];
	struct ex_acc *custom; /* nrules */
	struct ex_job job[EX_MAX_JOBS];
	size_t njobs;
	size_t jobs_dropped; /* samples of jobs beyond EX_MAX_JOBS */
};

/* Rules are borrowed: they must outlive the spec. */
struct ex_spec *ex_spec_new(const struct ex_rule *rules, size_t nrules,
			    struct err *e);
void ex_spec_free(struct ex_spec *s);
const struct pp_filter *ex_spec_filter(const struct ex_spec *s);
size_t ex_spec_nrules(const struct ex_spec *s);
const struct ex_rule *ex_spec_rule(const struct ex_spec *s, size_t i);

struct ex_page *ex_page_new(const struct ex_spec *s);
void ex_page_reset(struct ex_page *pg);
void ex_page_free(struct ex_page *pg);

/* Parser callback; ud is the struct ex_page. */
int ex_sample(void *ud, const struct pp_sample *s, struct err *e);

/* CPU time of the previous page, for the rate. */
struct ex_cpu_state {
	double cpu_ns;
	int64_t at_ms;
	bool valid;
};

/* The pod-scope catalogue values (CAT_TM_*) of the page parsed at now_ms.
 * cpu_request in cores (0: none).  has[i] false: no value this round. */
void ex_pod_values(const struct ex_page *pg, double cpu_request,
		   int64_t now_ms, struct ex_cpu_state *cpu,
		   double v[CAT_N], bool has[CAT_N]);

/* The job-scope partials (CAT_JOB_*) of job j of the page. */
void ex_job_values(const struct ex_page *pg, size_t j, int64_t now_ms,
		   double v[CAT_N], bool has[CAT_N]);

/* Value of custom rule r for the pod, or for job j (j < njobs). */
bool ex_custom_value(const struct ex_page *pg, size_t r, double *v);
bool ex_custom_job_value(const struct ex_page *pg, size_t j, size_t r,
			 double *v);

/* Combine per-pod values across pods: acc starts zeroed. */
void ex_acc_add(struct ex_acc *a, enum ex_agg agg, double v);
/* Result of an accumulator (AVG divides); false when empty. */
bool ex_acc_get(const struct ex_acc *a, enum ex_agg agg, double *v);

#endif
