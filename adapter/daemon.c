/*
 * daemon.c - start, serve, stop (see daemon.h).
 */
#include "adapter/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/jget.h"
#include "common/log.h"
#include "common/str.h"
#include "adapter/serve/api.h"
#include "adapter/auth/authn.h"
#include "adapter/auth/authz.h"
#include "adapter/auth/certwatch.h"
#include "adapter/collect/config.h"
#include "adapter/collect/discovery.h"
#include "adapter/collect/jobmgr.h"
#include "adapter/kube/informer.h"
#include "adapter/kube/kube.h"
#include "adapter/serve/httpd.h"
#include "adapter/collect/scrape.h"
#include "adapter/kube/lease.h"
#include "adapter/serve/selfmetrics.h"
#include "adapter/sync/sync.h"
#include "adapter/collect/store.h"
#include "adapter/collect/targets.h"
#include "adapter/serve/tlsgen.h"

struct daemon {
	const struct adapter_opts *o;
	struct adapter_config config;
	struct target_list targets;
	/* one Kubernetes client per kubeconfig (a client serves any number
	 * of threads): --kubeconfig or in-cluster for discovery, the sync
	 * controller, the Lease and the CA ConfigMap (and the reviews,
	 * unless they have their own) */
	struct kube_config kcfg;
	struct kube_client *kube;
	struct kube_config acfg; /* reviews: --authorization-kubeconfig, or */
	struct kube_client *akube; /* the cluster's without discovery */
	struct kube_config tcfg; /* TokenReviews: --authentication-kubeconfig */
	struct kube_client *tkube;
	struct discovery *disc;
	struct lease *lease;
	struct sync *sync;
	struct authn *authn;
	struct authz *authz;
	struct buf rh_ca, client_ca, trust;
	char *allowed;
	struct kube_client *cm_kube; /* reads the CA ConfigMap; NULL: not */
	struct informer *cm_inf;     /* and watches it */
	struct certwatch *certw;     /* reloads --tls-cert-file on change */
	pthread_mutex_t tls_mu;      /* one httpd_set_cert / _trust at once */
	struct ex_spec *spec;
	struct store *store;
	struct scraper *scraper;
	struct jobmgr *jm;
	struct selfmetrics *sm;
	struct api_ctx api;
	struct httpd *httpd;
	struct buf cert, key;
	struct delegate *delegate;
};

static bool d_ready(void *ud)
{
	struct daemon *d = ud;
	struct scrape_stats st;
	int64_t synced = d->disc ? discovery_synced_at(d->disc) : 0;

	/* a round has finished that began with the discovered targets */
	scraper_get_stats(d->scraper, &st);
	if (d->disc)
		return synced && st.rounds > 0 && st.last_start_ms >= synced;
	return st.rounds > 0;
}

static int d_self_metrics(void *ud, struct buf *out)
{
	struct daemon *d = ud;

	int rc = selfmetrics_write(d->sm, d->scraper, d->store, out);

	if (!rc)
		rc = jobmgr_metrics(d->jm, out);
	if (!rc)
		rc = delegate_metrics(d->delegate, out);
	return rc ? rc : sync_metrics(d->sync, out);
}


static int d_tls(struct daemon *d, struct err *e)
{
	const struct adapter_opts *o = d->o;
	int rc;

	buf_init(&d->cert, 1024 * 1024);
	buf_init(&d->key, 1024 * 1024);
	if (o->insecure)
		return 0;
	if (!o->cert_file != !o->key_file)
		return err_set(e, ERR_INVAL, "--tls-cert-file and "
			       "--tls-private-key-file go together");
	if (!o->cert_file) {
		log_info("no --tls-cert-file: serving with a self-signed "
			 "certificate");
		return tlsgen_self_signed(NULL, &d->cert, &d->key, e);
	}
	rc = buf_add_file(&d->cert, o->cert_file, e);
	return rc ? rc : buf_add_file(&d->key, o->key_file, e);
}

/* Register the targets' pods in the store, hand them to the scraper and
 * their jobs to the JobManager poller. */
