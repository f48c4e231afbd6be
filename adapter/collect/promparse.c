/*
 * promparse.c - streaming parser for the Prometheus text format (see
 * promparse.h for what it accepts and promparse_int.h for its state).
 *
 * pp_feed splits input into lines.  A line that lies whole inside the chunk
 * is parsed in place; only a line cut by the chunk's end is copied (into
 * carry, bounded by max_line).  Each line is then a comment (# HELP, # TYPE,
 * other), blank, or a sample.  The family of the current # HELP/# TYPE block
 * is looked up in the filter once; samples of unwanted families are dropped
 * right after their name is read.
 */
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "adapter/collect/promparse_int.h"

const struct pp_limits pp_default_limits = {
	.max_line = 64 * 1024,
	.max_labels = 64,
	.max_page = 64 * 1024 * 1024,
	.max_samples = 1000000,
};

/* Position inside the line being parsed, for error columns. */
struct pp_cur {
	const char *line; /* start of the line */
	const char *p;
	const char *end; /* end of line, excluding \r\n */
};

static int pp_fail(struct pp_parser *p, const struct pp_cur *c, int code,
		   const char *what, struct err *e)
{
	return err_set_at(e, code, p->st.lines + 1,
			  (unsigned long)(c->p - c->line) + 1, "%s", what);
}

static void pp_skip_blank(struct pp_cur *c)
{
	while (c->p < c->end && PP_IS(*c->p, PP_C_BLANK))
		c->p++;
}

/* Metric name at c->p; returns its length (0: none). */
static size_t pp_scan_name(struct pp_cur *c)
{
	const char *s = c->p;

	if (s == c->end || !PP_IS(*s, PP_C_NAME0))
		return 0;
	for (s++; s < c->end && PP_IS(*s, PP_C_NAME); s++)
		;
	return (size_t)(s - c->p);
}

/* ---- families ---- */

static void pp_family_start(struct pp_parser *p, const char *name, size_t n)
{
	buf_reset(&p->fam);
	buf_add(&p->fam, name, n); /* n <= max_line == fam.max: cannot fail */
	p->fam_type = PP_UNTYPED;
	p->fam_help = false;
	p->fam_typed = false;
	p->fam_samples = 0;
	p->fam_id = p->filter ? pp_filter_lookup(p->filter, name, n) : -1;
	p->fam_want = !p->filter || p->fam_id >= 0;
	p->st.families++;
}

static bool pp_is_current(const struct pp_parser *p, const char *n, size_t len)
{
	return len == p->fam.len && memcmp(n, p->fam.p, len) == 0;
}

/* Does series name n belong to the current family (x, x_sum, x_count...)? */
static bool pp_in_family(const struct pp_parser *p, const char *n, size_t len)
{
	size_t fl = p->fam.len;
	const char *suf = n + fl;
	size_t sl = len - fl;

	if (fl == 0)
		return false;
	if (pp_is_current(p, n, len))
		return true;
	if (len <= fl || memcmp(n, p->fam.p, fl) != 0)
		return false;
	if (p->fam_type == PP_SUMMARY || p->fam_type == PP_HISTOGRAM) {
		if (str_eq_n(suf, sl, "_sum") || str_eq_n(suf, sl, "_count"))
			return true;
	}
	return p->fam_type == PP_HISTOGRAM && str_eq_n(suf, sl, "_bucket");
}

/* ---- comment lines ---- */

static int pp_help_text(struct pp_parser *p, struct pp_cur *c, struct err *e)
{
	for (; c->p < c->end; c->p++) {
		if (*c->p != '\\')
			continue;
		c->p++;
		if (c->p == c->end || (*c->p != '\\' && *c->p != 'n'))
			return pp_fail(p, c, ERR_INVAL,
				       "invalid escape sequence in HELP text",
				       e);
	}
	return 0;
}

static int pp_type_word(const char *s, size_t n, enum pp_type *t)
{
	static const char *names[] = { "untyped", "counter", "gauge",
				       "summary", "histogram" };

	for (int i = 0; i < 5; i++) {
		if (str_eq_n(s, n, names[i])) {
			*t = (enum pp_type)i;
			return 0;
		}
	}
	return ERR_INVAL;
}

