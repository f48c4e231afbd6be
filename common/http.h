/*
 * http.h - the options every libcurl easy handle of the adapter gets, in
 * one place: URL, no signals (threads), the timeouts, a cap on the body,
 * the user agent, http and https only, the headers and where the body
 * goes.  Options only: the transfers are the callers' (the scraper and the
 * JobManager poller drive curl multi handles, the Flink and Kubernetes
 * clients curl_easy_perform), and so are options only one of them needs
 * (TLS material, a connection share, a request body).
 */
#ifndef FH_HTTP_H
#define FH_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "common/err.h"

typedef size_t (*http_write_fn)(char *data, size_t size, size_t n, void *ud);

struct http_opts {
	const char *url;
	long timeout_ms;          /* whole transfer; 0: none */
	long connect_ms;          /* connecting; 0: curl's default */
	curl_off_t max_body;      /* bytes; 0: no cap */
	const struct curl_slist *headers; /* NULL: curl's */
	http_write_fn write;      /* NULL: curl's (stdout) */
	void *ud;                 /* CURLOPT_WRITEDATA and CURLOPT_PRIVATE */
};

/* Set them on h (a new handle, or one after curl_easy_reset): 0, or
 * ERR_NOMEM / ERR_INVAL naming the option curl refused. */
int http_setopts(CURL *h, const struct http_opts *o, struct err *e);

/* A new handle with them (NULL and e filled when curl cannot). */
CURL *http_easy(const struct http_opts *o, struct err *e);

#endif
