/*
 * httpd.h - the adapter's HTTPS server (libmicrohttpd with GnuTLS): a pool
 * of threads answering from memory through api_handle.  TLS 1.2 or later;
 * client certificates are requested, not required (probes come without
 * one).  --insecure-demo serves plain HTTP instead.
 *
 * Slow clients, as kube-apiserver's Go server treats them: a connection
 * must complete its TLS handshake and request headers within the header
 * deadline (ReadHeaderTimeout, 32 s), and a kept-alive connection must
 * send its next request line within 90 s (IdleTimeout), whatever it
 * trickles in the meantime; beyond that, connections from one address are
 * capped so one client cannot take them all.
 */
#ifndef FH_HTTPD_H
#define FH_HTTPD_H

#include <stdbool.h>

#include "common/err.h"
#include "adapter/serve/api.h"
#include "adapter/auth/authn.h"
#include "adapter/auth/authz.h"
#include "adapter/serve/selfmetrics.h"

struct httpd_opts {
	const char *bind;   /* address, NULL: all */
	int port;           /* 0: any free port (see httpd_port) */
	bool tls;
	const char *cert_pem; /* TLS: serving certificate chain, PEM text */
	const char *key_pem;  /* TLS: its private key, PEM text */
	unsigned threads;     /* worker threads */
	unsigned max_conns;   /* connection limit; an 8th of it per address */
	const char *trust_pem; /* TLS: CAs whose client certificates are
				* requested (not required); NULL: none */
	struct authn *authn;  /* NULL (with authz NULL): no authentication */
	struct authz *authz;  /* NULL: everything allowed (demo only) */
};

struct httpd;

/* ctx and metrics are borrowed and must outlive the server. */
struct httpd *httpd_start(const struct httpd_opts *o,
			  const struct api_ctx *ctx, struct selfmetrics *sm,
			  struct err *e);
int httpd_port(const struct httpd *h);

/* Serve with a new trust list (the CAs whose client certificates are
 * requested): the listening socket passes to a new libmicrohttpd daemon
 * without a gap; the old one finishes its connections and is stopped with
 * the server. */
int httpd_set_trust(struct httpd *h, const char *trust_pem, struct err *e);

/* The same for a new serving certificate and key (PEM). */
int httpd_set_cert(struct httpd *h, const char *cert_pem, const char *key_pem,
		   struct err *e);
void httpd_stop(struct httpd *h); /* accepts NULL */

#endif
