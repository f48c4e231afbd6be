/*
 * tput.c - the throughput computation (see tput.h).
 */
#include "model/tput.h"

#include <math.h>
#include <string.h>

#define TPUT_GROWTH 0.001 /* a backlog growing slower is steady (noise) */

/* Records out per record in of v (1 when it read nothing). */
static double tput_ratio(const struct tput_vertex *v)
{
	return v->in_rate > 0 ? v->out_rate / v->in_rate : 1;
}

static int tput_check(const struct tput_job *j, const struct tput_params *p)
{
	if (j->n < 1 || j->n > TPUT_MAX_VERTICES || !(p->utilization > 0) ||
	    p->utilization > 1 || !(p->catch_up_s > 0) || p->restart_s < 0 ||
	    p->slots < 1 || p->min_tms < 1 || p->max_tms < p->min_tms)
		return -1;
	for (int i = 0; i < j->n; i++) {
		const struct tput_vertex *v = &j->v[i];

		if (v->ninputs < 0 || v->ninputs > TPUT_MAX_INPUTS ||
		    v->parallelism < 1 || (v->source != (v->ninputs == 0)))
			return -1;
		for (int k = 0; k < v->ninputs; k++)
			if (v->inputs[k] < 0 || v->inputs[k] >= i)
				return -1;
	}
	return 0;
}

/* The busiest subtask's share when units spread by count over p. */
static double tput_share(int units, int p)
{
	return p >= units ? 1.0 / units : ceil((double)units / p) / units;
}

/* The hot share h of v's input at parallelism p over units, from the
 * busiest subtask's busy ratio against the mean (0 when unknown). */
static double tput_hot(const struct tput_vertex *v, int units, double busy,
		       double avg)
{
	double g = tput_share(units, v->parallelism), h;

	if (avg <= 0 || g >= 1)
		return 0;
	h = (busy / avg / v->parallelism - g) / (1 - g);
	return h < 0 ? 0 : h > 0.99 ? 0.99 : h;
}

/* The parallelism v needs for capacity needed at (floored) busy ratios. */
static int tput_parallelism(const struct tput_vertex *v, double needed,
			    double busy)
{
	int cap = v->max_parallelism > 0 ? v->max_parallelism : 1000000;
	int units = v->source && v->partitions > 0 ? v->partitions
		    : v->keyed && v->max_parallelism > 0 ? v->max_parallelism
		    : 0;
	double avg = v->busy_avg > 0 ? v->busy_avg : 0, c, raw, h;

	if (avg > 0 && avg < TPUT_MIN_BUSY)
		avg = TPUT_MIN_BUSY;
	if (v->in_rate <= 0) /* reads nothing: needs nothing or no data */
		return needed > 0 ? v->parallelism : 1;
	if (!units) {
		raw = ceil(needed / (v->in_rate / busy / v->parallelism) - 1e-9);
		return raw < 1 ? 1 : raw > cap ? cap : (int)raw;
	}
	h = tput_hot(v, units, busy, avg);
	/* a subtask's capacity, from the busiest's share and busy ratio */
	c = v->in_rate * (h + (1 - h) * tput_share(units, v->parallelism)) /
	    busy;
	for (int q = 1; q <= units && q <= cap; q++)
		if (needed * (h + (1 - h) * tput_share(units, q)) <=
		    c * (1 + 1e-9))
			return q;
	return units < cap ? units : cap;
}

/* Target and catch-up rates, in topological order. */
static void tput_rates(const struct tput_job *j, const struct tput_params *p,
		       struct tput_result *r, double *gain)
{
	double src = 0, extra;

	for (int i = 0; i < j->n; i++)
		if (j->v[i].source)
			src += j->v[i].in_rate;
	r->target_rate = src + j->growth > 0 ? src + j->growth : 0;
	/* the restart's own backlog is the restart term's */
	extra = j->backlog - r->target_rate * p->restart_s;
	for (int i = 0; i < j->n; i++) {
		const struct tput_vertex *v = &j->v[i];
		struct tput_vresult *x = &r->v[i];
		double share = src > 0 ? v->in_rate / src : 1.0 / j->n;

		if (v->source) {
			gain[i] = 1;
			x->target = r->target_rate * share;
			x->catch_up = extra > 0 ? extra / p->catch_up_s * share : 0;
			continue;
		}
		gain[i] = x->target = x->catch_up = 0;
		for (int k = 0; k < v->ninputs; k++) {
			int u = v->inputs[k];
			double q = tput_ratio(&j->v[u]);

			gain[i] += gain[u] * q;
			x->target += r->v[u].target * q;
			x->catch_up += r->v[u].catch_up * q;
		}
	}
}

/* Per vertex: the TPR, the capacity needed and the parallelism. */
static void tput_vertex(const struct tput_vertex *v, const struct tput_params *p,
			struct tput_vresult *x)
{
	double busy = v->busy > TPUT_MIN_BUSY ? v->busy : TPUT_MIN_BUSY;
	double catch_up;

	x->tpr = v->in_rate / busy / v->parallelism;
	x->needed = x->target / p->utilization;
	catch_up = x->target + x->catch_up +
		   x->target * p->restart_s / p->catch_up_s;
	if (catch_up > x->needed) /* the headroom would not catch up */
		x->needed = catch_up;
	x->required = tput_parallelism(v, x->needed, busy);
}

int tput_compute(const struct tput_job *j, const struct tput_params *p,
		 struct tput_result *r)
{
	double gain[TPUT_MAX_VERTICES];
	int tms;

	if (tput_check(j, p))
		return -1;
	memset(r, 0, sizeof(*r));
	tput_rates(j, p, r, gain);
	r->true_rate = INFINITY;
	for (int i = 0; i < j->n; i++) {
		struct tput_vresult *x = &r->v[i];
		double busy = j->v[i].busy > TPUT_MIN_BUSY ? j->v[i].busy
							   : TPUT_MIN_BUSY;

		tput_vertex(&j->v[i], p, x);
		if (gain[i] > 0 && j->v[i].in_rate / busy / gain[i] < r->true_rate)
			r->true_rate = j->v[i].in_rate / busy / gain[i];
		if (x->required > r->required_parallelism) {
			r->required_parallelism = x->required;
			r->bottleneck = i;
		}
	}
	if (isinf(r->true_rate))
		r->true_rate = 0;
	tms = (r->required_parallelism + p->slots - 1) / p->slots;
	if (p->current_tms > 0 && tms < p->current_tms &&
	    (j->growth > TPUT_GROWTH * r->target_rate ||
	     j->backlog > r->target_rate * p->restart_s)) {
		tms = p->current_tms; /* no scale-down while catching up */
		r->held = true;
	}
	r->required_tms = tms < p->min_tms ? p->min_tms
			  : tms > p->max_tms ? p->max_tms : tms;
	return 0;
}

double tput_hpa_value(const struct tput_result *r, const struct tput_params *p,
		      double tolerance)
{
	double cur = p->current_tms, v = r->required_tms, push;

	if (cur <= 0)
		return v;
	if (r->required_tms >= p->max_tms && cur < p->max_tms) {
		push = floor(cur * (1 + tolerance)) + 1;
		return push > v ? push : v;
	}
	if (r->required_tms <= p->min_tms && cur > p->min_tms) {
		push = ceil(cur * (1 - tolerance)) - 1;
		if (push < 0)
			push = 0;
		return push < v ? push : v;
	}
	return v;
}
