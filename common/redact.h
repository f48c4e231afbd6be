/*
 * redact.h - URLs as they may be printed: the userinfo (user:password@)
 * replaced with "***", so that a password in a target's or a JobManager's
 * address never reaches a log line, an Event or an error message.
 */
#ifndef FH_REDACT_H
#define FH_REDACT_H

#include <stddef.h>

/* Room for the longest URL the adapter accepts (2,048 bytes) and more. */
#define REDACT_URL_MAX 2200

/* url with its userinfo replaced by three stars (the "u:p" of
 * http://u:p@jm/x, whose result is the same URL with "***" before the
 * "@"), into out (n bytes, truncated to fit and
 * always terminated); returns out, so that it can be an argument of a
 * printf-like call.  A URL without userinfo is copied as it is; NULL
 * gives "". */
const char *redact_url(const char *url, char *out, size_t n);

#endif
