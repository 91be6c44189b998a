/*
 * revoke.h - ending one user's consent for one destination, the one way
 * both `cloudspoolctl revoke` (an admin) and the daemon (a user's own
 * `cloudspool revoke`, through authd) do it: the record is read (an
 * audited vault read, why "revocation"), its refresh token revoked at the
 * provider (RFC 7009) where the destination has a revoke_url, and the
 * record shredded whatever the provider answered: a provider that is down
 * must not keep the grant alive here. The caller writes the audit line.
 */
#ifndef CS_REVOKE_H
#define CS_REVOKE_H

#include <stddef.h>
#include <sys/types.h>
#include "config.h"
#include "result.h"
#include "vault.h"

/* cs_revoke_grant - revoke at the provider, then shred the record of
 * (uid, dest). *provider receives what the provider step came to
 * ("revoked", "no revoke_url", or why it failed; it may point into why).
 * Returns the deletion's result: CS_ERR_NOTFOUND when there was no
 * record (then the provider is not called). */
cs_result cs_revoke_grant(struct cs_vault *v, const struct cs_destination *d,
    uid_t uid, const char *user, const char **provider, char *why,
    size_t whylen);

#endif
