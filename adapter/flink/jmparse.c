/*
 * jmparse.c - reading the JobManager's REST answers (see jmparse.h).
 */
#include "adapter/flink/jmparse.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

static json_object *jmp_parse(const char *body, json_type want,
			      const char *what, struct err *e)
{
	json_object *o = json_tokener_parse(body ? body : "");

	if (!o || !json_object_is_type(o, want)) {
		json_object_put(o);
		err_set(e, ERR_INVAL, "%s: not a JSON %s", what,
			want == json_type_array ? "array" : "object");
		return NULL;
	}
	return o;
}

static const char *jmp_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A number, or a string holding one (Jackson quotes NaN and Infinity);
 * false when absent or not finite. */
static bool jmp_num(json_object *o, const char *key, double *out)
{
	json_object *v;
	char *end;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
	} else if (json_object_is_type(v, json_type_string)) {
		*out = strtod(json_object_get_string(v), &end);
		if (end == json_object_get_string(v) || *end)
			return false;
	} else {
		return false;
	}
	return isfinite(*out);
}

static bool jmp_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

bool jmp_errors(const char *body, char *out, size_t n)
{
	json_object *o = json_tokener_parse(body ? body : ""), *a, *m;
	bool ok = false;

	if (o && json_object_object_get_ex(o, "errors", &a) &&
	    json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) > 0 &&
	    (m = json_object_array_get_idx(a, 0)) &&
	    json_object_is_type(m, json_type_string)) {
		const char *s = json_object_get_string(m);
		size_t len = strcspn(s, "\r\n");

		str_lcpy(out, s, len + 1 < n ? len + 1 : n);
		ok = true;
	}
	json_object_put(o);
	return ok;
}

/* Flink writes job names in metric labels with every character other
 * than letters, digits, '_' and ':' as '_'; equal in that form? */
static bool jmp_same_name(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a, y = *b;
		bool kx = (x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') ||
			  (x >= '0' && x <= '9') || x == ':';
		bool ky = (y >= 'a' && y <= 'z') || (y >= 'A' && y <= 'Z') ||
			  (y >= '0' && y <= '9') || y == ':';

		if (!x || !y)
			return x == y;
		if ((kx ? x : '_') != (ky ? y : '_'))
			return false;
	}
}

struct jmp_pick {
	json_object *best, *newest; /* RUNNING started last; any, newest */
	int64_t best_t, newest_t;
	size_t named;
};

static void jmp_consider(struct jmp_pick *p, json_object *j)
{
	const char *state = jmp_str(j, "state");
	int64_t t = 0;

	jmp_int(j, "start-time", &t);
	p->named++;
	if (!p->newest || t > p->newest_t) {
		p->newest = j;
		p->newest_t = t;
	}
	if (state && strcmp(state, "RUNNING") == 0 &&
	    (!p->best || t > p->best_t)) {
		p->best = j;
		p->best_t = t;
	}
}

static int jmp_pick_out(struct jmp_pick *p, const char *want,
			char jid[JMP_ID_MAX], char *name, size_t name_size,
			struct err *e)
{
	const char *id, *nm, *state;

	if (!p->best) {
		state = p->newest ? jmp_str(p->newest, "state") : NULL;
		if (!p->named)
			return err_set(e, ERR_NOTFOUND, "no job%s%s%s",
				       *want ? " named \"" : "", want,
				       *want ? "\"" : "");
		return err_set(e, ERR_NOTFOUND, "job \"%s\" is %s", want,
			       state ? state : "not running");
	}
	id = jmp_str(p->best, "jid");
	nm = jmp_str(p->best, "name");
	if (!id || !*id || strlen(id) >= JMP_ID_MAX || !nm)
		return err_set(e, ERR_INVAL, "/jobs/overview: a job without "
			       "a valid jid or name");
	str_lcpy(jid, id, JMP_ID_MAX);
	str_lcpy(name, nm, name_size);
	return 0;
}

