/*
 * store.c - the in-memory pod and value table (see store.h).
 *
 * Pods live in a chained hash table keyed by namespace and name, and in a
 * list for walks, newest (last upserted) first.  The label index: one
 * posting list per namespace, label key and value, holding the pods that
 * carry that pair in the order of the pod list (a pod enters every list at
 * the head when upserted, as it enters the pod list), so that a walk over
 * a posting list visits a subset of the pods in the full walk's order.
 * Each pod owns one link per label; a posting list lives while it has
 * pods.  One rwlock guards everything: writers (discovery, one scrape
 * completion) hold it for a copy and the index update; readers for one
 * walk.
 */
#include "adapter/collect/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/str.h"
#include "common/hash.h"

#define STORE_BUCKETS 4096
#define STORE_POST_BUCKETS0 1024

struct store_part {
	char job[EX_JOB_NAME_MAX];
	double v[CAT_N];
	bool has[CAT_N];
	struct ex_acc *custom; /* nrules; n == 0: no value */
};

struct store_pod;
struct store_post;

/* A pod's place in the posting list of one of its labels (post NULL: the
 * label repeats a key: only a key's first value is indexed). */
struct store_ilink {
	struct store_post *post;
	struct store_pod *pod;
	struct store_ilink *prev, *next;
};

/* The pods of namespace ns with label key=value, newest first. */
struct store_post {
	struct store_post *hnext;
	uint32_t hash;
	size_t n;
	struct store_ilink *head;
	const char *key, *value; /* in ns[], after the namespace's NUL */
	char ns[];
};

struct store_pod {
	char *ns, *name, *deployment, *job;
	char **labels; /* k, v, ..., NULL */
	struct store_ilink *ilinks; /* one per label pair */
	size_t nlabels;
	int64_t at_ms; /* last scrape, 0: never */
	bool has[CAT_N]; /* before v: a walk reads at_ms, has[m] and v[m] */
	double v[CAT_N];
	struct ex_acc *custom; /* nrules */
	struct store_part part[EX_MAX_JOBS];
	size_t nparts;
	struct store_pod *hnext;
	struct store_pod *prev, *next;
};

/* A job's values from its JobManager. */
struct store_jm {
	char *ns, *deployment, *job; /* job in Flink's label form */
	int64_t at_ms;     /* the last read */
	int64_t at[CAT_N]; /* when each value was read */
	double v[CAT_N];
	bool has[CAT_N];
	struct store_jm *next;
};

struct store {
	pthread_rwlock_t lock;
	const struct ex_spec *spec;
	size_t nrules;
	int64_t stale_ms;
	struct store_pod *bucket[STORE_BUCKETS];
	struct store_pod *head;
	size_t npods;
	struct store_post **post; /* the label index: npostb buckets */
	size_t npostb, nposts;
	struct store_jm *jms;
	uint64_t jobs_dropped; /* samples of jobs beyond EX_MAX_JOBS a page */
	bool dropped_logged;
};

static uint32_t store_key(const char *ns, const char *name)
{
	return (hash_fnv1a(ns, strlen(ns)) * 31u + hash_fnv1a(name, strlen(name))) %
	       STORE_BUCKETS;
}

struct store *store_new(const struct ex_spec *spec, int64_t stale_ms)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (pthread_rwlock_init(&s->lock, NULL)) {
		free(s);
		return NULL;
	}
	s->post = calloc(STORE_POST_BUCKETS0, sizeof(*s->post));
	if (!s->post) {
		pthread_rwlock_destroy(&s->lock);
		free(s);
		return NULL;
	}
	s->npostb = STORE_POST_BUCKETS0;
	s->spec = spec;
	s->nrules = spec ? ex_spec_nrules(spec) : 0;
	s->stale_ms = stale_ms;
	return s;
}

