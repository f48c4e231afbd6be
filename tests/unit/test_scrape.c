/*
 * test_scrape.c - the scrape loop against real local servers: a
 * libmicrohttpd server with good, malformed, oversized and 404 pages; raw
 * sockets for a TaskManager that accepts and never answers and one that
 * closes in the middle of its body; and a port where nothing listens.
 * Checks what reaches the store, that failures do not, that a hanging
 * target does not hold back the others, and that target changes apply.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "common/hash.h"
#include "adapter/collect/scrape.h"

static const char good_page[] =
	"# HELP flink_taskmanager_job_task_operator_pendingRecords pendingRecords (scope: taskmanager_job_task_operator)\n"
	"# TYPE flink_taskmanager_job_task_operator_pendingRecords gauge\n"
	"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"orders\",subtask_index=\"0\",} 1234.0\n"
	"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"orders\",subtask_index=\"1\",} 766.0\n";

static char *huge_page;

/* Requests for /spread/... as the server saw them: path and time. */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { char path[32]; int64_t at_ms; } seen[64];
static int nseen;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c,
			     const char *url, const char *method,
			     const char *version, const char *data,
			     size_t *size, void **con_cls)
{
	const char *body = good_page;
	unsigned code = 200;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)method; (void)version; (void)data; (void)size;
	(void)con_cls;
	if (strncmp(url, "/spread/", 8) == 0) {
		pthread_mutex_lock(&seen_mu);
		if (nseen < 64) {
			snprintf(seen[nseen].path, sizeof(seen[nseen].path), "%s", url);
			seen[nseen++].at_ms = mono_ms();
		}
		pthread_mutex_unlock(&seen_mu);
	}
	if (strcmp(url, "/bad") == 0)
		body = "flink_taskmanager_job_task_operator_pendingRecords{a=\"b} 1\n";
	else if (strcmp(url, "/huge") == 0)
		body = huge_page;
	else if (strcmp(url, "/missing") == 0)
		code = 404;
	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* A raw server: mode 0 accepts and never answers; mode 1 answers with a
 * Content-Length it does not honour, then closes. */
struct raw {
	int fd;
	int port;
	int mode;
	pthread_t th;
};

static void *raw_main(void *arg)
{
	struct raw *r = arg;
	static const char partial[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
		"flink_taskmanager_job_task_operator_pendingRecords 99.0\n";
	int c;

	while ((c = accept(r->fd, NULL, NULL)) >= 0) {
		char buf[4096];
		if (read(c, buf, sizeof(buf)) <= 0 || r->mode == 0) {
			sleep(30); /* hold the connection, answer nothing */
			close(c);
			continue;
		}
		if (write(c, partial, sizeof(partial) - 1) < 0)
			perror("write");
		close(c);
	}
	return NULL;
}

static void raw_start(struct raw *r, int mode)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->mode = mode;
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->fd, 16), 0);
	getsockname(r->fd, (struct sockaddr *)&a, &len);
	r->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&r->th, NULL, raw_main, r), 0);
	pthread_detach(r->th);
}

static int dead_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd); /* nothing listens there now */
	return port;
}

struct env {
	struct MHD_Daemon *d;
	int port;
	struct raw hang, partial;
	struct ex_spec *spec;
	struct store *st;
	struct scraper *sc;
};

static const char *pods[] = { "good-1", "good-2", "bad", "huge", "missing",
			      "hang", "partial", "dead" };
#define NPODS 8

static int setup(void **state)
{
	static struct env v;
	const union MHD_DaemonInfo *info;
	struct scrape_opts o = { 5000, 1500, 64 * 1024, 1000 };

	huge_page = malloc(200 * 1024);
	for (size_t i = 0; i < 200 * 1024 - 1; i++)
		huge_page[i] = (i % 64 == 63) ? '\n' : '#';
	huge_page[200 * 1024 - 1] = '\0';
	curl_global_init(CURL_GLOBAL_DEFAULT);
	v.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			       serve, NULL, MHD_OPTION_END);
	if (!v.d)
		return -1;
	info = MHD_get_daemon_info(v.d, MHD_DAEMON_INFO_BIND_PORT);
	v.port = info->port;
	raw_start(&v.hang, 0);
	raw_start(&v.partial, 1);
	v.spec = ex_spec_new(NULL, 0, NULL);
	v.st = store_new(v.spec, 15000);
	v.sc = scraper_new(&o, v.spec, v.st, NULL);
	for (int i = 0; i < NPODS; i++) {
		struct store_pod_meta m = { "flink", pods[i], "tm", "orders", NULL };
		store_upsert_pod(v.st, &m, NULL);
	}
	*state = &v;
	return v.sc ? 0 : -1;
}

static int teardown(void **state)
{
	struct env *v = *state;

	scraper_free(v->sc);
	store_free(v->st);
	ex_spec_free(v->spec);
	MHD_stop_daemon(v->d);
	free(huge_page);
	curl_global_cleanup();
	return 0;
}

struct got {
	char name[8][32];
	double v[8];
	int64_t at[8];
	int n;
};

static int collect(void *ud, const char *name, double value, int64_t at)
{
	struct got *g = ud;

	snprintf(g->name[g->n], 32, "%s", name);
	g->v[g->n] = value;
	g->at[g->n++] = at;
	return 0;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_all_targets(struct env *v)
{
	char urls[NPODS][128];
	struct scrape_target t[NPODS];
	int ports[NPODS] = { v->port, v->port, v->port, v->port, v->port,
			     v->hang.port, v->partial.port, dead_port() };
	const char *paths[NPODS] = { "/metrics", "/metrics", "/bad", "/huge",
				     "/missing", "/metrics", "/metrics",
				     "/metrics" };

	for (int i = 0; i < NPODS; i++) {
		snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d%s",
			 ports[i], paths[i]);
		t[i] = (struct scrape_target){ "flink", pods[i], urls[i], 0 };
	}
	assert_int_equal(scraper_set_targets(v->sc, t, NPODS, NULL), 0);
}

