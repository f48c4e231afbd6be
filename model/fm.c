/*
 * fm.c - the Flink workload model (see fm.h).
 */
#include "model/fm.h"

#include <stdio.h>
#include <string.h>

static void fm_vertex_set(struct fm_vertex *v, const char *id,
			  const char *name, double capacity, double out_ratio)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->capacity = capacity;
	v->out_ratio = out_ratio;
}

void fm_graph_single(struct fm_graph *g, const char *id, const char *name,
		     double capacity, int max_parallelism)
{
	memset(g, 0, sizeof(*g));
	fm_vertex_set(&g->v[0], id, name, capacity, 1);
	g->n = 1;
	g->efficiency = 1;
	g->max_parallelism = max_parallelism > 0 ? max_parallelism : 128;
}

void fm_graph_pipeline(struct fm_graph *g, double capacity, int partitions,
		       double hot_key, double efficiency, int max_parallelism)
{
	memset(g, 0, sizeof(*g));
	fm_vertex_set(&g->v[0], "cbc357ccb763df2852fee8c4fc7d55f2",
		      "Source: orders", 4 * capacity, 1);
	g->v[0].partitions = partitions;
	fm_vertex_set(&g->v[1], "5f1f9b6f0f61b7cd9cd4b84bdcf62a1e",
		      "Map: enrich", 2 * capacity, 0.8);
	fm_vertex_set(&g->v[2], "90bea66de1c231edf33913ecd54406c1",
		      "Window: per customer", 0.8 * capacity, 0.1);
	g->v[2].keyed = true;
	g->v[2].hot_key = hot_key;
	fm_vertex_set(&g->v[3], "a7d5b2c0e4f18d3a9b6c2e1f0d4a8b7c",
		      "Sink: out", 0.5 * capacity, 0);
	g->n = 4;
	g->efficiency = efficiency > 0 && efficiency <= 1 ? efficiency : 1;
	g->max_parallelism = max_parallelism > 0 ? max_parallelism : 128;
}

double fm_subtask_capacity(const struct fm_graph *g, int v, int p)
{
	if (p < 1)
		p = 1;
	return g->v[v].capacity * (1 + (p - 1) * g->efficiency) / p;
}

/* Key groups of subtask k of p over m (Flink's KeyGroupRangeAssignment). */
static int fm_key_groups(int m, int p, int k)
{
	int start = (int)(((long long)k * m + p - 1) / p);
	int end = (int)(((long long)(k + 1) * m - 1) / p);

	return end >= start ? end - start + 1 : 0;
}

double fm_share(const struct fm_graph *g, int v, int p, int k)
{
	const struct fm_vertex *x = &g->v[v];
	int m = g->max_parallelism;

	if (p < 1 || k < 0 || k >= p)
		return 0;
	if (v == 0 && x->partitions > 0) /* partitions k, k + p, ... */
		return k < x->partitions
		       ? (double)((x->partitions - k + p - 1) / p) / x->partitions
		       : 0;
	if (x->keyed && p <= m) /* the hot key hashes to subtask p / 2 */
		return (1 - x->hot_key) * fm_key_groups(m, p, k) / m +
		       (k == p / 2 ? x->hot_key : 0);
	return 1.0 / p;
}

static double fm_max_share(const struct fm_graph *g, int v, int p)
{
	double max = 0;

	for (int k = 0; k < p; k++) {
		double s = fm_share(g, v, p, k);
		if (s > max)
			max = s;
	}
	return max;
}

double fm_gain(const struct fm_graph *g, int v)
{
	double gain = 1;

	for (int u = 0; u < v; u++)
		gain *= g->v[u].out_ratio;
	return gain;
}

/* The read rate at which v saturates at p (a huge number: never). */
static double fm_vertex_limit(const struct fm_graph *g, int v, int p)
{
	double share = fm_max_share(g, v, p), gain = fm_gain(g, v);

	if (share <= 0 || gain <= 0)
		return 1e300;
	return fm_subtask_capacity(g, v, p) / share / gain;
}

double fm_max_read(const struct fm_graph *g, int p)
{
	double max = 1e300;

	for (int v = 0; v < g->n; v++) {
		double l = fm_vertex_limit(g, v, p);
		if (l < max)
			max = l;
	}
	return max;
}

void fm_state_init(struct fm_state *s, int p)
{
	memset(s, 0, sizeof(*s));
	s->p = p < 1 ? 1 : p;
	s->running = true;
	s->bottleneck = -1;
}

void fm_step(const struct fm_graph *g, struct fm_state *s, int p,
	     bool running, double input, double dt)
{
	double want, max;

	if (dt <= 0)
		return;
	s->p = p < 1 ? 1 : p;
	s->running = running;
	s->bottleneck = -1;
	s->read = 0;
	if (running) {
		want = input + s->backlog / dt;
		max = fm_max_read(g, s->p);
		s->read = want < max ? want : max;
		for (int v = 0; want >= max && v < g->n; v++)
			if (fm_vertex_limit(g, v, s->p) <= max)
				s->bottleneck = v;
	}
	s->backlog += (input - s->read) * dt;
	if (s->backlog < 0)
		s->backlog = 0;
	for (int v = 0; v < g->n; v++)
		s->in[v] = s->read * fm_gain(g, v);
}

/* v's input spreads evenly over its subtasks. */
static bool fm_even(const struct fm_graph *g, int v)
{
	return !g->v[v].keyed && !(v == 0 && g->v[v].partitions > 0);
}

double fm_rate_in(const struct fm_graph *g, const struct fm_state *s, int v,
		  int k)
{
	if (fm_even(g, v)) /* the same for all, without rounding */
		return k >= 0 && k < s->p ? s->in[v] / s->p : 0;
	return s->in[v] * fm_share(g, v, s->p, k);
}

double fm_rate_out(const struct fm_graph *g, const struct fm_state *s, int v,
		   int k)
{
	return fm_rate_in(g, s, v, k) * g->v[v].out_ratio;
}

double fm_busy(const struct fm_graph *g, const struct fm_state *s, int v,
	       int k)
{
	double b;

	if (!s->running)
		return 0;
	b = fm_rate_in(g, s, v, k) / fm_subtask_capacity(g, v, s->p);
	return b > 1 ? 1 : b;
}

double fm_backpressured(const struct fm_graph *g, const struct fm_state *s,
			int v, int k)
{
	if (!s->running || s->bottleneck < 0 || v >= s->bottleneck)
		return 0;
	return 1 - fm_busy(g, s, v, k);
}

double fm_pending(const struct fm_graph *g, const struct fm_state *s, int k)
{
	return s->backlog * fm_share(g, 0, s->p, k);
}

double fm_busy_max(const struct fm_graph *g, const struct fm_state *s, int v)
{
	double max = 0;

	for (int k = 0; k < s->p; k++) {
		double b = fm_busy(g, s, v, k);
		if (b > max)
			max = b;
	}
	return max;
}

double fm_load(const struct fm_graph *g, const struct fm_state *s)
{
	double max = 0;

	for (int v = 0; v < g->n; v++) {
		double mean = 0;

		if (fm_even(g, v)) { /* all alike */
			mean = fm_busy(g, s, v, 0);
		} else {
			for (int k = 0; k < s->p; k++)
				mean += fm_busy(g, s, v, k);
			mean /= s->p;
		}
		if (mean > max)
			max = mean;
	}
	return max;
}
