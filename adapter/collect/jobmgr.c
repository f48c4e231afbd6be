/*
 * jobmgr.c - the JobManager poller (see jobmgr.h).
 *
 * A round: apply the latest target set, then four batches of requests
 * (overview and slots; the job and its plan; each vertex's metric ids;
 * their aggregates), each target dropping out at its first failure, then
 * one store write per target that got through, with the throughput
 * computation (jt_tput).
 */
#include "adapter/collect/jobmgr.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/str.h"
#include "adapter/collect/fetch.h"
#include "adapter/flink/jmparse.h"
#include "adapter/flink/jmplan.h"
#include "model/tput.h"

struct jt {
	char *ns, *deployment, *job, *url;
	char stored[256]; /* the job name its values went in under; "" none */
	bool keep;
	/* this round */
	char jid[JMP_ID_LEN], name[256];
	struct jmp_job flink;
	struct jmp_values vals[JMP_MAX_VERTICES];
	struct buf get[JMP_MAX_VERTICES];
	unsigned unread; /* kinds (JMP_*) some vertex's aggregates lack */
	struct jmp_slots slots;
	struct jmplan plan;    /* n 0: no plan, the vertices are a chain */
	struct jm_tput tp;     /* the throughput computation's parameters */
	double prev_backlog;   /* the last round's, for the growth */
	int64_t prev_ms;       /* 0: none yet */
	bool prev_rates;       /* the last round had every vertex's rates */
	int tms_last;          /* the last round's required TaskManagers */
	double tms_served;     /* what is served (< 0: nothing yet) */
	char err[ERR_MSG_MAX]; /* "" while all went well */
	bool failing;          /* the last round failed (for the log) */
	char last_err[ERR_MSG_MAX];
};

struct jobmgr {
	struct jm_opts o;
	struct store *st;
	struct fetcher *f;
	struct jt **t;
	size_t n;
	pthread_mutex_t mu; /* guards pending, stats, stop's wait */
	pthread_cond_t cv;
	struct jm_target *pending;
	size_t npending;
	bool has_pending;
	struct jm_stats stats;
	atomic_bool stop;
	pthread_t th;
	bool running;
};

/* ---- targets ---- */

static void jt_free(struct jt *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < JMP_MAX_VERTICES; i++)
		buf_release(&t->get[i]);
	free(t->ns);
	free(t->deployment);
	free(t->job);
	free(t->url);
	free(t);
}

static struct jt *jt_new(const struct jm_target *s)
{
	struct jt *t = calloc(1, sizeof(*t));
	size_t n;

	if (!t)
		return NULL;
	t->ns = str_dup(s->ns);
	t->deployment = str_dup(s->deployment ? s->deployment : "");
	t->job = str_dup(s->job ? s->job : "");
	t->url = str_dup(s->url);
	t->tp = s->tput;
	t->tms_served = -1;
	if (!t->ns || !t->deployment || !t->job || !t->url) {
		jt_free(t);
		return NULL;
	}
	n = strlen(t->url);
	while (n && t->url[n - 1] == '/')
		t->url[--n] = '\0';
	for (size_t i = 0; i < JMP_MAX_VERTICES; i++)
		buf_init(&t->get[i], JMP_GET_MAX);
	return t;
}

static bool jt_same(const struct jt *t, const struct jm_target *s)
{
	return strcmp(t->ns, s->ns) == 0 &&
	       strcmp(t->deployment, s->deployment ? s->deployment : "") == 0 &&
	       strcmp(t->job, s->job ? s->job : "") == 0 &&
	       strcmp(t->url, s->url) == 0;
}

static void jt_forget(struct jobmgr *m, struct jt *t)
{
	if (t->stored[0])
		store_remove_job(m->st, t->ns, t->deployment, t->stored);
	log_v(1, "jobmanager: %s/%s no longer followed", t->ns,
	      t->deployment[0] ? t->deployment : t->job);
	jt_free(t);
}

static void jm_pending_free(struct jm_target *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free((char *)p[i].ns);
		free((char *)p[i].deployment);
		free((char *)p[i].job);
		free((char *)p[i].url);
	}
	free(p);
}

