/*
 * fuzz_selector.c - libFuzzer harness for Kubernetes label selectors (from
 * the labelSelector query parameter, untrusted).  Parses, matches a fixed
 * label set, and renders the LabelSelector JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/serve/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *labels[] = { "app", "flink", "n", "3", NULL };
	char *text = malloc(size + 1);
	struct selector s;
	struct buf b = BUF_INIT(1 << 20);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sel_parse(&s, text, NULL) == 0) {
		sel_matches(&s, labels);
		sel_to_json(&s, &b);
		sel_release(&s);
	}
	buf_release(&b);
	free(text);
	return 0;
}
