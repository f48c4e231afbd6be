/*
 * emit_int.h - what emit.c and emit_jm.c share and nothing else uses: the
 * banner, metadata and labels of every object, and the pieces of the
 * Flink configuration's ConfigMap that both Deployments mount.
 */
#ifndef FH_EMIT_INT_H
#define FH_EMIT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "gen/emit.h"
#include "gen/policy.h"
#include "gen/yw.h"

void emit_banner(struct yw *w, const struct emit_opts *o);
/* Our labels for role (and the user's pod labels when with_user), sorted. */
void emit_labels(struct yw *w, int ind, const struct pol *p, const char *role,
		 bool with_user);
/* metadata: name, namespace and our labels. */
void emit_meta(struct yw *w, const struct pol *p, const char *name,
	       const char *role);
/* The two labels that select role's pods of this policy. */
void emit_selector(struct yw *w, int ind, const struct pol *p,
		   const char *role);
void emit_resources(struct yw *w, int ind, const struct pol_resources *r);

/* NAME-flink: the ServiceAccount of high availability. */
void emit_account_name(const struct pol *p, char *out, size_t n);
/* A container's volumeMounts entry for the configuration. */
void emit_config_mount(struct yw *w, int ind);
/* The pod's volumes entry for the ConfigMap (under "volumes:"). */
void emit_config_volume(struct yw *w, int ind, const struct pol *p);
/* A pod annotation with a hash of the ConfigMap's data: a change of the
 * configuration changes the pod template, so the pods restart with it. */
void emit_config_hash(struct yw *w, int ind, const struct pol *p);

#endif
