/*
 * dump.c - print a metrics page as the parser sees it (see dump.h).
 */
#include "adapter/collect/dump.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"

#define DUMP_CHUNK (64 * 1024)

struct dump_ctx {
	FILE *out;
	struct buf line;
	const struct pp_label **sorted;
	size_t max_labels;
};

static int dump_label_cmp(const struct pp_label *a, const struct pp_label *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);

	if (c)
		return c;
	return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

static void dump_sort(const struct pp_label **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const struct pp_label *x = v[i];
		size_t j = i;
		for (; j > 0 && dump_label_cmp(v[j - 1], x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int dump_escaped(struct buf *b, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		if (s[i] == '\\')
			rc = buf_add(b, "\\\\", 2);
		else if (s[i] == '"')
			rc = buf_add(b, "\\\"", 2);
		else if (s[i] == '\n')
			rc = buf_add(b, "\\n", 2);
		else
			rc = buf_addc(b, s[i]);
	}
	return rc;
}

static int dump_value(struct buf *b, double v)
{
	if (isnan(v))
		return buf_adds(b, "NaN");
	if (isinf(v))
		return buf_adds(b, v > 0 ? "+Inf" : "-Inf");
	return buf_addf(b, "%.17g", v);
}

static int dump_labels(struct dump_ctx *d, const struct pp_sample *s)
{
	int rc = 0;

	for (size_t i = 0; i < s->nlabels; i++)
		d->sorted[i] = &s->labels[i];
	dump_sort(d->sorted, s->nlabels);
	rc = buf_addc(&d->line, '{');
	for (size_t i = 0; i < s->nlabels && !rc; i++) {
		const struct pp_label *l = d->sorted[i];
		rc = buf_addf(&d->line, "%s%.*s=\"", i ? "," : "",
			      (int)l->name_len, l->name);
		if (!rc)
			rc = dump_escaped(&d->line, l->value, l->value_len);
		if (!rc)
			rc = buf_addc(&d->line, '"');
	}
	return rc ? rc : buf_addc(&d->line, '}');
}

static int dump_flush(struct dump_ctx *d, struct err *e)
{
	if (d->line.len && fwrite(d->line.p, 1, d->line.len, d->out) !=
				   d->line.len)
		return err_set(e, ERR_IO, "writing output: %s", strerror(errno));
	buf_reset(&d->line);
	return 0;
}

static int dump_sample(void *ud, const struct pp_sample *s, struct err *e)
{
	struct dump_ctx *d = ud;
	int rc = buf_add(&d->line, s->name, s->name_len);

	if (!rc && s->nlabels)
		rc = dump_labels(d, s);
	if (!rc)
		rc = buf_addc(&d->line, ' ');
	if (!rc)
		rc = dump_value(&d->line, s->value);
	if (!rc && s->has_timestamp)
		rc = buf_addf(&d->line, " %lld", (long long)s->timestamp_ms);
	if (!rc)
		rc = buf_addc(&d->line, '\n');
	if (rc)
		return err_set_at(e, rc, s->line, 0, "formatting sample: %s",
				  err_code_name(rc));
	return d->line.len >= DUMP_CHUNK ? dump_flush(d, e) : 0;
}

static int dump_read_all(int fd, struct pp_parser *p, struct err *e)
{
	static char chunk[DUMP_CHUNK];
	ssize_t n;
	int rc;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(e, ERR_IO, "read: %s", strerror(errno));
		if (n == 0)
			return pp_finish(p, e);
		rc = pp_feed(p, chunk, (size_t)n, e);
		if (rc)
			return rc;
	}
}

static int dump_summary(struct dump_ctx *d, const struct pp_stats *st,
			struct err *e)
{
	int rc = buf_addf(&d->line, "# samples=%zu families=%zu lines=%lu "
			  "bytes=%zu\n", st->kept, st->families, st->lines,
			  st->bytes);

	if (rc)
		return err_set(e, rc, "formatting summary");
	return dump_flush(d, e);
}

int dump_scrape(const char *path, FILE *out, const struct pp_limits *lim,
		struct err *e)
{
	struct dump_ctx d = { out, BUF_INIT(16 * 1024 * 1024), NULL, 0 };
	struct pp_parser *p = NULL;
	int fd = 0, rc;

	if (!lim)
		lim = &pp_default_limits;
	if (strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_set(e, ERR_IO, "cannot open: %s",
				       strerror(errno));
	}
	rc = ERR_NOMEM;
	d.sorted = calloc(lim->max_labels ? lim->max_labels : 1,
			  sizeof(*d.sorted));
	if (!d.sorted)
		goto out_close;
	p = pp_new(lim, NULL, dump_sample, &d);
	if (!p)
		goto out_free_sorted;
	rc = dump_read_all(fd, p, e);
	if (!rc)
		rc = dump_summary(&d, pp_get_stats(p), e);
	else
		dump_flush(&d, NULL);
	pp_free(p);
out_free_sorted:
	free(d.sorted);
	buf_release(&d.line);
out_close:
	if (fd > 0)
		close(fd);
	if (rc == ERR_NOMEM && e && e->code == ERR_OK)
		err_set(e, rc, "out of memory");
	return rc;
}
