/*
 * simout.c - the simulation's timeline and SVG chart (see simulate.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen/simulate.h"

/* The target in the metric's own units (what the chart draws). */
static double sim_target(const struct pol_rule *r)
{
	if (r->target == TGT_UTILIZATION)
		return (double)r->utilization;
	return qty_scaled_value(&r->value, -3) / 1000.0;
}

/* What the HPA compares with the target: per replica for AverageValue
 * targets of Object and External metrics. */
static double sim_compared(const struct pol_rule *r, const struct sim_row *w,
			   size_t i)
{
	if (r->target == TGT_AVERAGE_VALUE &&
	    (r->source == SRC_DEPLOYMENT || r->source == SRC_EXTERNAL))
		return w->m[i] / (w->replicas > 0 ? w->replicas : 1);
	return w->m[i];
}

static int sim_header_line(const struct pol *p, struct buf *out)
{
	int rc = buf_addf(out, "%8s %8s", "time", "replicas");

	for (size_t i = 0; i < p->nrules && !rc; i++) {
		char t[QTY_STR_MAX], h[512];
		if (p->rules[i].target == TGT_UTILIZATION)
			snprintf(t, sizeof(t), "%lld%%",
				 (long long)p->rules[i].utilization);
		else
			qty_format(&p->rules[i].value, t, sizeof(t));
		snprintf(h, sizeof(h), "%s/%s", p->rules[i].metric, t);
		rc = buf_addf(out, "  %-*s", (int)(strlen(h) > 14 ? strlen(h) : 14), h);
	}
	return rc ? rc : buf_addf(out, "  %7s  %s\n", "desired", "event");
}

int sim_timeline(const struct pol *p, const struct sim_result *r,
		 struct buf *out)
{
	int rc = sim_header_line(p, out);

	for (size_t k = 0; k < r->n && !rc; k++) {
		const struct sim_row *w = &r->rows[k];
		rc = buf_addf(out, "%7.0fs %8d", w->t, w->replicas);
		for (size_t i = 0; i < p->nrules && !rc; i++) {
			char h[200], v[32];
			int width;
			snprintf(h, sizeof(h), "%s/", p->rules[i].metric);
			width = (int)strlen(h) + 6;
			if (width < 14)
				width = 14;
			if (w->valid[i])
				snprintf(v, sizeof(v), "%.4g", w->m[i]);
			else
				snprintf(v, sizeof(v), "-");
			rc = buf_addf(out, "  %-*s", width, v);
		}
		if (!rc)
			rc = buf_addf(out, "  %7d  %s\n", w->desired,
				      w->rescaled ? w->reason : "");
	}
	return rc;
}

/* ---- SVG ---- */

#define W 960.0
#define H 560.0
#define L 70.0   /* left margin */
#define R 30.0
#define P1T 50.0 /* metric panel */
#define P1B 270.0
#define P2T 320.0 /* replicas panel */
#define P2B 500.0

static double sx(double t, double tmax)
{
	return L + (W - L - R) * (tmax > 0 ? t / tmax : 0);
}

static double sy(double v, double vmax, double top, double bot)
{
	return bot - (bot - top) * (vmax > 0 ? v / vmax : 0);
}

static int svg_axes(struct buf *o, double tmax, double vmax, int32_t rmax,
		    const char *metric)
{
	int rc = 0;

	int32_t step = rmax > 10 ? (rmax + 4) / 5 : 1;

	for (int k = 0; k <= 4 && !rc; k++) {
		double y1 = sy(vmax * k / 4, vmax, P1T, P1B);
		rc = buf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			      "stroke=\"#e0e0e0\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
			      "font-size=\"11\" text-anchor=\"end\">%.3g</text>\n",
			      L, y1, W - R, y1, L - 6, y1 + 4, vmax * k / 4);
	}
	for (int32_t v = 0; v <= rmax && !rc; v += step) {
		double y2 = sy(v, rmax, P2T, P2B);
		rc = buf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			      "stroke=\"#e0e0e0\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
			      "font-size=\"11\" text-anchor=\"end\">%d</text>\n",
			      L, y2, W - R, y2, L - 6, y2 + 4, v);
	}
	for (int k = 0; k <= 4 && !rc; k++)
		rc = buf_addf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			      "text-anchor=\"middle\">%.0fs</text>\n",
			      sx(tmax * k / 4, tmax), P2B + 18, tmax * k / 4);
	if (!rc)
		rc = buf_addf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">%s "
			      "(blue) against its target (red, dashed)</text>\n"
			      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">replicas "
			      "(green); grey: rescales</text>\n", L, P1T - 10,
			      metric, L, P2T - 10);
	return rc;
}

