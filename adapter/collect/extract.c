/*
 * extract.c - catalogue and custom-rule values from a TaskManager page (see
 * extract.h).
 *
 * The filter maps each wanted family to an entry of spec->fam, which says
 * which built-in input (if any) and which custom rules read that family.
 */
#include "adapter/collect/extract.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

/* Built-in inputs: family, how values combine, which values are valid. */
static const struct ex_builtin {
	const char *family; /* exact name, or prefix when suffix is set */
	const char *suffix;
	enum ex_agg agg;
} ex_builtins[EX_N] = {
	[EX_CPU_TIME] = { "flink_taskmanager_Status_JVM_CPU_Time", NULL,
			  EX_AGG_MAX },
	[EX_CPU_LOAD] = { "flink_taskmanager_Status_JVM_CPU_Load", NULL,
			  EX_AGG_MAX },
	[EX_HEAP_USED] = { "flink_taskmanager_Status_JVM_Memory_Heap_Used",
			   NULL, EX_AGG_MAX },
	[EX_HEAP_MAX] = { "flink_taskmanager_Status_JVM_Memory_Heap_Max",
			  NULL, EX_AGG_MAX },
	[EX_BUSY] = { "flink_taskmanager_job_task_busyTimeMsPerSecond", NULL,
		      EX_AGG_MAX },
	[EX_BACKPRESSURED] = {
		"flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
		NULL, EX_AGG_MAX },
	[EX_PENDING] = { "flink_taskmanager_job_task_operator_pendingRecords",
			 NULL, EX_AGG_SUM },
	[EX_KAFKA_LAG] = {
		"flink_taskmanager_job_task_operator_KafkaSourceReader_"
		"KafkaConsumer_records_lag_max", NULL, EX_AGG_SUM },
	[EX_WM_LAG] = { "flink_taskmanager_job_task_operator_watermarkLag",
			NULL, EX_AGG_MAX },
	[EX_INPUT_WM] = {
		"flink_taskmanager_job_task_currentInputWatermark", NULL,
		EX_AGG_MIN },
	[EX_EMIT_LAG] = {
		"flink_taskmanager_job_task_operator_currentEmitEventTimeLag",
		NULL, EX_AGG_MAX },
	[EX_LATENCY_P99] = { "flink_taskmanager_job_latency_", "_latency",
			     EX_AGG_MAX },
};

#define EX_MAX_FAM_RULES 8

struct ex_fam {
	int input; /* enum ex_input, or -1 */
	size_t rule[EX_MAX_FAM_RULES];
	size_t nrule;
};

struct ex_spec {
	struct pp_filter *filter;
	const struct ex_rule *rules;
	size_t nrules;
	struct ex_fam *fam;
	size_t nfam;
};

void ex_acc_add(struct ex_acc *a, enum ex_agg agg, double v)
{
	if (a->n == 0) {
		a->v = v;
	} else if (agg == EX_AGG_SUM || agg == EX_AGG_AVG) {
		a->v += v;
	} else if (agg == EX_AGG_MAX) {
		if (v > a->v)
			a->v = v;
	} else if (v < a->v) {
		a->v = v;
	}
	a->n++;
}

bool ex_acc_get(const struct ex_acc *a, enum ex_agg agg, double *v)
{
	if (a->n == 0)
		return false;
	*v = agg == EX_AGG_AVG ? a->v / a->n : a->v;
	return true;
}

/* ---- spec ---- */

static int ex_fam_new(struct ex_spec *s, int input, struct err *e)
{
	struct ex_fam *f = realloc(s->fam, (s->nfam + 1) * sizeof(*f));

	if (!f)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->fam = f;
	f[s->nfam].input = input;
	f[s->nfam].nrule = 0;
	return (int)s->nfam++;
}

