/*
 * delegate.c - forwarding to another metrics adapter (see delegate.h).
 *
 * Callers (libmicrohttpd's threads) build a call (URL and headers: no I/O)
 * and push it on a queue; the module's thread moves queued calls into one
 * curl multi handle, runs all transfers together, and hands each answer
 * back through its done callback.  The same thread reads the delegate's
 * discovery documents every --delegate-discovery-interval (sooner again
 * after a failure) into a cache readers share under a lock.
 */
#include "adapter/delegate/delegate.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/str.h"

#define DG_MAX_CALLS 1024           /* queued and running at once */
#define DG_MAX_BODY (64u << 20)      /* one answer */
#define DG_MAX_DISC (16u << 20)      /* one discovery document */
#define DG_MAX_RESOURCES 100000
#define DG_MAX_NAME 1024
#define DG_MAX_ARGS 64
#define DG_MAX_URL (16 * 1024)
#define DG_RETRY_MS 5000             /* discovery again after a failure */
#define DG_TOKEN_MS 60000            /* token file read again */
#define DG_NGV 3
#define DG_DISCOVERY_USER "flinkhpa-adapter"

static const struct {
	const char *gv;
	enum delegate_group g;
} dg_gvs[DG_NGV] = {
	{ "custom.metrics.k8s.io/v1beta1", DELEGATE_CUSTOM },
	{ "custom.metrics.k8s.io/v1beta2", DELEGATE_CUSTOM },
	{ "external.metrics.k8s.io/v1beta1", DELEGATE_EXTERNAL },
};

struct dg_res {
	char *name;
	bool namespaced;
};

struct dg_disc {
	struct dg_res *v; /* under disc_mu */
	size_t n;
	int64_t next_ms;  /* the thread's own */
	bool busy, failed;
};

struct delegate_call {
	struct delegate_call *next; /* queue, then the running list */
	enum delegate_group group;
	int disc;                   /* discovery of dg_gvs[disc]; -1: not */
	char *url;
	struct curl_slist *hdrs;
	CURL *easy;
	struct buf body;
	char ctype[256];
	char error[CURL_ERROR_SIZE];
	long code;
	void (*done)(void *ud);
	void *ud;
};

struct delegate {
	struct delegate_opts o; /* strings owned */
	CURLM *multi;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_mutex_t mu;         /* queue, ncalls, stopping */
	struct delegate_call *queue;
	size_t ncalls;
	bool stopping;
	struct delegate_call *active; /* the thread's */
	pthread_rwlock_t disc_mu;
	struct dg_disc disc[DG_NGV];
	char token[8192];            /* the thread's */
	int64_t token_at;
	atomic_uint_fast64_t answered[3], failed[3];
};

static int64_t dg_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *dg_url(const struct delegate *d, enum delegate_group g)
{
	return g == DELEGATE_CUSTOM ? d->o.custom_url
	       : g == DELEGATE_EXTERNAL ? d->o.external_url : NULL;
}

bool delegate_serves(const struct delegate *d, enum delegate_group g)
{
	return d && dg_url(d, g);
}

/* ---- setting up ---- */

static int dg_check_url(const char *flag, const char *url, struct err *e)
{
	if (!url)
		return 0;
	if (!str_has_prefix(url, "https://") && !str_has_prefix(url, "http://"))
		return err_set(e, ERR_INVAL, "--%s: %s is not an http:// or "
			       "https:// URL", flag, url);
	if (strchr(url, '?') || strchr(url, '#'))
		return err_set(e, ERR_INVAL, "--%s: %s has a query or fragment",
			       flag, url);
	return 0;
}

static int dg_check_file(const char *flag, const char *path, struct err *e)
{
	if (path && access(path, R_OK) != 0)
		return err_set(e, ERR_IO, "--%s: cannot read %s", flag, path);
	return 0;
}

