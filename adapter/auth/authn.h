/*
 * authn.h - who is asking, as Kubernetes extension API servers decide it:
 *
 * 1. front proxy: a TLS client certificate that chains to the request-header
 *    CA, with the client-auth key purpose and a CN among the allowed names
 *    (any CN when the list is empty), makes the X-Remote-User,
 *    X-Remote-Group and X-Remote-Extra-* headers trusted (values without
 *    the blanks around them, as Go's net/http reads headers; the first
 *    X-Remote-User is the user, as Header.Get);
 * 2. a client certificate that chains to the client CA: user = CN,
 *    groups = O;
 * subjects are read as Go's crypto/x509 reads them (kube-apiserver): the
 * CN is the LAST CN of the subject, the groups every O in order;
 * 3. anyone else is system:anonymous (group system:unauthenticated), and
 *    X-Remote-* headers from them are ignored.
 * Authenticated users get the group system:authenticated.
 *
 * The CA bundles can be replaced at run time (the front-proxy CA rotates):
 * authn_set_cas swaps them under a lock.
 */
#ifndef FH_AUTHN_H
#define FH_AUTHN_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define AUTHN_MAX_GROUPS 32
#define AUTHN_MAX_EXTRA 16

struct authn_user {
	char name[256];
	char groups[AUTHN_MAX_GROUPS][256];
	size_t ngroups;
	char extra_key[AUTHN_MAX_EXTRA][128];
	char extra_val[AUTHN_MAX_EXTRA][256];
	size_t nextra;
	bool anonymous;
	const char *how; /* "front-proxy", "client-certificate", "anonymous" */
};

struct authn_cas {
	const char *requestheader_ca; /* PEM, may be NULL */
	const char *client_ca;        /* PEM, may be NULL */
	const char *allowed_names;    /* comma separated; NULL or "": any */
};

struct authn;

struct authn *authn_new(const struct authn_cas *cas, struct err *e);
int authn_set_cas(struct authn *a, const struct authn_cas *cas,
		  struct err *e);
void authn_free(struct authn *a);

/* Header access: every value of header name (case-insensitive), and every
 * header whose name starts with prefix. */
typedef void (*authn_each_fn)(void *ud, const char *name, const char *value);
struct authn_headers {
	void (*each)(void *src, authn_each_fn fn, void *ud);
	void *src;
};

/* session: the TLS session, NULL for plain HTTP (then: anonymous). */
void authn_identify(struct authn *a, gnutls_session_t session,
		    const struct authn_headers *h, struct authn_user *u);

#endif