static int ex_spec_builtins(struct ex_spec *s, struct err *e)
{
	for (int i = 0; i < EX_N; i++) {
		const struct ex_builtin *b = &ex_builtins[i];
		int id = ex_fam_new(s, i, e), rc;

		if (id < 0)
			return id;
		rc = b->suffix ? pp_filter_add_pattern(s->filter, b->family,
						       b->suffix, id)
			       : pp_filter_add(s->filter, b->family, id);
		if (rc)
			return err_set(e, rc, "adding family %s", b->family);
	}
	return 0;
}

/* Family entry for a rule's family name: the existing exact one, or a new
 * one (inheriting the built-in input of a pattern it matches). */
static int ex_rule_fam(struct ex_spec *s, const char *family, struct err *e)
{
	size_t len = strlen(family);
	int id = pp_filter_lookup(s->filter, family, len);
	int input = id >= 0 ? s->fam[id].input : -1;
	int rc;

	if (id >= 0 && pp_filter_add(s->filter, family, id) == ERR_EXISTS)
		return id; /* exact entry already there */
	id = ex_fam_new(s, input, e);
	if (id < 0)
		return id;
	rc = pp_filter_add(s->filter, family, id);
	return rc ? err_set(e, rc, "adding family %s", family) : id;
}

static int ex_spec_rules(struct ex_spec *s, struct err *e)
{
	for (size_t r = 0; r < s->nrules; r++) {
		const struct ex_rule *rule = &s->rules[r];
		int id = ex_rule_fam(s, rule->family, e);
		struct ex_fam *f;

		if (id < 0)
			return id;
		f = &s->fam[id];
		if (f->nrule == EX_MAX_FAM_RULES)
			return err_set(e, ERR_LIMIT,
				       "more than %d rules read family %s",
				       EX_MAX_FAM_RULES, rule->family);
		f->rule[f->nrule++] = r;
	}
	return 0;
}

struct ex_spec *ex_spec_new(const struct ex_rule *rules, size_t nrules,
			    struct err *e)
{
	struct ex_spec *s = calloc(1, sizeof(*s));

	if (!s) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->rules = rules;
	s->nrules = nrules;
	s->filter = pp_filter_new();
	if (!s->filter) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (ex_spec_builtins(s, e) || ex_spec_rules(s, e))
		goto fail;
	return s;
fail:
	ex_spec_free(s);
	return NULL;
}

void ex_spec_free(struct ex_spec *s)
{
	if (!s)
		return;
	pp_filter_free(s->filter);
	free(s->fam);
	free(s);
}

const struct pp_filter *ex_spec_filter(const struct ex_spec *s)
{
	return s->filter;
}

size_t ex_spec_nrules(const struct ex_spec *s)
{
	return s->nrules;
}

const struct ex_rule *ex_spec_rule(const struct ex_spec *s, size_t i)
{
	return &s->rules[i];
}

/* ---- page ---- */

struct ex_page *ex_page_new(const struct ex_spec *s)
{
	struct ex_page *pg = calloc(1, sizeof(*pg));
	size_t n = s->nrules ? s->nrules : 1;

	if (!pg)
		return NULL;
	pg->spec = s;
	pg->custom = calloc(n * (EX_MAX_JOBS + 1), sizeof(*pg->custom));
	if (!pg->custom) {
		free(pg);
		return NULL;
	}
	for (size_t j = 0; j < EX_MAX_JOBS; j++)
		pg->job[j].custom = pg->custom + n * (j + 1);
	return pg;
}

void ex_page_reset(struct ex_page *pg)
{
	size_t n = pg->spec->nrules ? pg->spec->nrules : 1;

	memset(pg->in, 0, sizeof(pg->in));
	memset(pg->custom, 0, n * (EX_MAX_JOBS + 1) * sizeof(*pg->custom));
	for (size_t j = 0; j < pg->njobs; j++) {
		pg->job[j].name[0] = '\0';
		memset(pg->job[j].in, 0, sizeof(pg->job[j].in));
	}
	pg->njobs = 0;
	pg->jobs_dropped = 0;
}

