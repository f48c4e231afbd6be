/*
 * jmparse_int.h - the JSON readers under jmparse.h, shared with the REST
 * client (flinkrest.c) for the answers only it reads (savepoints, jars,
 * resource requirements).  Private to adapter/flink/.
 *
 * Every reader names where a problem is: what ("GET /jars: files[0]"),
 * the key, and why ("missing", "wrong type, want a string", "out of
 * range").  Returned json-c objects are borrowed from the parsed answer.
 */
#ifndef FH_JMPARSE_INT_H
#define FH_JMPARSE_INT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define JMP_JSON_DEPTH 32

/* Exactly one JSON value of len bytes (caller puts it); NULL and ERR_INVAL
 * ("what: the answer is not JSON ...") otherwise. */
json_object *jmp_parse_json(const char *body, size_t len, const char *what,
			    struct err *e);

/* Member key of o, of type t (borrowed); NULL and ERR_INVAL naming where
 * when it is missing or of another type. */
json_object *jmp_member(json_object *o, const char *key, json_type t,
			const char *what, struct err *e);
int jmp_get_int(json_object *o, const char *key, int64_t min, int64_t max,
		int64_t *out, const char *what, struct err *e);
/* 32 hex digits. */
bool jmp_is_id(const char *s);
int jmp_get_id(json_object *o, const char *key, char out[], const char *what,
	       struct err *e);
/* Upper case letters and '_', shorter than JMP_STATE_LEN. */
int jmp_get_state(json_object *o, const char *key, char out[],
		  const char *what, struct err *e);
/* A string member, copied (caller frees). */
int jmp_get_strdup(json_object *o, const char *key, char **out,
		   const char *what, struct err *e);

#endif
