/*
 * conf.c - table-driven settings (see conf.h).
 */
#include "common/conf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"

size_t conf_count(const struct conf_def *tab)
{
	size_t n = 0;

	while (tab[n].name)
		n++;
	return n;
}

const struct conf_def *conf_find(const struct conf_def *tab, const char *name)
{
	for (; tab->name; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	return NULL;
}

int conf_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "true", "yes", "on", "1", NULL };
	static const char *no[] = { "false", "no", "off", "0", NULL };

	for (int i = 0; yes[i]; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return ERR_INVAL;
}

static int conf_range(const struct conf_def *d, double v, const char *val,
		      struct err *e)
{
	if (v < d->min || v > d->max)
		return err_set(e, ERR_INVAL,
			       "%s: %s is out of range (%.15g to %.15g)",
			       d->name, val, d->min, d->max);
	return 0;
}

static int conf_set_enum(const struct conf_def *d, void *field,
			 const char *val, struct err *e)
{
	char list[256] = "";

	for (int i = 0; d->choices[i]; i++) {
		if (strcmp(val, d->choices[i]) == 0) {
			*(int *)field = i;
			return 0;
		}
		if (i)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, d->choices[i], sizeof(list) - strlen(list) - 1);
	}
	return err_set(e, ERR_INVAL, "%s: \"%s\" is not one of: %s", d->name,
		       val, list);
}

