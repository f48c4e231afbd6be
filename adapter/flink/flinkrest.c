/*
 * flinkrest.c - blocking client of Flink's JobManager REST API (see
 * flinkrest.h).  One curl easy handle per client, reset before every
 * request (curl_easy_reset keeps the live connections, so requests reuse
 * them); answers collected into a buffer capped at FR_MAX_BODY; JSON
 * parsed with json-c and every field checked before it is copied out.
 *
 * Ownership of json-c objects: fr_call hands its caller the parsed answer
 * (*out); the caller reads it with borrowed references
 * (json_object_object_get_ex, json_object_array_get_idx), copies what it
 * keeps, and puts it once at its cleanup label.  Request bodies are built
 * as json-c objects owned by the function that sends them.
 */
#include "adapter/flink/flinkrest.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/http.h"
#include "common/redact.h"
#include "common/str.h"
#include "adapter/flink/jmparse_int.h"

#define FR_MAX_URL 1024       /* base URL */
#define FR_MAX_PAR JMP_MAX_PAR
#define FR_MAX_DIR 4096       /* savepoint directories and paths */

struct fr_client {
	CURL *h;
	char *base;         /* without a trailing slash */
	long timeout_ms;
	struct curl_slist *headers;
	struct buf resp;    /* the last answer, at most FR_MAX_BODY */
	int write_err;      /* why the write callback stopped: ERR_LIMIT... */
	char what[320];     /* "GET /jobs/ID": the request, for messages */
};

/* ---- client ---- */

static bool fr_url_ok(const char *u)
{
	size_t n = strlen(u);
	size_t scheme = str_has_prefix(u, "http://") ? 7
			: str_has_prefix(u, "https://") ? 8 : 0;

	if (!scheme || n <= scheme || n >= FR_MAX_URL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return false;
	return true;
}

struct fr_client *fr_new(const char *base_url, long timeout_ms,
			 struct err *e)
{
	struct fr_client *c;
	char u[REDACT_URL_MAX];
	size_t n;

	if (!base_url || !fr_url_ok(base_url) || timeout_ms <= 0) {
		err_set(e, ERR_INVAL, "Flink REST: want an http(s) URL without "
			"spaces and a timeout > 0, got \"%.100s\", %ld ms",
			base_url ? redact_url(base_url, u, sizeof(u)) : "(null)",
			timeout_ms);
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c))))
		goto fail;
	buf_init(&c->resp, FR_MAX_BODY);
	c->timeout_ms = timeout_ms;
	if (!(c->base = str_dup(base_url)) || !(c->h = curl_easy_init()))
		goto fail_client;
	n = strlen(c->base);
	while (n && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	c->headers = curl_slist_append(NULL, "Accept: application/json");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Expect:");
	if (!c->headers)
		goto fail_client;
	return c;
fail_client:
	fr_free(c);
fail:
	err_set(e, ERR_NOMEM, "Flink REST: cannot set up curl");
	return NULL;
}

void fr_free(struct fr_client *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);
	buf_release(&c->resp);
	free(c->base);
	free(c);
}

/* ---- one request ---- */

static size_t fr_write(char *d, size_t size, size_t n, void *ud)
{
	struct fr_client *c = ud;
	int rc = buf_add(&c->resp, d, size * n);

	if (rc) {
		c->write_err = rc;
		return 0;
	}
	return size * n;
}

static int fr_prepare(struct fr_client *c, const char *method,
		      const char *url, const char *body, struct err *e)
{
	CURL *h = c->h;
	struct http_opts o = {
		url, c->timeout_ms,
		c->timeout_ms < 10000 ? c->timeout_ms : 10000L,
		(curl_off_t)FR_MAX_BODY, c->headers, fr_write, c
	};
	int rc;

	curl_easy_reset(h);
	buf_reset(&c->resp);
	c->write_err = 0;
	if ((rc = http_setopts(h, &o, e)))
		return rc;
	if (!body)
		return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK ? 0
			: err_set(e, ERR_INVAL, "%s: curl refused GET", c->what);
	if (curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) !=
		    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK)
		return err_set(e, ERR_NOMEM, "%s: curl refused the body",
			       c->what);
	return 0;
}