int jmp_pick_job(const char *body, const char *want, char jid[JMP_ID_MAX],
		 char *name, size_t name_size, struct err *e)
{
	json_object *o = jmp_parse(body, json_type_object, "/jobs/overview", e);
	json_object *jobs;
	struct jmp_pick p = { 0 };
	int rc;

	if (!o)
		return ERR_INVAL;
	if (!json_object_object_get_ex(o, "jobs", &jobs) ||
	    !json_object_is_type(jobs, json_type_array)) {
		json_object_put(o);
		return err_set(e, ERR_INVAL, "/jobs/overview: no \"jobs\" list");
	}
	for (size_t i = 0; i < json_object_array_length(jobs); i++) {
		json_object *j = json_object_array_get_idx(jobs, i);
		const char *nm = jmp_str(j, "name");

		if (!json_object_is_type(j, json_type_object) || !nm)
			continue;
		if (!*want || strcmp(nm, want) == 0 || jmp_same_name(nm, want))
			jmp_consider(&p, j);
	}
	rc = jmp_pick_out(&p, want, jid, name, name_size, e);
	json_object_put(o);
	return rc;
}

static int jmp_vertex(json_object *v, struct jmp_vertex *out, struct err *e)
{
	const char *id = jmp_str(v, "id");

	if (!id || !*id || strlen(id) >= JMP_ID_MAX ||
	    !jmp_int(v, "parallelism", &out->parallelism) ||
	    out->parallelism < 1)
		return err_set(e, ERR_INVAL, "/jobs/:jobid: a vertex without "
			       "a valid id or parallelism");
	str_lcpy(out->id, id, sizeof(out->id));
	out->max_parallelism = 0;
	jmp_int(v, "maxParallelism", &out->max_parallelism);
	return 0;
}

int jmp_job(const char *body, struct jmp_job *j, struct err *e)
{
	json_object *o = jmp_parse(body, json_type_object, "/jobs/:jobid", e);
	json_object *vs;
	const char *state;
	int rc = 0;

	if (!o)
		return ERR_INVAL;
	j->n = 0;
	state = jmp_str(o, "state");
	str_lcpy(j->state, state ? state : "", sizeof(j->state));
	if (!json_object_object_get_ex(o, "vertices", &vs) ||
	    !json_object_is_type(vs, json_type_array))
		rc = err_set(e, ERR_INVAL, "/jobs/:jobid: no \"vertices\" list");
	else if (json_object_array_length(vs) > JMP_MAX_VERTICES)
		rc = err_set(e, ERR_LIMIT, "/jobs/:jobid: more than %d "
			     "vertices", JMP_MAX_VERTICES);
	for (size_t i = 0; !rc && i < json_object_array_length(vs); i++)
		if (!(rc = jmp_vertex(json_object_array_get_idx(vs, i),
				      &j->v[j->n], e)))
			j->n++;
	json_object_put(o);
	return rc;
}

int jmp_slots(const char *body, int64_t *total, int64_t *free_slots,
	      struct err *e)
{
	json_object *o = jmp_parse(body, json_type_object, "/taskmanagers", e);
	json_object *tms;
	int rc = 0;

	if (!o)
		return ERR_INVAL;
	*total = *free_slots = 0;
	if (!json_object_object_get_ex(o, "taskmanagers", &tms) ||
	    !json_object_is_type(tms, json_type_array))
		rc = err_set(e, ERR_INVAL, "/taskmanagers: no \"taskmanagers\" "
			     "list");
	for (size_t i = 0; !rc && i < json_object_array_length(tms); i++) {
		json_object *t = json_object_array_get_idx(tms, i);
		int64_t s = 0, f = 0;

		if (!jmp_int(t, "slotsNumber", &s) ||
		    !jmp_int(t, "freeSlots", &f) || s < 0 || f < 0 || f > s ||
		    s > INT32_MAX)
			rc = err_set(e, ERR_INVAL, "/taskmanagers: a TaskManager "
				     "without valid slotsNumber and freeSlots");
		else {
			*total += s;
			*free_slots += f;
		}
	}
	json_object_put(o);
	return rc;
}

