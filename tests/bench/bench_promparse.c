/*
 * bench_promparse.c - throughput of our Prometheus text parser
 * (adapter/promparse.h) on one page, for `make bench`.
 *
 *     bench_promparse [--seconds S] [--chunk BYTES] PAGE
 *
 * Parses PAGE over and over for about S seconds (2) with one parser that is
 * reset between pages, feeding it in chunks of BYTES (16384, what curl's
 * write callback hands over; 0: the whole page at once), twice:
 *   all       no filter: every sample goes to a callback that touches its
 *             value and every label;
 *   filtered  as the adapter reads a page: the extractor's family filter
 *             (adapter/extract.h, the catalogue's dozen families), the rest
 *             skipped after their name, and ex_sample as the callback.
 * Prints key=value lines that tests/bench/run.sh turns into a table:
 *
 *     ours-all bytes=N chunk=N lines=N samples=N kept=N iters=N seconds=S
 *         mbps=X sps=X
 *     ours-filtered ...
 *     rss page_kb=N peak_kb=N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "adapter/collect/extract.h"
#include "adapter/collect/promparse.h"
#include "common/err.h"

struct touch {
	double sum;
	size_t label_bytes;
};

static int on_sample(void *ud, const struct pp_sample *s, struct err *e)
{
	struct touch *t = ud;

	(void)e;
	if (s->value == s->value) /* not NaN */
		t->sum += s->value;
	for (size_t i = 0; i < s->nlabels; i++)
		t->label_bytes += s->labels[i].value_len +
				  (unsigned char)s->labels[i].value[0];
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

static int read_page(const char *path, char **data, size_t *len,
		     struct err *e)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	}
	*data = malloc((size_t)n + 1);
	if (!*data) {
		fclose(f);
		return err_set(e, ERR_NOMEM, "%s: out of memory", path);
	}
	*len = fread(*data, 1, (size_t)n, f);
	fclose(f);
	if (*len != (size_t)n)
		return err_set(e, ERR_IO, "%s: short read", path);
	return 0;
}

struct mode {
	const char *label;
	const struct pp_filter *filter; /* NULL: keep everything */
	pp_sample_fn fn;
	void *ud;
	struct ex_page *page; /* reset before every page, when set */
};

/* One page through p, chunk bytes at a time (0: all at once). */
static int parse_once(struct pp_parser *p, const struct mode *m,
		      const char *data, size_t len, size_t chunk,
		      struct err *e)
{
	size_t off = 0;
	int rc;

	pp_reset(p);
	if (m->page)
		ex_page_reset(m->page);
	if (!chunk)
		chunk = len;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		rc = pp_feed(p, data + off, n, e);
		if (rc)
			return rc;
		off += n;
	}
	return pp_finish(p, e);
}

static int run(const struct mode *m, const char *data, size_t len,
	       size_t chunk, double seconds, struct err *e)
{
	struct pp_parser *p = pp_new(NULL, m->filter, m->fn, m->ud);
	const struct pp_stats *st;
	double t0, dt;
	size_t iters = 0;
	int rc;

	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = parse_once(p, m, data, len, chunk, e); /* warm up, check */
	t0 = now();
	while (!rc && ((dt = now() - t0) < seconds || iters < 3)) {
		rc = parse_once(p, m, data, len, chunk, e);
		iters++;
	}
	if (rc) {
		pp_free(p);
		return err_prefix(e, "%s: ", m->label);
	}
	st = pp_get_stats(p);
	printf("%s bytes=%zu chunk=%zu lines=%lu samples=%zu kept=%zu "
	       "families=%zu iters=%zu seconds=%.3f mbps=%.1f sps=%.0f\n",
	       m->label, len, chunk, st->lines, st->samples, st->kept,
	       m->filter ? pp_filter_count(m->filter) : 0, iters, dt,
	       (double)len * (double)iters / dt / 1e6,
	       (double)st->samples * (double)iters / dt);
	pp_free(p);
	return 0;
}

static int parse_args(int argc, char **argv, double *seconds, long *chunk,
		      const char **path)
{
	for (int i = 1; i < argc; i++) {
		char *end = NULL;

		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			*seconds = strtod(argv[++i], &end);
		else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
			*chunk = strtol(argv[++i], &end, 10);
		else if (!*path && argv[i][0] != '-')
			*path = argv[i];
		else
			return -1;
		if (end && (*end || end == argv[i]))
			return -1;
	}
	return *path && *seconds > 0 && *chunk >= 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	double seconds = 2;
	long chunk = 16384;
	const char *path = NULL;
	char *data = NULL;
	size_t len = 0;
	struct touch t = { 0, 0 };
	struct ex_spec *spec = NULL;
	struct ex_page *pg = NULL;
	struct err e = { 0 };
	int rc;

	if (parse_args(argc, argv, &seconds, &chunk, &path)) {
		fprintf(stderr, "usage: bench_promparse [--seconds S] "
				"[--chunk BYTES] PAGE\n");
		return 2;
	}
	rc = read_page(path, &data, &len, &e);
	if (!rc) {
		printf("rss page_kb=%ld\n", peak_kb());
		rc = run(&(struct mode){ "ours-all", NULL, on_sample, &t, NULL },
			 data, len, (size_t)chunk, seconds, &e);
	}
	if (!rc && (!(spec = ex_spec_new(NULL, 0, &e)) ||
		    !(pg = ex_page_new(spec))))
		rc = spec ? err_set(&e, ERR_NOMEM, "out of memory") : e.code;
	if (!rc)
		rc = run(&(struct mode){ "ours-filtered", ex_spec_filter(spec),
					 ex_sample, pg, pg },
			 data, len, (size_t)chunk, seconds, &e);
	if (!rc)
		printf("rss peak_kb=%ld touched=%g/%zu\n", peak_kb(), t.sum,
		       t.label_bytes);
	else
		fprintf(stderr, "bench_promparse: %s\n", e.msg);
	ex_page_free(pg);
	ex_spec_free(spec);
	free(data);
	return rc ? 1 : 0;
}
