/*
 * fuzz_jmparse.c - libFuzzer harness for the JobManager's REST answers
 * (adapter/flink/jmparse.c, the one reader of Flink's JSON, used by the
 * JobManager poller and the sync controller: untrusted input from any
 * address a pod annotation names), the checkpoint readers among them.  Every reader and the job picker get
 * the same bytes; none may crash, read out of bounds or overflow its
 * outputs.
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
	char msg[128];
	struct buf get = BUF_INIT(JMP_GET_MAX);
	struct jmp_values v = { 0 };
	struct jmp_jobs jobs;
	struct jmp_slots slots;
	struct jmp_checkpoints cp;
	struct jmp_cp_config cfg = { 0, true, false };

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	jmp_errors(text, msg, sizeof(msg));
	if (jmp_jobs(text, size, &jobs, NULL) == 0) {
		jmp_pick(&jobs, "");
		jmp_pick(&jobs, "orders-enrichment");
	}
	jmp_jobs_release(&jobs);
	if (jmp_job(text, size, &job, NULL) == 0) {
		jmp_parallelism(&job);
		jmp_at_target(&job, 4);
	}
	jmp_slots(text, size, &slots, NULL);
	if (jmp_metric_ids(text, size, &get, NULL) == 0)
		jmp_get_kinds(buf_str(&get));
	jmp_aggregates(text, size, &v, NULL);
	if (jmp_checkpoints(text, size, &cp, NULL) == 0)
		jmp_restore_point(&cp, &cfg);
	if (jmp_cp_config(text, size, &cfg, NULL) == 0)
		jmp_restore_point(&cp, &cfg);
	buf_release(&get);
	free(text);
	return 0;
}