static int pp_type_line(struct pp_parser *p, struct pp_cur *c, struct err *e)
{
	const char *w = c->p;
	enum pp_type t;

	while (c->p < c->end && !PP_IS(*c->p, PP_C_BLANK))
		c->p++;
	if (pp_type_word(w, (size_t)(c->p - w), &t)) {
		c->p = w;
		return pp_fail(p, c, ERR_INVAL,
			       "unknown metric type (want counter, gauge, "
			       "histogram, summary or untyped)",
			       e);
	}
	pp_skip_blank(c);
	if (c->p != c->end)
		return pp_fail(p, c, ERR_INVAL, "unexpected text after type",
			       e);
	c->p = c->line; /* the whole line is the problem */
	if (p->fam_typed || p->fam_samples)
		return pp_fail(p, c, ERR_INVAL,
			       "second TYPE line for this family, or TYPE "
			       "after its samples",
			       e);
	p->fam_type = t;
	p->fam_typed = true;
	return 0;
}

/* "# HELP name text" or "# TYPE name type"; c->p is after the keyword. */
static int pp_meta_line(struct pp_parser *p, struct pp_cur *c, bool help,
			struct err *e)
{
	size_t n;
	const char *name;

	pp_skip_blank(c);
	name = c->p;
	n = pp_scan_name(c);
	if (!n || (name + n < c->end && !PP_IS(name[n], PP_C_BLANK)))
		return pp_fail(p, c, ERR_INVAL, "invalid metric name", e);
	c->p += n;
	if (!pp_is_current(p, name, n))
		pp_family_start(p, name, n);
	pp_skip_blank(c);
	if (help) {
		if (p->fam_help)
			return pp_fail(p, c, ERR_INVAL,
				       "second HELP line for this family", e);
		p->fam_help = true;
		return pp_help_text(p, c, e);
	}
	return pp_type_line(p, c, e);
}

static int pp_comment_line(struct pp_parser *p, struct pp_cur *c,
			   struct err *e)
{
	const char *w;
	size_t n;

	c->p++; /* '#' */
	pp_skip_blank(c);
	w = c->p;
	while (c->p < c->end && !PP_IS(*c->p, PP_C_BLANK))
		c->p++;
	n = (size_t)(c->p - w);
	if (str_eq_n(w, n, "HELP"))
		return pp_meta_line(p, c, true, e);
	if (str_eq_n(w, n, "TYPE"))
		return pp_meta_line(p, c, false, e);
	return 0; /* any other comment */
}

/* ---- sample lines ---- */

/* Label value after the opening quote; c->p ends after the closing one. */
static int pp_label_value(struct pp_parser *p, struct pp_cur *c,
			  struct pp_label *l, struct err *e)
{
	const char *s = c->p;
	const char *q = memchr(s, '"', (size_t)(c->end - s));
	const char *bs = q ? memchr(s, '\\', (size_t)(q - s)) : NULL;
	size_t start;

	if (!q) {
		c->p = s - 1; /* point at the opening quote */
		return pp_fail(p, c, ERR_INVAL, "label value not terminated", e);
	}
	if (!bs) { /* no escapes: point into the line */
		l->value = s;
		l->value_len = (size_t)(q - s);
		c->p = q + 1;
		return 0;
	}
	start = p->scratch.len;
	for (; c->p < c->end && *c->p != '"'; c->p++) {
		char ch = *c->p;
		if (ch == '\\') {
			if (++c->p == c->end)
				break;
			ch = *c->p == 'n' ? '\n' : *c->p;
			if (*c->p != 'n' && *c->p != '\\' && *c->p != '"')
				return pp_fail(p, c, ERR_INVAL,
					       "invalid escape sequence in "
					       "label value",
					       e);
		}
		p->scratch.p[p->scratch.len++] = ch; /* reserved: see pp_line */
	}
	if (c->p == c->end) {
		c->p = s - 1; /* point at the opening quote */
		return pp_fail(p, c, ERR_INVAL, "label value not terminated", e);
	}
	c->p++;
	l->value = p->scratch.p + start;
	l->value_len = p->scratch.len - start;
	return 0;
}

