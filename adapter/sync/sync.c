/*
 * sync.c - the parallelism sync controller (see sync.h): one thread, the
 * TaskManager Deployments in view (a watch, depcache.h), each with its
 * rescale state machine
 *
 *   IDLE --(replicas changed, settled, ready)--> [SAVEPOINT -> SUBMIT ->]
 *   VERIFY --(job RUNNING at target)--> IDLE, Rescaled
 *                   (timeout, failed savepoint)--> IDLE, RescaleFailed
 *   IDLE --(savepoint mode, job stranded without its slots, a retained
 *           checkpoint)--> CANCEL -> SUBMIT -> VERIFY
 *
 * advanced one step per period, and at once when a Deployment changes.
 * Only SUBMIT never gives up: the job was stopped with a completed
 * savepoint, or cancelled with a retained checkpoint, and must be
 * resubmitted.  A savepoint
 * the JobManager forgot (it restarted) while the job still runs counts as
 * a failed one: reported at once, tried again later.
 */
#include "adapter/sync/sync.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/jget.h"
#include "common/log.h"
#include "common/names.h"
#include "common/str.h"
#include "adapter/kube/depcache.h"
#include "adapter/sync/synckube.h"
#include "adapter/sync/syncflink.h"


enum phase { PH_IDLE, PH_SAVEPOINT, PH_CANCEL, PH_SUBMIT, PH_VERIFY };

struct dep {
	struct dep *next;
	char ns[64], name[254], uid[64];
	bool seen, restored;
	/* from the Deployment's annotations */
	char jm[512], job_name[256], sp_dir[1024], jar[512];
	enum fh_mode mode;
	bool mode_bad;       /* parallelism-mode names no mode: not rescaled */
	char mode_raw[64];   /* the annotation as written */
	char mode_told[64];  /* the bad name last reported ("" none) */
	int64_t slots, max_par;
	bool align;
	/* observed */
	int64_t replicas, ready, changed_at, applied;
	/* the rescale */
	enum phase ph;
	int64_t from, target, started_at, last_at, failed_target;
	char job[40], trigger[128], savepoint[1024];
	bool submit_warned;
	bool resumed;        /* cancelled, resumed from savepoint (a checkpoint) */
	int64_t stuck_since; /* stranded: not running, too few slots (0: not) */
	char stranded_told[40]; /* the job a JobStranded Event named */
	struct sf *flink;
	char flink_url[512];
};

struct sync {
	struct kube_client *k;
	struct depcache *dc; /* the Deployments, watched */
	struct lease *lease;
	struct sync_opts o;
	char *ns, *selector;
	struct dep *deps;
	pthread_mutex_t mu; /* stats */
	struct sync_stats st;
	atomic_bool stop;
	pthread_t th;
	bool running;
};

int64_t sync_target(int64_t replicas, int64_t slots, int64_t max_par,
		    bool align)
{
	int64_t t = replicas * slots;

	if (t < 1)
		return replicas > 0 ? 1 : 0;
	if (max_par > 0 && t > max_par)
		t = max_par;
	if (align && max_par > 0)
		while (t > 1 && max_par % t)
			t--;
	return t;
}

/* ---- reading a Deployment ---- */

static int64_t ann_int(json_object *d, const char *key, int64_t def)
{
	const char *v = sk_annotation(d, key);
	char *end;
	long long x;

	if (!v || !*v)
		return def;
	x = strtoll(v, &end, 10);
	return *end || x < 0 ? def : x;
}

static void ann_str(json_object *d, const char *key, char *out, size_t n)
{
	const char *v = sk_annotation(d, key);

	str_lcpy(out, v ? v : "", n);
}

/* The mode annotation: absent is reactive (the default); a name that is
 * no mode marks the Deployment bad (reported once, in dep_check_mode). */
static void dep_mode(struct dep *d, json_object *o)
{
	const char *m = sk_annotation(o, FH_ANN_MODE);

	str_lcpy(d->mode_raw, m ? m : "", sizeof(d->mode_raw));
	d->mode_bad = false;
	if (!m || !*m) {
		d->mode = FH_MODE_REACTIVE;
		d->mode_told[0] = '\0';
	} else if (fh_mode_parse(m, &d->mode)) {
		d->mode_bad = true;
		d->mode = FH_MODE_REACTIVE;
	} else {
		d->mode_told[0] = '\0';
	}
}

