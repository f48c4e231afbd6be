/*
 * jget.c - reading fields out of a parsed json-c document (see jget.h).
 */
#include "common/jget.h"

#include <stdarg.h>

static json_object *jget_walk(json_object *o, va_list ap)
{
	const char *key;

	while (o && (key = va_arg(ap, const char *)))
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &o))
			o = NULL;
	return o;
}

json_object *jget_v(json_object *o, ...)
{
	va_list ap;

	va_start(ap, o);
	o = jget_walk(o, ap);
	va_end(ap);
	return o;
}

const char *jget_str_v(json_object *o, ...)
{
	va_list ap;

	va_start(ap, o);
	o = jget_walk(o, ap);
	va_end(ap);
	return o && json_object_is_type(o, json_type_string)
		       ? json_object_get_string(o) : NULL;
}

int64_t jget_int_v(json_object *o, int64_t def, ...)
{
	va_list ap;

	va_start(ap, def);
	o = jget_walk(o, ap);
	va_end(ap);
	return o && json_object_is_type(o, json_type_int)
		       ? json_object_get_int64(o) : def;
}
