/*
 * test_authn.c - request authentication (adapter/auth/authn.c) on real
 * TLS sessions: certificates made here (two CAs: the request-header CA of
 * the front proxy and the client CA), a handshake over a socket pair, then
 * authn_identify on the server's side:
 *
 *   - client certificate: user = CN, groups = every O, plus
 *     system:authenticated; X-Remote-* headers from it are ignored;
 *   - front proxy: a certificate of the request-header CA with an allowed
 *     CN makes X-Remote-User / -Group / -Extra-* the identity (extra keys
 *     lower-cased and percent-decoded, the first user header wins); any CN
 *     when no names are set; without X-Remote-User it is not the front
 *     proxy (and not a client either: another CA);
 *   - anonymous: no certificate, a CN not allowed, a certificate of
 *     neither CA, an expired one, one without the client-auth purpose,
 *     plain HTTP;
 *   - the CAs replaced at run time (authn_set_cas): the old one no longer
 *     trusted; a bundle without a certificate refused.
 * (Subjects with several CNs: read as Go reads them, the last; that case
 * belongs with the change that makes it so.)  Bearer tokens are reviewed
 * by authz (test_authz.c).
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "adapter/auth/authn.h"

struct id {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
};

/* A certificate for dn, signed by issuer (NULL: self-signed); ca: may
 * sign; purpose: an extended key usage OID or NULL; valid from now + from_s
 * for life_s seconds. */