static int dg_check(const struct delegate_opts *o, struct err *e)
{
	if (dg_check_url("delegate-custom-metrics", o->custom_url, e) ||
	    dg_check_url("delegate-external-metrics", o->external_url, e) ||
	    dg_check_file("delegate-ca-file", o->ca_file, e) ||
	    dg_check_file("delegate-client-cert-file", o->cert_file, e) ||
	    dg_check_file("delegate-client-key-file", o->key_file, e) ||
	    dg_check_file("delegate-token-file", o->token_file, e))
		return e->code;
	if (!o->cert_file != !o->key_file)
		return err_set(e, ERR_INVAL, "--delegate-client-cert-file and "
			       "--delegate-client-key-file go together");
	if (o->cert_file && o->token_file)
		return err_set(e, ERR_INVAL, "--delegate-client-cert-file or "
			       "--delegate-token-file: one identity, not both");
	if (o->timeout_ms <= 0)
		return err_set(e, ERR_INVAL, "--delegate-timeout must be "
			       "positive");
	return 0;
}

/* A copy of s without trailing slashes. */
static char *dg_base(const char *s)
{
	char *b = str_dup(s);
	size_t n = b ? strlen(b) : 0;

	while (n > 8 && b[n - 1] == '/')
		b[--n] = '\0';
	return b;
}

static const char *dg_identity(const struct delegate_opts *o)
{
	return o->cert_file ? "front-proxy client certificate, X-Remote-* of "
			      "each user"
	       : o->token_file ? "bearer token (the delegate sees flinkhpa)"
			       : "none (anonymous)";
}

struct delegate *delegate_new(const struct delegate_opts *o, struct err *e)
{
	struct delegate *d;

	if (!o->custom_url && !o->external_url) {
		if (o->cert_file || o->token_file || o->ca_file)
			err_set(e, ERR_INVAL, "--delegate-* credentials without "
				"--delegate-custom-metrics or "
				"--delegate-external-metrics");
		return NULL;
	}
	if (dg_check(o, e))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	d->o = *o;
	d->o.custom_url = o->custom_url ? dg_base(o->custom_url) : NULL;
	d->o.external_url = o->external_url ? dg_base(o->external_url) : NULL;
	d->o.ca_file = str_dup(o->ca_file);
	d->o.cert_file = str_dup(o->cert_file);
	d->o.key_file = str_dup(o->key_file);
	d->o.token_file = str_dup(o->token_file);
	if (!d->o.discovery_ms)
		d->o.discovery_ms = 30000;
	pthread_mutex_init(&d->mu, NULL);
	pthread_rwlock_init(&d->disc_mu, NULL);
	d->multi = curl_multi_init();
	if (!d->multi) {
		err_set(e, ERR_NOMEM, "curl_multi_init failed");
		delegate_free(d);
		return NULL;
	}
	for (int g = DELEGATE_CUSTOM; g <= DELEGATE_EXTERNAL; g++)
		if (dg_url(d, g))
			log_info("delegating the %s metrics flinkhpa does not "
				 "serve to %s (identity: %s; timeout %lldms)",
				 g == DELEGATE_CUSTOM ? "custom" : "external",
				 dg_url(d, g), dg_identity(&d->o),
				 (long long)d->o.timeout_ms);
	return d;
}

/* ---- discovery cache ---- */

static int dg_gv_index(const char *gv)
{
	for (int i = 0; i < DG_NGV; i++)
		if (strcmp(dg_gvs[i].gv, gv) == 0)
			return i;
	return -1;
}

