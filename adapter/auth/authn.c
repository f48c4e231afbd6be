/*
 * authn.c - request authentication (see authn.h), with GnuTLS trust lists.
 * The TLS layer only asks for a client certificate; every check happens
 * here, so a certificate from the wrong CA is never mistaken for the front
 * proxy's.
 */
#include "adapter/auth/authn.h"

#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/str.h"

#define AUTHN_MAX_CHAIN 8

struct authn {
	pthread_rwlock_t lock;
	gnutls_x509_trust_list_t rh;     /* request-header CA; NULL: none */
	gnutls_x509_trust_list_t client; /* client CA; NULL: none */
	char *allowed;                   /* ",name1,name2," or NULL: any */
};

static int authn_list(const char *pem, gnutls_x509_trust_list_t *out,
		      const char *what, struct err *e)
{
	gnutls_datum_t d = { (unsigned char *)pem, pem ? (unsigned)strlen(pem) : 0 };

	*out = NULL;
	if (!pem || !*pem)
		return 0;
	if (gnutls_x509_trust_list_init(out, 0) < 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (gnutls_x509_trust_list_add_trust_mem(*out, &d, NULL,
						 GNUTLS_X509_FMT_PEM, 0, 0) <= 0) {
		gnutls_x509_trust_list_deinit(*out, 1);
		*out = NULL;
		return err_set(e, ERR_INVAL, "%s: no PEM certificate in it", what);
	}
	return 0;
}

/* The allowed names as ",name1,name2," in *out (NULL: any name); a list
 * that cannot be kept is an error, never "any". */
static int authn_allowed(const char *names, char **out, struct err *e)
{
	struct buf b = BUF_INIT(64 * 1024);
	int rc;

	*out = NULL;
	if (!names || !*names)
		return 0;
	rc = buf_addc(&b, ',');
	for (const char *p = names; *p && !rc; p++)
		if (*p != ' ')
			rc = buf_addc(&b, *p);
	if (!rc)
		rc = buf_addc(&b, ',');
	if (!rc && !(*out = buf_detach(&b, NULL)))
		rc = ERR_NOMEM;
	buf_release(&b);
	return rc ? err_set(e, rc, "the allowed names of the front proxy: %s",
			    rc == ERR_LIMIT ? "longer than 64 KiB"
					    : "out of memory")
		  : 0;
}

int authn_set_cas(struct authn *a, const struct authn_cas *cas, struct err *e)
{
	gnutls_x509_trust_list_t rh, client;
	char *allowed;
	int rc = authn_list(cas->requestheader_ca, &rh,
			    "the request-header CA", e);

	if (rc)
		return rc;
	rc = authn_list(cas->client_ca, &client, "the client CA", e);
	if (rc) {
		if (rh)
			gnutls_x509_trust_list_deinit(rh, 1);
		return rc;
	}
	rc = authn_allowed(cas->allowed_names, &allowed, e);
	if (rc) {
		if (rh)
			gnutls_x509_trust_list_deinit(rh, 1);
		if (client)
			gnutls_x509_trust_list_deinit(client, 1);
		return rc;
	}
	pthread_rwlock_wrlock(&a->lock);
	if (a->rh)
		gnutls_x509_trust_list_deinit(a->rh, 1);
	if (a->client)
		gnutls_x509_trust_list_deinit(a->client, 1);
	free(a->allowed);
	a->rh = rh;
	a->client = client;
	a->allowed = allowed;
	pthread_rwlock_unlock(&a->lock);
	return 0;
}

struct authn *authn_new(const struct authn_cas *cas, struct err *e)
{
	struct authn *a = calloc(1, sizeof(*a));

	if (!a) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_rwlock_init(&a->lock, NULL);
	if (authn_set_cas(a, cas, e)) {
		authn_free(a);
		return NULL;
	}
	return a;
}

void authn_free(struct authn *a)
{
	if (!a)
		return;
	if (a->rh)
		gnutls_x509_trust_list_deinit(a->rh, 1);
	if (a->client)
		gnutls_x509_trust_list_deinit(a->client, 1);
	free(a->allowed);
	pthread_rwlock_destroy(&a->lock);
	free(a);
}

/* ---- certificates ---- */

struct chain {
	gnutls_x509_crt_t crt[AUTHN_MAX_CHAIN];
	unsigned n;
};

static void chain_release(struct chain *c)
{
	for (unsigned i = 0; i < c->n; i++)
		gnutls_x509_crt_deinit(c->crt[i]);
	c->n = 0;
}

/* The peer's certificates, leaf first; false when there are none. */
static bool chain_from_session(gnutls_session_t s, struct chain *c)
{
	unsigned n = 0;
	const gnutls_datum_t *der = s ? gnutls_certificate_get_peers(s, &n)
				      : NULL;

	c->n = 0;
	for (unsigned i = 0; der && i < n && i < AUTHN_MAX_CHAIN; i++) {
		if (gnutls_x509_crt_init(&c->crt[c->n]) < 0)
			break;
		if (gnutls_x509_crt_import(c->crt[c->n], &der[i],
					   GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(c->crt[c->n]);
			break;
		}
		c->n++;
	}
	return c->n > 0;
}

/* Chains to tl, valid now, usable for client authentication. */
static bool chain_trusted(gnutls_x509_trust_list_t tl, struct chain *c)
{
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
					  (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
					  0 };
	unsigned status = 1;

	if (!tl || gnutls_x509_trust_list_verify_crt2(tl, c->crt, c->n,
						      &purpose, 1, 0, &status,
						      NULL) < 0)
		return false;
	return status == 0;
}

/* The idx-th value of attribute oid in the subject; false when there is
 * none or it does not fit in n bytes. */
static bool crt_attr(gnutls_x509_crt_t crt, const char *oid, unsigned idx,
		     char *out, size_t n)
{
	size_t size = n;

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, idx, 0, out, &size) < 0)
		return false;
	out[n - 1] = '\0';
	return true;
}

