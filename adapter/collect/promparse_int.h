/*
 * promparse_int.h - internals of the Prometheus text parser shared by its
 * own files (promparse.c, promfilter.c).  Not for other modules.
 */
#ifndef FH_PROMPARSE_INT_H
#define FH_PROMPARSE_INT_H

#include "common/buf.h"
#include "adapter/collect/promparse.h"

/* Character classes of the text format. */
enum {
	PP_C_NAME0 = 1 << 0,  /* first char of a metric name [a-zA-Z_:] */
	PP_C_NAME = 1 << 1,   /* later chars [a-zA-Z0-9_:] */
	PP_C_LNAME0 = 1 << 2, /* first char of a label name [a-zA-Z_] */
	PP_C_LNAME = 1 << 3,  /* later chars [a-zA-Z0-9_] */
	PP_C_BLANK = 1 << 4,  /* space or tab */
};

extern const unsigned char pp_cls[256];

#define PP_IS(c, cls) (pp_cls[(unsigned char)(c)] & (cls))


/* A number as the text format writes it, the whole slice: Java/Go decimal
 * doubles and NaN/Inf spellings.  Correctly rounded (fast exact path, else
 * strtod).  ERR_INVAL when it is not a number. */
int pp_parse_double(const char *s, size_t n, double *out);

struct pp_parser {
	struct pp_limits lim;
	const struct pp_filter *filter;
	pp_sample_fn fn;
	void *ud;

	struct buf carry;   /* partial line between pp_feed calls */
	struct buf scratch; /* unescaped label values of the current line */
	struct buf fam;     /* name of the current family */
	struct pp_label *labels;

	enum pp_type fam_type;
	int fam_id;           /* filter id, -1 without filter */
	bool fam_want;        /* samples of this family are kept */
	bool fam_help;        /* the family had a # HELP line */
	bool fam_typed;       /* ... and a # TYPE line */
	size_t fam_samples;   /* samples seen in the family */

	struct pp_stats st;
	int failed;           /* sticky error code, 0 while fine */
	struct err saved;     /* its message */
};

#endif
