/*
 * scrape.c - the scrape loop (see scrape.h).
 *
 * Each target has a slot that owns its parser, its page accumulators and,
 * while a transfer runs, a curl easy handle (the connection is reused from
 * the multi handle's cache).  A
 * round adds every slot's handle to its multi handle (one of SC_SHARDS) and
 * drives them until all are done; each completion is stored at once.  The
 * multi handles run on curl's socket interface over one epoll: a wake-up
 * costs the sockets that are ready, not a pass over every transfer
 * (curl_multi_perform and poll() over a thousand sockets were most of the
 * scrape thread's CPU); an eventfd wakes the thread for new targets and for
 * stopping.  The thread spreads each round over the interval (scrape.h).
 * Target changes are handed over under a mutex and applied between rounds
 * by the scrape thread, which alone touches slots.
 */
#include "adapter/collect/scrape.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/str.h"

/* The targets are shared out over several multi handles: curl 7.88's
 * curl_multi_remove_handle walks the multi's whole connection cache (to
 * close a connect-only connection), which with one multi handle and
 * 10,000 kept-alive connections took most of a core.  A socket's epoll
 * data holds its shard's index and the descriptor. */
#define SC_SHARDS 64
#define SC_WAKE_SHARD 0xffffffffu

struct shard {
	CURLM *multi;
	struct scraper *s;
	uint32_t idx;
	int64_t timer_at;   /* when curl's timer fires (monotonic us); -1: none */
	int nrunning;       /* transfers under way */
};

struct slot {
	char *ns, *pod, *url;
	struct shard *sh;   /* the multi handle of its transfers */
	double cpu_request;
	CURL *easy;
	struct pp_parser *pp;
	struct ex_page *page;
	struct ex_cpu_state cpu;
	struct err err;     /* why this transfer failed */
	bool status_ok;     /* HTTP 200 seen */
	bool failing;       /* last scrape failed (for logging changes) */
	bool busy;          /* its transfer is under way */
	size_t bytes;
	int64_t offset_ms;  /* start within each pass: hash of the URL */
	int64_t started_us; /* when this transfer began (monotonic) */
	uint64_t pass;      /* the pass that started it */
	struct scraper *owner;
};

/* A pass of the scrape thread over every target, until its last transfer
 * ends: the figures of a round. */
struct pass {
	uint64_t num;       /* 0: none */
	int64_t base_ms;    /* when it began (monotonic) */
	int64_t cpu_us;     /* the thread's CPU time then */
	int64_t slowest_us; /* its slowest successful scrape */
	size_t left;        /* transfers under way */
	bool started;       /* every slot has been started */
};

struct scraper {
	struct scrape_opts o;
	const struct ex_spec *spec;
	struct store *store;
	struct shard shard[SC_SHARDS];
	int epfd, wakefd;   /* the sockets curl watches; the wake-up */
	struct slot **slot; /* sorted by offset */
	size_t nslots;

	/* the thread spreads a round over the interval: slot i starts at
	 * base + its offset.  A transfer lasts at most the timeout (<= the
	 * interval), so at most two passes have transfers under way. */
	bool spread;
	uint64_t npass;     /* number of the current pass */
	size_t cursor;      /* next slot of the current pass to start */
	struct pass pass[2]; /* indexed by number & 1 */
	int64_t slowest_us; /* of scraper_round */

	pthread_mutex_t mu; /* guards pending, stats, stop */
	struct scrape_target *pending;
	size_t npending;
	bool have_pending;
	bool stop;
	struct scrape_stats stats;

	pthread_t thread;
	bool running;
	struct curl_slist *headers;
};

static int64_t now_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- slots ---- */

static void slot_free(struct slot *sl)
{
	if (!sl)
		return;
	if (sl->easy)
		curl_easy_cleanup(sl->easy);
	pp_free(sl->pp);
	ex_page_free(sl->page);
	free(sl->ns);
	free(sl->pod);
	free(sl->url);
	free(sl);
}

