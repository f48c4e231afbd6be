/*
 * jmparse.c - reading the JobManager's JSON answers (see jmparse.h and
 * jmparse_int.h).  json-c objects are parsed here and put before each
 * function returns; nothing returned points into them.
 */
#include "adapter/flink/jmparse.h"
#include "adapter/flink/jmparse_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jget.h"
#include "common/str.h"

/* ---- the readers (jmparse_int.h) ---- */

json_object *jmp_parse_json(const char *body, size_t len, const char *what,
			    struct err *e)
{
	struct json_tokener *tok = json_tokener_new_ex(JMP_JSON_DEPTH);
	enum json_tokener_error jerr;
	json_object *o;
	size_t end;

	if (!tok) {
		err_set(e, ERR_NOMEM, "%s: out of memory", what);
		return NULL;
	}
	o = !body || len > INT_MAX ? NULL
		: json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (o && end < len && strchr(" \t\r\n", body[end]) && body[end])
		end++;
	if (o && jerr == json_tokener_success && end == len)
		return o;
	json_object_put(o);
	err_set(e, ERR_INVAL, "%s: the answer is not JSON (%s at byte %zu of "
		"%zu)", what, o && jerr == json_tokener_success
		? "trailing data" : json_tokener_error_desc(jerr), end, len);
	return NULL;
}

static const char *jmp_type_name(json_type t)
{
	switch (t) {
	case json_type_int:
		return "an integer";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "an array";
	case json_type_object:
		return "an object";
	case json_type_boolean:
		return "a boolean";
	default:
		return "a value";
	}
}

json_object *jmp_member(json_object *o, const char *key, json_type t,
			const char *what, struct err *e)
{
	json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t)) {
		err_set(e, ERR_INVAL, "%s: %s: %s, want %s", what, key,
			!json_object_is_type(o, json_type_object) ? "not in an object"
			: !v ? "missing" : "wrong type", jmp_type_name(t));
		return NULL;
	}
	return v;
}

int jmp_get_int(json_object *o, const char *key, int64_t min, int64_t max,
		int64_t *out, const char *what, struct err *e)
{
	json_object *v = jmp_member(o, key, json_type_int, what, e);
	int64_t x;

	if (!v)
		return ERR_INVAL;
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return err_set(e, ERR_INVAL, "%s: %s: %lld is out of range "
			       "[%lld, %lld]", what, key, (long long)x,
			       (long long)min, (long long)max);
	*out = x;
	return 0;
}

bool jmp_is_id(const char *s)
{
	return s && strlen(s) == 32 && strspn(s, "0123456789abcdefABCDEF") == 32;
}

int jmp_get_id(json_object *o, const char *key, char out[], const char *what,
	       struct err *e)
{
	json_object *v = jmp_member(o, key, json_type_string, what, e);

	if (!v)
		return ERR_INVAL;
	if (!jmp_is_id(json_object_get_string(v)))
		return err_set(e, ERR_INVAL, "%s: %s: \"%.40s\" is not 32 hex "
			       "digits", what, key, json_object_get_string(v));
	memcpy(out, json_object_get_string(v), JMP_ID_LEN);
	return 0;
}

int jmp_get_state(json_object *o, const char *key, char out[],
		  const char *what, struct err *e)
{
	json_object *v = jmp_member(o, key, json_type_string, what, e);
	const char *s = v ? json_object_get_string(v) : NULL;
	size_t n = s ? strlen(s) : 0;

	if (!v)
		return ERR_INVAL;
	if (n == 0 || n >= JMP_STATE_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != n)
		return err_set(e, ERR_INVAL, "%s: %s: \"%.40s\" is not a state",
			       what, key, s);
	memcpy(out, s, n + 1);
	return 0;
}

