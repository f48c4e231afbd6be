/*
 * hpasim.c - the HPA controller's replica computation (see hpasim.h).
 * Function names follow horizontal.go where they mirror one of its.
 */
#include "gen/hpasim.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static int32_t i32min(int32_t a, int32_t b) { return a < b ? a : b; }
static int32_t i32max(int32_t a, int32_t b) { return a > b ? a : b; }

static void hs_rules_from(struct hs_rules *r, const struct pol_behavior_side *s,
			  bool up)
{
	memset(r, 0, sizeof(*r));
	/* GenerateHPAScaleUpRules / GenerateHPAScaleDownRules */
	r->window_s = up ? 0 : 300;
	if (up) {
		r->p[r->n++] = (struct pol_scaling_policy){ 0, 4, 15 };
		r->p[r->n++] = (struct pol_scaling_policy){ 1, 100, 15 };
	} else {
		r->p[r->n++] = (struct pol_scaling_policy){ 1, 100, 15 };
	}
	if (!s->given)
		return;
	if (s->have_window)
		r->window_s = (int32_t)s->window_s;
	if (s->have_select)
		r->select = s->select;
	if (s->npolicies) {
		memcpy(r->p, s->policies, s->npolicies * sizeof(r->p[0]));
		r->n = s->npolicies;
	}
}

void hs_init(struct hs *h, const struct pol *p)
{
	memset(h, 0, sizeof(*h));
	h->min = (int32_t)p->min_replicas;
	h->max = (int32_t)p->max_replicas;
	h->tolerance = 0.1;
	hs_rules_from(&h->up, &p->up, true);
	hs_rules_from(&h->down, &p->down, false);
}

static int64_t hs_milli(double v)
{
	return (int64_t)ceil(v * 1000 - 1e-9);
}

int32_t hs_metric_replicas(const struct pol_rule *r, struct hs_reading m,
			   int32_t current)
{
	double ratio;
	int64_t target;

	if (!m.valid || current <= 0)
		return current;
	if (r->target == TGT_UTILIZATION) {
		/* GetResourceReplicas: integer percent of the requests */
		ratio = (double)(int64_t)m.value / (double)r->utilization;
	} else {
		target = qty_scaled_value(&r->value, -3);
		if (target <= 0)
			return current;
		if (r->target == TGT_AVERAGE_VALUE &&
		    (r->source == SRC_DEPLOYMENT || r->source == SRC_EXTERNAL)) {
			/* GetObjectPerPodMetricReplicas, external per pod */
			ratio = (double)hs_milli(m.value) /
				((double)target * current);
			if (fabs(1.0 - ratio) <= 0.1)
				return current;
			return (int32_t)ceil((double)hs_milli(m.value) /
					     (double)target);
		}
		ratio = (double)hs_milli(m.value) / (double)target;
	}
	if (fabs(1.0 - ratio) <= 0.1)
		return current;
	return (int32_t)ceil(ratio * current);
}

static int32_t hs_changes(const struct hs *h, int64_t now, int32_t period_s,
			  bool up)
{
	int32_t sum = 0;

	for (size_t i = 0; i < h->nev; i++)
		if (h->ev[i].t_ms > now - period_s * 1000L &&
		    (h->ev[i].change > 0) == up)
			sum += up ? h->ev[i].change : -h->ev[i].change;
	return sum;
}

/* calculateScaleUpLimitWithScalingRules and
 * calculateScaleDownLimitWithBehaviors: each policy proposes a limit from
 * the replicas at the start of its period; Max picks the largest change
 * (the highest limit up, the lowest down), Min the smallest. */
static int32_t hs_limit(const struct hs *h, int32_t cur, int64_t now, bool up)
{
	const struct hs_rules *r = up ? &h->up : &h->down;
	bool highest = (r->select == 1) != up;
	int32_t res = highest ? INT_MIN : INT_MAX;

	if (r->select == 2)
		return cur;
	for (size_t i = 0; i < r->n; i++) {
		int32_t period = (int32_t)r->p[i].period_s;
		int32_t start = cur - hs_changes(h, now, period, true) +
				hs_changes(h, now, period, false);
		int32_t prop;
		if (r->p[i].type == 0)
			prop = up ? start + (int32_t)r->p[i].value
				  : start - (int32_t)r->p[i].value;
		else if (up)
			prop = (int32_t)ceil(start * (1 + r->p[i].value / 100.0));
		else
			prop = (int32_t)(start * (1 - r->p[i].value / 100.0));
		res = highest ? i32max(res, prop) : i32min(res, prop);
	}
	return res;
}