static size_t slot_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct slot *sl = ud;
	size_t n = size * nmemb;
	long code = 0;

	if (!sl->status_ok) {
		curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200) {
			err_set(&sl->err, ERR_IO, "HTTP status %ld", code);
			return 0;
		}
		sl->status_ok = true;
	}
	sl->bytes += n;
	if (pp_feed(sl->pp, data, n, &sl->err))
		return 0; /* aborts the transfer */
	return n;
}

static int slot_setup_easy(struct scraper *s, struct slot *sl)
{
	CURL *c = curl_easy_init();

	if (!c)
		return ERR_NOMEM;
	sl->easy = c;
	curl_easy_setopt(c, CURLOPT_URL, sl->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, slot_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(c, CURLOPT_PRIVATE, sl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(s->o.timeout_ms < 2000 ? s->o.timeout_ms : 2000));
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)s->o.max_page);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "flinkhpa-adapter/" FH_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	return 0;
}

static struct slot *slot_new(struct scraper *s, const struct scrape_target *t)
{
	struct slot *sl = calloc(1, sizeof(*sl));
	struct pp_limits lim = pp_default_limits;

	if (!sl)
		return NULL;
	lim.max_page = s->o.max_page;
	lim.max_samples = s->o.max_series;
	sl->owner = s;
	sl->ns = str_dup(t->ns);
	sl->pod = str_dup(t->pod);
	sl->url = str_dup(t->url);
	sl->cpu_request = t->cpu_request;
	sl->offset_ms = sl->url ? (int64_t)(hash_fnv1a(sl->url, strlen(sl->url)) %
					    (uint64_t)s->o.interval_ms) : 0;
	sl->sh = &s->shard[(size_t)sl->offset_ms % SC_SHARDS];
	sl->page = ex_page_new(s->spec);
	sl->pp = sl->page ? pp_new(&lim, ex_spec_filter(s->spec), ex_sample,
				   sl->page)
			  : NULL;
	if (!sl->ns || !sl->pod || !sl->url || !sl->pp) {
		slot_free(sl);
		return NULL;
	}
	return sl;
}

/* The easy handle lives for one transfer only: its connection stays in
 * the shard's cache for the next, and 10,000 idle handles with their 16 KB
 * read buffers no longer sit in memory between scrapes. */
static void slot_end_easy(struct slot *sl)
{
	if (!sl->easy)
		return;
	curl_multi_remove_handle(sl->sh->multi, sl->easy);
	curl_easy_cleanup(sl->easy);
	sl->easy = NULL;
}

static bool slot_same(const struct slot *sl, const struct scrape_target *t)
{
	return strcmp(sl->ns, t->ns) == 0 && strcmp(sl->pod, t->pod) == 0 &&
	       strcmp(sl->url, t->url) == 0;
}

/* ---- target changes (scrape thread) ---- */

static void targets_free(struct scrape_target *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		free((char *)t[i].ns);
		free((char *)t[i].pod);
		free((char *)t[i].url);
	}
	free(t);
}

/* The old slots by (ns, pod, url): a new set of n targets costs O(n). */
struct slot_index {
	struct slot **old;
	size_t n;
	size_t *tab; /* index + 1 into old; 0: empty.  NULL: scan old */
	size_t mask;
};

static size_t slot_key(const char *ns, const char *pod, const char *url)
{
	uint32_t h = hash_fnv1a(ns, strlen(ns));

	h = h * 31u + hash_fnv1a(pod, strlen(pod));
	return h * 31u + hash_fnv1a(url, strlen(url));
}

static void slot_index_init(struct slot_index *x, struct slot **old, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	x->old = old;
	x->n = n;
	x->mask = size - 1;
	x->tab = calloc(size, sizeof(*x->tab));
	for (size_t i = 0; x->tab && i < n; i++) {
		size_t h = slot_key(old[i]->ns, old[i]->pod, old[i]->url) & x->mask;

		while (x->tab[h])
			h = (h + 1) & x->mask;
		x->tab[h] = i + 1;
	}
}