static void dg_res_free(struct dg_res *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The resources of an APIResourceList into *out. */
static int dg_parse_resources(json_object *doc, struct dg_res **out,
			      size_t *nout, struct err *e)
{
	json_object *list, *it, *v;
	struct dg_res *r;
	size_t n;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "resources", &list) ||
	    !json_object_is_type(list, json_type_array))
		return err_set(e, ERR_INVAL, "not an APIResourceList");
	n = json_object_array_length(list);
	if (n > DG_MAX_RESOURCES)
		return err_set(e, ERR_LIMIT, "more than %d resources",
			       DG_MAX_RESOURCES);
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return err_set(e, ERR_NOMEM, "out of memory");
	*out = r;
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		it = json_object_array_get_idx(list, i);
		if (!json_object_object_get_ex(it, "name", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !*(name = json_object_get_string(v)) ||
		    strlen(name) > DG_MAX_NAME)
			return err_set(e, ERR_INVAL, "resource %zu: no name "
				       "(or longer than %d)", i, DG_MAX_NAME);
		r[i].namespaced = !json_object_object_get_ex(it, "namespaced", &v) ||
				  json_object_get_boolean(v);
		if (!(r[i].name = str_dup(name)))
			return err_set(e, ERR_NOMEM, "out of memory");
		*nout = i + 1;
	}
	return 0;
}

int delegate_set_discovery(struct delegate *d, const char *gv,
			   const char *json, size_t len, struct err *e)
{
	int i = dg_gv_index(gv);
	struct json_tokener *tok;
	json_object *doc = NULL;
	struct dg_res *v = NULL, *old;
	size_t n = 0, nold;
	int rc;

	if (i < 0)
		return err_set(e, ERR_INVAL, "unknown group version %s", gv);
	if (len > DG_MAX_DISC)
		return err_set(e, ERR_LIMIT, "discovery document larger than %u "
			       "bytes", DG_MAX_DISC);
	tok = json_tokener_new();
	if (!tok)
		return err_set(e, ERR_NOMEM, "out of memory");
	doc = json_tokener_parse_ex(tok, json, (int)len);
	if (!doc || json_tokener_get_error(tok) != json_tokener_success)
		rc = err_set(e, ERR_INVAL, "not JSON");
	else
		rc = dg_parse_resources(doc, &v, &n, e);
	json_object_put(doc);
	json_tokener_free(tok);
	if (rc) {
		dg_res_free(v, n);
		return rc;
	}
	pthread_rwlock_wrlock(&d->disc_mu);
	old = d->disc[i].v;
	nold = d->disc[i].n;
	d->disc[i].v = v;
	d->disc[i].n = n;
	pthread_rwlock_unlock(&d->disc_mu);
	dg_res_free(old, nold);
	return 0;
}

int delegate_each_resource(struct delegate *d, const char *gv,
			   int (*fn)(void *ud, const char *name,
				     bool namespaced),
			   void *ud)
{
	int i = d ? dg_gv_index(gv) : -1, rc = 0;

	if (i < 0 || !dg_url(d, dg_gvs[i].g))
		return 0;
	pthread_rwlock_rdlock(&d->disc_mu);
	for (size_t k = 0; k < d->disc[i].n && !rc; k++)
		rc = fn(ud, d->disc[i].v[k].name, d->disc[i].v[k].namespaced);
	pthread_rwlock_unlock(&d->disc_mu);
	return rc;
}

/* ---- building a call (callers' threads: no I/O) ---- */

/* Percent-encode s as Go's URL writer does for paths (keep_slash) or for
 * query values (space as '+'). */
static int dg_escape(struct buf *b, const char *s, bool path, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || strchr("-._~", c);
		if (path && c && strchr("$&+,:;=@", c))
			plain = true;
		if (c == '/' && keep_slash)
			plain = true;
		if (plain)
			rc = buf_addc(b, (char)c);
		else if (c == ' ' && !path)
			rc = buf_addc(b, '+');
		else
			rc = buf_addf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	return rc;
}

struct dg_args {
	const char *k[DG_MAX_ARGS], *v[DG_MAX_ARGS];
	size_t n;
	bool overflow;
};

static void dg_arg(void *ud, const char *k, const char *v)
{
	struct dg_args *a = ud;

	if (a->n == DG_MAX_ARGS) {
		a->overflow = true;
		return;
	}
	a->k[a->n] = k;
	a->v[a->n++] = v;
}

/* Base, path and the query with its keys sorted, as the aggregator
 * sends them. */
