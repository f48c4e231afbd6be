/*
 * test_keytab.c - common/keytab, the namespace/name table under the
 * informer and discovery:
 *
 *   - the same names in two namespaces, and "a"/"bc" beside "ab"/"c", are
 *     different keys;
 *   - 5,000 keys grow the table from 64 chains to 8,192 (one key a chain),
 *     and every key stays findable, each visited once by a walk;
 *   - keys unlinked by lookup and during a walk are gone, the others
 *     stay, and a walk that unlinks every node empties the table;
 *   - a table that may not grow (its limit reached: the same branch as a
 *     calloc that fails) holds 1,000 keys in 64 longer chains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/keytab.h"

#define NKEYS 5000

struct item {
	int tag;
	struct keytab_node node; /* not first: keytab_entry must subtract */
	char ns[32], name[32];
	int visits;
};

static struct item items[NKEYS];

static void item_set(struct item *it, const char *ns, const char *name,
		     int tag)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->ns, sizeof(it->ns), "%s", ns);
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->node.ns = it->ns;
	it->node.name = it->name;
	it->tag = tag;
}

/* Insert it the way the callers do: grow, look up, put at the slot. */
static void item_add(struct keytab *t, struct item *it)
{
	struct keytab_node **slot;
	uint32_t h;

	keytab_grow(t);
	slot = keytab_slot(t, it->ns, it->name, &h);
	assert_null(*slot);
	keytab_insert(t, slot, &it->node, h);
}

/* The item holding ns/name, NULL when the table has no such key. */
static struct item *item_find(struct keytab *t, const char *ns,
			      const char *name)
{
	struct keytab_node *n = *keytab_slot(t, ns, name, NULL);

	return n ? keytab_entry(n, struct item, node) : NULL;
}

/* Items i < n: ns-(i%2)/pod-(i/2), the same names in two namespaces. */
static void items_add(struct keytab *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ns[32], name[32];

		snprintf(ns, sizeof(ns), "ns-%zu", i % 2);
		snprintf(name, sizeof(name), "pod-%zu", i / 2);
		item_set(&items[i], ns, name, (int)i);
		item_add(t, &items[i]);
	}
}

static void items_all_found(struct keytab *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(item_find(t, items[i].ns, items[i].name),
				 &items[i]);
}

static void keytab__same_name_two_namespaces__two_keys(void **state)
{
	struct item a, b, c, d;
	struct keytab t;

	(void)state;
	assert_int_equal(keytab_init(&t, 1, 1024), 0);
	item_set(&a, "prod", "tm-1", 1);
	item_set(&b, "test", "tm-1", 2);
	item_set(&c, "a", "bc", 3);
	item_set(&d, "ab", "c", 4);
	item_add(&t, &a);
	item_add(&t, &b);
	item_add(&t, &c);
	item_add(&t, &d);
	assert_int_equal(t.count, 4);
	assert_ptr_equal(item_find(&t, "prod", "tm-1"), &a);
	assert_ptr_equal(item_find(&t, "test", "tm-1"), &b);
	assert_ptr_equal(item_find(&t, "a", "bc"), &c);
	assert_ptr_equal(item_find(&t, "ab", "c"), &d);
	assert_null(item_find(&t, "other", "tm-1"));
	assert_null(item_find(&t, "prod", "tm-2"));
	assert_null(item_find(&t, "", "prodtm-1"));
	keytab_release(&t);
}

static void keytab__many_keys__grows_and_finds_all(void **state)
{
	struct keytab_iter it;
	struct keytab_node *n;
	struct keytab t;
	size_t walked = 0;

	(void)state;
	assert_int_equal(keytab_init(&t, 1, KEYTAB_MAX_BUCKETS), 0);
	assert_int_equal(t.nbuckets, KEYTAB_BUCKETS0);
	items_add(&t, NKEYS);
	assert_int_equal(t.count, NKEYS);
	assert_int_equal(t.nbuckets, 8192); /* 64 doubled seven times */
	items_all_found(&t, NKEYS);
	keytab_iter_init(&it, &t);
	while ((n = keytab_next(&it))) {
		keytab_entry(n, struct item, node)->visits++;
		walked++;
	}
	assert_null(keytab_next(&it)); /* the end stays the end */
	assert_int_equal(walked, NKEYS);
	for (size_t i = 0; i < NKEYS; i++)
		assert_int_equal(items[i].visits, 1);
	keytab_release(&t);
}

/* Unlink every third key by lookup, then, in a walk, every key of ns-1. */
static void keytab__unlink__gone_others_stay(void **state)
{
	struct keytab_iter it;
	struct keytab_node *n;
	struct keytab t;
	size_t left = NKEYS;

	(void)state;
	assert_int_equal(keytab_init(&t, 2, KEYTAB_MAX_BUCKETS), 0);
	items_add(&t, NKEYS);
	for (size_t i = 0; i < NKEYS; i += 3) {
		keytab_unlink(&t, keytab_slot(&t, items[i].ns, items[i].name,
					      NULL));
		left--;
	}
	assert_int_equal(t.count, left);
	keytab_iter_init(&it, &t);
	while ((n = keytab_next(&it)))
		if (strcmp(n->ns, "ns-1") == 0) {
			keytab_iter_unlink(&it);
			memset(n, 0xa5, sizeof(*n)); /* as if freed */
			left--;
		}
	assert_int_equal(t.count, left);
	for (size_t i = 0; i < NKEYS; i++) {
		bool gone = i % 3 == 0 || i % 2 == 1;

		if (gone)
			assert_null(item_find(&t, items[i].ns, items[i].name));
		else
			assert_ptr_equal(item_find(&t, items[i].ns,
						   items[i].name), &items[i]);
	}
	keytab_iter_init(&it, &t);
	while ((n = keytab_next(&it)))
		keytab_iter_unlink(&it);
	assert_int_equal(t.count, 0);
	keytab_iter_init(&it, &t);
	assert_null(keytab_next(&it));
	keytab_release(&t);
}

static void keytab__grow_refused__longer_chains_work(void **state)
{
	struct keytab t;

	(void)state;
	assert_int_equal(keytab_init(&t, 1, KEYTAB_BUCKETS0), 0);
	items_add(&t, 1000);
	assert_int_equal(t.nbuckets, KEYTAB_BUCKETS0);
	assert_int_equal(t.count, 1000);
	items_all_found(&t, 1000);
	assert_null(item_find(&t, "ns-0", "pod-500"));
	keytab_release(&t);
	assert_null(t.tab);
	assert_int_equal(t.nbuckets, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keytab__same_name_two_namespaces__two_keys),
		cmocka_unit_test(keytab__many_keys__grows_and_finds_all),
		cmocka_unit_test(keytab__unlink__gone_others_stay),
		cmocka_unit_test(keytab__grow_refused__longer_chains_work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
