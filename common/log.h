/*
 * log.h - leveled logging to stderr in klog's line format, which Kubernetes
 * operators already read:  I1125 05:00:00.123456   4242 scrape.c:88] message
 *
 * Levels follow klog: errors and warnings always print; info is verbosity 0;
 * log_v(n, ...) prints when the -v verbosity is at least n.  The level test
 * happens before any formatting, so disabled debug lines cost one compare.
 * Lines are written with one call, so threads do not interleave within one.
 */
#ifndef FH_LOG_H
#define FH_LOG_H

#include <stdio.h>

enum log_sev { LOG_SEV_ERROR = 'E', LOG_SEV_WARN = 'W', LOG_SEV_INFO = 'I' };

extern int log_verbosity;

void log_set_verbosity(int v);
/* Where lines go (stderr by default).  Not thread-safe: call at start-up. */
void log_set_file(FILE *f);

void log_write(char sev, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_error(...) log_write(LOG_SEV_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) log_write(LOG_SEV_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...)                                                         \
	do {                                                                  \
		if (log_verbosity >= 0)                                       \
			log_write(LOG_SEV_INFO, __FILE__, __LINE__,           \
				  __VA_ARGS__);                               \
	} while (0)
#define log_v(n, ...)                                                         \
	do {                                                                  \
		if (log_verbosity >= (n))                                     \
			log_write(LOG_SEV_INFO, __FILE__, __LINE__,           \
				  __VA_ARGS__);                               \
	} while (0)

#endif