static int dg_build_url(const char *base, const struct delegate_req *rq,
			struct buf *u)
{
	struct dg_args a = { .n = 0 };
	int rc;

	if (rq->each_arg)
		rq->each_arg(rq->src, dg_arg, &a);
	if (a.overflow)
		return ERR_LIMIT;
	for (size_t i = 1; i < a.n; i++) /* insertion sort: few keys */
		for (size_t j = i; j > 0 && strcmp(a.k[j - 1], a.k[j]) > 0; j--) {
			const char *k = a.k[j], *v = a.v[j];
			a.k[j] = a.k[j - 1];
			a.v[j] = a.v[j - 1];
			a.k[j - 1] = k;
			a.v[j - 1] = v;
		}
	rc = buf_adds(u, base);
	if (!rc)
		rc = dg_escape(u, rq->path, true, true);
	for (size_t i = 0; i < a.n && !rc; i++) {
		rc = buf_addc(u, i ? '&' : '?');
		if (!rc)
			rc = dg_escape(u, a.k[i], false, false);
		if (!rc)
			rc = buf_addc(u, '=');
		if (!rc)
			rc = dg_escape(u, a.v[i], false, false);
	}
	return rc;
}

/* "Name: value" onto *l; a value with a control character is refused
 * (it would split the header). */
static int dg_header(struct curl_slist **l, const char *name,
		     const char *value)
{
	char line[2048];
	struct curl_slist *n;
	int len;

	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return ERR_INVAL;
	len = snprintf(line, sizeof(line), "%s: %s", name, value);
	if (len < 0 || (size_t)len >= sizeof(line))
		return ERR_LIMIT;
	n = curl_slist_append(*l, line);
	if (!n)
		return ERR_NOMEM;
	*l = n;
	return 0;
}

/* X-Remote-User, -Group, -Extra-* of u, as the aggregator writes them. */
static int dg_user_headers(struct curl_slist **l, const struct authn_user *u)
{
	char key[512];
	struct buf k = BUF_INIT(400);
	int rc = dg_header(l, "X-Remote-User", u->name);

	for (size_t i = 0; i < u->ngroups && !rc; i++)
		rc = dg_header(l, "X-Remote-Group", u->groups[i]);
	for (size_t i = 0; i < u->nextra && !rc; i++) {
		buf_reset(&k);
		rc = dg_escape(&k, u->extra_key[i], true, false);
		snprintf(key, sizeof(key), "X-Remote-Extra-%s", buf_str(&k));
		if (!rc)
			rc = dg_header(l, key, u->extra_val[i]);
	}
	buf_release(&k);
	return rc;
}

static int dg_headers(const struct delegate *d, const struct delegate_req *rq,
		      struct curl_slist **l)
{
	int rc = dg_header(l, "Accept", rq->accept ? rq->accept : "");

	/* an empty Accept removes curl's own; the delegate then answers JSON */
	if (!rc && !rq->accept)
		rc = (*l = curl_slist_append(*l, "Accept:")) ? 0 : ERR_NOMEM;
	if (!rc && rq->user_agent)
		rc = dg_header(l, "User-Agent", rq->user_agent);
	if (!rc && rq->audit_id)
		rc = dg_header(l, "Audit-Id", rq->audit_id);
	if (!rc && d->o.cert_file && rq->user && !rq->user->anonymous &&
	    rq->user->name[0])
		rc = dg_user_headers(l, rq->user);
	return rc;
}

static void dg_call_release(struct delegate_call *c)
{
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdrs);
	free(c->url);
	buf_release(&c->body);
	c->easy = NULL;
	c->hdrs = NULL;
	c->url = NULL;
}

void delegate_call_free(struct delegate_call *c)
{
	if (!c)
		return;
	dg_call_release(c);
	free(c);
}

