/*
 * syncflink.c - the sync controller's questions and orders to a
 * JobManager, on the Flink REST client (see syncflink.h).
 */
#include "adapter/sync/syncflink.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "adapter/flink/flinkrest.h"

struct sf {
	struct fr_client *c;
};

struct sf *sf_new(const char *base_url, int64_t timeout_ms, struct err *e)
{
	struct sf *f = calloc(1, sizeof(*f));

	if (!f) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!(f->c = fr_new(base_url, (long)timeout_ms, e))) {
		free(f);
		return NULL;
	}
	return f;
}

void sf_free(struct sf *f)
{
	if (!f)
		return;
	fr_free(f->c);
	free(f);
}

static bool sf_terminal(const char *state)
{
	return !strcmp(state, "FINISHED") || !strcmp(state, "CANCELED") ||
	       !strcmp(state, "FAILED");
}

/* Of the jobs called name: one still alive, else the last one listed. */
static int sf_pick(const struct fr_jobs *jobs, const char *name,
		   char *id, size_t n)
{
	const struct fr_job *best = NULL;

	for (size_t i = 0; i < jobs->n; i++) {
		const struct fr_job *j = &jobs->v[i];
		if (!j->name || strcmp(j->name, name))
			continue;
		if (!best || (sf_terminal(best->state) && !sf_terminal(j->state)))
			best = j;
	}
	if (!best)
		return ERR_NOTFOUND;
	str_lcpy(id, best->id, n);
	return 0;
}

int sf_find_job(struct sf *f, const char *name, struct sf_job *j,
		struct err *e)
{
	struct fr_jobs jobs = { 0 };
	struct fr_job_detail d = { 0 };
	char id[FR_ID_LEN];
	int rc;

	memset(j, 0, sizeof(*j));
	if ((rc = fr_jobs(f->c, &jobs, e)))
		return rc;
	rc = sf_pick(&jobs, name, id, sizeof(id));
	fr_jobs_release(&jobs);
	if (rc)
		return err_set(e, rc, "no job called \"%s\" at the JobManager",
			       name);
	if ((rc = fr_job(f->c, id, &d, e)))
		return rc;
	str_lcpy(j->id, d.id, sizeof(j->id));
	str_lcpy(j->state, d.state, sizeof(j->state));
	for (size_t i = 0; i < d.nv && i < SF_MAX_VERTICES; i++) {
		str_lcpy(j->v[i].id, d.v[i].id, sizeof(j->v[i].id));
		j->v[i].par = d.v[i].parallelism;
		j->v[i].max_par = d.v[i].max_parallelism;
		j->nv++;
	}
	fr_job_detail_release(&d);
	return 0;
}

int sf_slots(struct sf *f, int64_t *tms, int64_t *slots, struct err *e)
{
	struct fr_taskmanagers t;
	int rc = fr_taskmanagers(f->c, &t, e);

	if (!rc) {
		*tms = t.count;
		*slots = t.slots;
	}
	return rc;
}

static int64_t sf_vertex_target(const struct sf_vertex *v, int64_t target)
{
	return v->max_par > 0 && v->max_par < target ? v->max_par : target;
}

int sf_set_parallelism(struct sf *f, const struct sf_job *j, int64_t target,
		       struct err *e)
{
	struct fr_requirements r = { 0 };
	int rc = fr_get_requirements(f->c, j->id, &r, e);

	if (rc)
		return rc;
	for (size_t i = 0; i < r.n; i++) {
		int64_t t = target;
		for (size_t k = 0; k < j->nv; k++)
			if (!strcmp(j->v[k].id, r.v[i].vertex))
				t = sf_vertex_target(&j->v[k], target);
		r.v[i].lower = 1;
		r.v[i].upper = (int)t;
	}
	rc = fr_put_requirements(f->c, j->id, &r, e);
	fr_requirements_release(&r);
	return rc;
}

int sf_stop_with_savepoint(struct sf *f, const char *job, const char *dir,
			   char *trigger, size_t n, struct err *e)
{
	char t[FR_ID_LEN];
	int rc = fr_stop_with_savepoint(f->c, job, dir, false, t, e);

	if (!rc)
		str_lcpy(trigger, t, n);
	return rc;
}

int sf_savepoint(struct sf *f, const char *job, const char *trigger,
		 enum sf_savepoint *st, char *location, size_t nloc,
		 char *why, size_t nwhy, struct err *e)
{
	struct fr_savepoint s = { 0 };
	int rc = fr_savepoint_status(f->c, job, trigger, &s, e);

	if (rc)
		return rc;
	*st = s.status == FR_SP_COMPLETED ? SF_SP_DONE
	      : s.status == FR_SP_FAILED ? SF_SP_FAILED : SF_SP_RUNNING;
	if (s.location)
		str_lcpy(location, s.location, nloc);
	if (s.failure)
		str_lcpy(why, s.failure, nwhy);
	fr_savepoint_release(&s);
	return 0;
}

int sf_resubmit(struct sf *f, const char *jar, int64_t parallelism,
		const char *savepoint, char *job, size_t n, struct err *e)
{
	struct fr_jar first = { 0 };
	struct fr_run run = { .parallelism = (int)parallelism,
			      .savepoint = savepoint };
	char id[FR_ID_LEN];
	int rc = 0;

	if (!jar && !(rc = fr_jars(f->c, &first, e)))
		jar = first.id;
	if (!rc)
		rc = fr_jar_run(f->c, jar, &run, id, e);
	if (!rc)
		str_lcpy(job, id, n);
	fr_jar_release(&first);
	return rc;
}

int64_t sf_parallelism(const struct sf_job *j)
{
	int64_t p = 0;

	for (size_t i = 0; i < j->nv; i++)
		if (j->v[i].par > p)
			p = j->v[i].par;
	return p;
}

bool sf_at_target(const struct sf_job *j, int64_t target)
{
	if (!j->nv)
		return false;
	for (size_t i = 0; i < j->nv; i++)
		if (j->v[i].par != sf_vertex_target(&j->v[i], target))
			return false;
	return true;
}
