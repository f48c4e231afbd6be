/*
 * policy_int.h - what policy.c and policy_rules.c share and nothing else
 * may use: the table helpers, the quantity check and the parsers of
 * spec.rules and spec.behavior (in policy_rules.c), called from
 * policy.c's spec mapping.
 */
#ifndef FH_POLICY_INT_H
#define FH_POLICY_INT_H

#include "common/err.h"
#include "gen/policy.h"
#include "gen/yread.h"

#define I32 2147483647.0
#define ARRAY_END { NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 }

/* A conf_def check: a quantity ("500m", "2Gi") above zero, or no value. */
int pol_chk_quantity(const void *f, struct err *e);

/* spec.rules and spec.behavior: yr_key_fn callbacks, ud is struct pol. */
int pol_rules(void *ud, struct yr_stream *s, const char *key,
	      const char *path, yaml_node_t *v, struct err *e);
int pol_behavior(void *ud, struct yr_stream *s, const char *key,
		 const char *path, yaml_node_t *v, struct err *e);

/* requests and limits of a container into r (policy.c). */
int pol_resources(struct pol_resources *r, struct yr_stream *s,
		  const char *path, yaml_node_t *v, struct err *e);

/* spec.jobManager (policy_jm.c): a yr_key_fn, ud is struct pol. */
int pol_jobmanager(void *ud, struct yr_stream *s, const char *key,
		   const char *path, yaml_node_t *v, struct err *e);
/* The checks that span spec.jobManager and the rest of the policy, once
 * the whole document is read: the mode's needs, the keys flinkhpa-gen now
 * owns, the image's Flink version. */
int pol_jm_check(struct pol *p, struct err *e);
void pol_jm_release(struct pol_jm *jm);

#endif
