/*
 * failthread.c - an LD_PRELOAD shim for tests: the Nth call to
 * pthread_create in the process (N from FH_FAIL_THREAD, counted from 1;
 * unset or 0: none) fails with EAGAIN, as it does when the process or the
 * user has reached its thread limit.  Every other call goes to the real
 * pthread_create.
 *
 * On stderr (the program's log), one line when it makes a call fail:
 *   failthread: pthread_create call N fails with EAGAIN
 * and, at exit, the threads the process started and did not join nor
 * detach (still running, or finished and never joined):
 *   failthread: exit: C created, J joined, D detached, L left
 * so that a test can tell whether the failure was hit, and whether the
 * program stopped every thread it had started before it exited.
 *
 * Built by the Makefile as FH_TOOLBIN/failthread.so (tests/blackbox/
 * thread_start.sh uses it).  Not a sanitizer build: under ASan, run with
 * ASAN_OPTIONS=verify_asan_link_order=0 (the shim comes before libasan).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
			 void *(*)(void *), void *);
typedef int (*join_fn)(pthread_t, void **);
typedef int (*detach_fn)(pthread_t);

static atomic_long ft_calls, ft_created, ft_joined, ft_detached;

/* write(2) only: no stdio locks inside pthread_create's callers. */
static void ft_say(const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0) {
		ssize_t w = write(2, msg, n);

		if (w <= 0)
			return;
		msg += w;
		n -= (size_t)w;
	}
}

static long ft_target(void)
{
	const char *v = getenv("FH_FAIL_THREAD");

	return v ? strtol(v, NULL, 10) : 0;
}

int pthread_create(pthread_t *t, const pthread_attr_t *attr,
		   void *(*fn)(void *), void *arg)
{
	create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
	long n = atomic_fetch_add(&ft_calls, 1) + 1;
	int detached = PTHREAD_CREATE_JOINABLE;
	int rc;

	if (n == ft_target()) {
		char msg[96];

		snprintf(msg, sizeof(msg), "failthread: pthread_create call "
			 "%ld fails with EAGAIN\n", n);
		ft_say(msg);
		return EAGAIN;
	}
	if (!real)
		return ENOSYS;
	rc = real(t, attr, fn, arg);
	if (rc == 0) {
		if (attr)
			pthread_attr_getdetachstate(attr, &detached);
		atomic_fetch_add(detached == PTHREAD_CREATE_DETACHED
					 ? &ft_detached : &ft_created, 1);
		if (detached == PTHREAD_CREATE_DETACHED)
			atomic_fetch_add(&ft_created, 1);
	}
	return rc;
}

int pthread_join(pthread_t t, void **ret)
{
	join_fn real = (join_fn)dlsym(RTLD_NEXT, "pthread_join");
	int rc = real ? real(t, ret) : ENOSYS;

	if (rc == 0)
		atomic_fetch_add(&ft_joined, 1);
	return rc;
}

int pthread_detach(pthread_t t)
{
	detach_fn real = (detach_fn)dlsym(RTLD_NEXT, "pthread_detach");
	int rc = real ? real(t) : ENOSYS;

	if (rc == 0)
		atomic_fetch_add(&ft_detached, 1);
	return rc;
}

__attribute__((destructor)) static void ft_report(void)
{
	long c = atomic_load(&ft_created), j = atomic_load(&ft_joined);
	long d = atomic_load(&ft_detached);
	char msg[128];

	snprintf(msg, sizeof(msg), "failthread: exit: %ld created, %ld joined, "
		 "%ld detached, %ld left\n", c, j, d, c - j - d);
	ft_say(msg);
}
