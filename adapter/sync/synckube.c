/*
 * synckube.c - Deployments, annotations and Events for the sync controller
 * (see synckube.h).
 */
#include "adapter/sync/synckube.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "common/buf.h"
#include "common/jsonw.h"

int sk_annotate(struct kube_client *k, const char *ns, const char *name,
		const char *const *keys, const char *const *values, size_t n,
		struct err *e)
{
	struct buf b = BUF_INIT(64 * 1024);
	char path[1024];
	long status = 0;
	int rc = buf_adds(&b, "{\"metadata\":{\"annotations\":{");

	for (size_t i = 0; i < n && !rc; i++) {
		rc = i ? buf_addc(&b, ',') : 0;
		rc = rc ? rc : jsonw_key(&b, keys[i]);
		rc = rc ? rc : values[i] ? jsonw_str(&b, values[i])
					 : buf_adds(&b, "null");
	}
	rc = rc ? rc : buf_adds(&b, "}}}");
	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments/%s",
		 ns, name);
	if (!rc)
		rc = kube_request(k, "PATCH", path, buf_str(&b), &status, NULL, e);
	else
		rc = err_set(e, rc, "annotations too large");
	buf_release(&b);
	if (!rc && status != 200)
		rc = err_set(e, ERR_IO, "annotate deployment %s/%s: HTTP %ld",
			     ns, name, status);
	return rc;
}

static void sk_time(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int sk_event(struct kube_client *k, const char *ns, const char *name,
	     const char *uid, const char *type, const char *reason,
	     const char *message, struct err *e)
{
	struct buf b = BUF_INIT(64 * 1024);
	char path[1024], now[64];
	struct timespec ts;
	long status = 0;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	sk_time(now, sizeof(now));
	rc = buf_addf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Event\","
		      "\"metadata\":{\"name\":\"%s.%lx%09lx\",\"namespace\":\"%s\"},"
		      "\"involvedObject\":{\"apiVersion\":\"apps/v1\","
		      "\"kind\":\"Deployment\",\"namespace\":\"%s\",\"name\":\"%s\","
		      "\"uid\":\"%s\"},\"reason\":\"%s\",\"type\":\"%s\","
		      "\"source\":{\"component\":\"flinkhpa-sync\"},"
		      "\"firstTimestamp\":\"%s\",\"lastTimestamp\":\"%s\","
		      "\"count\":1,\"message\":", name, (long)ts.tv_sec,
		      ts.tv_nsec, ns, ns, name, uid ? uid : "", reason, type,
		      now, now);
	rc = rc ? rc : jsonw_str(&b, message);
	rc = rc ? rc : buf_addc(&b, '}');
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", ns);
	if (!rc)
		rc = kube_request(k, "POST", path, buf_str(&b), &status, NULL, e);
	buf_release(&b);
	if (!rc && status != 201)
		rc = err_set(e, ERR_IO, "event on %s/%s: HTTP %ld", ns, name,
			     status);
	return rc;
}

const char *sk_str(json_object *o, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, o);
	while (o && (key = va_arg(ap, const char *)))
		if (!json_object_object_get_ex(o, key, &o))
			o = NULL;
	va_end(ap);
	return o && json_object_is_type(o, json_type_string)
		       ? json_object_get_string(o) : NULL;
}

const char *sk_annotation(json_object *obj, const char *key)
{
	return sk_str(obj, "metadata", "annotations", key, (const char *)NULL);
}
