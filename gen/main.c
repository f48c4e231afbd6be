/*
 * main.c - flinkhpa-gen: reads scaling policy files and writes the
 * TaskManager Deployments, HorizontalPodAutoscalers and a kustomization
 * for `kubectl apply -k`.  Only this file prints and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/conf.h"
#include "plan.h"
#include "policy.h"

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

	fputs("Usage: flinkhpa-gen [flags] POLICY.yaml...\n\n"
	      "Writes a TaskManager Deployment, a HorizontalPodAutoscaler and "
	      "a\nkustomization.yaml for the ScalingPolicy documents in the "
	      "files\n(see docs/policy.md); apply them with kubectl apply -k "
	      "DIR.\nNothing is written unless every policy is valid.\n\n"
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

int main(int argc, char **argv)
{
	struct gen_opts o;
	struct err e;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc = 2;

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
		printf("flinkhpa-gen %s\n", FH_VERSION);
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