static int fr_http_error(struct fr_client *c, long status, struct err *e)
{
	char msg[400];
	int code = status == 404 ? ERR_NOTFOUND : status == 400 ? ERR_INVAL
		 : status == 409 ? ERR_STATE : ERR_IO;

	if (!jmp_errors(buf_str(&c->resp), msg, sizeof(msg)))
		snprintf(msg, sizeof(msg), "(no Flink error message)");
	return err_set(e, code, "%s: HTTP %ld: %s", c->what, status, msg);
}

/* method path [body]: 0 on a 2xx answer, in c->resp. */
static int fr_request(struct fr_client *c, const char *method,
		      const char *path, json_object *body, struct err *e)
{
	const char *req = NULL;
	char url[FR_MAX_URL + 512], u[REDACT_URL_MAX];
	long status = 0;
	CURLcode rc;
	int prc;

	snprintf(c->what, sizeof(c->what), "%s %s", method, path);
	if (snprintf(url, sizeof(url), "%s%s", c->base, path) >= (int)sizeof(url))
		return err_set(e, ERR_LIMIT, "%s: URL too long", c->what);
	if (body && !(req = json_object_to_json_string_ext(
			      body, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE)))
		return err_set(e, ERR_NOMEM, "%s: out of memory", c->what);
	if ((prc = fr_prepare(c, method, url, req, e)))
		return prc;
	rc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (c->write_err == ERR_LIMIT || rc == CURLE_FILESIZE_EXCEEDED)
		return err_set(e, ERR_LIMIT, "%s: the answer is larger than %d "
			       "bytes", c->what, FR_MAX_BODY);
	if (c->write_err)
		return err_set(e, c->write_err, "%s: out of memory", c->what);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return err_set(e, ERR_IO, "%s at %s: no answer within %ld ms",
			       c->what, redact_url(c->base, u, sizeof(u)),
			       c->timeout_ms);
	if (rc != CURLE_OK)
		return err_set(e, ERR_IO, "%s at %s: %s", c->what,
			       redact_url(c->base, u, sizeof(u)),
			       curl_easy_strerror(rc));
	if (status < 200 || status > 299)
		return fr_http_error(c, status, e);
	return 0;
}

/* method path [body]: on a 2xx answer *out is its JSON (caller owns). */
static int fr_call(struct fr_client *c, const char *method, const char *path,
		   json_object *body, json_object **out, struct err *e)
{
	int rc;

	*out = NULL;
	if ((rc = fr_request(c, method, path, body, e)))
		return rc;
	if (!(*out = jmp_parse_json(c->resp.p, c->resp.len, c->what, e)))
		return ERR_INVAL;
	return 0;
}

/* GET path, read by one of jmparse's readers; its messages say the path,
 * the method is added. */
static int fr_get_read(struct fr_client *c, const char *path, struct err *e)
{
	return fr_request(c, "GET", path, NULL, e);
}

/* ---- reading answers: jmparse_int.h ---- */

static int fr_int(json_object *o, const char *key, int min, int max,
		  int *out, const char *what, struct err *e)
{
	int64_t x;
	int rc = jmp_get_int(o, key, min, max, &x, what, e);

	if (!rc)
		*out = (int)x;
	return rc;
}

static int fr_check_id(const char *id, const char *what, struct err *e)
{
	if (jmp_is_id(id))
		return 0;
	return err_set(e, ERR_INVAL, "Flink REST: %s id \"%.40s\" is not 32 "
		       "hex digits", what, id ? id : "(null)");
}

/* ---- cluster ---- */

int fr_overview(struct fr_client *c, struct fr_overview *out, struct err *e)
{
	json_object *o;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_call(c, "GET", "/overview", NULL, &o, e)))
		return rc;
	if (!(rc = fr_int(o, "taskmanagers", 0, INT_MAX, &out->taskmanagers,
			  c->what, e)) &&
	    !(rc = fr_int(o, "slots-total", 0, INT_MAX, &out->slots_total,
			  c->what, e)) &&
	    !(rc = fr_int(o, "slots-available", 0, out->slots_total,
			  &out->slots_available, c->what, e)))
		rc = fr_int(o, "jobs-running", 0, INT_MAX, &out->jobs_running,
			    c->what, e);
	json_object_put(o);
	return rc;
}

