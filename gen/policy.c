/*
 * policy.c - reading and checking ScalingPolicy documents (see policy.h).
 *
 * Each mapping of the schema is a settings table (scalar keys) plus a
 * callback for its nested keys; yread.c applies them and reports unknown,
 * duplicate, missing and ill-typed keys with their position.  Checks that
 * span keys (exactly one target, min <= max, mode needs a directory) come
 * after the table, at the position of the key they blame.
 */
#include "gen/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/names.h"
#include "common/str.h"
#include "gen/k8sname.h"
#include "gen/policy_int.h"

/* ---- value checks used by the tables ---- */

static int chk_label(const void *f, struct err *e)
{
	const char *why = kname_dns_label(*(char *const *)f);
	return why ? err_set(e, ERR_INVAL, "%s", why) : 0;
}

static int chk_printable(const void *f, struct err *e)
{
	const char *why = kname_printable(*(char *const *)f);
	return why ? err_set(e, ERR_INVAL, "%s", why) : 0;
}

int pol_chk_quantity(const void *f, struct err *e)
{
	struct qty q;
	const char *s = *(char *const *)f;

	if (!s)
		return 0;
	if (qty_parse(s, &q, e))
		return ERR_INVAL;
	if (qty_sign(&q) <= 0)
		return err_set(e, ERR_INVAL, "%s: must be greater than zero", s);
	return 0;
}

static int chk_api_version(const void *f, struct err *e)
{
	return strcmp(*(char *const *)f, FH_API_VERSION)
		       ? err_set(e, ERR_INVAL, "must be " FH_API_VERSION) : 0;
}

static int chk_kind(const void *f, struct err *e)
{
	return strcmp(*(char *const *)f, "ScalingPolicy")
		       ? err_set(e, ERR_INVAL, "must be ScalingPolicy") : 0;
}

static int chk_url(const void *f, struct err *e)
{
	const char *s = *(char *const *)f;

	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return err_set(e, ERR_INVAL, "expected an http:// or https:// "
			       "URL such as http://my-job-rest:8081");
	return chk_printable(f, e);
}

/* ---- the document and metadata ---- */

struct raw_top {
	char *api_version, *kind;
};

static const struct conf_def top_tab[] = {
	{ "apiVersion", CONF_STRING, offsetof(struct raw_top, api_version), 1,
	  64, NULL, NULL, chk_api_version, NULL, CONF_REQUIRED },
	{ "kind", CONF_STRING, offsetof(struct raw_top, kind), 1, 64, NULL,
	  NULL, chk_kind, NULL, CONF_REQUIRED },
	ARRAY_END
};

struct raw_meta {
	char *name, *namespace;
};

static const struct conf_def meta_tab[] = {
	{ "name", CONF_STRING, offsetof(struct raw_meta, name), 1, 51, NULL,
	  NULL, chk_label, NULL, CONF_REQUIRED },
	{ "namespace", CONF_STRING, offsetof(struct raw_meta, namespace), 1,
	  63, "default", NULL, chk_label, NULL, 0 },
	ARRAY_END
};

/* ---- spec.job ---- */

struct raw_job {
	char *name, *jobmanager, *rpc, *savepoint_dir, *jar_id;
	int64_t slots, max_par;
	int mode;
	bool align;
};

static const struct conf_def job_tab[] = {
	{ "name", CONF_STRING, offsetof(struct raw_job, name), 1, 256, NULL,
	  NULL, chk_printable, NULL, 0 },
	{ "jobManager", CONF_STRING, offsetof(struct raw_job, jobmanager), 8,
	  512, NULL, NULL, chk_url, NULL, 0 },
	{ "rpcAddress", CONF_STRING, offsetof(struct raw_job, rpc), 1, 253,
	  NULL, NULL, chk_printable, NULL, 0 },
	{ "slotsPerTaskManager", CONF_INT, offsetof(struct raw_job, slots), 1,
	  1024, "1", NULL, NULL, NULL, 0 },
	{ "maxParallelism", CONF_INT, offsetof(struct raw_job, max_par), 1,
	  32768, NULL, NULL, NULL, NULL, 0 },
	{ "parallelismMode", CONF_ENUM, offsetof(struct raw_job, mode), 0, 0,
	  FH_MODE_NAME_REACTIVE, fh_mode_names, NULL, NULL, 0 },
	{ "savepointDirectory", CONF_STRING,
	  offsetof(struct raw_job, savepoint_dir), 1, 1024, NULL, NULL,
	  chk_printable, NULL, 0 },
	{ "jarId", CONF_STRING, offsetof(struct raw_job, jar_id), 1, 512, NULL,
	  NULL, chk_printable, NULL, 0 },
	{ "alignToMaxParallelism", CONF_BOOL, offsetof(struct raw_job, align),
	  0, 0, "false", NULL, NULL, NULL, 0 },
	ARRAY_END
};