void ex_page_free(struct ex_page *pg)
{
	if (!pg)
		return;
	free(pg->custom);
	free(pg);
}

/* ---- samples ---- */

static const char *ex_label(const struct pp_sample *s, const char *name,
			    size_t *len)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		if (str_eq_n(s->labels[i].name, s->labels[i].name_len, name)) {
			*len = s->labels[i].value_len;
			return s->labels[i].value;
		}
	}
	return NULL;
}

static struct ex_job *ex_job_for(struct ex_page *pg,
				 const struct pp_sample *s)
{
	size_t len;
	const char *name = ex_label(s, "job_name", &len);
	struct ex_job *j;

	if (!name || len >= EX_JOB_NAME_MAX)
		return NULL;
	for (size_t i = 0; i < pg->njobs; i++)
		if (str_eq_n(name, len, pg->job[i].name))
			return &pg->job[i];
	if (pg->njobs == EX_MAX_JOBS) {
		pg->jobs_dropped++;
		return NULL;
	}
	j = &pg->job[pg->njobs++];
	memcpy(j->name, name, len);
	j->name[len] = '\0';
	return j;
}

/* Is this a value the input can use? */
static bool ex_input_valid(int input, const struct pp_sample *s)
{
	size_t len;
	const char *q;

	if (s->name_len != s->family_len) /* _count, _sum, _bucket */
		return false;
	switch (input) {
	case EX_LATENCY_P99:
		q = ex_label(s, "quantile", &len);
		return q && str_eq_n(q, len, "0.99") && s->value >= 0;
	case EX_INPUT_WM: /* Long.MIN_VALUE: no watermark yet */
		return s->value > 0;
	default:
		return s->value >= 0;
	}
}

static bool ex_matches(const struct ex_rule *r, const struct pp_sample *s)
{
	for (size_t i = 0; i < r->nmatch; i++) {
		size_t len;
		const char *v = ex_label(s, r->match[i].label, &len);
		bool eq = v && str_eq_n(v, len, r->match[i].value);

		if (eq == r->match[i].negate)
			return false;
	}
	return true;
}

int ex_sample(void *ud, const struct pp_sample *s, struct err *e)
{
	struct ex_page *pg = ud;
	const struct ex_fam *f;
	struct ex_job *job;

	(void)e;
	if (s->family_id < 0 || !isfinite(s->value))
		return 0;
	f = &pg->spec->fam[s->family_id];
	job = ex_job_for(pg, s);
	if (f->input >= 0 && ex_input_valid(f->input, s)) {
		enum ex_agg agg = ex_builtins[f->input].agg;
		ex_acc_add(&pg->in[f->input], agg, s->value);
		if (job)
			ex_acc_add(&job->in[f->input], agg, s->value);
	}
	for (size_t i = 0; i < f->nrule; i++) {
		size_t r = f->rule[i];
		const struct ex_rule *rule = &pg->spec->rules[r];

		if (s->name_len != s->family_len || !ex_matches(rule, s))
			continue;
		ex_acc_add(&pg->custom[r], rule->agg, s->value * rule->scale);
		if (job)
			ex_acc_add(&job->custom[r], rule->agg,
				   s->value * rule->scale);
	}
	return 0;
}

/* ---- values ---- */

static bool ex_in(const struct ex_acc *in, int i, double *v)
{
	return ex_acc_get(&in[i], ex_builtins[i].agg, v);
}

static void ex_set(double v[CAT_N], bool has[CAT_N], int i, bool ok,
		   double x)
{
	has[i] = ok;
	if (ok)
		v[i] = x;
}

static bool ex_cpu(const struct ex_acc *in, double request, int64_t now_ms,
		   struct ex_cpu_state *st, double *util)
{
	double ns, load;
	bool ok = false;

