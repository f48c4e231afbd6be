/*
 * tlsgen.h - a self-signed serving certificate for when no
 * --tls-cert-file/--tls-private-key-file is given (as Kubernetes extension
 * API servers do): ECDSA P-256, valid one year, subject CN flinkhpa-adapter,
 * DNS names localhost, flinkhpa-adapter, flinkhpa-adapter.flinkhpa-system.svc
 * and the given extra name, IP 127.0.0.1.
 */
#ifndef FH_TLSGEN_H
#define FH_TLSGEN_H

#include "common/buf.h"
#include "common/err.h"

/* PEM text of the certificate and of its key into cert and key. */
int tlsgen_self_signed(const char *extra_dns, struct buf *cert,
		       struct buf *key, struct err *e);

#endif