int jobmgr_set_targets(struct jobmgr *m, const struct jm_target *t, size_t n,
		       struct err *e)
{
	struct jm_target *c = calloc(n ? n : 1, sizeof(*c));
	bool ok = c != NULL;

	for (size_t i = 0; ok && i < n; i++) {
		c[i].ns = str_dup(t[i].ns);
		c[i].deployment = str_dup(t[i].deployment);
		c[i].job = str_dup(t[i].job);
		c[i].url = str_dup(t[i].url);
		c[i].tput = t[i].tput;
		ok = c[i].ns && c[i].url && (!t[i].deployment || c[i].deployment) &&
		     (!t[i].job || c[i].job);
	}
	if (!ok) {
		jm_pending_free(c, n);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&m->mu);
	jm_pending_free(m->pending, m->npending);
	m->pending = c;
	m->npending = n;
	m->has_pending = true;
	pthread_mutex_unlock(&m->mu);
	return 0;
}

/* Find the state of target s among the current ones, or make it. */
static struct jt *jm_adopt(struct jobmgr *m, const struct jm_target *s)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i] && !m->t[i]->keep && jt_same(m->t[i], s)) {
			struct jt *t = m->t[i];
			m->t[i] = NULL;
			return t;
		}
	return jt_new(s);
}

static void jm_apply_targets(struct jobmgr *m)
{
	struct jm_target *p;
	struct jt **nt;
	size_t np, k = 0;

	pthread_mutex_lock(&m->mu);
	p = m->pending;
	np = m->npending;
	m->pending = NULL;
	m->npending = 0;
	if (!m->has_pending || !(nt = calloc(np ? np : 1, sizeof(*nt)))) {
		pthread_mutex_unlock(&m->mu);
		jm_pending_free(p, np);
		return;
	}
	m->has_pending = false;
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < np; i++) {
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++)
			dup = jt_same(nt[j], &p[i]);
		if (!dup && (nt[k] = jm_adopt(m, &p[i]))) {
			nt[k]->tp = p[i].tput; /* the annotations may change */
			nt[k++]->keep = true;
		}
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i])
			jt_forget(m, m->t[i]);
	for (size_t i = 0; i < k; i++)
		nt[i]->keep = false;
	free(m->t);
	m->t = nt;
	m->n = k;
	jm_pending_free(p, np);
}

/* ---- one round ---- */

/* Record the first failure of t this round (what: the request, NULL
 * when msg says it). */
static void jt_fail(struct jt *t, const char *what, const char *msg)
{
	if (!t->err[0])
		snprintf(t->err, sizeof(t->err), "%.100s%s%.400s", what ? what : "",
			 what ? ": " : "", msg);
}

/* The body of r when it is a 200 answer; else t fails and NULL. */
static const char *jt_body(struct jt *t, const struct fetch_req *r,
			   const char *what)
{
	char msg[ERR_MSG_MAX];

	if (r->status == 200)
		return buf_str(&r->body);
	if (r->status == 0)
		jt_fail(t, what, r->err.msg[0] ? r->err.msg : "no answer");
	else if (jmp_errors(buf_str(&r->body), msg, sizeof(msg)))
		jt_fail(t, what, msg);
	else {
		snprintf(msg, sizeof(msg), "HTTP status %ld", r->status);
		jt_fail(t, what, msg);
	}
	return NULL;
}

struct jm_batch {
	struct fetch_req *r;
	size_t n, cap;
};

static struct fetch_req *jm_batch_add(struct jm_batch *b, struct jt *t)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		void *p = realloc(b->r, cap * sizeof(*b->r));

		if (!p) {
			jt_fail(t, "round", "out of memory");
			return NULL;
		}
		b->r = p;
		b->cap = cap;
	}
	return &b->r[b->n++];
}

static int jm_batch_run(struct jobmgr *m, struct jm_batch *b, struct err *e)
{
	return fetcher_run(m->f, b->r, b->n, &m->stop, e);
}

static void jm_batch_reset(struct jm_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		fetch_req_release(&b->r[i]);
	b->n = 0;
}

