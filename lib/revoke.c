/*
 * revoke.c - one user's consent for one destination ended (revoke.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "oauth.h"
#include "revoke.h"
#include "safefile.h"
#include "secretfile.h"

#define REVOKE_SECRET_MAX 1024

/* revoke_client - d's OAuth client for revocation; secret gets the
 * client secret (wipe it after use) */
static void
revoke_client(const struct cs_destination *d, struct cs_oauth_client *oc,
    char *secret, size_t cap)
{
	const char *file;
	char why[512];

	memset(oc, 0, sizeof(*oc));
	oc->client_id = cs_destination_get(d, "client_id");
	oc->revoke_url = cs_destination_get(d, "revoke_url");
	oc->ca_file = cs_destination_get(d, "ca_file");
	secret[0] = '\0';
	/* the record is shredded whatever the provider says: a secret file
	 * that is missing or badly protected only costs the revocation there
	 * (the provider's answer, in the audit line, names the failure) */
	if ((file = cs_destination_get(d, "client_secret_file")) != NULL &&
	    cs_secret_file_read(file, secret, cap, why, sizeof(why)) == CS_OK)
		oc->client_secret = secret;
}

/* revoke_at_provider - RFC 7009 with the stored token; a result text */
static const char *
revoke_at_provider(struct cs_vault *v, uid_t uid, const char *user,
    const char *dest, const struct cs_oauth_client *oc, char *why,
    size_t whylen)
{
	struct cs_token t;
	uint8_t *data;
	size_t len;
	cs_result r;

	if (oc->revoke_url == NULL)
		return "no revoke_url";
	if ((r = cs_vault_get(v, uid, user, dest, "revocation", NULL, &data,
	    &len)) != CS_OK) {
		(void)snprintf(why, whylen, "record unreadable: %s",
		    cs_strerror(r));
		return why;
	}
	r = cs_token_from_json((const char *)data, len, &t);
	cs_wipe(data, len);
	free(data);
	if (r == CS_OK) {
		r = cs_oauth_revoke(oc, &t, why, whylen);
		cs_token_free(&t);
	}
	return r == CS_OK ? "revoked" : why;
}

/* cs_revoke_grant - see revoke.h */
cs_result
cs_revoke_grant(struct cs_vault *v, const struct cs_destination *d,
    uid_t uid, const char *user, const char **provider, char *why,
    size_t whylen)
{
	struct cs_oauth_client oc;
	char secret[REVOKE_SECRET_MAX];

	*provider = "not called: no record";
	if (!cs_vault_has(v, uid, d->name))
		return CS_ERR_NOTFOUND;
	revoke_client(d, &oc, secret, sizeof(secret));
	*provider = revoke_at_provider(v, uid, user, d->name, &oc, why,
	    whylen);
	cs_wipe(secret, sizeof(secret));
	return cs_vault_delete(v, uid, d->name);
}
