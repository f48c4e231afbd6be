/*
 * keytab.c - the namespace/name hash table with nodes in the caller's
 * structs (see keytab.h).
 */
#include "common/keytab.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"

int keytab_init(struct keytab *t, size_t per_chain, size_t max_buckets)
{
	memset(t, 0, sizeof(*t));
	t->per_chain = per_chain ? per_chain : 1;
	t->max_buckets = max_buckets;
	if (!(t->tab = calloc(KEYTAB_BUCKETS0, sizeof(*t->tab))))
		return ERR_NOMEM;
	t->nbuckets = KEYTAB_BUCKETS0;
	return 0;
}

void keytab_release(struct keytab *t)
{
	free(t->tab);
	t->tab = NULL;
	t->nbuckets = 0;
	t->count = 0;
}

void keytab_grow(struct keytab *t)
{
	size_t n = t->nbuckets * 2;
	struct keytab_node **tab;

	/* a refused or failed doubling costs only speed: the old chains
	 * still hold every node */
	if (!t->nbuckets || t->count < t->nbuckets * t->per_chain ||
	    n > t->max_buckets || !(tab = calloc(n, sizeof(*tab))))
		return;
	for (size_t b = 0; b < t->nbuckets; b++)
		while (t->tab[b]) {
			struct keytab_node *k = t->tab[b];

			t->tab[b] = k->next;
			k->next = tab[k->hash & (n - 1)];
			tab[k->hash & (n - 1)] = k;
		}
	free(t->tab);
	t->tab = tab;
	t->nbuckets = n;
}

struct keytab_node **keytab_slot(struct keytab *t, const char *ns,
				 const char *name, uint32_t *hash)
{
	uint32_t h = hash_pair(ns, name);
	struct keytab_node **p = &t->tab[h & (t->nbuckets - 1)];

	for (; *p; p = &(*p)->next)
		if ((*p)->hash == h && strcmp((*p)->ns, ns) == 0 &&
		    strcmp((*p)->name, name) == 0)
			break;
	if (hash)
		*hash = h;
	return p;
}

void keytab_insert(struct keytab *t, struct keytab_node **slot,
		   struct keytab_node *n, uint32_t hash)
{
	n->hash = hash;
	n->next = NULL; /* a slot for a new key is a chain's end */
	*slot = n;
	t->count++;
}

void keytab_unlink(struct keytab *t, struct keytab_node **slot)
{
	struct keytab_node *n = *slot;

	*slot = n->next;
	n->next = NULL;
	t->count--;
}

void keytab_iter_init(struct keytab_iter *it, struct keytab *t)
{
	*it = (struct keytab_iter){ t, 0, NULL, false };
}

struct keytab_node *keytab_next(struct keytab_iter *it)
{
	struct keytab *t = it->t;

	if (it->b >= t->nbuckets)
		return NULL; /* the end, or a table without buckets */
	if (!it->link)
		it->link = &t->tab[0];
	else if (!it->gone) /* an unlinked node's successor took its link */
		it->link = &(*it->link)->next;
	it->gone = false;
	while (!*it->link) {
		if (++it->b == t->nbuckets)
			return NULL;
		it->link = &t->tab[it->b];
	}
	return *it->link;
}

void keytab_iter_unlink(struct keytab_iter *it)
{
	keytab_unlink(it->t, it->link);
	it->gone = true;
}