static void jt_begin(struct jt *t)
{
	t->err[0] = t->jid[0] = t->name[0] = '\0';
	t->flink.n = 0;
	t->unread = 0;
	memset(&t->slots, 0, sizeof(t->slots));
	t->plan.n = 0;
	memset(t->vals, 0, sizeof(t->vals));
	for (size_t i = 0; i < JMP_MAX_VERTICES; i++)
		buf_reset(&t->get[i]);
}

/* The job t follows, picked as the sync controller picks it (jmp_pick);
 * its values are read only while it is RUNNING. */
static int jt_pick(struct jt *t, const struct buf *body, struct err *e)
{
	struct jmp_jobs jobs;
	const struct jmp_brief *b;
	int rc = jmp_jobs(body->p, body->len, &jobs, e);

	if (rc)
		return rc;
	if (!(b = jmp_pick(&jobs, t->job)))
		rc = err_set(e, ERR_NOTFOUND, "no job%s%s%s", *t->job ?
			     " named \"" : "", t->job, *t->job ? "\"" : "");
	else if (strcmp(b->state, "RUNNING"))
		rc = err_set(e, ERR_NOTFOUND, "job \"%s\" is %s", b->name,
			     b->state);
	else {
		str_lcpy(t->jid, b->id, sizeof(t->jid));
		str_lcpy(t->name, b->name, sizeof(t->name));
	}
	jmp_jobs_release(&jobs);
	return rc;
}

/* Batch 1: which job, and the slots. */
static int jm_overview(struct jobmgr *m, struct jm_batch *b, struct err *e)
{
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		struct fetch_req *r1, *r2;

		jt_begin(m->t[i]);
		if (!(r1 = jm_batch_add(b, m->t[i])) ||
		    !(r2 = jm_batch_add(b, m->t[i])))
			return err_set(e, ERR_NOMEM, "out of memory");
		fetch_req_init(r1, m->t[i], "%s/jobs/overview", m->t[i]->url);
		fetch_req_init(r2, m->t[i], "%s/taskmanagers", m->t[i]->url);
	}
	if ((rc = jm_batch_run(m, b, e)))
		return rc;
	for (size_t i = 0; i + 1 < b->n; i += 2) {
		struct jt *t = b->r[i].ud;
		const char *jobs = jt_body(t, &b->r[i], "/jobs/overview");
		const char *tms = jt_body(t, &b->r[i + 1], "/taskmanagers");
		struct err pe;

		err_clear(&pe);
		if ((jobs && jt_pick(t, &b->r[i].body, &pe)) ||
		    (tms && jmp_slots(tms, b->r[i + 1].body.len, &t->slots,
				      &pe)))
			jt_fail(t, NULL, pe.msg);
	}
	return 0;
}

/* The plan's answer: without one (or with a bad one) the vertices are
 * taken as a chain in the order /jobs/:jobid lists them. */
static void jt_plan(struct jt *t, const struct fetch_req *r)
{
	struct err pe;

	err_clear(&pe);
	if (r->status != 200 || jmplan_parse(buf_str(&r->body), &t->plan, &pe))
		log_v(2, "jobmanager: %s: /jobs/%s/plan: %s; the vertices taken "
		      "as a chain", t->url, t->jid, r->status != 200
		      ? "no answer" : pe.msg);
}

/* Batch 2: the job's vertices and its plan. */
static int jm_jobs(struct jobmgr *m, struct jm_batch *b, struct err *e)
{
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		struct jt *t = m->t[i];
		struct fetch_req *r, *rp;

		if (t->err[0])
			continue;
		if (!(r = jm_batch_add(b, t)) || !(rp = jm_batch_add(b, t)))
			return err_set(e, ERR_NOMEM, "out of memory");
		fetch_req_init(r, t, "%s/jobs/%s", t->url, t->jid);
		fetch_req_init(rp, t, "%s/jobs/%s/plan", t->url, t->jid);
	}
	if ((rc = jm_batch_run(m, b, e)))
		return rc;
	for (size_t i = 0; i + 1 < b->n; i += 2) {
		struct jt *t = b->r[i].ud;
		const char *body = jt_body(t, &b->r[i], "/jobs/:jobid");
		struct err pe;

		err_clear(&pe);
		if (body && jmp_job(body, b->r[i].body.len, &t->flink, &pe))
			jt_fail(t, NULL, pe.msg);
		jt_plan(t, &b->r[i + 1]);
	}
	return 0;
}