/* The subject's common name as Go's crypto/x509 (and so kube-apiserver)
 * reads it: the LAST CN of the subject; false when there is none, it is
 * empty or too long to hold. */
static bool crt_cn(gnutls_x509_crt_t crt, char *out, size_t n)
{
	const char *oid = GNUTLS_OID_X520_COMMON_NAME;
	unsigned last = 0;
	bool any = false;
	size_t size;
	int rc;

	for (unsigned i = 0;; i++) { /* count them; a long one ends nothing */
		size = 0;
		rc = gnutls_x509_crt_get_dn_by_oid(crt, oid, i, 0, NULL, &size);
		if (rc != GNUTLS_E_SHORT_MEMORY_BUFFER && rc < 0)
			break;
		last = i;
		any = true;
	}
	return any && crt_attr(crt, oid, last, out, n) && out[0];
}

/* ---- identity ---- */

static void user_group(struct authn_user *u, const char *g)
{
	if (*g && u->ngroups < AUTHN_MAX_GROUPS)
		str_lcpy(u->groups[u->ngroups++], g, sizeof(u->groups[0]));
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
						     : -1;
}

/* Extra key: lower case, percent-decoded, as Kubernetes reads it. */
static void extra_key(const char *in, char *out, size_t n)
{
	size_t k = 0;

	for (; *in && k + 1 < n; in++) {
		if (in[0] == '%' && hex(in[1]) >= 0 && hex(in[2]) >= 0) {
			out[k++] = (char)(hex(in[1]) * 16 + hex(in[2]));
			in += 2;
		} else {
			out[k++] = (char)(*in >= 'A' && *in <= 'Z' ? *in | 0x20 : *in);
		}
	}
	out[k] = '\0';
}

/* Copy value without the blanks (space, tab) around it, as Go's net/http
 * reads header values. */
