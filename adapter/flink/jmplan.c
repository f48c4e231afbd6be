/*
 * jmplan.c - the job graph from /jobs/:jobid/plan (see jmplan.h).
 */
#include "adapter/flink/jmplan.h"

#include <json-c/json.h>
#include <string.h>

#include "common/str.h"

static json_object *jmplan_json(const char *body, const char *what,
				struct err *e)
{
	json_object *o = body ? json_tokener_parse(body) : NULL;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		err_set(e, ERR_INVAL, "%s: not a JSON object", what);
		return NULL;
	}
	return o;
}

static const char *jmplan_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool jmplan_id_ok(const char *id)
{
	return id && *id && strlen(id) < JMP_ID_LEN;
}

static int jmplan_inputs(json_object *node, struct jmplan_node *x,
			 struct err *e)
{
	json_object *ins;

	if (!json_object_object_get_ex(node, "inputs", &ins))
		return 0; /* a source */
	if (!json_object_is_type(ins, json_type_array))
		return err_set(e, ERR_INVAL, "/plan: \"inputs\" is not a list");
	if (json_object_array_length(ins) > JMPLAN_MAX_INPUTS)
		return err_set(e, ERR_LIMIT, "/plan: a vertex with more than "
			       "%d inputs", JMPLAN_MAX_INPUTS);
	for (size_t i = 0; i < json_object_array_length(ins); i++) {
		json_object *in = json_object_array_get_idx(ins, i);
		const char *id = jmplan_str(in, "id");
		const char *ship = jmplan_str(in, "ship_strategy");

		if (!jmplan_id_ok(id))
			return err_set(e, ERR_INVAL, "/plan: an input without "
				       "a valid id");
		str_lcpy(x->inputs[x->ninputs++], id, JMP_ID_LEN);
		if (ship && strcmp(ship, "HASH") == 0)
			x->keyed = true;
	}
	return 0;
}

static int jmplan_nodes(json_object *nodes, struct jmplan *p, struct err *e)
{
	int rc = 0;

	if (json_object_array_length(nodes) > JMP_MAX_VERTICES)
		return err_set(e, ERR_LIMIT, "/plan: more than %d vertices",
			       JMP_MAX_VERTICES);
	for (size_t i = 0; !rc && i < json_object_array_length(nodes); i++) {
		json_object *node = json_object_array_get_idx(nodes, i);
		const char *id = jmplan_str(node, "id");
		struct jmplan_node *x = &p->v[p->n];

		memset(x, 0, sizeof(*x));
		if (!jmplan_id_ok(id))
			return err_set(e, ERR_INVAL, "/plan: a vertex without "
				       "a valid id");
		str_lcpy(x->id, id, sizeof(x->id));
		if (!(rc = jmplan_inputs(node, x, e)))
			p->n++;
	}
	return rc;
}

int jmplan_parse(const char *body, struct jmplan *p, struct err *e)
{
	json_object *o = jmplan_json(body, "/plan", e), *plan, *nodes;
	int rc;

	p->n = 0;
	if (!o)
		return ERR_INVAL;
	if (!json_object_object_get_ex(o, "plan", &plan) ||
	    !json_object_is_type(plan, json_type_object) ||
	    !json_object_object_get_ex(plan, "nodes", &nodes) ||
	    !json_object_is_type(nodes, json_type_array))
		rc = err_set(e, ERR_INVAL, "/plan: no \"plan\" with \"nodes\"");
	else
		rc = jmplan_nodes(nodes, p, e);
	json_object_put(o);
	if (rc)
		p->n = 0;
	return rc;
}

int jmplan_find(const struct jmplan *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return (int)i;
	return -1;
}

int jmplan_taskmanagers(const char *body, size_t *n, struct err *e)
{
	json_object *o = jmplan_json(body, "/taskmanagers", e), *tms;
	int rc = 0;

	*n = 0;
	if (!o)
		return ERR_INVAL;
	if (!json_object_object_get_ex(o, "taskmanagers", &tms) ||
	    !json_object_is_type(tms, json_type_array))
		rc = err_set(e, ERR_INVAL, "/taskmanagers: no \"taskmanagers\" "
			     "list");
	else
		*n = json_object_array_length(tms);
	json_object_put(o);
	return rc;
}
