/*
 * bench_converge.c - the convergence benchmark (issue #18): load steps
 * through `flinkhpa-gen simulate`'s HPA and the shared Flink workload
 * model (model/fm.h, the four-vertex pipeline: a keyed window with a hot
 * key as the bottleneck, sub-linear scaling), one policy per rule kind,
 * printed side by side.  Per load step (STEP seconds each):
 *
 *   rescales     the HPA's rescales during the step
 *   above        replicas at the step's end minus the smallest count
 *                that sustains the step's load at utilization 0.7 (the
 *                model's capacity, fm_max_read); negative: too few
 *   to stable    seconds from the step's start to its last rescale (0:
 *                none), plus the restart pause
 *   backlog      the highest backlog during the step
 *   while stable a rescale with the load unchanged for 5 minutes and the
 *                size already within [smallest, smallest + 1]
 *
 * Usage: bench_converge [--steps N] (the first N of the step list);
 * bench_converge --sufficient LOAD prints the smallest count for LOAD
 * (for tests/bench/converge_hpa.sh, whose emulators run this model).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "gen/policy.h"
#include "gen/simulate.h"
#include "model/fm.h"

#define STEP 600     /* seconds per load step */
#define CAPACITY 2000.0 /* records/s per TaskManager (2 slots) */
#define SLOTS 2
#define UTIL 0.7
#define PARTITIONS 48
#define HOT_KEY 0.01
#define EFFICIENCY 0.95
#define MAXREP 40

static const double loads[] = { 3000, 9000, 4000, 15000, 12000, 20000,
	6000, 7000, 25000, 24000, 8000, 30000, 5000, 11000, 10000, 18000,
	2000, 16000, 13000, 28000, 9500, 3500, 21000, 14000 };
#define NLOADS (sizeof(loads) / sizeof(loads[0]))

#define POLICY_HEAD "apiVersion: flinkhpa.io/v1\nkind: ScalingPolicy\n" \
	"metadata: {name: bench}\nspec:\n" \
	"  job: {slotsPerTaskManager: 2, maxParallelism: 128}\n" \
	"  replicas: {min: 1, max: 40}\n" \
	"  behavior: {scaleUp: {policies: [{type: Percent, value: 10000, " \
	"period: 15s}]}}\n  rules:\n"

static const struct {
	const char *name, *rule;
} policies[] = {
	{ "cpu 65", "  - {type: cpu, utilization: 65}\n" },
	{ "busyRatio 0.7", "  - {type: busyRatio, target: 0.7}\n" },
	{ "backlog 20k", "  - {type: backlog, perTaskManager: \"20000\"}\n" },
	{ "throughput", "  - {type: throughput, utilization: 0.7, catchUp: "
	  "5m, restartTime: 30s}\n" },
};
#define NPOL (sizeof(policies) / sizeof(policies[0]))

struct step_stats {
	int rescales, above, while_stable;
	double to_stable, backlog;
};

struct pol_stats {
	struct step_stats s[NLOADS];
};

/* The smallest TaskManager count that sustains load at UTIL. */
static int sufficient(const struct fm_graph *g, double load)
{
	for (int n = 1; n <= MAXREP; n++)
		if (fm_max_read(g, n * SLOTS) * UTIL >= load)
			return n;
	return MAXREP;
}

static int run_policy(size_t k, size_t nsteps, const struct sim_trace *t,
		      struct pol_stats *ps, struct err *e)
{
	struct sim_opts o = { .period_ms = 15000, .initial = 2,
		.capacity = CAPACITY, .restart_ms = 30000, .pipeline = true,
		.partitions = PARTITIONS, .hot_key = HOT_KEY,
		.efficiency = EFFICIENCY };
	char yaml[1024];
	struct pol_file pf = { 0 };
	struct sim_result r = { 0 };
	struct fm_graph g;
	int rc;

	snprintf(yaml, sizeof(yaml), "%s%s", POLICY_HEAD, policies[k].rule);
	if ((rc = pol_parse("bench.yaml", yaml, strlen(yaml), &pf, e)))
		return rc;
	if ((rc = sim_run(&pf.v[0], t, &o, &r, e)))
		goto out;
	fm_graph_pipeline(&g, CAPACITY / SLOTS, PARTITIONS, HOT_KEY, EFFICIENCY,
			  128);
	memset(ps, 0, sizeof(*ps));
	for (size_t i = 0; i < r.n; i++) {
		const struct sim_row *w = &r.rows[i];
		size_t st = (size_t)(w->t / STEP);
		struct step_stats *x;
		int suff;

		if (st >= nsteps)
			break;
		x = &ps->s[st];
		suff = sufficient(&g, loads[st]);
		if (w->backlog > x->backlog)
			x->backlog = w->backlog;
		if (w->rescaled) {
			x->rescales++;
			x->to_stable = w->t - st * STEP + o.restart_ms / 1000.0;
			if (w->t - st * STEP >= 300 && w->replicas >= suff &&
			    w->replicas <= suff + 1)
				x->while_stable++;
		}
		x->above = (w->rescaled ? w->desired : w->replicas) - suff;
	}
out:
	sim_result_release(&r);
	pol_file_release(&pf);
	return rc;
}

