/*
 * catalog.h - the metric catalogue: every metric flinkhpa-adapter serves,
 * with its unit, what it is computed from and how it is aggregated.  This
 * table is the adapter's public contract and the one source of the README's
 * catalogue (flinkhpa-adapter --print-catalog writes it as Markdown).
 *
 * Pod metrics are served per TaskManager pod (custom.metrics.k8s.io
 * pods/NAME); job metrics as object metrics on the TaskManager Deployment
 * (deployments.apps/NAME) and as external metrics selected by job_name.
 * Job metrics come from the TaskManagers' pages; when no page has a value,
 * from the job's JobManager (REST aggregates over the subtasks), and some
 * only from there.  Custom rules from the adapter's configuration add more
 * names at run time.
 */
#ifndef FH_CATALOG_H
#define FH_CATALOG_H

#include "common/buf.h"

enum cat_scope { CAT_POD, CAT_JOB };

enum cat_id {
	CAT_TM_CPU_UTILIZATION,
	CAT_TM_HEAP_UTILIZATION,
	CAT_TM_BUSY_RATIO,
	CAT_TM_BACKPRESSURED_RATIO,
	CAT_TM_BACKLOG,
	CAT_TM_WATERMARK_LAG,
	CAT_TM_EVENT_TIME_LAG,
	CAT_JOB_BACKLOG,
	CAT_JOB_WATERMARK_LAG,
	CAT_JOB_LATENCY,
	CAT_JOB_BUSY_RATIO,
	CAT_JOB_PARALLELISM,  /* from the JobManager only */
	CAT_JOB_SLOTS_TOTAL,  /* from the JobManager only */
	CAT_JOB_SLOTS_FREE,   /* from the JobManager only */
	CAT_JOB_TRUE_RATE,    /* the throughput computation (model/tput.h): */
	CAT_JOB_TARGET_RATE,  /* from the JobManager only */
	CAT_JOB_REQUIRED_PARALLELISM,
	CAT_JOB_REQUIRED_TMS,
	CAT_N
};

struct cat_metric {
	const char *name;
	enum cat_scope scope;
	const char *unit;
	const char *source; /* what it is computed from (Markdown) */
	const char *agg;    /* aggregation */
};

extern const struct cat_metric cat_metrics[CAT_N];

/* Index of a catalogue metric, or -1. */
int cat_find(const char *name);

/* The catalogue as a Markdown table. */
int cat_markdown(struct buf *out);

#endif