int jmp_get_strdup(json_object *o, const char *key, char **out,
		   const char *what, struct err *e)
{
	json_object *v = jmp_member(o, key, json_type_string, what, e);

	if (!v)
		return ERR_INVAL;
	if (!(*out = str_dup(json_object_get_string(v))))
		return err_set(e, ERR_NOMEM, "%s: out of memory", what);
	return 0;
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

/* ---- errors ---- */

bool jmp_errors(const char *body, char *out, size_t n)
{
	json_object *o = json_tokener_parse(body ? body : ""), *a;
	size_t used = 0;

	if (n)
		out[0] = '\0';
	if (o && json_object_object_get_ex(o, "errors", &a) &&
	    json_object_is_type(a, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(a) && used < n; i++) {
			json_object *s = json_object_array_get_idx(a, i);
			const char *t = json_object_is_type(s, json_type_string)
						? json_object_get_string(s) : "?";
			int w = snprintf(out + used, n - used, "%s%.*s",
					 used ? "; " : "",
					 (int)strcspn(t, "\r\n"), t);

			used += w > 0 ? (size_t)w : 0;
		}
	}
	json_object_put(o);
	return used > 0;
}

/* ---- /jobs/overview ---- */

void jmp_jobs_release(struct jmp_jobs *j)
{
	for (size_t i = 0; j->v && i < j->n; i++)
		free(j->v[i].name);
	free(j->v);
	j->v = NULL;
	j->n = 0;
}

static int jmp_brief(json_object *j, struct jmp_brief *dst, const char *what,
		     struct err *e)
{
	json_object *t;
	int rc;

	if ((rc = jmp_get_id(j, "jid", dst->id, what, e)) ||
	    (rc = jmp_get_state(j, "state", dst->state, what, e)) ||
	    (rc = jmp_get_strdup(j, "name", &dst->name, what, e)))
		return rc;
	dst->start_time = 0;
	if (json_object_object_get_ex(j, "start-time", &t) &&
	    json_object_is_type(t, json_type_int))
		dst->start_time = json_object_get_int64(t);
	return 0;
}

int jmp_jobs(const char *body, size_t len, struct jmp_jobs *out,
	     struct err *e)
{
	static const char what0[] = "/jobs/overview";
	json_object *o, *a;
	char what[64];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!(o = jmp_parse_json(body, len, what0, e)))
		return ERR_INVAL;
	if (!(a = jmp_member(o, "jobs", json_type_array, what0, e))) {
		rc = ERR_INVAL;
		goto out_json;
	}
	out->n = json_object_array_length(a);
	if (out->n && !(out->v = calloc(out->n, sizeof(*out->v)))) {
		out->n = 0;
		rc = err_set(e, ERR_NOMEM, "%s: out of memory", what0);
		goto out_json;
	}
	for (size_t i = 0; !rc && i < out->n; i++) {
		snprintf(what, sizeof(what), "%s: jobs[%zu]", what0, i);
		rc = jmp_brief(json_object_array_get_idx(a, i), &out->v[i],
			       what, e);
	}
	if (rc)
		jmp_jobs_release(out);
out_json:
	json_object_put(o);
	return rc;
}

bool jmp_live(const char *state)
{
	return strcmp(state, "FINISHED") && strcmp(state, "CANCELED") &&
	       strcmp(state, "FAILED");
}

static bool jmp_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ':';
}

bool jmp_same_name(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a, y = *b;

		if (!x || !y)
			return x == y;
		if ((jmp_label_char(x) ? x : '_') != (jmp_label_char(y) ? y : '_'))
			return false;
	}
}

/* Is j a better pick than best? */
static bool jmp_better(const struct jmp_brief *j, const struct jmp_brief *best)
{
	if (!best)
		return true;
	if (jmp_live(j->state) != jmp_live(best->state))
		return jmp_live(j->state);
	return j->start_time >= best->start_time;
}

const struct jmp_brief *jmp_pick(const struct jmp_jobs *jobs,
				 const char *want)
{
	const struct jmp_brief *best = NULL;

	for (size_t i = 0; i < jobs->n; i++) {
		const struct jmp_brief *j = &jobs->v[i];

		if (want && *want && !jmp_same_name(j->name, want))
			continue;
		if (jmp_better(j, best))
			best = j;
	}
	return best;
}

