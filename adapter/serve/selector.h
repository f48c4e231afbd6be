/*
 * selector.h - Kubernetes label selectors, as labels.Parse in apimachinery
 * reads them: comma-separated requirements `key`, `!key`, `key=value`,
 * `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key>N`,
 * `key<N`, with blanks around tokens.  Keys are qualified names (optional
 * DNS-subdomain prefix and '/'), values are label values (63 characters at
 * most, may be empty).  An empty selector matches everything.
 */
#ifndef FH_SELECTOR_H
#define FH_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

enum sel_op {
	SEL_EXISTS,
	SEL_NOT_EXISTS,
	SEL_EQ, /* = and == */
	SEL_NEQ,
	SEL_IN,
	SEL_NOTIN,
	SEL_GT,
	SEL_LT,
};

#define SEL_MAX_REQS 32
#define SEL_MAX_VALUES 64

struct sel_req {
	char *key;
	enum sel_op op;
	char **values; /* nvalues; one for EQ, NEQ, GT, LT */
	size_t nvalues;
};

struct selector {
	struct sel_req req[SEL_MAX_REQS];
	size_t n;
};

/* Parse text (may be NULL or "": matches all) into sel, which the caller
 * owns and releases with sel_release.  ERR_INVAL with a message that names
 * what is wrong, as kube-apiserver would. */
int sel_parse(struct selector *sel, const char *text, struct err *e);
void sel_release(struct selector *sel);

/* labels: "k", "v", "k", "v", ..., NULL (NULL: no labels). */
bool sel_matches(const struct selector *sel, const char *const *labels);

/* Same, for one pair list given as a lookup function. */
typedef const char *(*sel_lookup_fn)(void *ud, const char *key);
bool sel_matches_fn(const struct selector *sel, sel_lookup_fn get, void *ud);

/* The selector as a metav1.LabelSelector JSON object, as
 * metav1.ParseToLabelSelector turns a selector into one: equality into
 * matchLabels (sorted), the rest into matchExpressions. */
int sel_to_json(const struct selector *sel, struct buf *out);

/* Equality requirement's value for key (key=value), or NULL. */
const char *sel_equal_value(const struct selector *sel, const char *key);

/* The pairs every label set the selector matches must carry: its
 * requirements key=value, key==value and key in (value), into kv as
 * "k", "v", "k", "v", ... (room for 2 x SEL_MAX_REQS); returns the number
 * of pairs.  For an index lookup: the candidates are the label sets with
 * one of the pairs, each still checked with sel_matches. */
size_t sel_eq_pairs(const struct selector *sel,
		    const char *kv[2 * SEL_MAX_REQS]);

#endif
