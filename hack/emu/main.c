/*
 * main.c - flinkhpa-emu, the Flink emulator (see emu.h): serves the
 * JobManager REST API on --rest-address:--rest-port and each TaskManager's
 * /metrics on its own loopback address, and advances the workload model
 * every 100 ms (times --speed).  Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/conf.h"
#include "emu.h"

struct emu_opts {
	int64_t tms, slots, metrics_port, rest_port, max_par;
	double rate, capacity, speed;
	int64_t restart_ms;
	char *base, *rest_addr, *job_name;
	int mode; /* 0 reactive, 1 adaptive */
	bool help;
};

static const char *const modes[] = { "reactive", "adaptive", NULL };

#define O(f) offsetof(struct emu_opts, f)
static const struct conf_def emu_flags[] = {
	{ "taskmanagers", CONF_INT, O(tms), 1, EMU_MAX_TM, "1", NULL, NULL, "TaskManagers at start", 0 },
	{ "slots", CONF_INT, O(slots), 1, 64, "2", NULL, NULL, "slots per TaskManager", 0 },
	{ "address-base", CONF_STRING, O(base), 7, 15, "127.0.1.1", NULL, NULL, "TaskManager k listens on this address + k", 0 },
	{ "metrics-port", CONF_INT, O(metrics_port), 1, 65535, "9249", NULL, NULL, "port of every TaskManager's /metrics", 0 },
	{ "rest-address", CONF_STRING, O(rest_addr), 7, 15, "127.0.0.1", NULL, NULL, "JobManager REST address", 0 },
	{ "rest-port", CONF_INT, O(rest_port), 0, 65535, "8081", NULL, NULL, "JobManager REST port (0: any)", 0 },
	{ "job-name", CONF_STRING, O(job_name), 1, 120, "orders-enrichment", NULL, NULL, "the job's name", 0 },
	{ "mode", CONF_ENUM, O(mode), 0, 0, "reactive", modes, NULL, "reactive: the job uses every slot; adaptive: PUT resource-requirements", 0 },
	{ "input-rate", CONF_DOUBLE, O(rate), 0, 1e9, "500", NULL, NULL, "records/s offered at start", 0 },
	{ "slot-capacity", CONF_DOUBLE, O(capacity), 1, 1e9, "1000", NULL, NULL, "records/s one subtask processes", 0 },
	{ "restart-pause", CONF_DURATION, O(restart_ms), 0, 3600000, "10s", NULL, NULL, "restart time after a rescale", 0 },
	{ "max-parallelism", CONF_INT, O(max_par), 1, 32768, "128", NULL, NULL, "the vertex's max parallelism", 0 },
	{ "speed", CONF_DOUBLE, O(speed), 0.1, 1000, "1", NULL, NULL, "model seconds per real second", 0 },
	{ "help", CONF_BOOL, O(help), 0, 0, NULL, NULL, NULL, "show this help", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rest_req {
	struct buf body;
};

static enum MHD_Result rest_access(void *cls, struct MHD_Connection *c,
				   const char *url, const char *method,
				   const char *v, const char *up, size_t *upn,
				   void **cc)
{
	struct rest_req *r = *cc;
	struct buf out = BUF_INIT(16 << 20);
	int code = 500;

	(void)v;
	if (!r) {
		r = calloc(1, sizeof(*r));
		buf_init(&r->body, 1 << 20);
		*cc = r;
		return r ? MHD_YES : MHD_NO;
	}
	if (*upn) {
		buf_add(&r->body, up, *upn);
		*upn = 0;
		return MHD_YES;
	}
	emu_rest(cls, method, url,
		 MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "input-rate"),
		 MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "taskmanagers"),
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

static void *ticker(void *arg)
{
	struct emu *e = arg;

	while (!e->stop) {
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		pthread_mutex_lock(&e->mu);
		emu_model_tick(&e->m, 0.1 * e->speed);
		pthread_mutex_unlock(&e->mu);
	}
	return NULL;
}

static void emu_setup(struct emu *e, const struct emu_opts *o)
{
	struct in_addr ia;

	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->mu, NULL);
	e->start_ms = now_ms();
	emu_model_init(&e->m, e->start_ms);
	e->m.input_rate = o->rate;
	e->m.slot_capacity = o->capacity;
	e->m.restart_pause = (double)o->restart_ms / 1000;
	e->m.slots_per_tm = (int)o->slots;
	e->m.max_parallelism = (int)o->max_par;
	e->m.parallelism = (int)(o->slots * o->tms);
	e->m.taskmanagers = (int)o->tms;
	e->reactive = o->mode == 0;
	e->speed = o->speed;
	e->metrics_port = (int)o->metrics_port;
	snprintf(e->job_name, sizeof(e->job_name), "%s", o->job_name);
	inet_pton(AF_INET, o->base, &ia);
	e->base_addr = ntohl(ia.s_addr);
}

static int usage(int rc)
{
	struct buf b = BUF_INIT(1 << 16);

	conf_usage(emu_flags, &b);
	fprintf(rc ? stderr : stdout, "Usage: flinkhpa-emu [flags]\n\n"
		"Emulates a Flink JobManager (REST) and TaskManagers (Prometheus "
		"pages).\n\nFlags:\n%s", buf_str(&b));
	buf_release(&b);
	return rc;
}

int main(int argc, char **argv)
{
	static struct emu e;
	struct emu_opts o;
	struct err er;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	struct MHD_Daemon *rest;
	pthread_t th;
	sigset_t set;
	int npos, sig, rc;

	memset(&o, 0, sizeof(o));
	err_clear(&er);
	if (!pos || conf_defaults(emu_flags, &o, &er) ||
	    conf_parse_args(emu_flags, &o, argc, argv, pos, &npos, &er)) {
		fprintf(stderr, "flinkhpa-emu: %s\n", er.msg);
		rc = 2;
		goto out;
	}
	if (o.help || npos) {
		rc = usage(o.help ? 0 : 2);
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	emu_setup(&e, &o);
	rest = emu_listen(o.rest_addr, (int)o.rest_port, rest_access, &e,
			  rest_done);
	if (!rest || emu_set_tms(&e, (int)o.tms)) {
		fprintf(stderr, "flinkhpa-emu: cannot listen (REST %s:%lld, "
			"TaskManagers from %s:%lld)\n", o.rest_addr,
			(long long)o.rest_port, o.base, (long long)o.metrics_port);
		rc = 1;
		goto out_servers;
	}
	printf("rest=http://%s:%d taskmanagers=%lld first=http://%s:%lld/metrics\n",
	       o.rest_addr, MHD_get_daemon_info(rest, MHD_DAEMON_INFO_BIND_PORT)->port,
	       (long long)o.tms, o.base, (long long)o.metrics_port);
	fflush(stdout);
	pthread_create(&th, NULL, ticker, &e);
	sigwait(&set, &sig);
	e.stop = true;
	pthread_join(th, NULL);
	rc = 0;
out_servers:
	if (rest)
		MHD_stop_daemon(rest);
	for (int t = 0; t < e.ntm_running; t++)
		MHD_stop_daemon(e.tm[t].daemon);
out:
	conf_release(emu_flags, &o);
	free(pos);
	return rc;
}
