/*
 * policy.h - the scaling policy file (apiVersion flinkhpa.io/v1, kind
 * ScalingPolicy), read into structs with every value checked as
 * kube-apiserver would check what we derive from it.  docs/policy.md is
 * the user's description of the schema; the tables in policy.c are its
 * one source of truth.
 *
 * A file holds one or more policies as YAML documents.  pol_read parses a
 * whole file or fails with the file's first problem, its line, column and
 * the dotted path of the field ("spec.replicas.max: ...").
 */
#ifndef FH_POLICY_H
#define FH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/names.h"
#include "common/quantity.h"
#include "gen/yread.h"

#define POL_MAX_POLICIES 256
#define POL_MAX_RULES 16
#define POL_MAX_BEHAVIOR_POLICIES 8
#define POL_MAX_MAP 64           /* labels, Flink settings, selectors */
#define POL_MAX_FILE (4u << 20)  /* bytes of one policy file */
#define POL_DEFAULT_IMAGE "flink:1.20"
#define POL_MAX_ARGS 64          /* spec.jobManager.args */
#define POL_MIN_FLINK_MEMORY (1LL << 30) /* with spec.jobManager */

enum pol_rule_type {
	RULE_CPU,
	RULE_MEMORY,
	RULE_BACKLOG,
	RULE_LATENCY,
	RULE_WATERMARK_LAG,
	RULE_BUSY_RATIO,
	RULE_CUSTOM,
	RULE_THROUGHPUT,
};

/* Where a metric comes from; cpu and memory: resource or flink. */
enum pol_source { SRC_RESOURCE, SRC_FLINK, SRC_PODS, SRC_DEPLOYMENT,
		  SRC_EXTERNAL };

enum pol_target { TGT_UTILIZATION, TGT_AVERAGE_VALUE, TGT_VALUE };

/* One rule, already mapped to an HPA metric. */
struct pol_rule {
	enum pol_rule_type type;
	enum pol_source source;
	char metric[128];        /* HPA metric (or resource) name */
	enum pol_target target;
	int64_t utilization;     /* TGT_UTILIZATION */
	struct qty value;        /* TGT_VALUE, TGT_AVERAGE_VALUE */
	struct yr_kvs selector;  /* matchLabels; external: job_name default */
	/* RULE_THROUGHPUT: the computation's parameters (model/tput.h) */
	double tput_utilization;
	int64_t catch_up_ms, restart_ms;
	struct yr_pos at;
};

struct pol_scaling_policy {
	int type; /* 0 Pods, 1 Percent */
	int64_t value;
	int64_t period_s;
};

struct pol_behavior_side {
	bool given;
	bool have_window, have_select;
	int64_t window_s;
	int select; /* 0 Max, 1 Min, 2 Disabled */
	struct pol_scaling_policy policies[POL_MAX_BEHAVIOR_POLICIES];
	size_t npolicies;
};

struct pol_resources {
	struct qty req_cpu, req_mem, lim_cpu, lim_mem;
	bool have_req_cpu, have_req_mem, have_lim_cpu, have_lim_mem;
	struct yr_pos at; /* the mapping; line 0: not given */
};

/* spec.jobManager: the JobManager flinkhpa-gen writes (given: false when
 * the policy leaves it out and a platform runs the JobManager). */
struct pol_jm {
	bool given;
	struct yr_pos at;
	char *image;             /* default: spec.taskManager.image */
	int flink_minor;         /* Flink 1.N: 18, 19 or 20 */
	char *job_class;         /* standalone-job --job-classname */
	char *args[POL_MAX_ARGS];
	size_t nargs;
	struct pol_resources res;
	char *ha_storage_dir;    /* NULL: no high availability */
	char *checkpoint_dir;    /* NULL: no checkpointing settings */
	int64_t checkpoint_interval_ms;
	char *upload_claim;      /* savepoint: web.upload.dir's claim */
	struct yr_pos job_class_at, args_at, claim_at;
};

struct pol {
	char name[64];
	char namespace[64];
	struct yr_pos at; /* the document */
	/* spec.job */
	char *job_name;
	char *jobmanager;   /* REST address */
	char *rpc_address;  /* jobmanager.rpc.address */
	int64_t slots;
	int64_t max_parallelism; /* 0: Flink's default */
	enum fh_mode mode;
	char *savepoint_dir;
	char *jar_id;
	bool align;              /* round to divisors of max parallelism */
	struct yr_pos jobmanager_at, rpc_at; /* given by the user: line != 0 */
	/* spec.taskManager */
	char *image;
	char *service_account;
	int64_t metrics_port;
	struct yr_kvs flink_conf, labels;
	struct pol_resources res;
	/* spec.jobManager */
	struct pol_jm jm;
	/* spec.replicas */
	int64_t min_replicas, max_replicas;
	struct pol_rule rules[POL_MAX_RULES];
	size_t nrules;
	struct pol_behavior_side up, down;
};

struct pol_file {
	char *path;   /* as given, for headers and messages */
	struct pol *v;
	size_t n;
};

/* Read and check path (all its documents).  e carries line and column;
 * the caller prefixes the file name. */
int pol_read(const char *path, struct pol_file *out, struct err *e);
/* The same from memory (fuzzing, tests); name stands for the file. */
int pol_parse(const char *name, const char *text, size_t n,
	      struct pol_file *out, struct err *e);
void pol_file_release(struct pol_file *f);

/* The Deployment's name: NAME-taskmanager. */
void pol_deployment_name(const struct pol *p, char *out, size_t n);
/* The JobManager's Deployment and Service: NAME-jobmanager. */
void pol_jobmanager_name(const struct pol *p, char *out, size_t n);

#endif
