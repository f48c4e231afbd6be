/*
 * bench_promparse.c - throughput of flinkhpa's page parser on a page file,
 * the way the adapter uses it (the catalogue's family filter and the
 * extractor as callback) and with no filter at all (every sample to a
 * callback), each in a loop for the given seconds.  Prints one line per
 * mode:  flinkhpa mode=M bytes=N series=N seconds=S mb_per_s=X
 * and the peak RSS.  Fed in 64 KiB chunks, as pages arrive from the
 * network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "adapter/extract.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count(void *ud, const struct pp_sample *s, struct err *e)
{
	(void)e;
	*(double *)ud += s->value * 0 + 1;
	return 0;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(p = malloc((size_t)len + 1)) ||
	    fread(p, 1, (size_t)len, f) != (size_t)len) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void run(const char *mode, const char *page, size_t n, double secs,
		const struct pp_filter *f, pp_sample_fn fn, void *ud,
		size_t (*kept)(void *))
{
	struct pp_parser *p = pp_new(NULL, f, fn, ud);
	double t0 = now_s(), el;
	size_t runs = 0, series = 0;

	do {
		pp_reset(p);
		if (f)
			ex_page_reset(ud);
		for (size_t off = 0; off < n; off += 65536)
			if (pp_feed(p, page + off, n - off < 65536 ? n - off : 65536, NULL))
				exit(1);
		if (pp_finish(p, NULL))
			exit(1);
		series = kept ? kept(ud) : pp_get_stats(p)->kept;
		runs++;
	} while ((el = now_s() - t0) < secs);
	printf("flinkhpa mode=%s bytes=%zu series=%zu seconds=%.3f mb_per_s=%.1f\n",
	       mode, n, series, el, (double)n * (double)runs / el / 1e6);
	pp_free(p);
}

int main(int argc, char **argv)
{
	struct ex_spec *spec;
	struct ex_page *pg;
	struct rusage ru;
	double total = 0, secs;
	size_t n;
	char *page;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_promparse PAGE SECONDS\n");
		return 2;
	}
	page = slurp(argv[1], &n);
	secs = atof(argv[2]);
	spec = ex_spec_new(NULL, 0, NULL);
	pg = ex_page_new(spec);
	run("adapter", page, n, secs, ex_spec_filter(spec), ex_sample, pg, NULL);
	run("all", page, n, secs, NULL, count, &total, NULL);
	getrusage(RUSAGE_SELF, &ru);
	printf("flinkhpa peak_rss_kb=%ld\n", ru.ru_maxrss);
	ex_page_free(pg);
	ex_spec_free(spec);
	free(page);
	return 0;
}
