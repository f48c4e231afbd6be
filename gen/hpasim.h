/*
 * hpasim.h - the HorizontalPodAutoscaler controller's replica computation,
 * as kube-controller-manager does it (pkg/controller/podautoscaler:
 * replica_calculator.go and horizontal.go), for `flinkhpa-gen simulate`:
 *
 *   per metric   usage ratio against the target; within the tolerance
 *                (10%) the current count, else ceil(ratio x ready pods),
 *                or for AverageValue targets of Object and External
 *                metrics ceil(value / target)
 *   over metrics the highest count
 *   bounds       min and max replicas
 *   stabilize    scale up to the lowest, down to the highest of the
 *                recommendations within each direction's window
 *                (Kubernetes 1.21 and later); before 1.21 the direction
 *                of the new recommendation picks one window, so that a
 *                reading below the current count takes the highest
 *                recommendation of the scale-down window even when it
 *                is above the current count (kubernetes#96671)
 *   rate         each policy's limit from the replicas at the start of its
 *                period (scale events of that period), Max/Min/Disabled
 *
 * All in milli-units as the controller reads metrics (MilliValue), with the
 * same integer conversions.
 */
#ifndef FH_HPASIM_H
#define FH_HPASIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/policy.h"

#define HS_HISTORY 4096

/* One metric's reading at a sync: pods/resource metrics as the average per
 * pod (resource utilization in percent of the request), object/external
 * as the value. */
struct hs_reading {
	bool valid;
	double value;
};

struct hs_rec {
	int64_t t_ms;
	int32_t v;
};

struct hs_event {
	int64_t t_ms;
	int32_t change; /* > 0 up, < 0 down */
};

struct hs_rules {
	int32_t window_s;
	int select; /* 0 Max, 1 Min, 2 Disabled */
	struct pol_scaling_policy p[POL_MAX_BEHAVIOR_POLICIES];
	size_t n;
};

struct hs {
	int32_t min, max;
	struct hs_rules up, down;
	double tolerance;
	/* Kubernetes 1.18 to 1.20 (set after hs_init): stabilization with
	 * the one window of the new recommendation's direction */
	bool one_window;
	struct hs_rec rec[HS_HISTORY];
	size_t nrec;
	bool rec_init;
	struct hs_event ev[HS_HISTORY];
	size_t nev;
};

/* The policy's bounds and behavior, with the HPA's defaults for what it
 * leaves out (up: 0 s, Max of 4 pods and 100% per 15 s; down: 300 s,
 * 100% per 15 s). */
void hs_init(struct hs *h, const struct pol *p);

/* Replicas one metric asks for (the current count when it is within the
 * tolerance, or invalid). */
int32_t hs_metric_replicas(const struct pol_rule *r, struct hs_reading m,
			   int32_t current);

struct hs_step {
	int32_t metric_desired; /* max over valid metrics; current if none */
	int32_t desired;        /* after bounds, stabilization and rate */
	const char *reason;     /* the controller's condition reason */
	int metric;             /* the rule that asked for most; -1: none */
};

/* One sync at t_ms with readings[i] for p->rules[i].  Records the
 * recommendation and, when desired differs, the scale event. */
void hs_sync(struct hs *h, const struct pol *p,
	     const struct hs_reading *readings, int32_t current, int64_t t_ms,
	     struct hs_step *out);

#endif
