/*
 * scrape.c - the scrape loop (see scrape.h).
 *
 * Each target has a slot that owns its curl easy handle (kept between rounds
 * so the connection is reused), its parser and its page accumulators.  A
 * round adds every slot's handle to the multi handle and drives it until
 * all are done; each completion is stored at once.  The multi handle runs
 * on curl's socket interface over epoll: a wake-up costs the sockets that
 * are ready, not a pass over every transfer (curl_multi_perform and poll()
 * over a thousand sockets were most of the scrape thread's CPU); an
 * eventfd wakes the thread for new targets and for stopping.  Target changes are
 * handed over under a mutex and applied between rounds by the scrape thread,
 * which alone touches slots.
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

#include "common/log.h"
#include "common/str.h"

struct slot {
	char *ns, *pod, *url;
	double cpu_request;
	CURL *easy;
	struct pp_parser *pp;
	struct ex_page *page;
	struct ex_cpu_state cpu;
	struct err err;     /* why this transfer failed */
	bool status_ok;     /* HTTP 200 seen */
	bool failing;       /* last scrape failed (for logging changes) */
	size_t bytes;
	struct scraper *owner;
};

struct scraper {
	struct scrape_opts o;
	const struct ex_spec *spec;
	struct store *store;
	CURLM *multi;
	int epfd, wakefd;   /* the sockets curl watches; the wake-up */
	long timer_ms;      /* curl's next timeout; -1: none */
	int nrunning;       /* transfers under way */
	struct slot **slot;
	size_t nslots;

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
	sl->page = ex_page_new(s->spec);
	sl->pp = sl->page ? pp_new(&lim, ex_spec_filter(s->spec), ex_sample,
				   sl->page)
			  : NULL;
	if (!sl->ns || !sl->pod || !sl->url || !sl->pp ||
	    slot_setup_easy(s, sl)) {
		slot_free(sl);
		return NULL;
	}
	return sl;
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

/* Take a slot for t from the old set (matching), or make one. */
static struct slot *slot_reuse(struct scraper *s, struct slot **old, size_t n,
			       const struct scrape_target *t)
{
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = old[i];
		if (sl && slot_same(sl, t)) {
			old[i] = NULL;
			sl->cpu_request = t->cpu_request;
			return sl;
		}
	}
	return slot_new(s, t);
}

static void apply_targets(struct scraper *s)
{
	struct scrape_target *t;
	struct slot **next;
	size_t n, made = 0;

	pthread_mutex_lock(&s->mu);
	t = s->pending;
	n = s->npending;
	if (!s->have_pending) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	s->pending = NULL;
	s->have_pending = false;
	pthread_mutex_unlock(&s->mu);

	next = calloc(n ? n : 1, sizeof(*next));
	for (size_t i = 0; next && i < n; i++) {
		next[made] = slot_reuse(s, s->slot, s->nslots, &t[i]);
		if (next[made])
			made++;
		else
			log_error("scrape target %s/%s: out of memory", t[i].ns,
				  t[i].pod);
	}
	if (!next) {
		log_error("scrape targets: out of memory; keeping the old set");
		targets_free(t, n);
		return;
	}
	for (size_t i = 0; i < s->nslots; i++)
		slot_free(s->slot[i]);
	free(s->slot);
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

/* curl's socket callback: watch fd for what curl waits on. */
static int sc_socket(CURL *easy, curl_socket_t fd, int what, void *ud,
		     void *sockp)
{
	struct scraper *s = ud;
	struct epoll_event ev = { 0 };

	(void)easy;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) |
		    ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	ev.data.fd = fd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
		epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int sc_timer(CURLM *multi, long timeout_ms, void *ud)
{
	struct scraper *s = ud;

	(void)multi;
	s->timer_ms = timeout_ms;
	return 0;
}

/* Wait up to ms for ready sockets, curl's timer or a wake-up, and let
 * curl act on what happened. */
static CURLMcode sc_wait(struct scraper *s, int ms)
{
	struct epoll_event ev[128];
	CURLMcode mc = CURLM_OK;
	int n;

	if (s->timer_ms >= 0 && s->timer_ms < ms)
		ms = (int)s->timer_ms;
	n = epoll_wait(s->epfd, ev, 128, ms);
	for (int i = 0; i < n && mc == CURLM_OK; i++) {
		uint32_t e = ev[i].events;
		uint64_t x;

		if (ev[i].data.fd == s->wakefd) {
			if (read(s->wakefd, &x, sizeof(x)) < 0)
				x = 0;
			continue;
		}
		mc = curl_multi_socket_action(s->multi, ev[i].data.fd,
			((e & EPOLLIN) ? CURL_CSELECT_IN : 0) |
			((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
			((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0),
			&s->nrunning);
	}
	if (mc == CURLM_OK && n <= 0)
		mc = curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0,
					      &s->nrunning);
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
	curl_multi_add_handle(s->multi, sl->easy);
}

/* Note the outcome; log only when the state changes. */
static void slot_outcome(struct scraper *s, struct slot *sl, bool ok)
{
	pthread_mutex_lock(&s->mu);
	if (ok)
		s->stats.ok++;
	else
		s->stats.failed++;
	s->stats.bytes += sl->bytes;
	pthread_mutex_unlock(&s->mu);
	if (!ok && !sl->failing)
		log_warn("scrape %s/%s (%s) failed: %s", sl->ns, sl->pod,
			 sl->url, sl->err.msg);
	else if (ok && sl->failing)
		log_info("scrape %s/%s (%s) works again", sl->ns, sl->pod,
			 sl->url);
	sl->failing = !ok;
}

static void slot_done(struct scraper *s, struct slot *sl, CURLcode rc)
{
	int64_t at = now_ms(CLOCK_REALTIME);
	double v[CAT_N];
	bool has[CAT_N];
	long code = 0;

	curl_multi_remove_handle(s->multi, sl->easy);
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &code);
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
	slot_outcome(s, sl, sl->err.code == ERR_OK ||
				    sl->err.code == ERR_NOTFOUND);
}

static void drain_done(struct scraper *s)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(s->multi, &left))) {
		struct slot *sl = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &sl);
		slot_done(s, sl, m->data.result);
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
	for (size_t i = 0; i < s->nslots; i++)
		curl_multi_remove_handle(s->multi, s->slot[i]->easy);
}

