/*
 * main.c - flinkhpa-gen: reads scaling policy files and writes the
 * TaskManager Deployments, HorizontalPodAutoscalers (and, with
 * spec.jobManager, the JobManager's objects) and a kustomization for
 * `kubectl apply -k`.  Only this file prints and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/conf.h"
#include "gen/plan.h"
#include "gen/policy.h"
#include "gen/simulate.h"

struct gen_opts {
	char *output;
	int hpa_version;
	bool check, namespaces, help, version;
};

static const char *const hpa_versions[] = { "v2", "v2beta2", NULL };

#define OPT(f) offsetof(struct gen_opts, f)
static const struct conf_def gen_flags[] = {
	{ "output", CONF_STRING, OPT(output), 1, 4096, ".", NULL, NULL,
	  "directory to write into (created if missing), or - for one "
	  "multi-document stream on stdout (also -o)", 0 },
	{ "hpa-version", CONF_ENUM, OPT(hpa_version), 0, 0, "v2", hpa_versions,
	  NULL, "HorizontalPodAutoscaler API: v2 (Kubernetes 1.23 and later) "
	  "or v2beta2 (older clusters)", 0 },
	{ "namespaces", CONF_BOOL, OPT(namespaces), 0, 0, "false", NULL, NULL,
	  "also write a Namespace object for each policy's namespace", 0 },
	{ "check", CONF_BOOL, OPT(check), 0, 0, "false", NULL, NULL,
	  "check the policy files and write nothing", 0 },
	{ "help", CONF_BOOL, OPT(help), 0, 0, NULL, NULL, NULL,
	  "show this help and exit", 0 },
	{ "version", CONF_BOOL, OPT(version), 0, 0, NULL, NULL, NULL,
	  "print the version and exit", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static void usage(FILE *f)
{
	struct buf b = BUF_INIT(64 * 1024);

	fputs("Usage: flinkhpa-gen [flags] POLICY.yaml...\n"
	      "       flinkhpa-gen simulate --trace TRACE.csv [flags] POLICY.yaml\n\n"
	      "Writes a TaskManager Deployment, a HorizontalPodAutoscaler and "
	      "a\nkustomization.yaml for the ScalingPolicy documents in the "
	      "files\n(see docs/policy.md); with spec.jobManager also the "
	      "JobManager, its\nService and the Flink configuration. Apply "
	      "them with kubectl apply -k DIR.\nNothing is written unless "
	      "every policy is valid.\n\n"
	      "Flags:\n", f);
	if (conf_usage(gen_flags, &b) == 0)
		fputs(buf_str(&b), f);
	buf_release(&b);
}

static void print_error(const char *file, const struct err *e)
{
	if (file && e->line)
		fprintf(stderr, "flinkhpa-gen: %s:%lu:%lu: %s\n", file,
			e->line, e->col, e->msg);
	else if (file && e->code != ERR_IO)
		fprintf(stderr, "flinkhpa-gen: %s: %s\n", file, e->msg);
	else
		fprintf(stderr, "flinkhpa-gen: %s\n", e->msg);
}

/* -o is --output; everything else is the table's. */
static void short_flags(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		if (!strcmp(argv[i], "-o"))
			argv[i] = "--output";
	}
}

static int run(const struct gen_opts *o, char **paths, int n)
{
	struct pol_file *files = calloc((size_t)n, sizeof(*files));
	struct plan_opts po = { .hpa = o->hpa_version, .namespaces = o->namespaces };
	struct plan pl = { 0 };
	struct err e;
	int i = 0, rc = 1;

	err_clear(&e);
	if (!files)
		return 1;
	for (; i < n; i++) {
		if (pol_read(paths[i], &files[i], &e)) {
			print_error(paths[i], &e);
			goto release;
		}
	}
	if (plan_build(&pl, files, (size_t)n, &po, &e)) {
		print_error(NULL, &e);
		goto release;
	}
	if (o->check)
		rc = 0;
	else if (!strcmp(o->output, "-"))
		rc = plan_write_stream(&pl, stdout, &e) ? 1 : 0;
	else
		rc = plan_write_dir(&pl, o->output, &e) ? 1 : 0;
	if (rc)
		print_error(NULL, &e);
	else if (o->check)
		printf("%d policy file%s OK\n", n, n == 1 ? "" : "s");
release:
	plan_release(&pl);
	while (i-- > 0)
		pol_file_release(&files[i]);
	free(files);
	return rc;
}

