/*
 * discovery.c - TaskManager pods from the Kubernetes API (see discovery.h).
 *
 * An informer (informer.h) lists and watches the pods; this file keeps a
 * hash table of the scrapeable ones (key ns/name: an event costs one chain,
 * not a walk over 10,000 pods).  Each event updates the store at once;
 * each batch of them (informer.h) hands the scraper and the JobManager
 * poller their new target lists.
 */
#include "adapter/collect/discovery.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jget.h"
#include "common/keytab.h"
#include "common/log.h"
#include "common/names.h"
#include "common/str.h"
#include "adapter/kube/informer.h"
#include "adapter/collect/targets.h"

/* Deployment owning the pod's ReplicaSet: the ReplicaSet's name without
 * the pod-template-hash suffix. */
static void disc_owner(json_object *meta, char *out, size_t n)
{
	json_object *refs = json_object_object_get(meta, "ownerReferences");
	const char *hash = jget_str(meta, "labels", "pod-template-hash");

	out[0] = '\0';
	if (!json_object_is_type(refs, json_type_array))
		refs = NULL; /* absent, or not what Kubernetes writes */
	for (size_t i = 0; refs && i < json_object_array_length(refs); i++) {
		json_object *r = json_object_array_get_idx(refs, i);
		const char *kind = jget_str(r, "kind");
		const char *name = jget_str(r, "name");
		size_t len, hl;

		if (!kind || !name || strcmp(kind, "ReplicaSet") != 0)
			continue;
		str_lcpy(out, name, n);
		len = strlen(out);
		hl = hash ? strlen(hash) : 0;
		if (hl && len > hl + 1 && strcmp(out + len - hl, hash) == 0 &&
		    out[len - hl - 1] == '-')
			out[len - hl - 1] = '\0';
		return;
	}
}

static double disc_cpu(json_object *pod)
{
	json_object *spec = json_object_object_get(pod, "spec");
	json_object *cs = spec ? json_object_object_get(spec, "containers") : NULL;
	double total = 0, c;

	if (!json_object_is_type(cs, json_type_array))
		return 0; /* absent, or not what Kubernetes writes */
	for (size_t i = 0; i < json_object_array_length(cs); i++) {
		const char *q = jget_str(json_object_array_get_idx(cs, i),
					 "resources", "requests", "cpu");
		if (q && targets_parse_cpu(q, &c) == 0)
			total += c;
	}
	return total;
}

static int disc_labels(json_object *meta, struct pod_target *t)
{
	json_object *l = json_object_object_get(meta, "labels");
	size_t k = 0;

	if (!l || !json_object_is_type(l, json_type_object))
		return 0;
	json_object_object_foreach(l, key, val) {
		if (k == 2 * DISC_MAX_LABELS)
			break;
		t->labels[k++] = str_dup(key);
		t->labels[k++] = str_dup(json_object_get_string(val));
		if (!t->labels[k - 1] || !t->labels[k - 2])
			return ERR_NOMEM;
	}
	return 0;
}