/* Take a slot for t from the old set (matching), or make one. */
static struct slot *slot_reuse(struct scraper *s, struct slot_index *x,
			       const struct scrape_target *t)
{
	size_t h = slot_key(t->ns, t->pod, t->url) & x->mask;

	for (size_t i = 0; i < x->n; i++) {
		size_t k = x->tab ? x->tab[h] : i + 1;
		struct slot *sl;

		if (!k)
			break;
		sl = x->old[k - 1];
		h = (h + 1) & x->mask;
		if (sl && slot_same(sl, t)) {
			x->old[k - 1] = NULL;
			sl->cpu_request = t->cpu_request;
			return sl;
		}
	}
	return slot_new(s, t);
}

static int slot_cmp(const void *a, const void *b)
{
	const struct slot *x = *(struct slot *const *)a;
	const struct slot *y = *(struct slot *const *)b;

	return (x->offset_ms > y->offset_ms) - (x->offset_ms < y->offset_ms);
}

static struct pass *pass_of(struct scraper *s, const struct slot *sl);

/* A slot leaves: its transfer, if any, is abandoned. */
static void slot_drop(struct scraper *s, struct slot *sl)
{
	struct pass *p;

	if (!sl)
		return;
	if (sl->busy) {
		slot_end_easy(sl);
		if ((p = pass_of(s, sl)))
			p->left--;
	}
	slot_free(sl);
}

static bool take_pending(struct scraper *s, struct scrape_target **t,
			 size_t *n)
{
	bool have;

	pthread_mutex_lock(&s->mu);
	have = s->have_pending;
	*t = s->pending;
	*n = s->npending;
	s->pending = NULL;
	s->have_pending = false;
	pthread_mutex_unlock(&s->mu);
	return have;
}

static void apply_targets(struct scraper *s)
{
	struct scrape_target *t;
	struct slot **next;
	struct slot_index x;
	size_t n, made = 0;

	if (!take_pending(s, &t, &n))
		return;
	next = calloc(n ? n : 1, sizeof(*next));
	if (!next) {
		log_error("scrape targets: out of memory; keeping the old set");
		targets_free(t, n);
		return;
	}
	slot_index_init(&x, s->slot, s->nslots);
	for (size_t i = 0; i < n; i++) {
		next[made] = slot_reuse(s, &x, &t[i]);
		if (next[made])
			made++;
		else
			log_error("scrape target %s/%s: out of memory", t[i].ns,
				  t[i].pod);
	}
	free(x.tab);
	for (size_t i = 0; i < s->nslots; i++)
		slot_drop(s, s->slot[i]);
	free(s->slot);
	qsort(next, made, sizeof(*next), slot_cmp);
	s->slot = next;
	s->nslots = made;
	targets_free(t, n);
	log_v(1, "scraping %zu targets", made);
}

/* ---- events ---- */

static void sc_wake(struct scraper *s)
{
	uint64_t one = 1;

	if (s->wakefd >= 0 && write(s->wakefd, &one, sizeof(one)) < 0)
		log_v(1, "scrape: wake-up: %s", strerror(errno));
}

static uint64_t sc_ev_data(uint32_t shard, int fd)
{
	return (uint64_t)shard << 32 | (uint32_t)fd;
}

/* curl's socket callback: watch fd for what curl waits on. */
static int sc_socket(CURL *easy, curl_socket_t fd, int what, void *ud,
		     void *sockp)
{
	struct shard *sh = ud;
	struct epoll_event ev = { 0 };
	int epfd = sh->s->epfd;

	(void)easy;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) |
		    ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	ev.data.u64 = sc_ev_data(sh->idx, fd);
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