static int d_targets(struct daemon *d, struct err *e)
{
	struct scrape_target *st = calloc(d->targets.n + 1, sizeof(*st));
	struct jm_target *jt = calloc(d->targets.n + 1, sizeof(*jt));
	size_t nj = 0;
	int rc = 0;

	if (!st || !jt) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto free_lists;
	}
	for (size_t i = 0; i < d->targets.n && !rc; i++) {
		const struct target *t = &d->targets.v[i];
		struct store_pod_meta m = { t->ns, t->pod, t->deployment,
					    t->job,
					    (const char *const *)t->labels };
		rc = store_upsert_pod(d->store, &m, e);
		st[i] = (struct scrape_target){ t->ns, t->pod, t->url,
						t->cpu_request };
		if (t->jobmanager)
			jt[nj++] = (struct jm_target){ .ns = t->ns,
				.deployment = t->deployment, .job = t->job,
				.url = t->jobmanager };
	}
	if (!rc)
		rc = scraper_set_targets(d->scraper, st, d->targets.n, e);
	if (!rc)
		rc = jobmgr_set_targets(d->jm, jt, nj, e);
free_lists:
	free(st);
	free(jt);
	return rc;
}

/* Targets from the Kubernetes API. */
static int d_discover(struct daemon *d, struct err *e)
{
	struct disc_opts dop = { d->o->watch_namespace, d->o->pod_selector,
				 300 };

	d->kube = kube_client_new(&d->kcfg, e);
	if (!d->kube)
		return e->code;
	d->disc = discovery_new(d->kube, &dop, d->store, d->scraper, d->jm, e);
	if (!d->disc)
		return e->code;
	log_info("discovering TaskManager pods (%s) in %s through %s",
		 d->o->pod_selector, d->o->watch_namespace
					     ? d->o->watch_namespace
					     : "all namespaces",
		 d->kcfg.server);
	return discovery_start(d->disc, e);
}