/* Reserve a place for one more call; false: full or stopping. */
static bool dg_reserve(struct delegate *d, struct err *e)
{
	bool ok;

	pthread_mutex_lock(&d->mu);
	ok = !d->stopping && d->ncalls < DG_MAX_CALLS;
	if (ok)
		d->ncalls++;
	pthread_mutex_unlock(&d->mu);
	if (!ok)
		err_set(e, ERR_LIMIT, d->stopping ? "the adapter is stopping"
			: "too many requests waiting for the delegate");
	return ok;
}

static void dg_push(struct delegate *d, struct delegate_call *c)
{
	pthread_mutex_lock(&d->mu);
	c->next = d->queue;
	d->queue = c;
	pthread_mutex_unlock(&d->mu);
	curl_multi_wakeup(d->multi);
}

static void dg_unreserve(struct delegate *d)
{
	pthread_mutex_lock(&d->mu);
	d->ncalls--;
	pthread_mutex_unlock(&d->mu);
}

struct delegate_call *delegate_forward(struct delegate *d,
				       const struct delegate_req *rq,
				       void (*done)(void *ud), void *ud,
				       struct err *e)
{
	struct buf u = BUF_INIT(DG_MAX_URL);
	struct delegate_call *c;
	const char *base = dg_url(d, rq->group);

	if (!base) {
		err_set(e, ERR_INVAL, "no delegate for this group");
		return NULL;
	}
	if (!dg_reserve(d, e))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto unreserve;
	}
	*c = (struct delegate_call){ .group = rq->group, .disc = -1,
				     .done = done, .ud = ud };
	buf_init(&c->body, DG_MAX_BODY);
	if (dg_build_url(base, rq, &u) || dg_headers(d, rq, &c->hdrs)) {
		err_set(e, ERR_INVAL, "the request cannot be forwarded (too "
			"long, or a header with a control character)");
		goto free_call;
	}
	c->url = buf_detach(&u, NULL);
	if (!c->url) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto free_call;
	}
	dg_push(d, c);
	return c;
free_call:
	buf_release(&u);
	delegate_call_free(c);
unreserve:
	dg_unreserve(d);
	return NULL;
}

void delegate_call_result(const struct delegate_call *c,
			  struct delegate_result *r)
{
	*r = (struct delegate_result){ c->code, c->ctype, buf_str(&c->body),
				       c->body.len, c->error };
}

/* ---- the thread ---- */

static size_t dg_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct delegate_call *c = ud;
	size_t n = size * nmemb;

	if (buf_add(&c->body, data, n)) {
		snprintf(c->error, sizeof(c->error), "answer larger than %u "
			 "bytes", DG_MAX_BODY);
		return 0; /* aborts the transfer */
	}
	return n;
}

/* The token file, read again once a minute (projected tokens rotate). */
static void dg_token(struct delegate *d)
{
	struct buf b = BUF_INIT(sizeof(d->token) - 1);
	int64_t now = dg_mono_ms();
	struct err e;
	size_t n;

	if (d->token[0] && now - d->token_at < DG_TOKEN_MS)
		return;
	err_clear(&e);
	if (buf_add_file(&b, d->o.token_file, &e)) {
		log_warn("delegate: %s (keeping the token read before)", e.msg);
	} else {
		n = b.len;
		while (n && strchr(" \t\r\n", b.p[n - 1]))
			n--;
		buf_truncate(&b, n);
		str_lcpy(d->token, buf_str(&b), sizeof(d->token));
		d->token_at = now;
	}
	buf_release(&b);
}

static CURL *dg_easy(struct delegate *d, struct delegate_call *c)
{
	CURL *h = curl_easy_init();
	char auth[sizeof(d->token) + 32];

	if (!h)
		return NULL;
	if (d->o.token_file) {
		dg_token(d);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", d->token);
		if (d->token[0] && !(c->hdrs = curl_slist_append(c->hdrs, auth)))
			goto cleanup;
	}
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, dg_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_PRIVATE, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->error);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)d->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)d->o.timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (d->o.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, d->o.ca_file);
	if (d->o.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (d->o.cert_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, d->o.cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, d->o.key_file);
	}
	return h;