static int svg_lines(struct buf *o, const struct pol *p,
		     const struct sim_result *r, double tmax, double vmax,
		     int32_t rmax)
{
	const struct pol_rule *rule = &p->rules[0];
	double ty = sy(sim_target(rule), vmax, P1T, P1B);
	int rc = buf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			  "y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"2\" "
			  "stroke-dasharray=\"6,4\"/>\n<polyline fill=\"none\" "
			  "stroke=\"#1f77b4\" stroke-width=\"2\" points=\"",
			  L, ty, W - R, ty);

	for (size_t k = 0; k < r->n && !rc; k++)
		if (r->rows[k].valid[0])
			rc = buf_addf(o, "%.1f,%.1f ", sx(r->rows[k].t, tmax),
				      sy(sim_compared(rule, &r->rows[k], 0),
					 vmax, P1T, P1B));
	rc = rc ? rc : buf_adds(o, "\"/>\n<polyline fill=\"none\" "
				"stroke=\"#2ca02c\" stroke-width=\"2\" points=\"");
	for (size_t k = 0; k < r->n && !rc; k++) {
		double x = sx(r->rows[k].t, tmax);
		double y = sy(r->rows[k].replicas, rmax, P2T, P2B);
		double y2 = sy(r->rows[k].desired, rmax, P2T, P2B);
		double x2 = k + 1 < r->n ? sx(r->rows[k + 1].t, tmax) : W - R;
		rc = buf_addf(o, "%.1f,%.1f %.1f,%.1f %.1f,%.1f ", x, y, x, y2,
			      x2, y2);
	}
	rc = rc ? rc : buf_adds(o, "\"/>\n");
	for (size_t k = 0; k < r->n && !rc; k++)
		if (r->rows[k].rescaled)
			rc = buf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				      "y2=\"%.1f\" stroke=\"#7f7f7f\" "
				      "stroke-dasharray=\"2,3\"/>\n",
				      sx(r->rows[k].t, tmax), P1T,
				      sx(r->rows[k].t, tmax), P2B);
	return rc;
}

int sim_svg(const struct pol *p, const struct sim_result *r, struct buf *out)
{
	double tmax = r->n ? r->rows[r->n - 1].t : 1, vmax;
	int32_t rmax = (int32_t)p->max_replicas;
	int rc;

	vmax = sim_target(&p->rules[0]) * 1.5;
	for (size_t k = 0; k < r->n; k++) {
		double v = sim_compared(&p->rules[0], &r->rows[k], 0);
		if (r->rows[k].valid[0] && v > vmax)
			vmax = v;
		if (r->rows[k].replicas > rmax)
			rmax = r->rows[k].replicas;
	}
	rmax += 1;
	rc = buf_addf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		      "font-family=\"sans-serif\">\n<rect width=\"100%%\" "
		      "height=\"100%%\" fill=\"white\"/>\n<text x=\"%.1f\" "
		      "y=\"24\" font-size=\"16\">flinkhpa-gen simulate: policy "
		      "%s, %lld to %lld replicas</text>\n", W, H, W, H, L,
		      p->name, (long long)p->min_replicas,
		      (long long)p->max_replicas);
	rc = rc ? rc : svg_axes(out, tmax, vmax, rmax, p->rules[0].metric);
	rc = rc ? rc : svg_lines(out, p, r, tmax, vmax, rmax);
	return rc ? rc : buf_adds(out, "</svg>\n");
}
