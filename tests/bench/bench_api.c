/*
 * bench_api.c - the adapter's API server for `make bench`: the real HTTP
 * layer (libmicrohttpd, plain or TLS with a self-signed certificate) and
 * router, over a store filled with PODS TaskManager pods in JOBS jobs
 * (labels app=flink, job=job-K, namespace bench), each with every pod
 * metric.  Prints "port=N" and serves until SIGTERM or SIGINT.
 *
 * Usage: bench_api PODS JOBS plain|tls THREADS
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/serve/httpd.h"
#include "adapter/serve/tlsgen.h"

static void fill(struct store *st, const struct ex_spec *spec, int pods,
		 int jobs, int64_t now)
{
	struct ex_page *pg = ex_page_new(spec);

	for (int i = 0; i < pods; i++) {
		char name[64], job[32], page[1024];
		const char *labels[] = { "app", "flink", "component",
					 "taskmanager", "job", job, NULL };
		struct store_pod_meta m = { "bench", name, NULL, job, labels };
		struct ex_cpu_state cpu = { 0, 0, false };
		double v[CAT_N];
		bool has[CAT_N];

		snprintf(name, sizeof(name), "flink-taskmanager-%04d", i);
		snprintf(job, sizeof(job), "job-%d", i % jobs);
		snprintf(page, sizeof(page),
			 "flink_taskmanager_Status_JVM_CPU_Load %g\n"
			 "flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=\"%s\",} %d\n"
			 "flink_taskmanager_job_task_operator_pendingRecords{job_name=\"%s\",} %d\n",
			 (i % 100) / 100.0, job, i % 1000, job, i * 7);
		store_upsert_pod(st, &m, NULL);
		ex_page_reset(pg);
		pp_parse(page, strlen(page), NULL, ex_spec_filter(spec),
			 ex_sample, pg, NULL);
		ex_pod_values(pg, 0, now, &cpu, v, has);
		store_put_page(st, "bench", name, pg, v, has, now, NULL);
	}
	ex_page_free(pg);
}

int main(int argc, char **argv)
{
	struct buf cert = BUF_INIT(1 << 20), key = BUF_INIT(1 << 20);
	struct ex_spec *spec;
	struct store *st;
	struct httpd *h;
	struct err e;
	sigset_t set;
	int sig;
	bool tls;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_api PODS JOBS plain|tls THREADS\n");
		return 2;
	}
	tls = strcmp(argv[3], "tls") == 0;
	err_clear(&e);
	if (tls && tlsgen_self_signed(NULL, &cert, &key, &e)) {
		fprintf(stderr, "bench_api: %s\n", e.msg);
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	spec = ex_spec_new(NULL, 0, NULL);
	st = store_new(spec, (int64_t)1 << 60);
	fill(st, spec, atoi(argv[1]), atoi(argv[2]), 1704067200000LL);
	{
		struct api_ctx ctx = { st, spec, 5, NULL, NULL, NULL, NULL };
		struct httpd_opts o = { "127.0.0.1", 0, tls, buf_str(&cert),
					buf_str(&key), (unsigned)atoi(argv[4]),
					4096, NULL, NULL, NULL };
		h = httpd_start(&o, &ctx, NULL, &e);
		if (!h) {
			fprintf(stderr, "bench_api: %s\n", e.msg);
			return 1;
		}
		printf("port=%d\n", httpd_port(h));
		fflush(stdout);
		sigwait(&set, &sig);
		httpd_stop(h);
	}
	store_free(st);
	ex_spec_free(spec);
	buf_release(&cert);
	buf_release(&key);
	return 0;
}
