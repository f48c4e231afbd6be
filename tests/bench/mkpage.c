/*
 * mkpage.c - writes a Flink TaskManager /metrics page (hack/emu/flinkpage.h,
 * demo jobs and values) to stdout or a file, for `make bench` and by hand:
 *
 *     mkpage --slots 8 --operators 6 > page.prom
 *     mkpage --jobs 2 --slots 8 --operators 6 -o page.prom
 *
 * Says on stderr how big it is: "mkpage: N bytes, N series, N families".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "hack/emu/flinkpage.h"

#define PAGE_MAX ((size_t)1 << 30)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mkpage [--jobs N] [--slots N] [--operators N] "
		"[--partitions N]\n"
		"              [--tm N] [--seed N] [--no-latency] [-o FILE]\n"
		"  --jobs N        jobs on the TaskManager (1)\n"
		"  --slots N       subtasks of every task on it (2)\n"
		"  --operators N   operators per job, in up to 3 tasks (3)\n"
		"  --partitions N  Kafka partitions per source subtask (4)\n"
		"  --tm N          which TaskManager: host, id, subtasks (0)\n"
		"  --seed N        varies the values (0)\n"
		"  --no-latency    latency tracking off\n"
		"  -o FILE         write FILE instead of stdout\n");
}

/* A whole number in [lo, hi] from s, or -1 after complaining. */
static long arg_num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = s ? strtol(s, &end, 10) : 0;
	if (!s || errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "mkpage: %s wants a number from %ld to %ld\n",
			opt, lo, hi);
		return -1;
	}
	return v;
}

static int parse_args(int argc, char **argv, struct fp_demo_opts *o,
		      unsigned long long *seed, const char **path)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n = 0;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--no-latency")) {
			o->latency = false;
			continue;
		} else if (!strcmp(a, "-o")) {
			if (!v)
				goto bad;
			*path = v;
		} else if (!strcmp(a, "--seed")) {
			if ((n = arg_num(a, v, 0, 1L << 30)) < 0)
				return -1;
			*seed = (unsigned long long)n;
		} else {
			int *field = !strcmp(a, "--jobs")	  ? &o->jobs
				     : !strcmp(a, "--slots")	  ? &o->slots
				     : !strcmp(a, "--operators")  ? &o->operators
				     : !strcmp(a, "--partitions") ? &o->partitions
				     : !strcmp(a, "--tm")	  ? &o->tm_index
								  : NULL;
			if (!field)
				goto bad;
			if ((n = arg_num(a, v, field == &o->tm_index ? 0 : 1,
					 1000)) < 0)
				return -1;
			*field = (int)n;
		}
		i++;
	}
	return 0;
bad:
	usage(stderr);
	return -1;
}

int main(int argc, char **argv)
{
	struct fp_demo_opts o = { .jobs = 1, .slots = 2, .operators = 3,
				  .partitions = 4, .latency = true };
	unsigned long long seed = 0;
	const char *path = NULL;
	struct buf page = BUF_INIT(PAGE_MAX);
	struct fp_stats st;
	struct err e = { 0 };
	struct fp_tm *tm = NULL;
	FILE *f = stdout;
	int rc = 1;

	if (parse_args(argc, argv, &o, &seed, &path))
		return 2;
	tm = fp_demo_new(&o, &e);
	if (!tm)
		goto out;
	if (fp_write_page(&page, tm, fp_demo_value, &seed, &st, &e))
		goto out;
	if (path && !(f = fopen(path, "w"))) {
		err_set(&e, ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(page.p, 1, page.len, f) != page.len || fflush(f)) {
		err_set(&e, ERR_IO, "writing %s: %s", path ? path : "stdout",
			strerror(errno));
		goto out;
	}
	fprintf(stderr, "mkpage: %zu bytes, %zu series, %zu families\n",
		page.len, st.series, st.families);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "mkpage: %s\n", e.msg);
	if (f && f != stdout && fclose(f) && !rc) {
		fprintf(stderr, "mkpage: closing %s: %s\n", path, strerror(errno));
		rc = 1;
	}
	buf_release(&page);
	fp_demo_free(tm);
	return rc;
}
