/*
 * authz.c - delegated authorization (see authz.h): rules, a cache of
 * SubjectAccessReview answers, and AZ_WORKERS review threads that work
 * through the queue of misses at the same time, newest question first (so
 * a burst of old questions does not hold up fresh requests); several
 * waiting requests with the same question share one review, queued or
 * under way.
 */
#include "adapter/auth/authz.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/str.h"

#define AZ_SLOTS 4096
#define AZ_WORKERS 8 /* reviews under way at most */

struct az_entry {
	char *key;
	bool allowed;
	char reason[256];
	int64_t expires;
	struct authn_user *user; /* tokens: who it is */
};

struct az_waiter {
	void (*done)(void *);
	void *ud;
	struct az_waiter *next;
};

struct az_job {
	char *key;
	char *body; /* the SubjectAccessReview or TokenReview JSON */
	bool token; /* a TokenReview */
	struct az_waiter *waiters;
	struct az_job *next;
};

struct authz {
	struct kube_client *k;  /* SubjectAccessReviews */
	struct kube_client *tk; /* TokenReviews */
	int64_t ttl_ms;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct az_entry cache[AZ_SLOTS];
	struct az_entry tokens[AZ_SLOTS];
	struct az_job *queue;    /* waiting for the review thread */
	struct az_job *inflight; /* being reviewed */
	bool stop;
	unsigned running; /* review threads started */
	pthread_t th[AZ_WORKERS];
	uint64_t reviews;
};

static int64_t az_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One field of a key, its length first: no two questions share a key,
 * whatever bytes their names hold. */
static int az_field(struct buf *b, const char *s)
{
	return buf_addf(b, "%zu:%s;", strlen(s), s);
}

/* The question as a string: user, groups, extra and the attributes; NULL
 * when it cannot be built (the caller denies). */