static int pol_job(void *ud, struct yr_stream *s, const char *key,
		   const char *path, yaml_node_t *v, struct err *e)
{
	struct pol *p = ud;
	struct raw_job r = { 0 };
	struct yr_pos at[16];
	struct yr_map m = { .path = path, .tab = job_tab, .obj = &r, .at = at };
	int rc;

	(void)key;
	memset(at, 0, sizeof(at));
	if ((rc = yr_map(s, v, &m, e)))
		goto release;
	if (r.mode == FH_MODE_SAVEPOINT && !r.savepoint_dir) {
		rc = yr_fail(e, v, path, "parallelismMode savepoint needs "
			     "savepointDirectory (where Flink writes the "
			     "savepoint it restarts from)");
		goto release;
	}
	p->slots = r.slots;
	p->max_parallelism = r.max_par;
	p->mode = (enum fh_mode)r.mode;
	p->align = r.align;
	if (r.align && !r.max_par) {
		rc = yr_fail_at(e, yr_at(job_tab, at, "alignToMaxParallelism"),
				path, "alignToMaxParallelism needs "
				"maxParallelism");
		goto release;
	}
	p->jobmanager_at = yr_at(job_tab, at, "jobManager");
	p->rpc_at = yr_at(job_tab, at, "rpcAddress");
	p->job_name = r.name, r.name = NULL;
	p->jobmanager = r.jobmanager, r.jobmanager = NULL;
	p->rpc_address = r.rpc, r.rpc = NULL;
	p->savepoint_dir = r.savepoint_dir, r.savepoint_dir = NULL;
	p->jar_id = r.jar_id, r.jar_id = NULL;
release:
	conf_release(job_tab, &r);
	return rc;
}

/* ---- spec.taskManager ---- */

struct raw_qty {
	char *cpu, *memory;
};

static const struct conf_def qty_tab[] = {
	{ "cpu", CONF_STRING, offsetof(struct raw_qty, cpu), 1, 64, NULL, NULL,
	  pol_chk_quantity, NULL, 0 },
	{ "memory", CONF_STRING, offsetof(struct raw_qty, memory), 1, 64, NULL,
	  NULL, pol_chk_quantity, NULL, 0 },
	ARRAY_END
};

static int pol_qtys(struct yr_stream *s, const char *path, yaml_node_t *v,
		    struct qty *cpu, bool *have_cpu, struct qty *mem,
		    bool *have_mem, struct err *e)
{
	struct raw_qty r = { 0 };
	struct yr_map m = { .path = path, .tab = qty_tab, .obj = &r };
	int rc = yr_map(s, v, &m, e);

	if (!rc && r.cpu)
		rc = qty_parse(r.cpu, cpu, e), *have_cpu = true;
	if (!rc && r.memory)
		rc = qty_parse(r.memory, mem, e), *have_mem = true;
	conf_release(qty_tab, &r);
	return rc;
}

static int pol_res_key(void *ud, struct yr_stream *s, const char *key,
		       const char *path, yaml_node_t *v, struct err *e)
{
	struct pol_resources *r = ud;

	if (!strcmp(key, "requests"))
		return pol_qtys(s, path, v, &r->req_cpu, &r->have_req_cpu,
				&r->req_mem, &r->have_req_mem, e);
	return pol_qtys(s, path, v, &r->lim_cpu, &r->have_lim_cpu, &r->lim_mem,
			&r->have_lim_mem, e);
}

/* A request above its limit is what kube-apiserver rejects. */
static int pol_res_check(const struct pol_resources *r, const char *path,
			 yaml_node_t *v, struct err *e)
{
	if (r->have_req_cpu && r->have_lim_cpu &&
	    qty_cmp(&r->req_cpu, &r->lim_cpu) > 0)
		return yr_fail(e, v, path, "requests.cpu must be less than or "
			       "equal to limits.cpu");
	if (r->have_req_mem && r->have_lim_mem &&
	    qty_cmp(&r->req_mem, &r->lim_mem) > 0)
		return yr_fail(e, v, path, "requests.memory must be less than "
			       "or equal to limits.memory");
	return 0;
}