static void round__mixed_targets__only_good_pages_stored(void **state)
{
	struct env *v = *state;
	struct store_metric m = { CAT_TM_BACKLOG, -1 };
	struct scrape_stats st;
	struct got g = { .n = 0 };
	int64_t t0 = wall_ms();

	set_all_targets(v);
	assert_int_equal(scraper_round(v->sc, NULL), 0);
	store_pods(v->st, "flink", m, wall_ms(), NULL, NULL, collect, &g);
	assert_int_equal(g.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(strncmp(g.name[i], "good-", 5) == 0);
		assert_float_equal(g.v[i], 2000.0, 0);
		/* stored long before the hanging target's 1.5 s timeout */
		assert_true(g.at[i] - t0 < 1000);
	}
	scraper_get_stats(v->sc, &st);
	assert_int_equal(st.ok, 2);
	assert_int_equal(st.failed, 6);
	assert_int_equal(st.failing, 6);
	assert_int_equal(st.targets, 8);
	assert_true(st.last_round_ms >= 1500); /* it waited for the hang */
}

static void set_targets__change__slots_follow(void **state)
{
	struct env *v = *state;
	char url[128];
	struct scrape_target t[1];
	struct scrape_stats st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", v->port);
	t[0] = (struct scrape_target){ "flink", "good-1", url, 1.0 };
	assert_int_equal(scraper_set_targets(v->sc, t, 1, NULL), 0);
	assert_int_equal(scraper_round(v->sc, NULL), 0);
	scraper_get_stats(v->sc, &st);
	assert_int_equal(st.targets, 1);
	assert_int_equal(st.failing, 0);
	assert_int_equal(st.ok, 3);
}

static void thread__runs_rounds__and_stops(void **state)
{
	struct env *v = *state;
	struct scrape_stats st;
	int tries = 0;

	assert_int_equal(scraper_start(v->sc, NULL), 0);
	do {
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
		scraper_get_stats(v->sc, &st);
	} while (st.rounds < 3 && ++tries < 500);
	scraper_stop(v->sc);
	assert_true(st.rounds >= 3);
	assert_true(st.ok >= 4);
}

/* The thread spreads a round over the interval: each target at its own
 * offset (a hash of its URL modulo the interval), the same in every round.
 * Four targets whose offsets lie at least 150 ms apart, a 1 s interval:
 * the server sees them in the order of their offsets, each about its
 * offset after the first one's, and each again an interval later. */
static void thread__spreads_round__at_stable_offsets(void **state)
{
	struct env *v = *state;
	struct scrape_opts o = { 1000, 500, 64 * 1024, 1000 };
	struct scraper *sc = scraper_new(&o, v->spec, v->st, NULL);
	char url[4][96];
	int64_t off[4];
	struct scrape_target t[4];
	const char *env = getenv("FH_TIMEOUT_FACTOR");
	int64_t slack = 120 * (env && atoi(env) > 1 ? atoi(env) : 1);
	int n = 0, tries = 0;

	assert_non_null(sc);
	for (int k = 0; n < 4 && k < 1000; k++) {
		bool far = true;

		snprintf(url[n], sizeof(url[n]), "http://127.0.0.1:%d/spread/%d",
			 v->port, k);
		off[n] = hash_fnv1a(url[n], strlen(url[n])) % 1000;
		for (int j = 0; j < n; j++)
			far = far && llabs(off[j] - off[n]) >= 150;
		if (far && off[n] < 850) /* each pass's order is unambiguous */
			n++;
	}
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++)
		t[i] = (struct scrape_target){ "flink", pods[i], url[i], 0 };
	assert_int_equal(scraper_set_targets(sc, t, 4, NULL), 0);
	nseen = 0;
	assert_int_equal(scraper_start(sc, NULL), 0);
	do {
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		pthread_mutex_lock(&seen_mu);
		n = nseen;
		pthread_mutex_unlock(&seen_mu);
	} while (n < 12 && ++tries < 200);
	scraper_free(sc);
	assert_true(n >= 12);
	for (int r = 0; r < 3; r++) {
		int first = -1;

		for (int i = 0; i < 4; i++) {
			int64_t at = seen[4 * r + i].at_ms - seen[4 * r].at_ms;
			int k = -1;

			for (int j = 0; j < 4; j++)
				if (!strcmp(strstr(url[j], "/spread/"),
					    seen[4 * r + i].path))
					k = j;
			assert_true(k >= 0);
			if (i == 0)
				first = k;
			/* in offset order, each at its offset */
			assert_true(i == 0 || off[k] > off[first]);
			assert_true(llabs(at - (off[k] - off[first])) <= slack);
			/* an interval after its previous scrape */
			if (r > 0)
				assert_true(llabs(seen[4 * r + i].at_ms -
						  seen[4 * (r - 1) + i].at_ms -
						  1000) <= slack);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round__mixed_targets__only_good_pages_stored),
		cmocka_unit_test(set_targets__change__slots_follow),
		cmocka_unit_test(thread__runs_rounds__and_stops),
		cmocka_unit_test(thread__spreads_round__at_stable_offsets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
