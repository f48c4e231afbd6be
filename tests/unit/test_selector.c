/*
 * test_selector.c - Kubernetes label selectors: every operator, blanks,
 * qualified keys, empty values, matching semantics (notin and != match a
 * missing label, as in Kubernetes), errors, and the LabelSelector JSON that
 * metav1.ParseToLabelSelector would produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "adapter/serve/selector.h"

static const char *pod[] = { "app", "flink", "component", "taskmanager",
			     "example.com/tier", "gold", "replicas", "3",
			     "empty", "", NULL };

static bool match(const char *text)
{
	struct selector s;
	struct err e;
	bool m;

	err_clear(&e);
	if (sel_parse(&s, text, &e))
		fail_msg("parse \"%s\": %s", text, e.msg);
	m = sel_matches(&s, pod);
	sel_release(&s);
	return m;
}

static void parse__every_operator__matches_as_kubernetes(void **state)
{
	(void)state;
	assert_true(match(""));
	assert_true(match("   "));
	assert_true(match("app=flink"));
	assert_true(match("app==flink"));
	assert_false(match("app=other"));
	assert_true(match("app!=other"));
	assert_false(match("app!=flink"));
	assert_true(match("missing!=x")); /* absent label: != matches */
	assert_true(match("app in (flink, other)"));
	assert_false(match("app in (x,y)"));
	assert_true(match("app notin (x,y)"));
	assert_true(match("missing notin (x)"));
	assert_false(match("app notin (flink)"));
	assert_true(match("app"));
	assert_false(match("missing"));
	assert_true(match("!missing"));
	assert_false(match("!app"));
	assert_true(match("replicas>2"));
	assert_false(match("replicas>3"));
	assert_true(match("replicas<4"));
	assert_false(match("app>1")); /* not a number: no match */
	assert_true(match("example.com/tier=gold"));
	assert_true(match("empty="));
	assert_true(match("empty in (,x)"));
	assert_true(match(" app = flink , component in ( taskmanager ) ,!x "));
	assert_false(match("app=flink,component=jobmanager"));
}

static void parse__bad_input__clear_error(void **state)
{
	static const char *bad[] = {
		"app=flink,", "=x", "app=fl ink", "app in flink",
		"app in (a", "app in ()", "-app=x", "app=-x",
		"a/b/c=x", "UPPER.com/x=y", "replicas>x", "app==",
		"app flink", "app=(x)", "!", "app=a,,b=c",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
	};
	struct selector s;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		if (sel_parse(&s, bad[i], &e) == 0) {
			/* "app==" is valid: empty value */
			if (strcmp(bad[i], "app==") == 0) {
				assert_int_equal(s.n, 1);
				sel_release(&s);
				continue;
			}
			fail_msg("accepted bad selector \"%s\"", bad[i]);
		}
		assert_int_not_equal(e.code, ERR_OK);
		assert_true(strlen(e.msg) > 10);
		assert_int_equal(s.n, 0);
	}
}

static void to_json__mixed__sorted_label_selector(void **state)
{
	struct selector s;
	struct buf b = BUF_INIT(4096);

	(void)state;
	assert_int_equal(sel_parse(&s, "z=1,app=flink,tier notin (b,a),x", NULL), 0);
	assert_int_equal(sel_to_json(&s, &b), 0);
	assert_string_equal(buf_str(&b),
		"{\"matchLabels\":{\"app\":\"flink\",\"z\":\"1\"},"
		"\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\","
		"\"values\":[\"a\",\"b\"]},{\"key\":\"x\",\"operator\":\"Exists\"}]}");
	assert_string_equal(sel_equal_value(&s, "app"), "flink");
	assert_null(sel_equal_value(&s, "tier"));
	sel_release(&s);
	buf_reset(&b);
	assert_int_equal(sel_parse(&s, "", NULL), 0);
	assert_int_equal(sel_to_json(&s, &b), 0);
	assert_string_equal(buf_str(&b), "{}");
	assert_int_equal(sel_parse(&s, "a!=b", NULL), 0);
	assert_int_equal(sel_to_json(&s, &b), ERR_INVAL);
	sel_release(&s);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__every_operator__matches_as_kubernetes),
		cmocka_unit_test(parse__bad_input__clear_error),
		cmocka_unit_test(to_json__mixed__sorted_label_selector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
