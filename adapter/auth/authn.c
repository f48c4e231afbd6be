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

static char *authn_allowed(const char *names)
{
	struct buf b = BUF_INIT(64 * 1024);
	char *copy;

	if (!names || !*names)
		return NULL;
	buf_addc(&b, ',');
	for (const char *p = names; *p; p++)
		if (*p != ' ')
			buf_addc(&b, *p);
	buf_addc(&b, ',');
	copy = buf_detach(&b, NULL);
	return copy;
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
	allowed = authn_allowed(cas->allowed_names);
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

static bool crt_attr(gnutls_x509_crt_t crt, const char *oid, unsigned idx,
		     char *out, size_t n)
{
	size_t size = n;

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, idx, 0, out, &size) < 0)
		return false;
	out[n - 1] = '\0';
	return true;
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

static void hdr_one(void *ud, const char *name, const char *value)
{
	struct authn_user *u = ud;

	if (strcasecmp(name, "X-Remote-User") == 0) {
		if (!u->name[0])
			str_lcpy(u->name, value, sizeof(u->name));
	} else if (strcasecmp(name, "X-Remote-Group") == 0) {
		user_group(u, value);
	} else if (strncasecmp(name, "X-Remote-Extra-", 15) == 0 &&
		   u->nextra < AUTHN_MAX_EXTRA) {
		extra_key(name + 15, u->extra_key[u->nextra],
			  sizeof(u->extra_key[0]));
		str_lcpy(u->extra_val[u->nextra++], value,
			 sizeof(u->extra_val[0]));
	}
}

static bool cn_allowed(const struct authn *a, gnutls_x509_crt_t leaf)
{
	char cn[300], key[304];

	if (!a->allowed)
		return true;
	if (!crt_attr(leaf, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof(cn)))
		return false;
	snprintf(key, sizeof(key), ",%s,", cn);
	return strstr(a->allowed, key) != NULL;
}

static bool from_front_proxy(struct authn *a, struct chain *c,
			     const struct authn_headers *h,
			     struct authn_user *u)
{
	if (!c->n || !chain_trusted(a->rh, c) || !cn_allowed(a, c->crt[0]))
		return false;
	h->each(h->src, hdr_one, u);
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
	char o[256];

	if (!c->n || !chain_trusted(a->client, c) ||
	    !crt_attr(c->crt[0], GNUTLS_OID_X520_COMMON_NAME, 0, u->name,
		      sizeof(u->name)))
		return false;
	for (unsigned i = 0; crt_attr(c->crt[0], GNUTLS_OID_X520_ORGANIZATION_NAME,
				      i, o, sizeof(o)); i++)
		user_group(u, o);
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
