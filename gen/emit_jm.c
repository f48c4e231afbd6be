/*
 * emit_jm.c - the JobManager side flinkhpa-gen writes for spec.jobManager
 * (see emit.h), after Flink's "Kubernetes Setup" page for standalone
 * clusters: the configuration's ConfigMap mounted at /opt/flink/conf, the
 * JobManager Deployment (an application cluster for reactive and
 * adaptive, a session cluster for savepoint), its Service, and with high
 * availability the ServiceAccount, Role and RoleBinding of Flink's
 * Kubernetes HA services.  docs/policy.md explains each choice.
 */
#include <stdio.h>
#include <string.h>

#include "common/hash.h"
#include "common/names.h"
#include "gen/emit_int.h"
#include "gen/flinkconf.h"

#define CONFIG_VOLUME "flink-config"
#define UPLOAD_VOLUME "upload"
#define FLINK_UID 9999 /* the user "flink" of Flink's images */
#define LOG4J_FILE "log4j-console.properties"
#define RBAC_API "rbac.authorization.k8s.io/v1"

/* Logging to the console only, as kubectl logs reads it (the image's
 * default file would be hidden under the ConfigMap's mount). */
static const char log4j_console[] =
	"rootLogger.level = INFO\n"
	"rootLogger.appenderRef.console.ref = ConsoleAppender\n"
	"appender.console.name = ConsoleAppender\n"
	"appender.console.type = CONSOLE\n"
	"appender.console.layout.type = PatternLayout\n"
	"appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p "
	"%-60c %x - %m%n\n"
	"logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline\n"
	"logger.netty.level = OFF\n";

/* The head of an object of the JobManager's side. */
static void jm_head(struct yw *w, const struct emit_opts *o,
		    const struct pol *p, const char *api, const char *kind,
		    const char *name)
{
	struct emit_obj obj = { .api = api, .kind = kind, .name = name,
				.role = FH_ROLE_JOBMANAGER };

	emit_head(w, o, p, &obj);
}

static void config_name(const struct pol *p, char *out, size_t n)
{
	snprintf(out, n, "%s-flink-config", p->name);
}

void emit_account_name(const struct pol *p, char *out, size_t n)
{
	snprintf(out, n, "%s-flink", p->name);
}

static void role_name(const struct pol *p, char *out, size_t n)
{
	snprintf(out, n, "%s-flink-ha", p->name);
}

/* The configuration file's text in out. */
static int config_text(const struct pol *p, struct buf *out)
{
	struct fconf c;

	fconf_build(&c, p);
	return p->jm.flink_minor >= 19 ? fconf_write_yaml(&c, out)
				       : fconf_write_flat(&c, out);
}

void emit_config_hash(struct yw *w, int ind, const struct pol *p)
{
	struct buf text = BUF_INIT(1 << 20);
	char hex[9];

	if (!w->rc)
		w->rc = config_text(p, &text);
	if (!w->rc)
		w->rc = buf_adds(&text, log4j_console);
	snprintf(hex, sizeof(hex), "%08x",
		 (unsigned)hash_fnv1a(buf_str(&text), text.len));
	buf_release(&text);
	yw_kv(w, ind, FH_ANN_CONFIG_HASH, hex);
}

void emit_config_mount(struct yw *w, int ind)
{
	yw_line(w, ind, "volumeMounts:");
	yw_kv(w, ind, "- name", CONFIG_VOLUME);
	yw_kv(w, ind + 2, "mountPath", FCONF_CONF_DIR);
}

void emit_config_volume(struct yw *w, int ind, const struct pol *p)
{
	char name[128];

	config_name(p, name, sizeof(name));
	yw_kv(w, ind, "- name", CONFIG_VOLUME);
	yw_line(w, ind + 2, "configMap:");
	yw_kv(w, ind + 4, "name", name);
	yw_line(w, ind + 4, "items:");
	yw_kv(w, ind + 4, "- key", fconf_file_name(p));
	yw_kv(w, ind + 6, "path", fconf_file_name(p));
	yw_kv(w, ind + 4, "- key", LOG4J_FILE);
	yw_kv(w, ind + 6, "path", LOG4J_FILE);
}

