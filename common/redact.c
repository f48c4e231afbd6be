/*
 * redact.c - URLs without their passwords (see redact.h).
 */
#include "common/redact.h"

#include <stdio.h>
#include <string.h>

/* Where the authority begins: after "scheme://", else at the start. */
static const char *redact_authority(const char *url)
{
	const char *p = strstr(url, "://");
	const char *end = url + strcspn(url, "/?#");

	return p && p < end ? p + 3 : url;
}

const char *redact_url(const char *url, char *out, size_t n)
{
	const char *auth, *at = NULL;
	size_t alen;

	if (!n)
		return out;
	out[0] = '\0';
	if (!url)
		return out;
	auth = redact_authority(url);
	alen = strcspn(auth, "/?#");
	for (const char *c = auth; c < auth + alen; c++)
		if (*c == '@')
			at = c; /* the host follows the last '@' */
	if (!at) {
		snprintf(out, n, "%s", url);
		return out;
	}
	snprintf(out, n, "%.*s***%s", (int)(auth - url), url, at);
	return out;
}
