/*
 * test_hpasim.c - the HPA algorithm of `flinkhpa-gen simulate` against the
 * worked examples of the Kubernetes documentation (Horizontal Pod
 * Autoscaling: algorithm details, scaling policies, stabilization window,
 * default behavior) and the controller's code paths they describe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "gen/hpasim.h"
#include "gen/policy.h"
#include "gen/simulate.h"
#include "model/tput.h"

static struct pol_file pf;

static const struct pol *load(const char *yaml)
{
	struct err e;

	err_clear(&e);
	pol_file_release(&pf);
	if (pol_parse("test.yaml", yaml, strlen(yaml), &pf, &e))
		fail_msg("%lu:%lu: %s", e.line, e.col, e.msg);
	return &pf.v[0];
}

#define HEAD "apiVersion: flinkhpa.io/v1\nkind: ScalingPolicy\n" \
	     "metadata: {name: t}\nspec:\n  job: {}\n"

/* "if the current metric value is 200m, and the desired value is 100m,
 * the number of replicas will be doubled ... If the current value is
 * instead 50m, you'll halve the number of replicas" */
static void ratio_doubles_and_halves(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {max: 100}\n  rules:\n"
		"  - {type: custom, metric: m, averageValue: 100m}\n");
	(void)state;
	assert_int_equal(hs_metric_replicas(&p->rules[0],
		(struct hs_reading){ true, 0.2 }, 4), 8);
	assert_int_equal(hs_metric_replicas(&p->rules[0],
		(struct hs_reading){ true, 0.05 }, 4), 2);
	/* desiredReplicas = ceil[currentReplicas * ( currentMetricValue /
	 * desiredMetricValue )]: 3 x 1.5 = 4.5 -> 5 */
	assert_int_equal(hs_metric_replicas(&p->rules[0],
		(struct hs_reading){ true, 0.15 }, 3), 5);
}

/* "If the ratio is sufficiently close to 1.0 (within a globally-
 * configurable tolerance, 0.1 by default), the control plane skips any
 * scaling action" */
static void tolerance(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {max: 100}\n  rules:\n"
		"  - {type: cpu, utilization: 50}\n"
		"  - {type: custom, metric: m, source: deployment, averageValue: 10}\n");
	(void)state;
	assert_int_equal(hs_metric_replicas(&p->rules[0],
		(struct hs_reading){ true, 54 }, 6), 6);
	assert_int_equal(hs_metric_replicas(&p->rules[0],
		(struct hs_reading){ true, 56 }, 6), 7);
	/* utilization is an integer percent: 55.9 reads as 55, within 10% */
	assert_int_equal(hs_metric_replicas(&p->rules[0],
		(struct hs_reading){ true, 55.9 }, 10), 11);
	assert_int_equal(hs_metric_replicas(&p->rules[0],
		(struct hs_reading){ false, 500 }, 6), 6);
	/* Object AverageValue: ceil(value / target), tolerance per pod */
	assert_int_equal(hs_metric_replicas(&p->rules[1],
		(struct hs_reading){ true, 105 }, 10), 10);
	assert_int_equal(hs_metric_replicas(&p->rules[1],
		(struct hs_reading){ true, 250 }, 10), 25);
}

static int32_t step(struct hs *h, const struct pol *p, double v, int32_t cur,
		    int64_t t_s, const char **reason)
{
	struct hs_reading r[POL_MAX_RULES] = { { true, v } };
	struct hs_step st;

	hs_sync(h, p, r, cur, t_s * 1000, &st);
	if (reason)
		*reason = st.reason;
	return st.desired;
}

/* The scaling policy example: Percent 10 and Pods 5 per 60 s, Max:
 * "In the example of 80 replicas, and the target has to be scaled down to
 * 10 replicas then during the first step 8 replicas will be reduced. In
 * the next iteration when the number of replicas is 72, 10% of the pods is
 * 7.2 but the number is rounded up to 8." */
