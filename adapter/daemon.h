/*
 * daemon.h - the adapter as a server: wires the target list, the store, the
 * scrape thread and the HTTPS server together, runs until SIGTERM or SIGINT,
 * then shuts down in order.
 */
#ifndef FH_DAEMON_H
#define FH_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/delegate/delegate.h"
#include "adapter/kube/kube.h"

/* Settings, filled from the flag table in main.c. */
struct adapter_opts {
	int64_t port;
	char *bind;
	char *cert_file;
	char *key_file;
	bool insecure;
	char *targets_file;
	char *config_file;
	char *kubeconfig;
	char *watch_namespace;
	char *pod_selector;
	char *rh_ca_file;
	char *rh_allowed;
	char *client_ca_file;
	char *authz_kubeconfig;
	char *authn_kubeconfig;
	bool skip_lookup;
	int64_t authz_ttl_ms;
	int64_t interval_ms;
	int64_t timeout_ms;
	int64_t stale_ms;
	int64_t max_page;
	int64_t max_series;
	int64_t threads;
	bool sync;
	int64_t sync_period_ms;
	int64_t sync_settle_ms;
	int64_t sync_min_interval_ms;
	int64_t sync_timeout_ms;
	bool leader_elect;
	char *leader_ns;
	char *leader_id;
	char *dump_scrape;
	bool print_catalog;
	int64_t verbosity;
	bool help;
	bool version;
	struct delegate_opts delegate; /* --delegate-* */
};

/* The namespace of the sync controller's Lease: --leader-elect-namespace
 * (flag, NULL: not given), else in a cluster the pod's own (the service
 * account's namespace file), else DAEMON_LEASE_NS, whatever namespace the
 * kubeconfig's context names. */
#define DAEMON_LEASE_NS "flinkhpa-system"
const char *daemon_lease_namespace(const char *flag,
				   const struct kube_config *c);

/* *file names the file an error is about (NULL: none). */
int daemon_run(const struct adapter_opts *o, const char **file,
	       struct err *e);

#endif
