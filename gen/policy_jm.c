/*
 * policy_jm.c - spec.jobManager of a ScalingPolicy (see policy.h): the
 * JobManager flinkhpa-gen writes for the parallelism mode, its image and
 * Flink version, the job's class and arguments, resources, high
 * availability and checkpoints.  The checks that need the whole policy
 * (pol_jm_check) run after the document is read, at the position of the
 * key they blame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "gen/flinkconf.h"
#include "gen/k8sname.h"
#include "gen/policy.h"
#include "gen/policy_int.h"

#define JM_MIN_MINOR 18 /* Flink 1.18: resource requirements over REST */
#define JM_MAX_MINOR 20 /* Flink 2 renamed the adaptive scheduler's keys */

static const char *const version_names[] = { "1.18", "1.19", "1.20", NULL };

static int chk_printable(const void *f, struct err *e)
{
	const char *why = kname_printable(*(char *const *)f);
	return why ? err_set(e, ERR_INVAL, "%s", why) : 0;
}

static int chk_subdomain(const void *f, struct err *e)
{
	const char *why = kname_dns_subdomain(*(char *const *)f);
	return why ? err_set(e, ERR_INVAL, "%s", why) : 0;
}

static int chk_class(const void *f, struct err *e)
{
	const char *s = *(char *const *)f;

	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789_$.") != strlen(s) || s[0] == '.' ||
	    (s[0] >= '0' && s[0] <= '9'))
		return err_set(e, ERR_INVAL, "\"%s\" is not a Java class name "
			       "(such as com.example.MyJob)", s);
	return 0;
}

/* A file system URI Flink can reach from every pod: scheme://... */
static int chk_uri(const void *f, struct err *e)
{
	const char *s = *(char *const *)f;
	const char *colon = strstr(s, "://");

	if (!colon || colon == s)
		return err_set(e, ERR_INVAL, "\"%s\": expected a URI such as "
			       "s3://bucket/flink (a file system every "
			       "JobManager and TaskManager reaches)", s);
	return chk_printable(f, e);
}

/* ---- highAvailability and checkpoints ---- */

struct raw_ha {
	char *storage_dir;
};

static const struct conf_def ha_tab[] = {
	{ "storageDir", CONF_STRING, offsetof(struct raw_ha, storage_dir), 1,
	  1024, NULL, NULL, chk_uri, NULL, CONF_REQUIRED },
	ARRAY_END
};

struct raw_ckp {
	char *dir;
	int64_t interval_ms;
};

static const struct conf_def ckp_tab[] = {
	{ "dir", CONF_STRING, offsetof(struct raw_ckp, dir), 1, 1024, NULL,
	  NULL, chk_uri, NULL, CONF_REQUIRED },
	{ "interval", CONF_DURATION, offsetof(struct raw_ckp, interval_ms),
	  1000, 86400e3, "30s", NULL, NULL, NULL, 0 },
	ARRAY_END
};

static int jm_ha(struct pol_jm *jm, struct yr_stream *s, const char *path,
		 yaml_node_t *v, struct err *e)
{
	struct raw_ha r = { 0 };
	struct yr_map m = { .path = path, .tab = ha_tab, .obj = &r };
	int rc = yr_map(s, v, &m, e);

	if (!rc)
		jm->ha_storage_dir = r.storage_dir, r.storage_dir = NULL;
	conf_release(ha_tab, &r);
	return rc;
}

static int jm_checkpoints(struct pol_jm *jm, struct yr_stream *s,
			  const char *path, yaml_node_t *v, struct err *e)
{
	struct raw_ckp r = { 0 };
	struct yr_map m = { .path = path, .tab = ckp_tab, .obj = &r };
	int rc = yr_map(s, v, &m, e);

	if (!rc) {
		jm->checkpoint_dir = r.dir, r.dir = NULL;
		jm->checkpoint_interval_ms = r.interval_ms;
	}
	conf_release(ckp_tab, &r);
	return rc;
}

/* ---- args ---- */

static int jm_arg(void *ud, struct yr_stream *s, size_t i, const char *path,
		  yaml_node_t *n, struct err *e)
{
	struct pol_jm *jm = ud;
	const char *v = yr_scalar(n), *why;

	(void)s;
	if (!v || n->type != YAML_SCALAR_NODE)
		return yr_fail(e, n, path, "expected a string, found %s",
			       yr_kind(n));
	if ((why = kname_printable(v)))
		return yr_fail(e, n, path, "%s", why);
	if (!(jm->args[i] = strdup(v)))
		return err_set(e, ERR_NOMEM, "out of memory");
	jm->nargs = i + 1;
	return 0;
}

/* ---- the mapping ---- */

