/*
 * simulate.c - replaying a trace through the HPA's algorithm, with an
 * optional workload model closing the loop (see simulate.h).
 */
#include "gen/simulate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "gen/hpasim.h"
#include "model/tput.h"

#define SIM_MAX_TRACE (16u << 20)

/* ---- the trace ---- */

void sim_trace_release(struct sim_trace *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->t);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* The next comma-separated cell of line, trimmed; NULL at the end. */
static char *sim_cell(char **line)
{
	char *c = *line, *end;

	if (!c)
		return NULL;
	end = strchr(c, ',');
	*line = end ? end + 1 : NULL;
	if (end)
		*end = '\0';
	while (*c == ' ' || *c == '\t')
		c++;
	for (end = c + strlen(c); end > c && strchr(" \t\r", end[-1]); end--)
		end[-1] = '\0';
	return c;
}

static int sim_header(struct sim_trace *t, char *line, struct err *e)
{
	char *c = sim_cell(&line);

	if (!c || strcmp(c, "time"))
		return err_set_at(e, ERR_INVAL, 1, 1, "the header must start "
				  "with \"time\"");
	while ((c = sim_cell(&line))) {
		if (!*c)
			return err_set_at(e, ERR_INVAL, 1, 1, "column %zu has "
					  "no name", t->ncols + 2);
		for (size_t i = 0; i < t->ncols; i++)
			if (!strcmp(t->cols[i], c))
				return err_set_at(e, ERR_INVAL, 1, 1, "column "
						  "\"%s\" twice", c);
		if (t->ncols == SIM_MAX_COLS)
			return err_set_at(e, ERR_LIMIT, 1, 1, "more than %d "
					  "columns", SIM_MAX_COLS);
		if (!(t->cols[t->ncols++] = strdup(c)))
			return err_set(e, ERR_NOMEM, "out of memory");
	}
	if (!t->ncols)
		return err_set_at(e, ERR_INVAL, 1, 1, "no column after time");
	return 0;
}

static int sim_number(const char *c, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(c, &end);
	return !*c || *end || errno || !isfinite(*v) ? -1 : 0;
}

static int sim_row(struct sim_trace *t, char *line, unsigned long ln,
		   struct err *e)
{
	size_t r = t->nrows, i = 0;
	char *c = sim_cell(&line);
	double v;

	if (r == SIM_MAX_ROWS)
		return err_set_at(e, ERR_LIMIT, ln, 1, "more than %d rows",
				  SIM_MAX_ROWS);
	if (sim_number(c, &v) || v < 0 || (r && v <= t->t[r - 1]))
		return err_set_at(e, ERR_INVAL, ln, 1, "time: \"%s\" is not a "
				  "number of seconds after the previous row's",
				  c);
	if (v > SIM_MAX_SECONDS)
		return err_set_at(e, ERR_LIMIT, ln, 1, "time: %s s is past the "
				  "longest trace simulated (%d s, 31 days)", c,
				  SIM_MAX_SECONDS);
	t->t[r] = v;
	for (; (c = sim_cell(&line)); i++) {
		if (i == t->ncols)
			return err_set_at(e, ERR_INVAL, ln, 1, "more cells "
					  "than columns");
		if (!*c)
			v = NAN;
		else if (sim_number(c, &v))
			return err_set_at(e, ERR_INVAL, ln, 1, "%s: \"%s\" is "
					  "not a number", t->cols[i], c);
		else if (v < 0 && strcmp(t->cols[i], "input_rate") == 0)
			return err_set_at(e, ERR_INVAL, ln, 1, "input_rate: %s "
					  "is negative", c);
		t->v[r * t->ncols + i] = v;
	}
	for (; i < t->ncols; i++)
		t->v[r * t->ncols + i] = NAN;
	t->nrows++;
	return 0;
}

