/*
 * flinkconf.c - the Flink settings of a policy (see flinkconf.h and the
 * "Flink settings" section of docs/policy.md, which gives each one's
 * reason and source).
 */
#include "gen/flinkconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/yw.h"

#define HPA_DEFAULT_DOWN_PERIOD_S 15 /* the HPA's default scale-down policy */
#define HEARTBEAT_MIN_MS 20000
#define HEARTBEAT_MAX_MS 50000       /* Flink's default */

static struct fconf_kv *fconf_slot(struct fconf *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	if (c->n == FCONF_MAX) /* cannot happen: POL_MAX_MAP + ours */
		return NULL;
	c->v[c->n].key = key;
	return &c->v[c->n++];
}

static void fconf_set(struct fconf *c, const char *key, const char *value)
{
	struct fconf_kv *kv = fconf_slot(c, key);

	if (kv) {
		kv->value = value;
		kv->own = false;
	}
}

static void fconf_setf(struct fconf *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fconf_setf(struct fconf *c, const char *key, const char *fmt, ...)
{
	struct fconf_kv *kv = fconf_slot(c, key);
	va_list ap;

	if (!kv)
		return;
	va_start(ap, fmt);
	vsnprintf(kv->value_buf, sizeof(kv->value_buf), fmt, ap);
	va_end(ap);
	kv->value = kv->value_buf;
	kv->own = true;
}

const char *fconf_get(const struct fconf *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return c->v[i].value;
	return NULL;
}

long long fconf_heartbeat_ms(const struct pol *p)
{
	long long period = HPA_DEFAULT_DOWN_PERIOD_S, ms;

	for (size_t i = 0; i < p->down.npolicies; i++)
		if (i == 0 || p->down.policies[i].period_s < period)
			period = p->down.policies[i].period_s;
	ms = period * 1000;
	if (ms < HEARTBEAT_MIN_MS)
		ms = HEARTBEAT_MIN_MS;
	return ms > HEARTBEAT_MAX_MS ? HEARTBEAT_MAX_MS : ms;
}

const char *fconf_file_name(const struct pol *p)
{
	return p->jm.flink_minor >= 19 ? "config.yaml" : "flink-conf.yaml";
}

/* A container's memory for taskmanager/jobmanager.memory.process.size:
 * the limit, else the request, in whole MiB; 0: neither given. */
static long long fconf_mib(const struct pol_resources *r)
{
	const struct qty *q = r->have_lim_mem ? &r->lim_mem
			      : r->have_req_mem ? &r->req_mem : NULL;

	return q ? (long long)(qty_scaled_value(q, 0) >> 20) : 0;
}

/* "30 s" or "1500 ms", as Flink's durations read. */
static void fconf_set_duration(struct fconf *c, const char *key, int64_t ms)
{
	if (ms % 1000)
		fconf_setf(c, key, "%lld ms", (long long)ms);
	else
		fconf_setf(c, key, "%lld s", (long long)(ms / 1000));
}

static void fconf_mode(struct fconf *c, const struct pol *p)
{
	if (p->mode == FH_MODE_SAVEPOINT) {
		fconf_set(c, "web.upload.dir", FCONF_UPLOAD_DIR);
		return;
	}
	if (p->mode == FH_MODE_REACTIVE)
		fconf_set(c, "scheduler-mode", "reactive");
	else
		fconf_set(c, "jobmanager.scheduler", "adaptive");
	fconf_set(c, "jobmanager.adaptive-scheduler.resource-stabilization-"
		  "timeout", "10 s");
	fconf_set(c, "jobmanager.adaptive-scheduler.min-parallelism-increase",
		  "1");
}

static void fconf_state(struct fconf *c, const struct pol *p)
{
	if (p->jm.checkpoint_dir) {
		fconf_set(c, "state.checkpoints.dir", p->jm.checkpoint_dir);
		fconf_set_duration(c, "execution.checkpointing.interval",
				   p->jm.checkpoint_interval_ms);
		/* the latest checkpoint outlives a cancelled job, so that
		 * the job can be started again from it */
		fconf_set(c, FCONF_CKP_RETENTION, "RETAIN_ON_CANCELLATION");
	}
	if (p->savepoint_dir)
		fconf_set(c, "state.savepoints.dir", p->savepoint_dir);
	if (!p->jm.ha_storage_dir)
		return;
	fconf_set(c, "high-availability.type", "kubernetes");
	fconf_set(c, "high-availability.storageDir", p->jm.ha_storage_dir);
	fconf_setf(c, "high-availability.jobmanager.port", "%d",
		   FCONF_RPC_PORT);
	fconf_set(c, "kubernetes.cluster-id", p->name);
	fconf_set(c, "kubernetes.namespace", p->namespace);
}

/* The JobManager side: ports, heartbeats, restarts, memory, state. */
static void fconf_cluster(struct fconf *c, const struct pol *p)
{
	long long hb = fconf_heartbeat_ms(p), mib;

	fconf_setf(c, "jobmanager.rpc.port", "%d", FCONF_RPC_PORT);
	fconf_setf(c, "blob.server.port", "%d", FCONF_BLOB_PORT);
	fconf_setf(c, "rest.port", "%d", FCONF_REST_PORT);
	fconf_setf(c, "heartbeat.timeout", "%lld", hb);
	fconf_setf(c, "heartbeat.interval", "%lld", hb / 5);
	/* restart-strategy.type from Flink 1.19 on; its older name before */
	fconf_set(c, p->jm.flink_minor >= 19 ? "restart-strategy.type"
		  : "restart-strategy", "exponential-delay");
	fconf_set(c, "restart-strategy.exponential-delay.initial-backoff",
		  "1 s");
	fconf_set(c, "restart-strategy.exponential-delay.max-backoff",
		  "10 s");
	/* one of the memory sizes must be set (the image's own file, which
	 * the ConfigMap replaces, has Flink's defaults: ours without one) */
	mib = fconf_mib(&p->res);
	fconf_setf(c, "taskmanager.memory.process.size", "%lldm",
		   mib ? mib : FCONF_TM_DEFAULT_MIB);
	mib = fconf_mib(&p->jm.res);
	fconf_setf(c, "jobmanager.memory.process.size", "%lldm",
		   mib ? mib : FCONF_JM_DEFAULT_MIB);
	fconf_mode(c, p);
	fconf_state(c, p);
}

static int fconf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fconf_kv *)a)->key,
		      ((const struct fconf_kv *)b)->key);
}