struct raw_jm {
	char *image, *job_class, *claim;
	int version;
};

static const struct conf_def jm_tab[] = {
	{ "image", CONF_STRING, offsetof(struct raw_jm, image), 1, 512, NULL,
	  NULL, chk_printable, NULL, 0 },
	{ "flinkVersion", CONF_ENUM, offsetof(struct raw_jm, version), 0, 0,
	  NULL, version_names, NULL, NULL, 0 },
	{ "jobClass", CONF_STRING, offsetof(struct raw_jm, job_class), 1, 512,
	  NULL, NULL, chk_class, NULL, 0 },
	{ "uploadVolumeClaim", CONF_STRING, offsetof(struct raw_jm, claim), 1,
	  253, NULL, NULL, chk_subdomain, NULL, 0 },
	ARRAY_END
};

static int jm_key(void *ud, struct yr_stream *s, const char *key,
		  const char *path, yaml_node_t *v, struct err *e)
{
	struct pol_jm *jm = ud;

	if (!strcmp(key, "resources"))
		return pol_resources(&jm->res, s, path, v, e);
	if (!strcmp(key, "highAvailability"))
		return jm_ha(jm, s, path, v, e);
	if (!strcmp(key, "checkpoints"))
		return jm_checkpoints(jm, s, path, v, e);
	jm->args_at = yr_pos_of(v);
	return yr_seq(s, v, path, POL_MAX_ARGS, jm_arg, jm, e);
}

int pol_jobmanager(void *ud, struct yr_stream *s, const char *key,
		   const char *path, yaml_node_t *v, struct err *e)
{
	static const char *const keys[] = { "args", "resources",
		"highAvailability", "checkpoints", NULL };
	struct pol *p = ud;
	struct raw_jm r = { 0 };
	struct yr_pos at[5];
	struct yr_map m = { .path = path, .tab = jm_tab, .obj = &r, .at = at,
			    .keys = keys, .fn = jm_key, .ud = &p->jm };
	int rc;

	(void)key;
	memset(at, 0, sizeof(at));
	r.version = -1;
	p->jm.given = true;
	p->jm.at = yr_pos_of(v);
	rc = yr_map(s, v, &m, e);
	if (yr_at(jm_tab, at, "flinkVersion").line)
		p->jm.flink_minor = JM_MIN_MINOR + r.version;
	p->jm.job_class_at = yr_at(jm_tab, at, "jobClass");
	p->jm.claim_at = yr_at(jm_tab, at, "uploadVolumeClaim");
	p->jm.image = r.image, r.image = NULL;
	p->jm.job_class = r.job_class, r.job_class = NULL;
	p->jm.upload_claim = r.claim, r.claim = NULL;
	conf_release(jm_tab, &r);
	return rc;
}

void pol_jm_release(struct pol_jm *jm)
{
	free(jm->image);
	free(jm->job_class);
	for (size_t i = 0; i < jm->nargs; i++)
		free(jm->args[i]);
	free(jm->ha_storage_dir);
	free(jm->checkpoint_dir);
	free(jm->upload_claim);
	memset(jm, 0, sizeof(*jm));
}

/* ---- checks across the policy ---- */

/* Flink's version from an image's tag: "flink:1.20", "flink:1.19.1-java17",
 * "registry:5000/flink:1.18-scala_2.12".  0 and *major, *minor, or -1. */
static int jm_image_version(const char *image, int *major, int *minor)
{
	char name[512];
	const char *slash, *colon;
	char *at;

	str_lcpy(name, image, sizeof(name));
	if ((at = strchr(name, '@')))
		*at = '\0';
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (!colon || sscanf(colon + 1, "%d.%d", major, minor) != 2)
		return -1;
	return 0;
}

static int jm_version(struct pol *p, struct err *e)
{
	const char *image = p->jm.image ? p->jm.image : p->image;
	int major = 0, minor = 0;

	if (p->jm.flink_minor)
		return 0;
	if (jm_image_version(image, &major, &minor))
		return yr_fail_at(e, p->jm.at, "spec.jobManager", "the image "
				  "tag of %s names no Flink version: give "
				  "flinkVersion (1.18, 1.19 or 1.20)", image);
	if (major != 1 || minor < JM_MIN_MINOR || minor > JM_MAX_MINOR)
		return yr_fail_at(e, p->jm.at, "spec.jobManager", "%s is Flink "
				  "%d.%d: flinkhpa-gen writes the JobManager "
				  "for Flink 1.18 to 1.20", image, major,
				  minor);
	p->jm.flink_minor = minor;
	return 0;
}

/* Keys the written cluster sets itself: ports its Service names, the
 * mode's scheduler, high availability, the upload directory (and
 * taskmanager.rpc.port, refused in every mode by policy.c). */
