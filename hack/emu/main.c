/*
 * main.c - flinkhpa-emu, the Flink emulator (see emu.h): reads its flags,
 * serves the JobManager REST API on --rest-address:--rest-port and each
 * TaskManager's /metrics on its own loopback address, and advances the
 * workload model every 100 ms (times --speed), through emurun.c.  Runs
 * until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/names.h"
#include "hack/emu/emu.h"

struct emu_opts {
	int64_t tms, slots, metrics_port, rest_port, max_par, par;
	double rate, capacity, speed, hot_key, efficiency;
	int64_t partitions;
	int graph;
	int64_t restart_ms, savepoint_ms, checkpoint_ms;
	int retention;
	char *checkpoint_dir;
	char *base, *rest_addr, *job_name, *jar_id, *entry_class;
	int mode; /* enum emu_sched: reactive, adaptive, savepoint */
	bool help;
};

#define O(f) offsetof(struct emu_opts, f)
static const char *const graphs[] = { "single", "pipeline", NULL };
/* in the order of enum emu_retention */
static const char *const retentions[] = { "NO_EXTERNALIZED_CHECKPOINTS",
	"DELETE_ON_CANCELLATION", "RETAIN_ON_CANCELLATION", NULL };

static const struct conf_def emu_flags[] = {
	{ "taskmanagers", CONF_INT, O(tms), 1, EMU_MAX_TM, "1", NULL, NULL, "TaskManagers at start", 0 },
	{ "slots", CONF_INT, O(slots), 1, 64, "2", NULL, NULL, "slots per TaskManager", 0 },
	{ "address-base", CONF_STRING, O(base), 7, 15, "127.0.1.1", NULL, NULL, "TaskManager k listens on this address + k", 0 },
	{ "metrics-port", CONF_INT, O(metrics_port), 1, 65535, "9249", NULL, NULL, "port of every TaskManager's /metrics", 0 },
	{ "rest-address", CONF_STRING, O(rest_addr), 7, 15, "127.0.0.1", NULL, NULL, "JobManager REST address", 0 },
	{ "rest-port", CONF_INT, O(rest_port), 0, 65535, "8081", NULL, NULL, "JobManager REST port (0: any)", 0 },
	{ "job-name", CONF_STRING, O(job_name), 1, 120, "orders-enrichment", NULL, NULL, "the job's name", 0 },
	{ "mode", CONF_ENUM, O(mode), 0, 0, "reactive", fh_mode_names, NULL, "reactive: the job uses every slot; adaptive: PUT resource-requirements; savepoint: the default scheduler, a fixed parallelism changed by stop-with-savepoint and a new run of the jar", 0 },
	{ "parallelism", CONF_INT, O(par), 0, 32768, "0", NULL, NULL, "the first job's parallelism in adaptive and savepoint modes, and of jar runs that give none (0: every slot at start)", 0 },
	{ "input-rate", CONF_DOUBLE, O(rate), 0, 1e9, "500", NULL, NULL, "records/s offered at start", 0 },
	{ "slot-capacity", CONF_DOUBLE, O(capacity), 1, 1e9, "1000", NULL, NULL, "records/s one subtask processes", 0 },
	{ "restart-pause", CONF_DURATION, O(restart_ms), 0, 3600000, "10s", NULL, NULL, "restart time after a rescale, and start time of a new job", 0 },
	{ "savepoint-duration", CONF_DURATION, O(savepoint_ms), 0, 3600000, "2s", NULL, NULL, "time a savepoint takes", 0 },
	{ "checkpoint-interval", CONF_DURATION, O(checkpoint_ms), 0, 3600000, "5s", NULL, NULL, "a checkpoint completes this often while the job processes records (0: checkpointing off, execution.checkpointing.interval)", 0 },
	{ "checkpoint-retention", CONF_ENUM, O(retention), 0, 0, "NO_EXTERNALIZED_CHECKPOINTS", retentions, NULL, "execution.checkpointing.externalized-checkpoint-retention: whether the latest checkpoint stays after the job is cancelled (RETAIN_ON_CANCELLATION) or fails", 0 },
	{ "checkpoint-dir", CONF_STRING, O(checkpoint_dir), 1, 400, "file:///tmp/flink-checkpoints", NULL, NULL, "state.checkpoints.dir", 0 },
	{ "max-parallelism", CONF_INT, O(max_par), 1, 32768, "128", NULL, NULL, "the vertex's max parallelism", 0 },
	{ "jar-id", CONF_STRING, O(jar_id), 5, 120, "d9e1c4a2-5b7f-4e3a-9c6d-2f8b1a0e7c45_orders-enrichment.jar", NULL, NULL, "id of the uploaded jar that GET /jars lists", 0 },
	{ "entry-class", CONF_STRING, O(entry_class), 1, 120, "com.example.OrdersEnrichment", NULL, NULL, "the jar's entry class", 0 },
	{ "speed", CONF_DOUBLE, O(speed), 0.1, 1000, "1", NULL, NULL, "model seconds per real second", 0 },
	{ "job-graph", CONF_ENUM, O(graph), 0, 0, "single", graphs, NULL, "single: one chained vertex of --slot-capacity per subtask; pipeline: source -> map -> keyed window (the bottleneck at --slot-capacity records/s per slot) -> sink, the model of flinkhpa-gen simulate --job-graph pipeline", 0 },
	{ "partitions", CONF_INT, O(partitions), 0, 100000, "0", NULL, NULL, "pipeline: the source's partitions (0: no limit)", 0 },
	{ "hot-key", CONF_DOUBLE, O(hot_key), 0, 1, "0.01", NULL, NULL, "pipeline: share of the window's records on one key", 0 },
	{ "efficiency", CONF_DOUBLE, O(efficiency), 0.01, 1, "0.95", NULL, NULL, "pipeline: what each subtask beyond the first adds, of one subtask's capacity", 0 },
	{ "help", CONF_BOOL, O(help), 0, 0, NULL, NULL, NULL, "show this help", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static void emu_settings_from(struct emu_settings *s, const struct emu_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->taskmanagers = (int)o->tms;
	s->slots = (int)o->slots;
	s->metrics_port = (int)o->metrics_port;
	s->rest_port = (int)o->rest_port;
	s->max_parallelism = (int)o->max_par;
	s->parallelism = (int)o->par;
	s->address_base = o->base;
	s->rest_address = o->rest_addr;
	s->job_name = o->job_name;
	s->jar_id = o->jar_id;
	s->entry_class = o->entry_class;
	s->sched = o->mode;
	s->input_rate = o->rate;
	s->slot_capacity = o->capacity;
	s->speed = o->speed;
	s->restart_ms = o->restart_ms;
	s->savepoint_ms = o->savepoint_ms;
	s->checkpoint_ms = o->checkpoint_ms;
	s->retention = o->retention;
	s->checkpoint_dir = o->checkpoint_dir;
	s->pipeline = o->graph == 1;
	s->partitions = (int)o->partitions;
	s->hot_key = o->hot_key;
	s->efficiency = o->efficiency;
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
	struct emu_settings s;
	struct emu_opts o;
	struct err er;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
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
	emu_settings_from(&s, &o);
	if (emu_start(&e, &s, &er)) {
		fprintf(stderr, "flinkhpa-emu: %s\n", er.msg);
		rc = 1;
		goto out_emu;
	}
	printf("rest=%s taskmanagers=%lld first=http://%s:%lld/metrics\n",
	       e.rest_url, (long long)o.tms, o.base, (long long)o.metrics_port);
	fflush(stdout);
	sigwait(&set, &sig);
	rc = 0;
out_emu:
	emu_stop(&e);
out:
	conf_release(emu_flags, &o);
	free(pos);
	return rc;
}
