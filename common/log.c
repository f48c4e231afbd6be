/*
 * log.c - klog-format line writer (see log.h).
 */
#include "common/log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int log_verbosity = 0;
static FILE *log_file;

void log_set_verbosity(int v)
{
	log_verbosity = v;
}

void log_set_file(FILE *f)
{
	log_file = f;
}

void log_write(char sev, const char *file, int line, const char *fmt, ...)
{
	char out[2048];
	struct timespec ts;
	struct tm tm;
	const char *base = strrchr(file, '/');
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(out, sizeof(out), "%c%02d%02d %02d:%02d:%02d.%06ld %7d %s:%d] ",
		     sev, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000, (int)getpid(),
		     base ? base + 1 : file, line);
	if (n < 0 || (size_t)n >= sizeof(out) - 2)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(out + n, sizeof(out) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(out);
	out[n++] = '\n';
	fwrite(out, 1, (size_t)n, log_file ? log_file : stderr);
}
