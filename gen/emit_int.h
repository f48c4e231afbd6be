/*
 * emit_int.h - what emit.c and emit_jm.c share and nothing else uses: the
 * head (banner, metadata, labels) of every object, the one Deployment
 * writer both Deployments go through, and the pieces of the Flink
 * configuration's ConfigMap that both mount.
 */
#ifndef FH_EMIT_INT_H
#define FH_EMIT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "gen/emit.h"
#include "gen/policy.h"
#include "gen/yw.h"

void emit_banner(struct yw *w, const struct emit_opts *o);

/* Who an object is: its apiVersion, kind, name and role (FH_ROLE_*). */
struct emit_obj {
	const char *api;
	const char *kind;
	const char *name;
	const char *role;
	const char *note; /* a comment line under the banner, or NULL */
};

/* The head of every object of a policy: the banner, the note, apiVersion,
 * kind and metadata (name, namespace, our labels). */
void emit_head(struct yw *w, const struct emit_opts *o, const struct pol *p,
	       const struct emit_obj *obj);

/* A Deployment of the policy's pods: the TaskManagers' or the
 * JobManager's, which differ only in what these name. */
struct emit_deploy {
	struct emit_obj obj; /* api and kind are filled in */
	bool single; /* replicas: 1, strategy Recreate (never two at once) */
	bool user_labels; /* the policy's pod labels too */
	/* the Deployment's own annotations, or NULL for none */
	void (*annotations)(struct yw *w, const struct pol *p);
	/* the pod's annotations after the configuration's hash, or NULL */
	void (*pod_annotations)(struct yw *w, const struct pol *p);
	/* what goes under the pod template's "spec:" */
	void (*pod_spec)(struct yw *w, const struct pol *p);
};

/* The whole Deployment d describes. */
int emit_deploy(struct buf *b, const struct pol *p, const struct emit_opts *o,
		const struct emit_deploy *d);

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
/* A container's livenessProbe: a TCP connection to port, as in Flink's
 * standalone Kubernetes examples (after 30 s, every 60 s). */
void emit_tcp_liveness(struct yw *w, int ind, int port);

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