static void dep_config(struct dep *d, json_object *o)
{
	const char *align = sk_annotation(o, FH_ANN_ALIGN);

	ann_str(o, FH_ANN_JOBMANAGER, d->jm, sizeof(d->jm));
	ann_str(o, FH_ANN_JOB_NAME, d->job_name, sizeof(d->job_name));
	ann_str(o, FH_ANN_SAVEPOINT_DIR, d->sp_dir, sizeof(d->sp_dir));
	ann_str(o, FH_ANN_JAR_ID, d->jar, sizeof(d->jar));
	dep_mode(d, o);
	d->slots = ann_int(o, FH_ANN_SLOTS, 1);
	d->max_par = ann_int(o, FH_ANN_MAX_PARALLELISM, 0);
	d->align = align && !strcmp(align, "true");
	d->applied = ann_int(o, FH_ANN_APPLIED, -1);
}

/* "target=N job=ID trigger=T savepoint=P": a rescale a previous leader
 * started; continue it where it stood. */
static void dep_restore(struct dep *d, const char *v, int64_t now)
{
	char buf[2048], *save = NULL;

	str_lcpy(buf, v, sizeof(buf));
	for (char *f = strtok_r(buf, " ", &save); f;
	     f = strtok_r(NULL, " ", &save)) {
		if (!strncmp(f, "target=", 7))
			d->target = strtoll(f + 7, NULL, 10);
		else if (!strncmp(f, "from=", 5))
			d->from = strtoll(f + 5, NULL, 10);
		else if (!strncmp(f, "job=", 4))
			str_lcpy(d->job, f + 4, sizeof(d->job));
		else if (!strncmp(f, "trigger=", 8))
			str_lcpy(d->trigger, f + 8, sizeof(d->trigger));
		else if (!strncmp(f, "savepoint=", 10))
			str_lcpy(d->savepoint, f + 10, sizeof(d->savepoint));
		else if (!strcmp(f, "cancel=1"))
			d->resumed = true;
	}
	if (d->target <= 0)
		return;
	d->ph = d->resumed && d->savepoint[0] ? PH_CANCEL
		: d->savepoint[0] ? PH_SUBMIT : d->trigger[0] ? PH_SAVEPOINT
							      : PH_VERIFY;
	d->started_at = now;
	log_info("sync: %s/%s: continuing the rescale to %lld a previous "
		 "leader started", d->ns, d->name, (long long)d->target);
}

static void dep_observe(struct dep *d, json_object *o, int64_t now)
{
	int64_t replicas = jget_int(o, 0, "spec", "replicas");
	const char *uid = jget_str(o, "metadata", "uid");

	dep_config(d, o);
	str_lcpy(d->uid, uid ? uid : "", sizeof(d->uid));
	d->ready = jget_int(o, 0, "status", "readyReplicas");
	if (replicas != d->replicas || !d->restored)
		d->changed_at = now;
	d->replicas = replicas;
	if (!d->restored) {
		const char *r = sk_annotation(o, FH_ANN_RESCALE);
		d->restored = true;
		if (r)
			dep_restore(d, r, now);
	}
}

/* ---- reporting ---- */