static void mk(struct id *out, const char *dn, const struct id *issuer,
	       bool ca, const char *purpose, long from_s, long life_s)
{
	static unsigned char serial = 1;
	const char *bad = NULL;
	time_t now = time(NULL);

	assert_int_equal(gnutls_x509_privkey_init(&out->key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(out->key, GNUTLS_PK_ECDSA,
			 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&out->crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(out->crt, 3), 0);
	serial++;
	assert_int_equal(gnutls_x509_crt_set_serial(out->crt, &serial, 1), 0);
	assert_int_equal(gnutls_x509_crt_set_dn(out->crt, dn, &bad), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(out->crt, now + from_s), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(out->crt, now + from_s + life_s), 0);
	assert_int_equal(gnutls_x509_crt_set_key(out->crt, out->key), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(out->crt, ca, -1), 0);
	assert_int_equal(gnutls_x509_crt_set_key_usage(out->crt, ca
			 ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
			 : GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
	if (purpose)
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(out->crt, purpose, 0), 0);
	if (!issuer)
		issuer = out;
	assert_int_equal(gnutls_x509_crt_sign2(out->crt, issuer->crt,
			 issuer->key, GNUTLS_DIG_SHA256, 0), 0);
}

static void id_free(struct id *i)
{
	gnutls_x509_crt_deinit(i->crt);
	gnutls_x509_privkey_deinit(i->key);
}

/* PEM of a certificate, in a static buffer of the caller's. */
static void pem(const struct id *i, char *out, size_t n)
{
	gnutls_datum_t d;

	assert_int_equal(gnutls_x509_crt_export2(i->crt, GNUTLS_X509_FMT_PEM, &d), 0);
	assert_true(d.size < n);
	memcpy(out, d.data, d.size);
	out[d.size] = '\0';
	gnutls_free(d.data);
}

/* ---- the world ---- */

static struct id rh_ca, client_ca, other_ca, server;
static struct id fp, fp_other, alice, bob_server_only, expired, stranger;
static char rh_pem[4096], client_pem[4096], other_pem[4096];

static int world_up(void **state)
{
	(void)state;
	mk(&rh_ca, "CN=front-proxy-ca", NULL, true, NULL, -60, 3600);
	mk(&client_ca, "CN=kubernetes-ca", NULL, true, NULL, -60, 3600);
	mk(&other_ca, "CN=someone-elses-ca", NULL, true, NULL, -60, 3600);
	mk(&server, "CN=flinkhpa-adapter", &client_ca, false, GNUTLS_KP_TLS_WWW_SERVER, -60, 3600);
	mk(&fp, "CN=front-proxy-client", &rh_ca, false, GNUTLS_KP_TLS_WWW_CLIENT, -60, 3600);
	mk(&fp_other, "CN=evil-proxy", &rh_ca, false, GNUTLS_KP_TLS_WWW_CLIENT, -60, 3600);
	/* (RFC 4514 strings list the RDNs last first: the certificate
	 * says CN=alice, O=dev, O=ops in that order) */
	mk(&alice, "O=ops,O=dev,CN=alice", &client_ca, false, GNUTLS_KP_TLS_WWW_CLIENT, -60, 3600);
	mk(&bob_server_only, "O=dev,CN=bob", &client_ca, false, GNUTLS_KP_TLS_WWW_SERVER, -60, 3600);
	mk(&expired, "CN=carol", &client_ca, false, GNUTLS_KP_TLS_WWW_CLIENT, -7200, 3600);
	mk(&stranger, "O=system:masters,CN=mallory", &other_ca, false, GNUTLS_KP_TLS_WWW_CLIENT, -60, 3600);
	pem(&rh_ca, rh_pem, sizeof(rh_pem));
	pem(&client_ca, client_pem, sizeof(client_pem));
	pem(&other_ca, other_pem, sizeof(other_pem));
	return 0;
}

static int world_down(void **state)
{
	struct id *all[] = { &rh_ca, &client_ca, &other_ca, &server, &fp,
			     &fp_other, &alice, &bob_server_only, &expired,
			     &stranger };

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		id_free(all[i]);
	return 0;
}

/* ---- a handshake: the client presents who (NULL: nothing) ---- */

struct peer {
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	int fd;
	int rc;
};

static void *client_side(void *arg)
{
	struct peer *p = arg;

	do
		p->rc = gnutls_handshake(p->s);
	while (p->rc < 0 && !gnutls_error_is_fatal(p->rc));
	return NULL;
}

static void peer_init(struct peer *p, int fd, unsigned flags, const struct id *who)
{
	p->fd = fd;
	assert_int_equal(gnutls_certificate_allocate_credentials(&p->cred), 0);
	if (who)
		assert_int_equal(gnutls_certificate_set_x509_key(p->cred,
				 (gnutls_x509_crt_t *)&who->crt, 1, who->key), 0);
	assert_int_equal(gnutls_init(&p->s, flags), 0);
	assert_int_equal(gnutls_set_default_priority(p->s), 0);
	assert_int_equal(gnutls_credentials_set(p->s, GNUTLS_CRD_CERTIFICATE, p->cred), 0);
	gnutls_transport_set_int(p->s, fd);
}

static void peer_free(struct peer *p)
{
	gnutls_deinit(p->s);
	gnutls_certificate_free_credentials(p->cred);
	close(p->fd);
}

/* headers: NULL-terminated name, value pairs */
static void each_header(void *src, authn_each_fn fn, void *ud)
{
	const char **h = src;

	for (; h && h[0]; h += 2)
		fn(ud, h[0], h[1]);
}

/* authn_identify for a client presenting who, with headers. */
static void identify(struct authn *a, const struct id *who, const char **hdrs,
		     struct authn_user *u)
{
	struct authn_headers h = { each_header, (void *)hdrs };
	struct peer srv, cli;
	pthread_t th;
	int sv[2], rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	peer_init(&srv, sv[0], GNUTLS_SERVER, &server);
	peer_init(&cli, sv[1], GNUTLS_CLIENT, who);
	gnutls_certificate_server_set_request(srv.s, GNUTLS_CERT_REQUEST);
	assert_int_equal(pthread_create(&th, NULL, client_side, &cli), 0);
	do
		rc = gnutls_handshake(srv.s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	pthread_join(th, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(cli.rc, 0);
	authn_identify(a, srv.s, &h, u);
	peer_free(&cli);
	peer_free(&srv);
}

static struct authn *authn_with(const char *rh, const char *client,
				const char *names)
{
	struct authn_cas cas = { rh, client, names };
	struct err e;
	struct authn *a;

	err_clear(&e);
	a = authn_new(&cas, &e);
	assert_non_null(a);
	return a;
}

static void assert_anonymous(const struct authn_user *u)
{
	assert_true(u->anonymous);
	assert_string_equal(u->name, "system:anonymous");
	assert_int_equal(u->ngroups, 1);
	assert_string_equal(u->groups[0], "system:unauthenticated");
	assert_string_equal(u->how, "anonymous");
	assert_int_equal(u->nextra, 0);
}

static const char *spoof[] = { "X-Remote-User", "admin", "X-Remote-Group",
			       "system:masters", NULL };

static void client_certificate(void **state)
{
	struct authn *a = authn_with(rh_pem, client_pem, "front-proxy-client");
	struct authn_user u;

	(void)state;
	identify(a, &alice, spoof, &u); /* the headers count for nothing */
	assert_false(u.anonymous);
	assert_string_equal(u.how, "client-certificate");
	assert_string_equal(u.name, "alice");
	assert_int_equal(u.ngroups, 3);
	assert_string_equal(u.groups[0], "dev");
	assert_string_equal(u.groups[1], "ops");
	assert_string_equal(u.groups[2], "system:authenticated");
	assert_int_equal(u.nextra, 0);
	authn_free(a);
}

static void front_proxy(void **state)
{
	struct authn *a = authn_with(rh_pem, client_pem, "front-proxy-client, other");
	const char *h[] = {
		"X-Remote-User", "system:serviceaccount:kube-system:hpa",
		"x-remote-group", "system:serviceaccounts",
		"X-Remote-Group", "system:serviceaccounts:kube-system",
		"X-Remote-User", "second-user-header-ignored",
		"X-Remote-Extra-Authentication.Kubernetes.Io%2fPod-Name", "hpa-0",
		"X-Remote-Extra-Scopes", "a",
		"X-Remote-Extra-Scopes", "b",
		"Accept", "application/json",
		NULL };
	struct authn_user u;

	(void)state;
	identify(a, &fp, h, &u);
	assert_false(u.anonymous);
	assert_string_equal(u.how, "front-proxy");
	assert_string_equal(u.name, "system:serviceaccount:kube-system:hpa");
	assert_int_equal(u.ngroups, 3);
	assert_string_equal(u.groups[0], "system:serviceaccounts");
	assert_string_equal(u.groups[1], "system:serviceaccounts:kube-system");
	assert_string_equal(u.groups[2], "system:authenticated");
	assert_int_equal(u.nextra, 3);
	assert_string_equal(u.extra_key[0], "authentication.kubernetes.io/pod-name");
	assert_string_equal(u.extra_val[0], "hpa-0");
	assert_string_equal(u.extra_key[1], "scopes");
	assert_string_equal(u.extra_val[1], "a");
	assert_string_equal(u.extra_key[2], "scopes");
	assert_string_equal(u.extra_val[2], "b");
	/* a CN of the same CA that is not allowed: anonymous */
	identify(a, &fp_other, h, &u);
	assert_anonymous(&u);
	/* the front proxy without a user header: no one (it is no client) */
	identify(a, &fp, (const char *[]){ "X-Remote-Group", "system:masters", NULL }, &u);
	assert_anonymous(&u);
	authn_free(a);
	/* no allowed names: any CN of the request-header CA */
	a = authn_with(rh_pem, client_pem, "");
	identify(a, &fp_other, spoof, &u);
	assert_string_equal(u.how, "front-proxy");
	assert_string_equal(u.name, "admin");
	authn_free(a);
}

static void anonymous(void **state)
{
	struct authn *a = authn_with(rh_pem, client_pem, "front-proxy-client");
	struct authn_headers h = { each_header, (void *)spoof };
	struct authn_user u;

	(void)state;
	identify(a, NULL, spoof, &u); /* no certificate */
	assert_anonymous(&u);
	identify(a, &stranger, spoof, &u); /* neither CA */
	assert_anonymous(&u);
	identify(a, &expired, NULL, &u);
	assert_anonymous(&u);
	identify(a, &bob_server_only, NULL, &u); /* not for client auth */
	assert_anonymous(&u);
	authn_identify(a, NULL, &h, &u); /* plain HTTP */
	assert_anonymous(&u);
	authn_free(a);
	/* no CAs at all: everyone is anonymous */
	a = authn_with(NULL, NULL, NULL);
	identify(a, &alice, spoof, &u);
	assert_anonymous(&u);
	identify(a, &fp, spoof, &u);
	assert_anonymous(&u);
	authn_free(a);
}

static void rotation(void **state)
{
	struct authn *a = authn_with(rh_pem, client_pem, "front-proxy-client");
	struct authn_cas cas = { other_pem, other_pem, "mallory" };
	struct authn_cas bad = { "not a certificate", NULL, NULL };
	struct authn_user u;
	struct err e;

	(void)state;
	identify(a, &fp, spoof, &u);
	assert_string_equal(u.name, "admin");
	err_clear(&e);
	assert_int_equal(authn_set_cas(a, &cas, &e), 0);
	identify(a, &fp, spoof, &u); /* the old request-header CA: gone */
	assert_anonymous(&u);
	identify(a, &alice, NULL, &u); /* the old client CA: gone */
	assert_anonymous(&u);
	/* the new CA: mallory's CN is allowed as the front proxy, and
	 * without user headers mallory is a client */
	identify(a, &stranger, spoof, &u);
	assert_string_equal(u.how, "front-proxy");
	assert_string_equal(u.name, "admin");
	identify(a, &stranger, NULL, &u);
	assert_string_equal(u.how, "client-certificate");
	assert_string_equal(u.name, "mallory");
	assert_string_equal(u.groups[0], "system:masters");
	/* a bundle without a certificate is refused, the CAs stay */
	err_clear(&e);
	assert_int_not_equal(authn_set_cas(a, &bad, &e), 0);
	assert_string_equal(e.msg, "the request-header CA: no PEM certificate in it");
	identify(a, &stranger, NULL, &u);
	assert_string_equal(u.name, "mallory");
	authn_free(a);
	err_clear(&e);
	assert_null(authn_new(&bad, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_certificate),
		cmocka_unit_test(front_proxy),
		cmocka_unit_test(anonymous),
		cmocka_unit_test(rotation),
	};

	if (gnutls_global_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, world_up, world_down);
}
