/*
 * emu.h - the Flink emulator (flinkhpa-emu): one JobManager's REST API and
 * N TaskManagers' Prometheus pages, each TaskManager on its own loopback
 * address (127.0.1.1, 127.0.1.2, ...), all driven by the workload model
 * (model.h).  Pages are written by flinkpage.c in Flink's exact format.
 *
 * The emulated job is one chain, "Source: orders -> Map: enrich -> Sink:
 * out", or with --job-graph pipeline four vertices (model/fm.h; their
 * edges at GET /jobs/ID/plan), running at the model's parallelism;
 * subtask k of every vertex runs on TaskManager k mod N.  In reactive mode the job uses every slot; in adaptive mode it
 * runs at what PUT /jobs/ID/resource-requirements asks for; in savepoint
 * mode (Flink's default scheduler in a session cluster) its parallelism is
 * fixed at submission, and changing it means stop-with-savepoint, then
 * running the uploaded jar again from that savepoint, as a new job.
 *
 * One job runs at a time (the model's); the jobs that ended stay listed.
 * Savepoints complete --savepoint-duration of model time after they are
 * triggered, or fail when a failure was injected through /control.
 * Checkpoints complete every --checkpoint-interval while the job
 * processes; PATCH /jobs/ID?mode=cancel cancels it, and its latest
 * checkpoint stays on storage only with --checkpoint-retention
 * RETAIN_ON_CANCELLATION, as in Flink; a jar run restores from a
 * completed savepoint or a checkpoint that stayed.
 *
 * The JobManager can be restarted (/control?jobmanager-restart=S): its
 * REST API is down for S seconds, then elects a leader for a second, then
 * comes back as a JobManager with high availability does: the running job
 * recovered (same id, same parallelism, restarted from its last
 * checkpoint), savepoint operations and ended jobs forgotten.  The
 * TaskManagers (other processes) keep serving their pages.
 *
 * Files: emurun.c starts and stops the servers and the model's clock;
 * emurest.c answers the cluster and job endpoints and /control;
 * emumetrics.c the vertices' aggregated subtask metrics; emusave.c the
 * savepoint and jar endpoints; emucheck.c checkpoints and cancelling; emujob.c keeps the jobs and savepoints and
 * restarts the JobManager; emuserve.c the TaskManagers' servers; emupage.c
 * their pages.
 */
#ifndef FH_EMU_H
#define FH_EMU_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/err.h"
#include "hack/emu/flinkpage.h"
#include "hack/emu/model.h"

#define EMU_JOB_ID "3c1bf1b4dd8b2c7f6e45e0c3a8d2f9a1" /* the first job */
#define EMU_VERTEX_ID "cbc357ccb763df2852fee8c4fc7d55f2"
#define EMU_VERTEX_NAME "Source: orders -> Map: enrich -> Sink: out"
#define EMU_ID_LEN 33        /* 32 hex digits and the NUL */
#define EMU_MAX_JOBS 32      /* jobs listed; the oldest ended ones go */
#define EMU_MAX_SAVEPOINTS 64 /* savepoint operations remembered */
#define EMU_PATH_MAX 1024

struct emu;

struct emu_tm {
	struct emu *emu;
	int index;
	char addr[64];
	char tm_id[96];
	void *daemon; /* struct MHD_Daemon */
	int port;     /* the page's port, kept while hung */
	int hang_fd;  /* hung: a listener that accepts and never answers */
	bool malformed; /* the page is not the Prometheus text format */
};

enum emu_job_state {
	EMU_JOB_ACTIVE,   /* the model's job: its state comes from the model */
	EMU_JOB_FINISHED, /* stopped with a savepoint */
	EMU_JOB_CANCELED, /* savepoint with cancel-job */
	EMU_JOB_FAILED,   /* could not start (e.g. unknown savepoint) */
};

/* A completed checkpoint or savepoint of a job (id 0: none). */
struct emu_cp {
	int64_t id;
	bool savepoint;        /* is_savepoint */
	bool sync;             /* stop-with-savepoint: SYNC_SAVEPOINT */
	bool discarded;        /* deleted: subsumed, or the job ended */
	int64_t trigger_ms, ack_ms, size;
	int subtasks;
	char path[EMU_PATH_MAX];
};

