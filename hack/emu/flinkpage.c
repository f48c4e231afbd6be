/*
 * flinkpage.c - Flink TaskManager pages in PrometheusReporter's format (see
 * flinkpage.h): the metric tables per scope and the writer.
 *
 * The tables list what Flink 1.18-1.20 registers on a TaskManager (the JVM
 * and shuffle status metrics, the task I/O and back-pressure metrics, the
 * operator, FLIP-33 source and sink metrics, the Kafka source reader with
 * the Kafka consumer's own metrics, RocksDB native metrics, the latency
 * markers' histograms).  The page is written family by family, each
 * family's series across every job, task, subtask and operator, as the
 * simpleclient does (one collector per family name).
 */
#include "hack/emu/flinkpage.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hack/emu/javafmt.h"

/* ---- the metric tables ---- */

/* Row conditions, beside the FP_OP_* roles an operator must have. */
#define T_IN 0x100   /* task with an input gate */
#define T_OUT 0x200  /* task with downstream tasks */
#define T_IN2 0x400  /* task with two inputs */
#define PER_VAR 0x1000  /* group holds "*": one family per GC / state */
#define PER_PART 0x2000 /* one series per Kafka partition */

struct fp_metric {
	const char *group;
	const char *name;
	enum fp_kind kind;
	unsigned need;
};

#define G FP_GAUGE
#define C FP_COUNTER
#define M FP_METER
#define H FP_HISTOGRAM

static const struct fp_metric tm_metrics[] = {
	{ "Status.JVM.ClassLoader", "ClassesLoaded", G, 0 },
	{ "Status.JVM.ClassLoader", "ClassesUnloaded", G, 0 },
	{ "Status.JVM.GarbageCollector.*", "Count", G, PER_VAR },
	{ "Status.JVM.GarbageCollector.*", "Time", G, PER_VAR },
	{ "Status.JVM.Memory.Heap", "Used", G, 0 },
	{ "Status.JVM.Memory.Heap", "Committed", G, 0 },
	{ "Status.JVM.Memory.Heap", "Max", G, 0 },
	{ "Status.JVM.Memory.NonHeap", "Used", G, 0 },
	{ "Status.JVM.Memory.NonHeap", "Committed", G, 0 },
	{ "Status.JVM.Memory.NonHeap", "Max", G, 0 },
	{ "Status.JVM.Memory.Metaspace", "Used", G, 0 },
	{ "Status.JVM.Memory.Metaspace", "Committed", G, 0 },
	{ "Status.JVM.Memory.Metaspace", "Max", G, 0 },
	{ "Status.JVM.Memory.Direct", "Count", G, 0 },
	{ "Status.JVM.Memory.Direct", "MemoryUsed", G, 0 },
	{ "Status.JVM.Memory.Direct", "TotalCapacity", G, 0 },
	{ "Status.JVM.Memory.Mapped", "Count", G, 0 },
	{ "Status.JVM.Memory.Mapped", "MemoryUsed", G, 0 },
	{ "Status.JVM.Memory.Mapped", "TotalCapacity", G, 0 },
	{ "Status.JVM.Threads", "Count", G, 0 },
	{ "Status.JVM.CPU", "Load", G, 0 },
	{ "Status.JVM.CPU", "Time", G, 0 },
	{ "Status.Flink.Memory.Managed", "Used", G, 0 },
	{ "Status.Flink.Memory.Managed", "Total", G, 0 },
	{ "Status.Shuffle.Netty", "AvailableMemorySegments", G, 0 },
	{ "Status.Shuffle.Netty", "UsedMemorySegments", G, 0 },
	{ "Status.Shuffle.Netty", "TotalMemorySegments", G, 0 },
	{ "Status.Shuffle.Netty", "AvailableMemory", G, 0 },
	{ "Status.Shuffle.Netty", "UsedMemory", G, 0 },
	{ "Status.Shuffle.Netty", "TotalMemory", G, 0 },
	{ "Status.Shuffle.Netty", "RequestedMemoryUsage", G, 0 },
};

static const struct fp_metric task_metrics[] = {
	{ "", "numRecordsIn", C, 0 },
	{ "", "numRecordsInPerSecond", M, 0 },
	{ "", "numRecordsOut", C, 0 },
	{ "", "numRecordsOutPerSecond", M, 0 },
	{ "", "numBytesIn", C, 0 },
	{ "", "numBytesInPerSecond", M, 0 },
	{ "", "numBytesOut", C, 0 },
	{ "", "numBytesOutPerSecond", M, 0 },
	{ "", "numBuffersOut", C, 0 },
	{ "", "numBuffersOutPerSecond", M, 0 },
	{ "", "busyTimeMsPerSecond", G, 0 },
	{ "", "idleTimeMsPerSecond", G, 0 },
	{ "", "backPressuredTimeMsPerSecond", G, 0 },
	{ "", "softBackPressuredTimeMsPerSecond", G, 0 },
	{ "", "hardBackPressuredTimeMsPerSecond", G, 0 },
	{ "", "maxSoftBackPressureTimeMs", G, 0 },
	{ "", "maxHardBackPressureTimeMs", G, 0 },
	{ "", "accumulateBusyTimeMs", G, 0 },
	{ "", "accumulateIdleTimeMs", G, 0 },
	{ "", "accumulateBackPressuredTimeMs", G, 0 },
	{ "", "isBackPressured", G, 0 },
	{ "", "mailboxMailsPerSecond", M, 0 },
	{ "", "mailboxQueueSize", G, 0 },
	{ "", "mailboxLatencyMs", H, 0 },
	{ "", "checkpointStartDelayNanos", G, T_IN },
	{ "", "currentInputWatermark", G, T_IN },
	{ "", "currentInput1Watermark", G, T_IN2 },
	{ "", "currentInput2Watermark", G, T_IN2 },
	{ "", "estimatedTimeToConsumeBuffersMs", G, T_IN },
	{ "", "debloatedBufferSize", G, T_IN },
	{ "buffers", "inputQueueLength", G, T_IN },
	{ "buffers", "inputQueueSize", G, T_IN },
	{ "buffers", "inPoolUsage", G, T_IN },
	{ "buffers", "inputFloatingBuffersUsage", G, T_IN },
	{ "buffers", "inputExclusiveBuffersUsage", G, T_IN },
	{ "buffers", "outputQueueLength", G, 0 },
	{ "buffers", "outputQueueSize", G, 0 },
	{ "buffers", "outPoolUsage", G, 0 },
	{ "Shuffle.Netty.Input", "numBytesInLocal", C, T_IN },
	{ "Shuffle.Netty.Input", "numBytesInLocalPerSecond", M, T_IN },
	{ "Shuffle.Netty.Input", "numBytesInRemote", C, T_IN },
	{ "Shuffle.Netty.Input", "numBytesInRemotePerSecond", M, T_IN },
	{ "Shuffle.Netty.Input", "numBuffersInLocal", C, T_IN },
	{ "Shuffle.Netty.Input", "numBuffersInLocalPerSecond", M, T_IN },
	{ "Shuffle.Netty.Input", "numBuffersInRemote", C, T_IN },
	{ "Shuffle.Netty.Input", "numBuffersInRemotePerSecond", M, T_IN },
	{ "Shuffle.Netty.Input.Buffers", "inputQueueLength", G, T_IN },
	{ "Shuffle.Netty.Input.Buffers", "inputQueueSize", G, T_IN },
	{ "Shuffle.Netty.Input.Buffers", "inPoolUsage", G, T_IN },
	{ "Shuffle.Netty.Input.Buffers", "inputFloatingBuffersUsage", G, T_IN },
	{ "Shuffle.Netty.Input.Buffers", "inputExclusiveBuffersUsage", G,
	  T_IN },
	{ "Shuffle.Netty.Output.Buffers", "outputQueueLength", G, T_OUT },
	{ "Shuffle.Netty.Output.Buffers", "outputQueueSize", G, T_OUT },
	{ "Shuffle.Netty.Output.Buffers", "outPoolUsage", G, T_OUT },
};