/* This replica's name in the Lease: host name and a random suffix. */
static void d_identity(char *out, size_t n)
{
	char host[128] = "flinkhpa-adapter";
	unsigned r = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (f) {
		if (fread(&r, sizeof(r), 1, f) != 1)
			r = (unsigned)getpid();
		fclose(f);
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(out, n, "%s_%08x", host, r);
}

const char *daemon_lease_namespace(const char *flag,
				   const struct kube_config *c)
{
	if (flag)
		return flag;
	if (c->in_cluster && c->namespace && *c->namespace)
		return c->namespace;
	return DAEMON_LEASE_NS;
}

/* The parallelism sync controller, behind the Lease. */
static int d_sync(struct daemon *d, struct err *e)
{
	const struct adapter_opts *o = d->o;
	struct sync_opts so = { o->watch_namespace, NULL, o->sync_period_ms,
				o->sync_settle_ms, o->sync_min_interval_ms,
				o->sync_timeout_ms, 5000 };
	char id[256];
	struct lease_opts lo = { daemon_lease_namespace(o->leader_ns, &d->kcfg),
				 "flinkhpa-sync", id, 15, 10, 2 };

	if (!o->sync || !d->kube)
		return 0;
	if (o->leader_id)
		str_lcpy(id, o->leader_id, sizeof(id));
	else
		d_identity(id, sizeof(id));
	if (o->leader_elect) {
		if (!(d->lease = lease_new(d->kube, &lo, e)) ||
		    lease_start(d->lease, e))
			return e->code;
		log_info("sync controller: leader election on Lease %s/%s as %s",
			 lo.ns, lo.name, id);
	}
	if (!(d->sync = sync_new(d->kube, d->lease, &so, e)))
		return e->code;
	return sync_start(d->sync, e);
}

static int d_start_scraping(struct daemon *d, struct err *e)
{
	const struct adapter_opts *o = d->o;
	struct scrape_opts so = { o->interval_ms, o->timeout_ms,
				  (size_t)o->max_page, (size_t)o->max_series };
	int64_t stale = o->stale_ms ? o->stale_ms : 3 * o->interval_ms;
	struct jm_opts jo = { o->interval_ms, 0, 1024 * 1024 };

	if (!so.timeout_ms)
		so.timeout_ms = o->interval_ms - 1000 >= 500
					? o->interval_ms - 1000 : 500;
	if (so.timeout_ms > so.interval_ms)
		return err_set(e, ERR_INVAL, "--scrape-timeout must not exceed "
			       "--scrape-interval");
	jo.timeout_ms = so.timeout_ms;
	d->spec = ex_spec_new(d->config.rules, d->config.nrules, e);
	if (!d->spec)
		return e->code;
	d->store = store_new(d->spec, stale);
	if (!d->store)
		return err_set(e, ERR_NOMEM, "out of memory");
	d->scraper = scraper_new(&so, d->spec, d->store, e);
	if (!d->scraper)
		return e->code ? e->code : ERR_NOMEM;
	d->jm = jobmgr_new(&jo, d->store, e);
	if (!d->jm)
		return e->code ? e->code : ERR_NOMEM;
	if (o->targets_file ? d_targets(d, e) : d_discover(d, e))
		return e->code ? e->code : ERR_NOMEM;
	if (jobmgr_start(d->jm, e))
		return e->code;
	return scraper_start(d->scraper, e);
}

/* ---- authentication and authorization ---- */

/* A ConfigMap key holding a JSON list of strings, as a comma list into
 * *out (caller frees); ERR_LIMIT past 64 KiB. */
static int d_json_list(const char *text, char **out, struct err *e)
{
	json_object *a = text ? json_tokener_parse(text) : NULL;
	struct buf b = BUF_INIT(64 * 1024);
	int rc = 0;

	for (size_t i = 0; !rc && a && json_object_is_type(a, json_type_array) &&
			   i < json_object_array_length(a); i++)
		rc = buf_addf(&b, "%s%s", i ? "," : "", json_object_get_string(
				      json_object_array_get_idx(a, i)));
	json_object_put(a);
	if (!rc && !(*out = buf_detach(&b, NULL)))
		rc = ERR_NOMEM;
	buf_release(&b);
	return rc ? err_set(e, rc, "requestheader-allowed-names: %s",
			    err_code_name(rc)) : 0;
}

#define AUTH_CM_NAME "extension-apiserver-authentication"
#define AUTH_CM "/api/v1/namespaces/kube-system/configmaps/" AUTH_CM_NAME

/* from, or else the ConfigMap's key, into out. */
static int d_ca(const struct buf *from, bool flag, json_object *data,
		const char *key, struct buf *out, struct err *e)
{
	const char *v = jget_str(data, key);
	int rc = flag ? buf_add(out, from->p ? from->p : "", from->len)
		      : v ? buf_adds(out, v) : 0;

	return rc ? err_set(e, rc, "%s: %s", key, err_code_name(rc)) : 0;
}

/* The CAs as the ConfigMap's data gives them, where no flag set them
 * (*allowed NULL: any name). */
static int d_auth_from_data(struct daemon *d, json_object *data,
			    struct buf *rh, struct buf *client,
			    char **allowed, struct err *e)
{
	int rc;

	*allowed = NULL;
	if ((rc = d_ca(&d->rh_ca, d->o->rh_ca_file, data,
		       "requestheader-client-ca-file", rh, e)) ||
	    (rc = d_ca(&d->client_ca, d->o->client_ca_file, data,
		       "client-ca-file", client, e)))
		return rc;
	if (!d->o->rh_allowed)
		return d_json_list(jget_str(data, "requestheader-allowed-names"),
				   allowed, e);
	if (!(*allowed = str_dup(d->o->rh_allowed)))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

/* rh and client, one after the other, into trust. */
static int d_trust(const struct buf *rh, const struct buf *client,
		   struct buf *trust, struct err *e)
{
	int rc = buf_add(trust, rh->p ? rh->p : "", rh->len);

	if (!rc)
		rc = buf_add(trust, client->p ? client->p : "", client->len);
	return rc ? err_set(e, rc, "the CAs: %s", err_code_name(rc)) : 0;
}

/* kube-system/extension-apiserver-authentication, as kube-apiserver
 * publishes its front-proxy and client CAs; flags given win. */
static void d_auth_lookup(struct daemon *d, struct kube_client *k)
{
	struct buf rh = BUF_INIT(1 << 20), client = BUF_INIT(1 << 20);
	json_object *cm = NULL, *data;
	char *allowed = NULL;
	struct err e;
	long status;

	err_clear(&e);
	if (kube_request(k, "GET", AUTH_CM, NULL, &status, &cm, &e) ||
	    status != 200 || !json_object_object_get_ex(cm, "data", &data)) {
		log_warn("cannot read kube-system/extension-apiserver-"
			 "authentication (%s%ld): front-proxy requests will "
			 "be anonymous until it can be read",
			 e.msg[0] ? e.msg : "HTTP ", status);
		json_object_put(cm);
		return;
	}
	if (d_auth_from_data(d, data, &rh, &client, &allowed, &e)) {
		log_warn("kube-system/extension-apiserver-authentication: %s: "
			 "front-proxy requests will be anonymous until it can "
			 "be read", e.msg);
		buf_release(&rh);
		buf_release(&client);
		free(allowed);
		json_object_put(cm);
		return;
	}
	buf_release(&d->rh_ca);
	buf_release(&d->client_ca);
	d->rh_ca = rh;
	d->client_ca = client;
	free(d->allowed);
	d->allowed = allowed;
	json_object_put(cm);
}

static bool d_same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (!a->len || memcmp(a->p, b->p, a->len) == 0);
}

/* The ConfigMap changed (or was read again): apply new CAs, if any. */
static void d_auth_update(struct daemon *d, json_object *cm)
{
	struct buf rh = BUF_INIT(1 << 20), client = BUF_INIT(1 << 20);
	struct buf trust = BUF_INIT(2 << 20);
	json_object *data;
	char *allowed = NULL;
	struct err e;

	err_clear(&e);
	if (!json_object_object_get_ex(cm, "data", &data))
		return;
	if (d_auth_from_data(d, data, &rh, &client, &allowed, &e) ||
	    d_trust(&rh, &client, &trust, &e)) {
		log_error("new authentication CAs not read, keeping the old "
			  "ones: %s", e.msg);
		free(allowed);
		goto out;
	}
	if (d_same(&rh, &d->rh_ca) && d_same(&client, &d->client_ca) &&
	    !strcmp(allowed ? allowed : "", d->allowed ? d->allowed : "")) {
		free(allowed);
		goto out;
	}
	if (authn_set_cas(d->authn, &(struct authn_cas){ buf_str(&rh),
			  buf_str(&client), allowed }, &e)) {
		log_error("new authentication CAs refused, keeping the old "
			  "ones: %s", e.msg);
		free(allowed);
		goto out;
	}
	pthread_mutex_lock(&d->tls_mu);
	if (!d_same(&trust, &d->trust) && httpd_set_trust(d->httpd, buf_str(&trust), &e))
		log_error("TLS layer keeps the old CAs: %s", e.msg);
	pthread_mutex_unlock(&d->tls_mu);
	log_info("extension-apiserver-authentication changed: front-proxy "
		 "and client CAs reloaded");
	buf_release(&d->rh_ca);
	buf_release(&d->client_ca);
	buf_release(&d->trust);
	d->rh_ca = rh;
	d->client_ca = client;
	d->trust = trust;
	free(d->allowed);
	d->allowed = allowed;
	return;
out:
	buf_release(&rh);
	buf_release(&client);
	buf_release(&trust);
}

static void d_cm_upsert(void *ud, json_object *cm)
{
	d_auth_update(ud, cm);
}

static void d_cm_remove(void *ud, const char *ns, const char *name)
{
	(void)ud;
	log_warn("%s/%s deleted: the CAs read last stay", ns, name);
}

/* Watch the ConfigMap with an informer (list, then watch, again when a
 * watch ends), once the server runs. */
static int d_cm_watch(struct daemon *d, struct err *e)
{
	struct informer_opts io = { "the authentication ConfigMap", "/api/v1",
				    "configmaps", "kube-system", NULL, 300,
				    "metadata.name=" AUTH_CM_NAME };
	struct informer_handlers h = { d, d_cm_upsert, d_cm_remove, NULL };

	if (!d->cm_kube)
		return 0;
	if (!(d->cm_inf = informer_new(d->cm_kube, &io, &h, e)))
		return e->code;
	return informer_start(d->cm_inf, e);
}

/* The client for reviews: its own kubeconfig, else discovery's, else
 * --kubeconfig or in-cluster; NULL when there is none. */
static struct kube_client *d_authz_client(struct daemon *d, struct err *e)
{
	const struct adapter_opts *o = d->o;
	const char *path = o->authz_kubeconfig ? o->authz_kubeconfig
					       : o->kubeconfig;

	if (d->kube && !o->authz_kubeconfig)
		return d->kube;
	if (!path && !getenv("KUBERNETES_SERVICE_HOST"))
		return NULL;
	if (kube_config_load(path, &d->acfg, e))
		return NULL;
	d->akube = kube_client_new(&d->acfg, e);
	return d->akube;
}

static int d_auth(struct daemon *d, struct err *e)
{
	const struct adapter_opts *o = d->o;
	struct kube_client *k;
	int rc = 0;

	buf_init(&d->rh_ca, 1 << 20);
	buf_init(&d->client_ca, 1 << 20);
	buf_init(&d->trust, 2 << 20);
	if (o->insecure)
		return 0;
	if (o->rh_ca_file)
		rc = buf_add_file(&d->rh_ca, o->rh_ca_file, e);
	if (!rc && o->client_ca_file)
		rc = buf_add_file(&d->client_ca, o->client_ca_file, e);
	if (rc)
		return rc;
	if (o->rh_allowed && !(d->allowed = str_dup(o->rh_allowed)))
		return err_set(e, ERR_NOMEM, "out of memory");
	k = d_authz_client(d, e);
	if (!k && e->code)
		return e->code;
	if (k && !o->skip_lookup && (!o->rh_ca_file || !o->client_ca_file)) {
		d_auth_lookup(d, k);
		d->cm_kube = k; /* watched once the server runs */
	}
	d->authn = authn_new(&(struct authn_cas){ buf_str(&d->rh_ca),
						  buf_str(&d->client_ca),
						  d->allowed }, e);
	if (!d->authn)
		return e->code;
	if ((rc = d_trust(&d->rh_ca, &d->client_ca, &d->trust, e)))
		return rc;
	if (o->authn_kubeconfig &&
	    (kube_config_load(o->authn_kubeconfig, &d->tcfg, e) ||
	     !(d->tkube = kube_client_new(&d->tcfg, e))))
		return e->code;
	d->authz = authz_new(k, d->tkube, o->authz_ttl_ms, e);
	if (!d->authz || authz_start(d->authz, e))
		return e->code;
	log_info("authentication: front-proxy CA %s (allowed names: %s), "
		 "client CA %s; authorization: %s", d->rh_ca.len ? "set" : "none",
		 d->allowed && *d->allowed ? d->allowed : "any",
		 d->client_ca.len ? "set" : "none",
		 k ? "SubjectAccessReview" : "system:masters only (no Kubernetes API)");
	return 0;
}

/* ---- serving certificate files ---- */

static int d_set_cert(void *ud, const char *cert, const char *key,
		      struct err *e)
{
	struct daemon *d = ud;
	int rc;

	pthread_mutex_lock(&d->tls_mu);
	rc = httpd_set_cert(d->httpd, cert, key, e);
	pthread_mutex_unlock(&d->tls_mu);
	return rc;
}

/* Reload --tls-cert-file and its key when they change. */
static int d_cert_watch(struct daemon *d, struct err *e)
{
	const struct adapter_opts *o = d->o;

	if (!o->cert_file || o->insecure)
		return 0;
	if (!(d->certw = certwatch_new(o->cert_file, o->key_file, 10000,
				       d_set_cert, d, e)))
		return e->code;
	return certwatch_start(d->certw, e);
}

static int d_serve(struct daemon *d, struct err *e)
{
	const struct adapter_opts *o = d->o;
	struct httpd_opts ho = { o->bind, (int)o->port, !o->insecure,
				 buf_str(&d->cert), buf_str(&d->key),
				 (unsigned)o->threads, 4096, buf_str(&d->trust),
				 d->authn, d->authz, NULL };

	d->sm = selfmetrics_new();
	if (!d->sm)
		return err_set(e, ERR_NOMEM, "out of memory");
	d->delegate = delegate_new(&o->delegate, e); /* NULL: none asked */
	if ((!d->delegate && e->code) ||
	    (d->delegate && delegate_start(d->delegate, e)))
		return e->code;
	ho.delegate = d->delegate;
	d->api = (struct api_ctx){ d->store, d->spec, o->interval_ms / 1000,
				   d_ready, d_self_metrics, d, NULL,
				   d->delegate };
	d->httpd = httpd_start(&ho, &d->api, d->sm, e);
	if (!d->httpd) /* its socket, its TLS keys or one of its threads */
		return err_prefix(e, "the API server (libmicrohttpd, %u "
				  "threads, and a connection reaper): ",
				  ho.threads);
	if (d_cm_watch(d, e) || d_cert_watch(d, e))
		return e->code;
	if (o->insecure)
		log_warn("INSECURE DEMO MODE: plain HTTP on %s:%d, no TLS, no "
			 "authentication, no authorization. Never use "
			 "--insecure-demo in a cluster.", o->bind,
			 httpd_port(d->httpd));
	log_info("serving custom.metrics.k8s.io and external.metrics.k8s.io "
		 "on %s://%s:%d, scraping TaskManagers every %llds",
		 o->insecure ? "http" : "https", o->bind, httpd_port(d->httpd),
		 (long long)(o->interval_ms / 1000));
	return 0;
}

/* Every thread, in the reverse order of their start (HACKING.md,
 * "Threads"): nothing acts on the cluster or the store after this. */
static void d_stop_threads(struct daemon *d)
{
	sync_stop(d->sync);   /* before the Lease is handed back */
	lease_stop(d->lease);
	certwatch_stop(d->certw);
	informer_stop(d->cm_inf);
	authz_stop(d->authz); /* resumes parked requests, denied */
	delegate_stop(d->delegate); /* resumes forwarded requests, 503 */
	httpd_stop(d->httpd);
	d->httpd = NULL;
	discovery_stop(d->disc); /* feeds the two below */
	jobmgr_stop(d->jm);
	scraper_stop(d->scraper);
}

static void d_stop(struct daemon *d)
{
	d_stop_threads(d);
	certwatch_free(d->certw);
	informer_free(d->cm_inf);
	delegate_free(d->delegate);
	authz_free(d->authz);
	authn_free(d->authn);
	kube_client_free(d->akube);
	kube_config_release(&d->acfg);
	kube_client_free(d->tkube);
	kube_config_release(&d->tcfg);
	buf_release(&d->rh_ca);
	buf_release(&d->client_ca);
	buf_release(&d->trust);
	free(d->allowed);
	sync_free(d->sync);
	lease_free(d->lease);
	discovery_free(d->disc);
	jobmgr_free(d->jm);
	scraper_free(d->scraper);
	kube_client_free(d->kube);
	kube_config_release(&d->kcfg);
	selfmetrics_free(d->sm);
	store_free(d->store);
	ex_spec_free(d->spec);
	targets_release(&d->targets);
	config_release(&d->config);
	buf_release(&d->cert);
	buf_release(&d->key);
}

/* The configuration and target files. */
static int d_files(struct daemon *d, const char **file, struct err *e)
{
	const struct adapter_opts *o = d->o;
	int rc;

	*file = o->config_file;
	if (o->config_file) {
		rc = config_load(o->config_file, &d->config, e);
		if (rc)
			return rc;
		log_info("%s: %zu custom rules", o->config_file,
			 d->config.nrules);
	}
	*file = o->targets_file ? o->targets_file : o->kubeconfig;
	rc = o->targets_file ? targets_load(o->targets_file, &d->targets, e)
			     : kube_config_load(o->kubeconfig, &d->kcfg, e);
	if (!rc)
		*file = NULL;
	return rc;
}

int daemon_run(const struct adapter_opts *o, const char **file,
	       struct err *e)
{
	struct daemon d;
	sigset_t set;
	int sig = 0, rc;

	memset(&d, 0, sizeof(d));
	d.o = o;
	pthread_mutex_init(&d.tls_mu, NULL);
	*file = NULL;
	rc = d_files(&d, file, e);
	if (rc) {
		d_stop(&d);
		pthread_mutex_destroy(&d.tls_mu);
		return rc;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit it */
	signal(SIGPIPE, SIG_IGN);
	rc = d_tls(&d, e);
	if (!rc)
		rc = d_start_scraping(&d, e);
	if (!rc)
		rc = d_auth(&d, e);
	if (!rc)
		rc = d_serve(&d, e);
	if (!rc)
		rc = d_sync(&d, e);
	if (!rc) {
		log_info("started: every thread runs");
		sigwait(&set, &sig);
		log_info("signal %d: shutting down", sig);
	}
	d_stop(&d);
	pthread_mutex_destroy(&d.tls_mu);
	return rc;
}