static char *az_key(const struct authn_user *u, const struct authz_attrs *a)
{
	const char *attrs[] = { a->verb, a->ns, a->group, a->version,
				a->resource_name, a->subresource, a->name,
				a->resource ? "" : a->path };
	struct buf b = BUF_INIT(256 * 1024);
	int rc = az_field(&b, u->name);

	if (!rc)
		rc = buf_addf(&b, "%zu groups;", u->ngroups);
	for (size_t i = 0; !rc && i < u->ngroups; i++)
		rc = az_field(&b, u->groups[i]);
	if (!rc)
		rc = buf_addf(&b, "%zu extra;", u->nextra);
	for (size_t i = 0; !rc && i < u->nextra; i++)
		if (!(rc = az_field(&b, u->extra_key[i])))
			rc = az_field(&b, u->extra_val[i]);
	if (!rc)
		rc = buf_addf(&b, "%d;", a->resource);
	for (size_t i = 0; !rc && i < sizeof(attrs) / sizeof(attrs[0]); i++)
		rc = az_field(&b, attrs[i]);
	if (rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static bool az_open_path(const struct authz_attrs *a)
{
	return !a->resource && (strcmp(a->path, "/healthz") == 0 ||
				strcmp(a->path, "/livez") == 0 ||
				strcmp(a->path, "/readyz") == 0);
}

static bool az_master(const struct authn_user *u)
{
	for (size_t i = 0; i < u->ngroups; i++)
		if (strcmp(u->groups[i], "system:masters") == 0)
			return true;
	return false;
}

enum authz_decision authz_lookup(struct authz *z, const struct authn_user *u,
				 const struct authz_attrs *a, char *reason,
				 size_t n)
{
	enum authz_decision d = AUTHZ_UNKNOWN;
	struct az_entry *en;
	char *key;

	if (reason && n)
		reason[0] = '\0';
	if (az_open_path(a) || az_master(u))
		return AUTHZ_ALLOW;
	if (!z->k) {
		if (reason)
			str_lcpy(reason, "no Kubernetes API to ask "
				 "(only system:masters is allowed)", n);
		return AUTHZ_DENY;
	}
	key = az_key(u, a);
	if (!key)
		return AUTHZ_DENY;
	pthread_mutex_lock(&z->mu);
	en = &z->cache[hash_fnv1a(key, strlen(key)) % AZ_SLOTS];
	if (en->key && strcmp(en->key, key) == 0 && en->expires > az_now()) {
		d = en->allowed ? AUTHZ_ALLOW : AUTHZ_DENY;
		if (reason)
			str_lcpy(reason, en->reason, n);
	}
	pthread_mutex_unlock(&z->mu);
	free(key);
	return d;
}

/* ---- the review ---- */

static json_object *az_attrs_json(const struct authz_attrs *a)
{
	json_object *o = json_object_new_object();

	if (!a->resource) {
		json_object_object_add(o, "path", json_object_new_string(a->path));
		json_object_object_add(o, "verb", json_object_new_string(a->verb));
		return o;
	}
	json_object_object_add(o, "namespace", json_object_new_string(a->ns));
	json_object_object_add(o, "verb", json_object_new_string(a->verb));
	json_object_object_add(o, "group", json_object_new_string(a->group));
	json_object_object_add(o, "version", json_object_new_string(a->version));
	json_object_object_add(o, "resource",
			       json_object_new_string(a->resource_name));
	json_object_object_add(o, "subresource",
			       json_object_new_string(a->subresource));
	json_object_object_add(o, "name", json_object_new_string(a->name));
	return o;
}

static char *az_body(const struct authn_user *u, const struct authz_attrs *a)
{
	json_object *sar = json_object_new_object();
	json_object *spec = json_object_new_object();
	json_object *groups = json_object_new_array();
	json_object *extra = json_object_new_object();
	char *body;

	json_object_object_add(sar, "apiVersion",
			       json_object_new_string("authorization.k8s.io/v1"));
	json_object_object_add(sar, "kind",
			       json_object_new_string("SubjectAccessReview"));
	json_object_object_add(spec, a->resource ? "resourceAttributes"
						 : "nonResourceAttributes",
			       az_attrs_json(a));
	json_object_object_add(spec, "user", json_object_new_string(u->name));
	for (size_t i = 0; i < u->ngroups; i++)
		json_object_array_add(groups, json_object_new_string(u->groups[i]));
	json_object_object_add(spec, "groups", groups);
	for (size_t i = 0; i < u->nextra; i++) {
		json_object *vals = NULL;
		if (!json_object_object_get_ex(extra, u->extra_key[i], &vals)) {
			vals = json_object_new_array();
			json_object_object_add(extra, u->extra_key[i], vals);
		}
		json_object_array_add(vals, json_object_new_string(u->extra_val[i]));
	}
	json_object_object_add(spec, "extra", extra);
	json_object_object_add(sar, "spec", spec);
	body = str_dup(json_object_to_json_string_ext(sar, JSON_C_TO_STRING_PLAIN));
	json_object_put(sar); /* owns everything added above */
	return body;
}

/* Ask kube-apiserver; false when there is no answer to cache. */
static bool az_review(struct authz *z, const char *body, bool *allowed,
		     char *reason, size_t n)
{
	json_object *out = NULL, *st, *v;
	struct err e;
	long status;
	bool ok = false;

	err_clear(&e);
	if (kube_request(z->k, "POST",
			 "/apis/authorization.k8s.io/v1/subjectaccessreviews",
			 body, &status, &out, &e)) {
		log_warn("authorization: %s", e.msg);
	} else if (status != 201 && status != 200) {
		log_warn("authorization: SubjectAccessReview answered HTTP %ld",
			 status);
	} else if (out && json_object_object_get_ex(out, "status", &st)) {
		*allowed = json_object_object_get_ex(st, "allowed", &v) &&
			   json_object_get_boolean(v);
		reason[0] = '\0';
		if (json_object_object_get_ex(st, "reason", &v))
			str_lcpy(reason, json_object_get_string(v), n);
		ok = true;
	}
	json_object_put(out);
	return ok;
}

static void az_store(struct authz *z, char *key, bool allowed,
		     const char *reason, int64_t ttl_ms)
{
	struct az_entry *en = &z->cache[hash_fnv1a(key, strlen(key)) % AZ_SLOTS];

	free(en->key);
	en->key = key;
	en->allowed = allowed;
	str_lcpy(en->reason, reason, sizeof(en->reason));
	en->expires = az_now() + ttl_ms;
}

/* A string member of a TokenReview answer; NULL for anything else (a
 * null, a number): kube-apiserver writes strings, a broken answer is
 * skipped, never copied as text. */
static const char *az_jstr(json_object *o)
{
	return json_object_is_type(o, json_type_string) ? json_object_get_string(o)
							 : NULL;
}

/* The user a TokenReview answer names. */
static void az_token_user(json_object *user, struct authn_user *u)
{
	json_object *v, *groups, *extra;
	const char *str;

	memset(u, 0, sizeof(*u));
	if (json_object_object_get_ex(user, "username", &v) && (str = az_jstr(v)))
		str_lcpy(u->name, str, sizeof(u->name));
	if (json_object_object_get_ex(user, "groups", &groups) &&
	    json_object_is_type(groups, json_type_array))
		for (size_t i = 0; i < json_object_array_length(groups) &&
				   u->ngroups < AUTHN_MAX_GROUPS; i++)
			if ((str = az_jstr(json_object_array_get_idx(groups, i))))
				str_lcpy(u->groups[u->ngroups++], str,
					 sizeof(u->groups[0]));
	if (json_object_object_get_ex(user, "extra", &extra) &&
	    json_object_is_type(extra, json_type_object)) {
		json_object_object_foreach(extra, key, vals) {
			for (size_t i = 0; json_object_is_type(vals, json_type_array) &&
					   i < json_object_array_length(vals) &&
					   u->nextra < AUTHN_MAX_EXTRA; i++) {
				if (!(str = az_jstr(json_object_array_get_idx(vals, i))))
					continue;
				str_lcpy(u->extra_key[u->nextra], key, sizeof(u->extra_key[0]));
				str_lcpy(u->extra_val[u->nextra++], str,
					 sizeof(u->extra_val[0]));
			}
		}
	}
	u->how = "token";
}

/* Ask kube-apiserver who a token is; false when there is no answer. */
static bool az_token_review(struct authz *z, const char *body, bool *ok,
			    struct authn_user *u)
{
	json_object *out = NULL, *st, *v, *user;
	struct err e;
	long status;
	bool answered = false;

	err_clear(&e);
	if (kube_request(z->tk, "POST",
			 "/apis/authentication.k8s.io/v1/tokenreviews", body,
			 &status, &out, &e))
		log_warn("authentication: %s", e.msg);
	else if (status != 201 && status != 200)
		log_warn("authentication: TokenReview answered HTTP %ld", status);
	else if (out && json_object_object_get_ex(out, "status", &st)) {
		*ok = json_object_object_get_ex(st, "authenticated", &v) &&
		      json_object_get_boolean(v) &&
		      json_object_object_get_ex(st, "user", &user);
		if (*ok)
			az_token_user(user, u);
		answered = true;
	}
	json_object_put(out);
	return answered;
}

static void az_store_token(struct authz *z, char *key, bool ok,
			   const struct authn_user *u, int64_t ttl_ms)
{
	struct az_entry *en = &z->tokens[hash_fnv1a(key, strlen(key)) % AZ_SLOTS];

	free(en->key);
	free(en->user);
	en->key = key;
	en->allowed = ok;
	en->user = ok ? malloc(sizeof(*u)) : NULL;
	if (en->user)
		*en->user = *u;
	en->allowed = ok && en->user;
	en->expires = az_now() + ttl_ms;
}

/* One job, on the review thread, lock not held; stores under the lock. */
static void az_do_job(struct authz *z, struct az_job *j)
{
	struct authn_user u;
	char reason[256];
	bool ok = false, answered;

	if (j->token) {
		answered = az_token_review(z, j->body, &ok, &u);
		pthread_mutex_lock(&z->mu);
		az_store_token(z, j->key, answered && ok, &u,
			       answered ? z->ttl_ms : 1000);
	} else {
		answered = az_review(z, j->body, &ok, reason, sizeof(reason));
		pthread_mutex_lock(&z->mu);
		if (answered) /* allow and deny alike */
			az_store(z, j->key, ok, reason, z->ttl_ms);
		else /* denied for a second, so waiters do not spin */
			az_store(z, j->key, false, "the authorizer could not "
				 "be reached", 1000);
	}
}

static void az_wake(struct az_waiter *w)
{
	while (w) {
		struct az_waiter *next = w->next;
		w->done(w->ud);
		free(w);
		w = next;
	}
}

static void az_unlink(struct az_job **list, struct az_job *j)
{
	for (; *list; list = &(*list)->next)
		if (*list == j) {
			*list = j->next;
			return;
		}
}

static void *az_main(void *arg)
{
	struct authz *z = arg;

	pthread_mutex_lock(&z->mu);
	for (;;) {
		struct az_job *j;
		struct az_waiter *w;

		while (!z->queue && !z->stop)
			pthread_cond_wait(&z->cv, &z->mu);
		if (z->stop)
			break;
		j = z->queue;
		z->queue = j->next;
		j->next = z->inflight;
		z->inflight = j;
		z->reviews++;
		pthread_mutex_unlock(&z->mu);
		az_do_job(z, j); /* returns with the lock held */
		az_unlink(&z->inflight, j);
		w = j->waiters;
		free(j->body);
		free(j);
		pthread_mutex_unlock(&z->mu);
		az_wake(w); /* they look again: a hit, or a miss on failure */
		pthread_mutex_lock(&z->mu);
	}
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

/* ---- queue and lifetime ---- */

static struct az_job *az_find(struct az_job *list, const char *key)
{
	for (; list; list = list->next)
		if (strcmp(list->key, key) == 0)
			return list;
	return NULL;
}

/* Queue a job for key (taken), or join the one already queued. */
static int az_enqueue(struct authz *z, char *key, bool token,
		      char *(*body)(const void *), const void *arg,
		      void (*done)(void *ud), void *ud)
{
	struct az_waiter *w = calloc(1, sizeof(*w));
	struct az_job *j;

	if (!w || !key) {
		free(w);
		free(key);
		return ERR_NOMEM;
	}
	w->done = done;
	w->ud = ud;
	pthread_mutex_lock(&z->mu);
	if (z->stop) {
		pthread_mutex_unlock(&z->mu);
		free(w);
		free(key);
		return ERR_STATE;
	}
	j = az_find(z->queue, key);
	if (j) { /* asked again just now: it is the newest question */
		az_unlink(&z->queue, j);
		j->next = z->queue;
		z->queue = j;
	} else {
		j = az_find(z->inflight, key);
	}
	if (!j && (j = calloc(1, sizeof(*j))) && !(j->body = body(arg))) {
		free(j); /* out of memory */
		j = NULL;
	}
	if (j && !j->key) { /* a new job */
		j->key = key;
		key = NULL;
		j->token = token;
		j->next = z->queue;
		z->queue = j;
		pthread_cond_signal(&z->cv);
	}
	if (j) {
		w->next = j->waiters;
		j->waiters = w;
		w = NULL;
	}
	pthread_mutex_unlock(&z->mu);
	free(key);
	free(w);
	return j ? 0 : ERR_NOMEM;
}

struct az_question {
	const struct authn_user *u;
	const struct authz_attrs *a;
};

static char *az_sar_body(const void *arg)
{
	const struct az_question *q = arg;

	return az_body(q->u, q->a);
}

int authz_request(struct authz *z, const struct authn_user *u,
		  const struct authz_attrs *a, void (*done)(void *ud),
		  void *ud)
{
	struct az_question q = { u, a };

	return az_enqueue(z, az_key(u, a), false, az_sar_body, &q, done, ud);
}

static char *az_token_body(const void *arg)
{
	json_object *tr = json_object_new_object();
	json_object *spec = json_object_new_object();
	char *body;

	json_object_object_add(tr, "apiVersion",
			       json_object_new_string("authentication.k8s.io/v1"));
	json_object_object_add(tr, "kind", json_object_new_string("TokenReview"));
	json_object_object_add(spec, "token", json_object_new_string(arg));
	json_object_object_add(tr, "spec", spec);
	body = str_dup(json_object_to_json_string_ext(tr, JSON_C_TO_STRING_PLAIN));
	json_object_put(tr);
	return body;
}

static char *az_token_key(const char *token)
{
	struct buf b = BUF_INIT(64 * 1024);

	if (buf_addf(&b, "token;%s", token)) { /* NULL: the caller denies */
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

int authz_token_request(struct authz *z, const char *token,
			void (*done)(void *ud), void *ud)
{
	if (!z->tk)
		return ERR_STATE;
	return az_enqueue(z, az_token_key(token), true, az_token_body, token,
			  done, ud);
}

enum authz_decision authz_token_lookup(struct authz *z, const char *token,
				       struct authn_user *u)
{
	enum authz_decision d = AUTHZ_UNKNOWN;
	char *key = az_token_key(token);
	struct az_entry *en;

	if (!key || !z->tk) {
		free(key);
		return AUTHZ_DENY;
	}
	pthread_mutex_lock(&z->mu);
	en = &z->tokens[hash_fnv1a(key, strlen(key)) % AZ_SLOTS];
	if (en->key && strcmp(en->key, key) == 0 && en->expires > az_now()) {
		d = en->allowed ? AUTHZ_ALLOW : AUTHZ_DENY;
		if (en->allowed)
			*u = *en->user;
	}
	pthread_mutex_unlock(&z->mu);
	free(key);
	return d;
}

struct authz *authz_new(struct kube_client *k, struct kube_client *tk,
			int64_t ttl_ms, struct err *e)
{
	struct authz *z = calloc(1, sizeof(*z));

	if (!z) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	z->k = k;
	z->tk = tk ? tk : k;
	z->ttl_ms = ttl_ms;
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	return z;
}

int authz_start(struct authz *z, struct err *e)
{
	if (z->running)
		return err_set(e, ERR_STATE, "authorization threads already "
			       "running");
	if (!z->k && !z->tk)
		return 0; /* nothing to ask: no thread */
	pthread_mutex_lock(&z->mu);
	z->stop = false; /* after an authz_stop: park requests again */
	pthread_mutex_unlock(&z->mu);
	while (z->running < AZ_WORKERS) {
		if (pthread_create(&z->th[z->running], NULL, az_main, z)) {
			authz_stop(z); /* the ones started, and parked requests */
			return err_set(e, ERR_IO, "cannot start the "
				       "authorization threads");
		}
		z->running++;
	}
	return 0;
}

void authz_stop(struct authz *z)
{
	struct az_waiter *all = NULL;

	if (!z)
		return;
	pthread_mutex_lock(&z->mu);
	z->stop = true;
	pthread_cond_broadcast(&z->cv);
	while (z->queue) {
		struct az_job *j = z->queue;
		z->queue = j->next;
		while (j->waiters) {
			struct az_waiter *w = j->waiters;
			j->waiters = w->next;
			w->next = all;
			all = w;
		}
		free(j->key);
		free(j->body);
		free(j);
	}
	pthread_mutex_unlock(&z->mu);
	az_wake(all);
	while (z->running) /* each finishes the review it is on */
		pthread_join(z->th[--z->running], NULL);
}

void authz_free(struct authz *z)
{
	if (!z)
		return;
	authz_stop(z);
	for (size_t i = 0; i < AZ_SLOTS; i++) {
		free(z->cache[i].key);
		free(z->tokens[i].key);
		free(z->tokens[i].user);
	}
	pthread_cond_destroy(&z->cv);
	pthread_mutex_destroy(&z->mu);
	free(z);
}

uint64_t authz_reviews(struct authz *z)
{
	uint64_t n;

	pthread_mutex_lock(&z->mu);
	n = z->reviews;
	pthread_mutex_unlock(&z->mu);
	return n;
}

void authz_forbidden_message(const struct authn_user *u,
			     const struct authz_attrs *a, const char *reason,
			     char *out, size_t n)
{
	int k;

	if (a->resource)
		k = snprintf(out, n, "%s.%s \"%s\" is forbidden: User \"%s\" "
			     "cannot %s resource \"%s%s%s\" in API group \"%s\"%s%s%s",
			     a->resource_name, a->group, a->name, u->name, a->verb,
			     a->resource_name, a->subresource[0] ? "/" : "",
			     a->subresource, a->group,
			     a->ns[0] ? " in the namespace \"" : " at the cluster scope",
			     a->ns, a->ns[0] ? "\"" : "");
	else
		k = snprintf(out, n, "forbidden: User \"%s\" cannot %s path \"%s\"",
			     u->name, a->verb, a->path);
	if (k > 0 && (size_t)k < n && reason && *reason)
		snprintf(out + k, n - (size_t)k, ": %s", reason);
}