int scraper_round(struct scraper *s, struct err *e)
{
	int64_t t0 = now_ms(CLOCK_MONOTONIC), c0 = thread_cpu_us();
	CURLMcode mc = CURLM_OK;

	apply_targets(s);
	for (size_t i = 0; i < s->nslots; i++)
		slot_begin(s, s->slot[i]);
	mc = curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0,
				      &s->nrunning);
	drain_done(s);
	while (s->nrunning > 0 && mc == CURLM_OK && !stopping(s)) {
		mc = sc_wait(s, 1000);
		drain_done(s);
	}
	if (s->nrunning > 0)
		abandon_all(s);
	s->nrunning = 0;
	pthread_mutex_lock(&s->mu);
	s->stats.rounds++;
	s->stats.targets = s->nslots;
	s->stats.failing = 0;
	for (size_t i = 0; i < s->nslots; i++)
		s->stats.failing += s->slot[i]->failing;
	s->stats.last_round_ms = now_ms(CLOCK_MONOTONIC) - t0;
	s->stats.last_start_ms = t0;
	s->stats.last_cpu_us = thread_cpu_us() - c0;
	pthread_mutex_unlock(&s->mu);
	if (mc != CURLM_OK)
		return err_set(e, ERR_IO, "curl: %s", curl_multi_strerror(mc));
	return 0;
}

/* ---- thread and lifetime ---- */

/* Sleep until the monotonic time `until`, or until woken to stop. */
static void wait_until(struct scraper *s, int64_t until)
{
	for (;;) {
		int64_t left = until - now_ms(CLOCK_MONOTONIC);

		if (left <= 0 || stopping(s))
			return;
		/* idle kept-alive connections may close meanwhile */
		sc_wait(s, (int)(left > 1000 ? 1000 : left));
	}
}

static void *scrape_main(void *arg)
{
	struct scraper *s = arg;
	struct err e;

	while (!stopping(s)) {
		int64_t start = now_ms(CLOCK_MONOTONIC);

		err_clear(&e);
		if (scraper_round(s, &e))
			log_error("scrape round: %s", e.msg);
		wait_until(s, start + s->o.interval_ms);
	}
	return NULL;
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
	s->timer_ms = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->multi = curl_multi_init();
	s->headers = curl_slist_append(NULL, "Accept: text/plain;version=0.0.4");
	if (s->epfd < 0 || s->wakefd < 0 || !s->multi || !s->headers ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd,
		      &(struct epoll_event){ .events = EPOLLIN,
					     .data.fd = s->wakefd }) != 0) {
		scraper_free(s);
		err_set(e, ERR_NOMEM, "cannot set up curl and epoll");
		return NULL;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 100000L);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, sc_socket);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, sc_timer);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
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
	if (s->multi)
		curl_multi_cleanup(s->multi); /* its sockets leave epfd */
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
