/*
 * main.c - flinkhpa-adapter's entry point: parses flags from the settings
 * table, runs the selected mode, and is the only place that prints errors
 * and chooses the exit status.
 *
 * Modes so far: --dump-scrape FILE (print what the scrape parser reads from
 * a TaskManager metrics page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/conf.h"
#include "../common/log.h"
#include "dump.h"

#ifndef FH_VERSION
#define FH_VERSION "dev"
#endif

struct adapter_opts {
	char *dump_scrape;
	int64_t verbosity;
	bool help;
	bool version;
};

static const struct conf_def adapter_flags[] = {
	{ "dump-scrape", CONF_STRING, offsetof(struct adapter_opts, dump_scrape),
	  1, 4096, NULL, NULL, NULL,
	  "print every sample parsed from a Flink metrics page (FILE, or - "
	  "for standard input), then a summary line, and exit", 0 },
	{ "v", CONF_INT, offsetof(struct adapter_opts, verbosity), 0, 10, "0",
	  NULL, NULL, "log verbosity (klog levels)", 0 },
	{ "help", CONF_BOOL, offsetof(struct adapter_opts, help), 0, 0, NULL,
	  NULL, NULL, "show this help and exit", 0 },
	{ "version", CONF_BOOL, offsetof(struct adapter_opts, version), 0, 0,
	  NULL, NULL, NULL, "print the version and exit", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static void usage(FILE *f)
{
	struct buf b = BUF_INIT(64 * 1024);

	fputs("Usage: flinkhpa-adapter [flags]\n\n"
	      "Serves Flink metrics to the Kubernetes HPA through the custom "
	      "and external\nmetrics APIs.\n\nFlags:\n", f);
	if (conf_usage(adapter_flags, &b) == 0)
		fputs(buf_str(&b), f);
	buf_release(&b);
}

static int run_dump(const char *path)
{
	struct err e;

	err_clear(&e);
	if (dump_scrape(path, stdout, NULL, &e) == 0)
		return fflush(stdout) == 0 ? 0 : 1;
	fflush(stdout);
	if (e.line)
		fprintf(stderr, "flinkhpa-adapter: %s:%lu:%lu: %s\n", path,
			e.line, e.col, e.msg);
	else
		fprintf(stderr, "flinkhpa-adapter: %s: %s\n", path, e.msg);
	return 1;
}

int main(int argc, char **argv)
{
	struct adapter_opts o;
	struct err e;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc = 2;

	memset(&o, 0, sizeof(o));
	err_clear(&e);
	if (!pos || conf_defaults(adapter_flags, &o, &e) ||
	    conf_parse_args(adapter_flags, &o, argc, argv, pos, &npos, &e)) {
		fprintf(stderr, "flinkhpa-adapter: %s\n", e.msg);
		goto out;
	}
	log_set_verbosity((int)o.verbosity);
	if (o.help) {
		usage(stdout);
		rc = 0;
	} else if (o.version) {
		printf("flinkhpa-adapter %s\n", FH_VERSION);
		rc = 0;
	} else if (npos) {
		fprintf(stderr, "flinkhpa-adapter: unexpected argument: %s\n",
			pos[0]);
	} else if (o.dump_scrape) {
		rc = run_dump(o.dump_scrape);
	} else {
		fputs("flinkhpa-adapter: serving the metrics API is not "
		      "implemented in this version; use --dump-scrape FILE "
		      "(see --help)\n", stderr);
	}
out:
	conf_release(adapter_flags, &o);
	free(pos);
	return rc;
}