#define EMU_CP_HISTORY 8 /* web.checkpoints.history is 10 in Flink */

/* A job's checkpoint statistics (GET /jobs/ID/checkpoints). */
struct emu_cpstats {
	int64_t next_id, last_ms; /* the next checkpoint id, last one taken */
	int64_t completed, failed, restored;
	struct emu_cp hist[EMU_CP_HISTORY]; /* newest at nhist - 1 (a ring) */
	int nhist;
	struct emu_cp latest_cp, latest_sp; /* latest.completed, .savepoint */
	struct emu_cp restore;              /* latest.restored */
	int64_t restore_ms;
};

/* execution.checkpointing.externalized-checkpoint-retention */
enum emu_retention { EMU_RETAIN_NONE, EMU_RETAIN_DELETE, EMU_RETAIN_KEEP };

struct emu_job {
	char jid[EMU_ID_LEN];
	struct emu_cpstats cp;
	int state;        /* enum emu_job_state */
	int64_t start_ms; /* model time */
	int64_t end_ms;   /* -1 while active */
	int parallelism;  /* when it ended (active: read the model's) */
};

enum emu_sp_kind { EMU_SP_SAVEPOINT, EMU_SP_STOP, EMU_SP_CANCEL };
enum emu_sp_status { EMU_SP_PENDING, EMU_SP_DONE, EMU_SP_FAILED };

struct emu_savepoint {
	char trigger[EMU_ID_LEN];
	char jid[EMU_ID_LEN];
	int kind;       /* enum emu_sp_kind */
	int status;     /* enum emu_sp_status */
	bool inject;    /* an injected failure */
	int64_t due_ms; /* model time it completes */
	char dir[EMU_PATH_MAX];      /* target directory */
	char location[EMU_PATH_MAX]; /* DONE: the savepoint */
	char cause_class[128];       /* FAILED: the exception's class */
	char cause_msg[512];         /* and message */
	int64_t cp_id;               /* DONE: its checkpoint id */
	bool lost; /* the JobManager restarted since: the trigger is unknown */
};

/* Settings of one emulator (the flags of flinkhpa-emu). */
struct emu_settings {
	int taskmanagers, slots, metrics_port, rest_port;
	int max_parallelism, parallelism; /* parallelism 0: all the slots */
	const char *address_base, *rest_address, *job_name;
	const char *jar_id, *entry_class;
	int sched;                        /* enum emu_sched */
	double input_rate, slot_capacity, speed;
	int64_t restart_ms, savepoint_ms;
	bool pipeline;        /* the four-vertex job graph (model/fm.h) */
	int partitions;       /* pipeline: the source's partitions */
	double hot_key, efficiency;
	int64_t checkpoint_ms; /* checkpoint interval (0: checkpointing off) */
	int retention;         /* enum emu_retention */
	const char *checkpoint_dir;
};

struct emu {
	pthread_mutex_t mu; /* guards everything below but stop */
	struct emu_model m;
	char job_name[128];
	unsigned base_addr; /* host order: 127.0.1.1 */
	int metrics_port;   /* 0: each TaskManager on a port of its own */
	struct emu_tm tm[EMU_MAX_TM];
	int ntm_running;    /* TaskManagers with a server */
	int64_t start_ms;
	double speed;       /* model seconds per real second */
	volatile bool stop;