/* Add the method to a message of jmparse's (which names the path). */
static int fr_read_err(int rc, struct err *e)
{
	if (rc)
		err_prefix(e, "GET ");
	return rc;
}

int fr_taskmanagers(struct fr_client *c, struct jmp_slots *out, struct err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_get_read(c, "/taskmanagers", e)))
		return rc;
	return fr_read_err(jmp_slots(c->resp.p, c->resp.len, out, e), e);
}

/* ---- jobs ---- */

int fr_jobs(struct fr_client *c, struct jmp_jobs *out, struct err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_get_read(c, "/jobs/overview", e)))
		return rc;
	return fr_read_err(jmp_jobs(c->resp.p, c->resp.len, out, e), e);
}

int fr_job(struct fr_client *c, const char *job, struct jmp_job *out,
	   struct err *e)
{
	char path[64];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_check_id(job, "job", e)))
		return rc;
	snprintf(path, sizeof(path), "/jobs/%s", job);
	if ((rc = fr_get_read(c, path, e)))
		return rc;
	return fr_read_err(jmp_job(c->resp.p, c->resp.len, out, e), e);
}

/* GET /jobs/ID/SUFFIX into c->resp. */
static int fr_get_job_path(struct fr_client *c, const char *job,
			   const char *suffix, struct err *e)
{
	char path[128];
	int rc;

	if ((rc = fr_check_id(job, "job", e)))
		return rc;
	snprintf(path, sizeof(path), "/jobs/%s%s", job, suffix);
	return fr_get_read(c, path, e);
}

int fr_checkpoints(struct fr_client *c, const char *job,
		   struct jmp_checkpoints *out, struct err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_get_job_path(c, job, "/checkpoints", e)))
		return rc;
	return fr_read_err(jmp_checkpoints(c->resp.p, c->resp.len, out, e), e);
}

int fr_checkpoint_config(struct fr_client *c, const char *job,
			 struct jmp_cp_config *out, struct err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_get_job_path(c, job, "/checkpoints/config", e)))
		return rc;
	return fr_read_err(jmp_cp_config(c->resp.p, c->resp.len, out, e), e);
}

int fr_cancel(struct fr_client *c, const char *job, struct err *e)
{
	json_object *body;
	char path[96];
	int rc;

	if ((rc = fr_check_id(job, "job", e)))
		return rc;
	if (!(body = json_object_new_object()))
		return err_set(e, ERR_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "/jobs/%s?mode=cancel", job);
	rc = fr_request(c, "PATCH", path, body, e);
	json_object_put(body);
	return rc;
}

/* ---- adaptive scheduler ---- */

void fr_requirements_release(struct fr_requirements *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static int fr_bounds(const char *vid, json_object *v, struct fr_bounds *dst,
		     const char *what, struct err *e)
{
	json_object *p;
	int rc;

	if (!jmp_is_id(vid))
		return err_set(e, ERR_INVAL, "%s: vertex id \"%.40s\" is not 32 "
			       "hex digits", what, vid);
	memcpy(dst->vertex, vid, JMP_ID_LEN);
	if (!(p = jmp_member(v, "parallelism", json_type_object, what, e)))
		return ERR_INVAL;
	if ((rc = fr_int(p, "lowerBound", 1, FR_MAX_PAR, &dst->lower, what, e)))
		return rc;
	return fr_int(p, "upperBound", dst->lower, FR_MAX_PAR, &dst->upper,
		      what, e);
}

int fr_get_requirements(struct fr_client *c, const char *job,
			struct fr_requirements *out, struct err *e)
{
	char path[96], what[400];
	json_object *o;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_check_id(job, "job", e)))
		return rc;
	snprintf(path, sizeof(path), "/jobs/%s/resource-requirements", job);
	if ((rc = fr_call(c, "GET", path, NULL, &o, e)))
		return rc;
	if (!json_object_is_type(o, json_type_object)) {
		rc = err_set(e, ERR_INVAL, "%s: want an object", c->what);
		goto out_json;
	}
	if (json_object_object_length(o) &&
	    !(out->v = calloc((size_t)json_object_object_length(o),
			      sizeof(*out->v)))) {
		rc = err_set(e, ERR_NOMEM, "%s: out of memory", c->what);
		goto out_json;
	}
	json_object_object_foreach(o, vid, v) {
		snprintf(what, sizeof(what), "%s: %.40s", c->what, vid);
		if ((rc = fr_bounds(vid, v, &out->v[out->n], what, e)))
			break;
		out->n++;
	}
	if (rc)
		fr_requirements_release(out);