static int pp_label_dup(const struct pp_label *ls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ls[i].name_len == ls[n].name_len &&
		    memcmp(ls[i].name, ls[n].name, ls[n].name_len) == 0)
			return 1;
	return 0;
}

/* One `name="value"`; c->p is at the name. */
static int pp_label(struct pp_parser *p, struct pp_cur *c, size_t i,
		    struct err *e)
{
	struct pp_label *l = &p->labels[i];
	const char *n = c->p;

	if (i >= p->lim.max_labels)
		return pp_fail(p, c, ERR_LIMIT, "too many labels", e);
	if (c->p == c->end || !PP_IS(*c->p, PP_C_LNAME0))
		return pp_fail(p, c, ERR_INVAL, "invalid label name", e);
	for (c->p++; c->p < c->end && PP_IS(*c->p, PP_C_LNAME); c->p++)
		;
	l->name = n;
	l->name_len = (size_t)(c->p - n);
	if (pp_label_dup(p->labels, i)) {
		c->p = n;
		return pp_fail(p, c, ERR_INVAL, "duplicate label name", e);
	}
	pp_skip_blank(c);
	if (c->p == c->end || *c->p != '=')
		return pp_fail(p, c, ERR_INVAL, "expected '=' after label name",
			       e);
	c->p++;
	pp_skip_blank(c);
	if (c->p == c->end || *c->p != '"')
		return pp_fail(p, c, ERR_INVAL, "expected '\"' to start label "
			       "value", e);
	c->p++;
	return pp_label_value(p, c, l, e);
}

/* "{...}" with c->p at '{'; sets *n to the label count. */
static int pp_labels(struct pp_parser *p, struct pp_cur *c, size_t *n,
		     struct err *e)
{
	int rc;

	*n = 0;
	c->p++;
	for (;;) {
		pp_skip_blank(c);
		if (c->p < c->end && *c->p == '}')
			break;
		rc = pp_label(p, c, *n, e);
		if (rc)
			return rc;
		(*n)++;
		pp_skip_blank(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}')
			break;
		return pp_fail(p, c, ERR_INVAL, "expected ',' or '}' after "
			       "label value", e);
	}
	c->p++;
	return 0;
}

/* Value and optional timestamp, then the end of the line. */
static int pp_value(struct pp_parser *p, struct pp_cur *c,
		    struct pp_sample *s, struct err *e)
{
	const char *v;

	pp_skip_blank(c);
	v = c->p;
	while (c->p < c->end && !PP_IS(*c->p, PP_C_BLANK))
		c->p++;
	if (c->p == v)
		return pp_fail(p, c, ERR_INVAL, "expected a value", e);
	if (pp_parse_double(v, (size_t)(c->p - v), &s->value)) {
		c->p = v;
		return pp_fail(p, c, ERR_INVAL, "invalid number", e);
	}
	pp_skip_blank(c);
	if (c->p == c->end)
		return 0;
	v = c->p;
	while (c->p < c->end && !PP_IS(*c->p, PP_C_BLANK))
		c->p++;
	if (str_parse_i64(v, (size_t)(c->p - v), &s->timestamp_ms, NULL)) {
		c->p = v;
		return pp_fail(p, c, ERR_INVAL, "invalid timestamp", e);
	}
	s->has_timestamp = true;
	pp_skip_blank(c);
	if (c->p != c->end)
		return pp_fail(p, c, ERR_INVAL, "unexpected text after "
			       "timestamp", e);
	return 0;
}

static int pp_sample_line(struct pp_parser *p, struct pp_cur *c,
			  struct err *e)
{
	struct pp_sample s;
	size_t n = pp_scan_name(c);
	int rc;

