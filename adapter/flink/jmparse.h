/*
 * jmparse.h - the one reader of a Flink JobManager's JSON answers, used by
 * the JobManager poller (collect/jobmgr.c, through fetch) and the sync
 * controller (sync/syncflink.c, through flinkrest.c).  Untrusted input:
 * every function checks types and bounds and fails with a message naming
 * the answer and the field rather than guessing.
 *
 *   GET /jobs/overview                   the jobs (jmp_jobs), and which one
 *                                        to follow (jmp_pick)
 *   GET /jobs/:jobid                     its vertices and their parallelism
 *   GET /taskmanagers                    TaskManagers, slots, free slots
 *   GET /jobs/:jobid/checkpoints[/config] the latest checkpoint and
 *                                        savepoint, and whether Flink keeps
 *                                        checkpoints after a cancellation
 *   GET /jobs/:jobid/vertices/:vid/subtasks/metrics
 *                                        the metric ids the vertex has
 *   ...subtasks/metrics?get=...&agg=min,max,sum
 *                                        their aggregates over the subtasks
 *
 * An answer is exactly one JSON value (trailing bytes, a NUL inside, or
 * nesting deeper than 32 are refused).  Ids are 32 hex digits (they end
 * up in URLs); state names are upper case letters and '_'.  Error answers
 * ({"errors":[...]}) are read by jmp_errors.  Formats as Flink 1.18
 * writes them; see ../shared/reference/flink.md.
 */
#ifndef FH_JMPARSE_H
#define FH_JMPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define JMP_ID_LEN 33        /* 32 hex digits and the NUL */
#define JMP_STATE_LEN 24     /* "INITIALIZING" and the like */
#define JMP_MAX_VERTICES 128 /* vertices per job */
#define JMP_MAX_PAR 32768    /* Flink's upper limit of max parallelism */
#define JMP_GET_MAX 4000     /* bytes of one get= list */

/* The first line of each message of a Flink error body, "; " between,
 * into out; false when body is not one (or lists none). */
bool jmp_errors(const char *body, char *out, size_t n);

/* ---- /jobs/overview and the job picker ---- */

struct jmp_brief {
	char id[JMP_ID_LEN];
	char state[JMP_STATE_LEN]; /* Flink's JobStatus: RUNNING, FINISHED ... */
	char *name;                /* the job's own name */
	int64_t start_time;        /* epoch ms; 0 when Flink does not say */
};
struct jmp_jobs {
	struct jmp_brief *v;
	size_t n;
};
/* Every job the JobManager lists, ended ones too (caller releases, also
 * after a failure). */
int jmp_jobs(const char *body, size_t len, struct jmp_jobs *out,
	     struct err *e);
void jmp_jobs_release(struct jmp_jobs *j);

/* Not globally terminal (FINISHED, CANCELED, FAILED): running, or on its
 * way there (CREATED, INITIALIZING, RESTARTING, SUSPENDED ...). */
bool jmp_live(const char *state);

/* Equal as Flink shows job names in metric labels, where every character
 * other than letters, digits and ':' is '_' ("orders-enrichment" and
 * "orders_enrichment" are one name). */
bool jmp_same_name(const char *a, const char *b);

/* THE job picker, used by the JobManager poller and the sync controller
 * alike, so both follow the same job of a Deployment:
 *   - candidates: the jobs named want (compared by jmp_same_name, so the
 *     name may be given as written or as in metric labels); want "" or
 *     NULL: every job;
 *   - a live job (jmp_live) before an ended one;
 *   - among those, the newest start-time; on a tie, the one listed last.
 * NULL when no job is named want.  The caller decides what the picked
 * job's state means to it (the poller reads only a RUNNING job; the sync
 * controller also looks at ended ones, after a stop-with-savepoint). */
const struct jmp_brief *jmp_pick(const struct jmp_jobs *jobs,
				 const char *want);

/* ---- /jobs/:jobid ---- */

struct jmp_vertex {
	char id[JMP_ID_LEN];
	char status[JMP_STATE_LEN]; /* ExecutionState of its tasks */
	int64_t parallelism;        /* 1 .. JMP_MAX_PAR */
	int64_t max_parallelism;    /* 0 when Flink does not say (before 1.17) */
};

struct jmp_job {
	char id[JMP_ID_LEN];
	char state[JMP_STATE_LEN];
	struct jmp_vertex v[JMP_MAX_VERTICES];
	size_t n;
};

/* More than JMP_MAX_VERTICES vertices: ERR_LIMIT. */
int jmp_job(const char *body, size_t len, struct jmp_job *j, struct err *e);

/* The highest vertex parallelism (0 without vertices). */
int64_t jmp_parallelism(const struct jmp_job *j);
/* What a vertex runs at when the job is asked for target: target, capped
 * by the vertex's max parallelism when Flink says it. */