#define KC "KafkaSourceReader.KafkaConsumer"
#define KS (FP_OP_SOURCE | FP_OP_KAFKA)

static const struct fp_metric op_metrics[] = {
	{ "", "numRecordsIn", C, 0 },
	{ "", "numRecordsInPerSecond", M, 0 },
	{ "", "numRecordsOut", C, 0 },
	{ "", "numRecordsOutPerSecond", M, 0 },
	{ "", "currentInputWatermark", G, 0 },
	{ "", "currentOutputWatermark", G, 0 },
	{ "", "currentInput1Watermark", G, FP_OP_TWO_INPUT },
	{ "", "currentInput2Watermark", G, FP_OP_TWO_INPUT },
	{ "", "numLateRecordsDropped", C, FP_OP_WINDOW },
	{ "", "lateRecordsDroppedRate", M, FP_OP_WINDOW },
	{ "", "numBytesIn", C, FP_OP_SOURCE },
	{ "", "numBytesInPerSecond", M, FP_OP_SOURCE },
	{ "", "numRecordsInErrors", C, FP_OP_SOURCE },
	{ "", "pendingRecords", G, FP_OP_SOURCE },
	{ "", "pendingBytes", G, FP_OP_SOURCE },
	{ "", "currentFetchEventTimeLag", G, FP_OP_SOURCE },
	{ "", "currentEmitEventTimeLag", G, FP_OP_SOURCE },
	{ "", "watermarkLag", G, FP_OP_SOURCE },
	{ "", "sourceIdleTime", G, FP_OP_SOURCE },
	{ "", "numRecordsSend", C, FP_OP_SINK },
	{ "", "numRecordsSendPerSecond", M, FP_OP_SINK },
	{ "", "numBytesSend", C, FP_OP_SINK },
	{ "", "numBytesSendPerSecond", M, FP_OP_SINK },
	{ "", "numRecordsSendErrors", C, FP_OP_SINK },
	{ "", "numRecordsOutErrors", C, FP_OP_SINK },
	{ "", "currentSendTime", G, FP_OP_SINK },
	{ "KafkaSourceReader", "commitsSucceeded", C, KS },
	{ "KafkaSourceReader", "commitsFailed", C, KS },
	{ "KafkaSourceReader.topic.partition", "currentOffset", G,
	  KS | PER_PART },
	{ "KafkaSourceReader.topic.partition", "committedOffset", G,
	  KS | PER_PART },
	/* The Kafka consumer's own metrics, by name (Flink registers each
	 * name once: consumer, coordinator, fetch manager, app-info). */
	{ KC, "connection-close-rate", G, KS },
	{ KC, "connection-close-total", G, KS },
	{ KC, "connection-creation-rate", G, KS },
	{ KC, "connection-creation-total", G, KS },
	{ KC, "network-io-rate", G, KS },
	{ KC, "network-io-total", G, KS },
	{ KC, "outgoing-byte-rate", G, KS },
	{ KC, "outgoing-byte-total", G, KS },
	{ KC, "request-rate", G, KS },
	{ KC, "request-total", G, KS },
	{ KC, "request-size-avg", G, KS },
	{ KC, "request-size-max", G, KS },
	{ KC, "incoming-byte-rate", G, KS },
	{ KC, "incoming-byte-total", G, KS },
	{ KC, "response-rate", G, KS },
	{ KC, "response-total", G, KS },
	{ KC, "select-rate", G, KS },
	{ KC, "select-total", G, KS },
	{ KC, "io-wait-time-ns-avg", G, KS },
	{ KC, "io-wait-time-ns-total", G, KS },
	{ KC, "io-waittime-total", G, KS },
	{ KC, "io-wait-ratio", G, KS },
	{ KC, "io-time-ns-avg", G, KS },
	{ KC, "io-time-ns-total", G, KS },
	{ KC, "iotime-total", G, KS },
	{ KC, "io-ratio", G, KS },
	{ KC, "connection-count", G, KS },
	{ KC, "successful-authentication-rate", G, KS },
	{ KC, "successful-authentication-total", G, KS },
	{ KC, "failed-authentication-rate", G, KS },
	{ KC, "failed-authentication-total", G, KS },
	{ KC, "successful-reauthentication-rate", G, KS },
	{ KC, "successful-reauthentication-total", G, KS },
	{ KC, "reauthentication-latency-max", G, KS },
	{ KC, "reauthentication-latency-avg", G, KS },
	{ KC, "failed-reauthentication-rate", G, KS },
	{ KC, "failed-reauthentication-total", G, KS },
	{ KC, "successful-authentication-no-reauth-total", G, KS },
	{ KC, "request-latency-avg", G, KS },
	{ KC, "request-latency-max", G, KS },
	{ KC, "commit-sync-time-ns-total", G, KS },
	{ KC, "committed-time-ns-total", G, KS },
	{ KC, "last-poll-seconds-ago", G, KS },
	{ KC, "time-between-poll-avg", G, KS },
	{ KC, "time-between-poll-max", G, KS },
	{ KC, "poll-idle-ratio-avg", G, KS },
	{ KC, "heartbeat-response-time-max", G, KS },
	{ KC, "heartbeat-rate", G, KS },
	{ KC, "heartbeat-total", G, KS },
	{ KC, "join-time-avg", G, KS },
	{ KC, "join-time-max", G, KS },
	{ KC, "join-rate", G, KS },
	{ KC, "join-total", G, KS },
	{ KC, "sync-time-avg", G, KS },
	{ KC, "sync-time-max", G, KS },
	{ KC, "sync-rate", G, KS },
	{ KC, "sync-total", G, KS },
	{ KC, "rebalance-latency-avg", G, KS },
	{ KC, "rebalance-latency-max", G, KS },
	{ KC, "rebalance-latency-total", G, KS },
	{ KC, "rebalance-total", G, KS },
	{ KC, "rebalance-rate-per-hour", G, KS },
	{ KC, "failed-rebalance-total", G, KS },
	{ KC, "failed-rebalance-rate-per-hour", G, KS },
	{ KC, "last-rebalance-seconds-ago", G, KS },
	{ KC, "last-heartbeat-seconds-ago", G, KS },
	{ KC, "commit-latency-avg", G, KS },
	{ KC, "commit-latency-max", G, KS },
	{ KC, "commit-rate", G, KS },
	{ KC, "commit-total", G, KS },
	{ KC, "assigned-partitions", G, KS },
	{ KC, "partition-revoked-latency-avg", G, KS },
	{ KC, "partition-revoked-latency-max", G, KS },
	{ KC, "partition-assigned-latency-avg", G, KS },
	{ KC, "partition-assigned-latency-max", G, KS },
	{ KC, "partition-lost-latency-avg", G, KS },
	{ KC, "partition-lost-latency-max", G, KS },
	{ KC, "fetch-size-avg", G, KS },
	{ KC, "fetch-size-max", G, KS },
	{ KC, "bytes-consumed-rate", G, KS },
	{ KC, "bytes-consumed-total", G, KS },
	{ KC, "records-per-request-avg", G, KS },
	{ KC, "records-consumed-rate", G, KS },
	{ KC, "records-consumed-total", G, KS },
	{ KC, "fetch-latency-avg", G, KS },
	{ KC, "fetch-latency-max", G, KS },
	{ KC, "fetch-rate", G, KS },
	{ KC, "fetch-total", G, KS },
	{ KC, "records-lag-max", G, KS },
	{ KC, "records-lead-min", G, KS },
	{ KC, "fetch-throttle-time-avg", G, KS },
	{ KC, "fetch-throttle-time-max", G, KS },
	{ KC, "records-lag", G, KS },
	{ KC, "records-lag-avg", G, KS },
	{ KC, "records-lead", G, KS },
	{ KC, "records-lead-avg", G, KS },
	{ KC, "preferred-read-replica", G, KS },
	{ KC, "version", G, KS },
	{ KC, "commit-id", G, KS },
	{ KC, "start-time-ms", G, KS },
	{ KC, "count", G, KS },
	/* RocksDB native metrics (state.backend.rocksdb.metrics.*), per
	 * column family. */
	{ "*", "rocksdb.estimate-num-keys", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.estimate-live-data-size", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.estimate-pending-compaction-bytes", G,
	  FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.estimate-table-readers-mem", G,
	  FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.cur-size-all-mem-tables", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.size-all-mem-tables", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.block-cache-usage", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.block-cache-pinned-usage", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.num-running-compactions", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.num-running-flushes", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.mem-table-flush-pending", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.compaction-pending", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.background-errors", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.total-sst-files-size", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.live-sst-files-size", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.num-live-versions", G, FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.num-entries-active-mem-table", G,
	  FP_OP_ROCKSDB | PER_VAR },
	{ "*", "rocksdb.num-deletes-active-mem-table", G,
	  FP_OP_ROCKSDB | PER_VAR },
};

