/*
 * certwatch.h - the serving certificate reload: a thread that looks at the
 * certificate and key files every period and, when either changed (and
 * both can be read), hands their new contents to a callback (the daemon
 * passes httpd_set_cert), as kube-apiserver's dynamic serving certificates
 * do for a cert-manager or kubelet rotation.  A reload that fails is
 * logged and the old certificate stays.
 */
#ifndef FH_CERTWATCH_H
#define FH_CERTWATCH_H

#include <stdint.h>

#include "common/err.h"

/* Serve with cert and key (PEM, NUL-terminated); non-zero and e filled
 * when they are refused. */
typedef int (*certwatch_fn)(void *ud, const char *cert, const char *key,
			    struct err *e);

struct certwatch;

/* File names are copied; period_ms: between looks (> 0). */
struct certwatch *certwatch_new(const char *cert_file, const char *key_file,
				int64_t period_ms, certwatch_fn fn, void *ud,
				struct err *e);
/* The thread: certwatch_start starts it (ERR_STATE when running, ERR_IO
 * when it cannot); certwatch_stop wakes and joins it (accepts NULL and a
 * stopped watch; it can start again). */
int certwatch_start(struct certwatch *w, struct err *e);
void certwatch_stop(struct certwatch *w);
void certwatch_free(struct certwatch *w); /* stops first; accepts NULL */

/* One look, on the calling thread (tests): 1 reloaded, 0 unchanged,
 * negative when the reload failed. */
int certwatch_check(struct certwatch *w, struct err *e);

#endif
