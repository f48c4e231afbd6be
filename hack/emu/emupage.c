/*
 * emupage.c - the emulated TaskManagers' pages: the job's chain as
 * flinkpage.c describes it, with the subtasks a TaskManager runs, and
 * values from the workload model (see emu.h); and the same series for the
 * REST API's metrics (emumetrics.c), so that both always agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hack/emu/emu.h"

#define EMU_MAX_SUB 256

static const struct fp_operator emu_ops[] = {
	{ EMU_VERTEX_ID, "Source: orders", FP_OP_SOURCE | FP_OP_KAFKA, NULL },
	{ "5f1f9b6f0f61b7cd9cd4b84bdcf62a1e", "Map: enrich", 0, NULL },
	{ "a7d5b2c0e4f18d3a9b6c2e1f0d4a8b7c", "Sink: out", FP_OP_SINK, NULL },
};

struct emu_page_ctx {
	struct emu *e;
	int t;
};

static double emu_tm_value(struct emu *e, int t, const struct fp_series *s)
{
	const struct emu_model *m = &e->m;
	double subtasks = (double)m->parallelism / m->taskmanagers;

	if (strcmp(s->name, "Time") == 0 && strstr(s->group, "CPU"))
		return m->cpu_ns[t];
	if (strcmp(s->name, "Load") == 0 && strstr(s->group, "CPU"))
		return (m->cpu_idle + m->busy * subtasks * m->cpu_per_slot) / 4;
	if (strcmp(s->group, "Status.JVM.Memory.Heap") == 0) {
		if (strcmp(s->name, "Max") == 0)
			return 1073741824.0;
		if (strcmp(s->name, "Used") == 0)
			return 1073741824.0 * (0.3 + 0.4 * m->busy);
	}
	return fp_demo_value(NULL, s);
}

static double emu_task_value(struct emu *e, const struct fp_series *s)
{
	const struct emu_model *m = &e->m;
	double per = m->parallelism ? m->processed / m->parallelism : 0;
	const char *n = s->name;

	if (strcmp(n, "busyTimeMsPerSecond") == 0)
		return emu_busy_ms(m);
	if (strcmp(n, "backPressuredTimeMsPerSecond") == 0)
		return emu_backpressured_ms(m);
	if (strcmp(n, "idleTimeMsPerSecond") == 0)
		return 1000 - emu_busy_ms(m) - emu_backpressured_ms(m);
	if (strcmp(n, "numRecordsInPerSecond") == 0 ||
	    strcmp(n, "numRecordsOutPerSecond") == 0)
		return per;
	if (strcmp(n, "numRecordsIn") == 0 || strcmp(n, "numRecordsOut") == 0)
		return (double)(long long)(m->records_in / (m->parallelism ? m->parallelism : 1));
	if (strcmp(n, "currentInputWatermark") == 0 ||
	    strcmp(n, "currentOutputWatermark") == 0)
		return (double)(m->now_ms - (int64_t)emu_watermark_lag_ms(m));
	return fp_demo_value(NULL, s);
}

static double emu_op_value(struct emu *e, const struct fp_series *s)
{
	const struct emu_model *m = &e->m;
	const char *n = s->name;

	if (strcmp(n, "pendingRecords") == 0 ||
	    strcmp(n, "records-lag-max") == 0)
		return (double)(long long)emu_pending_per_subtask(m);
	if (strcmp(n, "currentEmitEventTimeLag") == 0 ||
	    strcmp(n, "currentFetchEventTimeLag") == 0 ||
	    strcmp(n, "watermarkLag") == 0)
		return (double)(long long)emu_watermark_lag_ms(m);
	return emu_task_value(e, s);
}

static double emu_value(void *ud, const struct fp_series *s)
{
	struct emu_page_ctx *c = ud;

	switch (s->scope) {
	case FP_SCOPE_TM:
		return emu_tm_value(c->e, c->t, s);
	case FP_SCOPE_TASK:
		return emu_task_value(c->e, s);
	case FP_SCOPE_OPERATOR:
		return emu_op_value(c->e, s);
	case FP_SCOPE_LATENCY:
		if (s->quantile < 0)
			return (double)(long long)c->e->m.records_in;
		return emu_latency_p99_ms(&c->e->m) * (0.5 + s->quantile / 2);
	}
	return 0;
}

/* TaskManager t as flinkpage.c describes it: the job's chain with the
 * subtasks k = t, t + N, ... it runs (N TaskManagers). */
struct emu_view {
	struct fp_subtask sub[EMU_MAX_SUB];
	char attempt[EMU_MAX_SUB][33];
	struct fp_task task;
	struct fp_job job;
	struct fp_tm tm;
	struct emu_page_ctx c;
};

static void emu_view_init(struct emu *e, int t, struct emu_view *v)
{
	static const char *gc[] = { "G1 Young Generation", "G1 Old Generation" };
	static const int partitions[] = { 0 };
	struct emu_job *cur = emu_job_current(e);

	v->task = (struct fp_task){ EMU_VERTEX_ID, EMU_VERTEX_NAME, emu_ops, 3,
				    v->sub, 0, 0, false };
	v->job = (struct fp_job){ cur ? cur->jid : EMU_JOB_ID, e->job_name,
				  &v->task, 1, "orders" };
	v->tm = (struct fp_tm){ e->tm[t].addr, e->tm[t].tm_id, gc, 2, &v->job,
				1, true, false };
	v->c = (struct emu_page_ctx){ e, t };
	for (int k = t; k < e->m.parallelism && v->task.nsubtasks < EMU_MAX_SUB;
	     k += e->m.taskmanagers) {
		size_t i = v->task.nsubtasks++;

		snprintf(v->attempt[i], sizeof(v->attempt[i]), "%08x%024x", k,
			 e->m.restarts);
		v->sub[i] = (struct fp_subtask){ k, e->m.restarts, v->attempt[i],
						 partitions, 1 };
	}
	if (!emu_model_processing(&e->m) || !cur ||
	    cur->state != EMU_JOB_ACTIVE)
		v->tm.njobs = 0; /* (re)starting or stopped: no tasks report */
}

int emu_page(struct emu *e, int t, struct buf *out)
{
	struct emu_view *v = malloc(sizeof(*v));
	int rc;

	if (!v)
		return ERR_NOMEM;
	emu_view_init(e, t, v);
	rc = fp_write_page(out, &v->tm, emu_value, &v->c, NULL, NULL);
	free(v);
	return rc;
}

int emu_visit_tm(struct emu *e, int t, fp_visit_fn visit, void *ud)
{
	struct emu_view *v = malloc(sizeof(*v));

	if (!v)
		return ERR_NOMEM;
	emu_view_init(e, t, v);
	fp_visit_page(&v->tm, emu_value, &v->c, visit, ud);
	free(v);
	return 0;
}
