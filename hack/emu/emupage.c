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

/* Which vertex of the model's graph task is (0 when it is none). */
static int emu_vertex_of(const struct emu_model *m, const struct fp_task *task)
{
	for (int v = 0; task && v < m->g.n; v++)
		if (strcmp(task->id, m->g.v[v].id) == 0)
			return v;
	return 0;
}

/* The single chained vertex: every subtask alike (the values as before
 * the job graph came). */
static double emu_chain_value(const struct emu_model *m, const char *n)
{
	double per = m->parallelism ? m->processed / m->parallelism : 0;

	if (strcmp(n, "busyTimeMsPerSecond") == 0)
		return emu_busy_ms(m);
	if (strcmp(n, "backPressuredTimeMsPerSecond") == 0)
		return emu_backpressured_ms(m);
	if (strcmp(n, "idleTimeMsPerSecond") == 0)
		return 1000 - emu_busy_ms(m) - emu_backpressured_ms(m);
	if (strcmp(n, "numRecordsInPerSecond") == 0 ||
	    strcmp(n, "numRecordsOutPerSecond") == 0)
		return per;
	return (double)(long long)(m->records_in /
				   (m->parallelism ? m->parallelism : 1));
}

/* A vertex of the pipeline: subtask k's values from the model.  A source
 * task has no input records (Flink counts them at its operator). */
static double emu_graph_value(const struct emu_model *m, int v, int k,
			      const char *n, bool op)
{
	const struct fm_graph *g = &m->g;
	double busy = 1000 * fm_busy(g, &m->fs, v, k);
	double bp = 1000 * fm_backpressured(g, &m->fs, v, k);
	double share = fm_share(g, v, m->parallelism, k);

	if (strcmp(n, "busyTimeMsPerSecond") == 0)
		return busy;
	if (strcmp(n, "backPressuredTimeMsPerSecond") == 0)
		return bp;
	if (strcmp(n, "idleTimeMsPerSecond") == 0)
		return 1000 - busy - bp;
	if (strcmp(n, "numRecordsInPerSecond") == 0)
		return v == 0 && !op ? 0 : fm_rate_in(g, &m->fs, v, k);
	if (strcmp(n, "numRecordsOutPerSecond") == 0)
		return fm_rate_out(g, &m->fs, v, k);
	if (strcmp(n, "numRecordsIn") == 0)
		return v == 0 && !op ? 0 : (double)(long long)(m->vrecords_in[v] * share);
	return (double)(long long)(m->vrecords_in[v] * share * g->v[v].out_ratio);
}

static double emu_task_value(struct emu *e, const struct fp_series *s,
			     bool op)
{
	const struct emu_model *m = &e->m;
	const char *n = s->name;
	int k = s->subtask ? s->subtask->index : 0;

	static const char *const flow[] = { "busyTimeMsPerSecond",
		"backPressuredTimeMsPerSecond", "idleTimeMsPerSecond",
		"numRecordsIn", "numRecordsInPerSecond", "numRecordsOut",
		"numRecordsOutPerSecond", NULL };
	size_t i = 0;

	while (flow[i] && strcmp(flow[i], n))
		i++;
	if (flow[i])
		return m->g.n == 1 ? emu_chain_value(m, n)
		       : emu_graph_value(m, emu_vertex_of(m, s->task), k, n, op);
	if (strcmp(n, "currentInputWatermark") == 0 ||
	    strcmp(n, "currentOutputWatermark") == 0)
		return (double)(m->now_ms - (int64_t)emu_watermark_lag_ms(m));
	return fp_demo_value(NULL, s);
}

static double emu_op_value(struct emu *e, const struct fp_series *s)
{
	const struct emu_model *m = &e->m;
	const char *n = s->name;
	int k = s->subtask ? s->subtask->index : 0;

	if (strcmp(n, "pendingRecords") == 0 ||
	    strcmp(n, "records-lag-max") == 0)
		return (double)(long long)(m->g.n == 1
			? emu_pending_per_subtask(m) : fm_pending(&m->g, &m->fs, k));
	if (strcmp(n, "currentEmitEventTimeLag") == 0 ||
	    strcmp(n, "currentFetchEventTimeLag") == 0 ||
	    strcmp(n, "watermarkLag") == 0)
		return (double)(long long)emu_watermark_lag_ms(m);
	return emu_task_value(e, s, true);
}