int pol_resources(struct pol_resources *r, struct yr_stream *s,
		  const char *path, yaml_node_t *v, struct err *e)
{
	static const char *const keys[] = { "requests", "limits", NULL };
	struct yr_map m = { .path = path, .keys = keys, .fn = pol_res_key,
			    .ud = r };
	int rc = yr_map(s, v, &m, e);

	r->at = yr_pos_of(v);
	return rc ? rc : pol_res_check(r, path, v, e);
}

/* Keys of ours that users may not set: they are how we find things. */
static int pol_labels_check(const struct yr_kvs *k, const char *path,
			    struct err *e)
{
	for (size_t i = 0; i < k->n; i++) {
		const char *why = kname_qualified(k->v[i].key);
		if (why)
			return yr_fail_at(e, k->v[i].kpos, path, "%s: %s",
					  k->v[i].key, why);
		if ((why = kname_label_value(k->v[i].value)))
			return yr_fail_at(e, k->v[i].vpos, path, "%s: %s",
					  k->v[i].key, why);
		if (!strncmp(k->v[i].key, FH_PREFIX, strlen(FH_PREFIX)) ||
		    !strncmp(k->v[i].key, "app.kubernetes.io/", 18))
			return yr_fail_at(e, k->v[i].kpos, path, "%s: "
					  "flinkhpa-gen sets the " FH_PREFIX " "
					  "and app.kubernetes.io/ labels",
					  k->v[i].key);
	}
	return 0;
}

#define OWNED_FROM_FIELDS "set from spec.job.slotsPerTaskManager and " \
	"spec.taskManager.metricsPort"

/* Keys flinkhpa-gen writes in every mode, and why they are refused. */
static const struct {
	const char *key, *why;
} owned_flink_keys[] = {
	{ "taskmanager.numberOfTaskSlots", OWNED_FROM_FIELDS },
	{ "metrics.reporter.prom.port", OWNED_FROM_FIELDS },
	{ "metrics.reporter.prom.factory.class", OWNED_FROM_FIELDS },
	{ "taskmanager.rpc.port", "set by flinkhpa-gen: the port of the "
	  "TaskManagers' container and liveness probe" },
	{ NULL, NULL },
};

static int pol_flink_conf_check(const struct yr_kvs *k, const char *path,
				struct err *e)
{
	for (size_t i = 0; i < k->n; i++) {
		const char *why = kname_printable(k->v[i].value);
		if (why)
			return yr_fail_at(e, k->v[i].vpos, path, "%s: %s",
					  k->v[i].key, why);
		if (strpbrk(k->v[i].key, ": \t\n") || !*k->v[i].key)
			return yr_fail_at(e, k->v[i].kpos, path, "%s: not a "
					  "Flink configuration key",
					  k->v[i].key);
		for (size_t j = 0; owned_flink_keys[j].key; j++)
			if (!strcmp(k->v[i].key, owned_flink_keys[j].key))
				return yr_fail_at(e, k->v[i].kpos, path,
						  "%s: %s", k->v[i].key,
						  owned_flink_keys[j].why);
	}
	return 0;
}

struct raw_tm {
	char *image, *sa;
	int64_t port;
};

static const struct conf_def tm_tab[] = {
	{ "image", CONF_STRING, offsetof(struct raw_tm, image), 1, 512,
	  POL_DEFAULT_IMAGE, NULL, chk_printable, NULL, 0 },
	{ "serviceAccountName", CONF_STRING, offsetof(struct raw_tm, sa), 1,
	  253, NULL, NULL, chk_label, NULL, 0 },
	{ "metricsPort", CONF_INT, offsetof(struct raw_tm, port), 1, 65535,
	  "9249", NULL, NULL, NULL, 0 },
	ARRAY_END
};

static int pol_tm_key(void *ud, struct yr_stream *s, const char *key,
		      const char *path, yaml_node_t *v, struct err *e)
{
	struct pol *p = ud;
	int rc;

	if (!strcmp(key, "resources"))
		return pol_resources(&p->res, s, path, v, e);
	if (!strcmp(key, "labels")) {
		rc = yr_strmap(s, v, path, POL_MAX_MAP, &p->labels, e);
		return rc ? rc : pol_labels_check(&p->labels, path, e);
	}
	rc = yr_strmap(s, v, path, POL_MAX_MAP, &p->flink_conf, e);
	return rc ? rc : pol_flink_conf_check(&p->flink_conf, path, e);
}