/* curl's timer callback.  The value is one-shot (curl's multi_socket
 * documentation): it is kept as a deadline, and once it has fired it is
 * gone until curl sets another.  curl does not always report -1 after its
 * last transfer ends, so a timeout of 0 kept and reused made the thread
 * spin on epoll_wait(..., 0) between rounds. */
static int sc_timer(CURLM *multi, long timeout_ms, void *ud)
{
	struct shard *sh = ud;

	(void)multi;
	sh->timer_at = timeout_ms < 0 ? -1 : now_us() + (int64_t)timeout_ms * 1000;
	return 0;
}

static int sc_running(const struct scraper *s)
{
	int n = 0;

	for (size_t i = 0; i < SC_SHARDS; i++)
		n += s->shard[i].nrunning;
	return n;
}

/* Let curl act on each timer that is due (force: on every shard with
 * transfers under way); a timer is cleared first, and curl's callback sets
 * the next one during the call. */
static CURLMcode sc_timer_fire(struct scraper *s, bool force)
{
	CURLMcode mc = CURLM_OK;
	int64_t now = now_us();

	for (size_t i = 0; i < SC_SHARDS && mc == CURLM_OK; i++) {
		struct shard *sh = &s->shard[i];

		if (!(force && sh->nrunning > 0) &&
		    (sh->timer_at < 0 || now < sh->timer_at))
			continue;
		sh->timer_at = -1;
		mc = curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0,
					      &sh->nrunning);
	}
	return mc;
}

/* Milliseconds to wait: until `until` (monotonic us) or curl's next timer,
 * whichever comes first, rounded up so that the timer is due on return. */
static int sc_wait_ms(const struct scraper *s, int64_t until)
{
	int64_t now = now_us(), at = until;

	for (size_t i = 0; i < SC_SHARDS; i++)
		if (s->shard[i].timer_at >= 0 && s->shard[i].timer_at < at)
			at = s->shard[i].timer_at;
	return at <= now ? 0 : (int)((at - now + 999) / 1000);
}

/* Wait until `until` (monotonic us) at most for ready sockets, curl's
 * timers or a wake-up, and let curl act on what happened. */