#undef G
#undef C
#undef M
#undef H

static const struct fp_metric latency_metric = { "", "latency",
						  FP_HISTOGRAM, 0 };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define OP_NAME_MAX 80 /* Flink's METRICS_OPERATOR_NAME_MAX_LENGTH */

static const double quantiles[] = { 0.5, 0.75, 0.95, 0.98, 0.99, 0.999 };
static const char *const quantile_text[] = { "0.5",  "0.75", "0.95",
					     "0.98", "0.99", "0.999" };

/* ---- labels: the scope variables in the order Java's HashMap gives ---- */

enum fp_label {
	L_END,
	L_HOST,
	L_TM_ID,
	L_JOB_ID,
	L_JOB_NAME,
	L_TASK_ID,
	L_TASK_NAME,
	L_ATTEMPT_ID,
	L_ATTEMPT_NUM,
	L_SUBTASK,
	L_OP_ID,
	L_OP_NAME,
	L_TOPIC,
	L_PARTITION,
	L_SOURCE_ID,
	L_OP_SUBTASK,
};

static const char *const label_key[] = {
	[L_HOST] = "host",
	[L_TM_ID] = "tm_id",
	[L_JOB_ID] = "job_id",
	[L_JOB_NAME] = "job_name",
	[L_TASK_ID] = "task_id",
	[L_TASK_NAME] = "task_name",
	[L_ATTEMPT_ID] = "task_attempt_id",
	[L_ATTEMPT_NUM] = "task_attempt_num",
	[L_SUBTASK] = "subtask_index",
	[L_OP_ID] = "operator_id",
	[L_OP_NAME] = "operator_name",
	[L_TOPIC] = "topic",
	[L_PARTITION] = "partition",
	[L_SOURCE_ID] = "source_id",
	[L_OP_SUBTASK] = "operator_subtask_index",
};