int sim_trace_parse(const char *text, size_t n, struct sim_trace *t,
		    struct err *e)
{
	char *copy = malloc(n + 1), *save = NULL, *line;
	unsigned long ln = 0;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (!copy)
		return err_set(e, ERR_NOMEM, "out of memory");
	memcpy(copy, text, n);
	copy[n] = '\0';
	if (strlen(copy) != n)
		rc = err_set(e, ERR_INVAL, "the trace has a NUL byte");
	for (line = strtok_r(copy, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		ln++;
		if (!*line || *line == '#' || !strcmp(line, "\r"))
			continue;
		if (!t->ncols) {
			rc = sim_header(t, line, e);
			t->t = calloc(SIM_MAX_ROWS, sizeof(double));
			t->v = calloc((size_t)SIM_MAX_ROWS * t->ncols + 1,
				      sizeof(double));
			if (!rc && (!t->t || !t->v))
				rc = err_set(e, ERR_NOMEM, "out of memory");
		} else {
			rc = sim_row(t, line, ln, e);
		}
	}
	if (!rc && !t->nrows)
		rc = err_set(e, ERR_INVAL, "the trace has no rows");
	free(copy);
	if (rc)
		sim_trace_release(t);
	return rc;
}

int sim_trace_load(const char *path, struct sim_trace *t, struct err *e)
{
	struct buf b = BUF_INIT(SIM_MAX_TRACE);
	int rc = buf_add_file(&b, path, e);

	if (!rc)
		rc = sim_trace_parse(buf_str(&b), b.len, t, e);
	buf_release(&b);
	return rc;
}

static int sim_col(const struct sim_trace *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i], name))
			return (int)i;
	return -1;
}

/* Column c at time s: the last row at or before s. */
static double sim_at(const struct sim_trace *t, int c, double s)
{
	double v = NAN;

	for (size_t r = 0; r < t->nrows && t->t[r] <= s + 1e-9; r++)
		v = t->v[r * t->ncols + (size_t)c];
	return v;
}

/* ---- the model: the shared Flink workload model (model/fm.h) ---- */

struct sim_model {
	struct fm_graph g;
	struct fm_state s;
	double restart_until;
	int slots;      /* parallelism per replica */
	double input;   /* records/s offered in the last step */
	double backlog_rate; /* the backlog's growth, records/s, last step */
};

/* Without the pipeline: one vertex of capacity records/s per replica. */
static void model_init(struct sim_model *m, const struct pol *p,
		       const struct sim_opts *o)
{
	memset(m, 0, sizeof(*m));
	if (o->pipeline) {
		m->slots = p->slots > 0 ? (int)p->slots : 1;
		fm_graph_pipeline(&m->g, o->capacity / m->slots, o->partitions,
				  o->hot_key, o->efficiency,
				  p->max_parallelism > 0
				  ? (int)p->max_parallelism : 128);
	} else {
		fm_graph_single(&m->g, "cbc357ccb763df2852fee8c4fc7d55f2",
				"Source: orders", o->capacity, 128);
		m->slots = 1;
	}
	fm_state_init(&m->s, m->slots);
}

static bool model_restarting(const struct sim_model *m)
{
	return !m->s.running;
}

static void model_advance(struct sim_model *m, double input, int32_t replicas,
			  double t, double dt)
{
	double before = m->s.backlog;

	m->input = input;
	fm_step(&m->g, &m->s, replicas * m->slots, t >= m->restart_until,
		input, dt);
	if (m->s.backlog < 0.5)
		m->s.backlog = 0;
	m->backlog_rate = (m->s.backlog - before) / dt;
}

/* The busy ratio the busy-ratio rules read: the busiest subtask's. */
static double model_busy(const struct sim_model *m)
{
	double max = 0;

	for (int v = 0; v < m->g.n; v++) {
		double b = fm_busy_max(&m->g, &m->s, v);
		if (b > max)
			max = b;
	}
	return max;
}

/* The mean busy ratio of v's subtasks (the REST API's agg=sum / p). */
static double model_busy_avg(const struct sim_model *m, int v)
{
	double sum = 0;

	for (int k = 0; k < m->s.p; k++)
		sum += fm_busy(&m->g, &m->s, v, k);
	return m->s.p ? sum / m->s.p : 0;
}

/* The throughput computation on what the model's vertices report, as
 * the adapter reads it from the JobManager. */
static double model_tput(const struct pol_rule *r, const struct sim_model *m,
			 const struct pol *p, int32_t cur)
{
	struct tput_params tp = { r->tput_utilization, r->catch_up_ms / 1000.0,
		r->restart_ms / 1000.0, m->slots, (int)p->min_replicas,
		(int)p->max_replicas, cur };
	struct tput_job j;
	struct tput_result res;

	memset(&j, 0, sizeof(j));
	j.n = m->g.n;
	for (int v = 0; v < m->g.n; v++) {
		struct tput_vertex *x = &j.v[v];

		x->parallelism = m->s.p;
		x->max_parallelism = m->g.max_parallelism;
		x->partitions = v == 0 ? m->g.v[0].partitions : 0;
		x->source = v == 0;
		x->keyed = m->g.v[v].keyed;
		x->in_rate = m->s.in[v];
		x->out_rate = m->s.in[v] * m->g.v[v].out_ratio;
		x->busy = fm_busy_max(&m->g, &m->s, v);
		x->busy_avg = model_busy_avg(m, v);
		x->inputs[0] = v - 1;
		x->ninputs = v > 0;
	}
	j.backlog = m->s.backlog;
	j.growth = m->backlog_rate;
	if (tput_compute(&j, &tp, &res))
		return NAN;
	return tput_hpa_value(&res, &tp, 0.1);
}