static void dep_event(struct sync *s, struct dep *d, bool ok, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

static void dep_send(struct sync *s, struct dep *d, bool ok,
		     const char *reason, const char *msg)
{
	struct err e;

	err_clear(&e);
	if (ok)
		log_info("sync: %s/%s: %s", d->ns, d->name, msg);
	else
		log_warn("sync: %s/%s: %s", d->ns, d->name, msg);
	if (sk_event(s->k, d->ns, d->name, d->uid, ok ? "Normal" : "Warning",
		     reason, msg, &e))
		log_warn("sync: %s", e.msg);
}

static void dep_event(struct sync *s, struct dep *d, bool ok, const char *fmt,
		      ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dep_send(s, d, ok, ok ? "Rescaled" : "RescaleFailed", msg);
}

/* Record the rescale in flight (what a new leader needs). */
static int dep_mark(struct sync *s, struct dep *d, struct err *e)
{
	char v[2048];
	const char *keys[] = { FH_ANN_RESCALE };
	const char *vals[] = { v };

	snprintf(v, sizeof(v), "target=%lld from=%lld job=%s%s%s%s%s%s",
		 (long long)d->target, (long long)d->from, d->job,
		 d->trigger[0] ? " trigger=" : "", d->trigger,
		 d->savepoint[0] ? " savepoint=" : "", d->savepoint,
		 d->ph == PH_CANCEL ? " cancel=1" : "");
	return sk_annotate(s->k, d->ns, d->name, keys, vals, 1, e);
}

static void dep_reset(struct dep *d, int64_t now)
{
	d->ph = PH_IDLE;
	d->last_at = now;
	d->job[0] = d->trigger[0] = d->savepoint[0] = '\0';
	d->submit_warned = false;
	d->resumed = false;
	d->stuck_since = 0;
}

static void dep_done(struct sync *s, struct dep *d, int64_t now)
{
	const char *keys[] = { FH_ANN_APPLIED, FH_ANN_RESCALE };
	char num[32];
	const char *vals[] = { num, NULL };
	struct err e;

	snprintf(num, sizeof(num), "%lld", (long long)d->target);
	err_clear(&e);
	if (sk_annotate(s->k, d->ns, d->name, keys, vals, 2, &e)) {
		log_warn("sync: %s (retrying)", e.msg);
		return; /* stay in VERIFY: the next step records it */
	}
	dep_event(s, d, true, "job %s runs at parallelism %lld (was %lld): "
		  "%lld TaskManagers x %lld slots, %s mode, in %.1f s%s%.1024s",
		  d->job_name, (long long)d->target, (long long)d->from,
		  (long long)d->replicas, (long long)d->slots,
		  fh_mode_name(d->mode), (now - d->started_at) / 1000.0,
		  d->resumed ? "; it could not run on the slots left, so it "
			       "was cancelled and resumed from " : "",
		  d->resumed ? d->savepoint : "");
	pthread_mutex_lock(&s->mu);
	s->st.rescales++;
	s->st.last_duration_ms = now - d->started_at;
	pthread_mutex_unlock(&s->mu);
	d->applied = d->target;
	d->failed_target = 0;
	dep_reset(d, now);
}

static void dep_failed(struct sync *s, struct dep *d, int64_t now,
		       const char *why)
{
	const char *keys[] = { FH_ANN_RESCALE };
	const char *vals[] = { NULL };
	struct err e;

	err_clear(&e);
	if (sk_annotate(s->k, d->ns, d->name, keys, vals, 1, &e))
		log_warn("sync: %s", e.msg);
	dep_event(s, d, false, "rescaling job %s to parallelism %lld failed: "
		  "%s", d->job_name, (long long)d->target, why);
	pthread_mutex_lock(&s->mu);
	s->st.failures++;
	pthread_mutex_unlock(&s->mu);
	d->failed_target = d->target;
	dep_reset(d, now);
}

/* A Deployment seen for the first time with its job already at the
 * target: record it, without an event (nothing was rescaled). */
static void dep_adopt(struct sync *s, struct dep *d, int64_t target)
{
	const char *keys[] = { FH_ANN_APPLIED };
	char num[32];
	const char *vals[] = { num };
	struct err e;

	snprintf(num, sizeof(num), "%lld", (long long)target);
	err_clear(&e);
	if (sk_annotate(s->k, d->ns, d->name, keys, vals, 1, &e))
		log_warn("sync: %s", e.msg);
	else
		d->applied = target;
}

/* ---- the steps ---- */

static struct sf *dep_flink(struct dep *d, const struct sync *s)
{
	struct err e;

	if (d->flink && !strcmp(d->flink_url, d->jm))
		return d->flink;
	sf_free(d->flink);
	err_clear(&e);
	d->flink = sf_new(d->jm, s->o.flink_timeout_ms, &e);
	str_lcpy(d->flink_url, d->jm, sizeof(d->flink_url));
	return d->flink;
}

/* Is it time, and is everything in place, to start? */
static bool dep_due(const struct sync *s, const struct dep *d, int64_t now,
		    int64_t target)
{
	if (d->replicas <= 0 || !d->jm[0] || target == d->applied)
		return false;
	if (now - d->changed_at < s->o.settle_ms)
		return false;
	if (d->last_at && now - d->last_at < s->o.min_interval_ms)
		return false;
	return d->ready >= d->replicas;
}

static int dep_start(struct sync *s, struct dep *d, struct sf *f,
		     const struct jmp_job *j, struct err *e)
{
	int rc;

	str_lcpy(d->job, j->id, sizeof(d->job));
	if ((rc = dep_mark(s, d, e)))
		return rc;
	if (d->mode == FH_MODE_ADAPTIVE)
		return sf_set_parallelism(f, j, d->target, e);
	if (d->mode != FH_MODE_SAVEPOINT || jmp_at_target(j, d->target))
		return 0;
	if (!d->sp_dir[0])
		return err_set(e, ERR_INVAL, "no " FH_ANN_SAVEPOINT_DIR);
	if ((rc = sf_stop_with_savepoint(f, j->id, d->sp_dir, d->trigger,
					 sizeof(d->trigger), e)))
		return rc;
	d->ph = PH_SAVEPOINT;
	return dep_mark(s, d, e);
}

/* ---- a job stranded without its slots (savepoint mode) ----
 *
 * The HPA lowered the replicas and the Deployment removed TaskManagers at
 * once: the job, at a parallelism fixed when it was submitted, restarts
 * and cannot get its slots, and no savepoint can be taken while it
 * restarts.  As the Flink Kubernetes Operator falls back from a savepoint
 * upgrade to last-state when the job does not run, the job is cancelled
 * and resubmitted from its newest checkpoint Flink keeps after a
 * cancellation (or a newer savepoint), at the slots there are.  Never
 * without one: then a JobStranded Event says why and what to do. */

/* Said once per job: why it is not cancelled. */
static void dep_strand_warn(struct sync *s, struct dep *d,
			    const struct jmp_job *j, int64_t slots,
			    const char *why)
{
	char msg[2048];

	if (!strcmp(d->stranded_told, j->id))
		return;
	str_lcpy(d->stranded_told, j->id, sizeof(d->stranded_told));
	snprintf(msg, sizeof(msg), "job %s (%s) is %s at parallelism %lld "
		 "with %lld slots and cannot run; it is not cancelled and "
		 "resumed from a checkpoint because %.600s. Set "
		 "execution.checkpointing.externalized-checkpoint-retention: "
		 "RETAIN_ON_CANCELLATION (and state.checkpoints.dir) in the "
		 "Flink configuration, or give it %lld slots again, or stop it "
		 "and resubmit it at parallelism %lld by hand",
		 d->job_name, j->id, j->state, (long long)jmp_parallelism(j),
		 (long long)slots, why, (long long)jmp_parallelism(j),
		 (long long)sync_target(d->replicas, d->slots, d->max_par,
					d->align));
	dep_send(s, d, false, "JobStranded", msg);
}

/* Is job j (not RUNNING) stranded for good: fewer slots than its
 * parallelism, and a Deployment that asks for fewer too?  The number of
 * slots there are into *slots. */
static bool dep_is_stranded(struct sf *f, const struct jmp_job *j,
			    int64_t target, int64_t *slots)
{
	int64_t par = jmp_parallelism(j), tms = 0;
	struct err e;

	err_clear(&e);
	*slots = 0;
	if (par <= 0 || target >= par) /* a TaskManager lost: it comes back */
		return false;
	if (sf_slots(f, &tms, slots, &e)) {
		log_v(1, "sync: %s", e.msg);
		return false;
	}
	return *slots < par && *slots > 0;
}

static void dep_stranded(struct sync *s, struct dep *d, struct sf *f,
			 const struct jmp_job *j, int64_t now, int64_t target)
{
	char why[768];
	int64_t slots;
	struct err e;
	int rc;

	if (!dep_is_stranded(f, j, target, &slots)) {
		d->stuck_since = 0;
		return;
	}
	if (!d->stuck_since)
		d->stuck_since = now;
	if (now - d->stuck_since < s->o.settle_ms)
		return;
	err_clear(&e);
	why[0] = '\0';
	rc = sf_restore_point(f, j->id, d->savepoint, sizeof(d->savepoint),
			      why, sizeof(why), &e);
	if (rc) {
		d->savepoint[0] = '\0';
		if (why[0])
			dep_strand_warn(s, d, j, slots, why);
		else
			log_v(1, "sync: %s/%s: %s", d->ns, d->name, e.msg);
		return;
	}
	d->from = jmp_parallelism(j);
	d->target = target < slots ? target : slots;
	d->started_at = now;
	d->resumed = true;
	str_lcpy(d->job, j->id, sizeof(d->job));
	d->ph = PH_CANCEL;
	log_info("sync: %s/%s: %lld replicas, rescaling job %s from %lld to "
		 "%lld: it is %s without the slots it needs (%lld); "
		 "cancelling it to resume from %s", d->ns, d->name,
		 (long long)d->replicas, d->job_name, (long long)d->from,
		 (long long)d->target, j->state, (long long)slots,
		 d->savepoint);
	if (dep_mark(s, d, &e)) { /* nothing done yet: try again later */
		log_warn("sync: %s", e.msg);
		dep_reset(d, now);
		return;
	}
	if (sf_cancel(f, j->id, &e)) /* step_cancel looks and tries again */
		log_warn("sync: %s", e.msg);
}

/* The job was ordered cancelled (d->savepoint: what it resumes from).
 * Once it ended, resubmit it, from a newer restore point if Flink shows
 * one; while it lives and is not cancelling, order it again; if that
 * never works within the timeout, the job was not cancelled: failed. */
static void step_cancel(struct sync *s, struct dep *d, int64_t now)
{
	char path[1024], why[768];
	struct jmp_job j;
	struct err e;
	int rc;

	err_clear(&e);
	if (!dep_flink(d, s))
		return;
	rc = sf_job(d->flink, d->job, &j, &e);
	if (rc && rc != ERR_NOTFOUND) {
		log_v(1, "sync: %s", e.msg);
		return;
	}
	if (!rc && jmp_live(j.state)) {
		if (now - d->started_at > s->o.timeout_ms) {
			snprintf(why, sizeof(why), "job %s was not cancelled "
				 "within %lld s (%s); it stays %s", d->job,
				 (long long)(s->o.timeout_ms / 1000), e.msg,
				 j.state);
			dep_failed(s, d, now, why);
		} else if (strcmp(j.state, "CANCELLING") &&
			   sf_cancel(d->flink, d->job, &e)) {
			log_warn("sync: %s", e.msg);
		}
		return;
	}
	/* ended (or forgotten by a restarted JobManager) */
	if (!rc && !sf_restore_point(d->flink, d->job, path, sizeof(path),
				     why, sizeof(why), &e) &&
	    strcmp(path, d->savepoint)) {
		log_info("sync: %s/%s: a newer restore point: %s", d->ns,
			 d->name, path);
		str_lcpy(d->savepoint, path, sizeof(d->savepoint));
	}
	log_info("sync: %s/%s: job %s %s; resubmitting it from %s", d->ns,
		 d->name, d->job, rc ? "is gone" : j.state, d->savepoint);
	d->ph = PH_SUBMIT;
	if (dep_mark(s, d, &e))
		log_warn("sync: %s", e.msg);
}

static void step_idle(struct sync *s, struct dep *d, int64_t now)
{
	int64_t target = sync_target(d->replicas, d->slots, d->max_par,
				     d->align);
	struct sf *f;
	struct jmp_job j;
	int64_t tms = 0, slots = 0;
	struct err e;

	if (!dep_due(s, d, now, target) || !(f = dep_flink(d, s)))
		return;
	err_clear(&e);
	if (sf_find_job(f, d->job_name, &j, &e)) {
		log_v(1, "sync: %s/%s: %s", d->ns, d->name, e.msg);
		return;
	}
	if (strcmp(j.state, "RUNNING")) {
		/* restarting on its own: look again later, unless it cannot */
		if (d->mode == FH_MODE_SAVEPOINT && jmp_live(j.state))
			dep_stranded(s, d, f, &j, now, target);
		return;
	}
	d->stuck_since = 0;
	if (d->applied < 0 && jmp_at_target(&j, target)) {
		dep_adopt(s, d, target);
		return;
	}
	if (target > jmp_parallelism(&j) &&
	    (sf_slots(f, &tms, &slots, &e) || tms < d->replicas))
		return; /* the new TaskManagers have not registered yet */
	d->from = d->applied > 0 ? d->applied : jmp_parallelism(&j);
	d->target = target;
	d->started_at = now;
	d->ph = PH_VERIFY;
	log_info("sync: %s/%s: %lld replicas, rescaling job %s from %lld to "
		 "%lld", d->ns, d->name, (long long)d->replicas, d->job_name,
		 (long long)d->from, (long long)target);
	if (dep_start(s, d, f, &j, &e))
		dep_failed(s, d, now, e.msg);
}

/* The JobManager does not know the savepoint (404): it restarted, or
 * another one took over, and forgot the operation.  With high
 * availability it recovered the job as it was, not stopped: the rescale
 * failed at once, and is tried again later.  If the job is gone instead,
 * the savepoint stopped it before the restart, and only the savepoint
 * directory knows where it is: said when the time is up. */
static void dep_savepoint_unknown(struct sync *s, struct dep *d, int64_t now)
{
	struct jmp_job j;
	struct err e;
	char why[1536];

	err_clear(&e);
	if (sf_find_job(d->flink, d->job_name, &j, &e) == 0 &&
	    !strcmp(j.id, d->job) && jmp_live(j.state)) {
		snprintf(why, sizeof(why), "the JobManager lost the savepoint "
			 "(it restarted?); the job was not stopped and keeps "
			 "running at parallelism %lld", (long long)d->from);
		dep_failed(s, d, now, why);
		return;
	}
	if (now - d->started_at <= s->o.timeout_ms)
		return;
	snprintf(why, sizeof(why), "the JobManager lost the savepoint and job "
		 "%s no longer runs: resubmit it from the newest savepoint in "
		 "%.1024s", d->job, d->sp_dir);
	dep_failed(s, d, now, why);
}

static void step_savepoint(struct sync *s, struct dep *d, int64_t now)
{
	enum sf_savepoint st;
	char why[512] = "";
	struct err e;

	err_clear(&e);
	if (!dep_flink(d, s) ||
	    sf_savepoint(d->flink, d->job, d->trigger, &st, d->savepoint,
			 sizeof(d->savepoint), why, sizeof(why), &e)) {
		if (d->flink && e.code == ERR_NOTFOUND)
			dep_savepoint_unknown(s, d, now);
		else if (now - d->started_at > s->o.timeout_ms)
			dep_failed(s, d, now, e.msg);
		return;
	}
	if (st == SF_SP_FAILED) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "the savepoint failed (%s); the job "
			 "keeps running at parallelism %lld", why,
			 (long long)d->from);
		d->savepoint[0] = '\0';
		dep_failed(s, d, now, msg);
	} else if (st == SF_SP_DONE) {
		log_info("sync: %s/%s: savepoint %s", d->ns, d->name,
			 d->savepoint);
		d->ph = PH_SUBMIT;
		if (dep_mark(s, d, &e))
			log_warn("sync: %s", e.msg);
	} else if (now - d->started_at > s->o.timeout_ms) {
		dep_failed(s, d, now, "the savepoint did not complete in time");
	}
}