static const unsigned char layout_tm[] = { L_HOST, L_TM_ID, L_END };
static const unsigned char layout_task[] = {
	L_JOB_ID,   L_TASK_ID,     L_ATTEMPT_ID, L_HOST,    L_JOB_NAME,
	L_TASK_NAME, L_ATTEMPT_NUM, L_TM_ID,     L_SUBTASK, L_END
};
static const unsigned char layout_op[] = {
	L_JOB_ID,  L_TASK_ID,   L_ATTEMPT_ID,   L_HOST,
	L_OP_ID,   L_OP_NAME,   L_JOB_NAME,     L_TASK_NAME,
	L_ATTEMPT_NUM, L_TM_ID, L_SUBTASK,      L_END
};
static const unsigned char layout_op_part[] = {
	L_ATTEMPT_ID, L_HOST,    L_ATTEMPT_NUM, L_TM_ID,   L_JOB_ID,
	L_TOPIC,      L_PARTITION, L_TASK_ID,   L_OP_ID,   L_OP_NAME,
	L_JOB_NAME,   L_TASK_NAME, L_SUBTASK,   L_END
};
static const unsigned char layout_latency[] = {
	L_JOB_ID, L_SOURCE_ID, L_OP_SUBTASK, L_HOST,
	L_OP_ID,  L_JOB_NAME,  L_TM_ID,      L_END
};

/* ---- the writer ---- */

struct wr {
	struct buf *out;
	const struct fp_tm *tm;
	fp_value_fn fn;
	void *ud;
	struct fp_stats st;
	int rc;
	fp_visit_fn visit; /* set: visit the series instead of writing */
	void *visit_ud;
	/* the current family */
	const struct fp_metric *m;
	const char *var;
	const unsigned char *layout;
	bool header_done;
	char lscope[512]; /* logical scope, for HELP */
	size_t lscope_len;
	char name[512];
	size_t name_len;
};

static void put(struct wr *w, const char *s, size_t n)
{
	if (!w->rc)
		w->rc = buf_add(w->out, s, n);
}

static void puts_(struct wr *w, const char *s)
{
	put(w, s, strlen(s));
}

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == ':';
}

/* Flink's character filter into dst (at most cap-1 bytes, NUL ended):
 * every character outside [a-zA-Z0-9_:] becomes '_' (a UTF-8 sequence
 * counts as one character, as a Java char would); at most max characters. */
static size_t filter_chars(char *dst, size_t cap, const char *s, size_t max)
{
	size_t k = 0, nchar = 0;
	const unsigned char *p = (const unsigned char *)s;

	for (; *p && nchar < max && k + 1 < cap; p++) {
		if (*p >= 0x80 && *p < 0xC0)
			continue; /* UTF-8 continuation byte */
		dst[k++] = name_char(*p) ? (char)*p : '_';
		nchar++;
	}
	dst[k] = '\0';
	return k;
}

/* Java's String.substring(0, max) of a UTF-8 string, escaped as the
 * simpleclient escapes label values. */
static void put_escaped(struct wr *w, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t nchar = 0, start = 0, i;

	for (i = 0; p[i] && (nchar < max || (p[i] >= 0x80 && p[i] < 0xC0));
	     i++) {
		if (p[i] < 0x80 || p[i] >= 0xC0)
			nchar++;
		if (p[i] != '\\' && p[i] != '"' && p[i] != '\n')
			continue;
		put(w, s + start, i - start);
		puts_(w, p[i] == '\\' ? "\\\\" : p[i] == '"' ? "\\\"" : "\\n");
		start = i + 1;
	}
	put(w, s + start, i - start);
}

/* A label value: filtered into the buffer, or escaped when kept raw. */
static void put_value_text(struct wr *w, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (w->tm->raw_label_values) {
		put_escaped(w, s, max);
		return;
	}
	if (!w->rc)
		w->rc = buf_reserve(w->out, n);
	if (w->rc)
		return;
	n = filter_chars(w->out->p + w->out->len, n + 1, s, max);
	w->out->len += n;
}

static void put_int(struct wr *w, long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%ld", v);

	put(w, tmp, (size_t)n);
}

static void put_label(struct wr *w, const struct fp_series *s, int id)
{
	const char *v = NULL;
	size_t max = (size_t)-1;

	puts_(w, label_key[id]);
	put(w, "=\"", 2);
	switch (id) {
	case L_HOST: v = w->tm->host; break;
	case L_TM_ID: v = w->tm->tm_id; break;
	case L_JOB_ID: v = s->job->id; break;
	case L_JOB_NAME: v = s->job->name; break;
	case L_TASK_ID: v = s->task->id; break;
	case L_TASK_NAME: v = s->task->name; break;
	case L_ATTEMPT_ID: v = s->subtask->attempt_id; break;
	case L_ATTEMPT_NUM: put_int(w, s->subtask->attempt_num); break;
	case L_SUBTASK:
	case L_OP_SUBTASK: put_int(w, s->subtask->index); break;
	case L_OP_ID: v = s->op->id; break;
	case L_OP_NAME: v = s->op->name; max = OP_NAME_MAX; break;
	case L_TOPIC: v = s->job->topic; break;
	case L_PARTITION: put_int(w, s->partition); break;
	case L_SOURCE_ID: v = s->source->id; break;
	}
	if (v)
		put_value_text(w, v, max);
	put(w, "\",", 2);
}

/* Start a family; its HELP and TYPE are written with its first series.
 * Name: "flink_" + logical scope + "_" + metric, the logical scope being
 * the scope and the filtered group names (the "*" in the group is var). */