static int pol_tm(void *ud, struct yr_stream *s, const char *key,
		  const char *path, yaml_node_t *v, struct err *e)
{
	static const char *const keys[] = { "resources", "labels",
					    "flinkConfiguration", NULL };
	struct pol *p = ud;
	struct raw_tm r = { 0 };
	struct yr_map m = { .path = path, .tab = tm_tab, .obj = &r,
			    .keys = keys, .fn = pol_tm_key, .ud = p };
	int rc;

	(void)key;
	rc = yr_map(s, v, &m, e);
	p->metrics_port = r.port;
	p->image = r.image, r.image = NULL;
	p->service_account = r.sa, r.sa = NULL;
	conf_release(tm_tab, &r);
	return rc;
}

/* ---- spec.replicas ---- */

struct raw_replicas {
	int64_t min, max;
};

static const struct conf_def replicas_tab[] = {
	{ "min", CONF_INT, offsetof(struct raw_replicas, min), 1, I32, "1",
	  NULL, NULL, NULL, 0 },
	{ "max", CONF_INT, offsetof(struct raw_replicas, max), 1, I32, NULL,
	  NULL, NULL, NULL, CONF_REQUIRED },
	ARRAY_END
};

static int pol_replicas(void *ud, struct yr_stream *s, const char *key,
			const char *path, yaml_node_t *v, struct err *e)
{
	struct pol *p = ud;
	struct raw_replicas r = { 0 };
	struct yr_pos at[3];
	struct yr_map m = { .path = path, .tab = replicas_tab, .obj = &r,
			    .at = at };
	int rc;

	(void)key;
	memset(at, 0, sizeof(at));
	if ((rc = yr_map(s, v, &m, e)))
		return rc;
	if (r.min > r.max)
		return yr_fail_at(e, yr_at(replicas_tab, at, "min"), path,
				  "min (%lld) must not be above max (%lld)",
				  (long long)r.min, (long long)r.max);
	p->min_replicas = r.min;
	p->max_replicas = r.max;
	return 0;
}

/* ---- rules and behavior live in policy_rules.c (policy_int.h) ---- */

static int pol_spec_key(void *ud, struct yr_stream *s, const char *key,
			const char *path, yaml_node_t *v, struct err *e)
{
	if (!strcmp(key, "job"))
		return pol_job(ud, s, key, path, v, e);
	if (!strcmp(key, "taskManager"))
		return pol_tm(ud, s, key, path, v, e);
	if (!strcmp(key, "replicas"))
		return pol_replicas(ud, s, key, path, v, e);
	if (!strcmp(key, "rules"))
		return pol_rules(ud, s, key, path, v, e);
	if (!strcmp(key, "jobManager"))
		return pol_jobmanager(ud, s, key, path, v, e);
	return pol_behavior(ud, s, key, path, v, e);
}

static int pol_meta(struct pol *p, struct yr_stream *s, const char *path,
		    yaml_node_t *v, struct err *e)
{
	struct raw_meta r = { 0 };
	struct yr_map m = { .path = path, .tab = meta_tab, .obj = &r };
	int rc = yr_map(s, v, &m, e);

	if (!rc) {
		str_lcpy(p->name, r.name, sizeof(p->name));
		str_lcpy(p->namespace, r.namespace, sizeof(p->namespace));
	}
	conf_release(meta_tab, &r);
	return rc;
}

/* Whatever the spec left out, from the policy's name. */
static int pol_defaults(struct pol *p, struct err *e)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, 1024);
	if (!p->job_name && !(p->job_name = strdup(p->name)))
		rc = ERR_NOMEM;
	/* the taskManager mapping may be absent: its table's default */
	if (!rc && !p->image && !(p->image = strdup(POL_DEFAULT_IMAGE)))
		rc = ERR_NOMEM;
	if (!rc && !p->jobmanager) {
		if (!buf_addf(&b, "http://%s-jobmanager.%s.svc:8081", p->name,
			      p->namespace))
			p->jobmanager = buf_detach(&b, NULL);
		else
			rc = ERR_NOMEM;
	}
	if (!rc && !p->rpc_address) {
		buf_reset(&b);
		if (!buf_addf(&b, "%s-jobmanager", p->name))
			p->rpc_address = buf_detach(&b, NULL);
		else
			rc = ERR_NOMEM;
	}
	buf_release(&b);
	return rc ? err_set(e, rc, "out of memory") : 0;
}

