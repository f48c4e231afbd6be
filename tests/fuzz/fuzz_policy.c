/*
 * fuzz_policy.c - libFuzzer harness for flinkhpa-gen's policy reader and
 * writers: any accepted input must also produce its manifests (within the
 * limits, with no leak or overflow), and the output must not depend on
 * anything but the input (it is built twice and compared).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen/plan.h"
#include "gen/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void build_twice(const struct pol_file *f)
{
	struct plan_opts o = { .hpa = EMIT_HPA_V2, .namespaces = true };
	struct plan a, b;

	if (plan_build(&a, f, 1, &o, NULL))
		return;
	if (plan_build(&b, f, 1, &o, NULL) == 0) {
		if (a.n != b.n)
			abort();
		for (size_t i = 0; i < a.n; i++)
			if (a.v[i].text.len != b.v[i].text.len ||
			    memcmp(buf_str(&a.v[i].text), buf_str(&b.v[i].text),
				   a.v[i].text.len))
				abort();
		plan_release(&b);
	}
	plan_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_file f;
	struct err e;

	if (size > POL_MAX_FILE)
		return 0;
	err_clear(&e);
	if (pol_parse("fuzz.yaml", (const char *)data, size, &f, &e) == 0) {
		build_twice(&f);
		pol_file_release(&f);
	} else if (!e.msg[0]) {
		abort(); /* every rejection says why */
	}
	return 0;
}
