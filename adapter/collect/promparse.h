/*
 * promparse.h - streaming parser for the Prometheus text exposition format
 * 0.0.4, as Flink's PrometheusReporter (the Java simpleclient) writes it.
 *
 * Feed a page in chunks of any size as they arrive (pp_feed), then call
 * pp_finish.  For every sample of a wanted family the parser calls the
 * sample callback with pointers into its own buffers; they are valid only
 * during the call.  Nothing is copied for samples that are not wanted: the
 * caller passes a filter naming the families it keeps (Flink pages are
 * mostly series the adapter ignores), and other lines are skipped after
 * their metric name is read.
 *
 * What is accepted: "# HELP name text" and "# TYPE name type" lines, other
 * "#" comments, blank lines, samples "name{label="value",...} value
 * [timestamp]" with blanks or tabs between tokens, a trailing comma before
 * "}", the label value escapes \\ \" \n, Java doubles (1.0E-4, 5.5132808E7),
 * NaN, +Inf, -Inf (any case, as Go's expfmt accepts), CRLF line ends and a
 * last line without a newline.  Lines of a kept family are checked fully;
 * any error stops the parse with its line and 1-based column in struct err.
 * Lines of a skipped family are checked for length and metric name only.
 *
 * Limits (struct pp_limits) bound the line length, the labels per sample,
 * the page size and the samples kept; passing one is ERR_LIMIT with the
 * position.  No input can make the parser read outside what it was given.
 */
#ifndef FH_PROMPARSE_H
#define FH_PROMPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum pp_type {
	PP_UNTYPED,
	PP_COUNTER,
	PP_GAUGE,
	PP_SUMMARY,
	PP_HISTOGRAM,
};

struct pp_label {
	const char *name;
	size_t name_len;
	const char *value; /* unescaped */
	size_t value_len;
};

struct pp_sample {
	const char *name; /* series name as written: x, x_count, x_sum */
	size_t name_len;
	const char *family; /* family it belongs to: x */
	size_t family_len;
	enum pp_type type;  /* from the family's # TYPE, else PP_UNTYPED */
	int family_id;      /* the id given to pp_filter_add; -1 unfiltered */
	const struct pp_label *labels; /* in page order */
	size_t nlabels;
	double value;
	bool has_timestamp;
	int64_t timestamp_ms;
	unsigned long line;
};

/* Return 0 to go on; anything else stops the parse and is returned by
 * pp_feed/pp_finish (set e to say why). */
typedef int (*pp_sample_fn)(void *ud, const struct pp_sample *s,
			    struct err *e);

struct pp_limits {
	size_t max_line;    /* bytes in one line, without the newline */
	size_t max_labels;  /* labels in one sample */
	size_t max_page;    /* bytes in the page */
	size_t max_samples; /* samples passed to the callback */
};

/* 64 KiB lines, 64 labels, 64 MiB page, 1,000,000 samples. */
extern const struct pp_limits pp_default_limits;

/* ---- family filter: a set of family names, each with a caller's id ---- */

struct pp_filter;

struct pp_filter *pp_filter_new(void);
/* ERR_EXISTS if name is already in, ERR_NOMEM. */
int pp_filter_add(struct pp_filter *f, const char *name, int id);
/* Also match every family whose name starts with prefix and ends with
 * suffix (either may be ""), for families named after variable parts, such as
 * Flink's latency histograms.  Exact names win over patterns; patterns are
 * tried in the order added.  At most 16 patterns. */
int pp_filter_add_pattern(struct pp_filter *f, const char *prefix,
			  const char *suffix, int id);
/* The id, or -1 when absent. */
int pp_filter_lookup(const struct pp_filter *f, const char *name, size_t len);
size_t pp_filter_count(const struct pp_filter *f);
void pp_filter_free(struct pp_filter *f); /* accepts NULL */

/* ---- parser ---- */

struct pp_parser;

struct pp_stats {
	size_t bytes;        /* fed so far */
	unsigned long lines; /* complete lines seen */
	size_t samples;      /* sample lines seen, kept or not */
	size_t kept;         /* samples passed to the callback */
	size_t families;     /* # TYPE lines plus untyped families */
};

/* limits NULL: pp_default_limits.  filter NULL: keep every family.  The
 * filter is borrowed and must outlive the parser (it is only read, so one
 * filter may serve parsers on several threads). */
struct pp_parser *pp_new(const struct pp_limits *limits,
			 const struct pp_filter *filter, pp_sample_fn fn,
			 void *ud);
/* Parse what can be parsed of data; a partial last line is kept for the
 * next call.  After an error every later call returns the same error. */
int pp_feed(struct pp_parser *p, const char *data, size_t len, struct err *e);
/* End of page: parse the last line if it had no newline. */
int pp_finish(struct pp_parser *p, struct err *e);
/* Forget the page (and any error) to parse a new one; keeps memory. */
void pp_reset(struct pp_parser *p);
const struct pp_stats *pp_get_stats(const struct pp_parser *p);
void pp_free(struct pp_parser *p); /* accepts NULL */

/* Whole page in one buffer: pp_new, pp_feed, pp_finish, pp_free. */
int pp_parse(const char *data, size_t len, const struct pp_limits *limits,
	     const struct pp_filter *filter, pp_sample_fn fn, void *ud,
	     struct err *e);

/* Name of a type as in # TYPE lines ("gauge"). */
const char *pp_type_name(enum pp_type t);

#endif