/* Encode the comma-separated ids of get for a query (ids escaped, commas
 * kept, as Flink splits the decoded value on them). */
static int jm_escape_get(const char *get, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	while (*get) {
		size_t k = strcspn(get, ",");
		char *esc = curl_easy_escape(NULL, get, (int)k);
		int w;

		if (!esc)
			return ERR_NOMEM;
		w = snprintf(out + len, n - len, "%s%s", len ? "," : "", esc);
		curl_free(esc);
		if (w < 0 || (size_t)w >= n - len)
			return ERR_LIMIT;
		len += (size_t)w;
		get += k + (get[k] == ',');
	}
	return 0;
}

/* Read the answers of batch 3 (values false) or 4.  An aggregates
 * answer [] (an id asked for is gone, as after a restart) fails only the
 * values that vertex feeds: the rest of the job is served. */
static void jm_vertices_read(struct jm_batch *b, bool values)
{
	for (size_t i = 0; i < b->n; i++) {
		struct jt *t = b->r[i].ud;
		size_t v = b->r[i].tag, len = b->r[i].body.len;
		const char *body = jt_body(t, &b->r[i], "subtasks/metrics");
		struct err pe;
		int rc;

		err_clear(&pe);
		if (!body)
			continue;
		rc = values ? jmp_aggregates(body, len, &t->vals[v], &pe)
			    : jmp_metric_ids(body, len, &t->get[v], &pe);
		if (values && rc == ERR_NOTFOUND) {
			t->unread |= jmp_get_kinds(buf_str(&t->get[v]));
			log_v(2, "jobmanager: %s/%s: vertex %s: %s", t->ns,
			      t->deployment[0] ? t->deployment : t->job,
			      t->flink.v[v].id, pe.msg);
		} else if (rc) {
			jt_fail(t, NULL, pe.msg);
		}
	}
}

/* Batches 3 and 4: each vertex's metric ids (values false), then their
 * aggregates (values true). */
static int jm_vertices(struct jobmgr *m, struct jm_batch *b, bool values,
		       struct err *e)
{
	char q[FETCH_URL_MAX];
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		struct jt *t = m->t[i];

		for (size_t v = 0; !t->err[0] && v < t->flink.n; v++) {
			struct fetch_req *r;

			if (values && (!t->get[v].len ||
				       jm_escape_get(buf_str(&t->get[v]), q,
						     sizeof(q))))
				continue;
			if (!(r = jm_batch_add(b, t)))
				return err_set(e, ERR_NOMEM, "out of memory");
			fetch_req_init(r, t, "%s/jobs/%s/vertices/%s/subtasks/"
				       "metrics%s%s%s", t->url, t->jid,
				       t->flink.v[v].id, values ? "?get=" : "",
				       values ? q : "",
				       values ? "&agg=min,max,sum" : "");
			r->tag = v;
		}
	}
	if ((rc = jm_batch_run(m, b, e)))
		return rc;
	jm_vertices_read(b, values);
	return 0;
}

/* ---- the throughput computation (model/tput.h) ---- */

/* Vertex i's upstream vertices (indices into t->flink) into in; the
 * plan's, or the previous vertex without a plan.  -1: an input that is
 * not a vertex of the job. */
static int jt_inputs(const struct jt *t, size_t i, int *in)
{
	int k = t->plan.n ? jmplan_find(&t->plan, t->flink.v[i].id) : -1;
	int n = 0;

	if (!t->plan.n)
		return i > 0 ? (in[0] = (int)i - 1, 1) : 0;
	if (k < 0)
		return -1;
	for (size_t q = 0; q < t->plan.v[k].ninputs; q++) {
		int u = -1;

		for (size_t w = 0; w < t->flink.n && u < 0; w++)
			if (!strcmp(t->flink.v[w].id, t->plan.v[k].inputs[q]))
				u = (int)w;
		if (u < 0)
			return -1;
		in[n++] = u;
	}
	return n;
}

