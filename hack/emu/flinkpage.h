/*
 * flinkpage.h - a Flink TaskManager's /metrics page, byte for byte in the
 * format of Flink's PrometheusReporter (the Prometheus Java simpleclient's
 * text format 0.0.4), for the Flink emulator, the benchmarks and the tests.
 *
 * The caller describes the TaskManager (struct fp_tm: host, id, the jobs
 * with their tasks, chained operators and the subtasks running here) and
 * supplies every value through a callback; this module knows which metrics
 * Flink registers at which scope, their names, HELP texts, types, labels and
 * how they are spelled:
 *
 * - one "# HELP name <metric> (scope: <logical scope>)" and one "# TYPE"
 *   line per family, then all its series (of every job, task, subtask);
 * - names "flink_" + scope + "_" + metric, characters outside
 *   [a-zA-Z0-9_:] replaced by '_'; label values get the same replacement
 *   (unless fp_tm.raw_label_values, Flink's filterLabelValueCharacters:
 *   false, where they are escaped instead);
 * - labels in the order Java's HashMap of the scope variables gives, every
 *   label set ending with ",}";
 * - Flink counters and meters are gauges, as in the reporter's source;
 *   histograms are summaries: "_count" then the quantiles 0.5 .. 0.999;
 * - values as Java's Double.toString (javafmt.h), +Inf/-Inf, NaN;
 * - operator names cut at 80 characters, as Flink does.
 */
#ifndef FH_FLINKPAGE_H
#define FH_FLINKPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* Operator roles: which extra metrics an operator registers. */
#define FP_OP_SOURCE 0x01   /* FLIP-27 source: pendingRecords, lags, ... */
#define FP_OP_KAFKA 0x02    /* Kafka source reader: KafkaSourceReader.* */
#define FP_OP_SINK 0x04     /* FLIP-191 sink writer: numRecordsSend, ... */
#define FP_OP_WINDOW 0x08   /* window operator: late records dropped */
#define FP_OP_ROCKSDB 0x10  /* keyed state in RocksDB, native metrics on */
#define FP_OP_TWO_INPUT 0x20 /* two inputs: currentInput1/2Watermark */

struct fp_subtask {
	int index;              /* subtask_index */
	int attempt_num;        /* task_attempt_num */
	const char *attempt_id; /* task_attempt_id */
	const int *partitions;  /* Kafka partitions this subtask reads */
	size_t npartitions;
};

struct fp_operator {
	const char *id;   /* operator_id, 32 hex digits */
	const char *name; /* as in the job graph; cut at 80 on the page */
	unsigned roles;   /* FP_OP_* */
	const char *state; /* FP_OP_ROCKSDB: the state (column family) name */
};

struct fp_task {
	const char *id;   /* task_id (JobVertexID: the head operator's id) */
	const char *name; /* task_name, e.g. "Source: orders -> Map" */
	const struct fp_operator *ops; /* chained, head first */
	size_t nops;
	const struct fp_subtask *subtasks; /* those running on this TM */
	size_t nsubtasks;
	int ninputs;  /* input gates: 0 for a source task */
	bool outputs; /* has downstream tasks (output buffers) */
};

struct fp_job {
	const char *id;   /* job_id, 32 hex digits */
	const char *name; /* job_name */
	const struct fp_task *tasks;
	size_t ntasks;
	const char *topic; /* Kafka topic the Kafka sources read */
};

struct fp_tm {
	const char *host;  /* host, e.g. "10.244.1.17" */
	const char *tm_id; /* tm_id, e.g. "10.244.1.17:6122-53686e" */
	const char *const *collectors; /* GC names: "G1 Young Generation" */
	size_t ncollectors;
	const struct fp_job *jobs;
	size_t njobs;
	bool latency;          /* metrics.latency.interval > 0 */
	bool raw_label_values; /* filterLabelValueCharacters: false */
};