	/* jobs: jobs[njobs - 1] is the latest, the model's when ACTIVE */
	struct emu_job jobs[EMU_MAX_JOBS];
	int njobs;
	int default_parallelism;
	/* savepoints: a ring, sp[i % EMU_MAX_SAVEPOINTS] for i < nsp */
	struct emu_savepoint sp[EMU_MAX_SAVEPOINTS];
	int nsp;
	int64_t savepoint_ms; /* model time a savepoint takes */
	int savepoint_fails;  /* injected: this many next savepoints fail */
	int savepoints, savepoints_failed, submissions; /* counters */
	/* checkpoints: every --checkpoint-interval of model time while the
	 * job processes; kept after the job ended per the retention, in
	 * retained (a ring, retained[i % EMU_MAX_SAVEPOINTS] for i < nretained) */
	int64_t checkpoint_ms;
	int retention;
	char checkpoint_dir[EMU_PATH_MAX / 2];
	struct emu_cp retained[EMU_MAX_SAVEPOINTS];
	int nretained;
	int cancels, cancels_lost; /* lost: no savepoint (its own or the one
				    * it was restored from) or kept checkpoint */
	char jar_id[128], entry_class[128];
	int64_t jar_uploaded;
	char rest_url[96];
	uint64_t rng;
	/* a JobManager restart, in model time: REST requests go unanswered
	 * until jm_down_until_ms, then get 503 (leader election) until
	 * jm_up_ms */
	int64_t jm_down_until_ms, jm_up_ms;
	int jm_restarts;

	int jm_delay_ms;    /* injected: each REST answer waits this long */
	/* servers taken out under mu, stopped by the ticker outside it (a
	 * server's thread may be waiting for mu in its handler) */
	void *retired[2 * EMU_MAX_TM];
	int nretired;

	void *rest;         /* struct MHD_Daemon of the REST API */
	pthread_t ticker;
	bool ticking;
};

/* ---- emurun.c ---- */

/* Start an emulator: the REST API, the TaskManagers and the model's clock
 * (the real time passed, times speed, in steps of 100 ms).  e is the caller's, zeroed or not; undone
 * by emu_stop (also after a failed start).  Errors name what could not
 * listen. */
int emu_start(struct emu *e, const struct emu_settings *s, struct err *er);
void emu_stop(struct emu *e);

/* The REST port the emulator listens on (useful with rest_port 0). */
int emu_rest_port(struct emu *e);

/* Faults of TaskManager k (0-based), with mu held: a hung page (accepts,
 * never answers) or a malformed one; k < 0 clears them on every
 * TaskManager.  -1 when k is not running or the listener fails. */
int emu_tm_fault(struct emu *e, int k, bool hang, bool on);

/* Stops the servers retired under mu; call without it. */
void emu_reap(struct emu *e);

/* ---- emurest.c ---- */

/* A request's query argument by name, or NULL. */
typedef const char *(*emu_arg_fn)(void *ud, const char *key);

/* JSON answers of the JobManager's REST API and of /control; *code gets
 * the HTTP status (lock taken inside). */
int emu_rest(struct emu *e, const char *method, const char *url,
	     emu_arg_fn arg, void *arg_ud, const char *body, struct buf *out,
	     int *code);

/* Flink's error answer {"errors":["..."]} with status; returns NULL so a
 * route can `return emu_error(...)`. */
json_object *emu_error(struct buf *out, int *code, int status,
		       const char *msg);

/* Flink's answer for a RestHandlerException: the stack trace as one error
 * string, "cls: msg\n\tat ...". */
json_object *emu_error_exc(struct buf *out, int *code, int status,
			   const char *cls, const char *msg);

/* An id in a path is 32 hex digits; else false, with Flink's 400 answer
 * ("Cannot resolve path parameter (param) ...") in out and *code. */
bool emu_check_id(const char *id, const char *param, struct buf *out,
		  int *code);

/* The JobManager is down: a request for url (anything but /control) gets
 * no answer at all (lock taken inside). */
bool emu_rest_down(struct emu *e, const char *url);

/* Waits the injected JobManager delay (/control?jm-delay=MS) before a REST
 * answer; /control itself is never delayed.  Call without mu. */
void emu_rest_delay(struct emu *e, const char *url);

/* ---- emumetrics.c ---- */

/* GET /jobs/JID/vertices/VID/subtasks/metrics with the query arg gives
 * (get, agg, subtasks): the answer, or NULL with *code and out set. */
json_object *emu_subtask_metrics(struct emu *e, const char *jid,
				 const char *vid, emu_arg_fn arg, void *ud,
				 struct buf *out, int *code);

/* ---- emusave.c ---- */

