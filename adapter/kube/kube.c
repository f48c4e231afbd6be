/*
 * kube.c - Kubernetes API client (see kube.h).
 */
#include "adapter/kube/kube.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/http.h"
#include "common/str.h"
#include "common/yamlconf.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_MAX_BODY (64 * 1024 * 1024)
#define KUBE_MAX_EVENT (16 * 1024 * 1024)

/* ---- files ---- */


/* A file named in a kubeconfig, relative to the kubeconfig's directory. */
static int kc_read_rel(const char *kubeconfig, const char *name,
		       struct buf *out, struct err *e)
{
	char dir[4096], full[8192];

	if (name[0] == '/')
		return buf_add_file(out, name, e);
	str_lcpy(dir, kubeconfig, sizeof(dir));
	snprintf(full, sizeof(full), "%s/%s", dirname(dir), name);
	return buf_add_file(out, full, e);
}

/* ---- kubeconfig ---- */

static yaml_node_t *kc_get(struct ydoc *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const char *k = ydoc_scalar(ydoc_node(d, p->key));
		if (k && strcmp(k, key) == 0)
			return ydoc_node(d, p->value);
	}
	return NULL;
}

static const char *kc_str(struct ydoc *d, yaml_node_t *map, const char *key)
{
	return ydoc_scalar(kc_get(d, map, key));
}

/* The `inner` mapping of the entry of list `list` named `name`. */
static yaml_node_t *kc_named(struct ydoc *d, const char *list,
			     const char *name, const char *inner)
{
	yaml_node_t *seq = kc_get(d, ydoc_root(d), list);

	if (!seq || seq->type != YAML_SEQUENCE_NODE || !name)
		return NULL;
	for (yaml_node_item_t *i = seq->data.sequence.items.start;
	     i < seq->data.sequence.items.top; i++) {
		yaml_node_t *item = ydoc_node(d, *i);
		const char *n = kc_str(d, item, "name");
		if (n && strcmp(n, name) == 0)
			return kc_get(d, item, inner);
	}
	return NULL;
}

/* key-data (base64) or key (file) into out; absent is fine. */
static int kc_blob(struct ydoc *d, yaml_node_t *m, const char *key,
		   const char *path, struct buf *out, struct err *e)
{
	char data_key[64];
	const char *v;

	snprintf(data_key, sizeof(data_key), "%s-data", key);
	if ((v = kc_str(d, m, data_key)))
		return b64_decode(v, out) ? err_set(e, ERR_INVAL, "%s: %s is "
						   "not base64", path, data_key)
					  : 0;
	if ((v = kc_str(d, m, key)))
		return kc_read_rel(path, v, out, e);
	return 0;
}

static int kc_user(struct ydoc *d, yaml_node_t *user, const char *path,
		   struct kube_config *c, struct err *e)
{
	const char *tok = kc_str(d, user, "token");
	const char *tokfile = kc_str(d, user, "tokenFile");
	struct buf t = BUF_INIT(64 * 1024);
	int rc;

	rc = kc_blob(d, user, "client-certificate", path, &c->cert, e);
	if (!rc)
		rc = kc_blob(d, user, "client-key", path, &c->key, e);
	if (!rc && tok)
		c->token = str_dup(tok);
	if (!rc && !tok && tokfile && !(rc = kc_read_rel(path, tokfile, &t, e))) {
		while (t.len && (t.p[t.len - 1] == '\n' || t.p[t.len - 1] == '\r'))
			buf_truncate(&t, t.len - 1);
		c->token = buf_detach(&t, NULL);
	}
	buf_release(&t);
	return rc;
}

static int kc_from_doc(struct ydoc *d, const char *path, struct kube_config *c,
		       struct err *e)
{
	const char *cur = kc_str(d, ydoc_root(d), "current-context");
	yaml_node_t *ctx = kc_named(d, "contexts", cur, "context");
	yaml_node_t *cl, *user;
	const char *server, *ns, *skip;
	int rc;

	if (!ctx)
		return err_set(e, ERR_INVAL, "%s: no context named by "
			       "current-context", path);
	cl = kc_named(d, "clusters", kc_str(d, ctx, "cluster"), "cluster");
	user = kc_named(d, "users", kc_str(d, ctx, "user"), "user");
	server = kc_str(d, cl, "server");
	if (!cl || !server)
		return err_set(e, ERR_INVAL, "%s: the current context's cluster "
			       "has no server", path);
	c->server = str_dup(server);
	ns = kc_str(d, ctx, "namespace");
	c->namespace = ns ? str_dup(ns) : NULL;
	skip = kc_str(d, cl, "insecure-skip-tls-verify");
	c->insecure = skip && strcmp(skip, "true") == 0;
	rc = kc_blob(d, cl, "certificate-authority", path, &c->ca, e);
	if (!rc && user)
		rc = kc_user(d, user, path, c, e);
	return rc;
}