static void step_submit(struct sync *s, struct dep *d, int64_t now)
{
	struct jmp_job j;
	struct err e;

	(void)now;
	err_clear(&e);
	if (!dep_flink(d, s))
		return;
	/* a previous leader may have submitted it already */
	if (sf_find_job(d->flink, d->job_name, &j, &e) == 0 &&
	    strcmp(j.id, d->job) && jmp_live(j.state)) {
		str_lcpy(d->job, j.id, sizeof(d->job));
	} else if (sf_resubmit(d->flink, d->jar[0] ? d->jar : NULL, d->target,
			       d->savepoint, d->job, sizeof(d->job), &e)) {
		if (!d->submit_warned)
			dep_event(s, d, false, "resubmitting job %s from %s "
				  "failed: %s (retrying)", d->job_name,
				  d->savepoint, e.msg);
		d->submit_warned = true;
		return;
	}
	d->ph = PH_VERIFY;
	if (dep_mark(s, d, &e))
		log_warn("sync: %s", e.msg);
}

static void step_verify(struct sync *s, struct dep *d, int64_t now)
{
	struct jmp_job j;
	struct err e;
	char why[256];

	err_clear(&e);
	if (dep_flink(d, s) &&
	    sf_find_job(d->flink, d->job_name, &j, &e) == 0 &&
	    !strcmp(j.state, "RUNNING") && jmp_at_target(&j, d->target)) {
		dep_done(s, d, now);
		return;
	}
	if (now - d->started_at <= s->o.timeout_ms)
		return;
	snprintf(why, sizeof(why), "the job did not run at the new "
		 "parallelism within %lld s", (long long)(s->o.timeout_ms / 1000));
	dep_failed(s, d, now, why);
}

