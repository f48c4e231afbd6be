/*
 * flinkconf.h - the Flink configuration flinkhpa-gen writes for a policy:
 * the TaskManagers' FLINK_PROPERTIES when a platform runs the JobManager,
 * or the whole cluster's configuration file (config.yaml for Flink 1.19
 * and later, flink-conf.yaml before) when spec.jobManager is given.  One
 * list of keys and values, built once, sorted by key, then written in
 * either syntax; docs/policy.md explains every key it sets.
 */
#ifndef FH_FLINKCONF_H
#define FH_FLINKCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "gen/policy.h"

#define FCONF_MAX (POL_MAX_MAP + 48)

/* The ports of the JobManager's Service and the TaskManagers' pods. */
#define FCONF_RPC_PORT 6123
#define FCONF_BLOB_PORT 6124
#define FCONF_REST_PORT 8081
#define FCONF_TM_RPC_PORT 6122
#define FCONF_UPLOAD_DIR "/opt/flink/upload"
#define FCONF_CONF_DIR "/opt/flink/conf"
/* The same key from Flink 1.18 (ExecutionCheckpointingOptions) to 1.20
 * (CheckpointingOptions) */
#define FCONF_CKP_RETENTION \
	"execution.checkpointing.externalized-checkpoint-retention"
/* Flink's default configuration file's memory sizes, for containers
 * without a memory request or limit */
#define FCONF_TM_DEFAULT_MIB 1728
#define FCONF_JM_DEFAULT_MIB 1600

struct fconf_kv {
	const char *key;
	const char *value; /* value_buf or a string that outlives the list */
	char value_buf[64];
	bool own; /* value is value_buf */
};

struct fconf {
	struct fconf_kv v[FCONF_MAX];
	size_t n;
};

/* The settings for p, sorted by key: p->flinkConfiguration's values win
 * over the derived ones (the keys flinkhpa-gen owns are refused when the
 * policy is read). */
void fconf_build(struct fconf *c, const struct pol *p);
/* The value of key, or NULL. */
const char *fconf_get(const struct fconf *c, const char *key);

/* "key: value" lines as Flink's legacy parser reads them
 * (FLINK_PROPERTIES, flink-conf.yaml). */
int fconf_write_flat(const struct fconf *c, struct buf *out);
/* The same as a YAML mapping of flattened keys (config.yaml): values
 * quoted where YAML would read them differently. */
int fconf_write_yaml(const struct fconf *c, struct buf *out);

/* The configuration file's name for p's Flink version. */
const char *fconf_file_name(const struct pol *p);

/* heartbeat.timeout in milliseconds, derived from the policy (also the
 * TaskManagers' terminationGracePeriodSeconds). */
long long fconf_heartbeat_ms(const struct pol *p);

#endif