static void fam_begin(struct wr *w, const char *scope,
		      const struct fp_metric *m, const char *var,
		      const unsigned char *layout)
{
	char group[512];
	const char *star = strchr(m->group, '*');
	size_t n;

	w->m = m;
	w->var = var;
	w->layout = layout;
	w->header_done = false;
	if (star)
		snprintf(group, sizeof group, "%.*s%s%s", (int)(star - m->group),
			 m->group, var, star + 1);
	else
		snprintf(group, sizeof group, "%s", m->group);
	n = (size_t)snprintf(w->lscope, sizeof w->lscope, "%s%s", scope,
			     group[0] ? "_" : "");
	n += filter_chars(w->lscope + n, sizeof w->lscope - n, group,
			  (size_t)-1);
	w->lscope_len = n;
	n = (size_t)snprintf(w->name, sizeof w->name, "flink_%s_", w->lscope);
	n += filter_chars(w->name + n, sizeof w->name - n, m->name, (size_t)-1);
	w->name_len = n;
}

static void fam_header(struct wr *w)
{
	puts_(w, "# HELP ");
	put(w, w->name, w->name_len);
	put(w, " ", 1);
	puts_(w, w->m->name);
	puts_(w, " (scope: ");
	put(w, w->lscope, w->lscope_len);
	puts_(w, ")\n# TYPE ");
	put(w, w->name, w->name_len);
	puts_(w, w->m->kind == FP_HISTOGRAM ? " summary\n" : " gauge\n");
	w->header_done = true;
	w->st.families++;
}

/* One line: name[suffix]{labels[,quantile]} value */
static void series_line(struct wr *w, const struct fp_series *s,
			const char *suffix, const char *quantile)
{
	char v[JFMT_MAX];
	size_t vn;

	if (w->visit) {
		w->visit(w->visit_ud, s, w->fn(w->ud, s));
		w->st.series++;
		return;
	}
	if (!w->header_done)
		fam_header(w);
	put(w, w->name, w->name_len);
	puts_(w, suffix);
	put(w, "{", 1);
	for (const unsigned char *l = w->layout; *l != L_END; l++)
		put_label(w, s, *l);
	if (quantile) {
		puts_(w, "quantile=\"");
		puts_(w, quantile);
		put(w, "\",", 2);
	}
	put(w, "} ", 2);
	vn = jfmt_double(v, w->fn(w->ud, s));
	put(w, v, vn);
	put(w, "\n", 1);
	w->st.series++;
}

/* A gauge's line, or a histogram's _count and quantile lines. */
static void series(struct wr *w, struct fp_series *s)
{
	s->kind = w->m->kind;
	s->group = w->m->group;
	s->name = w->m->name;
	s->var = w->var;
	if (w->m->kind != FP_HISTOGRAM) {
		s->quantile = -1;
		series_line(w, s, "", NULL);
		return;
	}
	s->quantile = -1;
	series_line(w, s, "_count", NULL);
	for (size_t q = 0; q < NELEM(quantiles); q++) {
		s->quantile = quantiles[q];
		series_line(w, s, "", quantile_text[q]);
	}
}

/* ---- the scopes ---- */

static bool task_has(const struct fp_task *t, unsigned need)
{
	if ((need & T_IN) && t->ninputs < 1)
		return false;
	if ((need & T_IN2) && t->ninputs < 2)
		return false;
	return !(need & T_OUT) || t->outputs;
}

static bool op_has(const struct fp_operator *op, unsigned need)
{
	unsigned roles = need & 0xff;

	return (op->roles & roles) == roles;
}

static void write_tm(struct wr *w)
{
	struct fp_series s = { .scope = FP_SCOPE_TM, .partition = -1 };

	for (size_t i = 0; i < NELEM(tm_metrics); i++) {
		const struct fp_metric *m = &tm_metrics[i];

		if (!(m->need & PER_VAR)) {
			fam_begin(w, "taskmanager", m, NULL, layout_tm);
			series(w, &s);
			continue;
		}
		for (size_t c = 0; c < w->tm->ncollectors; c++) {
			fam_begin(w, "taskmanager", m, w->tm->collectors[c],
				  layout_tm);
			series(w, &s);
		}
	}
}

static void write_tasks(struct wr *w)
{
	for (size_t i = 0; i < NELEM(task_metrics); i++) {
		const struct fp_metric *m = &task_metrics[i];

		fam_begin(w, "taskmanager_job_task", m, NULL, layout_task);
		for (size_t j = 0; j < w->tm->njobs; j++) {
			const struct fp_job *job = &w->tm->jobs[j];

			for (size_t t = 0; t < job->ntasks; t++) {
				const struct fp_task *task = &job->tasks[t];

				if (!task_has(task, m->need))
					continue;
				for (size_t k = 0; k < task->nsubtasks; k++) {
					struct fp_series s = {
						.scope = FP_SCOPE_TASK,
						.job = job,
						.task = task,
						.subtask = &task->subtasks[k],
						.partition = -1,
					};
					series(w, &s);
				}
			}
		}
	}
}

/* The series of one operator subtask: one, or one per Kafka partition. */
static void op_subtask(struct wr *w, struct fp_series *s, unsigned need)
{
	if (!(need & PER_PART)) {
		series(w, s);
		return;
	}
	for (size_t p = 0; p < s->subtask->npartitions; p++) {
		s->partition = s->subtask->partitions[p];
		series(w, s);
	}
}

/* Every operator subtask that has the roles need names (and the state). */
static void op_series(struct wr *w, unsigned need, const char *state)
{
	for (size_t j = 0; j < w->tm->njobs; j++) {
		const struct fp_job *job = &w->tm->jobs[j];

		for (size_t t = 0; t < job->ntasks; t++) {
			const struct fp_task *task = &job->tasks[t];

			for (size_t o = 0; o < task->nops; o++) {
				const struct fp_operator *op = &task->ops[o];

				if (!op_has(op, need) ||
				    (state && (!op->state ||
					       strcmp(op->state, state))))
					continue;
				for (size_t k = 0; k < task->nsubtasks; k++) {
					struct fp_series s = {
						.scope = FP_SCOPE_OPERATOR,
						.job = job,
						.task = task,
						.subtask = &task->subtasks[k],
						.op = op,
						.partition = -1,
					};
					op_subtask(w, &s, need);
				}
			}
		}
	}
}