out_json:
	json_object_put(o);
	return rc;
}

static int fr_check_bounds(const struct fr_requirements *r, struct err *e)
{
	if (!r->n)
		return err_set(e, ERR_INVAL, "Flink REST: no vertex bounds to put");
	for (size_t i = 0; i < r->n; i++) {
		const struct fr_bounds *b = &r->v[i];

		if (!jmp_is_id(b->vertex) || b->lower < 1 || b->upper < b->lower ||
		    b->upper > FR_MAX_PAR)
			return err_set(e, ERR_INVAL, "Flink REST: bounds [%d, %d] "
				       "of vertex \"%.40s\": want 1 <= lower <= "
				       "upper <= %d and a 32 hex digit id",
				       b->lower, b->upper, b->vertex, FR_MAX_PAR);
	}
	return 0;
}

/* {"VID":{"parallelism":{"lowerBound":L,"upperBound":U}},...} */
static json_object *fr_requirements_body(const struct fr_requirements *r)
{
	json_object *body = json_object_new_object();

	for (size_t i = 0; i < r->n; i++) {
		json_object *v = json_object_new_object();
		json_object *p = json_object_new_object();

		json_object_object_add(p, "lowerBound",
				       json_object_new_int(r->v[i].lower));
		json_object_object_add(p, "upperBound",
				       json_object_new_int(r->v[i].upper));
		json_object_object_add(v, "parallelism", p);
		json_object_object_add(body, r->v[i].vertex, v);
	}
	return body;
}

int fr_put_requirements(struct fr_client *c, const char *job,
			const struct fr_requirements *r, struct err *e)
{
	json_object *body, *o;
	char path[96];
	int rc;

	if ((rc = fr_check_id(job, "job", e)) || (rc = fr_check_bounds(r, e)))
		return rc;
	body = fr_requirements_body(r);
	snprintf(path, sizeof(path), "/jobs/%s/resource-requirements", job);
	rc = fr_call(c, "PUT", path, body, &o, e);
	json_object_put(o);
	json_object_put(body);
	return rc;
}

/* ---- savepoints ---- */

static int fr_trigger(struct fr_client *c, const char *job, const char *op,
		      json_object *body, char trigger[JMP_ID_LEN],
		      struct err *e)
{
	char path[96];
	json_object *o;
	int rc;

	snprintf(path, sizeof(path), "/jobs/%s/%s", job, op);
	if (!(rc = fr_call(c, "POST", path, body, &o, e)))
		rc = jmp_get_id(o, "request-id", trigger, c->what, e);
	json_object_put(o);
	json_object_put(body);
	return rc;
}

static int fr_check_dir(const char *job, const char *dir, struct err *e)
{
	int rc = fr_check_id(job, "job", e);

	if (!rc && (!dir || !*dir || strlen(dir) > FR_MAX_DIR))
		rc = err_set(e, ERR_INVAL, "Flink REST: a savepoint directory "
			     "of 1 to %d bytes is needed", FR_MAX_DIR);
	return rc;
}

/* POST /jobs/JOB/OP with {DIRKEY: dir, FLAGKEY: flag}; the two savepoint
 * calls differ only in those names. */
