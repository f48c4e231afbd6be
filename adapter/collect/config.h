/*
 * config.h - the adapter's configuration file (--config): custom rules that
 * map any Flink metric family to an API metric name.
 *
 *   apiVersion: flinkhpa.io/v1
 *   kind: AdapterConfig
 *   rules:
 *     - name: kafka_lag                # API metric name (required)
 *       family: flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max
 *       match: {topic: orders}         # series labels that must equal
 *       exclude: {operator_name: x}    # series labels that must differ
 *       aggregate: max                 # over one pod's series: sum|max|min|avg
 *       jobAggregate: sum              # over a job's pods: sum|max|min|avg
 *       scale: 0.001                   # multiplies values (ms to s)
 *
 * A rule is served per pod (pods/NAME) and per job (deployments.apps/NAME,
 * namespaces/NAME, external).  Names must not clash with the catalogue.
 */
#ifndef FH_CONFIG_H
#define FH_CONFIG_H

#include <stddef.h>

#include "common/err.h"
#include "adapter/collect/extract.h"

#define CONFIG_MAX_RULES 256
#define CONFIG_MAX_MATCHERS 16

struct config_rule {
	char *name;
	char *family;
	int agg;     /* enum ex_agg */
	int job_agg; /* enum ex_agg */
	double scale;
	struct ex_matcher match[CONFIG_MAX_MATCHERS];
	size_t nmatch;
};

struct adapter_config {
	char *api_version;
	char *kind;
	struct config_rule *rule;
	size_t nrules;
	struct ex_rule *rules; /* views of rule[], for ex_spec_new */
};

int config_load(const char *path, struct adapter_config *c, struct err *e);
void config_release(struct adapter_config *c);

#endif