static CURLMcode sc_wait(struct scraper *s, int64_t until)
{
	struct epoll_event ev[128];
	CURLMcode mc = CURLM_OK;
	int ms = sc_wait_ms(s, until), n;

	n = epoll_wait(s->epfd, ev, 128, ms);
	for (int i = 0; i < n && mc == CURLM_OK; i++) {
		uint32_t e = ev[i].events, k = (uint32_t)(ev[i].data.u64 >> 32);
		int fd = (int)(uint32_t)ev[i].data.u64;
		uint64_t x;

		if (k == SC_WAKE_SHARD) {
			if (read(s->wakefd, &x, sizeof(x)) < 0)
				x = 0;
			continue;
		}
		mc = curl_multi_socket_action(s->shard[k].multi, fd,
			((e & EPOLLIN) ? CURL_CSELECT_IN : 0) |
			((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
			((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0),
			&s->shard[k].nrunning);
	}
	/* transfers under way and a quiet second: let curl check its
	 * timeouts even if a timer was lost */
	if (mc == CURLM_OK)
		mc = sc_timer_fire(s, n == 0 && ms >= 1000);
	return mc;
}

int scraper_set_targets(struct scraper *s, const struct scrape_target *t,
			size_t n, struct err *e)
{
	struct scrape_target *c = calloc(n ? n : 1, sizeof(*c));

	if (!c)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		c[i].ns = str_dup(t[i].ns);
		c[i].pod = str_dup(t[i].pod);
		c[i].url = str_dup(t[i].url);
		c[i].cpu_request = t[i].cpu_request;
		if (!c[i].ns || !c[i].pod || !c[i].url) {
			targets_free(c, i + 1);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	pthread_mutex_lock(&s->mu);
	targets_free(s->pending, s->npending);
	s->pending = c;
	s->npending = n;
	s->have_pending = true;
	pthread_mutex_unlock(&s->mu);
	sc_wake(s);
	return 0;
}

/* ---- one round ---- */

static void slot_begin(struct scraper *s, struct slot *sl)
{
	pp_reset(sl->pp);
	ex_page_reset(sl->page);
	err_clear(&sl->err);
	sl->status_ok = false;
	sl->bytes = 0;
	sl->started_us = now_us();
	sl->pass = s->spread ? s->npass : 0;
	sl->busy = (sl->easy || slot_setup_easy(s, sl) == 0) &&
		   curl_multi_add_handle(sl->sh->multi, sl->easy) == CURLM_OK;
	if (!sl->busy)
		err_set(&sl->err, ERR_NOMEM, "cannot start the transfer");
}

/* Note the outcome; log only when the state changes. */
static void slot_outcome(struct scraper *s, struct slot *sl, bool ok)
{
	char u[REDACT_URL_MAX];

	pthread_mutex_lock(&s->mu);
	if (ok)
		s->stats.ok++;
	else
		s->stats.failed++;
	s->stats.bytes += sl->bytes;
	pthread_mutex_unlock(&s->mu);
	if (!ok && !sl->failing)
		log_warn("scrape %s/%s (%s) failed: %s", sl->ns, sl->pod,
			 redact_url(sl->url, u, sizeof(u)), sl->err.msg);
	else if (ok && sl->failing)
		log_info("scrape %s/%s (%s) works again", sl->ns, sl->pod,
			 redact_url(sl->url, u, sizeof(u)));
	sl->failing = !ok;
}

/* ---- passes ---- */

static struct pass *pass_of(struct scraper *s, const struct slot *sl)
{
	struct pass *p = &s->pass[sl->pass & 1];

	return sl->pass && p->num == sl->pass ? p : NULL;
}

/* Publish the figures of a round: every slot started and ended. */
static void round_stats(struct scraper *s, int64_t base_ms, int64_t cpu_us,
			int64_t slowest_us)
{
	pthread_mutex_lock(&s->mu);
	s->stats.rounds++;
	s->stats.targets = s->nslots;
	s->stats.failing = 0;
	for (size_t i = 0; i < s->nslots; i++)
		s->stats.failing += s->slot[i]->failing;
	s->stats.last_round_ms = now_ms(CLOCK_MONOTONIC) - base_ms;
	s->stats.last_start_ms = base_ms;
	s->stats.last_cpu_us = thread_cpu_us() - cpu_us;
	s->stats.last_slowest_ms = slowest_us / 1000;
	pthread_mutex_unlock(&s->mu);
}

static void pass_check(struct scraper *s, struct pass *p)
{
	if (!p->num || !p->started || p->left)
		return;
	round_stats(s, p->base_ms, p->cpu_us, p->slowest_us);
	p->num = 0;
}

/* A transfer ended: its pass (or scraper_round) notes it. */
static void pass_done(struct scraper *s, struct slot *sl, bool ok)
{
	int64_t took = now_us() - sl->started_us;
	struct pass *p = pass_of(s, sl);

	sl->busy = false;
	if (!p) {
		if (ok && took > s->slowest_us)
			s->slowest_us = took;
		return;
	}
	if (ok && took > p->slowest_us)
		p->slowest_us = took;
	p->left--;
	pass_check(s, p);
}

static void slot_done(struct scraper *s, struct slot *sl, CURLcode rc)
{
	int64_t at = now_ms(CLOCK_REALTIME);
	double v[CAT_N];
	bool has[CAT_N], ok;
	long code = 0;

	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &code);
	slot_end_easy(sl);
	if (rc == CURLE_OK && code != 200)
		err_set(&sl->err, ERR_IO, "HTTP status %ld", code);
	else if (rc == CURLE_OK)
		pp_finish(sl->pp, &sl->err);
	else if (sl->err.code == ERR_OK)
		err_set(&sl->err, ERR_IO, "%s", curl_easy_strerror(rc));
	if (sl->err.code == ERR_OK) {
		ex_pod_values(sl->page, sl->cpu_request, at, &sl->cpu, v, has);
		store_put_page(s->store, sl->ns, sl->pod, sl->page, v, has, at,
			       &sl->err);
	} else if (sl->err.line) {
		err_prefix(&sl->err, "line %lu column %lu: ", sl->err.line,
			   sl->err.col);
	}
	ok = sl->err.code == ERR_OK || sl->err.code == ERR_NOTFOUND;
	slot_outcome(s, sl, ok);
	pass_done(s, sl, ok);
}

static void drain_done(struct scraper *s)
{
	CURLMsg *m;
	int left;

	for (size_t i = 0; i < SC_SHARDS; i++) {
		while ((m = curl_multi_info_read(s->shard[i].multi, &left))) {
			struct slot *sl = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &sl);
			slot_done(s, sl, m->data.result);
		}
	}
}

static bool stopping(struct scraper *s)
{
	bool stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* Abandon transfers still running (when stopping). */
static void abandon_all(struct scraper *s)
{
	for (size_t i = 0; i < s->nslots; i++) {
		slot_end_easy(s->slot[i]);
		s->slot[i]->busy = false;
	}
	s->pass[0].num = s->pass[1].num = 0;
	for (size_t i = 0; i < SC_SHARDS; i++)
		s->shard[i].nrunning = 0;
}

int scraper_round(struct scraper *s, struct err *e)
{
	int64_t t0 = now_ms(CLOCK_MONOTONIC), c0 = thread_cpu_us();
	CURLMcode mc = CURLM_OK;

	apply_targets(s);
	s->slowest_us = 0;
	for (size_t i = 0; i < s->nslots; i++)
		slot_begin(s, s->slot[i]);
	mc = sc_timer_fire(s, false); /* adding a handle set a timer of 0 */
	drain_done(s);
	while (sc_running(s) > 0 && mc == CURLM_OK && !stopping(s)) {
		mc = sc_wait(s, now_us() + 1000000);
		drain_done(s);
	}
	abandon_all(s);
	round_stats(s, t0, c0, s->slowest_us);
	if (mc != CURLM_OK)
		return err_set(e, ERR_IO, "curl: %s", curl_multi_strerror(mc));
	return 0;
}

/* ---- thread and lifetime ---- */

static bool pending(struct scraper *s)
{
	bool have;

	pthread_mutex_lock(&s->mu);
	have = s->have_pending;
	pthread_mutex_unlock(&s->mu);
	return have;
}

/* The next pass begins at base: the target set may change now. */
static void pass_begin(struct scraper *s, int64_t base)
{
	struct pass *p;

	apply_targets(s);
	pass_check(s, &s->pass[0]); /* a dropped slot may have been the last */
	pass_check(s, &s->pass[1]);
	s->npass++;
	p = &s->pass[s->npass & 1];
	*p = (struct pass){ .num = s->npass, .base_ms = base,
			    .cpu_us = thread_cpu_us() };
	s->cursor = 0;
}

/* Start the slots of the current pass whose time has come; returns when
 * the next one is due (monotonic ms). */
static int64_t pass_start_due(struct scraper *s, int64_t now)
{
	struct pass *p = &s->pass[s->npass & 1];

	for (; s->cursor < s->nslots; s->cursor++) {
		struct slot *sl = s->slot[s->cursor];

		if (p->base_ms + sl->offset_ms > now)
			return p->base_ms + sl->offset_ms;
		if (sl->busy) /* its last transfer is still under way */
			continue;
		slot_begin(s, sl);
		p->left += sl->busy;
	}
	if (!p->started) {
		p->started = true;
		pass_check(s, p);
	}
	return p->base_ms + s->o.interval_ms;
}

/* The thread: pass after pass, each slot started at the pass's beginning
 * plus its offset, so that a round's scrapes are spread over the interval
 * (as Prometheus spreads them) instead of all starting at once; curl's
 * timer and the sockets are served in between. */
static void *scrape_main(void *arg)
{
	struct scraper *s = arg;
	int64_t base = now_ms(CLOCK_MONOTONIC), iv = s->o.interval_ms;

	s->spread = true;
	pass_begin(s, base);
	while (!stopping(s)) {
		int64_t now = now_ms(CLOCK_MONOTONIC), next;
		CURLMcode mc;

		base = s->pass[s->npass & 1].base_ms;
		if (s->cursor == s->nslots && now >= base + iv) /* keep the phase */
			pass_begin(s, base + (now - base) / iv * iv);
		else if (s->nslots == 0 && pending(s)) /* the first targets */
			pass_begin(s, now);
		next = pass_start_due(s, now);
		mc = sc_wait(s, next * 1000);
		drain_done(s);
		if (mc != CURLM_OK)
			log_error("scrape: curl: %s", curl_multi_strerror(mc));
	}
	abandon_all(s);
	s->spread = false;
	return NULL;
}

static int sc_shards_init(struct scraper *s)
{
	for (uint32_t i = 0; i < SC_SHARDS; i++) {
		struct shard *sh = &s->shard[i];

		*sh = (struct shard){ curl_multi_init(), s, i, -1, 0 };
		if (!sh->multi)
			return ERR_NOMEM;
		curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, 100000L);
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, sc_socket);
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, sc_timer);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
	}
	return 0;
}

