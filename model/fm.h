/*
 * fm.h - the Flink workload model shared by the emulator (hack/emu) and
 * `flinkhpa-gen simulate`: one streaming job as a chain of job vertices
 * (v[0] the source feeds v[1], and so on), every vertex at the job's
 * parallelism p, offered input records/s at the source.
 *
 * Per vertex: the records/s one subtask processes when it is busy all the
 * time (capacity), the records it emits per record in (out_ratio), how
 * its input spreads over its subtasks (a source: partitions read by
 * subtask k, k + p, ...; a keyed vertex: the key groups of Flink's
 * KeyGroupRangeAssignment, plus one hot key carrying hot_key of the
 * records on one subtask; else evenly).  Scaling is not linear: each
 * subtask beyond the first adds only `efficiency` of a subtask's capacity
 * (shared network, state backend, coordination), so a subtask processes
 * capacity x (1 + (p - 1) x efficiency) / p records/s at parallelism p.
 *
 * Flow: the source reads what is offered plus the backlog, up to what the
 * slowest subtask of the chain allows (the bottleneck); the rest stays in
 * the backlog.  Upstream of a saturated vertex every subtask spends the
 * time it is not busy back-pressured (at whatever busy ratio it has);
 * downstream of it and when nothing is saturated, idle.  While the job
 * restarts nothing is read and the backlog grows by the input.
 *
 * Pure computation, no I/O: include rule model -> common.
 */
#ifndef FH_FM_H
#define FH_FM_H

#include <stdbool.h>

#define FM_MAX_VERTICES 8
#define FM_ID_LEN 33

struct fm_vertex {
	char id[FM_ID_LEN]; /* JobVertexID, 32 hex digits */
	char name[96];      /* the vertex's name in the job graph */
	double capacity;    /* records/s of one subtask running alone */
	double out_ratio;   /* records out per record in */
	double hot_key;     /* keyed: share of the records on one key */
	bool keyed;         /* input by key group (a HASH edge) */
	int partitions;     /* a source: the partitions it reads (0: any) */
};

struct fm_graph {
	struct fm_vertex v[FM_MAX_VERTICES];
	int n;
	double efficiency;   /* of each subtask beyond the first, (0, 1] */
	int max_parallelism; /* key groups of keyed vertices */
};

/* What the job did in the last step. */
struct fm_state {
	int p;              /* parallelism of every vertex */
	bool running;       /* false: restarting, nothing processed */
	double backlog;     /* records waiting at the sources */
	double read;        /* records/s the sources read */
	double in[FM_MAX_VERTICES]; /* records/s into each vertex */
	int bottleneck;     /* the saturated vertex, -1: none */
};

/* One chained vertex (the emulator's default job): the capacity per
 * subtask, linear scaling, output ratio 1. */
void fm_graph_single(struct fm_graph *g, const char *id, const char *name,
		     double capacity, int max_parallelism);

/* The four-vertex job: "Source: orders" (partitions; 4x capacity) ->
 * "Map: enrich" (2x, keeps 0.8 of the records) -> "Window: per customer"
 * (keyed, the given hot key, 0.8x: the bottleneck, emits 0.1) ->
 * "Sink: out" (0.5x).  capacity is the source records/s one slot
 * sustains at the window with its keys spread evenly. */
void fm_graph_pipeline(struct fm_graph *g, double capacity, int partitions,
		       double hot_key, double efficiency, int max_parallelism);

/* Records/s one subtask of v processes when busy all the time at p. */
double fm_subtask_capacity(const struct fm_graph *g, int v, int p);

/* The share (0..1) of v's input that subtask k of p gets. */
double fm_share(const struct fm_graph *g, int v, int p, int k);

/* Records into v per record the source reads. */
double fm_gain(const struct fm_graph *g, int v);

/* The most records/s the sources can read at parallelism p. */
double fm_max_read(const struct fm_graph *g, int p);

/* A state: running at parallelism p, no backlog. */
void fm_state_init(struct fm_state *s, int p);

/* dt seconds at parallelism p (restarting when !running) with input
 * records/s offered to the sources. */
void fm_step(const struct fm_graph *g, struct fm_state *s, int p,
	     bool running, double input, double dt);

/* Per subtask k of vertex v, as Flink measures it over the last step:
 * records/s in and out, the busy and back-pressured share of the time
 * (0..1; idle is the rest), and at a source the records of the backlog on
 * its partitions. */
double fm_rate_in(const struct fm_graph *g, const struct fm_state *s, int v,
		  int k);
double fm_rate_out(const struct fm_graph *g, const struct fm_state *s, int v,
		   int k);
double fm_busy(const struct fm_graph *g, const struct fm_state *s, int v,
	       int k);
double fm_backpressured(const struct fm_graph *g, const struct fm_state *s,
			int v, int k);
double fm_pending(const struct fm_graph *g, const struct fm_state *s, int k);

/* Over all subtasks of v: the highest busy ratio.  fm_load: the highest
 * of the vertices' mean busy ratios, what a slot's CPU follows (the
 * costliest vertex dominates it). */
double fm_busy_max(const struct fm_graph *g, const struct fm_state *s, int v);
double fm_load(const struct fm_graph *g, const struct fm_state *s);

#endif
