/*
 * emit.h - the manifests flinkhpa-gen writes for a policy: the TaskManager
 * Deployment, the HorizontalPodAutoscaler and the kustomization that lists
 * them; with spec.jobManager also the JobManager's Deployment and Service,
 * the Flink configuration's ConfigMap and, for high availability, the
 * ServiceAccount, Role and RoleBinding; as YAML text.  Output depends only
 * on the input: keys in a fixed order, maps sorted, quantities in
 * Kubernetes' canonical form.
 */
#ifndef FH_EMIT_H
#define FH_EMIT_H

#include "common/buf.h"
#include "gen/policy.h"

enum emit_hpa_version { EMIT_HPA_V2, EMIT_HPA_V2BETA2 };

struct emit_opts {
	enum emit_hpa_version hpa;
	const char *source; /* the policy file(s), for the banner */
};

/* Each appends one YAML document (no "---") with its banner line. */
int emit_deployment(struct buf *b, const struct pol *p,
		    const struct emit_opts *o);
int emit_hpa(struct buf *b, const struct pol *p, const struct emit_opts *o);
/* spec.jobManager's objects (emit_jm.c); only for p->jm.given. */
int emit_configmap(struct buf *b, const struct pol *p,
		   const struct emit_opts *o);
int emit_jm_deployment(struct buf *b, const struct pol *p,
		       const struct emit_opts *o);
int emit_jm_service(struct buf *b, const struct pol *p,
		    const struct emit_opts *o);
/* Only with high availability (p->jm.ha_storage_dir). */
int emit_serviceaccount(struct buf *b, const struct pol *p,
			const struct emit_opts *o);
int emit_role(struct buf *b, const struct pol *p, const struct emit_opts *o);
int emit_rolebinding(struct buf *b, const struct pol *p,
		     const struct emit_opts *o);
int emit_namespace(struct buf *b, const char *ns, const struct emit_opts *o);
/* The kustomization listing files[0..n). */
int emit_kustomization(struct buf *b, const char *const *files, size_t n,
		       const struct emit_opts *o);

/* A YAML scalar: plain when YAML reads it back as the same string, else
 * double-quoted with JSON escapes.  Exposed for tests. */
int emit_scalar(struct buf *b, const char *s);

#endif