int emit_configmap(struct buf *b, const struct pol *p,
		   const struct emit_opts *o)
{
	struct buf text = BUF_INIT(1 << 20);
	struct yw w = { b, 0 };
	char name[128];

	config_name(p, name, sizeof(name));
	jm_head(&w, o, p, "v1", "ConfigMap", name);
	yw_line(&w, 0, "data:");
	if (!w.rc)
		w.rc = config_text(p, &text);
	yw_block(&w, 2, fconf_file_name(p), buf_str(&text));
	yw_block(&w, 2, LOG4J_FILE, log4j_console);
	buf_release(&text);
	return w.rc;
}

/* ---- the JobManager's Deployment ---- */

static void jm_args(struct yw *w, const struct pol *p)
{
	bool ha = p->jm.ha_storage_dir != NULL;

	yw_line(w, 8, "args:");
	if (p->mode == FH_MODE_SAVEPOINT) { /* a session cluster */
		yw_item(w, 8, "jobmanager");
		if (ha) /* Flink's docs: the pod's IP, not the Service */
			yw_item(w, 8, "$(POD_IP)");
		return;
	}
	yw_item(w, 8, "standalone-job"); /* an application cluster */
	if (ha) {
		yw_item(w, 8, "--host");
		yw_item(w, 8, "$(POD_IP)");
	}
	if (p->jm.job_class) {
		yw_item(w, 8, "--job-classname");
		yw_item(w, 8, p->jm.job_class);
	}
	for (size_t i = 0; i < p->jm.nargs; i++)
		yw_item(w, 8, p->jm.args[i]);
}

static void jm_port(struct yw *w, const char *name, long long port)
{
	yw_kv(w, 8, "- name", name);
	yw_line(w, 10, "containerPort: %lld", port);
}

static void jm_probes(struct yw *w)
{
	emit_tcp_liveness(w, 8, FCONF_RPC_PORT);
	yw_line(w, 8, "readinessProbe:");
	yw_line(w, 10, "httpGet:");
	yw_line(w, 12, "path: /overview");
	yw_line(w, 12, "port: %d", FCONF_REST_PORT);
	yw_line(w, 10, "periodSeconds: 10");
}

static void jm_container(struct yw *w, const struct pol *p)
{
	yw_line(w, 6, "containers:");
	yw_kv(w, 6, "- name", "jobmanager");
	yw_kv(w, 8, "image", p->jm.image ? p->jm.image : p->image);
	jm_args(w, p);
	if (p->jm.ha_storage_dir) {
		yw_line(w, 8, "env:");
		yw_kv(w, 8, "- name", "POD_IP");
		yw_line(w, 10, "valueFrom:");
		yw_line(w, 12, "fieldRef:");
		yw_line(w, 14, "apiVersion: v1");
		yw_line(w, 14, "fieldPath: status.podIP");
	}
	yw_line(w, 8, "ports:");
	jm_port(w, "rpc", FCONF_RPC_PORT);
	jm_port(w, "blob-server", FCONF_BLOB_PORT);
	jm_port(w, "rest", FCONF_REST_PORT);
	jm_port(w, "metrics", p->metrics_port);
	emit_resources(w, 8, &p->jm.res);
	jm_probes(w);
	emit_config_mount(w, 8);
	if (p->mode == FH_MODE_SAVEPOINT) {
		yw_kv(w, 8, "- name", UPLOAD_VOLUME);
		yw_kv(w, 10, "mountPath", FCONF_UPLOAD_DIR);
	}
}

static void jm_pod_spec(struct yw *w, const struct pol *p)
{
	char sa[128];

	jm_container(w, p);
	if (p->mode == FH_MODE_SAVEPOINT) { /* the upload volume writable */
		yw_line(w, 6, "securityContext:");
		yw_line(w, 8, "fsGroup: %d", FLINK_UID);
	}
	if (p->jm.ha_storage_dir) {
		emit_account_name(p, sa, sizeof(sa));
		yw_kv(w, 6, "serviceAccountName", sa);
	}
	yw_line(w, 6, "volumes:");
	emit_config_volume(w, 6, p);
	if (p->mode != FH_MODE_SAVEPOINT)
		return;
	yw_kv(w, 6, "- name", UPLOAD_VOLUME);
	if (p->jm.upload_claim) {
		yw_line(w, 8, "persistentVolumeClaim:");
		yw_kv(w, 10, "claimName", p->jm.upload_claim);
	} else {
		yw_line(w, 8, "emptyDir: {}");
	}
}

