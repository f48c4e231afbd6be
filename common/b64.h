/*
 * b64.h - standard base64 (RFC 4648, with padding), as kubeconfig's
 * *-data fields and Kubernetes Secret data use it.
 */
#ifndef FH_B64_H
#define FH_B64_H

#include <stddef.h>

#include "common/buf.h"

/* Append the decoded bytes of s (whitespace ignored); ERR_INVAL when s is
 * not base64. */
int b64_decode(const char *s, struct buf *out);
int b64_encode(const void *data, size_t n, struct buf *out);

#endif