/* The metric rule r reads from the model (invalid while restarting: the
 * adapter serves no stale values and the HPA holds). */
static struct hs_reading model_metric(const struct pol_rule *r,
				      const struct sim_model *m, double input,
				      const struct pol *p, int32_t cur)
{
	struct hs_reading x = { !model_restarting(m), 0 };
	const char *n = r->metric;
	double load = fm_load(&m->g, &m->s);

	if (r->type == RULE_THROUGHPUT) {
		x.value = model_tput(r, m, p, cur);
		x.valid = x.valid && !isnan(x.value);
	}
	else if (!strcmp(n, "flink_tm_busy_ratio") || !strcmp(n, "flink_job_busy_ratio"))
		x.value = model_busy(m);
	else if (!strcmp(n, "cpu") || !strcmp(n, "flink_tm_cpu_utilization"))
		x.value = 5 + 90 * load;
	else if (!strcmp(n, "memory") || !strcmp(n, "flink_tm_heap_utilization"))
		x.value = 40 + 30 * load;
	else if (!strcmp(n, "flink_job_backlog") || !strcmp(n, "flink_tm_backlog"))
		x.value = m->s.backlog;
	else /* latency and watermark lag: the time to work off the backlog */
		x.value = m->s.backlog / (input > 1 ? input : 1);
	if (r->target == TGT_AVERAGE_VALUE && r->source == SRC_RESOURCE &&
	    !strcmp(n, "memory"))
		x.value = x.value / 100 * 4294967296.0; /* of a 4Gi request */
	return x;
}

static int model_check(const struct pol *p, struct err *e)
{
	static const char *const known[] = { "flink_tm_busy_ratio",
		"flink_job_busy_ratio", "cpu", "flink_tm_cpu_utilization",
		"memory", "flink_tm_heap_utilization", "flink_job_backlog",
		"flink_tm_backlog", "flink_job_latency_seconds",
		"flink_job_watermark_lag_seconds",
		"flink_tm_watermark_lag_seconds",
		"flink_job_required_taskmanagers", NULL };

	for (size_t i = 0; i < p->nrules; i++) {
		size_t k = 0;
		while (known[k] && strcmp(known[k], p->rules[i].metric))
			k++;
		if (!known[k])
			return err_set(e, ERR_INVAL, "the workload model has no "
				       "metric %s (rule %zu); give a trace with "
				       "a column %s instead", p->rules[i].metric,
				       i, p->rules[i].metric);
	}
	return 0;
}

/* ---- the run ---- */

static const char *sim_metric_name(const struct pol_rule *r, char *out,
				   size_t n)
{
	switch (r->source) {
	case SRC_RESOURCE:
		snprintf(out, n, r->target == TGT_UTILIZATION
			 ? "%s resource utilization (percentage of request)"
			 : "%s resource", r->metric);
		break;
	case SRC_DEPLOYMENT:
		snprintf(out, n, "Deployment metric %s", r->metric);
		break;
	case SRC_EXTERNAL:
		snprintf(out, n, "external metric %s", r->metric);
		break;
	default:
		snprintf(out, n, "pods metric %s", r->metric);
	}
	return out;
}

/* The event's text as the controller writes it: within the bounds its
 * reason compares the metrics' count (before stabilization and rate) with
 * the current one, so that before Kubernetes 1.21 a scale-up can say "All
 * metrics below target". */
static void sim_reason(const struct pol *p, const struct hs_step *st,
		       int32_t cur, struct sim_row *row)
{
	char name[160];
	bool inside = cur >= p->min_replicas && cur <= p->max_replicas;
	int32_t asked = inside ? st->metric_desired : st->desired;

	if (asked > cur && st->metric >= 0)
		snprintf(row->reason, sizeof(row->reason), "New size: %d; "
			 "reason: %s above target", st->desired,
			 sim_metric_name(&p->rules[st->metric], name,
					 sizeof(name)));
	else
		snprintf(row->reason, sizeof(row->reason), "New size: %d; "
			 "reason: %s", st->desired, asked == cur ? ""
			 : "All metrics below target");
	if (strcmp(st->reason, "DesiredWithinRange"))
		snprintf(row->reason + strlen(row->reason),
			 sizeof(row->reason) - strlen(row->reason), " (%s)",
			 st->reason);
}