static int conf_set_string(const struct conf_def *d, void *field,
			   const char *val, struct err *e)
{
	size_t n = strlen(val);
	char *copy;

	if ((double)n < d->min || (double)n > d->max)
		return err_set(e, ERR_INVAL,
			       "%s: length %zu is out of range (%.0f to %.0f)",
			       d->name, n, d->min, d->max);
	copy = strdup(val);
	if (!copy)
		return err_set(e, ERR_NOMEM, "out of memory");
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

static int conf_parse_value(const struct conf_def *d, void *field,
			    const char *val, struct err *e)
{
	int64_t i;
	double f;
	int rc;

	switch (d->type) {
	case CONF_BOOL:
		if (conf_parse_bool(val, field))
			return err_set(e, ERR_INVAL,
				       "%s: expected true or false, got \"%s\"",
				       d->name, val);
		return 0;
	case CONF_INT:
		rc = str_parse_i64(val, strlen(val), &i, e);
		if (rc)
			return err_prefix(e, "%s: ", d->name);
		rc = conf_range(d, (double)i, val, e);
		if (!rc)
			*(int64_t *)field = i;
		return rc;
	case CONF_DOUBLE:
		rc = str_parse_double(val, strlen(val), &f, e);
		if (!rc && isnan(f))
			rc = err_set(e, ERR_INVAL, "NaN is not allowed");
		if (rc)
			return err_prefix(e, "%s: ", d->name);
		rc = conf_range(d, f, val, e);
		if (!rc)
			*(double *)field = f;
		return rc;
	case CONF_DURATION:
		rc = str_parse_duration(val, &i, e);
		if (rc)
			return err_prefix(e, "%s: ", d->name);
		if ((double)(i / 1000000) < d->min ||
		    (double)(i / 1000000) > d->max)
			return err_set(e, ERR_INVAL, "%s: %s is out of range "
				       "(%.15gs to %.15gs)", d->name, val,
				       d->min / 1000, d->max / 1000);
		if (!rc)
			*(int64_t *)field = i / 1000000;
		return rc;
	case CONF_STRING:
		return conf_set_string(d, field, val, e);
	case CONF_ENUM:
		return conf_set_enum(d, field, val, e);
	}
	return err_set(e, ERR_STATE, "%s: bad table entry", d->name);
}

static int conf_store(const struct conf_def *d, void *obj, const char *val,
		      struct err *e)
{
	void *field = (char *)obj + d->offset;
	int rc = conf_parse_value(d, field, val, e);

	if (!rc && d->check)
		rc = d->check(field, e);
	return rc;
}

int conf_set(const struct conf_def *tab, void *obj, const char *key,
	     const char *val, unsigned char *seen, struct err *e)
{
	const struct conf_def *d = conf_find(tab, key);

	if (!d)
		return err_set(e, ERR_NOTFOUND, "unknown key \"%s\"", key);
	if (seen && seen[d - tab])
		return err_set(e, ERR_EXISTS, "duplicate key \"%s\"", key);
	if (seen)
		seen[d - tab] = 1;
	return conf_store(d, obj, val, e);
}

int conf_defaults(const struct conf_def *tab, void *obj, struct err *e)
{
	int rc;

	for (; tab->name; tab++) {
		if (!tab->def)
			continue;
		rc = conf_store(tab, obj, tab->def, e);
		if (rc)
			return err_prefix(e, "default of ");
	}
	return 0;
}

int conf_check_required(const struct conf_def *tab, const unsigned char *seen,
			struct err *e)
{
	for (size_t i = 0; tab[i].name; i++)
		if ((tab[i].flags & CONF_REQUIRED) && !seen[i])
			return err_set(e, ERR_INVAL, "missing required key \"%s\"",
				       tab[i].name);
	return 0;
}

void conf_release(const struct conf_def *tab, void *obj)
{
	for (; tab->name; tab++) {
		if (tab->type == CONF_STRING) {
			char **p = (char **)((char *)obj + tab->offset);
			free(*p);
			*p = NULL;
		}
	}
}

/* One flag at argv[*i]; advances *i past its value. */
static int conf_flag(const struct conf_def *tab, void *obj, int argc,
		     char **argv, int *i, struct err *e)
{
	const char *arg = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
	const char *eq = strchr(arg, '=');
	char name[128];
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct conf_def *d;

	if (n >= sizeof(name))
		return err_set(e, ERR_NOTFOUND, "unknown flag: %s", argv[*i]);
	memcpy(name, arg, n);
	name[n] = '\0';
	d = conf_find(tab, name);
	if (!d)
		return err_set(e, ERR_NOTFOUND, "unknown flag: %s", argv[*i]);
	if (eq)
		return conf_store(d, obj, eq + 1, e);
	if (d->type == CONF_BOOL)
		return conf_store(d, obj, "true", e);
	if (*i + 1 >= argc)
		return err_set(e, ERR_INVAL, "flag needs a value: --%s", name);
	return conf_store(d, obj, argv[++*i], e);
}

int conf_parse_args(const struct conf_def *tab, void *obj, int argc,
		    char **argv, char **pos, int *npos, struct err *e)
{
	bool flags = true;
	int rc;

	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (flags && strcmp(a, "--") == 0) {
			flags = false;
		} else if (flags && a[0] == '-' && a[1] != '\0') {
			rc = conf_flag(tab, obj, argc, argv, &i, e);
			if (rc)
				return rc;
		} else {
			pos[(*npos)++] = argv[i];
		}
	}
	return 0;
}

static const char *conf_type_hint(const struct conf_def *d)
{
	switch (d->type) {
	case CONF_BOOL: return "";
	case CONF_INT: return " int";
	case CONF_DOUBLE: return " float";
	case CONF_STRING: return " string";
	case CONF_DURATION: return " duration";
	case CONF_ENUM: return " choice";
	}
	return "";
}

int conf_usage(const struct conf_def *tab, struct buf *out)
{
	int rc = 0;

	for (; tab->name && !rc; tab++) {
		rc = buf_addf(out, "  --%s%s\n      %s", tab->name,
			      conf_type_hint(tab), tab->help ? tab->help : "");
		if (!rc && tab->def && *tab->def)
			rc = buf_addf(out, " (default %s)", tab->def);
		if (!rc)
			rc = buf_addc(out, '\n');
	}
	return rc;
}