static int fr_savepoint_op(struct fr_client *c, const char *job,
			   const char *op, const char *dir_key, const char *dir,
			   const char *flag_key, bool flag,
			   char trigger[JMP_ID_LEN], struct err *e)
{
	json_object *body;
	int rc;

	trigger[0] = '\0';
	if ((rc = fr_check_dir(job, dir, e)))
		return rc;
	body = json_object_new_object();
	json_object_object_add(body, dir_key, json_object_new_string(dir));
	json_object_object_add(body, flag_key, json_object_new_boolean(flag));
	return fr_trigger(c, job, op, body, trigger, e);
}

int fr_stop_with_savepoint(struct fr_client *c, const char *job,
			   const char *dir, bool drain,
			   char trigger[JMP_ID_LEN], struct err *e)
{
	return fr_savepoint_op(c, job, "stop", "targetDirectory", dir, "drain",
			       drain, trigger, e);
}

int fr_trigger_savepoint(struct fr_client *c, const char *job,
			 const char *dir, bool cancel,
			 char trigger[JMP_ID_LEN], struct err *e)
{
	return fr_savepoint_op(c, job, "savepoints", "target-directory", dir,
			       "cancel-job", cancel, trigger, e);
}

void fr_savepoint_release(struct fr_savepoint *s)
{
	free(s->location);
	free(s->failure);
	memset(s, 0, sizeof(*s));
}

/* failure-cause: the first line of its stack trace, else its class. */
static int fr_failure(json_object *cause, char **out, const char *what,
		      struct err *e)
{
	json_object *t = NULL;
	const char *s = NULL;

	if (json_object_object_get_ex(cause, "stack-trace", &t) &&
	    json_object_is_type(t, json_type_string))
		s = json_object_get_string(t);
	else if (json_object_object_get_ex(cause, "class", &t) &&
		 json_object_is_type(t, json_type_string))
		s = json_object_get_string(t);
	if (!s || !*s)
		return err_set(e, ERR_INVAL, "%s: operation.failure-cause has "
			       "neither stack-trace nor class", what);
	if (!(*out = strndup(s, strcspn(s, "\r\n"))))
		return err_set(e, ERR_NOMEM, "%s: out of memory", what);
	return 0;
}

static int fr_operation(json_object *o, struct fr_savepoint *out,
			const char *what, struct err *e)
{
	json_object *op, *cause;

	if (!(op = jmp_member(o, "operation", json_type_object, what, e)))
		return ERR_INVAL;
	if (json_object_object_get_ex(op, "location", NULL)) {
		out->status = FR_SP_COMPLETED;
		return jmp_get_strdup(op, "location", &out->location, what, e);
	}
	if (!(cause = jmp_member(op, "failure-cause", json_type_object, what, e)))
		return err_set(e, ERR_INVAL, "%s: operation has neither location "
			       "nor failure-cause", what);
	out->status = FR_SP_FAILED;
	return fr_failure(cause, &out->failure, what, e);
}

int fr_savepoint_status(struct fr_client *c, const char *job,
			const char *trigger, struct fr_savepoint *out,
			struct err *e)
{
	json_object *o, *st;
	char path[128], id[JMP_STATE_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_check_id(job, "job", e)) ||
	    (rc = fr_check_id(trigger, "trigger", e)))
		return rc;
	snprintf(path, sizeof(path), "/jobs/%s/savepoints/%s", job, trigger);
	if ((rc = fr_call(c, "GET", path, NULL, &o, e)))
		return rc;
	if (!(st = jmp_member(o, "status", json_type_object, c->what, e)))
		rc = ERR_INVAL;
	else if (!(rc = jmp_get_state(st, "id", id, c->what, e))) {
		if (strcmp(id, "IN_PROGRESS") == 0)
			out->status = FR_SP_IN_PROGRESS;
		else if (strcmp(id, "COMPLETED") == 0)
			rc = fr_operation(o, out, c->what, e);
		else
			rc = err_set(e, ERR_INVAL, "%s: status.id: unknown \"%s\"",
				     c->what, id);
	}
	if (rc)
		fr_savepoint_release(out);
	json_object_put(o);
	return rc;
}

/* ---- jars ---- */