/* A Deployment whose mode names no mode is not rescaled: said once per
 * bad name, as a Warning Event on it and in the log. */
static bool dep_check_mode(struct sync *s, struct dep *d)
{
	if (!d->mode_bad)
		return true;
	if (strcmp(d->mode_told, d->mode_raw)) {
		dep_event(s, d, false, "unknown %s \"%s\" (want %s, %s or %s): "
			  "job %s is not rescaled", FH_ANN_MODE, d->mode_raw,
			  fh_mode_name(FH_MODE_REACTIVE),
			  fh_mode_name(FH_MODE_ADAPTIVE),
			  fh_mode_name(FH_MODE_SAVEPOINT), d->job_name);
		str_lcpy(d->mode_told, d->mode_raw, sizeof(d->mode_told));
	}
	return false;
}

static void dep_step(struct sync *s, struct dep *d, int64_t now)
{
	switch (d->ph) {
	case PH_IDLE:
		if (dep_check_mode(s, d))
			step_idle(s, d, now);
		break;
	case PH_SAVEPOINT:
		step_savepoint(s, d, now);
		break;
	case PH_CANCEL:
		step_cancel(s, d, now);
		break;
	case PH_SUBMIT:
		step_submit(s, d, now);
		break;
	case PH_VERIFY:
		step_verify(s, d, now);
		break;
	}
}

