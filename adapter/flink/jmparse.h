/*
 * jmparse.h - what the adapter reads from a Flink JobManager's REST answers
 * (untrusted input: every function checks types and bounds, and fails with
 * a message rather than guessing):
 *
 *   GET /jobs/overview                   which job to follow
 *   GET /jobs/:jobid                     its vertices and their parallelism
 *   GET /taskmanagers                    slots registered and free
 *   GET /jobs/:jobid/vertices/:vid/subtasks/metrics
 *                                        the metric ids the vertex has
 *   ...subtasks/metrics?get=...&agg=min,max,sum
 *                                        their aggregates over the subtasks
 *
 * Error answers ({"errors":[...]}) are read by jmp_errors.  Formats as
 * Flink 1.18 writes them; see ../shared/reference/flink.md.
 */
#ifndef FH_JMPARSE_H
#define FH_JMPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define JMP_ID_MAX 64        /* job and vertex ids are 32 hex digits */
#define JMP_MAX_VERTICES 128 /* vertices per job */
#define JMP_GET_MAX 4000     /* bytes of one get= list */

/* The first message of a Flink error body, on one line, into out; false
 * when body is not one. */
bool jmp_errors(const char *body, char *out, size_t n);

/* From /jobs/overview, the job to follow: the one named want (as written,
 * or as Flink writes it in metric labels), or with want "" the only one;
 * among several, the RUNNING one started last.  Fills jid and name (the
 * job's own name).  ERR_NOTFOUND when no such job is running. */
int jmp_pick_job(const char *body, const char *want, char jid[JMP_ID_MAX],
		 char *name, size_t name_size, struct err *e);

struct jmp_vertex {
	char id[JMP_ID_MAX];
	int64_t parallelism;
	int64_t max_parallelism; /* 0 when Flink does not say */
};

struct jmp_job {
	char state[32];
	struct jmp_vertex v[JMP_MAX_VERTICES];
	size_t n;
};

/* /jobs/:jobid */
int jmp_job(const char *body, struct jmp_job *j, struct err *e);

/* /taskmanagers: the sum of slotsNumber and of freeSlots. */
int jmp_slots(const char *body, int64_t *total, int64_t *free_slots,
	      struct err *e);

/* From a vertex's metric id list, the ids to ask for, comma-separated
 * into get (the task's busy and back-pressured time, input watermark and
 * records in and out per second,
 * its operators' pendingRecords, Kafka records-lag-max and
 * currentEmitEventTimeLag).  An empty get is not an error. */
int jmp_metric_ids(const char *body, struct buf *get, struct err *e);

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

struct jmp_values {
	unsigned has;
	double busy, backpressured, pending, kafka_lag, emit_lag, watermark;
	double busy_sum; /* JMP_BUSY: sum of busyTimeMsPerSecond */
	double in_rate, out_rate;
};

/* Fold an aggregates answer into *v (zeroed by the caller).  Flink
 * answers [] when any id asked for has no value on any subtask (the
 * vertex's metrics changed since the id list): ERR_NOTFOUND. */
int jmp_aggregates(const char *body, struct jmp_values *v, struct err *e);

#endif