static int pol_top_key(void *ud, struct yr_stream *s, const char *key,
		       const char *path, yaml_node_t *v, struct err *e)
{
	static const char *const keys[] = { "job", "replicas", "rules",
					    "taskManager", "behavior",
					    "jobManager", NULL };
	struct pol *p = ud;
	struct yr_map m = { .path = path, .keys = keys, .required = 7,
			    .fn = pol_spec_key, .ud = p };

	if (!strcmp(key, "metadata"))
		return pol_meta(p, s, path, v, e);
	return yr_map(s, v, &m, e);
}

static int pol_doc(struct yr_stream *s, yaml_node_t *root, struct pol *p,
		   struct err *e)
{
	static const char *const keys[] = { "metadata", "spec", NULL };
	struct raw_top r = { 0 };
	struct yr_map m = { .path = "", .tab = top_tab, .obj = &r,
			    .keys = keys, .required = 3, .fn = pol_top_key,
			    .ud = p };
	int rc;

	p->at = yr_pos_of(root);
	p->metrics_port = 9249;
	p->slots = 1;
	p->min_replicas = 1;
	rc = yr_map(s, root, &m, e);
	conf_release(top_tab, &r);
	if (!rc)
		rc = pol_defaults(p, e);
	return rc ? rc : pol_jm_check(p, e);
}

void pol_deployment_name(const struct pol *p, char *out, size_t n)
{
	snprintf(out, n, "%s-taskmanager", p->name);
}

void pol_jobmanager_name(const struct pol *p, char *out, size_t n)
{
	snprintf(out, n, "%s-jobmanager", p->name);
}

static void pol_release(struct pol *p)
{
	free(p->job_name);
	free(p->jobmanager);
	free(p->rpc_address);
	free(p->savepoint_dir);
	free(p->jar_id);
	free(p->image);
	free(p->service_account);
	yr_kvs_release(&p->flink_conf);
	yr_kvs_release(&p->labels);
	pol_jm_release(&p->jm);
	for (size_t i = 0; i < p->nrules; i++)
		yr_kvs_release(&p->rules[i].selector);
}

void pol_file_release(struct pol_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		pol_release(&f->v[i]);
	free(f->v);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

static int pol_dup_name(const struct pol_file *f, const struct pol *p,
			struct err *e)
{
	for (size_t i = 0; i + 1 < f->n; i++)
		if (!strcmp(f->v[i].name, p->name) &&
		    !strcmp(f->v[i].namespace, p->namespace))
			return err_set_at(e, ERR_EXISTS, p->at.line, p->at.col,
					  "metadata.name: duplicate policy "
					  "%s/%s (first at line %lu)",
					  p->namespace, p->name,
					  f->v[i].at.line);
	return 0;
}

static int pol_add(struct pol_file *f, struct pol **p, struct err *e)
{
	struct pol *v;

	if (f->n == POL_MAX_POLICIES)
		return err_set(e, ERR_LIMIT, "too many policies (max %d)",
			       POL_MAX_POLICIES);
	v = realloc(f->v, (f->n + 1) * sizeof(*v));
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	f->v = v;
	*p = &v[f->n++];
	memset(*p, 0, sizeof(**p));
	return 0;
}

int pol_parse(const char *name, const char *text, size_t n,
	      struct pol_file *out, struct err *e)
{
	struct yr_stream s;
	yaml_node_t *root;
	struct pol *p = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(out->path = strdup(name)))
		return err_set(e, ERR_NOMEM, "out of memory");
	yr_stream_init(&s, text, n);
	while (!(rc = yr_stream_next(&s, &root, e)) && root) {
		if ((rc = pol_add(out, &p, e)) || (rc = pol_doc(&s, root, p, e)) ||
		    (rc = pol_dup_name(out, p, e)))
			break;
	}
	if (!rc && out->n == 0)
		rc = err_set_at(e, ERR_INVAL, 1, 1, "no policy in the file "
				"(expected a ScalingPolicy document)");
	yr_stream_release(&s);
	if (rc)
		pol_file_release(out);
	return rc;
}

int pol_read(const char *path, struct pol_file *out, struct err *e)
{
	struct buf b;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&b, POL_MAX_FILE);
	rc = buf_add_file(&b, path, e);
	if (!rc)
		rc = pol_parse(path, buf_str(&b), b.len, out, e);
	buf_release(&b);
	return rc;
}
