/*
 * httpd.c - libmicrohttpd front end of the API (see httpd.h).
 *
 * MHD runs its own thread pool; each request is answered in one call of
 * the access handler from the store in memory (api_handle never blocks).
 * Request bodies are not accepted (the API is GET only): any upload is
 * discarded and answered with 405.
 *
 * With authentication on, the caller is identified from its TLS client
 * certificate and headers (authn), and the request authorized (authz):
 * when the answer is not cached, the connection is suspended while the
 * review thread asks kube-apiserver, and resumed when the answer is in.
 * A request api_handle leaves to the delegate is parked the same way while
 * the delegate's thread forwards it (httpd_forward).
 *
 * Slow clients (see httpd.h): libmicrohttpd's own timeout is one of
 * inactivity, which every trickled byte resets, so the connections are
 * tracked from its notifications and a reaper thread shuts down those past
 * the header or idle deadline; the cap per address is libmicrohttpd's.
 * Its URI callback also sees the raw request line, before a %00 in it is
 * decoded into a NUL that would cut the path short: such a request is 400.
 */
#include "adapter/serve/httpd.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/str.h"

#define HTTPD_MAX_RETIRED 32
#define HTTPD_HEADER_TIMEOUT_S 32 /* kube-apiserver's ReadHeaderTimeout */
#define HTTPD_IDLE_TIMEOUT_S 90   /* and its IdleTimeout */

/* One TCP connection, for the deadlines (see httpd.h). */
enum hconn_phase {
	HC_HEADERS, /* handshake, request line, headers: header deadline */
	HC_BUSY,    /* a request is being answered (or parked): no deadline */
	HC_IDLE,    /* kept alive between requests: idle deadline */
	HC_CLOSING, /* shut down by the reaper, not yet closed by MHD */
};

struct hconn {
	MHD_socket fd;
	enum hconn_phase phase;
	int64_t since_ms; /* the phase began */
	struct hconn *prev, *next;
};

struct httpd {
	struct MHD_Daemon *d;
	struct MHD_Daemon *retired[HTTPD_MAX_RETIRED]; /* after trust changes */
	size_t nretired;
	struct httpd_opts o;  /* as started; strings owned below */
	char *cert, *key, *trust, *bind;
	const struct api_ctx *ctx;
	struct selfmetrics *sm;
	struct authn *authn;
	struct authz *authz;
	struct delegate *delegate;
	bool tls;
	int port;
	/* the connections of every daemon (current and retired), for the
	 * reaper thread that enforces the deadlines */
	pthread_mutex_t cmu;
	pthread_cond_t ccv;
	struct hconn *conns;
	bool reaper_stop;
	bool reaper_running;
	pthread_t reaper;
	int64_t header_ms;
	int64_t idle_ms;
};

/* Per-request state, from the first call of the handler to completion. */
struct hreq {
	struct MHD_Connection *c;
	bool started;      /* the handler's first call is done */
	bool bad_uri;      /* %00 in the path or query */
	struct authn_user user;
	bool identified;
	bool certs_done;   /* certificates looked at */
	bool token_asked;  /* a TokenReview was requested */
	bool unauthorized; /* a token that does not authenticate */
	bool asked;   /* a review was requested */
	bool decided;
	bool allowed;
	char reason[256];
	struct delegate_call *call; /* forwarded to the delegate */
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void httpd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* While MHD_start_daemon runs, the starting thread keeps libmicrohttpd's
 * last message here, for the error if the start fails (a socket that
 * cannot bind, a thread that cannot start); thread-local, so the
 * daemon's own threads never write to it. */
static _Thread_local char *httpd_start_msg;

static void httpd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (httpd_start_msg)
		snprintf(httpd_start_msg, 256, "%.255s", msg);
	log_v(2, "libmicrohttpd: %s", msg);
}

/* ---- slow clients: the header and idle deadlines ---- */

static struct hconn *hconn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* A connection enters a phase (hc NULL: not tracked, out of memory); the
 * phase it is in already keeps its start. */
