/*
 * targets.h - the TaskManager list of standalone mode, read from a YAML
 * file instead of the Kubernetes API (for the demo, and for people without
 * a cluster):
 *
 *   targets:
 *     - namespace: flink              # required
 *       pod: flink-taskmanager-0      # required, unique per namespace
 *       url: http://127.0.1.1:9249/metrics   # required
 *       deployment: flink-taskmanager # for job metrics on the Deployment
 *       job: wordcount                # Flink job name of the Deployment
 *       jobManager: http://127.0.0.1:8081   # read the job from there too
 *       cpuRequest: 1000m             # for CPU utilization; cores or m
 *       labels: {app: flink, component: taskmanager}
 *
 * Errors name the file, line and column, and the key.
 */
#ifndef FH_TARGETS_H
#define FH_TARGETS_H

#include <stddef.h>

#include "common/err.h"

#define TARGET_MAX_LABELS 32

struct target {
	char *ns, *pod, *url, *deployment, *job, *jobmanager;
	char *cpu_text;     /* as written */
	double cpu_request; /* cores */
	char *labels[2 * TARGET_MAX_LABELS + 1]; /* k, v, ..., NULL */
};

struct target_list {
	struct target *v;
	size_t n;
};

int targets_load(const char *path, struct target_list *out, struct err *e);
void targets_release(struct target_list *l);

/* Kubernetes CPU quantity ("1", "0.5", "1500m") in cores. */
int targets_parse_cpu(const char *s, double *cores);

#endif
