/*
 * dump.h - `flinkhpa-adapter --dump-scrape FILE`: print every sample the
 * scrape parser reads from a metrics page, in a canonical form, so people
 * (and tests) see exactly what the adapter sees.
 *
 * Output, one line per sample in page order:
 *     name{a="x",b="y"} value [timestamp]
 * labels sorted by name, values escaped as in the text format (\\ \" \n),
 * numbers with %.17g (NaN, +Inf, -Inf spelled so), then one summary line:
 *     # samples=N families=N lines=N bytes=N
 */
#ifndef FH_DUMP_H
#define FH_DUMP_H

#include <stdio.h>

#include "common/err.h"
#include "adapter/collect/promparse.h"

/* path "-" reads standard input.  On a parse error, e has line and column;
 * what was printed before the error stays printed. */
int dump_scrape(const char *path, FILE *out, const struct pp_limits *lim,
		struct err *e);

#endif