static const char *const jm_owned_keys[] = {
	"jobmanager.rpc.address", "jobmanager.rpc.port", "blob.server.port",
	"rest.port", "scheduler-mode",
	"restart-strategy", "restart-strategy.type",
	"jobmanager.scheduler", "high-availability", "high-availability.type",
	"high-availability.storageDir", "high-availability.jobmanager.port",
	"kubernetes.cluster-id", "kubernetes.namespace", "web.upload.dir",
	NULL
};

static const char *const ckp_owned_keys[] = {
	"state.checkpoints.dir", "execution.checkpointing.interval",
	FCONF_CKP_RETENTION, NULL
};

static bool jm_in(const char *const *list, const char *key)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], key))
			return true;
	return false;
}

static int jm_conf_check(const struct pol *p, struct err *e)
{
	static const char path[] = "spec.taskManager.flinkConfiguration";

	for (size_t i = 0; i < p->flink_conf.n; i++) {
		const struct yr_kv *kv = &p->flink_conf.v[i];
		if (jm_in(jm_owned_keys, kv->key))
			return yr_fail_at(e, kv->kpos, path, "%s: set by "
					  "flinkhpa-gen for spec.jobManager "
					  "(its Service's ports, the "
					  "parallelism mode, the restart "
					  "strategy, highAvailability)",
					  kv->key);
		if (p->jm.checkpoint_dir && jm_in(ckp_owned_keys, kv->key))
			return yr_fail_at(e, kv->kpos, path, "%s: set from "
					  "spec.jobManager.checkpoints",
					  kv->key);
	}
	return 0;
}

static int jm_mode_check(const struct pol *p, struct err *e)
{
	bool session = p->mode == FH_MODE_SAVEPOINT;

	if (session && p->jm.job_class)
		return yr_fail_at(e, p->jm.job_class_at,
				  "spec.jobManager.jobClass", "parallelismMode savepoint runs a "
				  "session cluster, whose jobs are submitted "
				  "through the REST API (jobClass and args "
				  "are for reactive and adaptive)");
	if (session && p->jm.nargs)
		return yr_fail_at(e, p->jm.args_at, "spec.jobManager.args",
				  "parallelismMode savepoint runs a session "
				  "cluster, whose jobs are submitted through "
				  "the REST API (jobClass and args are for "
				  "reactive and adaptive)");
	if (!session && p->jm.upload_claim)
		return yr_fail_at(e, p->jm.claim_at,
				  "spec.jobManager.uploadVolumeClaim", "only "
				  "parallelismMode "
				  "savepoint uploads jars (reactive and "
				  "adaptive run the job from the image)");
	return 0;
}

/* The memory Flink's memory model needs at least (the JVM's overhead and
 * metaspace, the framework's heap and off-heap, network buffers and a
 * task heap all come out of *.memory.process.size). */
static int jm_memory_check(const struct pol_resources *r, const char *path,
			   const char *who, struct err *e)
{
	const struct qty *q = r->have_lim_mem ? &r->lim_mem
			      : r->have_req_mem ? &r->req_mem : NULL;
	char text[QTY_STR_MAX];

	if (!q || qty_scaled_value(q, 0) >= POL_MIN_FLINK_MEMORY)
		return 0;
	if (qty_format(q, text, sizeof(text)))
		str_lcpy(text, "?", sizeof(text));
	return yr_fail_at(e, r->at, path, "memory %s is less than the 1Gi a "
			  "Flink %s needs (its JVM overhead, metaspace and "
			  "memory pools come out of it)", text, who);
}

int pol_jm_check(struct pol *p, struct err *e)
{
	int rc;

	if (!p->jm.given)
		return 0;
	if (p->jobmanager_at.line)
		return yr_fail_at(e, p->jobmanager_at, "spec.job.jobManager",
				  "with spec.jobManager flinkhpa-gen writes "
				  "the JobManager and its Service, whose "
				  "address the TaskManagers use: leave "
				  "jobManager out");
	if (p->rpc_at.line)
		return yr_fail_at(e, p->rpc_at, "spec.job.rpcAddress", "with "
				  "spec.jobManager flinkhpa-gen writes the "
				  "JobManager and its Service, whose name the "
				  "TaskManagers use: leave rpcAddress out");
	if ((rc = jm_mode_check(p, e)) || (rc = jm_conf_check(p, e)) ||
	    (rc = jm_memory_check(&p->res, "spec.taskManager.resources",
				  "TaskManager", e)) ||
	    (rc = jm_memory_check(&p->jm.res, "spec.jobManager.resources",
				  "JobManager", e)))
		return rc;
	return jm_version(p, e);
}
