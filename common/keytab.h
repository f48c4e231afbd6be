/*
 * keytab.h - a hash table of namespace/name keys whose nodes live inside
 * the caller's own structs (intrusive), for the informer's keys and
 * discovery's pods: one table code for both, and no allocation per key
 * beyond the caller's own.
 *
 * The table owns only its bucket array; the nodes belong to the caller,
 * who allocates them, points node.ns and node.name at strings that live
 * as long as the node, and frees them after unlinking them.  A lookup
 * returns a slot (the link pointing at the node, or the chain's end where
 * a new node goes), so that finding and then inserting or unlinking walk
 * the chain once.  A slot is valid until the table changes otherwise.
 *
 *     keytab_grow(&t);                        (before the lookup)
 *     slot = keytab_slot(&t, ns, name, &h);
 *     if (!*slot)
 *             keytab_insert(&t, slot, &mine->node, h);
 */
#ifndef FH_KEYTAB_H
#define FH_KEYTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYTAB_BUCKETS0 64 /* the bucket array keytab_init allocates */
/* The usual limit: the chains stop doubling at a million (8 MB of
 * buckets); past it a key costs a longer chain, not a larger array. */
#define KEYTAB_MAX_BUCKETS ((size_t)1 << 20)

struct keytab_node {
	const char *ns, *name; /* the key; the caller's memory */
	uint32_t hash;         /* hash_pair(ns, name), set by keytab_insert */
	struct keytab_node *next;
};

struct keytab {
	struct keytab_node **tab; /* nbuckets chains, a power of two */
	size_t nbuckets, count;
	size_t per_chain;   /* keys a chain before the buckets double */
	size_t max_buckets; /* past it, chains only get longer */
};

/* The struct of type holding node n in its field member. */
#define keytab_entry(n, type, member) \
	((type *)(void *)((char *)(n) - offsetof(type, member)))

/* An empty table of KEYTAB_BUCKETS0 chains that doubles when it holds
 * per_chain (>= 1) keys a chain, up to max_buckets.  ERR_NOMEM (then
 * keytab_release is still allowed). */
int keytab_init(struct keytab *t, size_t per_chain, size_t max_buckets);
/* Free the bucket array (not the nodes: unlink and free them first). */
void keytab_release(struct keytab *t);

/* Double the buckets if the keys fill them (per_chain a chain).  Out of
 * memory or at max_buckets, the table stays as it is and works on with
 * longer chains.  Every slot found before is invalid after. */
void keytab_grow(struct keytab *t);

/* The slot of ns/name: the link pointing at its node, or at the end of
 * its chain when it is not in the table.  *hash (when not NULL): the
 * key's hash, for keytab_insert. */
struct keytab_node **keytab_slot(struct keytab *t, const char *ns,
				 const char *name, uint32_t *hash);
/* Put n (its ns and name set, the key not in the table) at slot, an
 * empty slot keytab_slot returned for that key with that hash. */
void keytab_insert(struct keytab *t, struct keytab_node **slot,
		   struct keytab_node *n, uint32_t hash);
/* Take the node slot points at out of the table (the caller frees it). */
void keytab_unlink(struct keytab *t, struct keytab_node **slot);

/* A walk over every node, in no particular order:
 *
 *     keytab_iter_init(&it, &t);
 *     while ((n = keytab_next(&it)))
 *             if (done_with(n))
 *                     keytab_iter_unlink(&it);  (then free n's struct)
 *
 * Nothing but keytab_iter_unlink may change the table during a walk. */
struct keytab_iter {
	struct keytab *t;
	size_t b;                  /* the bucket under way */
	struct keytab_node **link; /* the link to the node returned last */
	bool gone;                 /* that node was unlinked */
};

void keytab_iter_init(struct keytab_iter *it, struct keytab *t);
/* The next node; NULL at the end. */
struct keytab_node *keytab_next(struct keytab_iter *it);
/* Unlink the node keytab_next returned last; the walk goes on after it. */
void keytab_iter_unlink(struct keytab_iter *it);

#endif
