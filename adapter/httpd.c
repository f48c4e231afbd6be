/*
 * httpd.c - libmicrohttpd front end of the API (see httpd.h).
 *
 * MHD runs its own thread pool; each request is answered in one call of
 * the access handler from the store in memory (api_handle never blocks).
 * Request bodies are not accepted (the API is GET only): any upload is
 * discarded and answered with 405.
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../common/log.h"

struct httpd {
	struct MHD_Daemon *d;
	const struct api_ctx *ctx;
	struct selfmetrics *sm;
	int port;
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void httpd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void httpd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_v(2, "libmicrohttpd: %s", msg);
}

static const char *arg(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

static const char *hdr(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, k);
}

static enum MHD_Result httpd_reply(struct MHD_Connection *c,
				   const struct api_response *rs)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		rs->body.len, rs->body.p ? rs->body.p : (void *)"",
		MHD_RESPMEM_MUST_COPY);
	const char *audit = hdr(c, "Audit-Id");
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
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

static enum MHD_Result httpd_access(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version, const char *upload,
				    size_t *upload_size, void **con_cls)
{
	static int first_call_marker;
	struct httpd *h = cls;
	struct api_request rq;
	struct api_response rs;
	int64_t t0;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	if (!*con_cls) { /* headers only so far */
		*con_cls = &first_call_marker;
		return MHD_YES;
	}
	if (*upload_size) { /* discard any body */
		*upload_size = 0;
		return MHD_YES;
	}
	t0 = mono_us();
	rq = (struct api_request){ method, url, arg(c, "labelSelector"),
				   arg(c, "metricLabelSelector"),
				   arg(c, "fieldSelector"), arg(c, "pretty"),
				   hdr(c, MHD_HTTP_HEADER_ACCEPT),
				   hdr(c, MHD_HTTP_HEADER_USER_AGENT) };
	rs.code = 500;
	rs.content_type = "text/plain";
	buf_init(&rs.body, 256 * 1024 * 1024);
	api_handle(h->ctx, &rq, &rs);
	ret = httpd_reply(c, &rs);
	buf_release(&rs.body);
	if (h->sm)
		selfmetrics_request(h->sm, rs.code, mono_us() - t0);
	return ret;
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

struct httpd *httpd_start(const struct httpd_opts *o,
			  const struct api_ctx *ctx, struct selfmetrics *sm,
			  struct err *e)
{
	struct sockaddr_storage ss;
	struct httpd *h;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG;
	bool v6;

	if (!httpd_addr(o->bind, o->port, &ss, &v6)) {
		err_set(e, ERR_INVAL, "invalid bind address: %s", o->bind);
		return NULL;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (o->tls)
		flags |= MHD_USE_TLS;
	h = calloc(1, sizeof(*h));
	if (!h) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	h->ctx = ctx;
	h->sm = sm;
	h->d = MHD_start_daemon(
		flags, (uint16_t)o->port, NULL, NULL, httpd_access, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 2),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_conns ? o->max_conns : 1024),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
		/* without TLS the option list ends here */
		o->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, o->key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, o->cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES,
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_END);
	if (!h->d) {
		free(h);
		err_set(e, ERR_IO, "cannot listen on %s:%d%s",
			o->bind ? o->bind : "0.0.0.0", o->port,
			o->tls ? " (or the TLS key and certificate are unusable)"
			       : "");
		return NULL;
	}
	h->port = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	return h;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
