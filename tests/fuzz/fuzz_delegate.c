/*
 * fuzz_delegate.c - libFuzzer harness for the delegate's discovery
 * documents (adapter/delegate: untrusted input from the other adapter),
 * read as the delegation thread reads them and then listed the way the
 * API's discovery answer walks them.  None may crash or leak; a refused
 * document must leave the one before in place.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/delegate/delegate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ud, const char *name, bool namespaced)
{
	size_t *n = ud;

	(void)namespaced;
	if (!name || !*name)
		abort(); /* an entry without a name was kept */
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct delegate *d;
	static const char good[] = "{\"resources\":[{\"name\":\"pods/a\"}]}";
	const char *gv = "custom.metrics.k8s.io/v1beta2";
	struct delegate_opts o = { .custom_url = "http://127.0.0.1:1",
				   .timeout_ms = 1000 };
	size_t before = 0, after = 0;
	struct err e;

	err_clear(&e);
	if (!d && !(d = delegate_new(&o, &e)))
		abort();
	if (delegate_set_discovery(d, gv, good, strlen(good), &e))
		abort();
	delegate_each_resource(d, gv, count, &before);
	if (delegate_set_discovery(d, gv, (const char *)data, size, &e)) {
		delegate_each_resource(d, gv, count, &after);
		if (after != before)
			abort(); /* a refused document replaced the old one */
	} else {
		delegate_each_resource(d, gv, count, &after);
	}
	return 0;
}