static void hconn_set(struct httpd *h, struct hconn *hc, enum hconn_phase to)
{
	if (!hc)
		return;
	pthread_mutex_lock(&h->cmu);
	if (hc->phase != HC_CLOSING && hc->phase != to) {
		hc->phase = to;
		hc->since_ms = mono_us() / 1000;
	}
	pthread_mutex_unlock(&h->cmu);
}

static void httpd_notify(void *cls, struct MHD_Connection *c, void **ctx,
			 enum MHD_ConnectionNotificationCode code)
{
	struct httpd *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct hconn *hc = *ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(hc = calloc(1, sizeof(*hc))))
			return; /* not tracked: MHD's idle timeout still holds */
		hc->fd = ci->connect_fd;
		hc->phase = HC_HEADERS;
		hc->since_ms = mono_us() / 1000;
		pthread_mutex_lock(&h->cmu);
		hc->next = h->conns;
		if (h->conns)
			h->conns->prev = hc;
		h->conns = hc;
		pthread_mutex_unlock(&h->cmu);
		*ctx = hc;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && hc) {
		/* MHD closes the socket after this: the reaper, holding the
		 * lock, never shuts down a reused descriptor */
		pthread_mutex_lock(&h->cmu);
		if (hc->prev)
			hc->prev->next = hc->next;
		else
			h->conns = hc->next;
		if (hc->next)
			hc->next->prev = hc->prev;
		pthread_mutex_unlock(&h->cmu);
		free(hc);
		*ctx = NULL;
	}
}

/* Shut down every connection past its deadline; MHD then sees the end of
 * the stream and closes it.  Lock held. */
static void httpd_reap(struct httpd *h)
{
	int64_t now = mono_us() / 1000;
	unsigned n = 0;

	for (struct hconn *hc = h->conns; hc; hc = hc->next) {
		if (!(hc->phase == HC_HEADERS && now - hc->since_ms > h->header_ms) &&
		    !(hc->phase == HC_IDLE && now - hc->since_ms > h->idle_ms))
			continue;
		shutdown(hc->fd, SHUT_RDWR);
		hc->phase = HC_CLOSING;
		n++;
	}
	if (n)
		log_v(2, "closed %u connections past the header or idle deadline",
		      n);
}

static void httpd_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

static void *httpd_reaper(void *arg)
{
	struct httpd *h = arg;
	struct timespec until;

	pthread_mutex_lock(&h->cmu);
	while (!h->reaper_stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec++;
		pthread_cond_timedwait(&h->ccv, &h->cmu, &until);
		if (!h->reaper_stop)
			httpd_reap(h);
	}
	pthread_mutex_unlock(&h->cmu);
	return NULL;
}

/* The request line is in: a kept-alive connection starts its header
 * deadline now.  The raw URI is looked at before MHD decodes it: a %00
 * would cut the path or a parameter short. */
static void *httpd_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct hreq *r = calloc(1, sizeof(*r));

	hconn_set(cls, hconn_of(c), HC_HEADERS);
	if (r) {
		r->c = c;
		r->bad_uri = strstr(uri, "%00") != NULL;
	}
	return r;
}

static const char *arg(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

static const char *hdr(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, k);
}

/* Queue the answer; the body's memory passes to libmicrohttpd. */
static enum MHD_Result httpd_reply(struct MHD_Connection *c,
				   struct api_response *rs)
{
	size_t len = rs->body.len;
	char *body = buf_detach(&rs->body, NULL);
	struct MHD_Response *r = body ? MHD_create_response_from_buffer(
					       len, body, MHD_RESPMEM_MUST_FREE)
				      : NULL;
	const char *audit = hdr(c, "Audit-Id");
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				rs->content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-cache, private");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (audit)
		MHD_add_response_header(r, "Audit-Id", audit);
	ret = MHD_queue_response(c, (unsigned)rs->code, r);
	MHD_destroy_response(r);
	return ret;
}