/* ---- the loop ---- */

static struct dep *dep_get(struct sync *s, const char *ns, const char *name)
{
	struct dep *d;

	for (d = s->deps; d; d = d->next)
		if (!strcmp(d->ns, ns) && !strcmp(d->name, name))
			return d;
	if (!(d = calloc(1, sizeof(*d))))
		return NULL;
	str_lcpy(d->ns, ns, sizeof(d->ns));
	str_lcpy(d->name, name, sizeof(d->name));
	d->next = s->deps;
	s->deps = d;
	return d;
}

static void dep_sweep(struct sync *s)
{
	struct dep **p = &s->deps;

	while (*p) {
		struct dep *d = *p;
		if (d->seen) {
			d->seen = false;
			p = &d->next;
			continue;
		}
		*p = d->next;
		sf_free(d->flink);
		free(d);
	}
}

/* One step for every TaskManager Deployment in view. */
static void sync_round(struct sync *s, int64_t now)
{
	json_object *items = dc_snapshot(s->dc); /* we own the copies */
	uint64_t flight = 0;

	if (!items)
		return; /* not listed yet */
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *o = json_object_array_get_idx(items, i);
		const char *ns = jget_str(o, "metadata", "namespace");
		const char *name = jget_str(o, "metadata", "name");
		struct dep *d = ns && name ? dep_get(s, ns, name) : NULL;

		if (!d)
			continue;
		d->seen = true;
		dep_observe(d, o, now);
		dep_step(s, d, now);
		flight += d->ph != PH_IDLE;
	}
	dep_sweep(s);
	json_object_put(items);
	pthread_mutex_lock(&s->mu);
	s->st.in_flight = flight;
	pthread_mutex_unlock(&s->mu);
}

