/*
 * k8sname.c - Kubernetes name rules (see k8sname.h), after
 * IsDNS1123Label, IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue
 * and IsValidPathSegmentName.
 */
#include "gen/k8sname.h"

#include <stdbool.h>
#include <string.h>

static bool kn_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool kn_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? of n bytes. */
static bool kn_label_n(const char *s, size_t n)
{
	if (n == 0 || !kn_lower_alnum(s[0]) || !kn_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!kn_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

const char *kname_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n > 63)
		return "must be no more than 63 characters";
	if (!kn_label_n(s, n))
		return "a lowercase RFC 1123 label must consist of lower case "
		       "alphanumeric characters or '-', and must start and end "
		       "with an alphanumeric character (e.g. 'my-name')";
	return NULL;
}

const char *kname_dns_subdomain(const char *s)
{
	size_t n = strlen(s);
	const char *p = s, *dot;

	if (n > 253)
		return "must be no more than 253 characters";
	for (;;) {
		dot = strchr(p, '.');
		if (!kn_label_n(p, dot ? (size_t)(dot - p) : strlen(p)))
			return "a lowercase RFC 1123 subdomain must consist of "
			       "lower case alphanumeric characters, '-' or '.', "
			       "and must start and end with an alphanumeric "
			       "character (e.g. 'example.com')";
		if (!dot)
			return NULL;
		p = dot + 1;
	}
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] of n bytes, at most 63. */
static bool kn_name_n(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !kn_alnum(s[0]) || !kn_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!kn_alnum(s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

const char *kname_qualified(const char *s)
{
	const char *slash = strchr(s, '/');
	const char *name = slash ? slash + 1 : s;
	char prefix[256];

	if (slash) {
		size_t n = (size_t)(slash - s);
		if (n == 0 || n >= sizeof(prefix))
			return "prefix part must be a non-empty DNS subdomain of "
			       "at most 253 characters";
		memcpy(prefix, s, n);
		prefix[n] = '\0';
		if (kname_dns_subdomain(prefix))
			return "prefix part must be a lowercase RFC 1123 "
			       "subdomain (e.g. 'example.com')";
	}
	if (!kn_name_n(name, strlen(name)))
		return "name part must consist of alphanumeric characters, "
		       "'-', '_' or '.', must start and end with an alphanumeric "
		       "character and be at most 63 characters (e.g. 'MyName', "
		       "'my.name' or '123-abc'), with an optional DNS subdomain "
		       "prefix and '/' (e.g. 'example.com/MyName')";
	return NULL;
}

const char *kname_label_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return NULL;
	if (!kn_name_n(s, n))
		return "a valid label value must be an empty string or consist "
		       "of alphanumeric characters, '-', '_' or '.', and must "
		       "start and end with an alphanumeric character, at most 63 "
		       "characters (e.g. 'MyValue', 'my_value' or '12345')";
	return NULL;
}

const char *kname_path_segment(const char *s)
{
	if (!*s)
		return "must not be empty";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "may not be '.' or '..'";
	if (strpbrk(s, "/%"))
		return "may not contain '/' or '%'";
	return kname_printable(s);
}

const char *kname_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "must not contain control characters or line "
			       "breaks";
	return NULL;
}