int emit_jm_deployment(struct buf *b, const struct pol *p,
		       const struct emit_opts *o)
{
	char name[128];
	struct emit_deploy d = {
		.obj = { .name = name, .role = FH_ROLE_JOBMANAGER },
		.single = true, /* never two JobManagers of one cluster */
		.pod_spec = jm_pod_spec,
	};

	pol_jobmanager_name(p, name, sizeof(name));
	return emit_deploy(b, p, o, &d);
}

/* ---- the Service ---- */

static void svc_port(struct yw *w, const char *name, int port)
{
	yw_kv(w, 2, "- name", name);
	yw_line(w, 4, "port: %d", port);
	yw_kv(w, 4, "targetPort", name);
}

int emit_jm_service(struct buf *b, const struct pol *p,
		    const struct emit_opts *o)
{
	struct yw w = { b, 0 };
	char name[128];

	pol_jobmanager_name(p, name, sizeof(name));
	jm_head(&w, o, p, "v1", "Service", name);
	yw_line(&w, 0, "spec:");
	yw_line(&w, 2, "type: ClusterIP");
	yw_line(&w, 2, "ports:");
	svc_port(&w, "rpc", FCONF_RPC_PORT);
	svc_port(&w, "blob-server", FCONF_BLOB_PORT);
	svc_port(&w, "rest", FCONF_REST_PORT);
	yw_line(&w, 2, "selector:");
	emit_selector(&w, 4, p, FH_ROLE_JOBMANAGER);
	return w.rc;
}

/* ---- high availability: the account, its Role and the binding ---- */

int emit_serviceaccount(struct buf *b, const struct pol *p,
			const struct emit_opts *o)
{
	struct yw w = { b, 0 };
	char name[128];

	emit_account_name(p, name, sizeof(name));
	jm_head(&w, o, p, "v1", "ServiceAccount", name);
	return w.rc;
}

/* What Flink's "Kubernetes HA Services" page grants: ConfigMaps, where
 * the leader election and the job's pointers live. */
int emit_role(struct buf *b, const struct pol *p, const struct emit_opts *o)
{
	static const char *const verbs[] = { "get", "create", "delete",
		"update", "list", "watch", NULL };
	struct yw w = { b, 0 };
	char name[128];

	role_name(p, name, sizeof(name));
	jm_head(&w, o, p, RBAC_API, "Role", name);
	yw_line(&w, 0, "rules:");
	yw_line(&w, 0, "- apiGroups:");
	yw_line(&w, 2, "- \"\"");
	yw_line(&w, 2, "resources:");
	yw_line(&w, 2, "- configmaps");
	yw_line(&w, 2, "verbs:");
	for (size_t i = 0; verbs[i]; i++)
		yw_item(&w, 2, verbs[i]);
	return w.rc;
}

int emit_rolebinding(struct buf *b, const struct pol *p,
		     const struct emit_opts *o)
{
	struct yw w = { b, 0 };
	char name[128], sa[128];

	role_name(p, name, sizeof(name));
	emit_account_name(p, sa, sizeof(sa));
	jm_head(&w, o, p, RBAC_API, "RoleBinding", name);
	yw_line(&w, 0, "roleRef:");
	yw_line(&w, 2, "apiGroup: rbac.authorization.k8s.io");
	yw_line(&w, 2, "kind: Role");
	yw_kv(&w, 2, "name", name);
	yw_line(&w, 0, "subjects:");
	yw_line(&w, 0, "- kind: ServiceAccount");
	yw_kv(&w, 2, "name", sa);
	yw_kv(&w, 2, "namespace", p->namespace);
	/* the TaskManagers' own account reads the leader's address too */
	if (p->service_account && strcmp(p->service_account, sa)) {
		yw_line(&w, 0, "- kind: ServiceAccount");
		yw_kv(&w, 2, "name", p->service_account);
		yw_kv(&w, 2, "namespace", p->namespace);
	}
	return w.rc;
}
