/*
 * names.h - the one place for names shared by flinkhpa-gen, the adapter and
 * the Flink emulator: the flinkhpa.io/ annotation and label keys that gen
 * writes and the adapter reads, and the parallelism modes.  Change a name
 * here and every program follows; never spell one of these as a literal.
 */
#ifndef FH_NAMES_H
#define FH_NAMES_H

#define FH_API_VERSION "flinkhpa.io/v1"
#define FH_PREFIX "flinkhpa.io/"

/* labels */
#define FH_LABEL_POLICY FH_PREFIX "policy"
#define FH_LABEL_ROLE FH_PREFIX "role"
#define FH_ROLE_TASKMANAGER "taskmanager"
#define FH_ROLE_JOBMANAGER "jobmanager"
#define FH_DEFAULT_SELECTOR FH_LABEL_ROLE "=" FH_ROLE_TASKMANAGER

/* annotations gen writes on the TaskManager Deployment and its pods */
#define FH_ANN_JOB_NAME FH_PREFIX "job-name"
#define FH_ANN_JOBMANAGER FH_PREFIX "jobmanager"
#define FH_ANN_METRICS_PORT FH_PREFIX "metrics-port"
#define FH_ANN_METRICS_PATH FH_PREFIX "metrics-path"
#define FH_ANN_MODE FH_PREFIX "parallelism-mode"
#define FH_ANN_SLOTS FH_PREFIX "slots-per-taskmanager"
#define FH_ANN_MAX_PARALLELISM FH_PREFIX "max-parallelism"
#define FH_ANN_ALIGN FH_PREFIX "align-parallelism"
#define FH_ANN_JAR_ID FH_PREFIX "jar-id"
#define FH_ANN_SAVEPOINT_DIR FH_PREFIX "savepoint-dir"
/* a throughput rule's parameters (on the Deployment and its pods) */
#define FH_ANN_TPUT_UTILIZATION FH_PREFIX "throughput-utilization"
#define FH_ANN_TPUT_CATCH_UP FH_PREFIX "throughput-catch-up-seconds"
#define FH_ANN_TPUT_RESTART FH_PREFIX "throughput-restart-seconds"
#define FH_ANN_MIN_REPLICAS FH_PREFIX "min-taskmanagers"
#define FH_ANN_MAX_REPLICAS FH_PREFIX "max-taskmanagers"
/* on the JobManager's and TaskManagers' pods when gen writes the
 * JobManager: a hash of the Flink configuration, so a change restarts them */
#define FH_ANN_CONFIG_HASH FH_PREFIX "config-hash"

/* annotations the sync controller writes */
#define FH_ANN_APPLIED FH_PREFIX "parallelism"
#define FH_ANN_RESCALE FH_PREFIX "rescale"

/* How a Deployment's replica count becomes the job's parallelism. */
enum fh_mode { FH_MODE_REACTIVE, FH_MODE_ADAPTIVE, FH_MODE_SAVEPOINT };
#define FH_MODE_NAME_REACTIVE "reactive"
#define FH_MODE_NAME_ADAPTIVE "adaptive"
#define FH_MODE_NAME_SAVEPOINT "savepoint"

/* The modes' names, indexed by enum fh_mode, NULL-terminated (the shape
 * conf.h's CONF_ENUM tables take). */
extern const char *const fh_mode_names[];

/* Parses a mode name: 0 and *out set, or -1 for a name that is no mode. */
int fh_mode_parse(const char *name, enum fh_mode *out);

/* The name of a mode ("reactive" for a value out of range never happens:
 * returns "?" then). */
const char *fh_mode_name(enum fh_mode m);

#endif