static void scale_down_policies(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {min: 10, max: 100}\n"
		"  rules: [{type: custom, metric: m, averageValue: 1}]\n"
		"  behavior:\n    scaleDown:\n      stabilizationWindow: 0s\n"
		"      policies:\n      - {type: Percent, value: 10, period: 60s}\n"
		"      - {type: Pods, value: 5, period: 60s}\n");
	static const int32_t want[] = { 72, 64, 57, 51, 45, 40, 35, 30, 25,
					20, 15, 10, 10 };
	struct hs h;
	int32_t cur = 80;
	const char *why;
	(void)state;

	hs_init(&h, p);
	for (int k = 0; k < 13; k++) {
		/* the metric asks for 1; min is 10 */
		cur = step(&h, p, 0.01, cur, k * 60, &why);
		assert_int_equal(cur, want[k]);
		if (cur > 10) {
			assert_string_equal(why, "ScaleDownLimit");
			/* within the period, no further step */
			assert_int_equal(step(&h, p, 0.01, cur,
					      k * 60 + 30, NULL), cur);
		}
	}
}

/* Default behavior: scale up by at most max(4 pods, 100%) per 15 s, with
 * no stabilization; scale down to the highest recommendation of the last
 * 300 s, then by up to 100% per 15 s. */
static void default_behavior(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {min: 1, max: 50}\n"
		"  rules: [{type: custom, metric: m, averageValue: 1}]\n");
	struct hs h;
	const char *why;
	int32_t cur = 1;
	(void)state;

	hs_init(&h, p);
	cur = step(&h, p, 20, cur, 0, &why);   /* asks for 20 */
	assert_int_equal(cur, 5);              /* 1 + 4 pods beats 100% */
	assert_string_equal(why, "ScaleUpLimit");
	cur = step(&h, p, 4, cur, 15, &why);   /* 20 again: 5 x 4 */
	assert_int_equal(cur, 10);             /* 100% beats 4 pods */
	cur = step(&h, p, 2, cur, 30, &why);
	assert_int_equal(cur, 20);
	/* load gone: asks for 1, but 20 was recommended within 300 s */
	for (int64_t t = 45; t < 330; t += 15)
		assert_int_equal(step(&h, p, 0.05, cur, t, NULL), 20);
	cur = step(&h, p, 0.05, cur, 345, &why); /* recs of 1 only now */
	assert_int_equal(cur, 1);
	assert_string_equal(why, "DesiredWithinRange");
}

/* min/max, Disabled, and the stabilization window of scale-up. */
static void bounds_and_disabled(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {min: 2, max: 6}\n"
		"  rules: [{type: custom, metric: m, averageValue: 1}]\n"
		"  behavior:\n    scaleUp: {stabilizationWindow: 60s}\n"
		"    scaleDown: {selectPolicy: Disabled}\n");
	struct hs h;
	const char *why;
	(void)state;

	hs_init(&h, p);
	assert_int_equal(step(&h, p, 1, 3, 0, NULL), 3);
	/* up: the lowest recommendation of the last 60 s (3) holds */
	assert_int_equal(step(&h, p, 3, 3, 30, NULL), 3);
	assert_int_equal(step(&h, p, 3, 3, 61, &why), 6); /* 9, capped */
	assert_string_equal(why, "TooManyReplicas");
	/* down is disabled */
	assert_int_equal(step(&h, p, 0.1, 6, 400, NULL), 6);
	/* below min: min */
	hs_init(&h, p);
	assert_int_equal(step(&h, p, 1, 1, 0, NULL), 2);
}

/* sim_run over the trace csv into r (release it with sim_result_release). */
static void run_csv(const struct pol *p, const char *csv,
		    const struct sim_opts *o, struct sim_result *r)
{
	struct sim_trace t;
	struct err e;

	err_clear(&e);
	assert_int_equal(sim_trace_parse(csv, strlen(csv), &t, &e), 0);
	assert_int_equal(sim_run(p, &t, o, r, &e), 0);
	sim_trace_release(&t);
}

/* The model closes the loop: a spike scales up, calm scales down after
 * the window; no metrics while the job restarts. */
