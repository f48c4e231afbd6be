/*
 * tlsgen.c - self-signed serving certificate with GnuTLS (see tlsgen.h).
 */
#include "adapter/serve/tlsgen.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

static int tg_export(struct buf *out, int (*fn)(void *, gnutls_x509_crt_fmt_t,
						gnutls_datum_t *),
		     void *obj)
{
	gnutls_datum_t d = { NULL, 0 };
	int rc;

	if (fn(obj, GNUTLS_X509_FMT_PEM, &d) < 0)
		return ERR_IO;
	rc = buf_add(out, d.data, d.size);
	gnutls_free(d.data);
	return rc;
}

static int tg_crt_export(void *c, gnutls_x509_crt_fmt_t f, gnutls_datum_t *d)
{
	return gnutls_x509_crt_export2(c, f, d);
}

static int tg_key_export(void *k, gnutls_x509_crt_fmt_t f, gnutls_datum_t *d)
{
	return gnutls_x509_privkey_export2(k, f, d);
}

static int tg_fill(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
		   const char *extra_dns)
{
	static const char *dns[] = { "localhost", "flinkhpa-adapter",
				     "flinkhpa-adapter.flinkhpa-system.svc" };
	unsigned char serial[16];
	unsigned char lo[4] = { 127, 0, 0, 1 };
	time_t now = time(NULL);
	int rc = 0;

	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;
	rc |= gnutls_x509_crt_set_version(crt, 3);
	rc |= gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	rc |= gnutls_x509_crt_set_activation_time(crt, now - 3600);
	rc |= gnutls_x509_crt_set_expiration_time(crt, now + 365 * 86400);
	rc |= gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					    "flinkhpa-adapter", 16);
	for (size_t i = 0; i < 3; i++)
		rc |= gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_DNSNAME, dns[i], (unsigned)strlen(dns[i]),
			GNUTLS_FSAN_APPEND);
	if (extra_dns && *extra_dns)
		rc |= gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_DNSNAME, extra_dns,
			(unsigned)strlen(extra_dns), GNUTLS_FSAN_APPEND);
	rc |= gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo,
						   4, GNUTLS_FSAN_APPEND);
	rc |= gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	rc |= gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	rc |= gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	rc |= gnutls_x509_crt_set_key(crt, key);
	if (rc)
		return ERR_IO;
	return gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0
		       ? ERR_IO : 0;
}

int tlsgen_self_signed(const char *extra_dns, struct buf *cert,
		       struct buf *key, struct err *e)
{
	gnutls_x509_privkey_t k = NULL;
	gnutls_x509_crt_t c = NULL;
	int rc = ERR_IO;

	if (gnutls_x509_privkey_init(&k) < 0)
		goto out;
	if (gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
					 0) < 0)
		goto out_key;
	if (gnutls_x509_crt_init(&c) < 0)
		goto out_key;
	rc = tg_fill(c, k, extra_dns);
	if (!rc)
		rc = tg_export(cert, tg_crt_export, c);
	if (!rc)
		rc = tg_export(key, tg_key_export, k);
	gnutls_x509_crt_deinit(c);
out_key:
	gnutls_x509_privkey_deinit(k);
out:
	return rc ? err_set(e, rc, "cannot make a self-signed certificate")
		  : 0;
}