/* The savepoint and jar routes: rest is the URL after /jobs/ID (job) or
 * the whole URL (job NULL).  Returns the answer (the caller owns it), or
 * NULL with *code and out set; *handled false when the URL is not one of
 * them. */
json_object *emu_save_route(struct emu *e, bool get, const char *job,
			    const char *rest, const char *body,
			    struct buf *out, int *code, bool *handled);

/* ---- emucheck.c (lock held) ---- */

/* Take the active job's periodic checkpoint when it is due. */
void emu_cp_tick(struct emu *e);
/* A savepoint of job j completed (stop: a stop-with-savepoint). */
void emu_cp_savepoint(struct emu *e, struct emu_job *j,
		      struct emu_savepoint *sp, bool stop);
/* Job j ends in state (enum emu_job_state): its latest checkpoint is kept
 * or deleted as the retention says. */
void emu_cp_end(struct emu *e, struct emu_job *j, int state);
/* A completed savepoint or kept checkpoint at path: true with it in *out. */
bool emu_cp_lookup(struct emu *e, const char *path, struct emu_cp *out);
/* Job j starts from snap (a new job) or recovers from its own latest
 * checkpoint (snap NULL: after a JobManager failover). */
void emu_cp_restore(struct emu *e, struct emu_job *j,
		    const struct emu_cp *snap);
/* GET /jobs/ID/checkpoints, GET /jobs/ID/checkpoints/config and
 * PATCH /jobs/ID?mode=cancel; *handled false for other URLs. */
json_object *emu_cp_route(struct emu *e, const char *method, const char *jid,
			  const char *rest, emu_arg_fn arg, void *ud,
			  struct buf *out, int *code, bool *handled);

/* ---- emujob.c (lock held) ---- */

/* Advance the model by dt seconds and complete due savepoints. */
void emu_tick(struct emu *e, double dt);

/* The active job ends in state (stopped, cancelled). */
void emu_job_end(struct emu *e, struct emu_job *j, int state);

/* The latest job, the one the model runs when it is ACTIVE. */
struct emu_job *emu_job_current(struct emu *e);
struct emu_job *emu_job_find(struct emu *e, const char *jid);

/* Job state name as Flink's JobStatus. */
const char *emu_job_state(struct emu *e, const struct emu_job *j);

/* Record a new job (ACTIVE or FAILED); the oldest ended job is dropped
 * when the list is full. */
struct emu_job *emu_job_add(struct emu *e, int state);

/* Start a savepoint operation for job jid into dir. */
struct emu_savepoint *emu_sp_trigger(struct emu *e, const char *jid,
				     const char *dir, int kind);
struct emu_savepoint *emu_sp_find(struct emu *e, const char *jid,
				  const char *trigger);

/* A completed savepoint at this location exists. */
bool emu_sp_exists(struct emu *e, const char *location);

/* n fresh random hex digits into out (n + 1 bytes). */
void emu_hex(struct emu *e, char *out, int n);

/* The JobManager process dies now and is back after secs of model time
 * (see the top of this file). */
void emu_jm_restart(struct emu *e, double secs);

enum emu_jm { EMU_JM_UP, EMU_JM_DOWN, EMU_JM_ELECTING };
int emu_jm_state(const struct emu *e);

/* ---- emupage.c, emuserve.c ---- */

/* The page of TaskManager t (lock held). */
int emu_page(struct emu *e, int t, struct buf *out);

/* Every series of TaskManager t's page, with its value (lock held). */
int emu_visit_tm(struct emu *e, int t, fp_visit_fn visit, void *ud);

/* Start or stop TaskManager servers so that n run (lock held). */
int emu_set_tms(struct emu *e, int n);

/* HTTP plumbing shared by the servers.  per_conn: a thread for each
 * connection (the REST API: a slow JobManager's answer, jm-delay, must not
 * hold /control up); else one polling thread (the TaskManagers' pages). */
enum MHD_Result emu_reply(struct MHD_Connection *c, int code,
			  const char *type, struct buf *b);
struct MHD_Daemon *emu_listen(const char *addr, int port,
			      MHD_AccessHandlerCallback fn, void *ud,
			      MHD_RequestCompletedCallback done, bool per_conn);

#endif