/* Every operator of the page in order: start with *it = 0. */
static const struct fp_operator *op_next(const struct fp_tm *tm,
					 size_t it[3])
{
	for (; it[0] < tm->njobs; it[0]++, it[1] = 0) {
		const struct fp_job *job = &tm->jobs[it[0]];

		for (; it[1] < job->ntasks; it[1]++, it[2] = 0)
			if (it[2] < job->tasks[it[1]].nops)
				return &job->tasks[it[1]].ops[it[2]++];
	}
	return NULL;
}

static bool has_state(const struct fp_operator *op, const char *state)
{
	return (op->roles & FP_OP_ROCKSDB) && op->state &&
	       (!state || !strcmp(op->state, state));
}

/* A family per RocksDB state (column family) name on the page. */
static void each_state(struct wr *w, const struct fp_metric *m)
{
	size_t it[3] = { 0, 0, 0 };
	const struct fp_operator *op;

	while ((op = op_next(w->tm, it))) {
		size_t it2[3] = { 0, 0, 0 };
		const struct fp_operator *first;

		if (!has_state(op, NULL))
			continue;
		while ((first = op_next(w->tm, it2)) &&
		       !has_state(first, op->state))
			;
		if (first != op)
			continue; /* done with an earlier operator */
		fam_begin(w, "taskmanager_job_task_operator", m, op->state,
			  layout_op);
		op_series(w, m->need, op->state);
	}
}

static void write_ops(struct wr *w)
{
	for (size_t i = 0; i < NELEM(op_metrics); i++) {
		const struct fp_metric *m = &op_metrics[i];

		if (m->need & PER_VAR) {
			each_state(w, m);
			continue;
		}
		fam_begin(w, "taskmanager_job_task_operator", m, NULL,
			  (m->need & PER_PART) ? layout_op_part : layout_op);
		op_series(w, m->need, NULL);
	}
}

/* Latency markers, operator granularity: in every non-source operator
 * subtask, one histogram per source operator of the job. */
static void latency_op(struct wr *w, const struct fp_job *job,
		       const struct fp_task *task, const struct fp_operator *op)
{
	for (size_t k = 0; k < task->nsubtasks; k++)
		for (size_t t = 0; t < job->ntasks; t++)
			for (size_t o = 0; o < job->tasks[t].nops; o++) {
				struct fp_series s = {
					.scope = FP_SCOPE_LATENCY,
					.job = job,
					.task = task,
					.subtask = &task->subtasks[k],
					.op = op,
					.source = &job->tasks[t].ops[o],
					.partition = -1,
				};

				if (s.source->roles & FP_OP_SOURCE)
					series(w, &s);
			}
}

static void write_latency(struct wr *w)
{
	if (!w->tm->latency)
		return;
	fam_begin(w,
		  "taskmanager_job_latency_source_id_operator_id_"
		  "operator_subtask_index",
		  &latency_metric, NULL, layout_latency);
	for (size_t j = 0; j < w->tm->njobs; j++) {
		const struct fp_job *job = &w->tm->jobs[j];

		for (size_t t = 0; t < job->ntasks; t++)
			for (size_t o = 0; o < job->tasks[t].nops; o++)
				if (!(job->tasks[t].ops[o].roles & FP_OP_SOURCE))
					latency_op(w, job, &job->tasks[t],
						   &job->tasks[t].ops[o]);
	}
}

int fp_write_page(struct buf *out, const struct fp_tm *tm, fp_value_fn fn,
		  void *ud, struct fp_stats *stats, struct err *e)
{
	struct wr w = { .out = out, .tm = tm, .fn = fn, .ud = ud };

	write_tm(&w);
	write_tasks(&w);
	write_ops(&w);
	write_latency(&w);
	if (stats)
		*stats = w.st;
	if (w.rc)
		return err_set(e, w.rc, "writing the page: %s (%zu bytes)",
			       err_code_name(w.rc), out->len);
	return 0;
}

void fp_visit_page(const struct fp_tm *tm, fp_value_fn fn, void *ud,
		   fp_visit_fn visit, void *visit_ud)
{
	struct wr w = { .tm = tm, .fn = fn, .ud = ud, .visit = visit,
			.visit_ud = visit_ud };

	write_tm(&w);
	write_tasks(&w);
	write_ops(&w);
	write_latency(&w);
}

enum fp_jtype fp_java_type(const struct fp_series *s)
{
	if (s->kind != FP_GAUGE)
		return FP_J_NUMBER; /* counters (long), meters (double) */
	if (!strcmp(s->name, "isBackPressured"))
		return FP_J_BOOLEAN;
	if (s->scope != FP_SCOPE_TM && strstr(s->name, "Usage"))
		return FP_J_FLOAT; /* the buffer pool usage gauges */
	if (!strcmp(s->group, KC) &&
	    (!strcmp(s->name, "version") || !strcmp(s->name, "commit-id")))
		return FP_J_STRING; /* Kafka's app-info */
	return FP_J_NUMBER;
}

/* ---- the demo TaskManager ---- */

struct demo {
	struct fp_tm tm; /* first: fp_demo_free gets it back from &tm */
	void **blocks;   /* everything allocated for it */
	size_t nblocks, cap;
	bool failed;
};

static void *demo_alloc(struct demo *d, size_t n)
{
	void *p;

	if (d->failed)
		return NULL;
	if (d->nblocks == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		void **b = realloc(d->blocks, cap * sizeof *b);

		if (!b)
			goto fail;
		d->blocks = b;
		d->cap = cap;
	}
	p = calloc(1, n ? n : 1);
	if (!p)
		goto fail;
	d->blocks[d->nblocks++] = p;
	return p;
fail:
	d->failed = true;
	return NULL;
}