static int sim_columns(const struct pol *p, const struct sim_trace *t,
		       int *cols, struct err *e)
{
	for (size_t i = 0; i < p->nrules; i++) {
		cols[i] = sim_col(t, p->rules[i].metric);
		if (cols[i] < 0)
			return err_set(e, ERR_INVAL, "the trace has no column "
				       "%s (spec.rules[%zu]) and no input_rate "
				       "column for the model", p->rules[i].metric,
				       i);
	}
	return 0;
}

int sim_kube_minor(const char *version, int *minor, struct err *e)
{
	const char *s = version + (version[0] == 'v');
	char *end;
	long v;

	if (strncmp(s, "1.", 2) || !isdigit((unsigned char)s[2]))
		goto bad_version;
	errno = 0;
	v = strtol(s + 2, &end, 10);
	if (*end == '.' && isdigit((unsigned char)end[1]))
		for (end++; isdigit((unsigned char)*end); end++)
			;
	if (errno || *end || v > 1000)
		goto bad_version;
	if (v < 18)
		return err_set(e, ERR_INVAL, "kubernetes-version: \"%s\": the "
			       "HPA's behavior came with 1.18; earlier "
			       "controllers are not modelled", version);
	*minor = (int)v;
	return 0;
bad_version:
	return err_set(e, ERR_INVAL, "kubernetes-version: \"%s\" is not a "
		       "version such as 1.20 or v1.20.2", version);
}

int sim_run(const struct pol *p, const struct sim_trace *t,
	    const struct sim_opts *o, struct sim_result *r, struct err *e)
{
	int rate = sim_col(t, "input_rate"), cols[POL_MAX_RULES];
	double end = t->t[t->nrows - 1], dt = 1, period = o->period_ms / 1000.0;
	int32_t cur = (int32_t)(o->initial > 0 ? o->initial : p->min_replicas);
	struct sim_model m;
	struct hs *h = calloc(1, sizeof(*h));
	size_t cap = (size_t)(end / period) + 2;
	int rc = rate >= 0 ? model_check(p, e) : sim_columns(p, t, cols, e);

	memset(r, 0, sizeof(*r));
	if (!rc && (!h || !(r->rows = calloc(cap, sizeof(*r->rows)))))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	if (rc) {
		free(h);
		return rc;
	}
	hs_init(h, p);
	h->one_window = o->kube_minor > 0 && o->kube_minor < 21;
	model_init(&m, p, o);
	if (rate >= 0) /* the job is running when the trace starts */
		model_advance(&m, sim_at(t, rate, 0), cur, 0, dt);
	for (double s = 0; s <= end + 1e-9 && r->n < cap; s += period) {
		struct sim_row *row = &r->rows[r->n++];
		struct hs_reading rd[POL_MAX_RULES];
		struct hs_step st;
		double in = rate >= 0 ? sim_at(t, rate, s) : 0;

		for (size_t i = 0; i < p->nrules; i++) {
			if (rate >= 0) {
				rd[i] = model_metric(&p->rules[i], &m, in, p,
						     cur);
			} else {
				rd[i].value = sim_at(t, cols[i], s);
				rd[i].valid = !isnan(rd[i].value);
			}
			row->m[i] = rd[i].value;
			row->valid[i] = rd[i].valid;
		}
		hs_sync(h, p, rd, cur, (int64_t)llround(s * 1000), &st);
		row->t = s;
		row->replicas = cur;
		row->input = isnan(in) ? 0 : in;
		row->backlog = m.s.backlog;
		row->desired = st.desired;
		if (st.desired != cur) {
			row->rescaled = true;
			sim_reason(p, &st, cur, row);
			cur = st.desired;
			m.restart_until = s + (o->delay_ms + o->restart_ms) / 1000.0;
		}
		for (double u = 0; rate >= 0 && u < period - 1e-9; u += dt)
			model_advance(&m, isnan(in) ? 0 : sim_at(t, rate, s + u),
				      cur, s + u, dt);
	}
	free(h);
	return 0;
}

void sim_result_release(struct sim_result *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}
