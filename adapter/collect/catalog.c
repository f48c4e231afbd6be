/*
 * catalog.c - the metric catalogue table (see catalog.h).
 */
#include "adapter/collect/catalog.h"

#include <string.h>

const struct cat_metric cat_metrics[CAT_N] = {
	[CAT_TM_CPU_UTILIZATION] = {
		"flink_tm_cpu_utilization", CAT_POD, "percent of the CPU request",
		"rate of `Status.JVM.CPU.Time` divided by the container's CPU "
		"request; without a request, `Status.JVM.CPU.Load` x 100",
		"per pod" },
	[CAT_TM_HEAP_UTILIZATION] = {
		"flink_tm_heap_utilization", CAT_POD, "percent",
		"`Status.JVM.Memory.Heap.Used` / `Status.JVM.Memory.Heap.Max` "
		"x 100", "per pod" },
	[CAT_TM_BUSY_RATIO] = {
		"flink_tm_busy_ratio", CAT_POD, "ratio 0..1",
		"`busyTimeMsPerSecond` / 1000", "max over the pod's subtasks" },
	[CAT_TM_BACKPRESSURED_RATIO] = {
		"flink_tm_backpressured_ratio", CAT_POD, "ratio 0..1",
		"`backPressuredTimeMsPerSecond` / 1000",
		"max over the pod's subtasks" },
	[CAT_TM_BACKLOG] = {
		"flink_tm_backlog", CAT_POD, "records",
		"source `pendingRecords`; where absent, Kafka "
		"`records-lag-max`", "sum over the pod's source subtasks" },
	[CAT_TM_WATERMARK_LAG] = {
		"flink_tm_watermark_lag_seconds", CAT_POD, "seconds",
		"source `watermarkLag`; where absent, scrape time minus "
		"`currentInputWatermark` (tasks without a watermark yet are "
		"left out)", "max over the pod's subtasks" },
	[CAT_TM_EVENT_TIME_LAG] = {
		"flink_tm_event_time_lag_seconds", CAT_POD, "seconds",
		"source `currentEmitEventTimeLag`",
		"max over the pod's source subtasks" },
	[CAT_JOB_BACKLOG] = {
		"flink_job_backlog", CAT_JOB, "records",
		"`flink_tm_backlog` of the job's subtasks; without pages, the "
		"JobManager's sum of the sources' `pendingRecords` (else Kafka "
		"`records-lag-max`)", "sum over the job's pods" },
	[CAT_JOB_WATERMARK_LAG] = {
		"flink_job_watermark_lag_seconds", CAT_JOB, "seconds",
		"as `flink_tm_watermark_lag_seconds`, for the job's subtasks; "
		"without pages, the JobManager's: now minus the lowest "
		"`currentInputWatermark` of a vertex", "max over the job's pods" },
	[CAT_JOB_LATENCY] = {
		"flink_job_latency_seconds", CAT_JOB, "seconds",
		"p99 of the latency markers when latency tracking is on "
		"(`metrics.latency.interval`); otherwise the max source "
		"`currentEmitEventTimeLag` (from the JobManager without pages)",
		"max over the job's pods" },
	[CAT_JOB_BUSY_RATIO] = {
		"flink_job_busy_ratio", CAT_JOB, "ratio 0..1",
		"`busyTimeMsPerSecond` / 1000 of the busiest vertex (from the "
		"JobManager without pages)", "max over the job's subtasks" },
	[CAT_JOB_PARALLELISM] = {
		"flink_job_parallelism", CAT_JOB, "subtasks",
		"JobManager: `parallelism` of the job's vertices "
		"(`/jobs/:jobid`)", "max over the job's vertices" },
	[CAT_JOB_SLOTS_TOTAL] = {
		"flink_job_slots_total", CAT_JOB, "slots",
		"JobManager: `slotsNumber` of the TaskManagers registered "
		"(`/taskmanagers`)", "sum over the JobManager's TaskManagers" },
	[CAT_JOB_SLOTS_FREE] = {
		"flink_job_slots_free", CAT_JOB, "slots",
		"JobManager: `freeSlots` of the TaskManagers registered "
		"(`/taskmanagers`)", "sum over the JobManager's TaskManagers" },
	[CAT_JOB_TRUE_RATE] = {
		"flink_job_true_processing_rate", CAT_JOB, "records/s",
		"JobManager: what the sources could read with every vertex busy "
		"all the time at the present parallelism: a vertex's input rate "
		"(a source: `numRecordsOutPerSecond`, else "
		"`numRecordsInPerSecond`, summed over its subtasks) / its busy "
		"ratio (`busyTimeMsPerSecond` / 1000 of its busiest subtask, "
		"at least 0.005), over the records it gets per source record "
		"(README, Scaling on throughput)", "min over the job's vertices" },
	[CAT_JOB_TARGET_RATE] = {
		"flink_job_target_rate", CAT_JOB, "records/s",
		"JobManager: the sources' input rate plus the growth per second "
		"of their `pendingRecords` between two reads", "sum over the "
		"job's sources" },
	[CAT_JOB_REQUIRED_PARALLELISM] = {
		"flink_job_required_parallelism", CAT_JOB, "subtasks",
		"JobManager: the parallelism each vertex needs for its target "
		"rate (propagated over `/jobs/:jobid/plan` with each vertex's "
		"output/input ratio) at the utilization, catch-up and restart "
		"time of the Deployment's `flinkhpa.io/throughput-*` annotations "
		"(each vertex's at `--v=2`)", "max over the job's vertices" },
	[CAT_JOB_REQUIRED_TMS] = {
		"flink_job_required_taskmanagers", CAT_JOB, "TaskManagers",
		"JobManager: ceil(`flink_job_required_parallelism` / slots per "
		"TaskManager) within the `flinkhpa.io/min-taskmanagers` and "
		"`max-taskmanagers` annotations, never fewer than registered "
		"while the backlog grows or holds more than one restart's "
		"records; at a bound, a value past the HPA's 10% tolerance that "
		"the HPA clamps to it", "one per job" },
};

int cat_find(const char *name)
{
	for (int i = 0; i < CAT_N; i++)
		if (strcmp(cat_metrics[i].name, name) == 0)
			return i;
	return -1;
}

int cat_markdown(struct buf *out)
{
	int rc = buf_adds(out, "| metric | served for | unit | computed from "
			       "| aggregation |\n|---|---|---|---|---|\n");

	for (int i = 0; i < CAT_N && !rc; i++) {
		const struct cat_metric *m = &cat_metrics[i];
		rc = buf_addf(out, "| `%s` | %s | %s | %s | %s |\n", m->name,
			      m->scope == CAT_POD ? "TaskManager pod"
						  : "job (Deployment, external)",
			      m->unit, m->source, m->agg);
	}
	return rc;
}
