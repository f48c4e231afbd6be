/*
 * hash.h - FNV-1a, the one string hash of the tree (hash tables in the
 * metric filter and the store, the authorizer's cache, keytab's
 * namespace/name keys).  Not for security.
 */
#ifndef FH_HASH_H
#define FH_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* FNV-1a over n bytes. */
static inline uint32_t hash_fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* The hash of a pair of strings (a namespace and a name). */
static inline uint32_t hash_pair(const char *a, const char *b)
{
	return hash_fnv1a(a, strlen(a)) * 31u ^ hash_fnv1a(b, strlen(b));
}

#endif