/* A request that cannot be read, answered as Go's net/http answers one:
 * 400, plain text, and the connection closed. */
static enum MHD_Result httpd_bad_request(struct MHD_Connection *c,
					 const char *why)
{
	char msg[256];
	size_t n = (size_t)snprintf(msg, sizeof(msg), "400 Bad Request: %s", why);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		n < sizeof(msg) ? n : sizeof(msg) - 1, msg, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "text/plain; charset=utf-8") == MHD_NO ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION,
				    "close") == MHD_NO) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, MHD_HTTP_BAD_REQUEST, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- authentication and authorization ---- */

struct hdr_walk {
	authn_each_fn fn;
	void *ud;
};

static enum MHD_Result hdr_visit(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct hdr_walk *w = cls;

	(void)kind;
	if (key && value)
		w->fn(w->ud, key, value);
	return MHD_YES;
}

static void hdr_each(void *src, authn_each_fn fn, void *ud)
{
	struct hdr_walk w = { fn, ud };

	MHD_get_connection_values(src, MHD_HEADER_KIND, hdr_visit, &w);
}

static void arg_each(void *src, authn_each_fn fn, void *ud)
{
	struct hdr_walk w = { fn, ud };

	MHD_get_connection_values(src, MHD_GET_ARGUMENT_KIND, hdr_visit, &w);
}

static void httpd_resume(void *ud)
{
	struct hreq *r = ud;

	MHD_resume_connection(r->c);
}

static const char *httpd_bearer(struct MHD_Connection *c)
{
	const char *a = hdr(c, MHD_HTTP_HEADER_AUTHORIZATION);

	return a && strncasecmp(a, "Bearer ", 7) == 0 && a[7] ? a + 7 : NULL;
}

/* Certificates first, then a bearer token; false: suspended for a
 * TokenReview. */
