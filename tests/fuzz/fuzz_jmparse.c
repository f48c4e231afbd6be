/*
 * fuzz_jmparse.c - libFuzzer harness for the JobManager's REST answers
 * (adapter/jmparse: untrusted input from any address a pod annotation
 * names).  Every reader gets the same bytes; none may crash, read out of
 * bounds or overflow its outputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/flink/jmparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jmp_job job;
	char *text = malloc(size + 1);
	char jid[JMP_ID_MAX], name[64], msg[128];
	struct buf get = BUF_INIT(JMP_GET_MAX);
	struct jmp_values v = { 0 };
	int64_t total, free_slots;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	jmp_errors(text, msg, sizeof(msg));
	jmp_pick_job(text, "", jid, name, sizeof(name), NULL);
	jmp_pick_job(text, "orders-enrichment", jid, name, sizeof(name), NULL);
	jmp_job(text, &job, NULL);
	jmp_slots(text, &total, &free_slots, NULL);
	jmp_metric_ids(text, &get, NULL);
	jmp_aggregates(text, &v, NULL);
	buf_release(&get);
	free(text);
	return 0;
}