/* t's vertices in topological order (Kahn) as a tput_job; -1 when the
 * graph is not usable (unknown inputs, a cycle, too many vertices). */
static int jt_graph(const struct jt *t, struct tput_job *j, int *order)
{
	int in[JMP_MAX_VERTICES][JMPLAN_MAX_INPUTS], nin[JMP_MAX_VERTICES];
	int at[JMP_MAX_VERTICES]; /* tput index of a placed vertex, or -1 */
	size_t n = t->flink.n, placed = 0;

	if (n < 1 || n > TPUT_MAX_VERTICES)
		return -1;
	for (size_t i = 0; i < n; i++) {
		at[i] = -1;
		if ((nin[i] = jt_inputs(t, i, in[i])) < 0)
			return -1;
	}
	while (placed < n) {
		size_t before = placed;

		for (size_t i = 0; i < n; i++) {
			struct tput_vertex *x = &j->v[placed];
			bool ready = at[i] < 0;

			for (int q = 0; ready && q < nin[i]; q++)
				ready = at[in[i][q]] >= 0;
			if (!ready)
				continue;
			memset(x, 0, sizeof(*x));
			for (int q = 0; q < nin[i]; q++)
				x->inputs[q] = at[in[i][q]];
			x->ninputs = nin[i];
			x->source = nin[i] == 0;
			order[placed] = (int)i;
			at[i] = (int)placed++;
		}
		if (placed == before)
			return -1; /* a cycle */
	}
	j->n = (int)n;
	return 0;
}

/* Fill the tput vertices with what the JobManager said; false when a
 * vertex has no busy time or rates (restarting, metrics not yet there). */
static bool jt_rates(const struct jt *t, struct tput_job *j,
		     const int *order)
{
	for (int x = 0; x < j->n; x++) {
		size_t i = (size_t)order[x];
		const struct jmp_values *m = &t->vals[i];
		const struct jmplan_node *pn = NULL;
		struct tput_vertex *v = &j->v[x];
		int k = t->plan.n ? jmplan_find(&t->plan, t->flink.v[i].id) : -1;

		if (!(m->has & JMP_BUSY) ||
		    !(m->has & (v->source ? JMP_OUT_RATE : JMP_IN_RATE)))
			return false;
		pn = k >= 0 ? &t->plan.v[k] : NULL;
		v->parallelism = (int)t->flink.v[i].parallelism;
		v->max_parallelism = (int)t->flink.v[i].max_parallelism;
		v->keyed = pn && pn->keyed;
		v->in_rate = v->source ? m->out_rate : m->in_rate;
		v->out_rate = m->out_rate;
		v->busy = m->busy / 1000;
		v->busy_avg = m->busy_sum / 1000 / v->parallelism;
	}
	return true;
}

static void jt_tput_params(const struct jt *t, struct tput_params *p)
{
	int64_t per = t->slots.taskmanagers ? t->slots.total / (int64_t)t->slots.taskmanagers : 1;

	p->utilization = t->tp.utilization > 0 && t->tp.utilization <= 1
			 ? t->tp.utilization : 0.7;
	p->catch_up_s = t->tp.catch_up_s > 0 ? t->tp.catch_up_s : 300;
	p->restart_s = t->tp.restart_s > 0 ? t->tp.restart_s : 30;
	p->slots = t->tp.slots > 0 ? t->tp.slots : per > 0 ? (int)per : 1;
	p->min_tms = t->tp.min_tms > 0 ? t->tp.min_tms : 1;
	p->max_tms = t->tp.max_tms >= p->min_tms ? t->tp.max_tms : 1000000;
	p->current_tms = (int)t->slots.taskmanagers;
}

