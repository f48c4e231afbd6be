/*
 * test_redact.c - redact_url: the userinfo of a URL becomes "***" wherever
 * it is (with a scheme or without, IPv6 hosts, '@' later in the path or
 * query left alone, a password holding '@' or ':'), other URLs are copied
 * unchanged, and a short buffer is truncated and terminated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/redact.h"

static void redact__userinfo__stars(void **state)
{
	static const char *cases[][2] = {
		{ "http://alice:s3cret@10.0.0.1:9249/metrics",
		  "http://***@10.0.0.1:9249/metrics" },
		{ "https://user@jm:8081", "https://***@jm:8081" },
		{ "http://a:p@ss@w0rd@jm:8081/jobs?x=@y",
		  "http://***@jm:8081/jobs?x=@y" },
		{ "http://u:p@[fd00::5]:9249/m", "http://***@[fd00::5]:9249/m" },
		{ "user:pw@host:8081/x", "***@host:8081/x" },
		{ "http://:@h/", "http://***@h/" },
	};
	char out[REDACT_URL_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(redact_url(cases[i][0], out, sizeof(out)),
				    cases[i][1]);
}

static void redact__no_userinfo__unchanged(void **state)
{
	static const char *same[] = {
		"http://10.0.0.1:9249/metrics",
		"http://jm:8081/jobs/overview?who=a@b",
		"http://jm:8081/path@at#frag@x",
		"http://[fd00::5]:9249/metrics",
		"",
		"not a url",
	};
	char out[REDACT_URL_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_string_equal(redact_url(same[i], out, sizeof(out)),
				    same[i]);
	assert_string_equal(redact_url(NULL, out, sizeof(out)), "");
}

static void redact__short_buffer__truncated_without_password(void **state)
{
	char out[12];

	(void)state;
	assert_string_equal(redact_url("http://alice:secret@host/metrics", out,
				       sizeof(out)),
			    "http://***@");
	assert_null(strstr(out, "secret"));
	assert_string_equal(redact_url("http://host:9249/metrics", out, 5),
			    "http");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redact__userinfo__stars),
		cmocka_unit_test(redact__no_userinfo__unchanged),
		cmocka_unit_test(redact__short_buffer__truncated_without_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
