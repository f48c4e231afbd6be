/*
 * fuzz_promparse.c - libFuzzer harness for the Prometheus text parser, the
 * parser of untrusted TaskManager pages.  Each input is parsed whole, then
 * fed in two chunks split where the first byte says (and, when short, one
 * byte at a time), without a filter and with the adapter's family filter.
 * However the page is cut, the outcome must not change: the same code, the
 * same samples (a hash of every field the callback sees) and, on an error,
 * the same line, column and message.  Small limits make the line, label
 * and sample limits reachable.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/collect/extract.h"
#include "adapter/collect/promparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	int rc;
	size_t samples;
	uint64_t hash; /* FNV-1a over every sample's fields */
	struct err e;
};

static void mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		*h ^= s[i];
		*h *= 1099511628211ULL;
	}
}

static int note(void *ud, const struct pp_sample *s, struct err *e)
{
	struct outcome *o = ud;
	double v = isnan(s->value) ? NAN : s->value; /* one NaN */
	int64_t ts = s->has_timestamp ? s->timestamp_ms : INT64_MIN;

	(void)e;
	if (s->name_len < s->family_len || s->nlabels > 8)
		abort();
	mix(&o->hash, s->name, s->name_len);
	mix(&o->hash, "|", 1);
	mix(&o->hash, s->family, s->family_len);
	mix(&o->hash, &s->type, sizeof(s->type));
	mix(&o->hash, &s->family_id, sizeof(s->family_id));
	for (size_t i = 0; i < s->nlabels; i++) {
		mix(&o->hash, s->labels[i].name, s->labels[i].name_len);
		mix(&o->hash, "=", 1);
		mix(&o->hash, s->labels[i].value, s->labels[i].value_len);
		mix(&o->hash, ",", 1);
	}
	mix(&o->hash, &v, sizeof(v));
	mix(&o->hash, &ts, sizeof(ts));
	mix(&o->hash, &s->line, sizeof(s->line));
	o->samples++;
	return 0;
}

/* Feed d in pieces: [0, split), then the rest in pieces of step bytes
 * (0: all at once). */
static void run(const uint8_t *d, size_t n, size_t split, size_t step,
		const struct pp_filter *f, struct outcome *o)
{
	struct pp_limits lim = { 256, 8, 4096, 64 };
	struct pp_parser *p = pp_new(&lim, f, note, o);
	size_t off = split;

	if (!p)
		abort();
	memset(o, 0, sizeof(*o));
	o->hash = 14695981039346656037ULL;
	err_clear(&o->e);
	o->rc = pp_feed(p, (const char *)d, split, &o->e);
	while (!o->rc && off < n) {
		size_t k = step && step < n - off ? step : n - off;
		o->rc = pp_feed(p, (const char *)d + off, k, &o->e);
		off += k;
	}
	if (!o->rc)
		o->rc = pp_finish(p, &o->e);
	pp_free(p);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	if (a->rc != b->rc || a->samples != b->samples || a->hash != b->hash)
		abort(); /* chunking changed the result */
	if (a->rc && (a->e.line != b->e.line || a->e.col != b->e.col ||
		      strcmp(a->e.msg, b->e.msg) != 0))
		abort(); /* ... or where the error is */
	if (a->rc && (a->e.line == 0 || a->e.col == 0))
		abort(); /* every parse error has a 1-based position */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ex_spec *spec;
	const struct pp_filter *filters[2];
	struct outcome whole, cut;
	size_t split = size ? data[0] % (size + 1) : 0;

	if (!spec)
		spec = ex_spec_new(NULL, 0, NULL);
	filters[0] = NULL;
	filters[1] = ex_spec_filter(spec);
	for (int i = 0; i < 2; i++) {
		run(data, size, 0, 0, filters[i], &whole);
		run(data, size, split, 0, filters[i], &cut);
		same(&whole, &cut);
		if (size <= 512) {
			run(data, size, 0, 1, filters[i], &cut);
			same(&whole, &cut);
		}
	}
	return 0;
}
