/*
 * jget.h - reading fields out of a parsed json-c document: the one place
 * the adapter walks an object by its keys (Kubernetes objects, Flink's
 * answers, the ConfigMap of CAs).  A key that is missing, a step that is
 * not an object, or a leaf of another type gives NULL (or the default):
 * callers decide whether that is an error.  Nothing is allocated; strings
 * returned are borrowed from the document.
 *
 *     const char *ip = jget_str(pod, "status", "podIP");
 *     int64_t n = jget_int(dep, 0, "spec", "replicas");
 */
#ifndef FH_JGET_H
#define FH_JGET_H

#include <json-c/json.h>
#include <stdint.h>

/* The value at the keys (NULL-terminated list), any type; NULL if absent. */
json_object *jget_v(json_object *o, ...);
/* The string at the keys; NULL if absent or not a string. */
const char *jget_str_v(json_object *o, ...);
/* The integer at the keys; def if absent or not an integer. */
int64_t jget_int_v(json_object *o, int64_t def, ...);

#define jget(o, ...) jget_v((o), __VA_ARGS__, (const char *)NULL)
#define jget_str(o, ...) jget_str_v((o), __VA_ARGS__, (const char *)NULL)
#define jget_int(o, def, ...) \
	jget_int_v((o), (def), __VA_ARGS__, (const char *)NULL)

#endif