static void store_pod_free(struct store_pod *p)
{
	if (!p)
		return;
	free(p->ns);
	free(p->name);
	free(p->deployment);
	free(p->job);
	for (size_t i = 0; p->labels && p->labels[i]; i++)
		free(p->labels[i]);
	free(p->labels);
	free(p->ilinks);
	free(p->custom);
	free(p->part[0].custom);
	free(p);
}

static void store_jm_free(struct store_jm *j)
{
	if (!j)
		return;
	free(j->ns);
	free(j->deployment);
	free(j->job);
	free(j);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	while (s->jms) {
		struct store_jm *j = s->jms;
		s->jms = j->next;
		store_jm_free(j);
	}
	while (s->head) {
		struct store_pod *p = s->head;
		s->head = p->next;
		store_pod_free(p);
	}
	for (size_t b = 0; b < s->npostb; b++)
		while (s->post[b]) {
			struct store_post *q = s->post[b];
			s->post[b] = q->hnext;
			free(q);
		}
	free(s->post);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

static struct store_pod **store_find(struct store *s, const char *ns,
				     const char *name)
{
	struct store_pod **pp = &s->bucket[store_key(ns, name)];

	for (; *pp; pp = &(*pp)->hnext)
		if (strcmp((*pp)->ns, ns) == 0 && strcmp((*pp)->name, name) == 0)
			return pp;
	return pp;
}

static char **store_copy_labels(const char *const *l, bool *ok)
{
	size_t n = 0;
	char **c;

	*ok = true;
	while (l && l[n])
		n++;
	c = calloc(n + 1, sizeof(*c));
	for (size_t i = 0; c && i < n; i++)
		if (!(c[i] = strdup(l[i])))
			*ok = false;
	if (!c)
		*ok = false;
	return c;
}

/* A job name as Flink writes it in label values: characters other than
 * letters, digits, '_' and ':' become '_' (pages carry that form). */
char *store_flink_name(const char *s)
{
	char *c = str_dup(s);

	for (char *p = c; p && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			*p = '_';
	return c;
}

static struct store_pod *store_pod_new(const struct store *s,
				       const struct store_pod_meta *m)
{
	struct store_pod *p = calloc(1, sizeof(*p));
	size_t nr = s->nrules ? s->nrules : 1;
	bool ok;

	if (!p)
		return NULL;
	p->ns = strdup(m->ns);
	p->name = strdup(m->name);
	p->deployment = str_dup(m->deployment);
	p->job = store_flink_name(m->job);
	p->labels = store_copy_labels(m->labels, &ok);
	while (p->labels && p->labels[2 * p->nlabels] &&
	       p->labels[2 * p->nlabels + 1])
		p->nlabels++;
	p->ilinks = calloc(p->nlabels ? p->nlabels : 1, sizeof(*p->ilinks));
	p->custom = calloc(nr, sizeof(*p->custom));
	p->part[0].custom = calloc(nr * EX_MAX_JOBS, sizeof(struct ex_acc));
	if (!ok || !p->ns || !p->name || !p->custom || !p->part[0].custom ||
	    !p->ilinks ||
	    (m->deployment && !p->deployment) || (m->job && !p->job)) {
		store_pod_free(p);
		return NULL;
	}
	for (size_t j = 1; j < EX_MAX_JOBS; j++)
		p->part[j].custom = p->part[0].custom + nr * j;
	return p;
}

/* Keep the values of a known pod, take the new identity. */
static void store_pod_take_values(struct store_pod *to, struct store_pod *from,
				  size_t nrules)
{
	size_t nr = nrules ? nrules : 1;

	to->at_ms = from->at_ms;
	memcpy(to->v, from->v, sizeof(to->v));
	memcpy(to->has, from->has, sizeof(to->has));
	memcpy(to->custom, from->custom, nr * sizeof(*to->custom));
	memcpy(to->part[0].custom, from->part[0].custom,
	       nr * EX_MAX_JOBS * sizeof(struct ex_acc));
	for (size_t j = 0; j < EX_MAX_JOBS; j++) {
		memcpy(to->part[j].job, from->part[j].job, EX_JOB_NAME_MAX);
		memcpy(to->part[j].v, from->part[j].v, sizeof(to->part[j].v));
		memcpy(to->part[j].has, from->part[j].has,
		       sizeof(to->part[j].has));
	}
	to->nparts = from->nparts;
}

/* ---- the label index (write lock held to change it) ---- */

static uint32_t store_post_hash(const char *ns, const char *key,
				const char *value)
{
	uint32_t h = hash_fnv1a(ns, strlen(ns));

	h = (h ^ hash_fnv1a(key, strlen(key))) * 16777619u;
	return (h ^ hash_fnv1a(value, strlen(value))) * 16777619u;
}

static struct store_post *store_post_find(const struct store *s,
					  const char *ns, const char *key,
					  const char *value)
{
	uint32_t h = store_post_hash(ns, key, value);

	for (struct store_post *q = s->post[h % s->npostb]; q; q = q->hnext)
		if (q->hash == h && strcmp(q->value, value) == 0 &&
		    strcmp(q->key, key) == 0 && strcmp(q->ns, ns) == 0)
			return q;
	return NULL;
}

/* Double the buckets when the lists outnumber them; stays as it is when
 * out of memory (longer chains, same answers). */
static void store_post_grow(struct store *s)
{
	size_t nb = s->npostb * 2;
	struct store_post **b;

	if (s->nposts <= s->npostb || !(b = calloc(nb, sizeof(*b))))
		return;
	for (size_t i = 0; i < s->npostb; i++)
		while (s->post[i]) {
			struct store_post *q = s->post[i];
			s->post[i] = q->hnext;
			q->hnext = b[q->hash % nb];
			b[q->hash % nb] = q;
		}
	free(s->post);
	s->post = b;
	s->npostb = nb;
}

static struct store_post *store_post_get(struct store *s, const char *ns,
					 const char *key, const char *value)
{
	struct store_post *q = store_post_find(s, ns, key, value);
	size_t nn = strlen(ns) + 1, nk = strlen(key) + 1, nv = strlen(value) + 1;

	if (q || !(q = calloc(1, sizeof(*q) + nn + nk + nv)))
		return q;
	memcpy(q->ns, ns, nn);
	memcpy(q->ns + nn, key, nk);
	memcpy(q->ns + nn + nk, value, nv);
	q->key = q->ns + nn;
	q->value = q->ns + nn + nk;
	q->hash = store_post_hash(ns, key, value);
	q->hnext = s->post[q->hash % s->npostb];
	s->post[q->hash % s->npostb] = q;
	s->nposts++;
	store_post_grow(s);
	return q;
}

/* Take link l out of its list; the list goes when empty. */
static void store_ilink_drop(struct store *s, struct store_ilink *l)
{
	struct store_post *q = l->post, **pp;

	if (!q)
		return;
	if (l->prev)
		l->prev->next = l->next;
	else
		q->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->post = NULL;
	if (--q->n)
		return;
	for (pp = &s->post[q->hash % s->npostb]; *pp != q; pp = &(*pp)->hnext)
		;
	*pp = q->hnext;
	s->nposts--;
	free(q);
}

static void store_index_remove(struct store *s, struct store_pod *p)
{
	for (size_t i = 0; i < p->nlabels; i++)
		store_ilink_drop(s, &p->ilinks[i]);
}

/* Does an earlier label of p have the key of label i?  Only the first
 * value of a key is indexed: the one a selector reads (sel_matches). */
static bool store_key_repeated(const struct store_pod *p, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(p->labels[2 * j], p->labels[2 * i]) == 0)
			return true;
	return false;
}

/* Put p at the head of the list of each of its labels; ERR_NOMEM leaves
 * p out of every list. */
static int store_index_add(struct store *s, struct store_pod *p)
{
	for (size_t i = 0; i < p->nlabels; i++) {
		struct store_ilink *l = &p->ilinks[i];
		struct store_post *q;

		if (store_key_repeated(p, i))
			continue;
		q = store_post_get(s, p->ns, p->labels[2 * i],
				   p->labels[2 * i + 1]);
		if (!q) {
			store_index_remove(s, p);
			return ERR_NOMEM;
		}
		l->post = q;
		l->pod = p;
		l->prev = NULL;
		l->next = q->head;
		if (q->head)
			q->head->prev = l;
		q->head = l;
		q->n++;
	}
	return 0;
}

static void store_unlink(struct store *s, struct store_pod **slot)
{
	struct store_pod *p = *slot;

	*slot = p->hnext;
	store_index_remove(s, p);
	if (p->prev)
		p->prev->next = p->next;
	else
		s->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	s->npods--;
}

static void store_link(struct store *s, struct store_pod **slot,
		       struct store_pod *p)
{
	p->hnext = *slot;
	*slot = p;
	p->prev = NULL;
	p->next = s->head;
	if (s->head)
		s->head->prev = p;
	s->head = p;
	s->npods++;
}

int store_upsert_pod(struct store *s, const struct store_pod_meta *m,
		     struct err *e)
{
	struct store_pod *p = store_pod_new(s, m), **slot, *old;

	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	pthread_rwlock_wrlock(&s->lock);
	if (store_index_add(s, p)) {
		pthread_rwlock_unlock(&s->lock);
		store_pod_free(p);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	slot = store_find(s, m->ns, m->name);
	old = *slot;
	if (old) {
		store_pod_take_values(p, old, s->nrules);
		store_unlink(s, slot);
		slot = store_find(s, m->ns, m->name);
	}
	store_link(s, slot, p);
	pthread_rwlock_unlock(&s->lock);
	store_pod_free(old);
	return 0;
}

bool store_remove_pod(struct store *s, const char *ns, const char *name)
{
	struct store_pod **slot, *p;

	pthread_rwlock_wrlock(&s->lock);
	slot = store_find(s, ns, name);
	p = *slot;
	if (p)
		store_unlink(s, slot);
	pthread_rwlock_unlock(&s->lock);
	store_pod_free(p);
	return p != NULL;
}

void store_get_counts(struct store *s, struct store_counts *out)
{
	pthread_rwlock_rdlock(&s->lock);
	out->pods = s->npods;
	out->jobs_dropped = s->jobs_dropped;
	pthread_rwlock_unlock(&s->lock);
}

size_t store_label_lists(struct store *s)
{
	size_t n;

	pthread_rwlock_rdlock(&s->lock);
	n = s->nposts;
	pthread_rwlock_unlock(&s->lock);
	return n;
}

static void store_copy_custom(struct ex_acc *to, size_t nrules,
			      bool (*get)(const struct ex_page *, size_t,
					  size_t, double *),
			      const struct ex_page *pg, size_t j)
{
	for (size_t r = 0; r < nrules; r++) {
		double x;
		to[r].n = get(pg, j, r, &x) ? 1 : 0;
		to[r].v = to[r].n ? x : 0;
	}
}

static bool store_pod_custom(const struct ex_page *pg, size_t j, size_t r,
			     double *v)
{
	(void)j;
	return ex_custom_value(pg, r, v);
}

/* Copy one page's values into p (write lock held). */
static void store_fill(struct store_pod *p, size_t nrules,
		       const struct ex_page *pg, const double pod[CAT_N],
		       const bool has[CAT_N], int64_t at_ms)
{
	p->at_ms = at_ms;
	memcpy(p->v, pod, sizeof(p->v));
	memcpy(p->has, has, sizeof(p->has));
	store_copy_custom(p->custom, nrules, store_pod_custom, pg, 0);
	p->nparts = pg->njobs;
	for (size_t j = 0; j < pg->njobs; j++) {
		struct store_part *pt = &p->part[j];
		memcpy(pt->job, pg->job[j].name, EX_JOB_NAME_MAX);
		ex_job_values(pg, j, at_ms, pt->v, pt->has);
		store_copy_custom(pt->custom, nrules, ex_custom_job_value, pg,
				  j);
	}
}

int store_put_page(struct store *s, const char *ns, const char *name,
		   const struct ex_page *pg, const double pod[CAT_N],
		   const bool has[CAT_N], int64_t at_ms, struct err *e)
{
	struct store_pod *p;

	bool first = false;

	pthread_rwlock_wrlock(&s->lock);
	p = *store_find(s, ns, name);
	if (p)
		store_fill(p, s->nrules, pg, pod, has, at_ms);
	if (pg->jobs_dropped) {
		s->jobs_dropped += pg->jobs_dropped;
		first = !s->dropped_logged;
		s->dropped_logged = true;
	}
	pthread_rwlock_unlock(&s->lock);
	if (first)
		log_warn("pod %s/%s: the page has samples of more than %d jobs; "
			 "those of the others are dropped (counted in "
			 "flinkhpa_page_job_samples_dropped_total; logged once)",
			 ns, name, EX_MAX_JOBS);
	return p ? 0 : err_set(e, ERR_NOTFOUND, "pod %s/%s is not known", ns,
				name);
}

static struct store_jm **store_jm_find(struct store *s, const char *ns,
				       const char *deployment, const char *job)
{
	struct store_jm **pp = &s->jms;

	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->ns, ns) == 0 &&
		    strcmp((*pp)->deployment, deployment) == 0 &&
		    strcmp((*pp)->job, job) == 0)
			return pp;
	return pp;
}