static void jt_tput_log(const struct jt *t, const struct tput_job *j,
			const int *order, const struct tput_result *r)
{
	for (int x = 0; x < j->n; x++)
		log_v(2, "throughput: %s/%s: vertex %s: parallelism %d, true "
		      "rate %.1f/s per subtask, target %.1f/s, needs %d",
		      t->ns, t->deployment[0] ? t->deployment : t->job,
		      t->flink.v[order[x]].id,
		      j->v[x].parallelism, r->v[x].tpr, r->v[x].target,
		      r->v[x].required);
	log_v(2, "throughput: %s/%s: true rate %.1f/s, target %.1f/s, "
	      "parallelism %d, TaskManagers %d%s", t->ns,
	      t->deployment[0] ? t->deployment : t->job, r->true_rate,
	      r->target_rate, r->required_parallelism, r->required_tms,
	      r->held ? " (scale-down held: backlog)" : "");
}

/* What to serve as the required TaskManagers: a new count once two
 * rounds in a row agree (a reading between two JobManager rounds, or
 * while a rescale settles, moves by one now and then). */
static double jt_tms_debounce(struct jt *t, const struct tput_result *r,
			      double value)
{
	if (r->required_tms == t->tms_last || t->tms_served < 0)
		t->tms_served = value;
	t->tms_last = r->required_tms;
	return t->tms_served;
}

/* The throughput metrics of t, when its vertices all reported in this
 * round and the one before (the backlog's growth is then measured over a
 * round of processing, not across a restart, which would count the
 * records that piled up meanwhile as arriving now).  Returns whether this
 * round had every vertex's rates. */
static bool jt_tput(struct jt *t, double backlog, double growth,
		    double v[CAT_N], bool has[CAT_N])
{
	struct tput_job *j = calloc(1, sizeof(*j));
	int order[TPUT_MAX_VERTICES];
	struct tput_params p;
	struct tput_result r;
	bool rates;

	if (!j)
		return false;
	jt_tput_params(t, &p);
	j->backlog = backlog;
	j->growth = growth;
	rates = !jt_graph(t, j, order) && jt_rates(t, j, order);
	if (rates && t->prev_rates && !tput_compute(j, &p, &r)) {
		v[CAT_JOB_TRUE_RATE] = r.true_rate;
		v[CAT_JOB_TARGET_RATE] = r.target_rate;
		v[CAT_JOB_REQUIRED_PARALLELISM] = r.required_parallelism;
		v[CAT_JOB_REQUIRED_TMS] = jt_tms_debounce(t, &r,
						tput_hpa_value(&r, &p, 0.1));
		has[CAT_JOB_TRUE_RATE] = has[CAT_JOB_TARGET_RATE] = true;
		has[CAT_JOB_REQUIRED_PARALLELISM] = true;
		has[CAT_JOB_REQUIRED_TMS] = true;
		jt_tput_log(t, j, order, &r);
	}
	free(j);
	return rates;
}

/* The catalogue values of a target that got through. */
static void jt_values(struct jt *t, int64_t now, double v[CAT_N],
		      bool has[CAT_N])
{
	double busy = 0, backlog = 0, wm = 0, lag = 0;

	memset(has, 0, CAT_N * sizeof(*has));
	memset(v, 0, CAT_N * sizeof(*v));
	for (size_t i = 0; i < t->flink.n; i++) {
		const struct jmp_values *x = &t->vals[i];

		if ((x->has & JMP_BUSY) && x->busy > busy)
			busy = x->busy;
		if (x->has & (JMP_PENDING | JMP_KAFKA_LAG))
			backlog += x->has & JMP_PENDING ? x->pending : x->kafka_lag;
		if ((x->has & JMP_WATERMARK) && (double)now - x->watermark > wm)
			wm = (double)now - x->watermark;
		if ((x->has & JMP_EMIT_LAG) && x->emit_lag > lag)
			lag = x->emit_lag;
		has[CAT_JOB_BUSY_RATIO] |= (x->has & JMP_BUSY) != 0;
		has[CAT_JOB_BACKLOG] |= (x->has & (JMP_PENDING | JMP_KAFKA_LAG)) != 0;
		has[CAT_JOB_WATERMARK_LAG] |= (x->has & JMP_WATERMARK) != 0;
		has[CAT_JOB_LATENCY] |= (x->has & JMP_EMIT_LAG) != 0;
	}
	v[CAT_JOB_BUSY_RATIO] = busy / 1000;
	v[CAT_JOB_BACKLOG] = backlog;
	v[CAT_JOB_WATERMARK_LAG] = wm / 1000;
	v[CAT_JOB_LATENCY] = lag / 1000;
	/* a vertex that could not be read leaves these incomplete: the
	 * store keeps their last values, which go stale on their own */
	has[CAT_JOB_BUSY_RATIO] &= !(t->unread & JMP_BUSY);
	has[CAT_JOB_BACKLOG] &= !(t->unread & (JMP_PENDING | JMP_KAFKA_LAG));
	has[CAT_JOB_WATERMARK_LAG] &= !(t->unread & JMP_WATERMARK);
	has[CAT_JOB_LATENCY] &= !(t->unread & JMP_EMIT_LAG);
	v[CAT_JOB_PARALLELISM] = (double)jmp_parallelism(&t->flink);
	has[CAT_JOB_PARALLELISM] = t->flink.n > 0;
	v[CAT_JOB_SLOTS_TOTAL] = (double)t->slots.total;
	v[CAT_JOB_SLOTS_FREE] = (double)t->slots.free;
	has[CAT_JOB_SLOTS_TOTAL] = has[CAT_JOB_SLOTS_FREE] = true;
	/* the backlog's growth since the last read (none: steady) */
	t->prev_rates = jt_tput(t, backlog, t->prev_ms && now > t->prev_ms
		? (backlog - t->prev_backlog) * 1000 / (double)(now - t->prev_ms)
		: 0, v, has);
	t->prev_backlog = backlog;
	t->prev_ms = now;
}

