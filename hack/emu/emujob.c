/*
 * emujob.c - the emulator's jobs and savepoint operations (see emu.h):
 * the list of jobs (the latest one is the model's while it is active),
 * savepoints that complete after --savepoint-duration of model time, and
 * what a completed stop-with-savepoint does to the job, and what a
 * JobManager restart forgets.  Every function here runs with the
 * emulator's lock held.
 */
#include <stdio.h>
#include <string.h>

#include "hack/emu/emu.h"

#define EMU_CHECKPOINT_EXC "org.apache.flink.runtime.checkpoint.CheckpointException"
#define EMU_NOTFOUND_EXC "org.apache.flink.runtime.messages.FlinkJobNotFoundException"

/* splitmix64: ids only need to look random and differ. */
static uint64_t emu_rand(struct emu *e)
{
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void emu_hex(struct emu *e, char *out, int n)
{
	static const char digits[] = "0123456789abcdef";
	uint64_t r = 0;

	for (int i = 0; i < n; i++) {
		if (i % 16 == 0)
			r = emu_rand(e);
		out[i] = digits[r & 15];
		r >>= 4;
	}
	out[n] = '\0';
}

struct emu_job *emu_job_current(struct emu *e)
{
	return e->njobs ? &e->jobs[e->njobs - 1] : NULL;
}

struct emu_job *emu_job_find(struct emu *e, const char *jid)
{
	for (int i = 0; i < e->njobs; i++)
		if (strcmp(e->jobs[i].jid, jid) == 0)
			return &e->jobs[i];
	return NULL;
}

const char *emu_job_state(struct emu *e, const struct emu_job *j)
{
	switch (j->state) {
	case EMU_JOB_FINISHED:
		return "FINISHED";
	case EMU_JOB_CANCELED:
		return "CANCELED";
	case EMU_JOB_FAILED:
		return "FAILED";
	}
	return emu_model_state(&e->m);
}

struct emu_job *emu_job_add(struct emu *e, int state)
{
	struct emu_job *j;

	if (e->njobs == EMU_MAX_JOBS) {
		memmove(&e->jobs[0], &e->jobs[1],
			sizeof(e->jobs[0]) * (EMU_MAX_JOBS - 1));
		e->njobs--;
	}
	j = &e->jobs[e->njobs++];
	memset(j, 0, sizeof(*j));
	emu_hex(e, j->jid, 32);
	j->state = state;
	j->start_ms = e->m.now_ms;
	j->end_ms = state == EMU_JOB_ACTIVE ? -1 : e->m.now_ms;
	return j;
}

void emu_job_end(struct emu *e, struct emu_job *j, int state)
{
	emu_cp_end(e, j, state);
	j->state = state;
	j->end_ms = e->m.now_ms;
	j->parallelism = e->m.parallelism;
	emu_model_stop(&e->m);
}

static void emu_sp_fail(struct emu_savepoint *sp, const char *cls,
			const char *msg)
{
	sp->status = EMU_SP_FAILED;
	snprintf(sp->cause_class, sizeof(sp->cause_class), "%s", cls);
	snprintf(sp->cause_msg, sizeof(sp->cause_msg), "%s", msg);
}

/* Why a savepoint of job jid cannot be taken now; NULL when it can. */
static const char *emu_sp_blocker(struct emu *e, const char *jid,
				  const char **cls, char *msg, size_t n)
{
	struct emu_job *j = emu_job_find(e, jid);

	if (!j || j->state != EMU_JOB_ACTIVE) {
		*cls = EMU_NOTFOUND_EXC;
		snprintf(msg, n, "Could not find Flink job (%s)", jid);
		return msg;
	}
	if (!emu_model_processing(&e->m)) {
		*cls = EMU_CHECKPOINT_EXC;
		snprintf(msg, n, "Not all required tasks are currently running.");
		return msg;
	}
	return NULL;
}

struct emu_savepoint *emu_sp_trigger(struct emu *e, const char *jid,
				     const char *dir, int kind)
{
	struct emu_savepoint *sp = &e->sp[e->nsp++ % EMU_MAX_SAVEPOINTS];
	const char *cls;
	char msg[256];

	memset(sp, 0, sizeof(*sp));
	emu_hex(e, sp->trigger, 32);
	snprintf(sp->jid, sizeof(sp->jid), "%s", jid);
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->kind = kind;
	sp->due_ms = e->m.now_ms + e->savepoint_ms;
	if (emu_sp_blocker(e, jid, &cls, msg, sizeof(msg))) {
		emu_sp_fail(sp, cls, msg); /* Flink fails it at once */
		e->savepoints_failed++;
	} else if (e->savepoint_fails > 0) {
		e->savepoint_fails--;
		sp->inject = true;
	}
	return sp;
}

struct emu_savepoint *emu_sp_find(struct emu *e, const char *jid,
				  const char *trigger)
{
	int first = e->nsp > EMU_MAX_SAVEPOINTS ? e->nsp - EMU_MAX_SAVEPOINTS : 0;

	for (int i = first; i < e->nsp; i++) {
		struct emu_savepoint *sp = &e->sp[i % EMU_MAX_SAVEPOINTS];
		if (!sp->lost && strcmp(sp->trigger, trigger) == 0 &&
		    strcmp(sp->jid, jid) == 0)
			return sp;
	}
	return NULL;
}

bool emu_sp_exists(struct emu *e, const char *location)
{
	int first = e->nsp > EMU_MAX_SAVEPOINTS ? e->nsp - EMU_MAX_SAVEPOINTS : 0;

	for (int i = first; i < e->nsp; i++) {
		struct emu_savepoint *sp = &e->sp[i % EMU_MAX_SAVEPOINTS];
		if (sp->status == EMU_SP_DONE && strcmp(sp->location, location) == 0)
			return true;
	}
	return false;
}

/* A due savepoint completes: written, or failed (injected, or the job
 * stopped running meanwhile); a completed stop ends the job. */
static void emu_sp_complete(struct emu *e, struct emu_savepoint *sp)
{
	const char *cls;
	char msg[256], rnd[13];
	bool slash;

	if (sp->inject || emu_sp_blocker(e, sp->jid, &cls, msg, sizeof(msg))) {
		if (sp->inject)
			emu_sp_fail(sp, EMU_CHECKPOINT_EXC,
				    "Checkpoint expired before completing.");
		else
			emu_sp_fail(sp, cls, msg);
		e->savepoints_failed++;
		return;
	}
	emu_hex(e, rnd, 12);
	slash = sp->dir[0] && sp->dir[strlen(sp->dir) - 1] == '/';
	if (snprintf(sp->location, sizeof(sp->location), "%s%ssavepoint-%.6s-%s",
		     sp->dir, slash ? "" : "/", sp->jid, rnd) >=
	    (int)sizeof(sp->location)) {
		emu_sp_fail(sp, "java.io.IOException", "Savepoint path too long.");
		e->savepoints_failed++;
		return;
	}
	sp->status = EMU_SP_DONE;
	e->savepoints++;
	emu_cp_savepoint(e, emu_job_find(e, sp->jid), sp,
			 sp->kind == EMU_SP_STOP);
	if (sp->kind != EMU_SP_SAVEPOINT)
		emu_job_end(e, emu_job_find(e, sp->jid),
			    sp->kind == EMU_SP_STOP ? EMU_JOB_FINISHED
						    : EMU_JOB_CANCELED);
}

void emu_tick(struct emu *e, double dt)
{
	int first = e->nsp > EMU_MAX_SAVEPOINTS ? e->nsp - EMU_MAX_SAVEPOINTS : 0;

	emu_model_tick(&e->m, dt);
	emu_cp_tick(e);
	for (int i = first; i < e->nsp; i++) {
		struct emu_savepoint *sp = &e->sp[i % EMU_MAX_SAVEPOINTS];
		if (sp->status == EMU_SP_PENDING && sp->due_ms <= e->m.now_ms)
			emu_sp_complete(e, sp);
	}
}

/* The Dispatcher's operation cache and its store of ended jobs live in the
 * JobManager's memory: a restart forgets every savepoint trigger (a
 * savepoint under way is aborted, so a stop-with-savepoint does not stop
 * the job) and every job that ended (a globally terminal job is not
 * recovered).  Savepoints written before stay on disk: a jar run from one
 * still works.  The job that runs is recovered from its last checkpoint. */
void emu_jm_restart(struct emu *e, double secs)
{
	struct emu_job *cur = emu_job_current(e);
	int first = e->nsp > EMU_MAX_SAVEPOINTS ? e->nsp - EMU_MAX_SAVEPOINTS : 0;

	for (int i = first; i < e->nsp; i++) {
		struct emu_savepoint *sp = &e->sp[i % EMU_MAX_SAVEPOINTS];

		sp->lost = true;
		if (sp->status == EMU_SP_PENDING)
			emu_sp_fail(sp, EMU_CHECKPOINT_EXC,
				    "The JobManager stopped: checkpoint aborted.");
	}
	if (cur && cur->state == EMU_JOB_ACTIVE) {
		e->jobs[0] = *cur;
		e->njobs = 1;
		emu_model_recover(&e->m, secs);
		emu_cp_restore(e, &e->jobs[0], NULL);
	} else {
		e->njobs = 0;
	}
	e->jm_down_until_ms = e->m.now_ms + (int64_t)(secs * 1000);
	e->jm_up_ms = e->jm_down_until_ms + 1000;
	e->jm_restarts++;
}

int emu_jm_state(const struct emu *e)
{
	if (e->m.now_ms < e->jm_down_until_ms)
		return EMU_JM_DOWN;
	return e->m.now_ms < e->jm_up_ms ? EMU_JM_ELECTING : EMU_JM_UP;
}
