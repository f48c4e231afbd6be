/*
 * test_certwatch.c - the serving certificate reload (auth/certwatch.c):
 * nothing happens while the files stay as they were; a change of either
 * hands both files' new contents to the callback once; a refused reload
 * is reported and tried again only at the next change; the thread starts
 * once (a second start is ERR_STATE) and stops at once, not after its
 * period.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "adapter/auth/certwatch.h"

struct seen {
	int calls;
	char cert[64], key[64];
	int refuse; /* the callback's answer */
};

static int take(void *ud, const char *cert, const char *key, struct err *e)
{
	struct seen *s = ud;

	s->calls++;
	snprintf(s->cert, sizeof(s->cert), "%s", cert);
	snprintf(s->key, sizeof(s->key), "%s", key);
	return s->refuse ? err_set(e, ERR_INVAL, "refused") : 0;
}

/* Write text to path with modification time t (seconds). */
static void put(const char *path, const char *text, time_t t)
{
	FILE *f = fopen(path, "w");
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void check__reloads_on_change_only(void **state)
{
	char dir[] = "/tmp/test_certwatch.XXXXXX", cert[64], key[64];
	struct seen s = { 0 };
	struct certwatch *w;
	struct err e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/tls.crt", dir);
	snprintf(key, sizeof(key), "%s/tls.key", dir);
	put(cert, "cert 1", 1000);
	put(key, "key 1", 1000);
	w = certwatch_new(cert, key, 10000, take, &s, &e);
	assert_non_null(w);
	assert_int_equal(certwatch_check(w, &e), 0);
	assert_int_equal(s.calls, 0);
	put(cert, "cert 2", 2000); /* the key follows later */
	assert_int_equal(certwatch_check(w, &e), 1);
	assert_string_equal(s.cert, "cert 2");
	assert_string_equal(s.key, "key 1");
	assert_int_equal(certwatch_check(w, &e), 0);
	put(key, "key 2", 2000);
	s.refuse = 1;
	assert_true(certwatch_check(w, &e) < 0);
	assert_string_equal(e.msg, "refused");
	assert_int_equal(certwatch_check(w, &e), 0); /* not again */
	assert_int_equal(s.calls, 2);
	unlink(key); /* half written: wait for both */
	put(cert, "cert 3", 3000);
	assert_int_equal(certwatch_check(w, &e), 0);
	certwatch_free(w);
	unlink(cert);
	rmdir(dir);
	assert_null(certwatch_new(NULL, key, 1, take, &s, &e));
	assert_int_equal(e.code, ERR_INVAL);
}

static void thread__starts_once_stops_at_once(void **state)
{
	struct seen s = { 0 };
	struct certwatch *w = certwatch_new("/nonexistent.crt",
					    "/nonexistent.key", 3600 * 1000,
					    take, &s, NULL);
	struct err e;
	struct timespec t0, t1;

	(void)state;
	assert_non_null(w);
	assert_int_equal(certwatch_start(w, &e), 0);
	assert_int_equal(certwatch_start(w, &e), ERR_STATE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	certwatch_stop(w); /* its period is an hour */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 60);
	certwatch_stop(w);  /* stopped: nothing */
	certwatch_stop(NULL);
	assert_int_equal(certwatch_start(w, &e), 0); /* again */
	certwatch_free(w);   /* stops first */
	certwatch_free(NULL);
	assert_int_equal(s.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check__reloads_on_change_only),
		cmocka_unit_test(thread__starts_once_stops_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
