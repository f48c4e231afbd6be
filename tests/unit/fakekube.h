/*
 * fakekube.h - a stand-in for kube-apiserver in unit tests (included by
 * test_*.c, not built alone): an HTTP server on a free loopback port,
 * one thread per connection, whose answers come from the test's handler
 * (method, path, query, body -> status and JSON body).  A handler may
 * block (a review "in flight"): other connections are served meanwhile.
 * fk_start gives a kube_client (kube.h), f->k, pointed at it over plain
 * HTTP.
 *
 * Watches: a handler that returns FK_STREAM answers 200 with a body that
 * streams what the test pushes (fk_push: watch event lines) until the
 * test ends it (fk_end).  One stream is current: a new one supersedes the
 * one before (which the client has left), fk_wait_streams waits for the
 * n-th to start.  Push what the next watch is to get only once it has
 * started, or the stream before may take it.
 */
#ifndef FH_TEST_FAKEKUBE_H
#define FH_TEST_FAKEKUBE_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/kube/kube.h"
#include "common/buf.h"

#define FK_STREAM 1000 /* a handler's answer: 200, the pushed stream */

/* Fill out (JSON) and return the HTTP status, or FK_STREAM. */
typedef int (*fk_handler)(void *ud, const char *method, const char *path,
			  const char *query, const char *body,
			  struct buf *out);

struct fakekube {
	struct MHD_Daemon *d;
	int port;
	fk_handler h;
	void *ud;
	struct kube_config cfg;
	struct kube_client *k;
	char server[64];
	pthread_mutex_t smu; /* guards the stream fields below */
	pthread_cond_t scv;
	struct buf sq;      /* pushed, not yet sent */
	int ends;           /* fk_end calls not yet done */
	unsigned streams;   /* started so far; the current one's number */
	int stopping;
};

struct fk_reader {
	struct fakekube *f;
	unsigned n; /* which stream */
};

static ssize_t fk_stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct fk_reader *r = cls;
	struct fakekube *f = r->f;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&f->smu);
	for (;;) {
		if (f->stopping || r->n != f->streams) {
			n = MHD_CONTENT_READER_END_WITH_ERROR;
			break;
		}
		if (f->sq.len) {
			n = (ssize_t)(f->sq.len < max ? f->sq.len : max);
			memcpy(out, f->sq.p, (size_t)n);
			memmove(f->sq.p, f->sq.p + n, f->sq.len - (size_t)n);
			buf_truncate(&f->sq, f->sq.len - (size_t)n);
			break;
		}
		if (f->ends) {
			f->ends--;
			n = MHD_CONTENT_READER_END_OF_STREAM;
			break;
		}
		pthread_cond_wait(&f->scv, &f->smu);
	}
	pthread_mutex_unlock(&f->smu);
	return n;
}

/* A new current stream. */
static struct MHD_Response *fk_stream_response(struct fakekube *f)
{
	struct fk_reader *r = calloc(1, sizeof(*r));
	struct MHD_Response *resp;

	if (!r)
		return NULL;
	pthread_mutex_lock(&f->smu);
	r->f = f;
	r->n = ++f->streams;
	f->ends = 0;
	pthread_cond_broadcast(&f->scv);
	pthread_mutex_unlock(&f->smu);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
						 fk_stream_read, r, free);
	if (!resp)
		free(r);
	return resp;
}

/* Append to the current stream (or the next one, if none runs). */
static inline int fk_push(struct fakekube *f, const char *data)
{
	int rc;

	pthread_mutex_lock(&f->smu);
	rc = buf_adds(&f->sq, data);
	pthread_cond_broadcast(&f->scv);
	pthread_mutex_unlock(&f->smu);
	return rc;
}

/* End the current stream once what was pushed has been sent. */
static inline void fk_end(struct fakekube *f)
{
	pthread_mutex_lock(&f->smu);
	f->ends++;
	pthread_cond_broadcast(&f->scv);
	pthread_mutex_unlock(&f->smu);
}