/* Jar ids are "<uuid>_<name>.jar": letters, digits, '.', '_' and '-'. */
static bool fr_is_jar_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n && n < 256 && strcmp(s, ".") && strcmp(s, "..") &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._-") == n;
}

void fr_jar_release(struct fr_jar *j)
{
	free(j->id);
	free(j->name);
	free(j->entry);
	memset(j, 0, sizeof(*j));
}

static int fr_jar_file(json_object *f, struct fr_jar *out, const char *what,
		       struct err *e)
{
	json_object *entries;
	int rc;

	if ((rc = jmp_get_strdup(f, "id", &out->id, what, e)) ||
	    (rc = jmp_get_strdup(f, "name", &out->name, what, e)))
		return rc;
	if (!fr_is_jar_id(out->id))
		return err_set(e, ERR_INVAL, "%s: id \"%.60s\" is not a jar id",
			       what, out->id);
	if (!(entries = jmp_member(f, "entry", json_type_array, what, e)))
		return ERR_INVAL;
	if (json_object_array_length(entries) == 0)
		return 0;
	return jmp_get_strdup(json_object_array_get_idx(entries, 0), "name",
		      &out->entry, what, e);
}

int fr_jars(struct fr_client *c, struct fr_jar *out, struct err *e)
{
	json_object *o, *files;
	char what[400];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fr_call(c, "GET", "/jars", NULL, &o, e)))
		return rc;
	if (!(files = jmp_member(o, "files", json_type_array, c->what, e)))
		rc = ERR_INVAL;
	else if (json_object_array_length(files) == 0)
		rc = err_set(e, ERR_NOTFOUND, "%s: no jar is uploaded", c->what);
	else {
		snprintf(what, sizeof(what), "%s: files[0]", c->what);
		rc = fr_jar_file(json_object_array_get_idx(files, 0), out, what, e);
	}
	if (rc)
		fr_jar_release(out);
	json_object_put(o);
	return rc;
}

static json_object *fr_run_body(const struct fr_run *r)
{
	json_object *b = json_object_new_object(), *args;

	if (r->entry_class)
		json_object_object_add(b, "entryClass",
				       json_object_new_string(r->entry_class));
	if (r->nargs) {
		args = json_object_new_array();
		for (size_t i = 0; i < r->nargs; i++)
			json_object_array_add(args, json_object_new_string(r->args[i]));
		json_object_object_add(b, "programArgsList", args);
	}
	json_object_object_add(b, "parallelism", json_object_new_int(r->parallelism));
	if (r->savepoint)
		json_object_object_add(b, "savepointPath",
				       json_object_new_string(r->savepoint));
	json_object_object_add(b, "allowNonRestoredState",
			       json_object_new_boolean(r->allow_non_restored));
	return b;
}

int fr_jar_run(struct fr_client *c, const char *jar, const struct fr_run *r,
	       char job[JMP_ID_LEN], struct err *e)
{
	json_object *body, *o;
	char path[320];
	int rc;

	job[0] = '\0';
	if (!fr_is_jar_id(jar))
		return err_set(e, ERR_INVAL, "Flink REST: \"%.60s\" is not a jar "
			       "id", jar ? jar : "(null)");
	if (r->parallelism < 1 || r->parallelism > FR_MAX_PAR ||
	    (r->savepoint && (!*r->savepoint || strlen(r->savepoint) > FR_MAX_DIR)))
		return err_set(e, ERR_INVAL, "Flink REST: run %s: want a "
			       "parallelism in [1, %d] and a savepoint path of "
			       "1 to %d bytes", jar, FR_MAX_PAR, FR_MAX_DIR);
	for (size_t i = 0; i < r->nargs; i++)
		if (!r->args[i])
			return err_set(e, ERR_INVAL, "Flink REST: run %s: "
				       "argument %zu is NULL", jar, i);
	body = fr_run_body(r);
	snprintf(path, sizeof(path), "/jars/%s/run", jar);
	if (!(rc = fr_call(c, "POST", path, body, &o, e)))
		rc = jmp_get_id(o, "jobid", job, c->what, e);
	json_object_put(o);
	json_object_put(body);
	return rc;
}