static void model_run(const struct pol *p, int64_t restart_ms,
		      int32_t *peak, int32_t *last, bool *blind)
{
	const char *csv = "time,input_rate\n0,500\n60,2500\n300,500\n600,500\n";
	struct sim_opts o = { .period_ms = 15000, .capacity = 1000,
			       .restart_ms = restart_ms };
	struct sim_result r;

	run_csv(p, csv, &o, &r);
	assert_int_equal(r.rows[0].replicas, 1);
	*peak = 0;
	*blind = true;
	for (size_t k = 0; k < r.n; k++) {
		if (r.rows[k].replicas > *peak)
			*peak = r.rows[k].replicas;
		if (k && r.rows[k - 1].rescaled && r.rows[k].valid[0])
			*blind = false;
	}
	*last = r.rows[r.n - 1].replicas;
	sim_result_release(&r);
}

static void model_loop(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {min: 1, max: 5}\n"
		"  rules: [{type: busyRatio, target: 0.6}]\n"
		"  behavior: {scaleDown: {stabilizationWindow: 60s}}\n");
	int32_t peak, last;
	bool blind;
	(void)state;

	/* a restart shorter than the sync: 2500/s needs 2.5 x 1000 at 0.6,
	 * and 500/s one TaskManager again */
	model_run(p, 5000, &peak, &last, &blind);
	assert_true(peak >= 3);
	assert_int_equal(last, 1);
	assert_false(blind);
	/* a restart longer than the sync: the HPA reads nothing meanwhile */
	model_run(p, 20000, &peak, &last, &blind);
	assert_true(blind);
}

/* A spike the scale-up window holds, then a reading below target (what
 * tests/e2e/stabilize.sh drives through a real 1.20 controller): from
 * 1.21 nothing moves; before, the reading below target takes the highest
 * recommendation of the 300 s scale-down window and scales UP
 * (kubernetes#96671); with no scale-down window nothing moves either. */
static void one_window_run(const struct pol *p, int minor, int32_t want,
			   const char *event)
{
	const char *csv = "time,flink_tm_busy_ratio\n0,0.15\n10,1.0\n"
			  "15,0.225\n60,0.225\n";
	struct sim_opts o = { .period_ms = 5000, .kube_minor = minor };
	struct sim_result r;
	size_t k;

	run_csv(p, csv, &o, &r);
	for (k = 0; k < r.n && !r.rows[k].rescaled; k++)
		assert_int_equal(r.rows[k].replicas, 2);
	assert_int_equal(r.rows[r.n - 1].replicas, want);
	if (event) {
		assert_true(k < r.n);
		assert_float_equal(r.rows[k].t, 15, 1e-9);
		assert_string_equal(r.rows[k].reason, event);
	} else {
		assert_int_equal(k, r.n);
	}
	sim_result_release(&r);
}

static void one_window_before_121(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {min: 2, max: 5}\n"
		"  rules: [{type: busyRatio, target: 0.6}]\n"
		"  behavior: {scaleUp: {stabilizationWindow: 10s}}\n");
	(void)state;

	one_window_run(p, 0, 2, NULL);
	one_window_run(p, 21, 2, NULL);
	one_window_run(p, 20, 4, "New size: 4; reason: All metrics below "
		       "target");
	one_window_run(p, 18, 4, "New size: 4; reason: All metrics below "
		       "target");
	p = load(HEAD "  replicas: {min: 2, max: 5}\n"
		 "  rules: [{type: busyRatio, target: 0.6}]\n"
		 "  behavior: {scaleUp: {stabilizationWindow: 10s}, "
		 "scaleDown: {stabilizationWindow: 0s}}\n");
	one_window_run(p, 20, 2, NULL);
}