/* Log a change of t's state, once. */
static void jt_log(const struct jt *t, bool failed)
{
	const char *who = t->deployment[0] ? t->deployment : t->job;
	char u[REDACT_URL_MAX];

	if (failed && (!t->failing || strcmp(t->err, t->last_err) != 0))
		log_warn("jobmanager: %s/%s: %s: %s", t->ns, who,
			 redact_url(t->url, u, sizeof(u)), t->err);
	else if (!failed && t->failing)
		log_info("jobmanager: %s/%s: %s: job \"%s\" (%s) read again",
			 t->ns, who, redact_url(t->url, u, sizeof(u)), t->name,
			 t->jid);
}

/* Store what each target got; count and log. */
static void jm_finish(struct jobmgr *m, size_t *ok, size_t *failed)
{
	int64_t now = clock_ms(CLOCK_REALTIME);
	double v[CAT_N];
	bool has[CAT_N];

	*ok = *failed = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct jt *t = m->t[i];
		const char *key = t->job[0] ? t->job : t->name;
		struct err e;

		err_clear(&e);
		if (!t->err[0]) {
			jt_values(t, now, v, has);
			if (t->stored[0] && strcmp(t->stored, key) != 0)
				store_remove_job(m->st, t->ns, t->deployment,
						 t->stored);
			if (store_put_job(m->st, t->ns, t->deployment, key, v, has,
					  now, &e))
				jt_fail(t, "store", e.msg);
			else
				str_lcpy(t->stored, key, sizeof(t->stored));
		}
		if (t->err[0])
			t->prev_rates = false; /* no growth across a gap */
		jt_log(t, t->err[0] != '\0');
		t->failing = t->err[0] != '\0';
		str_lcpy(t->last_err, t->err, sizeof(t->last_err));
		++*(t->failing ? failed : ok);
	}
}

int jobmgr_round(struct jobmgr *m, struct err *e)
{
	int64_t t0 = clock_ms(CLOCK_MONOTONIC);
	struct jm_batch b = { NULL, 0, 0 };
	size_t ok = 0, failed = 0;
	int rc;

	jm_apply_targets(m);
	rc = jm_overview(m, &b, e);
	jm_batch_reset(&b);
	if (!rc)
		rc = jm_jobs(m, &b, e);
	jm_batch_reset(&b);
	if (!rc)
		rc = jm_vertices(m, &b, false, e);
	jm_batch_reset(&b);
	if (!rc)
		rc = jm_vertices(m, &b, true, e);
	jm_batch_reset(&b);
	free(b.r);
	if (!rc)
		jm_finish(m, &ok, &failed);
	pthread_mutex_lock(&m->mu);
	m->stats.rounds++;
	m->stats.ok += ok;
	m->stats.failed += failed;
	m->stats.targets = m->n;
	m->stats.failing = failed;
	m->stats.last_round_ms = clock_ms(CLOCK_MONOTONIC) - t0;
	pthread_mutex_unlock(&m->mu);
	return rc;
}