	if (!n || (c->p + n < c->end && *(c->p + n) != '{' &&
		   !PP_IS(c->p[n], PP_C_BLANK)))
		return pp_fail(p, c, ERR_INVAL, "invalid metric name", e);
	if (!pp_in_family(p, c->p, n))
		pp_family_start(p, c->p, n);
	p->fam_samples++;
	p->st.samples++;
	if (!p->fam_want)
		return 0;
	memset(&s, 0, sizeof(s));
	s.name = c->p;
	s.name_len = n;
	c->p += n;
	pp_skip_blank(c);
	if (c->p < c->end && *c->p == '{') {
		rc = pp_labels(p, c, &s.nlabels, e);
		if (rc)
			return rc;
	}
	rc = pp_value(p, c, &s, e);
	if (rc)
		return rc;
	if (p->st.kept >= p->lim.max_samples)
		return err_set_at(e, ERR_LIMIT, p->st.lines + 1, 1,
				  "more than %zu samples", p->lim.max_samples);
	s.family = p->fam.p;
	s.family_len = p->fam.len;
	s.type = p->fam_type;
	s.family_id = p->fam_id;
	s.labels = p->labels;
	s.line = p->st.lines + 1;
	p->st.kept++;
	return p->fn ? p->fn(p->ud, &s, e) : 0;
}

/* One line without its newline. */
static int pp_line(struct pp_parser *p, const char *s, size_t n,
		   struct err *e)
{
	struct pp_cur c = { s, s, s + n };
	int rc;

	if (n && s[n - 1] == '\r')
		c.end--;
	pp_skip_blank(&c);
	if (c.p == c.end)
		rc = 0;
	else if (*c.p == '#')
		rc = pp_comment_line(p, &c, e);
	else {
		buf_reset(&p->scratch); /* values unescape into <= n bytes */
		rc = buf_reserve(&p->scratch, n);
		if (rc)
			return err_set(e, rc, "out of memory");
		rc = pp_sample_line(p, &c, e);
	}
	p->st.lines++;
	return rc;
}

/* ---- driving ---- */

struct pp_parser *pp_new(const struct pp_limits *limits,
			 const struct pp_filter *filter, pp_sample_fn fn,
			 void *ud)
{
	struct pp_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->lim = limits ? *limits : pp_default_limits;
	if (p->lim.max_labels == 0)
		p->lim.max_labels = 1;
	p->labels = calloc(p->lim.max_labels, sizeof(*p->labels));
	if (!p->labels) {
		free(p);
		return NULL;
	}
	p->filter = filter;
	p->fn = fn;
	p->ud = ud;
	buf_init(&p->carry, p->lim.max_line + 1); /* +1: a trailing \r */
	buf_init(&p->scratch, p->lim.max_line + 1);
	buf_init(&p->fam, p->lim.max_line + 1);
	pp_reset(p);
	return p;
}

void pp_reset(struct pp_parser *p)
{
	buf_reset(&p->carry);
	buf_reset(&p->fam);
	p->fam_type = PP_UNTYPED;
	p->fam_id = -1;
	p->fam_want = !p->filter;
	p->fam_help = p->fam_typed = false;
	p->fam_samples = 0;
	memset(&p->st, 0, sizeof(p->st));
	p->failed = 0;
	err_clear(&p->saved);
}

void pp_free(struct pp_parser *p)
{
	if (!p)
		return;
	buf_release(&p->carry);
	buf_release(&p->scratch);
	buf_release(&p->fam);
	free(p->labels);
	free(p);
}

const struct pp_stats *pp_get_stats(const struct pp_parser *p)
{
	return &p->st;
}

static int pp_stop(struct pp_parser *p, int rc, struct err *e)
{
	struct err tmp;

	if (!e) {
		err_clear(&tmp);
		e = &tmp;
	}
	if (e->code == ERR_OK) /* callback failed without a message; its */
		err_set_at(e, rc, p->st.lines, 0, /* line is counted */
			   "stopped by caller (%d)", rc);
	p->failed = rc;
	p->saved = *e;
	return rc;
}

/* A line of n bytes (without \n) is within max_line, not counting a \r. */
static bool pp_line_fits(const struct pp_parser *p, const char *s, size_t n)
{
	return n - (n && s[n - 1] == '\r') <= p->lim.max_line;
}

