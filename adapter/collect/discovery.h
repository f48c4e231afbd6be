/*
 * discovery.h - which pods are Flink TaskManagers, from the Kubernetes API:
 * a list, then a watch (re-listed on 410 Gone, on errors with backoff, and
 * every resync period) of the pods matching a label selector (default
 * flinkhpa.io/role=taskmanager, as flinkhpa-gen labels them).  Each Running
 * pod with an IP becomes a scrape target:
 *
 *   url     http://POD_IP:PORT/PATH, PORT from the annotation
 *           flinkhpa.io/metrics-port (default 9249), PATH from
 *           flinkhpa.io/metrics-path (default /metrics)
 *   job     annotation flinkhpa.io/job-name (the Flink job's name)
 *   jobmanager  annotation flinkhpa.io/jobmanager (the JobManager's REST
 *           address, http://HOST:8081): the job is also read from there
 *   owner   the Deployment owning the pod's ReplicaSet
 *   cpu     the sum of the containers' CPU requests
 *   labels  the pod's labels, for the API's label selectors
 */
#ifndef FH_DISCOVERY_H
#define FH_DISCOVERY_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/err.h"
#include "adapter/collect/jobmgr.h"
#include "adapter/kube/kube.h"
#include "adapter/collect/scrape.h"
#include "adapter/collect/store.h"

#define DISC_MAX_LABELS 32

/* A pod as a target; strings point into pod_target storage. */
struct pod_target {
	char ns[254], name[254], deployment[254], job[256];
	char jobmanager[512]; /* "" when not annotated */
	char url[600];
	char bad[160]; /* why the annotations make no URL; "" when fine */
	double cpu; /* cores */
	char *labels[2 * DISC_MAX_LABELS + 1]; /* k, v, ..., NULL; heap */
};

/* 0 and *t filled when the pod is scrapeable now; ERR_NOTFOUND when it is
 * not (not running, no IP, being deleted); ERR_INVAL when it has no name,
 * or, with t->bad saying why, when its port annotation is not 1-65535 or
 * its path annotation is not a URL path. */
int disc_pod_target(json_object *pod, struct pod_target *t);
void disc_pod_target_release(struct pod_target *t);

struct disc_opts {
	const char *ns;       /* NULL: all namespaces */
	const char *selector; /* label selector */
	int resync_s;
};

struct discovery;

/* The pods go to the store and the scraper, their jobs to jm (may be
 * NULL); all three are borrowed. */
struct discovery *discovery_new(struct kube_client *k,
				const struct disc_opts *o, struct store *st,
				struct scraper *sc, struct jobmgr *jm,
				struct err *e);
int discovery_start(struct discovery *d, struct err *e);
/* CLOCK_MONOTONIC ms when the first list was applied; 0 before. */
int64_t discovery_synced_at(struct discovery *d);
void discovery_free(struct discovery *d); /* stops; accepts NULL */

#endif