static bool httpd_identify(struct httpd *h, struct hreq *r)
{
	const union MHD_ConnectionInfo *ci = NULL;
	struct authn_headers hs = { hdr_each, r->c };
	const char *token = httpd_bearer(r->c);
	struct authn_user tu;
	enum authz_decision d;

	if (!r->certs_done) {
		if (h->tls)
			ci = MHD_get_connection_info(
				r->c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		authn_identify(h->authn, ci ? ci->tls_session : NULL, &hs,
			       &r->user);
		r->certs_done = true;
	}
	if (r->user.anonymous && token) {
		d = authz_token_lookup(h->authz, token, &tu);
		if (d == AUTHZ_UNKNOWN && !r->token_asked) {
			r->token_asked = true;
			MHD_suspend_connection(r->c);
			if (authz_token_request(h->authz, token, httpd_resume,
						r) == 0)
				return false;
			MHD_resume_connection(r->c);
		}
		if (d == AUTHZ_ALLOW)
			r->user = tu;
		else
			r->unauthorized = true;
	}
	r->identified = true;
	return true;
}

/* true: decided (r->allowed says how); false: suspended, wait. */
static bool httpd_authorize(struct httpd *h, struct hreq *r,
			    const struct api_request *rq,
			    const struct authz_attrs *a)
{
	enum authz_decision d;

	if (!r->identified && !httpd_identify(h, r))
		return false;
	if (r->unauthorized) {
		r->decided = true;
		return true;
	}
	d = authz_lookup(h->authz, &r->user, a, r->reason, sizeof(r->reason));
	if (d == AUTHZ_UNKNOWN && !r->asked) {
		r->asked = true;
		MHD_suspend_connection(r->c);
		if (authz_request(h->authz, &r->user, a, httpd_resume, r) == 0)
			return false;
		MHD_resume_connection(r->c);
	}
	if (d == AUTHZ_UNKNOWN)
		str_lcpy(r->reason, "authorization is unavailable",
			 sizeof(r->reason));
	r->decided = true;
	r->allowed = d == AUTHZ_ALLOW;
	log_v(2, "%s %s: user \"%s\" (%s): %s", rq->method, rq->path,
	      r->user.name, r->user.how, r->allowed ? "allowed" : "denied");
	return true;
}

/* Park the request while the delegate answers it; false: it could not
 * be forwarded, rs has the 503. */
static bool httpd_forward(struct httpd *h, struct hreq *r,
			  const struct api_request *rq,
			  struct api_response *rs)
{
	struct delegate_req dr = { rs->forward, rq->path, arg_each, r->c,
				   rq->accept, rq->user_agent,
				   hdr(r->c, "Audit-Id"), &r->user };
	struct err e;

	err_clear(&e);
	MHD_suspend_connection(r->c);
	r->call = delegate_forward(h->delegate, &dr, httpd_resume, r, &e);
	if (r->call)
		return true;
	MHD_resume_connection(r->c);
	api_unavailable(rq, e.msg, rs);
	return false;
}

/* The delegate's answer as it is, or a 503 when there is none. */
static void httpd_forwarded(struct hreq *r, const struct api_request *rq,
			    struct api_response *rs)
{
	struct delegate_result dr;

	delegate_call_result(r->call, &dr);
	if (!dr.code) {
		api_unavailable(rq, dr.error, rs);
		return;
	}
	rs->code = (int)dr.code;
	rs->content_type = dr.content_type; /* lives as long as r->call */
	if (buf_add(&rs->body, dr.body, dr.len))
		api_unavailable(rq, "its answer is too large", rs);
}

static enum MHD_Result httpd_access(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version, const char *upload,
				    size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct hreq *r = *con_cls;
	struct api_request rq;
	struct api_response rs;
	struct authz_attrs a;
	int64_t t0;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	if (!r || !r->started) { /* headers only so far */
		if (!r && !(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		r->c = c;
		r->started = true;
		*con_cls = r;
		hconn_set(h, hconn_of(c), HC_BUSY);
		return MHD_YES;
	}
	if (*upload_size) { /* discard any body */
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->bad_uri)
		return httpd_bad_request(c, "invalid URI: %00 (NUL)");
	t0 = mono_us();
	rq = (struct api_request){ method, url, arg(c, "labelSelector"),
				   arg(c, "metricLabelSelector"),
				   arg(c, "fieldSelector"), arg(c, "pretty"),
				   hdr(c, MHD_HTTP_HEADER_ACCEPT),
				   hdr(c, MHD_HTTP_HEADER_USER_AGENT) };
	api_attrs(&rq, &a);
	if (h->authz && !r->decided && !httpd_authorize(h, r, &rq, &a))
		return MHD_YES; /* suspended until the review is in */
	rs.code = 500;
	rs.content_type = "text/plain";
	buf_init(&rs.body, 256 * 1024 * 1024);
	if (h->authz && r->unauthorized) {
		api_unauthorized(&rq, &rs);
	} else if (h->authz && !r->allowed) {
		char msg[1024];
		authz_forbidden_message(&r->user, &a, r->reason, msg, sizeof(msg));
		api_forbidden(&rq, &a, msg, &rs);
	} else if (r->call) {
		httpd_forwarded(r, &rq, &rs);
	} else {
		api_handle(h->ctx, &rq, &rs);
		if (rs.forward && h->delegate && httpd_forward(h, r, &rq, &rs)) {
			buf_release(&rs.body);
			return MHD_YES; /* parked until the delegate answers */
		}
	}
	ret = httpd_reply(c, &rs);
	buf_release(&rs.body);
	if (h->sm)
		selfmetrics_request(h->sm, rs.code, mono_us() - t0);
	return ret;
}

static void httpd_completed(void *cls, struct MHD_Connection *c,
			    void **con_cls, enum MHD_RequestTerminationCode t)
{
	(void)t;
	hconn_set(cls, hconn_of(c), HC_IDLE);
	if (*con_cls)
		delegate_call_free(((struct hreq *)*con_cls)->call);
	free(*con_cls);
	*con_cls = NULL;
}

/* Fill addr for bind:port; returns its length, 0 when bind is invalid. */
static socklen_t httpd_addr(const char *bind, int port,
			    struct sockaddr_storage *ss, bool *v6)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	*v6 = false;
	if (!bind || !*bind)
		bind = "0.0.0.0";
	if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*v6 = true;
		return sizeof(*a6);
	}
	return 0;
}

static unsigned httpd_per_ip(const struct httpd_opts *o)
{
	unsigned max = o->max_conns ? o->max_conns : 1024;

	return max / 8 ? max / 8 : 1;
}

/* A libmicrohttpd daemon for h's options; fd: a listening socket to take
 * over, or MHD_INVALID_SOCKET to bind one. */
static struct MHD_Daemon *httpd_daemon(struct httpd *h, MHD_socket fd,
				       struct err *e)
{
	const struct httpd_opts *o = &h->o;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	char why[256];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG | MHD_USE_ITC;
	bool v6;

	if (!httpd_addr(o->bind, o->port, &ss, &v6)) {
		err_set(e, ERR_INVAL, "invalid bind address: %s", o->bind);
		return NULL;
	}
	flags |= (v6 ? MHD_USE_IPv6 : 0) | (o->tls ? MHD_USE_TLS : 0) |
		 (o->authz || o->delegate ? MHD_ALLOW_SUSPEND_RESUME : 0);
	why[0] = '\0';
	httpd_start_msg = why;
	d = MHD_start_daemon(
		flags, (uint16_t)o->port, NULL, NULL, httpd_access, h,
		fd == MHD_INVALID_SOCKET ? MHD_OPTION_SOCK_ADDR
					 : MHD_OPTION_LISTEN_SOCKET,
		fd == MHD_INVALID_SOCKET ? (void *)&ss : (void *)(intptr_t)fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 2),
		MHD_OPTION_CONNECTION_LIMIT, o->max_conns ? o->max_conns : 1024,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, httpd_per_ip(o),
		MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, httpd_notify, h,
		MHD_OPTION_URI_LOG_CALLBACK, httpd_uri, h,
		/* without TLS the option list ends here */
		o->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, o->key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, o->cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES,
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		/* asking for client certificates needs a trust list */
		o->trust_pem && *o->trust_pem ? MHD_OPTION_HTTPS_MEM_TRUST
					      : MHD_OPTION_END, o->trust_pem,
		MHD_OPTION_END);
	httpd_start_msg = NULL;
	if (!d && why[0])
		err_set(e, ERR_IO, "cannot serve on %s:%d: %s",
			o->bind ? o->bind : "0.0.0.0", o->port, why);
	else if (!d)
		err_set(e, ERR_IO, "cannot listen on %s:%d%s",
			o->bind ? o->bind : "0.0.0.0", o->port,
			o->tls ? " (or the TLS key and certificate are unusable)"
			       : "");
	return d;
}