/* ---- /jobs/:jobid ---- */

static int jmp_vertex(json_object *v, struct jmp_vertex *dst, const char *what,
		      struct err *e)
{
	int rc;

	dst->max_parallelism = 0;
	if ((rc = jmp_get_id(v, "id", dst->id, what, e)) ||
	    (rc = jmp_get_int(v, "parallelism", 1, JMP_MAX_PAR,
			      &dst->parallelism, what, e)) ||
	    (rc = jmp_get_state(v, "status", dst->status, what, e)))
		return rc;
	if (json_object_object_get_ex(v, "maxParallelism", NULL))
		rc = jmp_get_int(v, "maxParallelism", 1, JMP_MAX_PAR,
				 &dst->max_parallelism, what, e);
	return rc;
}

int jmp_job(const char *body, size_t len, struct jmp_job *j, struct err *e)
{
	static const char what0[] = "/jobs/:jobid";
	json_object *o, *a;
	char what[64];
	size_t n;
	int rc;

	memset(j, 0, sizeof(*j));
	if (!(o = jmp_parse_json(body, len, what0, e)))
		return ERR_INVAL;
	if ((rc = jmp_get_id(o, "jid", j->id, what0, e)) ||
	    (rc = jmp_get_state(o, "state", j->state, what0, e)))
		goto out_json;
	if (!(a = jmp_member(o, "vertices", json_type_array, what0, e))) {
		rc = ERR_INVAL;
		goto out_json;
	}
	if ((n = json_object_array_length(a)) > JMP_MAX_VERTICES) {
		rc = err_set(e, ERR_LIMIT, "%s: more than %d vertices", what0,
			     JMP_MAX_VERTICES);
		goto out_json;
	}
	for (; !rc && j->n < n; j->n++) {
		snprintf(what, sizeof(what), "%s: vertices[%zu]", what0, j->n);
		rc = jmp_vertex(json_object_array_get_idx(a, j->n),
				&j->v[j->n], what, e);
	}
out_json:
	if (rc)
		j->n = 0;
	json_object_put(o);
	return rc;
}

int64_t jmp_parallelism(const struct jmp_job *j)
{
	int64_t p = 0;

	for (size_t i = 0; i < j->n; i++)
		if (j->v[i].parallelism > p)
			p = j->v[i].parallelism;
	return p;
}

int64_t jmp_vertex_target(const struct jmp_vertex *v, int64_t target)
{
	return v->max_parallelism > 0 && v->max_parallelism < target
		       ? v->max_parallelism : target;
}

bool jmp_at_target(const struct jmp_job *j, int64_t target)
{
	if (!j->n)
		return false;
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i].parallelism != jmp_vertex_target(&j->v[i], target))
			return false;
	return true;
}

/* ---- /taskmanagers ---- */

int jmp_slots(const char *body, size_t len, struct jmp_slots *s,
	      struct err *e)
{
	static const char what0[] = "/taskmanagers";
	json_object *o, *a;
	char what[64];
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (!(o = jmp_parse_json(body, len, what0, e)))
		return ERR_INVAL;
	if (!(a = jmp_member(o, "taskmanagers", json_type_array, what0, e)))
		rc = ERR_INVAL;
	for (size_t i = 0; !rc && i < json_object_array_length(a); i++) {
		json_object *tm = json_object_array_get_idx(a, i);
		int64_t n, f;

		snprintf(what, sizeof(what), "%s: taskmanagers[%zu]", what0, i);
		if ((rc = jmp_get_int(tm, "slotsNumber", 0, 1 << 20, &n, what,
				      e)) ||
		    (rc = jmp_get_int(tm, "freeSlots", 0, n, &f, what, e)))
			break;
		if (s->total > INT_MAX - n) {
			rc = err_set(e, ERR_LIMIT, "%s: too many slots", what0);
			break;
		}
		s->taskmanagers++;
		s->total += n;
		s->free += f;
	}
	if (rc)
		memset(s, 0, sizeof(*s));
	json_object_put(o);
	return rc;
}

