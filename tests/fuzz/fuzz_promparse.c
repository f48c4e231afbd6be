/*
 * fuzz_promparse.c - libFuzzer harness for the Prometheus text parser, the
 * parser of untrusted TaskManager pages.  Each input is parsed whole, then
 * fed in two chunks split where the first byte says, without and with a
 * family filter; the split must not change the outcome.  Small limits make
 * the limit paths reachable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/extract.h"
#include "adapter/promparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ud, const struct pp_sample *s, struct err *e)
{
	(void)e;
	(*(size_t *)ud) += 1 + s->nlabels;
	return 0;
}

static int run(const uint8_t *d, size_t n, size_t split,
	       const struct pp_filter *f, size_t *samples)
{
	struct pp_limits lim = { 256, 8, 4096, 64 };
	struct pp_parser *p = pp_new(&lim, f, count, samples);
	struct err e;
	int rc;

	if (!p)
		abort();
	err_clear(&e);
	rc = pp_feed(p, (const char *)d, split, &e);
	if (!rc)
		rc = pp_feed(p, (const char *)d + split, n - split, &e);
	if (!rc)
		rc = pp_finish(p, &e);
	pp_free(p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ex_spec *spec;
	size_t a = 0, b = 0, split;
	int ra, rb;

	if (!spec)
		spec = ex_spec_new(NULL, 0, NULL);
	split = size ? data[0] % (size + 1) : 0;
	ra = run(data, size, 0, NULL, &a);
	rb = run(data, size, split, NULL, &b);
	if (ra != rb || a != b)
		abort(); /* chunking changed the result */
	a = b = 0;
	ra = run(data, size, 0, ex_spec_filter(spec), &a);
	rb = run(data, size, split, ex_spec_filter(spec), &b);
	if (ra != rb || a != b)
		abort();
	return 0;
}