static int kc_in_cluster(struct kube_config *c, struct err *e)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct buf t = BUF_INIT(64 * 1024), ns = BUF_INIT(1024);
	char server[512];
	int rc;

	if (!host || !port)
		return err_set(e, ERR_INVAL, "not in a cluster "
			       "(KUBERNETES_SERVICE_HOST is unset): give "
			       "--kubeconfig");
	snprintf(server, sizeof(server), strchr(host, ':') ? "https://[%s]:%s"
							    : "https://%s:%s",
		 host, port);
	c->server = str_dup(server);
	rc = buf_add_file(&c->ca, SA_DIR "/ca.crt", e);
	if (!rc)
		rc = buf_add_file(&t, SA_DIR "/token", e);
	c->in_cluster = true;
	if (!rc && buf_add_file(&ns, SA_DIR "/namespace", NULL) == 0)
		c->namespace = buf_detach(&ns, NULL);
	if (!rc)
		c->token = buf_detach(&t, NULL);
	buf_release(&t);
	buf_release(&ns);
	return rc;
}

int kube_config_load(const char *path, struct kube_config *c, struct err *e)
{
	struct ydoc d;
	int rc;

	memset(c, 0, sizeof(*c));
	buf_init(&c->ca, 1024 * 1024);
	buf_init(&c->cert, 1024 * 1024);
	buf_init(&c->key, 1024 * 1024);
	if (!path) {
		rc = kc_in_cluster(c, e);
	} else if (!(rc = ydoc_load(&d, path, e))) {
		rc = kc_from_doc(&d, path, c, e);
		ydoc_release(&d);
	} else {
		err_prefix(e, "%s:%lu:%lu: ", path, e ? e->line : 0,
			   e ? e->col : 0);
	}
	if (rc)
		kube_config_release(c);
	return rc;
}

void kube_config_release(struct kube_config *c)
{
	free(c->server);
	free(c->token);
	free(c->namespace);
	buf_release(&c->ca);
	buf_release(&c->cert);
	buf_release(&c->key);
	memset(c, 0, sizeof(*c));
}

/* ---- client ---- */

struct kube_client {
	const struct kube_config *c;
	CURLSH *share; /* connections and TLS sessions shared by threads */
	pthread_mutex_t lock[CURL_LOCK_DATA_LAST];
	struct curl_slist *headers;
};

static void kube_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ud)
{
	struct kube_client *k = ud;

	(void)h;
	(void)a;
	pthread_mutex_lock(&k->lock[d]);
}

static void kube_unlock(CURL *h, curl_lock_data d, void *ud)
{
	struct kube_client *k = ud;

	(void)h;
	pthread_mutex_unlock(&k->lock[d]);
}

struct kube_client *kube_client_new(const struct kube_config *c,
				    struct err *e)
{
	struct kube_client *k = calloc(1, sizeof(*k));
	char auth[8192];

	if (!k || !(k->share = curl_share_init())) {
		free(k);
		err_set(e, ERR_NOMEM, "cannot set up curl");
		return NULL;
	}
	k->c = c;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&k->lock[i], NULL);
	curl_share_setopt(k->share, CURLSHOPT_LOCKFUNC, kube_lock);
	curl_share_setopt(k->share, CURLSHOPT_UNLOCKFUNC, kube_unlock);
	curl_share_setopt(k->share, CURLSHOPT_USERDATA, k);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	k->headers = curl_slist_append(NULL, "Accept: application/json");
	k->headers = curl_slist_append(k->headers, "Content-Type: application/json");
	if (c->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		k->headers = curl_slist_append(k->headers, auth);
	}
	return k;
}

void kube_client_free(struct kube_client *k)
{
	if (!k)
		return;
	curl_share_cleanup(k->share);
	curl_slist_free_all(k->headers);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&k->lock[i]);
	free(k);
}

static void kube_blob(CURL *h, CURLoption opt, const struct buf *b)
{
	struct curl_blob blob = { b->p, b->len, CURL_BLOB_COPY };

	if (b->len)
		curl_easy_setopt(h, opt, &blob);
}

/* A handle for path: the common options (http.h), then the client's
 * share and TLS material. */
static CURL *kube_easy(struct kube_client *k, const char *path,
		       http_write_fn write, void *ud, long timeout_s)
{
	const struct kube_config *c = k->c;
	char url[8192];
	struct http_opts o = { url, timeout_s * 1000, 10000, 0, k->headers,
			       write, ud };
	CURL *h;

	snprintf(url, sizeof(url), "%s%s", c->server, path);
	if (!(h = http_easy(&o, NULL)))
		return NULL;
	if (curl_easy_setopt(h, CURLOPT_SHARE, k->share) != CURLE_OK) {
		curl_easy_cleanup(h);
		return NULL;
	}
	kube_blob(h, CURLOPT_CAINFO_BLOB, &c->ca);
	kube_blob(h, CURLOPT_SSLCERT_BLOB, &c->cert);
	kube_blob(h, CURLOPT_SSLKEY_BLOB, &c->key);
	if (c->cert.len)
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return h;
}