/* ---- checkpoints ---- */

/* An external path: printable, no space (it is written into an
 * annotation, fields split at spaces), shorter than JMP_PATH_LEN. */
static int jmp_get_path(json_object *o, char out[], const char *what,
			struct err *e)
{
	json_object *v = jmp_member(o, "external_path", json_type_string,
				    what, e);
	const char *s = v ? json_object_get_string(v) : NULL;
	size_t n = s ? strlen(s) : 0;

	if (!v)
		return ERR_INVAL;
	if (n == 0 || n >= JMP_PATH_LEN)
		return err_set(e, ERR_INVAL, "%s: external_path: %zu bytes, "
			       "want 1 to %d", what, n, JMP_PATH_LEN - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return err_set(e, ERR_INVAL, "%s: external_path: a "
				       "space or control character", what);
	memcpy(out, s, n + 1);
	return 0;
}

/* latest.<key>: null (id 0), or a snapshot. */
static int jmp_snapshot(json_object *latest, const char *key,
			struct jmp_snapshot *s, const char *what0,
			struct err *e)
{
	json_object *o = NULL, *b;
	char what[96];

	memset(s, 0, sizeof(*s));
	if (!json_object_object_get_ex(latest, key, &o) || !o)
		return 0;
	snprintf(what, sizeof(what), "%s: latest.%s", what0, key);
	if (!jmp_member(latest, key, json_type_object, what0, e) ||
	    jmp_get_int(o, "id", 1, INT64_MAX, &s->id, what, e) ||
	    !(b = jmp_member(o, "is_savepoint", json_type_boolean, what, e)) ||
	    jmp_get_path(o, s->path, what, e)) {
		memset(s, 0, sizeof(*s));
		return ERR_INVAL;
	}
	s->savepoint = json_object_get_boolean(b);
	if (json_object_object_get_ex(o, "discarded", &b)) {
		if (!jmp_member(o, "discarded", json_type_boolean, what, e)) {
			memset(s, 0, sizeof(*s));
			return ERR_INVAL;
		}
		s->discarded = json_object_get_boolean(b);
	}
	return 0;
}

int jmp_checkpoints(const char *body, size_t len, struct jmp_checkpoints *c,
		    struct err *e)
{
	static const char what[] = "/jobs/ID/checkpoints";
	static const char what_c[] = "/jobs/ID/checkpoints: counts";
	json_object *o, *n, *l;
	int rc = ERR_INVAL;

	memset(c, 0, sizeof(*c));
	if (!(o = jmp_parse_json(body, len, what, e)))
		return ERR_INVAL;
	if ((n = jmp_member(o, "counts", json_type_object, what, e)) &&
	    !jmp_get_int(n, "total", 0, INT64_MAX, &c->total, what_c, e) &&
	    !jmp_get_int(n, "completed", 0, INT64_MAX, &c->completed, what_c,
			 e) &&
	    !jmp_get_int(n, "failed", 0, INT64_MAX, &c->failed, what_c, e) &&
	    !jmp_get_int(n, "in_progress", 0, INT64_MAX, &c->in_progress,
			 what_c, e) &&
	    !jmp_get_int(n, "restored", 0, INT64_MAX, &c->restored, what_c,
			 e) &&
	    (l = jmp_member(o, "latest", json_type_object, what, e)) &&
	    !jmp_snapshot(l, "completed", &c->checkpoint, what, e) &&
	    !jmp_snapshot(l, "savepoint", &c->savepoint, what, e) &&
	    !jmp_snapshot(l, "restored", &c->restore, what, e))
		rc = 0;
	if (rc)
		memset(c, 0, sizeof(*c));
	json_object_put(o);
	return rc;
}

int jmp_cp_config(const char *body, size_t len, struct jmp_cp_config *c,
		  struct err *e)
{
	static const char what[] = "/jobs/ID/checkpoints/config";
	static const char what_x[] = "/jobs/ID/checkpoints/config: "
				     "externalization";
	json_object *o, *x, *en, *del = NULL;
	int rc = ERR_INVAL;