struct scraper *scraper_new(const struct scrape_opts *o,
			    const struct ex_spec *spec, struct store *st,
			    struct err *e)
{
	struct scraper *s;

	if (o->interval_ms < 1000 || o->timeout_ms < 1 ||
	    o->timeout_ms > o->interval_ms) {
		err_set(e, ERR_INVAL, "scrape interval must be >= 1s and the "
			"timeout between 1ms and the interval");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->o = *o;
	s->spec = spec;
	s->store = st;
	pthread_mutex_init(&s->mu, NULL);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->headers = curl_slist_append(NULL, "Accept: text/plain;version=0.0.4");
	if (s->epfd < 0 || s->wakefd < 0 || !s->headers || sc_shards_init(s) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd,
		      &(struct epoll_event){ .events = EPOLLIN,
			      .data.u64 = sc_ev_data(SC_WAKE_SHARD, s->wakefd) }) != 0) {
		scraper_free(s);
		err_set(e, ERR_NOMEM, "cannot set up curl and epoll");
		return NULL;
	}
	return s;
}

int scraper_start(struct scraper *s, struct err *e)
{
	if (s->running)
		return err_set(e, ERR_STATE, "scraper already running");
	if (pthread_create(&s->thread, NULL, scrape_main, s))
		return err_set(e, ERR_IO, "cannot start the scrape thread");
	s->running = true;
	return 0;
}

void scraper_stop(struct scraper *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_mutex_unlock(&s->mu);
	sc_wake(s);
	pthread_join(s->thread, NULL);
	s->running = false;
	s->stop = false;
}

void scraper_free(struct scraper *s)
{
	if (!s)
		return;
	scraper_stop(s);
	for (size_t i = 0; i < s->nslots; i++)
		slot_free(s->slot[i]);
	free(s->slot);
	targets_free(s->pending, s->npending);
	for (size_t i = 0; i < SC_SHARDS; i++)
		if (s->shard[i].multi) /* its sockets leave epfd */
			curl_multi_cleanup(s->shard[i].multi);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->wakefd >= 0)
		close(s->wakefd);
	curl_slist_free_all(s->headers);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void scraper_get_stats(struct scraper *s, struct scrape_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}
