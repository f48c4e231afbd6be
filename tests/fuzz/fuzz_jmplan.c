/*
 * fuzz_jmplan.c - libFuzzer harness for the job graph readers
 * (adapter/flink/jmplan: /jobs/:jobid/plan and the TaskManager count of
 * /taskmanagers, untrusted input from any address a pod annotation
 * names).  None may crash, read out of bounds or overflow its outputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/flink/jmplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jmplan plan;
	char *text = malloc(size + 1);
	size_t n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (jmplan_parse(text, &plan, NULL) == 0 && plan.n)
		(void)jmplan_find(&plan, plan.v[plan.n - 1].id);
	jmplan_taskmanagers(text, &n, NULL);
	free(text);
	return 0;
}