/* The values n lacks keep the ones of old, with their time: each goes
 * stale on its own. */
static void store_jm_keep(struct store_jm *n, const struct store_jm *old)
{
	for (size_t k = 0; k < CAT_N; k++)
		if (!n->has[k] && old->has[k]) {
			n->v[k] = old->v[k];
			n->has[k] = true;
			n->at[k] = old->at[k];
		}
}

int store_put_job(struct store *s, const char *ns, const char *deployment,
		  const char *job, const double v[CAT_N], const bool has[CAT_N],
		  int64_t at_ms, struct err *e)
{
	struct store_jm *n = calloc(1, sizeof(*n)), **slot;

	if (!n || !(n->ns = strdup(ns)) ||
	    !(n->deployment = strdup(deployment ? deployment : "")) ||
	    !(n->job = store_flink_name(job))) {
		store_jm_free(n);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	n->at_ms = at_ms;
	memcpy(n->v, v, sizeof(n->v));
	memcpy(n->has, has, sizeof(n->has));
	for (size_t k = 0; k < CAT_N; k++)
		n->at[k] = has[k] ? at_ms : 0;
	pthread_rwlock_wrlock(&s->lock);
	slot = store_jm_find(s, n->ns, n->deployment, n->job);
	if (*slot) {
		store_jm_keep(n, *slot);
		n->next = (*slot)->next;
		store_jm_free(*slot);
	}
	*slot = n;
	pthread_rwlock_unlock(&s->lock);
	return 0;
}

void store_remove_job(struct store *s, const char *ns, const char *deployment,
		      const char *job)
{
	char *fj = store_flink_name(job);
	struct store_jm **slot, *j = NULL;

	if (!fj)
		return;
	pthread_rwlock_wrlock(&s->lock);
	slot = store_jm_find(s, ns, deployment ? deployment : "", fj);
	if ((j = *slot))
		*slot = j->next;
	pthread_rwlock_unlock(&s->lock);
	store_jm_free(j);
	free(fj);
}

/* ---- reads ---- */

static bool store_fresh(const struct store *s, int64_t at_ms, int64_t now)
{
	return at_ms > 0 && now - at_ms <= s->stale_ms;
}

static bool store_pod_value(const struct store_pod *p, struct store_metric m,
			    double *v)
{
	if (m.cat >= 0) {
		*v = p->v[m.cat];
		return cat_metrics[m.cat].scope == CAT_POD && p->has[m.cat];
	}
	*v = p->custom[m.rule].v;
	return p->custom[m.rule].n > 0;
}

/* Visit p when fresh, with a value of m, and matching (read lock held). */
static int store_pod_visit(struct store *s, const struct store_pod *p,
			   struct store_metric m, int64_t now_ms,
			   store_match_fn match, void *match_ud,
			   store_visit_fn fn, void *ud)
{
	double v;

	if (!store_fresh(s, p->at_ms, now_ms) || !store_pod_value(p, m, &v) ||
	    (match && !match(match_ud, (const char *const *)p->labels)))
		return 0;
	return fn(ud, p->name, v, p->at_ms);
}

int store_pods(struct store *s, const char *ns, struct store_metric m,
	       int64_t now_ms, store_match_fn match, void *match_ud,
	       store_visit_fn fn, void *ud)
{
	int rc = 0;

	pthread_rwlock_rdlock(&s->lock);
	for (struct store_pod *p = s->head; p && !rc; p = p->next)
		if (!ns || strcmp(p->ns, ns) == 0)
			rc = store_pod_visit(s, p, m, now_ms, match, match_ud,
					     fn, ud);
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/* The posting lists of the pairs eq in ns into q, the shortest first;
 * false when one of the pairs has none (then no pod can match). */
static bool store_post_lists(const struct store *s, const char *ns,
			     const struct store_eq *eq, size_t neq,
			     const struct store_post **q)
{
	for (size_t i = 0; i < neq; i++) {
		if (!(q[i] = store_post_find(s, ns, eq[i].key, eq[i].value)))
			return false;
		if (q[i]->n < q[0]->n) {
			const struct store_post *t = q[0];
			q[0] = q[i];
			q[i] = t;
		}
	}
	return true;
}

/* Is p in each of the lists q (carries each pair, as its first value of
 * the key)?  Pointer comparisons over its links. */
static bool store_pod_in(const struct store_pod *p,
			 const struct store_post *const *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < p->nlabels && p->ilinks[k].post != q[i])
			k++;
		if (k == p->nlabels)
			return false;
	}
	return true;
}

