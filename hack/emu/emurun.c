/*
 * emurun.c - starts and stops an emulator (see emu.h): the JobManager's
 * REST server, the TaskManagers' servers and the thread that advances the
 * model by the real time passed (times the speed).  flinkhpa-emu's main() and the
 * tests that run an emulator in their own process both use it.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hack/emu/emu.h"

#define EMU_MAX_BODY (1 << 20) /* request bodies */
#define EMU_MAX_ANSWER (16 << 20)

static int64_t emu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rest_req {
	struct buf body;
	bool too_big;
};

static const char *emu_mhd_arg(void *ud, const char *key)
{
	return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result rest_access(void *cls, struct MHD_Connection *c,
				   const char *url, const char *method,
				   const char *v, const char *up, size_t *upn,
				   void **cc)
{
	struct rest_req *r = *cc;
	struct buf out = BUF_INIT(EMU_MAX_ANSWER);
	int code = 500;

	(void)v;
	if (!r) {
		if (emu_rest_down(cls, url))
			return MHD_NO; /* the JobManager is down: no answer */
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		buf_init(&r->body, EMU_MAX_BODY);
		*cc = r;
		return MHD_YES;
	}
	if (*upn) {
		if (buf_add(&r->body, up, *upn))
			r->too_big = true;
		*upn = 0;
		return MHD_YES;
	}
	emu_rest_delay(cls, url); /* a slow JobManager, when injected */
	if (r->too_big)
		emu_error(&out, &code, 413, "Request entity too large");
	else
		emu_rest(cls, method, url, emu_mhd_arg, c,
			 r->body.len ? buf_str(&r->body) : NULL, &out, &code);
	buf_release(&r->body);
	free(r);
	*cc = NULL;
	return emu_reply(c, code, "application/json; charset=UTF-8", &out);
}

static void rest_done(void *cls, struct MHD_Connection *c, void **cc,
		      enum MHD_RequestTerminationCode t)
{
	struct rest_req *r = *cc;

	(void)cls; (void)c; (void)t;
	if (r) {
		buf_release(&r->body);
		free(r);
		*cc = NULL;
	}
}

static double emu_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The model follows the real time that passed, not the number of 100 ms
 * sleeps: on a loaded machine a sleep overruns, and counting sleeps made
 * the model's clock (its CPU time, records, backlog) fall behind the
 * clock the adapter reads its rates with.  Steps stay at most 100 ms of
 * real time each, and a stall longer than EMU_CATCH_UP (the process
 * stopped) is not replayed. */
#define EMU_CATCH_UP 2.0
static void *emu_ticker(void *arg)
{
	struct emu *e = arg;
	double last = emu_mono_s();

	while (!e->stop) {
		double now, due;

		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		now = emu_mono_s();
		due = now - last > EMU_CATCH_UP ? EMU_CATCH_UP : now - last;
		last = now;
		pthread_mutex_lock(&e->mu);
		for (; due > 1e-6; due -= 0.1)
			emu_tick(e, (due < 0.1 ? due : 0.1) * e->speed);
		pthread_mutex_unlock(&e->mu);
		emu_reap(e);
	}
	return NULL;
}

/* The model and the first job, submitted at the start and running. */
static void emu_setup(struct emu *e, const struct emu_settings *s)
{
	struct emu_job *j;
	struct in_addr ia = { 0 };
	int p = s->parallelism > 0 ? s->parallelism : s->slots * s->taskmanagers;

	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->mu, NULL);
	e->start_ms = emu_now_ms();
	e->rng = (uint64_t)e->start_ms ^ ((uint64_t)getpid() << 32) ^
		 (uint64_t)(uintptr_t)e;
	emu_model_init(&e->m, e->start_ms);
	e->m.input_rate = s->input_rate;
	e->m.slot_capacity = s->slot_capacity;
	e->m.restart_pause = (double)s->restart_ms / 1000;
	e->m.slots_per_tm = s->slots;
	e->m.max_parallelism = s->max_parallelism;
	e->m.taskmanagers = s->taskmanagers;
	e->m.sched = s->sched;
	if (s->pipeline)
		emu_model_pipeline(&e->m, s->partitions, s->hot_key,
				   s->efficiency);
	emu_model_submit(&e->m, p);
	e->m.starting = false; /* already running when the emulator starts */
	e->m.restart_left = 0;
	e->default_parallelism = p;
	e->savepoint_ms = s->savepoint_ms;
	e->checkpoint_ms = s->checkpoint_ms;
	e->retention = s->retention;
	snprintf(e->checkpoint_dir, sizeof(e->checkpoint_dir), "%s",
		 s->checkpoint_dir ? s->checkpoint_dir
				   : "file:///tmp/flink-checkpoints");
	e->speed = s->speed;
	e->m.cpu_scale = 1 / s->speed; /* --speed is at least 0.1 */
	e->metrics_port = s->metrics_port;
	snprintf(e->job_name, sizeof(e->job_name), "%s", s->job_name);
	snprintf(e->jar_id, sizeof(e->jar_id), "%s", s->jar_id);
	snprintf(e->entry_class, sizeof(e->entry_class), "%s", s->entry_class);
	e->jar_uploaded = e->start_ms - 60000;
	inet_pton(AF_INET, s->address_base, &ia);
	e->base_addr = ntohl(ia.s_addr);
	j = emu_job_add(e, EMU_JOB_ACTIVE);
	snprintf(j->jid, sizeof(j->jid), "%s", EMU_JOB_ID);
	j->parallelism = e->m.parallelism;
}

int emu_rest_port(struct emu *e)
{
	const union MHD_DaemonInfo *i;

	if (!e->rest)
		return -1;
	i = MHD_get_daemon_info(e->rest, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : -1;
}

int emu_start(struct emu *e, const struct emu_settings *s, struct err *er)
{
	int rc;

	emu_setup(e, s);
	e->rest = emu_listen(s->rest_address, s->rest_port, rest_access, e,
			     rest_done, true);
	if (!e->rest)
		return err_set(er, ERR_IO, "cannot listen on %s:%d (REST)",
			       s->rest_address, s->rest_port);
	snprintf(e->rest_url, sizeof(e->rest_url), "http://%s:%d",
		 s->rest_address, emu_rest_port(e));
	pthread_mutex_lock(&e->mu);
	rc = emu_set_tms(e, s->taskmanagers);
	pthread_mutex_unlock(&e->mu);
	if (rc)
		return err_set(er, ERR_IO, "cannot listen for the TaskManagers "
			       "(from %s:%d)", s->address_base, s->metrics_port);
	if (pthread_create(&e->ticker, NULL, emu_ticker, e))
		return err_set(er, ERR_NOMEM, "cannot start the model's thread");
	e->ticking = true;
	return 0;
}

void emu_stop(struct emu *e)
{
	e->stop = true;
	if (e->ticking)
		pthread_join(e->ticker, NULL);
	e->ticking = false;
	if (e->rest)
		MHD_stop_daemon(e->rest);
	e->rest = NULL;
	for (int t = 0; t < e->ntm_running; t++) {
		if (e->tm[t].daemon)
			MHD_stop_daemon(e->tm[t].daemon);
		if (e->tm[t].hang_fd >= 0)
			close(e->tm[t].hang_fd);
	}
	e->ntm_running = 0;
	emu_reap(e);
	pthread_mutex_destroy(&e->mu);
}