/* Copy v for a log line: at most 40 printable ASCII characters. */
static void disc_show(char *out, size_t n, const char *v)
{
	size_t i;

	for (i = 0; v[i] && i < 40 && i + 1 < n; i++)
		out[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	out[i] = '\0';
}

static bool disc_port_ok(const char *port)
{
	int64_t v;

	return str_parse_i64(port, strlen(port), &v, NULL) == 0 && v >= 1 &&
	       v <= 65535 && port[0] >= '0' && port[0] <= '9';
}

/* A URL path and optional query as RFC 3986 allows them: unreserved and
 * sub-delimiter characters, ':', '@', '/', '?' and %HH (not %00). */
static bool disc_path_ok(const char *path)
{
	static const char *extra = "-._~!$&'()*+,;=:@/?";

	for (const char *c = path; *c; c++) {
		if (*c == '%') {
			if (!isxdigit((unsigned char)c[1]) ||
			    !isxdigit((unsigned char)c[2]) ||
			    (c[1] == '0' && c[2] == '0'))
				return false;
			c += 2;
		} else if (!isalnum((unsigned char)*c) && !strchr(extra, *c)) {
			return false;
		}
	}
	return *path != '\0' && strlen(path) < 256;
}

/* Fills t->bad when the port or path annotation cannot make a URL. */
static bool disc_annotations_ok(const char *port, const char *path,
				struct pod_target *t)
{
	char v[48];

	if (port && !disc_port_ok(port)) {
		disc_show(v, sizeof(v), port);
		snprintf(t->bad, sizeof(t->bad), "annotation " FH_ANN_METRICS_PORT
			 " \"%s\" is not a port number (1-65535)", v);
	} else if (path && !disc_path_ok(path)) {
		disc_show(v, sizeof(v), path);
		snprintf(t->bad, sizeof(t->bad), "annotation " FH_ANN_METRICS_PATH
			 " \"%s\" is not a URL path", v);
	}
	return t->bad[0] == '\0';
}

/* A number annotation (0 when absent or not a number >= 0). */
static double disc_num(json_object *meta, const char *key)
{
	const char *s = jget_str(meta, "annotations", key);
	char *end;
	double v;

	if (!s)
		return 0;
	v = strtod(s, &end);
	return end == s || *end || !(v >= 0) || v > 1e9 ? 0 : v;
}

/* The parameters a throughput rule left on the pod (flinkhpa-gen). */
static void disc_tput(json_object *meta, struct jm_tput *tp)
{
	tp->utilization = disc_num(meta, FH_ANN_TPUT_UTILIZATION);
	tp->catch_up_s = disc_num(meta, FH_ANN_TPUT_CATCH_UP);
	tp->restart_s = disc_num(meta, FH_ANN_TPUT_RESTART);
	tp->slots = (int)disc_num(meta, FH_ANN_SLOTS);
	tp->min_tms = (int)disc_num(meta, FH_ANN_MIN_REPLICAS);
	tp->max_tms = (int)disc_num(meta, FH_ANN_MAX_REPLICAS);
}

int disc_pod_target(json_object *pod, struct pod_target *t)
{
	json_object *meta = json_object_object_get(pod, "metadata");
	const char *ns = jget_str(meta, "namespace");
	const char *name = jget_str(meta, "name");
	const char *ip = jget_str(pod, "status", "podIP");
	const char *phase = jget_str(pod, "status", "phase");
	const char *port = jget_str(meta, "annotations", FH_ANN_METRICS_PORT);
	const char *path = jget_str(meta, "annotations", FH_ANN_METRICS_PATH);
	const char *job = jget_str(meta, "annotations", FH_ANN_JOB_NAME);
	const char *jm = jget_str(meta, "annotations", FH_ANN_JOBMANAGER);

	memset(t, 0, sizeof(*t));
	if (!ns || !name)
		return ERR_INVAL;
	str_lcpy(t->ns, ns, sizeof(t->ns));
	str_lcpy(t->name, name, sizeof(t->name));
	if (!ip || !*ip || !phase || strcmp(phase, "Running") != 0 ||
	    json_object_object_get(meta, "deletionTimestamp"))
		return ERR_NOTFOUND;
	if (!disc_annotations_ok(port, path, t))
		return ERR_INVAL;
	snprintf(t->url, sizeof(t->url), strchr(ip, ':') ? "http://[%s]:%s%s%s"
							: "http://%s:%s%s%s",
		 ip, port ? port : "9249", path && *path == '/' ? "" : "/",
		 path ? path : "metrics");
	str_lcpy(t->job, job ? job : "", sizeof(t->job));
	if (jm && (strncmp(jm, "http://", 7) == 0 ||
		   strncmp(jm, "https://", 8) == 0))
		str_lcpy(t->jobmanager, jm, sizeof(t->jobmanager));
	disc_owner(meta, t->deployment, sizeof(t->deployment));
	disc_tput(meta, &t->tput);
	t->cpu = disc_cpu(pod);
	return disc_labels(meta, t);
}

void disc_pod_target_release(struct pod_target *t)
{
	for (size_t i = 0; t->labels[i]; i++)
		free(t->labels[i]);
	t->labels[0] = NULL;
}

/* ---- the pods in view ---- */

struct dpod {
	struct keytab_node node; /* its key: t.ns and t.name */
	struct pod_target t;
};

#define DPOD(n) keytab_entry(n, struct dpod, node)
#define DISC_PER_CHAIN 2 /* the chains double when pods outnumber them twice */

struct discovery {
	struct informer *inf;
	struct store *st;
	struct scraper *sc;
	struct jobmgr *jm;
	struct keytab pods; /* of struct dpod */
};

static void disc_push(struct discovery *d)
{
	struct scrape_target *t = calloc(d->pods.count + 1, sizeof(*t));
	struct jm_target *j = calloc(d->pods.count + 1, sizeof(*j));
	size_t n = 0, nj = 0;
	struct keytab_iter it;
	struct keytab_node *node;
	struct err e;

	if (!t || !j) {
		log_error("discovery: out of memory");
		goto free_lists;
	}
	keytab_iter_init(&it, &d->pods);
	while ((node = keytab_next(&it))) {
		struct dpod *p = DPOD(node);

		if (p->t.bad[0])
			continue;
		t[n++] = (struct scrape_target){ p->t.ns, p->t.name, p->t.url,
						 p->t.cpu };
		if (p->t.jobmanager[0]) /* jobmgr folds duplicates */
			j[nj++] = (struct jm_target){ p->t.ns, p->t.deployment,
						      p->t.job, p->t.jobmanager,
						      p->t.tput };
	}
	err_clear(&e);
	if (scraper_set_targets(d->sc, t, n, &e) ||
	    (d->jm && jobmgr_set_targets(d->jm, j, nj, &e)))
		log_error("discovery: %s", e.msg);
free_lists:
	free(t);
	free(j);
}

static void disc_forget(struct discovery *d, struct keytab_node **slot)
{
	struct dpod *p = DPOD(*slot);

	keytab_unlink(&d->pods, slot);
	store_remove_pod(d->st, p->t.ns, p->t.name);
	log_v(1, "discovery: %s/%s is no longer scraped", p->t.ns, p->t.name);
	disc_pod_target_release(&p->t);
	free(p);
}

/* t into the pod at slot, or into a new one put there (h: the key's
 * hash); false when out of memory.  t is the table's or released. */
static bool disc_keep(struct discovery *d, struct keytab_node **slot,
		      uint32_t h, struct pod_target *t)
{
	struct dpod *p;

	if (*slot) {
		p = DPOD(*slot);
		disc_pod_target_release(&p->t);
		p->t = *t; /* the same key: node.ns and node.name still hold */
		return true;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		disc_pod_target_release(t);
		return false;
	}
	p->t = *t;
	p->node.ns = p->t.ns;
	p->node.name = p->t.name;
	keytab_insert(&d->pods, slot, &p->node, h);
	return true;
}

/* A pod whose annotations make no URL: kept in the table, not scraped,
 * reported once (again only when the reason changes). */
static bool disc_bad(struct discovery *d, struct keytab_node **slot,
		     uint32_t h, struct pod_target *t)
{
	struct dpod *p = *slot ? DPOD(*slot) : NULL;

	if (!p || strcmp(p->t.bad, t->bad) != 0)
		log_warn("discovery: pod %s/%s is not scraped: %s", t->ns,
			 t->name, t->bad);
	if (p && !p->t.bad[0])
		store_remove_pod(d->st, p->t.ns, p->t.name);
	return disc_keep(d, slot, h, t);
}

/* A pod was added or changed: scrape it if it can be, else forget it. */
static bool disc_update(struct discovery *d, json_object *pod)
{
	struct pod_target t;
	struct keytab_node **slot;
	uint32_t h;
	int rc = disc_pod_target(pod, &t);
	struct store_pod_meta m = { t.ns, t.name, t.deployment[0] ? t.deployment : NULL,
				    t.job[0] ? t.job : NULL,
				    (const char *const *)t.labels };

	keytab_grow(&d->pods);
	slot = keytab_slot(&d->pods, t.ns, t.name, &h);
	if (rc == ERR_INVAL && t.bad[0])
		return disc_bad(d, slot, h, &t);
	if (rc) {
		disc_pod_target_release(&t);
		if (*slot)
			disc_forget(d, slot);
		return rc == ERR_NOTFOUND;
	}
	if (store_upsert_pod(d->st, &m, NULL)) {
		disc_pod_target_release(&t);
		return false;
	}
	return disc_keep(d, slot, h, &t);
}

static void disc_upsert(void *ud, json_object *pod)
{
	disc_update(ud, pod);
}

static void disc_remove(void *ud, const char *ns, const char *name)
{
	struct discovery *d = ud;
	struct keytab_node **slot = keytab_slot(&d->pods, ns, name, NULL);

	if (*slot)
		disc_forget(d, slot);
}

static void disc_changed(void *ud, bool listed)
{
	struct discovery *d = ud;

	if (listed)
		log_v(1, "discovery: %zu TaskManager pods", d->pods.count);
	disc_push(d);
}

struct discovery *discovery_new(struct kube_client *k,
				const struct disc_opts *o, struct store *st,
				struct scraper *sc, struct jobmgr *jm,
				struct err *e)
{
	struct discovery *d = calloc(1, sizeof(*d));
	struct informer_opts io = {
		"discovery", "/api/v1", "pods", o->ns,
		o->selector ? o->selector : FH_DEFAULT_SELECTOR,
		o->resync_s, NULL };
	struct informer_handlers h = { d, disc_upsert, disc_remove,
				       disc_changed };

	if (!d || keytab_init(&d->pods, DISC_PER_CHAIN, KEYTAB_MAX_BUCKETS)) {
		free(d); /* a failed keytab_init holds nothing */
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	d->st = st;
	d->sc = sc;
	d->jm = jm;
	if (!(d->inf = informer_new(k, &io, &h, e))) {
		keytab_release(&d->pods);
		free(d);
		return NULL;
	}
	return d;
}

int discovery_start(struct discovery *d, struct err *e)
{
	return informer_start(d->inf, e);
}

void discovery_stop(struct discovery *d)
{
	if (d)
		informer_stop(d->inf);
}

int64_t discovery_synced_at(struct discovery *d)
{
	return informer_synced_at(d->inf);
}

void discovery_free(struct discovery *d)
{
	struct keytab_iter it;
	struct keytab_node *n;

	if (!d)
		return;
	discovery_stop(d);
	informer_free(d->inf);
	keytab_iter_init(&it, &d->pods);
	while ((n = keytab_next(&it))) {
		struct dpod *p = DPOD(n);

		keytab_iter_unlink(&it);
		disc_pod_target_release(&p->t);
		free(p);
	}
	keytab_release(&d->pods);
	free(d);
}
