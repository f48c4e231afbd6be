/*
 * jmplan.h - the job graph from a Flink JobManager's REST API (untrusted
 * input, checked as jmparse.h does):
 *
 *   GET /jobs/:jobid/plan   {"plan":{"jid","name","type","nodes":[{"id",
 *                           "parallelism",...,"inputs":[{"num","id",
 *                           "ship_strategy","exchange"}]}]}}: each vertex's
 *                           upstream vertices, and whether its input is
 *                           keyed (ship_strategy HASH)
 *   GET /taskmanagers       how many TaskManagers are registered
 *
 * For the throughput computation (model/tput.h).
 */
#ifndef FH_JMPLAN_H
#define FH_JMPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "adapter/flink/jmparse.h"

#define JMPLAN_MAX_INPUTS 8

struct jmplan_node {
	char id[JMP_ID_LEN];
	char inputs[JMPLAN_MAX_INPUTS][JMP_ID_LEN];
	size_t ninputs;
	bool keyed; /* an input edge ships by HASH */
};

struct jmplan {
	struct jmplan_node v[JMP_MAX_VERTICES];
	size_t n;
};

/* /jobs/:jobid/plan.  ERR_INVAL for a body that is not one, ERR_LIMIT for
 * more vertices or inputs than the limits. */
int jmplan_parse(const char *body, struct jmplan *p, struct err *e);

/* The index of vertex id in p, or -1. */
int jmplan_find(const struct jmplan *p, const char *id);

/* /taskmanagers: the number of TaskManagers listed. */
int jmplan_taskmanagers(const char *body, size_t *n, struct err *e);

#endif