int store_pods_eq(struct store *s, const char *ns, struct store_metric m,
		  int64_t now_ms, const struct store_eq *eq, size_t neq,
		  bool exact, store_match_fn match, void *match_ud,
		  store_visit_fn fn, void *ud)
{
	const struct store_post *q[STORE_MAX_EQ];
	int rc = 0;

	if (!ns || !neq || neq > STORE_MAX_EQ)
		return store_pods(s, ns, m, now_ms, match, match_ud, fn, ud);
	pthread_rwlock_rdlock(&s->lock);
	if (!store_post_lists(s, ns, eq, neq, q))
		neq = 0;
	for (const struct store_ilink *l = neq ? q[0]->head : NULL; l && !rc;
	     l = l->next) {
		if (exact && !store_pod_in(l->pod, q + 1, neq - 1))
			continue;
		rc = store_pod_visit(s, l->pod, m, now_ms, exact ? NULL : match,
				     match_ud, fn, ud);
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

static enum ex_agg store_job_agg(const struct store *s, struct store_metric m)
{
	if (m.cat >= 0)
		return m.cat == CAT_JOB_BACKLOG || m.cat == CAT_JOB_SLOTS_TOTAL ||
				       m.cat == CAT_JOB_SLOTS_FREE
			       ? EX_AGG_SUM
			       : EX_AGG_MAX;
	return ex_spec_rule(s->spec, (size_t)m.rule)->job_agg;
}

/* Add the partial of job (NULL: every job) of pod p to acc. */
static void store_add_parts(const struct store_pod *p, const char *job,
			    struct store_metric m, enum ex_agg agg,
			    struct ex_acc *acc, int64_t *oldest)
{
	for (size_t j = 0; j < p->nparts; j++) {
		const struct store_part *pt = &p->part[j];
		bool ok = m.cat >= 0 ? pt->has[m.cat] : pt->custom[m.rule].n;
		double v = m.cat >= 0 ? pt->v[m.cat] : pt->custom[m.rule].v;

		if (!ok || (job && strcmp(pt->job, job) != 0))
			continue;
		ex_acc_add(acc, agg, v);
		if (!*oldest || p->at_ms < *oldest)
			*oldest = p->at_ms;
	}
}

/* Add the JobManager values of ns (and of deployment, and of job, when
 * not NULL) to acc: the fallback where no page had the value. */
static void store_add_jms(const struct store *s, const char *ns,
			  const char *deployment, const char *job,
			  struct store_metric m, int64_t now_ms, enum ex_agg agg,
			  struct ex_acc *acc, int64_t *oldest)
{
	if (m.cat < 0)
		return;
	for (const struct store_jm *j = s->jms; j; j = j->next) {
		if ((ns && strcmp(j->ns, ns) != 0) || !j->has[m.cat] ||
		    !store_fresh(s, j->at[m.cat], now_ms) ||
		    (deployment && strcmp(j->deployment, deployment) != 0) ||
		    (job && strcmp(j->job, job) != 0))
			continue;
		ex_acc_add(acc, agg, j->v[m.cat]);
		if (!*oldest || j->at[m.cat] < *oldest)
			*oldest = j->at[m.cat];
	}
}

static bool store_job_metric(struct store_metric m)
{
	return m.rule >= 0 || cat_metrics[m.cat].scope == CAT_JOB;
}

/* Combine over the fresh pods of ns (and of deployment, if not NULL);
 * read lock held. */
static int store_deploy_locked(struct store *s, const char *ns,
			       const char *deployment, struct store_metric m,
			       int64_t now_ms, double *value, int64_t *at_ms)
{
	struct ex_acc acc = { 0, 0 };
	enum ex_agg agg = store_job_agg(s, m);

	*at_ms = 0;
	for (struct store_pod *p = s->head; p; p = p->next) {
		if (strcmp(p->ns, ns) != 0 || !store_fresh(s, p->at_ms, now_ms))
			continue;
		if (!deployment)
			store_add_parts(p, NULL, m, agg, &acc, at_ms);
		else if (p->deployment &&
			 strcmp(p->deployment, deployment) == 0)
			store_add_parts(p, p->job, m, agg, &acc, at_ms);
	}
	if (!acc.n)
		store_add_jms(s, ns, deployment, NULL, m, now_ms, agg, &acc,
			      at_ms);
	return ex_acc_get(&acc, agg, value) ? 0 : ERR_NOTFOUND;
}

int store_deployment(struct store *s, const char *ns, const char *deployment,
		     struct store_metric m, int64_t now_ms, double *value,
		     int64_t *at_ms)
{
	int rc;

	if (!store_job_metric(m))
		return ERR_NOTFOUND;
	pthread_rwlock_rdlock(&s->lock);
	rc = store_deploy_locked(s, ns, deployment, m, now_ms, value, at_ms);
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/* Was deployment d already visited (an earlier pod of the list has it and
 * matched)? */
static bool store_deploy_seen(struct store_pod *stop, const char *ns,
			      const char *d, store_match_fn match, void *mud)
{
	for (struct store_pod *q = stop->prev; q; q = q->prev)
		if (q->deployment && strcmp(q->deployment, d) == 0 &&
		    strcmp(q->ns, ns) == 0 &&
		    (!match || match(mud, (const char *const *)q->labels)))
			return true;
	return false;
}

int store_deployments(struct store *s, const char *ns, struct store_metric m,
		      int64_t now_ms, store_match_fn match, void *match_ud,
		      store_visit_fn fn, void *ud)
{
	int rc = 0;

	if (!store_job_metric(m))
		return 0;
	pthread_rwlock_rdlock(&s->lock);
	for (struct store_pod *p = s->head; p && !rc; p = p->next) {
		double v;
		int64_t at;

		if (!p->deployment || strcmp(p->ns, ns) != 0 ||
		    (match && !match(match_ud, (const char *const *)p->labels)) ||
		    store_deploy_seen(p, ns, p->deployment, match, match_ud))
			continue;
		if (!store_deploy_locked(s, ns, p->deployment, m, now_ms, &v,
					 &at))
			rc = fn(ud, p->deployment, v, at);
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/* Is job name already in the first n entries of the seen list? */
static bool store_seen(char (*seen)[EX_JOB_NAME_MAX], size_t n,
		       const char *job)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(seen[i], job) == 0)
			return true;
	return false;
}

/* Combine job `job` over the fresh pods of ns (read lock held). */
static bool store_one_job(struct store *s, const char *ns, const char *job,
			  struct store_metric m, int64_t now_ms, double *v,
			  int64_t *at)
{
	struct ex_acc acc = { 0, 0 };
	enum ex_agg agg = store_job_agg(s, m);

	*at = 0;
	for (struct store_pod *p = s->head; p; p = p->next)
		if ((!ns || strcmp(p->ns, ns) == 0) &&
		    store_fresh(s, p->at_ms, now_ms))
			store_add_parts(p, job, m, agg, &acc, at);
	if (!acc.n)
		store_add_jms(s, ns, NULL, job, m, now_ms, agg, &acc, at);
	return ex_acc_get(&acc, agg, v);
}

struct store_seen {
	char (*v)[EX_JOB_NAME_MAX];
	size_t n, cap;
};

/* Visit job `job` of ns unless already visited (read lock held). */
static int store_visit_job(struct store *s, const char *ns, const char *job,
			   struct store_metric m, int64_t now_ms,
			   struct store_seen *seen, store_visit_fn fn, void *ud)
{
	double v;
	int64_t at;

	if (store_seen(seen->v, seen->n, job))
		return 0;
	if (seen->n == seen->cap) {
		size_t cap = seen->cap ? seen->cap * 2 : 16;
		void *n = realloc(seen->v, cap * sizeof(*seen->v));

		if (!n)
			return ERR_NOMEM;
		seen->v = n;
		seen->cap = cap;
	}
	str_lcpy(seen->v[seen->n++], job, EX_JOB_NAME_MAX);
	return store_one_job(s, ns, job, m, now_ms, &v, &at) ? fn(ud, job, v, at)
							      : 0;
}

int store_jobs(struct store *s, const char *ns, struct store_metric m,
	       int64_t now_ms, store_visit_fn fn, void *ud)
{
	struct store_seen seen = { NULL, 0, 0 };
	int rc = 0;

	if (!store_job_metric(m))
		return 0;
	pthread_rwlock_rdlock(&s->lock);
	for (struct store_pod *p = s->head; p && !rc; p = p->next) {
		if ((ns && strcmp(p->ns, ns) != 0) ||
		    !store_fresh(s, p->at_ms, now_ms))
			continue;
		for (size_t j = 0; j < p->nparts && !rc; j++)
			rc = store_visit_job(s, ns, p->part[j].job, m, now_ms,
					     &seen, fn, ud);
	}
	for (struct store_jm *j = s->jms; j && !rc; j = j->next)
		if ((!ns || strcmp(j->ns, ns) == 0) &&
		    store_fresh(s, j->at_ms, now_ms))
			rc = store_visit_job(s, ns, j->job, m, now_ms, &seen, fn,
					     ud);
	pthread_rwlock_unlock(&s->lock);
	free(seen.v);
	return rc;
}

bool store_lookup_metric(const struct store *s, const char *name,
			 struct store_metric *m, bool *pods, bool *jobs)
{
	int c = cat_find(name);

	m->cat = c;
	m->rule = -1;
	if (c >= 0) {
		*pods = cat_metrics[c].scope == CAT_POD;
		*jobs = !*pods;
		return true;
	}
	for (size_t r = 0; r < s->nrules; r++) {
		if (strcmp(ex_spec_rule(s->spec, r)->name, name) == 0) {
			m->rule = (int)r;
			*pods = *jobs = true;
			return true;
		}
	}
	return false;
}
