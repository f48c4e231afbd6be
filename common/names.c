/*
 * names.c - the parallelism modes' names (see names.h).
 */
#include "common/names.h"

#include <string.h>

const char *const fh_mode_names[] = { FH_MODE_NAME_REACTIVE,
				      FH_MODE_NAME_ADAPTIVE,
				      FH_MODE_NAME_SAVEPOINT, NULL };

int fh_mode_parse(const char *name, enum fh_mode *out)
{
	for (int i = 0; name && fh_mode_names[i]; i++)
		if (!strcmp(name, fh_mode_names[i])) {
			*out = (enum fh_mode)i;
			return 0;
		}
	return -1;
}

const char *fh_mode_name(enum fh_mode m)
{
	if ((int)m < 0 || m > FH_MODE_SAVEPOINT)
		return "?";
	return fh_mode_names[m];
}