/* ---- thread and lifetime ---- */

static void *jm_main(void *arg)
{
	struct jobmgr *m = arg;
	struct err e;

	while (!atomic_load(&m->stop)) {
		struct timespec ts = clock_deadline(m->o.interval_ms);

		err_clear(&e);
		if (jobmgr_round(m, &e) && !atomic_load(&m->stop))
			log_error("jobmanager round: %s", e.msg);
		pthread_mutex_lock(&m->mu);
		while (!atomic_load(&m->stop) &&
		       pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0)
			;
		pthread_mutex_unlock(&m->mu);
	}
	return NULL;
}

struct jobmgr *jobmgr_new(const struct jm_opts *o, struct store *st,
			  struct err *e)
{
	struct jobmgr *m;

	if (o->interval_ms < 1000 || o->timeout_ms < 1) {
		err_set(e, ERR_INVAL, "JobManager interval must be >= 1s and "
			"the timeout >= 1ms");
		return NULL;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	m->o = *o;
	m->st = st;
	if (!(m->f = fetcher_new(o->timeout_ms, o->max_body, e))) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	atomic_init(&m->stop, false);
	return m;
}

int jobmgr_start(struct jobmgr *m, struct err *e)
{
	if (m->running)
		return err_set(e, ERR_STATE, "JobManager poller already running");
	if (pthread_create(&m->th, NULL, jm_main, m))
		return err_set(e, ERR_IO, "cannot start the JobManager thread");
	m->running = true;
	return 0;
}

void jobmgr_stop(struct jobmgr *m)
{
	if (!m || !m->running)
		return;
	pthread_mutex_lock(&m->mu);
	atomic_store(&m->stop, true);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	fetcher_wakeup(m->f);
	pthread_join(m->th, NULL);
	m->running = false;
	atomic_store(&m->stop, false);
}

void jobmgr_free(struct jobmgr *m)
{
	if (!m)
		return;
	jobmgr_stop(m);
	for (size_t i = 0; i < m->n; i++)
		jt_free(m->t[i]);
	free(m->t);
	jm_pending_free(m->pending, m->npending);
	fetcher_free(m->f);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void jobmgr_get_stats(struct jobmgr *m, struct jm_stats *out)
{
	pthread_mutex_lock(&m->mu);
	*out = m->stats;
	pthread_mutex_unlock(&m->mu);
}

int jobmgr_metrics(struct jobmgr *m, struct buf *out)
{
	struct jm_stats s;

	if (!m)
		return 0;
	jobmgr_get_stats(m, &s);
	return buf_addf(out,
		"# HELP flinkhpa_jobmanager_reads_total Jobs read from their JobManager, by result.\n"
		"# TYPE flinkhpa_jobmanager_reads_total counter\n"
		"flinkhpa_jobmanager_reads_total{result=\"ok\"} %llu\n"
		"flinkhpa_jobmanager_reads_total{result=\"failed\"} %llu\n"
		"# HELP flinkhpa_jobmanager_jobs Jobs followed through their JobManager.\n"
		"# TYPE flinkhpa_jobmanager_jobs gauge\n"
		"flinkhpa_jobmanager_jobs %zu\n"
		"# HELP flinkhpa_jobmanager_jobs_failing Jobs whose last read failed.\n"
		"# TYPE flinkhpa_jobmanager_jobs_failing gauge\n"
		"flinkhpa_jobmanager_jobs_failing %zu\n"
		"# HELP flinkhpa_jobmanager_round_seconds Wall time of the last JobManager round.\n"
		"# TYPE flinkhpa_jobmanager_round_seconds gauge\n"
		"flinkhpa_jobmanager_round_seconds %.3f\n",
		(unsigned long long)s.ok, (unsigned long long)s.failed,
		s.targets, s.failing, (double)s.last_round_ms / 1000);
}
