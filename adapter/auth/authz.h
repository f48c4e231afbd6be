/*
 * authz.h - may this user do this request?  As Kubernetes extension API
 * servers delegate it: /healthz, /livez and /readyz are open to all; the
 * group system:masters may do anything; everyone else is decided by a
 * SubjectAccessReview sent to kube-apiserver, whose answer (allow or deny)
 * is cached for a while (10 s).
 *
 * Lookups never block: authz_lookup answers from the rules and the cache;
 * on a miss the caller parks the request and calls authz_request, whose
 * callback runs on the review thread when the answer is in the cache.
 */
#ifndef FH_AUTHZ_H
#define FH_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "adapter/auth/authn.h"
#include "adapter/kube/kube.h"

/* A request as Kubernetes authorization sees it (authorizer.Attributes):
 * filled by the API layer (api_attrs), read by the authorizer. */
struct authz_attrs {
	bool resource; /* false: non-resource (path + verb) */
	char verb[16];
	char ns[254];
	char group[64];
	char version[16];
	char resource_name[254]; /* "pods", "deployments", metric (external) */
	char subresource[254];   /* the metric (custom) */
	char name[254];
	const char *path;
};

enum authz_decision { AUTHZ_ALLOW, AUTHZ_DENY, AUTHZ_UNKNOWN };

struct authz;

/* k (SubjectAccessReviews) may be NULL: then only the open paths and
 * system:masters pass.  tk: the client for TokenReviews (NULL: k; both
 * NULL: tokens are not accepted). */
struct authz *authz_new(struct kube_client *k, struct kube_client *tk,
			int64_t ttl_ms, struct err *e);
/* Answer every parked request (denied) and stop the review thread. */
void authz_shutdown(struct authz *z);
void authz_free(struct authz *z); /* shuts down first; accepts NULL */

/* From the rules and the cache; AUTHZ_UNKNOWN: ask with authz_request.
 * reason (n bytes) gets the reviewer's words when denied. */
enum authz_decision authz_lookup(struct authz *z, const struct authn_user *u,
				 const struct authz_attrs *a, char *reason,
				 size_t n);

/* Queue a review; done(ud) runs once the cache has the answer (or the
 * review failed, or the authorizer shuts down). */
int authz_request(struct authz *z, const struct authn_user *u,
		  const struct authz_attrs *a, void (*done)(void *ud),
		  void *ud);

/* Bearer tokens (TokenReview), through the same thread and a cache of
 * their own: AUTHZ_ALLOW and *u filled when the token is known good,
 * AUTHZ_DENY when known bad, AUTHZ_UNKNOWN: ask with authz_token_request. */
enum authz_decision authz_token_lookup(struct authz *z, const char *token,
				       struct authn_user *u);
int authz_token_request(struct authz *z, const char *token,
			void (*done)(void *ud), void *ud);

/* Reviews sent to kube-apiserver so far (for tests and /metrics). */
uint64_t authz_reviews(struct authz *z);

/* The Status message of a denial, as kube-apiserver words it. */
void authz_forbidden_message(const struct authn_user *u,
			     const struct authz_attrs *a, const char *reason,
			     char *out, size_t n);

#endif
