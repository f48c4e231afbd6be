/*
 * http.c - the adapter's libcurl easy handle options (see http.h).
 */
#include "common/http.h"

#define HTTP_UA "flinkhpa-adapter/" FH_VERSION

/* One option; rc keeps the first failure. */
#define HTTP_SET(rc, h, opt, v) \
	do { \
		CURLcode c_ = curl_easy_setopt((h), (opt), (v)); \
		if (!(rc) && c_ != CURLE_OK) \
			(rc) = c_; \
	} while (0)

int http_setopts(CURL *h, const struct http_opts *o, struct err *e)
{
	CURLcode rc = CURLE_OK;

	HTTP_SET(rc, h, CURLOPT_URL, o->url);
	HTTP_SET(rc, h, CURLOPT_NOSIGNAL, 1L);
	HTTP_SET(rc, h, CURLOPT_USERAGENT, HTTP_UA);
	HTTP_SET(rc, h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->timeout_ms > 0)
		HTTP_SET(rc, h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (o->connect_ms > 0)
		HTTP_SET(rc, h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_ms);
	if (o->max_body > 0)
		HTTP_SET(rc, h, CURLOPT_MAXFILESIZE_LARGE, o->max_body);
	if (o->headers)
		HTTP_SET(rc, h, CURLOPT_HTTPHEADER, (struct curl_slist *)o->headers);
	if (o->write) {
		HTTP_SET(rc, h, CURLOPT_WRITEFUNCTION, o->write);
		HTTP_SET(rc, h, CURLOPT_WRITEDATA, o->ud);
	}
	HTTP_SET(rc, h, CURLOPT_PRIVATE, o->ud);
	if (rc == CURLE_OK)
		return 0;
	return err_set(e, rc == CURLE_OUT_OF_MEMORY ? ERR_NOMEM : ERR_INVAL,
		       "curl: %s", curl_easy_strerror(rc));
}

CURL *http_easy(const struct http_opts *o, struct err *e)
{
	CURL *h = curl_easy_init();

	if (!h) {
		err_set(e, ERR_NOMEM, "curl: cannot make a handle");
		return NULL;
	}
	if (http_setopts(h, o, e)) {
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}