/* Which kind of value a metric id is, 0 when none we read. */
static unsigned jmp_kind(const char *id)
{
	static const struct {
		const char *name;
		bool op; /* operator scope: ".name" at the end */
		unsigned kind;
	} k[] = {
		{ "busyTimeMsPerSecond", false, JMP_BUSY },
		{ "backPressuredTimeMsPerSecond", false, JMP_BACKPRESSURED },
		{ "currentInputWatermark", false, JMP_WATERMARK },
		{ "numRecordsInPerSecond", false, JMP_IN_RATE },
		{ "numRecordsOutPerSecond", false, JMP_OUT_RATE },
		{ ".pendingRecords", true, JMP_PENDING },
		{ ".KafkaSourceReader.KafkaConsumer.records-lag-max", true,
		  JMP_KAFKA_LAG },
		{ ".currentEmitEventTimeLag", true, JMP_EMIT_LAG },
	};
	size_t n = strlen(id);

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		size_t m = strlen(k[i].name);

		if (k[i].op ? n > m && strcmp(id + n - m, k[i].name) == 0
			    : strcmp(id, k[i].name) == 0)
			return k[i].kind;
	}
	return 0;
}

int jmp_metric_ids(const char *body, struct buf *get, struct err *e)
{
	json_object *a = jmp_parse(body, json_type_array, "metric list", e);
	int rc = 0;

	if (!a)
		return ERR_INVAL;
	for (size_t i = 0; !rc && i < json_object_array_length(a); i++) {
		const char *id = jmp_str(json_object_array_get_idx(a, i), "id");

		if (!id || !jmp_kind(id) || strchr(id, ','))
			continue;
		if ((get->len && buf_addc(get, ',')) || buf_adds(get, id))
			rc = err_set(e, ERR_LIMIT, "metric list: the ids to "
				     "read pass %zu bytes", get->max);
	}
	json_object_put(a);
	return rc;
}

/* Fold one aggregate of kind k into v. */
static void jmp_fold(struct jmp_values *v, unsigned k, json_object *m)
{
	double x;

	switch (k) {
	case JMP_BUSY:
	case JMP_BACKPRESSURED:
	case JMP_EMIT_LAG: {
		double *d = k == JMP_BUSY ? &v->busy :
			    k == JMP_BACKPRESSURED ? &v->backpressured :
						     &v->emit_lag;
		if (!jmp_num(m, "max", &x))
			return;
		*d = (v->has & k) && *d > x ? *d : x;
		if (k == JMP_BUSY && jmp_num(m, "sum", &x))
			v->busy_sum = x;
		break;
	}
	case JMP_IN_RATE:
	case JMP_OUT_RATE:
		if (!jmp_num(m, "sum", &x))
			return;
		*(k == JMP_IN_RATE ? &v->in_rate : &v->out_rate) = x;
		break;
	case JMP_PENDING:
	case JMP_KAFKA_LAG:
		if (!jmp_num(m, "sum", &x))
			return;
		*(k == JMP_PENDING ? &v->pending : &v->kafka_lag) += x;
		break;
	case JMP_WATERMARK:
		/* Long.MIN_VALUE: some subtask has no watermark yet */
		if (!jmp_num(m, "min", &x) || x <= 0)
			return;
		v->watermark = (v->has & k) && v->watermark < x ? v->watermark : x;
		break;
	default:
		return;
	}
	v->has |= k;
}

int jmp_aggregates(const char *body, struct jmp_values *v, struct err *e)
{
	json_object *a = jmp_parse(body, json_type_array, "metric aggregates",
				   e);

	if (!a)
		return ERR_INVAL;
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return err_set(e, ERR_NOTFOUND, "subtasks/metrics: no values (a "
			       "metric asked for is gone, as after a restart)");
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		const char *id = jmp_str(m, "id");

		if (id)
			jmp_fold(v, jmp_kind(id), m);
	}
	json_object_put(a);
	return 0;
}