static void httpd_free(struct httpd *h)
{
	if (h->reaper_running) {
		pthread_mutex_lock(&h->cmu);
		h->reaper_stop = true;
		pthread_cond_signal(&h->ccv);
		pthread_mutex_unlock(&h->cmu);
		pthread_join(h->reaper, NULL);
	}
	pthread_cond_destroy(&h->ccv);
	pthread_mutex_destroy(&h->cmu);
	free(h->cert);
	free(h->key);
	free(h->trust);
	free(h->bind);
	free(h);
}

struct httpd *httpd_start(const struct httpd_opts *o,
			  const struct api_ctx *ctx, struct selfmetrics *sm,
			  struct err *e)
{
	struct httpd *h = calloc(1, sizeof(*h));

	if (!h) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	h->o = *o;
	h->o.cert_pem = h->cert = str_dup(o->cert_pem);
	h->o.key_pem = h->key = str_dup(o->key_pem);
	h->o.trust_pem = h->trust = str_dup(o->trust_pem);
	h->o.bind = h->bind = str_dup(o->bind);
	h->ctx = ctx;
	h->sm = sm;
	h->authn = o->authn;
	h->authz = o->authz;
	h->delegate = o->delegate;
	h->tls = o->tls;
	h->header_ms = 1000 * (int64_t)HTTPD_HEADER_TIMEOUT_S;
	h->idle_ms = 1000 * (int64_t)HTTPD_IDLE_TIMEOUT_S;
	pthread_mutex_init(&h->cmu, NULL);
	httpd_cond_init(&h->ccv);
	h->d = httpd_daemon(h, MHD_INVALID_SOCKET, e);
	if (!h->d) {
		httpd_free(h);
		return NULL;
	}
	h->port = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	h->o.port = h->port;
	if (pthread_create(&h->reaper, NULL, httpd_reaper, h)) {
		err_set(e, ERR_IO, "cannot start the connection reaper thread");
		MHD_stop_daemon(h->d);
		httpd_free(h);
		return NULL;
	}
	h->reaper_running = true;
	return h;
}