static void cpy_trimmed(char *out, size_t n, const char *value)
{
	size_t len;

	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(out, value, len);
	out[len] = '\0';
}

struct hdr_ctx {
	struct authn_user *u;
	bool user_seen; /* the first X-Remote-User counts, as Header.Get */
};

static void hdr_one(void *ud, const char *name, const char *value)
{
	struct hdr_ctx *x = ud;
	struct authn_user *u = x->u;
	char v[256];

	cpy_trimmed(v, sizeof(v), value);
	if (strcasecmp(name, "X-Remote-User") == 0) {
		if (!x->user_seen)
			str_lcpy(u->name, v, sizeof(u->name));
		x->user_seen = true;
	} else if (strcasecmp(name, "X-Remote-Group") == 0) {
		user_group(u, v);
	} else if (strncasecmp(name, "X-Remote-Extra-", 15) == 0 &&
		   u->nextra < AUTHN_MAX_EXTRA) {
		extra_key(name + 15, u->extra_key[u->nextra],
			  sizeof(u->extra_key[0]));
		str_lcpy(u->extra_val[u->nextra++], v, sizeof(u->extra_val[0]));
	}
}

/* The leaf's CN is one of the allowed names, compared whole (a CN with a
 * comma in it matches no name). */
static bool cn_allowed(const struct authn *a, gnutls_x509_crt_t leaf)
{
	char cn[300];
	size_t n;

	if (!a->allowed)
		return true;
	if (!crt_cn(leaf, cn, sizeof(cn)))
		return false;
	n = strlen(cn);
	for (const char *p = a->allowed + 1; *p; p = strchr(p, ',') + 1)
		if (strncmp(p, cn, n) == 0 && p[n] == ',')
			return true;
	return false;
}

static bool from_front_proxy(struct authn *a, struct chain *c,
			     const struct authn_headers *h,
			     struct authn_user *u)
{
	if (!c->n || !chain_trusted(a->rh, c) || !cn_allowed(a, c->crt[0]))
		return false;
	h->each(h->src, hdr_one, &(struct hdr_ctx){ u, false });
	if (!u->name[0]) { /* no user name: not this authenticator */
		memset(u, 0, sizeof(*u));
		return false;
	}
	u->how = "front-proxy";
	return true;
}

static bool from_client_cert(struct authn *a, struct chain *c,
			     struct authn_user *u)
{
	const char *oid = GNUTLS_OID_X520_ORGANIZATION_NAME;
	char o[256];
	size_t size;
	int rc;

	if (!c->n || !chain_trusted(a->client, c) ||
	    !crt_cn(c->crt[0], u->name, sizeof(u->name)))
		return false;
	for (unsigned i = 0;; i++) { /* every O, in order (one too long: skipped) */
		size = sizeof(o);
		rc = gnutls_x509_crt_get_dn_by_oid(c->crt[0], oid, i, 0, o, &size);
		if (rc == 0)
			user_group(u, o);
		else if (rc != GNUTLS_E_SHORT_MEMORY_BUFFER)
			break;
	}
	u->how = "client-certificate";
	return true;
}

void authn_identify(struct authn *a, gnutls_session_t session,
		    const struct authn_headers *h, struct authn_user *u)
{
	struct chain c;
	bool ok;

	memset(u, 0, sizeof(*u));
	chain_from_session(session, &c);
	pthread_rwlock_rdlock(&a->lock);
	ok = from_front_proxy(a, &c, h, u) || from_client_cert(a, &c, u);
	pthread_rwlock_unlock(&a->lock);
	chain_release(&c);
	if (!ok) {
		memset(u, 0, sizeof(*u));
		str_lcpy(u->name, "system:anonymous", sizeof(u->name));
		user_group(u, "system:unauthenticated");
		u->anonymous = true;
		u->how = "anonymous";
		return;
	}
	user_group(u, "system:authenticated");
}