/* ---- flinkhpa-gen simulate ---- */

struct sim_flags {
	char *trace, *svg, *policy, *kube;
	int64_t period_ms, initial, restart_ms, delay_ms;
	double capacity, hot_key, efficiency;
	int64_t partitions;
	int graph;
	bool help;
};

static const char *const sim_graphs[] = { "single", "pipeline", NULL };

#define SOPT(f) offsetof(struct sim_flags, f)
static int sim_check_kube(const void *field, struct err *e)
{
	int minor;

	return sim_kube_minor(*(char *const *)field, &minor, e);
}

static const struct conf_def sim_flags_tab[] = {
	{ "trace", CONF_STRING, SOPT(trace), 1, 4096, NULL, NULL, NULL,
	  "the CSV trace: time in seconds, then a column per rule's metric "
	  "(replayed), or input_rate (records/s, through the workload model)",
	  0 },
	{ "svg", CONF_STRING, SOPT(svg), 1, 4096, NULL, NULL, NULL,
	  "also write the chart to this file", 0 },
	{ "policy", CONF_STRING, SOPT(policy), 1, 63, NULL, NULL, NULL,
	  "the policy to simulate when the file has several", 0 },
	{ "sync-period", CONF_DURATION, SOPT(period_ms), 1000, 3600000, "15s",
	  NULL, NULL, "the HPA controller's sync period", 0 },
	{ "initial-replicas", CONF_INT, SOPT(initial), 0, 100000, "0", NULL,
	  NULL, "replicas at the start (0: the policy's min)", 0 },
	{ "kubernetes-version", CONF_STRING, SOPT(kube), 1, 32, "1.21", NULL,
	  sim_check_kube, "the controller's version: before 1.21 a reading "
	  "below the current count takes the highest recommendation of the "
	  "scale-down window, even above the current count "
	  "(kubernetes#96671)", 0 },
	{ "capacity", CONF_DOUBLE, SOPT(capacity), 0.001, 1e12, "1000", NULL,
	  NULL, "model: records/s one TaskManager processes when fully busy",
	  0 },
	{ "restart-pause", CONF_DURATION, SOPT(restart_ms), 0, 3600000, "10s",
	  NULL, NULL, "model: the job's restart after each rescale (no "
	  "metrics meanwhile)", 0 },
	{ "pod-startup", CONF_DURATION, SOPT(delay_ms), 0, 3600000, "0", NULL,
	  NULL, "model: a new TaskManager's start time, added to the pause",
	  0 },
	{ "job-graph", CONF_ENUM, SOPT(graph), 0, 0, "single", sim_graphs,
	  NULL, "model: one vertex of --capacity per TaskManager, or the "
	  "pipeline source -> map -> keyed window -> sink (README, Scaling on "
	  "throughput)", 0 },
	{ "partitions", CONF_INT, SOPT(partitions), 0, 100000, "0", NULL,
	  NULL, "model, pipeline: the source's partitions (0: no limit)", 0 },
	{ "hot-key", CONF_DOUBLE, SOPT(hot_key), 0, 1, "0.01", NULL, NULL,
	  "model, pipeline: the window's share of records on one key", 0 },
	{ "efficiency", CONF_DOUBLE, SOPT(efficiency), 0.01, 1, "0.95", NULL,
	  NULL, "model, pipeline: what each subtask beyond the first adds, "
	  "of one subtask's capacity", 0 },
	{ "help", CONF_BOOL, SOPT(help), 0, 0, NULL, NULL, NULL,
	  "show this help and exit", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static void sim_usage(FILE *f)
{
	struct buf b = BUF_INIT(64 * 1024);

	fputs("Usage: flinkhpa-gen simulate --trace TRACE.csv [flags] "
	      "POLICY.yaml\n\nReplays the trace through the HPA controller's "
	      "algorithm with the policy's\nrules, bounds and behavior, and "
	      "prints what the HPA would do.\n\nFlags:\n", f);
	if (conf_usage(sim_flags_tab, &b) == 0)
		fputs(buf_str(&b), f);
	buf_release(&b);
}

static const struct pol *sim_pick(const struct pol_file *pf, const char *name,
				  struct err *e)
{
	if (!name && pf->n == 1)
		return &pf->v[0];
	if (!name) {
		err_set(e, ERR_INVAL, "the file has %zu policies: choose one "
			"with --policy", pf->n);
		return NULL;
	}
	for (size_t i = 0; i < pf->n; i++)
		if (!strcmp(pf->v[i].name, name))
			return &pf->v[i];
	err_set(e, ERR_NOTFOUND, "no policy called \"%s\"", name);
	return NULL;
}

static int sim_write(const char *path, const struct buf *b, struct err *e)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf_str(b), 1, b->len, f) != b->len) {
		if (f)
			fclose(f);
		return err_set(e, ERR_IO, "%s: cannot write", path);
	}
	return fclose(f) ? err_set(e, ERR_IO, "%s: cannot write", path) : 0;
}