	if (request > 0 && ex_in(in, EX_CPU_TIME, &ns)) {
		if (st->valid && now_ms > st->at_ms && ns >= st->cpu_ns) {
			double cores = (ns - st->cpu_ns) / 1e9 /
				       ((double)(now_ms - st->at_ms) / 1000);
			*util = cores / request * 100;
			ok = true;
		}
		st->cpu_ns = ns;
		st->at_ms = now_ms;
		st->valid = true;
		return ok;
	}
	if (ex_in(in, EX_CPU_LOAD, &load)) {
		*util = load * 100;
		return true;
	}
	return false;
}

static bool ex_backlog(const struct ex_acc *in, double *v)
{
	return ex_in(in, EX_PENDING, v) || ex_in(in, EX_KAFKA_LAG, v);
}

static bool ex_wm_lag(const struct ex_acc *in, int64_t now_ms, double *v)
{
	double wm;

	if (ex_in(in, EX_WM_LAG, v)) {
		*v /= 1000;
		return true;
	}
	if (!ex_in(in, EX_INPUT_WM, &wm))
		return false;
	*v = wm < (double)now_ms ? ((double)now_ms - wm) / 1000 : 0;
	return true;
}

void ex_pod_values(const struct ex_page *pg, double cpu_request,
		   int64_t now_ms, struct ex_cpu_state *cpu,
		   double v[CAT_N], bool has[CAT_N])
{
	const struct ex_acc *in = pg->in;
	double x = 0, y = 0;
	bool ok;

	memset(has, 0, CAT_N * sizeof(*has));
	ok = ex_cpu(in, cpu_request, now_ms, cpu, &x);
	ex_set(v, has, CAT_TM_CPU_UTILIZATION, ok, x);
	ok = ex_in(in, EX_HEAP_USED, &x) && ex_in(in, EX_HEAP_MAX, &y) && y > 0;
	ex_set(v, has, CAT_TM_HEAP_UTILIZATION, ok, ok ? x / y * 100 : 0);
	ok = ex_in(in, EX_BUSY, &x);
	ex_set(v, has, CAT_TM_BUSY_RATIO, ok, x / 1000);
	ok = ex_in(in, EX_BACKPRESSURED, &x);
	ex_set(v, has, CAT_TM_BACKPRESSURED_RATIO, ok, x / 1000);
	ok = ex_backlog(in, &x);
	ex_set(v, has, CAT_TM_BACKLOG, ok, x);
	ok = ex_wm_lag(in, now_ms, &x);
	ex_set(v, has, CAT_TM_WATERMARK_LAG, ok, x);
	ok = ex_in(in, EX_EMIT_LAG, &x);
	ex_set(v, has, CAT_TM_EVENT_TIME_LAG, ok, x / 1000);
}

void ex_job_values(const struct ex_page *pg, size_t j, int64_t now_ms,
		   double v[CAT_N], bool has[CAT_N])
{
	const struct ex_acc *in = pg->job[j].in;
	double x = 0;
	bool ok;

	memset(has, 0, CAT_N * sizeof(*has));
	ok = ex_backlog(in, &x);
	ex_set(v, has, CAT_JOB_BACKLOG, ok, x);
	ok = ex_wm_lag(in, now_ms, &x);
	ex_set(v, has, CAT_JOB_WATERMARK_LAG, ok, x);
	ok = ex_in(in, EX_LATENCY_P99, &x) || ex_in(in, EX_EMIT_LAG, &x);
	ex_set(v, has, CAT_JOB_LATENCY, ok, x / 1000);
	ok = ex_in(in, EX_BUSY, &x);
	ex_set(v, has, CAT_JOB_BUSY_RATIO, ok, x / 1000);
}

bool ex_custom_value(const struct ex_page *pg, size_t r, double *v)
{
	return ex_acc_get(&pg->custom[r], pg->spec->rules[r].agg, v);
}

bool ex_custom_job_value(const struct ex_page *pg, size_t j, size_t r,
			 double *v)
{
	return ex_acc_get(&pg->job[j].custom[r], pg->spec->rules[r].agg, v);
}
