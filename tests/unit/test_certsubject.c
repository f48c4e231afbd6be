/*
 * test_certsubject.c - the front proxy's allowed names as authn keeps
 * them: a list that cannot be kept whole is refused with a message, never
 * kept cut short or taken as "any name" (the subjects themselves are read
 * from real certificates in tests/blackbox/adapter_auth.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/auth/authn.h"

static void allowed_names__over_64k__refused(void **state)
{
	size_t n = 70 * 1024;
	char *names = malloc(n + 1);
	struct authn *a;
	struct err e;

	(void)state;
	assert_non_null(names);
	for (size_t i = 0; i < n; i++)
		names[i] = i % 20 == 19 ? ',' : 'a' + (char)(i % 20);
	names[n] = '\0';
	err_clear(&e);
	a = authn_new(&(struct authn_cas){ NULL, NULL, names }, &e);
	assert_null(a);
	assert_int_equal(e.code, ERR_LIMIT);
	assert_non_null(strstr(e.msg, "allowed names"));
	free(names);
}

static void allowed_names__usual__kept(void **state)
{
	struct authn *a;
	struct err e;

	(void)state;
	err_clear(&e);
	a = authn_new(&(struct authn_cas){ NULL, NULL,
					   "front-proxy-client, aggregator" }, &e);
	assert_non_null(a);
	authn_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowed_names__over_64k__refused),
		cmocka_unit_test(allowed_names__usual__kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