static void hs_record(struct hs *h, int32_t v, int64_t now, int64_t up_cut,
		      int64_t down_cut)
{
	for (size_t i = 0; i < h->nrec; i++) {
		if (h->rec[i].t_ms < up_cut && h->rec[i].t_ms < down_cut) {
			h->rec[i] = (struct hs_rec){ now, v };
			return;
		}
	}
	if (h->nrec < HS_HISTORY)
		h->rec[h->nrec++] = (struct hs_rec){ now, v };
}

/* stabilizeRecommendationWithBehaviors.  up is the lowest recommendation
 * of the scale-up window, down the highest of the scale-down window (each
 * with the new one).  From 1.21 the current count is kept within
 * [up, down] (the envelope).  Before, the new recommendation's direction
 * picked one of them, and down may be above the current count: the HPA
 * then scales up with "All metrics below target" (kubernetes#96671). */
static int32_t hs_stabilize(struct hs *h, int32_t desired, int32_t cur,
			    int64_t now)
{
	int64_t up_cut = now - h->up.window_s * 1000L;
	int64_t down_cut = now - h->down.window_s * 1000L;
	int32_t up = desired, down = desired, rec = cur;

	for (size_t i = 0; i < h->nrec; i++) {
		if (h->rec[i].t_ms > up_cut)
			up = i32min(h->rec[i].v, up);
		if (h->rec[i].t_ms > down_cut)
			down = i32max(h->rec[i].v, down);
	}
	hs_record(h, desired, now, up_cut, down_cut);
	if (h->one_window)
		return desired >= cur ? up : down;
	if (rec < up)
		rec = up;
	if (rec > down)
		rec = down;
	return rec;
}

/* convertDesiredReplicasWithBehaviorRate */
static int32_t hs_rate(const struct hs *h, int32_t desired, int32_t cur,
		       int64_t now, const char **reason)
{
	*reason = "DesiredWithinRange";
	if (desired > cur) {
		int32_t lim = i32max(hs_limit(h, cur, now, true), cur);
		int32_t allowed = h->max;
		const char *why = "TooManyReplicas";
		if (allowed > lim)
			allowed = lim, why = "ScaleUpLimit";
		if (desired > allowed)
			return *reason = why, allowed;
	} else if (desired < cur) {
		int32_t lim = i32min(hs_limit(h, cur, now, false), cur);
		int32_t allowed = h->min;
		const char *why = "TooFewReplicas";
		if (allowed < lim)
			allowed = lim, why = "ScaleDownLimit";
		if (desired < allowed)
			return *reason = why, allowed;
	}
	return desired;
}

/* Events older than any period (30 min at most) no longer count. */
static void hs_forget(struct hs *h, int64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < h->nev; i++)
		if (h->ev[i].t_ms > now - 1800 * 1000L)
			h->ev[k++] = h->ev[i];
	h->nev = k;
}

void hs_sync(struct hs *h, const struct pol *p,
	     const struct hs_reading *readings, int32_t current, int64_t t_ms,
	     struct hs_step *out)
{
	int32_t want = -1;

	out->metric = -1;
	for (size_t i = 0; i < p->nrules; i++) {
		if (!readings[i].valid)
			continue;
		int32_t r = hs_metric_replicas(&p->rules[i], readings[i], current);
		if (r > want)
			want = r, out->metric = (int)i;
	}
	out->metric_desired = want < 0 ? current : want;
	/* reconcileAutoscaler: out of bounds goes straight to the bound */
	if (current > h->max || current < h->min) {
		out->desired = current > h->max ? h->max : h->min;
		out->reason = current > h->max ? "TooManyReplicas"
					       : "TooFewReplicas";
	} else {
		/* maybeInitScaleDownStabilizationWindow */
		if (!h->rec_init && h->down.window_s > 0 &&
		    h->nrec < HS_HISTORY)
			h->rec[h->nrec++] = (struct hs_rec){ t_ms, current };
		h->rec_init = true;
		want = hs_stabilize(h, out->metric_desired, current, t_ms);
		out->desired = hs_rate(h, want, current, t_ms, &out->reason);
	}
	if (out->desired != current && h->nev == HS_HISTORY)
		hs_forget(h, t_ms);
	if (out->desired != current && h->nev < HS_HISTORY)
		h->ev[h->nev++] = (struct hs_event){ t_ms,
						     out->desired - current };
}
