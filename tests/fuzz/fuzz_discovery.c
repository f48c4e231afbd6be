/*
 * fuzz_discovery.c - libFuzzer harness for a pod as discovery reads it
 * (adapter/collect/discovery: JSON from kube-apiserver, whose annotations
 * anyone who may edit a pod writes): the port and path annotations are
 * validated, the URL, owner, CPU requests and labels extracted.  No input
 * may crash, read out of bounds or leave a URL from a refused annotation.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/collect/discovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *pod;
	struct pod_target t;

	if (!tok)
		return 0;
	pod = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (pod) {
		int rc = disc_pod_target(pod, &t);

		if (rc == ERR_INVAL && t.bad[0] && t.url[0])
			abort(); /* a refused pod has no URL */
		if (rc == 0 || rc == ERR_NOMEM)
			disc_pod_target_release(&t);
		json_object_put(pod);
	}
	json_tokener_free(tok);
	return 0;
}
