/*
 * jobmgr.c - the JobManager poller (see jobmgr.h).
 *
 * A round: apply the latest target set, then four batches of requests
 * (overview and slots; the job; each vertex's metric ids; their
 * aggregates), each target dropping out at its first failure, then one
 * store write per target that got through.
 */
#include "adapter/collect/jobmgr.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/redact.h"
#include "common/str.h"
#include "adapter/collect/fetch.h"
#include "adapter/flink/jmparse.h"

struct jt {
	char *ns, *deployment, *job, *url;
	char stored[256]; /* the job name its values went in under; "" none */
	bool keep;
	/* this round */
	char jid[JMP_ID_MAX], name[256];
	struct jmp_job flink;
	struct jmp_values vals[JMP_MAX_VERTICES];
	struct buf get[JMP_MAX_VERTICES];
	int64_t slots_total, slots_free;
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

static int64_t jm_now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
		if (!dup && (nt[k] = jm_adopt(m, &p[i])))
			nt[k++]->keep = true;
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
	t->slots_total = t->slots_free = 0;
	memset(t->vals, 0, sizeof(t->vals));
	for (size_t i = 0; i < JMP_MAX_VERTICES; i++)
		buf_reset(&t->get[i]);
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
		if ((jobs && jmp_pick_job(jobs, t->job, t->jid, t->name,
					  sizeof(t->name), &pe)) ||
		    (tms && jmp_slots(tms, &t->slots_total, &t->slots_free,
				      &pe)))
			jt_fail(t, NULL, pe.msg);
	}
	return 0;
}

/* Batch 2: the job's vertices. */
static int jm_jobs(struct jobmgr *m, struct jm_batch *b, struct err *e)
{
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		struct jt *t = m->t[i];
		struct fetch_req *r;

		if (t->err[0])
			continue;
		if (!(r = jm_batch_add(b, t)))
			return err_set(e, ERR_NOMEM, "out of memory");
		fetch_req_init(r, t, "%s/jobs/%s", t->url, t->jid);
	}
	if ((rc = jm_batch_run(m, b, e)))
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		struct jt *t = b->r[i].ud;
		const char *body = jt_body(t, &b->r[i], "/jobs/:jobid");
		struct err pe;

		err_clear(&pe);
		if (body && jmp_job(body, &t->flink, &pe))
			jt_fail(t, NULL, pe.msg);
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

/* Read the answers of batch 3 (values false) or 4. */
static void jm_vertices_read(struct jm_batch *b, bool values)
{
	for (size_t i = 0; i < b->n; i++) {
		struct jt *t = b->r[i].ud;
		size_t v = b->r[i].tag;
		const char *body = jt_body(t, &b->r[i], "subtasks/metrics");
		struct err pe;

		err_clear(&pe);
		if (body && (values ? jmp_aggregates(body, &t->vals[v], &pe)
				    : jmp_metric_ids(body, &t->get[v], &pe)))
			jt_fail(t, NULL, pe.msg);
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

/* The catalogue values of a target that got through. */
static void jt_values(const struct jt *t, int64_t now, double v[CAT_N],
		      bool has[CAT_N])
{
	double busy = 0, backlog = 0, wm = 0, lag = 0;
	int64_t par = 0;

	memset(has, 0, CAT_N * sizeof(*has));
	memset(v, 0, CAT_N * sizeof(*v));
	for (size_t i = 0; i < t->flink.n; i++) {
		const struct jmp_values *x = &t->vals[i];

		if (t->flink.v[i].parallelism > par)
			par = t->flink.v[i].parallelism;
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
	v[CAT_JOB_PARALLELISM] = (double)par;
	has[CAT_JOB_PARALLELISM] = t->flink.n > 0;
	v[CAT_JOB_SLOTS_TOTAL] = (double)t->slots_total;
	v[CAT_JOB_SLOTS_FREE] = (double)t->slots_free;
	has[CAT_JOB_SLOTS_TOTAL] = has[CAT_JOB_SLOTS_FREE] = true;
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
	int64_t now = jm_now(CLOCK_REALTIME);
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
		jt_log(t, t->err[0] != '\0');
		t->failing = t->err[0] != '\0';
		str_lcpy(t->last_err, t->err, sizeof(t->last_err));
		++*(t->failing ? failed : ok);
	}
}

int jobmgr_round(struct jobmgr *m, struct err *e)
{
	int64_t t0 = jm_now(CLOCK_MONOTONIC);
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
	m->stats.last_round_ms = jm_now(CLOCK_MONOTONIC) - t0;
	pthread_mutex_unlock(&m->mu);
	return rc;
}

/* ---- thread and lifetime ---- */

static void *jm_main(void *arg)
{
	struct jobmgr *m = arg;
	struct err e;

	while (!atomic_load(&m->stop)) {
		int64_t next = jm_now(CLOCK_REALTIME) + m->o.interval_ms;
		struct timespec ts = { next / 1000, (next % 1000) * 1000000 };

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

void jobmgr_free(struct jobmgr *m)
{
	if (!m)
		return;
	if (m->running) {
		pthread_mutex_lock(&m->mu);
		atomic_store(&m->stop, true);
		pthread_cond_broadcast(&m->cv);
		pthread_mutex_unlock(&m->mu);
		fetcher_wakeup(m->f);
		pthread_join(m->th, NULL);
	}
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