cleanup:
	curl_easy_cleanup(h);
	return NULL;
}

/* A call onto the running list and into the multi handle; false: it
 * could not be started (c->error says why). */
static bool dg_start_call(struct delegate *d, struct delegate_call *c)
{
	c->easy = dg_easy(d, c);
	if (!c->easy || curl_multi_add_handle(d->multi, c->easy) != CURLM_OK) {
		snprintf(c->error, sizeof(c->error), "out of memory");
		return false;
	}
	c->next = d->active;
	d->active = c;
	return true;
}

static void dg_unlink(struct delegate *d, struct delegate_call *c)
{
	for (struct delegate_call **p = &d->active; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			return;
		}
}

static void dg_disc_done(struct delegate *d, struct delegate_call *c)
{
	struct dg_disc *s = &d->disc[c->disc];
	const char *gv = dg_gvs[c->disc].gv;
	bool ok = c->code == 200;
	struct err e;

	err_clear(&e);
	if (ok && delegate_set_discovery(d, gv, buf_str(&c->body), c->body.len,
					 &e)) {
		ok = false;
		str_lcpy(c->error, e.msg, sizeof(c->error));
	} else if (!ok && c->code) {
		snprintf(c->error, sizeof(c->error), "HTTP %ld", c->code);
	}
	if (!ok && !s->failed)
		log_warn("delegate: discovery of %s at %s: %s (listing what "
			 "was read before)", gv, c->url, c->error);
	else if (ok && s->failed)
		log_info("delegate: discovery of %s read again", gv);
	s->failed = !ok;
	s->busy = false;
	s->next_ms = dg_mono_ms() + (ok ? d->o.discovery_ms
					: d->o.discovery_ms < DG_RETRY_MS
						  ? d->o.discovery_ms
						  : DG_RETRY_MS);
	delegate_call_free(c);
}

/* The call is over (answered or failed): out of curl, back to its owner. */
static void dg_finish(struct delegate *d, struct delegate_call *c,
		      CURLcode rc)
{
	char *ct = NULL;
	int g = c->group;

	if (c->easy && rc == CURLE_OK) {
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->code);
		curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ct);
		str_lcpy(c->ctype, ct ? ct : "", sizeof(c->ctype));
	} else if (c->easy && !c->error[0]) {
		snprintf(c->error, sizeof(c->error), "%s", curl_easy_strerror(rc));
	}
	if (c->easy) {
		curl_multi_remove_handle(d->multi, c->easy);
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
	}
	if (c->disc >= 0) {
		dg_disc_done(d, c);
		return;
	}
	atomic_fetch_add(c->code ? &d->answered[g] : &d->failed[g], 1);
	if (!c->code)
		log_v(1, "delegate: %s: %s", c->url, c->error);
	pthread_mutex_lock(&d->mu);
	d->ncalls--;
	pthread_mutex_unlock(&d->mu);
	c->done(c->ud); /* c is the caller's from here on */
}

/* Queued calls into curl. */
static void dg_take(struct delegate *d)
{
	struct delegate_call *q, *next;

	pthread_mutex_lock(&d->mu);
	q = d->queue;
	d->queue = NULL;
	pthread_mutex_unlock(&d->mu);
	for (; q; q = next) {
		next = q->next;
		if (!dg_start_call(d, q))
			dg_finish(d, q, CURLE_OUT_OF_MEMORY);
	}
}