static void kube_versions(void **state)
{
	static const struct { const char *v; int minor; } ok[] = {
		{ "1.20", 20 }, { "v1.20.2", 20 }, { "1.18", 18 },
		{ "1.36.0", 36 },
	};
	static const char *const bad[] = { "", "1", "1.", "2.20", "1.x",
		"1.20.", "1.20.2.", "v1.20-rc1", "1.17", "1.9", "1.99999" };
	struct err e;
	int minor;
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		minor = 0;
		err_clear(&e);
		assert_int_equal(sim_kube_minor(ok[i].v, &minor, &e), 0);
		assert_int_equal(minor, ok[i].minor);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(sim_kube_minor(bad[i], &minor, &e), ERR_INVAL);
		assert_non_null(strstr(e.msg, "kubernetes-version"));
	}
}

static void trace_errors(void **state)
{
	struct sim_trace t;
	struct err e;
	(void)state;

	err_clear(&e);
	assert_int_equal(sim_trace_parse("t,x\n", 4, &t, &e), ERR_INVAL);
	assert_int_equal(e.line, 1);
	assert_int_equal(sim_trace_parse("time,x\n0,1\n0,2\n", 15, &t, &e),
			 ERR_INVAL);
	assert_int_equal(e.line, 3);
	assert_int_equal(sim_trace_parse("time,x\n0,abc\n", 13, &t, &e),
			 ERR_INVAL);
	assert_non_null(strstr(e.msg, "x: \"abc\" is not a number"));
	assert_int_equal(sim_trace_parse("time,x\n0,1,2\n", 13, &t, &e),
			 ERR_INVAL);
	assert_int_equal(sim_trace_parse("time,x\n", 7, &t, &e), ERR_INVAL);
}

/* The throughput rule: an Object metric on the Deployment with an
 * AverageValue target of 1, so one sync lands on the served count
 * (ceil(value / 1)) whenever the change exceeds the tolerance; at the
 * bounds tput_hpa_value pushes past it, so the HPA reaches max and min
 * from any count (KEDA #2908: stuck at 63 of 64). */
static void throughput_one_sync(void **state)
{
	const struct pol *p = load(HEAD "  replicas: {min: 2, max: 64}\n"
		"  rules:\n  - {type: throughput}\n"
		"  behavior: {scaleUp: {policies: [{type: Percent, value: 10000, "
		"period: 15s}]}, scaleDown: {stabilizationWindow: 0s}}\n");
	const struct pol_rule *r = &p->rules[0];

	(void)state;
	assert_int_equal(r->source, SRC_DEPLOYMENT);
	assert_int_equal(r->target, TGT_AVERAGE_VALUE);
	assert_string_equal(r->metric, "flink_job_required_taskmanagers");
	assert_float_equal(r->tput_utilization, 0.7, 1e-12); /* defaults */
	assert_int_equal(r->catch_up_ms, 300000);
	assert_int_equal(r->restart_ms, 30000);
	for (int cur = 2; cur <= 64; cur++) {
		for (int need = 2; need <= 64; need++) {
			struct tput_params tp = { 0.7, 300, 30, 2, 2, 64, cur };
			struct tput_result res = { .required_tms = need };
			struct hs_reading rd = { true, 0 };
			struct hs *h = calloc(1, sizeof(*h));
			struct hs_step st;
			/* as the controller: |1 - ratio| <= 0.1 in doubles */
			bool within = fabs(1 - (double)need / cur) <= 0.1;

			assert_non_null(h);
			hs_init(h, p);
			rd.value = tput_hpa_value(&res, &tp, 0.1);
			hs_sync(h, p, &rd, cur, 0, &st);
			if (need == 64 || need == 2 || !within)
				assert_int_equal(st.desired, need);
			else /* the HPA's tolerance: < 10% is not worth a restart */
				assert_int_equal(st.desired, cur);
			free(h);
		}
	}
}

static int teardown(void **state)
{
	(void)state;
	pol_file_release(&pf);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ratio_doubles_and_halves),
		cmocka_unit_test(tolerance),
		cmocka_unit_test(scale_down_policies),
		cmocka_unit_test(default_behavior),
		cmocka_unit_test(bounds_and_disabled),
		cmocka_unit_test(model_loop),
		cmocka_unit_test(one_window_before_121),
		cmocka_unit_test(kube_versions),
		cmocka_unit_test(trace_errors),
		cmocka_unit_test(throughput_one_sync),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