static int make_trace(size_t nsteps, struct sim_trace *t, struct err *e)
{
	struct buf b = BUF_INIT(1 << 16);
	int rc = buf_adds(&b, "time,input_rate\n");

	for (size_t i = 0; !rc && i < nsteps; i++)
		rc = buf_addf(&b, "%zu,%g\n", i * STEP, loads[i]);
	if (!rc)
		rc = buf_addf(&b, "%zu,%g\n", nsteps * STEP - 1,
			      loads[nsteps - 1]);
	if (!rc)
		rc = sim_trace_parse(buf_str(&b), b.len, t, e);
	buf_release(&b);
	return rc;
}

static void print_steps(const struct pol_stats *ps, size_t nsteps)
{
	printf("%-5s %-7s", "step", "load/s");
	for (size_t k = 0; k < NPOL; k++)
		printf(" | %-26s", policies[k].name);
	printf("\n%-13s", "");
	for (size_t k = 0; k < NPOL; k++)
		printf(" | %3s %5s %5s %9s", "n", "above", "t(s)", "backlog");
	printf("\n");
	for (size_t i = 0; i < nsteps; i++) {
		printf("%-5zu %-7.0f", i + 1, loads[i]);
		for (size_t k = 0; k < NPOL; k++) {
			const struct step_stats *x = &ps[k].s[i];
			printf(" | %3d %+5d %5.0f %9.0f", x->rescales, x->above,
			       x->to_stable, x->backlog);
		}
		printf("\n");
	}
}

/* One line per policy: the figures the goals are about. */
static void print_summary(const struct pol_stats *ps, size_t nsteps)
{
	printf("\n| policy | rescales | steps with <= 1 rescale | most in a "
	       "step | most above smallest (end of step) | steps below "
	       "smallest | mean time to stable (s) | highest backlog | "
	       "rescales while stable |\n|---|---|---|---|---|---|---|---|---|\n");
	for (size_t k = 0; k < NPOL; k++) {
		int total = 0, one = 0, most = 0, above = -1000, below = 0, ws = 0;
		double t = 0, peak = 0;

		for (size_t i = 0; i < nsteps; i++) {
			const struct step_stats *x = &ps[k].s[i];
			total += x->rescales;
			one += x->rescales <= 1;
			most = x->rescales > most ? x->rescales : most;
			above = x->above > above ? x->above : above;
			below += x->above < 0;
			ws += x->while_stable;
			t += x->to_stable;
			peak = x->backlog > peak ? x->backlog : peak;
		}
		printf("| %s | %d | %d of %zu (%.0f%%) | %d | %+d | %d | %.0f | "
		       "%.0f | %d |\n", policies[k].name, total, one, nsteps,
		       100.0 * one / nsteps, most, above, below, t / nsteps,
		       peak, ws);
	}
}

int main(int argc, char **argv)
{
	static struct pol_stats ps[NPOL];
	size_t nsteps = NLOADS;
	struct sim_trace t;
	struct err e;

	err_clear(&e);
	if (argc == 3 && !strcmp(argv[1], "--sufficient")) {
		struct fm_graph g;

		fm_graph_pipeline(&g, CAPACITY / SLOTS, PARTITIONS, HOT_KEY,
				  EFFICIENCY, 128);
		printf("%d\n", sufficient(&g, atof(argv[2])));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--steps"))
		nsteps = (size_t)atoi(argv[2]);
	if (nsteps < 1 || nsteps > NLOADS) {
		fprintf(stderr, "bench_converge: --steps 1..%zu\n", NLOADS);
		return 2;
	}
	if (make_trace(nsteps, &t, &e)) {
		fprintf(stderr, "bench_converge: %s\n", e.msg);
		return 1;
	}
	for (size_t k = 0; k < NPOL; k++)
		if (run_policy(k, nsteps, &t, &ps[k], &e)) {
			fprintf(stderr, "bench_converge: %s: %s\n",
				policies[k].name, e.msg);
			sim_trace_release(&t);
			return 1;
		}
	printf("convergence: %zu load steps of %d s through flinkhpa-gen "
	       "simulate (pipeline: %g records/s per TaskManager of %d slots, "
	       "%d partitions, hot key %g, efficiency %g, restart 30 s, sync "
	       "15 s); n rescales, above the smallest count sustaining the "
	       "load at %.1f, t to stable, backlog peak\n\n", nsteps, STEP,
	       CAPACITY, SLOTS, PARTITIONS, HOT_KEY, EFFICIENCY, UTIL);
	print_steps(ps, nsteps);
	print_summary(ps, nsteps);
	sim_trace_release(&t);
	return 0;
}