static size_t kube_collect(char *d, size_t size, size_t n, void *ud)
{
	return buf_add(ud, d, size * n) ? 0 : size * n;
}

/* The client's headers with the merge patch content type. */
static struct curl_slist *kube_patch_headers(const struct curl_slist *h)
{
	struct curl_slist *out = NULL, *n;

	for (; h; h = h->next) {
		const char *v = strncmp(h->data, "Content-Type:", 13)
			? h->data : "Content-Type: application/merge-patch+json";
		if (!(n = curl_slist_append(out, v))) {
			curl_slist_free_all(out);
			return NULL;
		}
		out = n;
	}
	return out;
}

int kube_request(struct kube_client *k, const char *method, const char *path,
		 const char *body, long *status, json_object **out,
		 struct err *e)
{
	struct buf resp = BUF_INIT(KUBE_MAX_BODY);
	CURL *h = kube_easy(k, path, kube_collect, &resp, 30);
	struct curl_slist *patch = NULL;
	CURLcode rc;

	*status = 0;
	if (out)
		*out = NULL;
	if (!h)
		return err_set(e, ERR_NOMEM, "cannot set up curl");
	if (!strcmp(method, "PATCH")) /* bodies are JSON merge patches */
		patch = kube_patch_headers(k->headers);
	if (patch)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, patch);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	curl_slist_free_all(patch);
	if (rc == CURLE_OK && resp.len && out)
		*out = json_tokener_parse(buf_str(&resp));
	buf_release(&resp);
	if (rc != CURLE_OK)
		return err_set(e, ERR_IO, "%s %s: %s", method, path,
			       curl_easy_strerror(rc));
	return 0;
}

/* ---- watch ---- */

struct kube_stream {
	struct buf line;
	kube_event_fn fn;
	void *ud;
	const atomic_bool *stop;
	int stopped; /* by fn */
	CURL *h;
	int status; /* 0: not known yet, 1: 200 (events), -1: another */
	bool bad;   /* a line that is not a watch event ended the stream */
};

/* One line of the stream; a line that is not a JSON event with a string
 * type and an object ends the watch (as client-go's decoder does). */
static int kube_event_line(struct kube_stream *s, const char *line)
{
	json_object *ev = json_tokener_parse(line), *type, *obj;
	int rc = 1;

	if (ev && json_object_object_get_ex(ev, "type", &type) &&
	    json_object_is_type(type, json_type_string) &&
	    json_object_object_get_ex(ev, "object", &obj) &&
	    json_object_is_type(obj, json_type_object))
		rc = s->fn(s->ud, json_object_get_string(type), obj);
	else
		s->bad = true;
	json_object_put(ev);
	return rc;
}

static size_t kube_stream_write(char *d, size_t size, size_t n, void *ud)
{
	struct kube_stream *s = ud;
	size_t len = size * n;
	long code = 0;
	bool batch = false; /* events were delivered */

	if (!s->status) {
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
		s->status = code == 200 ? 1 : -1;
	}
	if (s->status < 0)
		return len; /* an error's body: the status says it */
	for (size_t i = 0; i < len; i++) {
		const char *nl = memchr(d + i, '\n', len - i);
		size_t k = nl ? (size_t)(nl - (d + i)) : len - i;

		if (buf_add(&s->line, d + i, k))
			return 0; /* an event over the limit */
		if (!nl)
			break;
		i += k; /* at the newline */
		if (s->line.len && (s->stopped = kube_event_line(s, s->line.p)))
			return 0;
		buf_reset(&s->line);
		batch = true;
	}
	if (batch && (s->stopped = s->fn(s->ud, NULL, NULL)))
		return 0;
	return len;
}

static int kube_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c,
			 curl_off_t d)
{
	const struct kube_stream *s = ud;

	(void)a; (void)b; (void)c; (void)d;
	return s->stop && atomic_load(s->stop);
}

int kube_watch(struct kube_client *k, const char *path, kube_event_fn fn,
	       void *ud, const atomic_bool *stop, long timeout_s,
	       long *status, struct err *e)
{
	struct kube_stream s = { BUF_INIT(KUBE_MAX_EVENT), fn, ud, stop, 0,
				 NULL, 0, false };
	CURL *h = kube_easy(k, path, kube_stream_write, &s, timeout_s);
	CURLcode rc;

	*status = 0;
	if (!h)
		return err_set(e, ERR_NOMEM, "cannot set up curl");
	s.h = h;
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, kube_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	buf_release(&s.line);
	if (s.bad)
		return err_set(e, ERR_INVAL, "watch %s: a line that is not a "
			       "watch event", path);
	if (rc == CURLE_OK || s.stopped || (stop && atomic_load(stop)) ||
	    rc == CURLE_OPERATION_TIMEDOUT)
		return 0;
	return err_set(e, ERR_IO, "watch %s: %s", path, curl_easy_strerror(rc));
}
