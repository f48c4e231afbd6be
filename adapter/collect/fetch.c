/*
 * fetch.c - concurrent bounded HTTP GETs (see fetch.h).
 */
#include "adapter/collect/fetch.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/str.h"

struct fetcher {
	CURLM *multi;
	int64_t timeout_ms;
	size_t max_body;
};

struct fetcher *fetcher_new(int64_t timeout_ms, size_t max_body,
			    struct err *e)
{
	struct fetcher *f = calloc(1, sizeof(*f));

	if (!f) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	f->multi = curl_multi_init();
	if (!f->multi) {
		free(f);
		err_set(e, ERR_NOMEM, "curl_multi_init failed");
		return NULL;
	}
	f->timeout_ms = timeout_ms;
	f->max_body = max_body;
	return f;
}

void fetcher_free(struct fetcher *f)
{
	if (!f)
		return;
	curl_multi_cleanup(f->multi);
	free(f);
}

void fetcher_wakeup(struct fetcher *f)
{
	curl_multi_wakeup(f->multi);
}

int fetch_req_init(struct fetch_req *r, void *ud, const char *fmt, ...)
{
	va_list ap;
	int n;

	*r = (struct fetch_req){ .ud = ud };
	va_start(ap, fmt);
	n = vsnprintf(r->url, sizeof(r->url), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(r->url))
		return err_set(&r->err, ERR_LIMIT, "URL longer than %d bytes",
			       FETCH_URL_MAX - 1);
	return 0;
}

void fetch_req_release(struct fetch_req *r)
{
	buf_release(&r->body);
}

static size_t fetch_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct fetch_req *r = ud;
	size_t n = size * nmemb;

	if (buf_add(&r->body, data, n)) {
		err_set(&r->err, ERR_LIMIT, "answer larger than %zu bytes",
			r->body.max);
		return 0; /* aborts the transfer */
	}
	return n;
}

static CURL *fetch_easy(struct fetcher *f, struct fetch_req *r)
{
	CURL *c = curl_easy_init();
	long connect_ms = f->timeout_ms < 2000 ? (long)f->timeout_ms : 2000;

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "flinkhpa-adapter/" FH_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	return c;
}

/* Record how request r's transfer ended. */
static void fetch_done(struct fetch_req *r, CURL *c, CURLcode rc)
{
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (!r->body.p)
			buf_adds(&r->body, "");
	} else if (r->err.code == ERR_OK) {
		err_set(&r->err, ERR_IO, "%s", curl_easy_strerror(rc));
	}
}

static int fetch_add_all(struct fetcher *f, struct fetch_req *r, size_t n,
			 CURL **easy)
{
	for (size_t i = 0; i < n; i++) {
		buf_init(&r[i].body, f->max_body);
		r[i].status = 0;
		if (r[i].err.code != ERR_OK)
			continue; /* fetch_req_init failed */
		if (!(easy[i] = fetch_easy(f, &r[i])) ||
		    curl_multi_add_handle(f->multi, easy[i]) != CURLM_OK)
			err_set(&r[i].err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

static void fetch_drain(struct fetcher *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left))) {
		struct fetch_req *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &r);
		fetch_done(r, m->easy_handle, m->data.result);
	}
}

int fetcher_run(struct fetcher *f, struct fetch_req *r, size_t n,
		const atomic_bool *stop, struct err *e)
{
	CURL **easy = calloc(n ? n : 1, sizeof(*easy));
	CURLMcode mc = CURLM_OK;
	int running = 0;

	if (!easy)
		return err_set(e, ERR_NOMEM, "out of memory");
	fetch_add_all(f, r, n, easy);
	do {
		mc = curl_multi_perform(f->multi, &running);
		fetch_drain(f);
		if (running && mc == CURLM_OK)
			mc = curl_multi_poll(f->multi, NULL, 0, 1000, NULL);
	} while (running && mc == CURLM_OK && !(stop && atomic_load(stop)));
	for (size_t i = 0; i < n; i++) {
		if (!easy[i])
			continue;
		if (running && r[i].status == 0 && r[i].err.code == ERR_OK)
			err_set(&r[i].err, ERR_IO, "abandoned (stopping)");
		curl_multi_remove_handle(f->multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	free(easy);
	if (mc != CURLM_OK)
		return err_set(e, ERR_IO, "curl: %s", curl_multi_strerror(mc));
	return 0;
}