static double emu_value(void *ud, const struct fp_series *s)
{
	struct emu_page_ctx *c = ud;

	switch (s->scope) {
	case FP_SCOPE_TM:
		return emu_tm_value(c->e, c->t, s);
	case FP_SCOPE_TASK:
		return emu_task_value(c->e, s, false);
	case FP_SCOPE_OPERATOR:
		return emu_op_value(c->e, s);
	case FP_SCOPE_LATENCY:
		if (s->quantile < 0)
			return (double)(long long)c->e->m.records_in;
		return emu_latency_p99_ms(&c->e->m) * (0.5 + s->quantile / 2);
	}
	return 0;
}

/* TaskManager t as flinkpage.c describes it: the job's vertices (one
 * chain, or the pipeline's four tasks) with the subtasks k = t, t + N, ...
 * of each it runs (N TaskManagers); a pipeline's source subtask k reads
 * the partitions k, k + p, ... */
#define EMU_MAX_PART 64 /* partitions listed per source subtask */

struct emu_view {
	struct fp_subtask sub[FM_MAX_VERTICES][EMU_MAX_SUB];
	char attempt[FM_MAX_VERTICES][EMU_MAX_SUB][33];
	int parts[EMU_MAX_SUB][EMU_MAX_PART];
	struct fp_operator ops[FM_MAX_VERTICES];
	struct fp_task task[FM_MAX_VERTICES];
	struct fp_job job;
	struct fp_tm tm;
	struct emu_page_ctx c;
};

/* The pipeline's vertex v as a task of one operator. */
static void emu_view_vertex(struct emu *e, struct emu_view *w, int v)
{
	static const unsigned roles[] = { FP_OP_SOURCE | FP_OP_KAFKA, 0,
					  FP_OP_WINDOW, FP_OP_SINK };
	const struct fm_graph *g = &e->m.g;

	w->ops[v] = (struct fp_operator){ g->v[v].id, g->v[v].name,
					  roles[v < 4 ? v : 1], NULL };
	w->task[v] = (struct fp_task){ g->v[v].id, g->v[v].name, &w->ops[v],
				       1, w->sub[v], 0, v > 0,
				       v + 1 < g->n };
}

/* The subtasks of task v on TaskManager t. */
static void emu_view_subtasks(struct emu *e, struct emu_view *w, int t,
			      int v)
{
	static const int partition0[] = { 0 };
	const struct emu_model *m = &e->m;
	int np = m->g.v[0].partitions;

	for (int k = t; k < m->parallelism && w->task[v].nsubtasks < EMU_MAX_SUB;
	     k += m->taskmanagers) {
		size_t i = w->task[v].nsubtasks++, n = 0;
		const int *parts = partition0;

		if (m->g.n == 1)
			snprintf(w->attempt[v][i], 33, "%08x%024x", k,
				 m->restarts);
		else
			snprintf(w->attempt[v][i], 33, "%02x%06x%024x", v, k,
				 m->restarts);
		if (m->g.n > 1 && v == 0) { /* no partition: none listed */
			for (int q = k; (np <= 0 ? q == k : q < np) &&
			     n < EMU_MAX_PART; q += m->parallelism)
				w->parts[i][n++] = q;
			parts = w->parts[i];
		} else {
			n = 1;
		}
		w->sub[v][i] = (struct fp_subtask){ k, m->restarts,
			w->attempt[v][i], parts, n };
	}
}

static void emu_view_init(struct emu *e, int t, struct emu_view *v)
{
	static const char *gc[] = { "G1 Young Generation", "G1 Old Generation" };
	struct emu_job *cur = emu_job_current(e);
	int n = e->m.g.n;

	if (n == 1)
		v->task[0] = (struct fp_task){ EMU_VERTEX_ID, EMU_VERTEX_NAME,
					       emu_ops, 3, v->sub[0], 0, 0,
					       false };
	for (int x = 0; x < n; x++) {
		if (n > 1)
			emu_view_vertex(e, v, x);
		emu_view_subtasks(e, v, t, x);
	}
	v->job = (struct fp_job){ cur ? cur->jid : EMU_JOB_ID, e->job_name,
				  v->task, (size_t)n, "orders" };
	v->tm = (struct fp_tm){ e->tm[t].addr, e->tm[t].tm_id, gc, 2, &v->job,
				1, true, false };
	v->c = (struct emu_page_ctx){ e, t };
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
