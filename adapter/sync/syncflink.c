/*
 * syncflink.c - the sync controller's questions and orders to a
 * JobManager, on the Flink REST client (see syncflink.h).
 */
#include "adapter/sync/syncflink.h"

#include <stdio.h>
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

int sf_find_job(struct sf *f, const char *name, struct jmp_job *j,
		struct err *e)
{
	struct jmp_jobs jobs = { 0 };
	const struct jmp_brief *b;
	char id[JMP_ID_LEN];
	int rc;

	memset(j, 0, sizeof(*j));
	if ((rc = fr_jobs(f->c, &jobs, e)))
		return rc;
	if ((b = jmp_pick(&jobs, name)))
		str_lcpy(id, b->id, sizeof(id));
	jmp_jobs_release(&jobs);
	if (!b)
		return err_set(e, ERR_NOTFOUND, "no job called \"%s\" at the "
			       "JobManager", name);
	return fr_job(f->c, id, j, e);
}

int sf_slots(struct sf *f, int64_t *tms, int64_t *slots, struct err *e)
{
	struct jmp_slots t;
	int rc = fr_taskmanagers(f->c, &t, e);

	if (!rc) {
		*tms = t.taskmanagers;
		*slots = t.total;
	}
	return rc;
}

int sf_set_parallelism(struct sf *f, const struct jmp_job *j, int64_t target,
		       struct err *e)
{
	struct fr_requirements r = { 0 };
	int rc = fr_get_requirements(f->c, j->id, &r, e);

	if (rc)
		return rc;
	for (size_t i = 0; i < r.n; i++) {
		int64_t t = target;
		for (size_t k = 0; k < j->n; k++)
			if (!strcmp(j->v[k].id, r.v[i].vertex))
				t = jmp_vertex_target(&j->v[k], target);
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
	char t[JMP_ID_LEN];
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
	char id[JMP_ID_LEN];
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

int sf_job(struct sf *f, const char *id, struct jmp_job *j, struct err *e)
{
	return fr_job(f->c, id, j, e);
}

/* Why nothing in c can be resumed from, into why. */
static void sf_why_none(const struct jmp_checkpoints *c,
			const struct jmp_cp_config *cfg, char *why,
			size_t nwhy)
{
	if (!c->checkpoint.id && !c->savepoint.id)
		snprintf(why, nwhy, "it has no completed checkpoint or "
			 "savepoint");
	else if (!c->checkpoint.id || c->checkpoint.discarded ||
		 !strcmp(c->checkpoint.path, JMP_NOT_EXTERNALIZED))
		snprintf(why, nwhy, "its latest checkpoint is not kept on "
			 "storage");
	else if (!cfg->externalized || cfg->delete_on_cancel)
		snprintf(why, nwhy, "Flink deletes its checkpoints when it is "
			 "cancelled (execution.checkpointing."
			 "externalized-checkpoint-retention is %s, not "
			 "RETAIN_ON_CANCELLATION)",
			 cfg->externalized ? "DELETE_ON_CANCELLATION"
					   : "NO_EXTERNALIZED_CHECKPOINTS");
	else
		snprintf(why, nwhy, "none of its checkpoints can be restored");
}

int sf_restore_point(struct sf *f, const char *job, char *path, size_t n,
		     char *why, size_t nwhy, struct err *e)
{
	struct jmp_checkpoints c;
	struct jmp_cp_config cfg;
	const struct jmp_snapshot *s;
	int rc = fr_checkpoint_config(f->c, job, &cfg, e);

	if (rc == ERR_NOTFOUND) {
		snprintf(why, nwhy, "checkpointing is not enabled for it");
		return rc;
	}
	if (rc || (rc = fr_checkpoints(f->c, job, &c, e)))
		return rc;
	if (!(s = jmp_restore_point(&c, &cfg))) {
		sf_why_none(&c, &cfg, why, nwhy);
		return err_set(e, ERR_NOTFOUND, "job %s: nothing to resume "
			       "from: %s", job, why);
	}
	str_lcpy(path, s->path, n);
	return 0;
}

int sf_cancel(struct sf *f, const char *job, struct err *e)
{
	return fr_cancel(f->c, job, e);
}