static void *sync_main(void *arg)
{
	struct sync *s = arg;
	bool leading = false;

	while (!atomic_load(&s->stop)) {
		bool now_leading = !s->lease || lease_is_leader(s->lease);
		if (now_leading != leading) {
			/* a new term: state comes from the annotations again */
			while (s->deps) {
				struct dep *d = s->deps;
				s->deps = d->next;
				sf_free(d->flink);
				free(d);
			}
			leading = now_leading;
		}
		if (leading)
			sync_round(s, clock_ms(CLOCK_MONOTONIC));
		if (!atomic_load(&s->stop))
			dc_wait(s->dc, s->o.period_ms); /* or a Deployment changed */
	}
	return NULL;
}

struct sync *sync_new(struct kube_client *k, struct lease *lease,
		      const struct sync_opts *o, struct err *e)
{
	struct sync *s = calloc(1, sizeof(*s));

	if (!s) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->k = k;
	s->lease = lease;
	s->o = *o;
	s->o.period_ms = o->period_ms > 0 ? o->period_ms : 2000;
	s->o.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 300000;
	s->o.flink_timeout_ms = o->flink_timeout_ms > 0 ? o->flink_timeout_ms
							: 5000;
	s->ns = str_dup(o->ns);
	s->selector = str_dup(o->selector ? o->selector
					  : FH_DEFAULT_SELECTOR);
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->stop, false);
	if (!s->selector || (o->ns && !s->ns)) {
		sync_free(s);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!(s->dc = dc_new(k, s->ns, s->selector, e))) {
		sync_free(s);
		return NULL;
	}
	return s;
}