	memset(c, 0, sizeof(*c));
	if (!(o = jmp_parse_json(body, len, what, e)))
		return ERR_INVAL;
	if (!jmp_get_int(o, "interval", 0, INT64_MAX, &c->interval_ms, what,
			 e) &&
	    (x = jmp_member(o, "externalization", json_type_object, what, e)) &&
	    (en = jmp_member(x, "enabled", json_type_boolean, what_x, e))) {
		c->externalized = json_object_get_boolean(en);
		/* Flink writes delete_on_cancellation only when enabled */
		if (!c->externalized ||
		    (del = jmp_member(x, "delete_on_cancellation",
				      json_type_boolean, what_x, e))) {
			c->delete_on_cancel = del && json_object_get_boolean(del);
			rc = 0;
		}
	}
	if (rc)
		memset(c, 0, sizeof(*c));
	json_object_put(o);
	return rc;
}

static bool jmp_kept(const struct jmp_snapshot *s,
		     const struct jmp_cp_config *cfg)
{
	if (!s->id || s->discarded || !strcmp(s->path, JMP_NOT_EXTERNALIZED))
		return false;
	return s->savepoint || (cfg->externalized && !cfg->delete_on_cancel);
}

const struct jmp_snapshot *jmp_restore_point(const struct jmp_checkpoints *c,
					     const struct jmp_cp_config *cfg)
{
	const struct jmp_snapshot *all[] = { &c->restore, &c->checkpoint,
					     &c->savepoint };
	const struct jmp_snapshot *best = NULL;

	for (size_t i = 0; i < 3; i++) {
		/* restored from a checkpoint: that one may be claimed and
		 * deleted by now; only a restored savepoint surely stays */
		if (i == 0 && !all[i]->savepoint)
			continue;
		if (jmp_kept(all[i], cfg) && (!best || all[i]->id > best->id))
			best = all[i];
	}
	return best;
}

/* ---- vertex metrics ---- */

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

/* The answer as an array (caller puts it), NULL and ERR_INVAL if not. */
static json_object *jmp_array(const char *body, size_t len, const char *what,
			      struct err *e)
{
	json_object *a = jmp_parse_json(body, len, what, e);

	if (a && !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		err_set(e, ERR_INVAL, "%s: not a JSON array", what);
		return NULL;
	}
	return a;
}

unsigned jmp_get_kinds(const char *get)
{
	char id[JMP_GET_MAX + 1];
	unsigned k = 0;

	while (get && *get) {
		size_t n = strcspn(get, ",");

		if (n < sizeof(id)) {
			memcpy(id, get, n);
			id[n] = '\0';
			k |= jmp_kind(id);
		}
		get += n + (get[n] == ',');
	}
	return k;
}

int jmp_metric_ids(const char *body, size_t len, struct buf *get,
		   struct err *e)
{
	json_object *a = jmp_array(body, len, "metric list", e);
	int rc = 0;

	if (!a)
		return ERR_INVAL;
	for (size_t i = 0; !rc && i < json_object_array_length(a); i++) {
		const char *id = jget_str(json_object_array_get_idx(a, i), "id");

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

int jmp_aggregates(const char *body, size_t len, struct jmp_values *v,
		   struct err *e)
{
	json_object *a = jmp_array(body, len, "metric aggregates", e);

	if (!a)
		return ERR_INVAL;
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return err_set(e, ERR_NOTFOUND, "subtasks/metrics: no values (a "
			       "metric asked for is gone, as after a restart)");
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		const char *id = jget_str(m, "id");

		if (id)
			jmp_fold(v, jmp_kind(id), m);
	}
	json_object_put(a);
	return 0;
}
