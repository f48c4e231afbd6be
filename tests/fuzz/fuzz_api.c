/*
 * fuzz_api.c - libFuzzer harness for the API router: the input is split
 * into path, labelSelector, metricLabelSelector, fieldSelector, pretty and
 * Accept (separated by newlines), all untrusted, and answered from a store
 * holding a few pods.  Every answer must carry a code and a content type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/serve/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct api_ctx ctx;

static void setup(void)
{
	static const char *labels[] = { "app", "flink", NULL };
	static const char page[] =
		"flink_taskmanager_job_task_operator_pendingRecords{job_name=\"j\",} 5\n"
		"flink_taskmanager_Status_JVM_CPU_Load 0.5\n";
	struct ex_spec *spec = ex_spec_new(NULL, 0, NULL);
	struct store *st = store_new(spec, 1LL << 60);
	struct ex_page *pg = ex_page_new(spec);
	struct ex_cpu_state cpu = { 0, 0, false };
	struct store_pod_meta m = { "ns", "tm-1", "dep", "j", labels };
	double v[CAT_N];
	bool has[CAT_N];

	store_upsert_pod(st, &m, NULL);
	pp_parse(page, sizeof(page) - 1, NULL, ex_spec_filter(spec), ex_sample,
		 pg, NULL);
	ex_pod_values(pg, 0, 1000, &cpu, v, has);
	store_put_page(st, "ns", "tm-1", pg, v, has, 1000, NULL);
	ex_page_free(pg);
	ctx = (struct api_ctx){ st, spec, 5, NULL, NULL, NULL, NULL };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *f[6] = { NULL }, *p;
	struct api_request rq;
	struct api_response rs;
	int n = 0;

	if (!text)
		return 0;
	if (!ctx.store)
		setup();
	memcpy(text, data, size);
	text[size] = '\0';
	for (p = text; n < 6; n++) {
		f[n] = p;
		p = strchr(p, '\n');
		if (!p)
			break;
		*p++ = '\0';
	}
	rq = (struct api_request){ "GET", f[0], f[1], f[2], f[3], f[4], f[5],
				   "fuzz" };
	rs.code = 0;
	rs.content_type = NULL;
	buf_init(&rs.body, 1 << 24);
	api_handle(&ctx, &rq, &rs);
	if (rs.code < 200 || !rs.content_type)
		abort();
	buf_release(&rs.body);
	free(text);
	return 0;
}
