/*
 * plan.h - everything flinkhpa-gen will write, built in memory first so
 * that nothing is written unless every policy is good, then written out:
 * into a directory (each file to a temporary name, then renamed over the
 * old one, so readers see the old or the new file, never half of one) or
 * as one multi-document stream.
 */
#ifndef FH_PLAN_H
#define FH_PLAN_H

#include <stdio.h>

#include "common/buf.h"
#include "gen/emit.h"
#include "gen/policy.h"

/* per policy at most 8 files, per namespace one, and the kustomization */
#define PLAN_MAX_FILES (8 * POL_MAX_POLICIES + POL_MAX_POLICIES + 1)
#define PLAN_MAX_BYTES (8u << 20) /* per file */

struct plan_file {
	char name[128];  /* relative to the output directory: NS/FILE */
	char ns[64];     /* its directory; "" for the kustomization */
	char base[96];   /* FILE */
	struct buf text;
	bool is_kustomization;
};

struct plan {
	struct plan_file *v;
	size_t n;
};

struct plan_opts {
	enum emit_hpa_version hpa;
	bool namespaces; /* write Namespace objects */
};

/* Files for the policies of files[0..n): NAMESPACE/NAME-deployment.yaml,
 * NAMESPACE/NAME-hpa.yaml (and NAMESPACE/namespace.yaml; with
 * spec.jobManager NAME-flink-config.yaml, NAME-jobmanager-deployment.yaml,
 * NAME-jobmanager-service.yaml, and with high availability
 * NAME-serviceaccount.yaml, NAME-role.yaml, NAME-rolebinding.yaml), then
 * kustomization.yaml.  A namespace and name pair must be unique across
 * files (ERR_EXISTS names both places). */
int plan_build(struct plan *pl, const struct pol_file *files, size_t n,
	       const struct plan_opts *o, struct err *e);
void plan_release(struct plan *pl);

/* Write into dir (created if missing); then remove the files an earlier
 * run wrote there (they start with our banner) for policies that are gone.
 * Files of other origin are never touched. */
int plan_write_dir(const struct plan *pl, const char *dir, struct err *e);
/* Every document but the kustomization, separated by "---". */
int plan_write_stream(const struct plan *pl, FILE *f, struct err *e);

#endif