static int sim_main(const struct sim_flags *o, const char *policy)
{
	struct pol_file pf = { 0 };
	struct sim_trace t = { 0 };
	struct sim_result r = { 0 };
	struct sim_opts so = { .period_ms = o->period_ms,
		.initial = o->initial, .capacity = o->capacity,
		.restart_ms = o->restart_ms, .delay_ms = o->delay_ms,
		.pipeline = o->graph == 1, .partitions = (int)o->partitions,
		.hot_key = o->hot_key, .efficiency = o->efficiency };
	struct buf out = BUF_INIT(64u << 20);
	const struct pol *p = NULL;
	const char *file = policy;
	struct err e;
	int rc;

	err_clear(&e);
	rc = sim_kube_minor(o->kube, &so.kube_minor, &e);
	if (!rc)
		rc = pol_read(policy, &pf, &e);
	if (!rc && !(p = sim_pick(&pf, o->policy, &e)))
		rc = e.code;
	if (!rc && (file = o->trace) && !(rc = sim_trace_load(o->trace, &t, &e)))
		file = NULL, rc = sim_run(p, &t, &so, &r, &e);
	if (!rc && !(rc = sim_timeline(p, &r, &out)))
		fputs(buf_str(&out), stdout);
	if (!rc && o->svg) {
		buf_reset(&out);
		rc = sim_svg(p, &r, &out);
		if (!rc && !(rc = sim_write(o->svg, &out, &e)))
			printf("chart: %s\n", o->svg);
	}
	if (rc)
		print_error(file, &e);
	buf_release(&out);
	sim_result_release(&r);
	sim_trace_release(&t);
	pol_file_release(&pf);
	return rc ? 1 : 0;
}

static int run_simulate(int argc, char **argv)
{
	struct sim_flags o;
	struct err e;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc = 2;

	memset(&o, 0, sizeof(o));
	err_clear(&e);
	if (!pos || conf_defaults(sim_flags_tab, &o, &e) ||
	    conf_parse_args(sim_flags_tab, &o, argc, argv, pos, &npos, &e))
		fprintf(stderr, "flinkhpa-gen simulate: %s (see --help)\n", e.msg);
	else if (o.help)
		sim_usage(stdout), rc = 0;
	else if (npos != 1 || !o.trace)
		fprintf(stderr, "flinkhpa-gen simulate: give --trace and one "
			"policy file (see --help)\n");
	else
		rc = sim_main(&o, pos[0]);
	conf_release(sim_flags_tab, &o);
	free(pos);
	return rc;
}

int main(int argc, char **argv)
{
	struct gen_opts o;
	struct err e;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc = 2;

	if (argc > 1 && !strcmp(argv[1], "simulate")) {
		free(pos);
		return run_simulate(argc - 1, argv + 1);
	}
	memset(&o, 0, sizeof(o));
	err_clear(&e);
	short_flags(argc, argv);
	if (!pos || conf_defaults(gen_flags, &o, &e) ||
	    conf_parse_args(gen_flags, &o, argc, argv, pos, &npos, &e)) {
		fprintf(stderr, "flinkhpa-gen: %s (see --help)\n", e.msg);
		goto out;
	}
	if (o.help) {
		usage(stdout);
		rc = 0;
	} else if (o.version) {
		printf("flinkhpa-gen %s (revision %s)\n", FH_VERSION, FH_REVISION);
		rc = 0;
	} else if (!npos) {
		fprintf(stderr, "flinkhpa-gen: no policy file (see --help)\n");
	} else {
		rc = run(&o, pos, npos);
	}
out:
	conf_release(gen_flags, &o);
	free(pos);
	return rc;
}
