/*
 * main.c - flinkhpa-adapter's entry point: parses flags from the settings
 * table, runs the selected mode, and is the only place that prints errors
 * and chooses the exit status.
 *
 * Modes: the API server (default), and --dump-scrape FILE (print what the
 * scrape parser reads from a TaskManager metrics page).
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/names.h"
#include "adapter/collect/catalog.h"
#include "adapter/daemon.h"
#include "adapter/collect/dump.h"

#define OPT(f) offsetof(struct adapter_opts, f)
#define MS_DAY (86400.0 * 1000)

static const struct conf_def adapter_flags[] = {
	{ "secure-port", CONF_INT, OPT(port), 0, 65535, "6443", NULL, NULL,
	  "port to serve the metrics APIs on (HTTPS; 0 picks a free port)", 0 },
	{ "bind-address", CONF_STRING, OPT(bind), 1, 64, "0.0.0.0", NULL, NULL,
	  "address to listen on", 0 },
	{ "tls-cert-file", CONF_STRING, OPT(cert_file), 1, 4096, NULL, NULL,
	  NULL, "serving certificate (PEM, may include the chain); without "
	  "it a self-signed one is made", 0 },
	{ "tls-private-key-file", CONF_STRING, OPT(key_file), 1, 4096, NULL,
	  NULL, NULL, "private key of --tls-cert-file (PEM)", 0 },
	{ "insecure-demo", CONF_BOOL, OPT(insecure), 0, 0, "false", NULL, NULL,
	  "serve plain HTTP without authentication: for the demo only, never "
	  "in a cluster", 0 },
	{ "targets-file", CONF_STRING, OPT(targets_file), 1, 4096, NULL, NULL,
	  NULL, "standalone mode: read the TaskManagers to scrape from this "
	  "YAML file instead of discovering them through the Kubernetes API",
	  0 },
	{ "kubeconfig", CONF_STRING, OPT(kubeconfig), 1, 4096, NULL, NULL,
	  NULL, "kubeconfig for the Kubernetes API; without it, the pod's "
	  "service account (in-cluster)", 0 },
	{ "namespace", CONF_STRING, OPT(watch_namespace), 1, 253, NULL, NULL,
	  NULL, "discover TaskManager pods in this namespace only (default: "
	  "all namespaces)", 0 },
	{ "pod-selector", CONF_STRING, OPT(pod_selector), 1, 1024,
	  FH_DEFAULT_SELECTOR, NULL, NULL,
	  "label selector of the TaskManager pods to scrape", 0 },
	{ "requestheader-client-ca-file", CONF_STRING, OPT(rh_ca_file), 1,
	  4096, NULL, NULL, NULL, "CA of the front proxy (kube-apiserver's "
	  "aggregator) whose client certificates make the X-Remote-* headers "
	  "trusted; default: from the extension-apiserver-authentication "
	  "ConfigMap", 0 },
	{ "requestheader-allowed-names", CONF_STRING, OPT(rh_allowed), 0, 4096,
	  NULL, NULL, NULL, "common names allowed for the front proxy's "
	  "certificate, comma separated (empty: any from the CA)", 0 },
	{ "client-ca-file", CONF_STRING, OPT(client_ca_file), 1, 4096, NULL,
	  NULL, NULL, "CA of client certificates that authenticate users "
	  "directly (CN is the user, O the groups)", 0 },
	{ "authorization-kubeconfig", CONF_STRING, OPT(authz_kubeconfig), 1,
	  4096, NULL, NULL, NULL, "kubeconfig for SubjectAccessReviews "
	  "(default: --kubeconfig, or in-cluster)", 0 },
	{ "authentication-kubeconfig", CONF_STRING, OPT(authn_kubeconfig), 1,
	  4096, NULL, NULL, NULL, "kubeconfig for TokenReviews of bearer "
	  "tokens (default: the one for SubjectAccessReviews)", 0 },
	{ "authentication-skip-lookup", CONF_BOOL, OPT(skip_lookup), 0, 0,
	  "false", NULL, NULL, "do not read the "
	  "kube-system/extension-apiserver-authentication ConfigMap", 0 },
	{ "authorization-cache-ttl", CONF_DURATION, OPT(authz_ttl_ms), 0,
	  MS_DAY, "10s", NULL, NULL, "how long allow and deny answers are "
	  "cached", 0 },
	{ "config", CONF_STRING, OPT(config_file), 1, 4096, NULL, NULL, NULL,
	  "configuration file with custom rules (YAML, see the README)", 0 },
	{ "scrape-interval", CONF_DURATION, OPT(interval_ms), 1000, MS_DAY,
	  "5s", NULL, NULL, "time between scrapes of each TaskManager", 0 },
	{ "scrape-timeout", CONF_DURATION, OPT(timeout_ms), 0, MS_DAY, "0",
	  NULL, NULL, "time limit of one scrape; 0: the interval minus 1s "
	  "(at least 500ms)", 0 },
	{ "stale-after", CONF_DURATION, OPT(stale_ms), 0, MS_DAY, "0", NULL,
	  NULL, "values older than this are not served; 0: three scrape "
	  "intervals", 0 },
	{ "max-page-bytes", CONF_INT, OPT(max_page), 1024, 1 << 30, "67108864",
	  NULL, NULL, "largest TaskManager page accepted", 0 },
	{ "max-series", CONF_INT, OPT(max_series), 1, 100000000, "1000000",
	  NULL, NULL, "most series kept from one page", 0 },
	{ "threads", CONF_INT, OPT(threads), 1, 64, "2", NULL, NULL,
	  "threads answering API requests", 0 },
	{ "sync", CONF_BOOL, OPT(sync), 0, 0, "true", NULL, NULL,
	  "run the parallelism sync controller (with the Kubernetes API)", 0 },
	{ "sync-period", CONF_DURATION, OPT(sync_period_ms), 100, MS_DAY,
	  "2s", NULL, NULL, "time between two steps of the sync controller", 0 },
	{ "sync-settle", CONF_DURATION, OPT(sync_settle_ms), 0, MS_DAY, "10s",
	  NULL, NULL, "replicas must be unchanged this long before a rescale; "
	  "in savepoint mode, a job stranded without its slots this long "
	  "too before it is resumed from its latest checkpoint", 0 },
	{ "sync-min-interval", CONF_DURATION, OPT(sync_min_interval_ms), 0,
	  MS_DAY, "30s", NULL, NULL, "least time between two rescales of a "
	  "job", 0 },
	{ "sync-timeout", CONF_DURATION, OPT(sync_timeout_ms), 1000, MS_DAY,
	  "5m", NULL, NULL, "time for a savepoint, or for the job to run at "
	  "the new parallelism, before the rescale counts as failed", 0 },
	{ "leader-elect", CONF_BOOL, OPT(leader_elect), 0, 0, "true", NULL,
	  NULL, "run the sync controller only while holding the Lease "
	  "flinkhpa-sync (for several replicas)", 0 },
	{ "leader-elect-namespace", CONF_STRING, OPT(leader_ns), 1, 63, NULL,
	  NULL, NULL, "namespace of the Lease, which must exist (default: in "
	  "a cluster the pod's own, outside one flinkhpa-system)", 0 },
	{ "leader-elect-identity", CONF_STRING, OPT(leader_id), 1, 200, NULL,
	  NULL, NULL, "this replica's name in the Lease (default: host name "
	  "and a random suffix)", 0 },
	{ "delegate-custom-metrics", CONF_STRING, OPT(delegate.custom_url), 1,
	  2048, NULL, NULL, NULL, "base URL of another custom metrics adapter "
	  "(e.g. https://prometheus-adapter.monitoring.svc) that answers the "
	  "custom metrics flinkhpa does not serve, behind the same APIService",
	  0 },
	{ "delegate-external-metrics", CONF_STRING, OPT(delegate.external_url),
	  1, 2048, NULL, NULL, NULL, "base URL of another external metrics "
	  "adapter (e.g. https://keda-operator-metrics-apiserver.keda.svc) for "
	  "the external metrics flinkhpa does not serve", 0 },
	{ "delegate-ca-file", CONF_STRING, OPT(delegate.ca_file), 1, 4096,
	  NULL, NULL, NULL, "CA of the delegates' serving certificates "
	  "(default: the system's)", 0 },
	{ "delegate-insecure-skip-tls-verify", CONF_BOOL, OPT(delegate.insecure),
	  0, 0, "false", NULL, NULL, "do not verify the delegates' serving "
	  "certificates (as their APIServices' insecureSkipTLSVerify)", 0 },
	{ "delegate-client-cert-file", CONF_STRING, OPT(delegate.cert_file), 1,
	  4096, NULL, NULL, NULL, "front-proxy client certificate (signed by "
	  "the requestheader CA): the delegate sees each request's own user "
	  "in X-Remote-User/Group/Extra, as from kube-apiserver", 0 },
	{ "delegate-client-key-file", CONF_STRING, OPT(delegate.key_file), 1,
	  4096, NULL, NULL, NULL, "key of --delegate-client-cert-file", 0 },
	{ "delegate-token-file", CONF_STRING, OPT(delegate.token_file), 1, 4096,
	  NULL, NULL, NULL, "instead: a bearer token (e.g. the ServiceAccount's, "
	  "/var/run/secrets/kubernetes.io/serviceaccount/token); the delegate "
	  "then sees flinkhpa, not the user", 0 },
	{ "delegate-timeout", CONF_DURATION, OPT(delegate.timeout_ms), 1,
	  MS_DAY, "5s", NULL, NULL, "time limit of one forwarded request; "
	  "then a 503 for that metric only", 0 },
	{ "delegate-discovery-interval", CONF_DURATION,
	  OPT(delegate.discovery_ms), 1000, MS_DAY, "30s", NULL, NULL,
	  "how often the delegates' discovery documents are read again", 0 },
	{ "dump-scrape", CONF_STRING, OPT(dump_scrape), 1, 4096, NULL, NULL,
	  NULL, "print every sample parsed from a Flink metrics page (FILE, "
	  "or - for standard input), then a summary line, and exit", 0 },
	{ "print-catalog", CONF_BOOL, OPT(print_catalog), 0, 0, NULL, NULL,
	  NULL, "print the metric catalogue as a Markdown table and exit", 0 },
	{ "v", CONF_INT, OPT(verbosity), 0, 10, "0", NULL, NULL,
	  "log verbosity (klog levels)", 0 },
	{ "help", CONF_BOOL, OPT(help), 0, 0, NULL, NULL, NULL,
	  "show this help and exit", 0 },
	{ "version", CONF_BOOL, OPT(version), 0, 0, NULL, NULL, NULL,
	  "print the version and exit", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static void usage(FILE *f)
{
	struct buf b = BUF_INIT(64 * 1024);

	fputs("Usage: flinkhpa-adapter [flags]\n\n"
	      "Serves Flink metrics to the Kubernetes HPA through the custom "
	      "and external\nmetrics APIs.\n\nFlags:\n", f);
	if (conf_usage(adapter_flags, &b) == 0)
		fputs(buf_str(&b), f);
	buf_release(&b);
}

static void print_error(const char *file, const struct err *e)
{
	if (file && e->line)
		fprintf(stderr, "flinkhpa-adapter: %s:%lu:%lu: %s\n", file,
			e->line, e->col, e->msg);
	else if (file)
		fprintf(stderr, "flinkhpa-adapter: %s: %s\n", file, e->msg);
	else
		fprintf(stderr, "flinkhpa-adapter: %s\n", e->msg);
}

static int run_dump(const char *path)
{
	struct err e;

	err_clear(&e);
	if (dump_scrape(path, stdout, NULL, &e) == 0)
		return fflush(stdout) == 0 ? 0 : 1;
	fflush(stdout);
	print_error(path, &e);
	return 1;
}

/* A thousand TaskManagers need more descriptors than the usual 1024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int run_server(struct adapter_opts *o)
{
	const char *file = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	raise_fd_limit();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = daemon_run(o, &file, &e);
	curl_global_cleanup();
	if (rc) {
		print_error(file, &e);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct adapter_opts o;
	struct err e;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc = 2;

	memset(&o, 0, sizeof(o));
	err_clear(&e);
	if (!pos || conf_defaults(adapter_flags, &o, &e) ||
	    conf_parse_args(adapter_flags, &o, argc, argv, pos, &npos, &e)) {
		fprintf(stderr, "flinkhpa-adapter: %s (see --help)\n", e.msg);
		goto out;
	}
	log_set_verbosity((int)o.verbosity);
	if (o.help) {
		usage(stdout);
		rc = 0;
	} else if (o.version) {
		printf("flinkhpa-adapter %s (revision %s)\n", FH_VERSION, FH_REVISION);
		rc = 0;
	} else if (npos) {
		fprintf(stderr, "flinkhpa-adapter: unexpected argument: %s\n",
			pos[0]);
	} else if (o.print_catalog) {
		struct buf b = BUF_INIT(1 << 20);
		rc = cat_markdown(&b) == 0 && fputs(buf_str(&b), stdout) >= 0 ? 0 : 1;
		buf_release(&b);
	} else if (o.dump_scrape) {
		rc = run_dump(o.dump_scrape);
	} else {
		rc = run_server(&o);
	}
out:
	conf_release(adapter_flags, &o);
	free(pos);
	return rc;
}