/* Hand the listening socket to a new daemon with h->o as it is now.  On
 * failure *fd is the quiesced socket (or MHD_INVALID_SOCKET when the old
 * daemon still accepts): see httpd_rollback. */
static int httpd_handover(struct httpd *h, MHD_socket *fd, struct err *e)
{
	struct MHD_Daemon *d;

	*fd = MHD_INVALID_SOCKET;
	if (h->nretired == HTTPD_MAX_RETIRED)
		return err_set(e, ERR_LIMIT, "too many certificate changes");
	*fd = MHD_quiesce_daemon(h->d); /* stops accepting, keeps the socket */
	if (*fd == MHD_INVALID_SOCKET)
		return err_set(e, ERR_STATE, "cannot hand over the socket");
	d = httpd_daemon(h, *fd, e);
	if (!d)
		return e ? e->code : ERR_IO;
	h->retired[h->nretired++] = h->d;
	h->d = d;
	return 0;
}

/* After a failed handover, with h->o restored: serve the socket again. */
static void httpd_rollback(struct httpd *h, MHD_socket fd)
{
	struct MHD_Daemon *d;

	if (fd == MHD_INVALID_SOCKET)
		return;
	d = httpd_daemon(h, fd, NULL);
	if (!d) {
		log_error("the listening socket could not be served again");
		return;
	}
	h->retired[h->nretired++] = h->d;
	h->d = d;
}

int httpd_set_trust(struct httpd *h, const char *trust_pem, struct err *e)
{
	char *trust = str_dup(trust_pem), *old = h->trust;
	MHD_socket fd;
	int rc;

	if (!trust)
		return err_set(e, ERR_NOMEM, "out of memory");
	h->o.trust_pem = h->trust = trust;
	rc = httpd_handover(h, &fd, e);
	if (rc) {
		h->o.trust_pem = h->trust = old;
		free(trust);
		httpd_rollback(h, fd);
		return rc;
	}
	free(old);
	return 0;
}

int httpd_set_cert(struct httpd *h, const char *cert_pem, const char *key_pem,
		   struct err *e)
{
	char *cert = str_dup(cert_pem), *key = str_dup(key_pem);
	char *old_cert = h->cert, *old_key = h->key;
	MHD_socket fd;
	int rc;

	if (!cert || !key) {
		free(cert);
		free(key);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	h->o.cert_pem = h->cert = cert;
	h->o.key_pem = h->key = key;
	rc = httpd_handover(h, &fd, e);
	if (rc) {
		h->o.cert_pem = h->cert = old_cert;
		h->o.key_pem = h->key = old_key;
		free(cert);
		free(key);
		httpd_rollback(h, fd);
		return rc;
	}
	free(old_cert);
	free(old_key);
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* connections closed: the list empties */
	for (size_t i = 0; i < h->nretired; i++)
		MHD_stop_daemon(h->retired[i]);
	httpd_free(h);
}
