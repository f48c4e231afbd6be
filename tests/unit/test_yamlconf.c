/*
 * test_yamlconf.c - common/yamlconf.c's node budget: a document whose
 * aliases nest ten deep ("billion laughs": 10^9 nodes to walk, a few
 * hundred bytes to write) stops a walk with ERR_LIMIT after YDOC_BUDGET
 * node visits, while the same shape without the nesting is read whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/yamlconf.h"

struct walk {
	struct ydoc *d;
	unsigned long scalars;
};

/* Every node under n, aliases followed. */
static int walk(struct walk *w, yaml_node_t *n, struct err *e)
{
	int rc = 0;

	if (!n)
		return ydoc_budget_check(w->d, e) ? ERR_LIMIT : ERR_INVAL;
	if (n->type == YAML_SCALAR_NODE)
		w->scalars++;
	if (n->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     !rc && i < n->data.sequence.items.top; i++)
		rc = walk(w, ydoc_node(w->d, *i), e);
	return rc;
}

static int key(void *ud, const char *k, yaml_node_t *v, struct err *e)
{
	(void)k;
	return walk(ud, v, e);
}

static int load_and_walk(const char *text, struct walk *w, struct err *e)
{
	char path[] = "/tmp/test_yamlconf.XXXXXX";
	int fd = mkstemp(path), rc;
	struct ydoc d;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(ydoc_load(&d, path, e), 0);
	unlink(path);
	w->d = &d;
	w->scalars = 0;
	rc = ydoc_map(&d, ydoc_root(&d), "doc", NULL, NULL, key, w, e);
	ydoc_release(&d);
	return rc;
}

static void alias_bomb__stopped_by_the_budget(void **state)
{
	static const char bomb[] =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	struct walk w;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(load_and_walk(bomb, &w, &e), ERR_LIMIT);
	assert_non_null(strstr(e.msg, "counting aliases"));
	assert_true(w.scalars < YDOC_BUDGET);
}

static void aliases_within_the_budget__read(void **state)
{
	static const char ok[] =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: [*b, *b, *b]\n";
	struct walk w;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(load_and_walk(ok, &w, &e), 0);
	assert_int_equal(w.scalars, 10 + 100 + 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alias_bomb__stopped_by_the_budget),
		cmocka_unit_test(aliases_within_the_budget__read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