/* Wait up to ms for the n-th stream to start; 0 when it did. */
static inline int fk_wait_streams(struct fakekube *f, unsigned n, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		unsigned have;

		pthread_mutex_lock(&f->smu);
		have = f->streams;
		pthread_mutex_unlock(&f->smu);
		if (have >= n)
			return 0;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return -1;
}

struct fk_conn {
	struct buf body;
};

static enum MHD_Result fk_query_arg(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *value)
{
	struct buf *q = cls;

	(void)kind;
	if (q->len && buf_adds(q, "&"))
		return MHD_NO;
	if (buf_adds(q, key) || (value && (buf_adds(q, "=") ||
					   buf_adds(q, value))))
		return MHD_NO;
	return MHD_YES;
}

static enum MHD_Result fk_serve(void *cls, struct MHD_Connection *c,
				const char *url, const char *method,
				const char *version, const char *upload,
				size_t *upload_size, void **con_cls)
{
	struct fakekube *f = cls;
	struct fk_conn *fc = *con_cls;
	struct buf out = BUF_INIT(1 << 20), q = BUF_INIT(8192);
	struct MHD_Response *r;
	enum MHD_Result ret;
	int status;

	(void)version;
	if (!fc) {
		fc = calloc(1, sizeof(*fc));
		if (!fc)
			return MHD_NO;
		buf_init(&fc->body, 1 << 20);
		*con_cls = fc;
		return MHD_YES;
	}
	if (*upload_size) {
		if (buf_add(&fc->body, upload, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, fk_query_arg, &q);
	status = f->h(f->ud, method, url, q.len ? q.p : "",
		      fc->body.len ? fc->body.p : "", &out);
	if (status == FK_STREAM) {
		r = fk_stream_response(f);
		status = 200;
	} else {
		r = MHD_create_response_from_buffer(out.len,
						    out.len ? out.p : "",
						    MHD_RESPMEM_MUST_COPY);
	}
	buf_release(&out);
	buf_release(&q);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fk_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct fk_conn *fc = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (fc) {
		buf_release(&fc->body);
		free(fc);
		*con_cls = NULL;
	}
}

/* Start on a free port; 0 or -1. */
static int fk_start(struct fakekube *f, fk_handler h, void *ud)
{
	const union MHD_DaemonInfo *di;
	struct err e;

	memset(f, 0, sizeof(*f));
	f->h = h;
	f->ud = ud;
	pthread_mutex_init(&f->smu, NULL);
	pthread_cond_init(&f->scv, NULL);
	buf_init(&f->sq, 64 << 20);
	f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
				MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				fk_serve, f, MHD_OPTION_NOTIFY_COMPLETED,
				fk_done, NULL, MHD_OPTION_SOCK_ADDR,
				(const struct sockaddr *)&(struct sockaddr_in){
					.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
				MHD_OPTION_END);
	if (!f->d)
		return -1;
	di = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	if (!di)
		return -1;
	f->port = di->port;
	snprintf(f->server, sizeof(f->server), "http://127.0.0.1:%d", f->port);
	f->cfg.server = f->server;
	buf_init(&f->cfg.ca, 1);
	buf_init(&f->cfg.cert, 1);
	buf_init(&f->cfg.key, 1);
	err_clear(&e);
	f->k = kube_client_new(&f->cfg, &e);
	return f->k ? 0 : -1;
}

static void fk_stop(struct fakekube *f)
{
	kube_client_free(f->k);
	pthread_mutex_lock(&f->smu);
	f->stopping = 1; /* the streams end */
	pthread_cond_broadcast(&f->scv);
	pthread_mutex_unlock(&f->smu);
	if (f->d)
		MHD_stop_daemon(f->d);
	f->k = NULL;
	f->d = NULL;
	buf_release(&f->sq);
	pthread_cond_destroy(&f->scv);
	pthread_mutex_destroy(&f->smu);
}

#endif