static char *demo_str(struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *demo_str(struct demo *d, const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	s = demo_alloc(d, (size_t)n + 1);
	if (s)
		memcpy(s, tmp, (size_t)n + 1);
	return s;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static char *demo_hex_id(struct demo *d, uint64_t seed)
{
	return demo_str(d, "%016llx%016llx",
			(unsigned long long)mix64(seed),
			(unsigned long long)mix64(seed ^ 0x5555));
}

static const char *const demo_jobs[][2] = {
	{ "orders-enrichment", "orders" },
	{ "clickstream sessionization", "clicks" },
	{ "payments fraud-detection", "payments" },
	{ "inventory CDC sync", "inventory.cdc" },
};

static const char *const demo_maps[] = {
	"Map: parse JSON",
	"Filter: drop test orders",
	"Timestamps/Watermarks",
	"Map: enrich with customer (async lookup)",
	"Flat Map: explode line items",
	"Process: deduplicate by order id",
};

static const char *const demo_collectors[] = { "G1 Young Generation",
					       "G1 Old Generation" };

/* Operator o of n in task t of nt (head first), named and given roles. */
static void demo_op(struct demo *d, struct fp_operator *op, uint64_t seed,
		    const char *topic, size_t t, size_t nt, size_t o, size_t n)
{
	op->id = demo_hex_id(d, seed);
	if (t == 0 && o == 0) {
		op->name = demo_str(d, "Source: Kafka %s", topic);
		op->roles = FP_OP_SOURCE | FP_OP_KAFKA;
	} else if (t == 1 && o == 0) {
		op->name = "Window(TumblingEventTimeWindows(60000), "
			   "EventTimeTrigger, OrderTotalsAggregate, "
			   "PassThroughWindowFunction)";
		op->roles = FP_OP_WINDOW | FP_OP_ROCKSDB;
		op->state = "window-contents";
	} else if (t == 2 && t + 1 == nt && o == 0) {
		op->name = demo_str(d, "%s-enriched: Writer", topic);
		op->roles = FP_OP_SINK;
	} else if (t == 2 && t + 1 == nt && o + 1 == n) {
		op->name = demo_str(d, "%s-enriched: Committer", topic);
	} else {
		op->name = demo_maps[(t * 7 + o) % NELEM(demo_maps)];
	}
}

static char *demo_task_name(struct demo *d, const struct fp_operator *ops,
			    size_t n)
{
	char tmp[1024];
	size_t k = 0;

	tmp[0] = '\0';
	for (size_t o = 0; o < n && k < sizeof tmp; o++)
		k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%s%s",
				      o ? " -> " : "", ops[o].name);
	return demo_str(d, "%s", tmp);
}

static void demo_subtasks(struct demo *d, struct fp_task *task,
			  const struct fp_demo_opts *o, const char *graph_id)
{
	struct fp_subtask *subs = demo_alloc(d, (size_t)o->slots * sizeof *subs);
	bool source = task->ninputs == 0;

	if (!subs)
		return;
	for (int k = 0; k < o->slots; k++) {
		struct fp_subtask *st = &subs[k];
		int *parts;

		st->index = o->tm_index * o->slots + k;
		st->attempt_id = demo_str(d, "%s_%s_%d_0", graph_id, task->id,
					  st->index);
		if (!source || o->partitions <= 0)
			continue;
		parts = demo_alloc(d, (size_t)o->partitions * sizeof *parts);
		if (!parts)
			return;
		for (int p = 0; p < o->partitions; p++)
			parts[p] = st->index * o->partitions + p;
		st->partitions = parts;
		st->npartitions = (size_t)o->partitions;
	}
	task->subtasks = subs;
	task->nsubtasks = (size_t)o->slots;
}

static void demo_job(struct demo *d, struct fp_job *job, int j,
		     const struct fp_demo_opts *o)
{
	size_t nops = (size_t)(o->operators > 0 ? o->operators : 1);
	size_t nt = nops < 3 ? nops : 3, first = 0;
	const char *graph_id = demo_hex_id(d, 0x6a0b + (uint64_t)j);
	struct fp_task *tasks = demo_alloc(d, nt * sizeof *tasks);

	job->id = demo_hex_id(d, 0x10b + (uint64_t)j);
	job->name = demo_jobs[j % NELEM(demo_jobs)][0];
	job->topic = demo_jobs[j % NELEM(demo_jobs)][1];
	if (!tasks)
		return;
	for (size_t t = 0; t < nt; t++) {
		struct fp_task *task = &tasks[t];
		size_t n = nops / nt + (t < nops % nt);
		struct fp_operator *ops = demo_alloc(d, n * sizeof *ops);

		if (!ops)
			return;
		for (size_t k = 0; k < n; k++)
			demo_op(d, &ops[k], ((uint64_t)j << 32) | (first + k),
				job->topic, t, nt, k, n);
		first += n;
		task->id = ops[0].id; /* the JobVertexID is the head's id */
		task->name = demo_task_name(d, ops, n);
		task->ops = ops;
		task->nops = n;
		task->ninputs = t > 0;
		task->outputs = t + 1 < nt;
		demo_subtasks(d, task, o, graph_id);
	}
	job->tasks = tasks;
	job->ntasks = nt;
}

struct fp_tm *fp_demo_new(const struct fp_demo_opts *o, struct err *e)
{
	struct demo *d = calloc(1, sizeof *d);
	struct fp_job *jobs;
	int njobs = o->jobs > 0 ? o->jobs : 1;

	if (!d)
		goto nomem;
	d->tm.host = demo_str(d, "10.244.%d.%d", 1 + o->tm_index / 200,
			      10 + o->tm_index % 200);
	d->tm.tm_id = demo_str(d, "%s:6122-%06llx", d->tm.host,
			       (unsigned long long)(mix64((uint64_t)o->tm_index) &
						    0xffffff));
	d->tm.collectors = demo_collectors;
	d->tm.ncollectors = NELEM(demo_collectors);
	d->tm.latency = o->latency;
	jobs = demo_alloc(d, (size_t)njobs * sizeof *jobs);
	for (int j = 0; jobs && j < njobs; j++)
		demo_job(d, &jobs[j], j, o);
	d->tm.jobs = jobs;
	d->tm.njobs = (size_t)njobs;
	if (d->failed)
		goto nomem;
	return &d->tm;
nomem:
	fp_demo_free(d ? &d->tm : NULL);
	err_set(e, ERR_NOMEM, "out of memory building the demo TaskManager");
	return NULL;
}

void fp_demo_free(struct fp_tm *tm)
{
	struct demo *d = (struct demo *)tm;

	if (!d)
		return;
	for (size_t i = 0; i < d->nblocks; i++)
		free(d->blocks[i]);
	free(d->blocks);
	free(d);
}

/* ---- demo values ---- */

#define LONG_MIN_D (-9223372036854775808.0) /* Long.MIN_VALUE: no watermark */
#define DEMO_NOW_MS 1732500000000.0

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static double unit(uint64_t h)
{
	return (double)(mix64(h) >> 11) / 9007199254740992.0;
}

static bool has(const char *s, const char *part)
{
	return s && strstr(s, part);
}

static double hist_value(const struct fp_series *s, uint64_t where)
{
	static const double mult[] = { 1.0, 1.4, 2.5, 3.2, 4.0, 7.5 };
	double base = 2.0 + floor(unit(where ^ 7) * 400) / 4;

	if (s->quantile < 0)
		return floor(unit(where ^ 8) * 1e6);
	for (size_t q = 0; q < NELEM(quantiles); q++)
		if (s->quantile == quantiles[q])
			return base * mult[q];
	return base;
}

static double tm_value(const struct fp_series *s, double u)
{
	const double max = 1073741824.0;

	if (!strcmp(s->name, "Load"))
		return u * 0.9;
	if (!strcmp(s->group, "Status.JVM.CPU"))
		return floor(3.6e12 + u * 1e11);
	if (has(s->group, "GarbageCollector"))
		return floor(u * (strcmp(s->name, "Time") ? 5000 : 60000));
	if (has(s->group, "NonHeap") || has(s->group, "Metaspace"))
		return strcmp(s->name, "Max") ? floor(1.2e8 + u * 1e8) : -1.0;
	if (!strcmp(s->name, "Max") || has(s->name, "Total") ||
	    !strcmp(s->name, "TotalCapacity"))
		return max;
	if (!strcmp(s->name, "Committed"))
		return floor(max * 0.75);
	if (has(s->name, "Used"))
		return floor(u * max * 0.7);
	if (has(s->name, "Segments"))
		return floor(u * 32768);
	if (!strcmp(s->group, "Status.JVM.ClassLoader"))
		return floor(u * 500) + (strcmp(s->name, "ClassesLoaded") ? 0 : 12000);
	return floor(u * 200);
}

/* busy, back-pressured and idle ms/s of a subtask add up to 1000. */
static double time_split(const char *name, uint64_t where)
{
	double busy = floor(unit(where ^ 1) * 1000);
	double bp = floor(unit(where ^ 2) * (1000 - busy) * 0.5);

	if (!strcmp(name, "busyTimeMsPerSecond"))
		return busy;
	if (!strcmp(name, "backPressuredTimeMsPerSecond"))
		return bp;
	if (!strcmp(name, "softBackPressuredTimeMsPerSecond"))
		return floor(bp * 0.8);
	if (!strcmp(name, "hardBackPressuredTimeMsPerSecond"))
		return bp - floor(bp * 0.8);
	if (!strcmp(name, "isBackPressured"))
		return bp > 100 ? 1.0 : 0.0;
	return 1000 - busy - bp; /* idleTimeMsPerSecond */
}

static double kafka_value(const char *name, double u)
{
	if (has(name, "reauthentication"))
		return NAN; /* Kafka's avg/max without samples */
	if (!strcmp(name, "version") || !strcmp(name, "commit-id"))
		return 0.0; /* string gauges: the reporter writes 0 */
	if (has(name, "-rate") || has(name, "-avg") || has(name, "-ratio"))
		return u * 1000;
	if (has(name, "lag") || has(name, "lead"))
		return floor(u * 5e5);
	if (!strcmp(name, "start-time-ms"))
		return floor(DEMO_NOW_MS - 86400000.0 * u);
	return floor(u * 1e6);
}

static double task_value(const struct fp_series *s, double u, uint64_t where)
{
	const char *n = s->name;

	if (s->kind == FP_HISTOGRAM)
		return hist_value(s, where);
	if (has(n, "Watermark"))
		return where % 13 == 0 ? LONG_MIN_D
				       : DEMO_NOW_MS - floor(u * 30000);
	if (has(n, "TimeMsPerSecond") || !strcmp(n, "isBackPressured"))
		return time_split(n, where);
	if (!strcmp(s->group, "KafkaSourceReader.KafkaConsumer"))
		return kafka_value(n, u);
	if (has(n, "Errors") || has(n, "Dropped") || has(n, "Failed"))
		return floor(u * 10);
	if (has(n, "Usage"))
		return (double)(float)u; /* a float gauge */
	if (has(n, "EventTimeLag") || !strcmp(n, "watermarkLag"))
		return floor(u * 4000);
	if (!strcmp(n, "sourceIdleTime"))
		return 0.0;
	if (!strcmp(n, "pendingRecords"))
		return floor(u * 2e6);
	if (s->kind == FP_METER)
		return u * 20000;
	if (s->kind == FP_COUNTER || has(n, "accumulate") || has(n, "rocksdb") ||
	    has(n, "Offset") || has(n, "pendingBytes"))
		return floor(u * 1e9);
	return floor(u * 1000);
}

double fp_demo_value(void *ud, const struct fp_series *s)
{
	uint64_t seed = ud ? *(const uint64_t *)ud : 0;
	uint64_t where = 0xcbf29ce484222325ULL ^ seed, what;

	where = hash_str(where, s->job ? s->job->id : NULL);
	where = hash_str(where, s->op ? s->op->id : s->task ? s->task->id : NULL);
	where = hash_str(where, s->source ? s->source->id : NULL);
	where = mix64(where ^ (uint64_t)(s->subtask ? s->subtask->index : 0) ^
		      ((uint64_t)(s->partition + 1) << 24));
	what = hash_str(hash_str(hash_str(0x84222325ULL, s->group), s->var),
			s->name);
	if (s->scope == FP_SCOPE_TM)
		return tm_value(s, unit(where ^ what));
	if (s->scope == FP_SCOPE_LATENCY)
		return hist_value(s, where);
	return task_value(s, unit(where ^ what), where);
}
