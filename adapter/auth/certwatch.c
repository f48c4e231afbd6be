/*
 * certwatch.c - the serving certificate reload thread (see certwatch.h).
 * It waits on a condition variable, so certwatch_stop ends it at once.
 */
#include "adapter/auth/certwatch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/str.h"

#define CW_MAX_FILE (1 << 20)
#define CW_SETTLE_MS 200 /* let the writer finish the second file */

struct certwatch {
	char *cert_file, *key_file;
	int64_t period_ms;
	certwatch_fn fn;
	void *ud;
	int64_t cert_mtime, key_mtime; /* as last loaded */
	pthread_mutex_t mu;            /* guards stop */
	pthread_cond_t cv;
	bool stop, running;
	pthread_t th;
};

static int64_t cw_mtime(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_mtim.tv_sec * 1000000000 +
					      st.st_mtim.tv_nsec
				    : -1;
}

struct certwatch *certwatch_new(const char *cert_file, const char *key_file,
				int64_t period_ms, certwatch_fn fn, void *ud,
				struct err *e)
{
	struct certwatch *w;

	if (!cert_file || !key_file || period_ms <= 0 || !fn) {
		err_set(e, ERR_INVAL, "certificate watch: two files, a period "
			"and a callback are needed");
		return NULL;
	}
	if (!(w = calloc(1, sizeof(*w))) ||
	    !(w->cert_file = str_dup(cert_file)) ||
	    !(w->key_file = str_dup(key_file))) {
		if (w)
			free(w->cert_file);
		free(w);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	w->period_ms = period_ms;
	w->fn = fn;
	w->ud = ud;
	w->cert_mtime = cw_mtime(cert_file);
	w->key_mtime = cw_mtime(key_file);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

/* Wait ms, or until stopped: true when stopped. */
static bool cw_wait(struct certwatch *w, int64_t ms)
{
	struct timespec ts = clock_deadline(ms);
	bool stop;

	pthread_mutex_lock(&w->mu);
	while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
		;
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

static int cw_reload(struct certwatch *w, struct err *e)
{
	struct buf cert = BUF_INIT(CW_MAX_FILE), key = BUF_INIT(CW_MAX_FILE);
	int rc;

	if (!(rc = buf_add_file(&cert, w->cert_file, e)) &&
	    !(rc = buf_add_file(&key, w->key_file, e)))
		rc = w->fn(w->ud, buf_str(&cert), buf_str(&key), e);
	buf_release(&cert);
	buf_release(&key);
	return rc;
}

int certwatch_check(struct certwatch *w, struct err *e)
{
	int64_t c = cw_mtime(w->cert_file), k = cw_mtime(w->key_file);
	int rc;

	if ((c == w->cert_mtime && k == w->key_mtime) || c < 0 || k < 0)
		return 0;
	w->cert_mtime = c; /* a failed reload is tried at the next change */
	w->key_mtime = k;
	if ((rc = cw_reload(w, e)))
		return rc;
	return 1;
}

static void *cw_main(void *arg)
{
	struct certwatch *w = arg;

	while (!cw_wait(w, w->period_ms)) {
		struct err e;
		int64_t c = cw_mtime(w->cert_file), k = cw_mtime(w->key_file);

		if ((c == w->cert_mtime && k == w->key_mtime) || c < 0 || k < 0)
			continue;
		if (cw_wait(w, CW_SETTLE_MS)) /* both written */
			break;
		err_clear(&e);
		switch (certwatch_check(w, &e)) {
		case 0:
			break;
		case 1:
			log_info("serving certificate reloaded from %s",
				 w->cert_file);
			break;
		default:
			log_error("serving certificate not reloaded, the old "
				  "one stays: %s", e.msg);
		}
	}
	return NULL;
}

int certwatch_start(struct certwatch *w, struct err *e)
{
	if (w->running)
		return err_set(e, ERR_STATE, "certificate watch already running");
	w->stop = false;
	if (pthread_create(&w->th, NULL, cw_main, w))
		return err_set(e, ERR_IO, "cannot start the certificate watch "
			       "thread");
	w->running = true;
	return 0;
}

void certwatch_stop(struct certwatch *w)
{
	if (!w || !w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	w->running = false;
}

void certwatch_free(struct certwatch *w)
{
	if (!w)
		return;
	certwatch_stop(w);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->cert_file);
	free(w->key_file);
	free(w);
}