void fconf_build(struct fconf *c, const struct pol *p)
{
	c->n = 0;
	fconf_set(c, "jobmanager.rpc.address", p->rpc_address);
	fconf_set(c, "metrics.reporter.prom.factory.class",
		  "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
	fconf_setf(c, "metrics.reporter.prom.port", "%lld",
		   (long long)p->metrics_port);
	fconf_setf(c, "taskmanager.numberOfTaskSlots", "%lld",
		   (long long)p->slots);
	/* the TaskManagers' container port and liveness probe (random
	 * otherwise); Flink's standalone Kubernetes ConfigMap sets it too */
	fconf_setf(c, "taskmanager.rpc.port", "%d", FCONF_TM_RPC_PORT);
	if (p->jm.given)
		fconf_cluster(c, p);
	for (size_t i = 0; i < p->flink_conf.n; i++)
		fconf_set(c, p->flink_conf.v[i].key, p->flink_conf.v[i].value);
	qsort(c->v, c->n, sizeof(c->v[0]), fconf_cmp);
	/* qsort moved the entries: point the formatted values home again */
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].own)
			c->v[i].value = c->v[i].value_buf;
}

int fconf_write_flat(const struct fconf *c, struct buf *out)
{
	int rc = 0;

	for (size_t i = 0; i < c->n && !rc; i++)
		rc = buf_addf(out, "%s: %s\n", c->v[i].key, c->v[i].value);
	return rc;
}

int fconf_write_yaml(const struct fconf *c, struct buf *out)
{
	int rc = 0;

	for (size_t i = 0; i < c->n && !rc; i++) {
		rc = yw_scalar(out, c->v[i].key);
		if (!rc)
			rc = buf_adds(out, ": ");
		if (!rc)
			rc = yw_scalar(out, c->v[i].value);
		if (!rc)
			rc = buf_addc(out, '\n');
	}
	return rc;
}