enum fp_scope {
	FP_SCOPE_TM,       /* taskmanager */
	FP_SCOPE_TASK,     /* taskmanager_job_task */
	FP_SCOPE_OPERATOR, /* taskmanager_job_task_operator */
	FP_SCOPE_LATENCY,  /* taskmanager_job_latency_source_id_... */
};

/* Flink's metric types. */
enum fp_kind { FP_GAUGE, FP_COUNTER, FP_METER, FP_HISTOGRAM };

/* One series (one line) whose value is asked for. */
struct fp_series {
	enum fp_scope scope;
	enum fp_kind kind;
	/* Flink's metric group below the scope, with "*" standing for var,
	 * and the metric name: "Status.JVM.CPU" "Load",
	 * "Status.JVM.GarbageCollector.*" "Count", "" "busyTimeMsPerSecond",
	 * "KafkaSourceReader.KafkaConsumer" "records-lag-max",
	 * "*" "rocksdb.estimate-num-keys", "" "latency". */
	const char *group;
	const char *name;
	const char *var;     /* GC name or state name for "*", else NULL */
	const struct fp_job *job;         /* NULL at taskmanager scope */
	const struct fp_task *task;       /* task, operator, latency */
	const struct fp_subtask *subtask; /* task, operator, latency */
	const struct fp_operator *op;     /* operator; latency: measured */
	const struct fp_operator *source; /* latency: the source */
	int partition;   /* KafkaSourceReader.topic.partition.*, else -1 */
	double quantile; /* histograms: 0.5 .. 0.999, or -1 for _count */
};

typedef double (*fp_value_fn)(void *ud, const struct fp_series *s);

struct fp_stats {
	size_t families;
	size_t series;
};

/* Append the page to out.  ERR_LIMIT when out is full (out then holds a
 * partial page), ERR_NOMEM.  stats may be NULL. */
int fp_write_page(struct buf *out, const struct fp_tm *tm, fp_value_fn fn,
		  void *ud, struct fp_stats *stats, struct err *e);

/* Every series the page would have, in the page's order, with its value
 * (fn's), instead of the text: for the JobManager's view of the same
 * metrics (the Flink emulator's REST API).  A histogram comes once with
 * quantile -1 (its _count) and once per quantile. */
typedef void (*fp_visit_fn)(void *ud, const struct fp_series *s, double v);
void fp_visit_page(const struct fp_tm *tm, fp_value_fn fn, void *ud,
		   fp_visit_fn visit, void *visit_ud);

/* The Java type of a series' value in Flink.  The reporter writes every
 * value as a double (a boolean as 1.0 or 0.0, a string gauge as 0.0);
 * Flink's MetricQueryService keeps the value's toString(), which the REST
 * API parses back with Double.valueOf: a float gauge comes back as the
 * double of Float.toString, booleans and strings not at all. */
enum fp_jtype { FP_J_NUMBER, FP_J_FLOAT, FP_J_BOOLEAN, FP_J_STRING };
enum fp_jtype fp_java_type(const struct fp_series *s);

/* ---- a ready-made TaskManager for the benchmarks and tests ---- */

struct fp_demo_opts {
	int jobs;       /* jobs running on this TM */
	int slots;      /* subtasks of every task on this TM */
	int operators;  /* operators per job, chained into up to 3 tasks */
	int partitions; /* Kafka partitions per source subtask */
	int tm_index;   /* which TM: host, id and subtask indices */
	bool latency;   /* latency tracking on */
};

/* A plausible job mix: a Kafka source chain, a keyed window chain on
 * RocksDB, a Kafka sink, with deterministic ids.  NULL on ERR_NOMEM. */
struct fp_tm *fp_demo_new(const struct fp_demo_opts *o, struct err *e);
void fp_demo_free(struct fp_tm *tm); /* accepts NULL */

/* Deterministic plausible values (a value_fn); ud is NULL or a uint64_t
 * seed that varies them. */
double fp_demo_value(void *ud, const struct fp_series *s);

#endif