int sync_start(struct sync *s, struct err *e)
{
	int rc;

	if (s->running)
		return err_set(e, ERR_STATE, "sync controller already running");
	if ((rc = dc_start(s->dc, e)))
		return rc;
	if (pthread_create(&s->th, NULL, sync_main, s)) {
		dc_stop(s->dc);
		return err_set(e, ERR_IO, "cannot start the sync thread");
	}
	s->running = true;
	return 0;
}

void sync_stop(struct sync *s)
{
	if (!s || !s->running)
		return;
	atomic_store(&s->stop, true);
	dc_wake(s->dc);
	pthread_join(s->th, NULL);
	dc_stop(s->dc);
	s->running = false;
	atomic_store(&s->stop, false);
}

void sync_stats(struct sync *s, struct sync_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

int sync_metrics(struct sync *s, struct buf *out)
{
	struct sync_stats st;

	if (!s)
		return 0;
	sync_stats(s, &st);
	return buf_addf(out,
		"# HELP flinkhpa_sync_leader Whether this adapter runs the sync controller.\n"
		"# TYPE flinkhpa_sync_leader gauge\n"
		"flinkhpa_sync_leader %d\n"
		"# HELP flinkhpa_sync_rescales_total Rescales applied and verified.\n"
		"# TYPE flinkhpa_sync_rescales_total counter\n"
		"flinkhpa_sync_rescales_total %llu\n"
		"# HELP flinkhpa_sync_rescale_failures_total Rescales that failed.\n"
		"# TYPE flinkhpa_sync_rescale_failures_total counter\n"
		"flinkhpa_sync_rescale_failures_total %llu\n"
		"# HELP flinkhpa_sync_rescales_in_flight Rescales under way.\n"
		"# TYPE flinkhpa_sync_rescales_in_flight gauge\n"
		"flinkhpa_sync_rescales_in_flight %llu\n"
		"# HELP flinkhpa_sync_last_rescale_duration_seconds From start to verified, for the last rescale.\n"
		"# TYPE flinkhpa_sync_last_rescale_duration_seconds gauge\n"
		"flinkhpa_sync_last_rescale_duration_seconds %.3f\n",
		!s->lease || lease_is_leader(s->lease),
		(unsigned long long)st.rescales,
		(unsigned long long)st.failures,
		(unsigned long long)st.in_flight, st.last_duration_ms / 1000.0);
}

void sync_free(struct sync *s)
{
	if (!s)
		return;
	sync_stop(s);
	dc_free(s->dc);
	while (s->deps) {
		struct dep *d = s->deps;
		s->deps = d->next;
		sf_free(d->flink);
		free(d);
	}
	pthread_mutex_destroy(&s->mu);
	free(s->ns);
	free(s->selector);
	free(s);
}