static int pp_line_too_long(struct pp_parser *p, struct err *e)
{
	return pp_stop(p, err_set_at(e, ERR_LIMIT, p->st.lines + 1,
				     p->lim.max_line + 1,
				     "line longer than %zu bytes",
				     p->lim.max_line),
		       e);
}

/* The carried partial line plus data up to the newline at nl. */
static int pp_finish_carry(struct pp_parser *p, const char *data, size_t n,
			   struct err *e)
{
	int rc;

	if (buf_add(&p->carry, data, n) ||
	    !pp_line_fits(p, p->carry.p, p->carry.len))
		return pp_line_too_long(p, e);
	rc = pp_line(p, p->carry.p, p->carry.len, e);
	buf_reset(&p->carry);
	return rc ? pp_stop(p, rc, e) : 0;
}

/* The lines of data (within the page limit), carrying a partial last one. */
static int pp_feed_lines(struct pp_parser *p, const char *data, size_t len,
			 struct err *e)
{
	const char *s = data, *end = data + len, *nl;
	int rc;

	if (p->carry.len && (nl = memchr(s, '\n', len))) {
		rc = pp_finish_carry(p, s, (size_t)(nl - s), e);
		if (rc)
			return rc;
		s = nl + 1;
	}
	while (!p->carry.len && s < end &&
	       (nl = memchr(s, '\n', (size_t)(end - s)))) {
		if (!pp_line_fits(p, s, (size_t)(nl - s)))
			return pp_line_too_long(p, e);
		rc = pp_line(p, s, (size_t)(nl - s), e);
		if (rc)
			return pp_stop(p, rc, e);
		s = nl + 1;
	}
	if (s < end && buf_add(&p->carry, s, (size_t)(end - s)))
		return pp_line_too_long(p, e);
	return 0;
}

int pp_feed(struct pp_parser *p, const char *data, size_t len,
	    struct err *e)
{
	size_t room = p->lim.max_page - p->st.bytes, take;
	struct err tmp;
	int rc;

	if (!e) { /* keep the message for the sticky error all the same */
		err_clear(&tmp);
		e = &tmp;
	}
	if (p->failed) {
		*e = p->saved;
		return p->failed;
	}
	if (len == 0)
		return 0;
	/* what lies within the page limit is parsed as usual, wherever the
	 * chunks are cut; the first byte past it is the error's position */
	take = len < room ? len : room;
	p->st.bytes += take;
	rc = pp_feed_lines(p, data, take, e);
	if (rc || take == len)
		return rc;
	return pp_stop(p, err_set_at(e, ERR_LIMIT, p->st.lines + 1,
				     p->carry.len + 1,
				     "page larger than %zu bytes",
				     p->lim.max_page),
		       e);
}

int pp_finish(struct pp_parser *p, struct err *e)
{
	struct err tmp;
	int rc;

	if (!e) {
		err_clear(&tmp);
		e = &tmp;
	}
	if (p->failed) {
		*e = p->saved;
		return p->failed;
	}
	if (!p->carry.len)
		return 0;
	if (!pp_line_fits(p, p->carry.p, p->carry.len))
		return pp_line_too_long(p, e);
	rc = pp_line(p, p->carry.p, p->carry.len, e);
	buf_reset(&p->carry);
	return rc ? pp_stop(p, rc, e) : 0;
}

int pp_parse(const char *data, size_t len, const struct pp_limits *limits,
	     const struct pp_filter *filter, pp_sample_fn fn, void *ud,
	     struct err *e)
{
	struct pp_parser *p = pp_new(limits, filter, fn, ud);
	int rc;

	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = pp_feed(p, data, len, e);
	if (!rc)
		rc = pp_finish(p, e);
	pp_free(p);
	return rc;
}

const char *pp_type_name(enum pp_type t)
{
	switch (t) {
	case PP_COUNTER: return "counter";
	case PP_GAUGE: return "gauge";
	case PP_SUMMARY: return "summary";
	case PP_HISTOGRAM: return "histogram";
	case PP_UNTYPED: break;
	}
	return "untyped";
}
