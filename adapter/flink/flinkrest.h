/*
 * flinkrest.h - a blocking client of Flink's JobManager REST API, for the
 * parallelism sync controller: what runs (jobs, vertices, slots), the
 * adaptive scheduler's resource requirements, savepoints and
 * stop-with-savepoint, checkpoints and cancelling, and running an uploaded
 * jar again from a savepoint or a retained checkpoint.
 *
 * Calls block for up to the client's timeout: make them from a controller
 * thread, never from an HTTP handler.  A client is not thread-safe (one
 * curl easy handle, reused so the connection is kept); use one per thread.
 * curl_global_init() must have been called (main does it).
 *
 * Every answer is checked before anything is returned: bodies over
 * FR_MAX_BODY are ERR_LIMIT; bodies that are not JSON, or lack a field,
 * or have one of the wrong type or out of range, are ERR_INVAL naming the
 * call and the field.  An HTTP error status gives a message with Flink's
 * "errors" (the first line of each: Flink sends whole stack traces), and
 * the code ERR_NOTFOUND for 404, ERR_INVAL for 400, ERR_IO otherwise (and
 * for connection failures and timeouts).
 *
 * Ids (jobs, vertices, savepoint triggers) are 32 hex digits: ids given to
 * a call are checked too, so nothing else ends up in a URL.
 *
 * Ownership: fr_new/fr_free the client.  Results with heap parts are
 * caller-owned structs released by the matching fr_*_release (which
 * accept a zeroed or already released struct); the others are plain
 * values.  The json-c objects a call parses are its own and freed before
 * it returns: nothing returned points into them.
 */
#ifndef FH_FLINKREST_H
#define FH_FLINKREST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "adapter/flink/jmparse.h"

#define FR_MAX_BODY (4 << 20)  /* largest answer accepted */

struct fr_client;

/* base_url: "http://host:8081" (a trailing slash is fine); timeout_ms: of
 * every whole request (> 0). */
struct fr_client *fr_new(const char *base_url, long timeout_ms,
			 struct err *e);
void fr_free(struct fr_client *c);

/* ---- cluster ---- */

struct fr_overview {
	int taskmanagers;
	int slots_total;
	int slots_available;
	int jobs_running;
};
int fr_overview(struct fr_client *c, struct fr_overview *out, struct err *e);

/* GET /taskmanagers (jmparse.h reads it). */
int fr_taskmanagers(struct fr_client *c, struct jmp_slots *out, struct err *e);

/* ---- jobs (jmparse.h reads the answers; jmp_pick chooses among them) ---- */

/* GET /jobs/overview: every job the JobManager knows, ended ones too
 * (caller releases with jmp_jobs_release). */
int fr_jobs(struct fr_client *c, struct jmp_jobs *out, struct err *e);
/* GET /jobs/ID.  Unknown job: ERR_NOTFOUND. */
int fr_job(struct fr_client *c, const char *job, struct jmp_job *out,
	   struct err *e);

/* GET /jobs/ID/checkpoints: the latest completed checkpoint, savepoint
 * and restored one (jmparse.h).  Flink answers 404 when checkpointing is
 * off ("Checkpointing has not been enabled"): ERR_NOTFOUND. */
int fr_checkpoints(struct fr_client *c, const char *job,
		   struct jmp_checkpoints *out, struct err *e);
/* GET /jobs/ID/checkpoints/config: the retention of checkpoints. */
int fr_checkpoint_config(struct fr_client *c, const char *job,
			 struct jmp_cp_config *out, struct err *e);
/* PATCH /jobs/ID?mode=cancel (202): the job goes CANCELLING, then
 * CANCELED.  A job that ended already: ERR_STATE (409) unless it was
 * cancelled; an unknown one ERR_NOTFOUND. */
int fr_cancel(struct fr_client *c, const char *job, struct err *e);

/* ---- adaptive scheduler (Flink 1.18+) ---- */

struct fr_bounds {
	char vertex[JMP_ID_LEN];
	int lower, upper;
};
struct fr_requirements {
	struct fr_bounds *v;
	size_t n;
};
int fr_get_requirements(struct fr_client *c, const char *job,
			struct fr_requirements *out, struct err *e);
/* Every vertex's bounds (Flink wants them all). */
int fr_put_requirements(struct fr_client *c, const char *job,
			const struct fr_requirements *r, struct err *e);
void fr_requirements_release(struct fr_requirements *r);

/* ---- savepoints ---- */

/* POST /jobs/ID/stop: stop with a savepoint into dir (drain: emit the
 * max watermark first).  trigger gets the operation's id. */
int fr_stop_with_savepoint(struct fr_client *c, const char *job,
			   const char *dir, bool drain,
			   char trigger[JMP_ID_LEN], struct err *e);
/* POST /jobs/ID/savepoints: a savepoint; cancel: cancel the job after. */
int fr_trigger_savepoint(struct fr_client *c, const char *job,
			 const char *dir, bool cancel,
			 char trigger[JMP_ID_LEN], struct err *e);

enum fr_sp_status { FR_SP_IN_PROGRESS, FR_SP_COMPLETED, FR_SP_FAILED };
struct fr_savepoint {
	int status;     /* enum fr_sp_status */
	char *location; /* COMPLETED: where the savepoint is */
	char *failure;  /* FAILED: "class: message" of the cause */
};
/* GET /jobs/ID/savepoints/TRIGGER.  Unknown trigger: ERR_NOTFOUND. */
int fr_savepoint_status(struct fr_client *c, const char *job,
			const char *trigger, struct fr_savepoint *out,
			struct err *e);
void fr_savepoint_release(struct fr_savepoint *s);

/* ---- jars (session clusters) ---- */

struct fr_jar {
	char *id;    /* "<uuid>_name.jar" */
	char *name;
	char *entry; /* first entry class; NULL when the jar lists none */
};
/* GET /jars: the first uploaded jar.  None uploaded: ERR_NOTFOUND. */
int fr_jars(struct fr_client *c, struct fr_jar *out, struct err *e);
void fr_jar_release(struct fr_jar *j);

struct fr_run {
	int parallelism;             /* > 0 */
	const char *savepoint;       /* restore from it; NULL: none */
	bool allow_non_restored;
	const char *entry_class;     /* NULL: the jar's */
	const char *const *args;     /* programArgsList */
	size_t nargs;
};
/* POST /jars/JAR/run: a new job; job gets its id. */
int fr_jar_run(struct fr_client *c, const char *jar, const struct fr_run *r,
	       char job[JMP_ID_LEN], struct err *e);

#endif