/* A discovery call for each group version that is due. */
static void dg_discover(struct delegate *d)
{
	int64_t now = dg_mono_ms();
	char url[4096];

	for (int i = 0; i < DG_NGV; i++) {
		struct dg_disc *s = &d->disc[i];
		const char *base = dg_url(d, dg_gvs[i].g);
		struct delegate_call *c;
		if (!base || s->busy || now < s->next_ms)
			continue;
		c = calloc(1, sizeof(*c));
		snprintf(url, sizeof(url), "%s/apis/%s", base, dg_gvs[i].gv);
		if (!c)
			return;
		*c = (struct delegate_call){ .group = dg_gvs[i].g, .disc = i,
					     .url = str_dup(url) };
		buf_init(&c->body, DG_MAX_DISC);
		if (!c->url || dg_header(&c->hdrs, "Accept", "application/json") ||
		    (d->o.cert_file &&
		     dg_header(&c->hdrs, "X-Remote-User", DG_DISCOVERY_USER)) ||
		    !dg_start_call(d, c)) {
			delegate_call_free(c);
			s->next_ms = now + DG_RETRY_MS;
			continue;
		}
		s->busy = true;
	}
}

static void dg_drain(struct delegate *d)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(d->multi, &left))) {
		struct delegate_call *c = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &c);
		dg_unlink(d, c);
		dg_finish(d, c, m->data.result);
	}
}

/* Stopping: every call gets its answer (a failure) so that no request
 * stays parked. */
static void dg_fail_all(struct delegate *d)
{
	struct delegate_call *c;

	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_mutex_unlock(&d->mu);
	dg_take(d);
	while ((c = d->active)) {
		d->active = c->next;
		snprintf(c->error, sizeof(c->error), "the adapter is stopping");
		dg_finish(d, c, CURLE_ABORTED_BY_CALLBACK);
	}
}

static void *dg_main(void *arg)
{
	struct delegate *d = arg;
	int running = 0;

	while (!atomic_load(&d->stop)) {
		dg_take(d);
		dg_discover(d);
		curl_multi_perform(d->multi, &running);
		dg_drain(d);
		curl_multi_poll(d->multi, NULL, 0, 500, NULL);
	}
	dg_fail_all(d);
	return NULL;
}

int delegate_start(struct delegate *d, struct err *e)
{
	if (d->running)
		return err_set(e, ERR_STATE, "delegate already running");
	if (pthread_create(&d->thread, NULL, dg_main, d))
		return err_set(e, ERR_IO, "cannot start the delegate thread");
	d->running = true;
	return 0;
}

void delegate_stop(struct delegate *d)
{
	if (!d || !d->running)
		return;
	atomic_store(&d->stop, true);
	curl_multi_wakeup(d->multi);
	pthread_join(d->thread, NULL);
	d->running = false;
}

void delegate_free(struct delegate *d)
{
	if (!d)
		return;
	delegate_stop(d);
	if (!d->stopping) /* never started: fail what was queued */
		dg_fail_all(d);
	curl_multi_cleanup(d->multi);
	for (int i = 0; i < DG_NGV; i++)
		dg_res_free(d->disc[i].v, d->disc[i].n);
	pthread_rwlock_destroy(&d->disc_mu);
	pthread_mutex_destroy(&d->mu);
	free(d->o.custom_url);
	free(d->o.external_url);
	free(d->o.ca_file);
	free(d->o.cert_file);
	free(d->o.key_file);
	free(d->o.token_file);
	free(d);
}

int delegate_metrics(struct delegate *d, struct buf *out)
{
	static const char *const names[3] = { "", "custom", "external" };
	int rc = 0;

	if (!d)
		return 0;
	rc = buf_adds(out, "# HELP flinkhpa_delegate_requests_total Requests "
		      "forwarded to the delegate, by how they ended.\n"
		      "# TYPE flinkhpa_delegate_requests_total counter\n");
	for (int g = DELEGATE_CUSTOM; g <= DELEGATE_EXTERNAL && !rc; g++)
		if (dg_url(d, g))
			rc = buf_addf(out, "flinkhpa_delegate_requests_total{group="
				      "\"%s\",result=\"answered\"} %llu\n"
				      "flinkhpa_delegate_requests_total{group="
				      "\"%s\",result=\"failed\"} %llu\n",
				      names[g], (unsigned long long)
				      atomic_load(&d->answered[g]), names[g],
				      (unsigned long long)atomic_load(&d->failed[g]));
	return rc;
}