int64_t jmp_vertex_target(const struct jmp_vertex *v, int64_t target);
/* True when every vertex runs at jmp_vertex_target (false without
 * vertices: not known). */
bool jmp_at_target(const struct jmp_job *j, int64_t target);

/* ---- /taskmanagers ---- */

struct jmp_slots {
	int64_t taskmanagers; /* registered */
	int64_t total;        /* sum of their slotsNumber */
	int64_t free;         /* sum of their freeSlots */
};
int jmp_slots(const char *body, size_t len, struct jmp_slots *s,
	      struct err *e);

/* ---- /jobs/:jobid/checkpoints and /jobs/:jobid/checkpoints/config ---- */

#define JMP_PATH_LEN 1024 /* a checkpoint's or savepoint's external path */
/* Flink's external path of a checkpoint kept only in the JobManager's
 * memory (NonPersistentMetadataCheckpointStorageLocation): nothing to
 * restore from. */
#define JMP_NOT_EXTERNALIZED "<checkpoint-not-externalized>"

/* One of latest.completed, latest.savepoint, latest.restored; id 0 when
 * Flink says null.  path: external_path (printable, no spaces: it goes
 * into an annotation). */
struct jmp_snapshot {
	int64_t id;
	bool savepoint;  /* is_savepoint */
	bool discarded;  /* completed ones: Flink deleted it */
	char path[JMP_PATH_LEN];
};

struct jmp_checkpoints {
	int64_t total, completed, failed, in_progress, restored; /* counts */
	struct jmp_snapshot checkpoint; /* latest.completed */
	struct jmp_snapshot savepoint;  /* latest.savepoint */
	struct jmp_snapshot restore;    /* latest.restored */
};
int jmp_checkpoints(const char *body, size_t len, struct jmp_checkpoints *c,
		    struct err *e);

/* The job's checkpointing configuration: externalization.enabled and
 * .delete_on_cancellation, as execution.checkpointing.
 * externalized-checkpoint-retention sets them (RETAIN_ON_CANCELLATION:
 * true, false). */
struct jmp_cp_config {
	int64_t interval_ms;
	bool externalized, delete_on_cancel;
};
int jmp_cp_config(const char *body, size_t len, struct jmp_cp_config *c,
		  struct err *e);

/* What a job cancelled now can be resumed from, the newest by checkpoint
 * id (as the Flink Kubernetes Operator's CheckpointHistoryWrapper picks
 * among latest.completed, .savepoint and .restored): a savepoint (the
 * user's, Flink never deletes it), or a completed checkpoint Flink keeps
 * after a cancellation (cfg externalized and not delete_on_cancel, not
 * discarded, its path externally addressable).  NULL when there is none:
 * cancelling would lose the job's state. */
const struct jmp_snapshot *jmp_restore_point(const struct jmp_checkpoints *c,
					     const struct jmp_cp_config *cfg);

/* ---- vertex metrics ---- */

/* From a vertex's metric id list, the ids to ask for, comma-separated
 * into get (the task's busy and back-pressured time, input watermark and
 * records in and out per second,
 * its operators' pendingRecords, Kafka records-lag-max and
 * currentEmitEventTimeLag).  An empty get is not an error. */
int jmp_metric_ids(const char *body, size_t len, struct buf *get,
		   struct err *e);

/* One vertex's aggregates, as asked with agg=min,max,sum. */
enum {
	JMP_BUSY = 1u << 0,          /* busy: max busyTimeMsPerSecond */
	JMP_BACKPRESSURED = 1u << 1, /* backpressured: max, ms/s */
	JMP_PENDING = 1u << 2,       /* pending: sum of pendingRecords */
	JMP_KAFKA_LAG = 1u << 3,     /* kafka_lag: sum of records-lag-max */
	JMP_EMIT_LAG = 1u << 4,      /* emit_lag: max, ms */
	JMP_WATERMARK = 1u << 5,     /* watermark: min, epoch ms */
	JMP_IN_RATE = 1u << 6,       /* in_rate: sum numRecordsInPerSecond */
	JMP_OUT_RATE = 1u << 7,      /* out_rate: sum numRecordsOutPerSecond */
};

/* The kinds (JMP_* bits) of the ids in a comma-separated get list. */
unsigned jmp_get_kinds(const char *get);

struct jmp_values {
	unsigned has;
	double busy, backpressured, pending, kafka_lag, emit_lag, watermark;
	double busy_sum; /* JMP_BUSY: sum of busyTimeMsPerSecond */
	double in_rate, out_rate;
};

/* Fold an aggregates answer into *v (zeroed by the caller).  Flink
 * answers [] when any id asked for has no value on any subtask (the
 * vertex's metrics changed since the id list): ERR_NOTFOUND. */
int jmp_aggregates(const char *body, size_t len, struct jmp_values *v,
		   struct err *e);

#endif
