/*
 * ctl_revoke.c - "cloudspoolctl revoke USER DESTINATION": an admin ends a
 * user's consent. The record is read (audited, reason "revocation"), its
 * refresh token revoked at the provider (RFC 7009) where the destination
 * has a revoke_url, and the record shredded whatever the provider said: a
 * provider that is down must not keep the grant alive here.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "oauth.h"
#include "privs.h"
#include "safefile.h"
#include "secretfile.h"
#include "vault.h"

/* revoke_vault_open - the daemon's vault key, file or PKCS#11 */
static cs_result
revoke_vault_open(struct ctl *c, struct cs_vault *v, int tokens_dirfd)
{
	const struct cs_auth_config *ac = &c->cfg.auth;
	char pin[256] = "", why[256] = "";
	size_t len;
	cs_result r;

	if (ac->pkcs11_url != NULL) {
		if (ac->pkcs11_pin_file != NULL && cs_read_small_file(AT_FDCWD,
		    ac->pkcs11_pin_file, pin, sizeof(pin) - 1, &len) == CS_OK) {
			pin[len] = '\0';
			pin[strcspn(pin, "\r\n")] = '\0';
		}
		r = cs_vault_open_p11(v, tokens_dirfd, c->sp.dir[CS_DIR_KEYS],
		    "vault.wrapped", ac->pkcs11_url, pin[0] ? pin : NULL, why,
		    sizeof(why));
		cs_wipe(pin, sizeof(pin));
		if (r != CS_OK)
			cs_log(LOG_ERR, "%s", why);
		return r;
	}
	if (ac->vault_key != NULL)
		return cs_vault_open_file(v, tokens_dirfd, AT_FDCWD,
		    ac->vault_key);
	return cs_vault_open_file(v, tokens_dirfd, c->sp.dir[CS_DIR_KEYS],
	    CS_VAULT_KEY_FILE);
}

/* revoke_client - the destination's OAuth client; NULL when unknown */
static const struct cs_destination *
revoke_client(struct ctl *c, const char *dest, struct cs_oauth_client *oc,
    char *secret, size_t cap)
{
	const struct cs_destination *d = NULL;
	const char *file;
	char why[512];
	size_t i;

	for (i = 0; i < c->cfg.ndestinations; i++)
		if (strcmp(c->cfg.destinations[i].name, dest) == 0)
			d = &c->cfg.destinations[i];
	if (d == NULL || cs_destination_get(d, "token_url") == NULL)
		return NULL;
	memset(oc, 0, sizeof(*oc));
	oc->client_id = cs_destination_get(d, "client_id");
	oc->revoke_url = cs_destination_get(d, "revoke_url");
	oc->ca_file = cs_destination_get(d, "ca_file");
	secret[0] = '\0';
	if ((file = cs_destination_get(d, "client_secret_file")) != NULL) {
		/* the record is shredded whatever happens at the provider:
		 * a bad secret file only costs the provider's revocation */
		if (cs_secret_file_read(file, secret, cap, why, sizeof(why)) ==
		    CS_OK)
			oc->client_secret = secret;
		else
			cs_log(LOG_WARNING, "%s", why);
	}
	return d;
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

/* revoke_on_read - the vault's audit hook */
static void
revoke_on_read(void *arg, uid_t uid, const char *user, const char *dest,
    const char *reason, const char *job, cs_result r)
{
	(void)job;
	(void)ctl_audit_event(arg, "vault-read", json_pack("{s:I, s:s, s:s, "
	    "s:s, s:s}", "uid", (json_int_t)uid, "user", user, "destination",
	    dest, "why", reason, "result", cs_strerror(r)));
}

/* ctl_revoke - "revoke USER DESTINATION" */
int
ctl_revoke(struct ctl *c, int argc, char **argv)
{
	struct cs_oauth_client oc;
	struct cs_vault v;
	char secret[1024], why[256] = "";
	const char *provider;
	uid_t uid;
	gid_t gid;
	cs_result r;
	int tfd;

	if (argc != 2)
		return ctl_usage();
	if (cs_lookup_user(argv[0], &uid, &gid) != CS_OK) {
		cs_log(LOG_ERR, "no user %.64s", argv[0]);
		return EX_NOUSER;
	}
	if (revoke_client(c, argv[1], &oc, secret, sizeof(secret)) == NULL) {
		cs_log(LOG_ERR, "no destination %.64s that needs consent",
		    argv[1]);
		return EX_USAGE;
	}
	if (cs_safe_open_dir(c->sp.root, "tokens", &tfd) != CS_OK) {
		cs_log(LOG_ERR, "no tokens/ folder: consent never ran here");
		return EX_UNAVAILABLE;
	}
	if ((r = revoke_vault_open(c, &v, tfd)) != CS_OK) {
		close(tfd);
		cs_log(LOG_ERR, "vault key: %s", cs_strerror(r));
		return ctl_exit_code(r);
	}
	v.on_read = revoke_on_read;
	v.on_read_arg = c;
	if (!cs_vault_has(&v, uid, argv[1])) {
		cs_vault_close(&v);
		close(tfd);
		cs_log(LOG_ERR, "%.64s has no token for %.64s", argv[0],
		    argv[1]);
		return 1;
	}
	provider = revoke_at_provider(&v, uid, argv[0], argv[1], &oc, why,
	    sizeof(why));
	cs_wipe(secret, sizeof(secret));
	r = cs_vault_delete(&v, uid, argv[1]);
	cs_vault_close(&v);
	close(tfd);
	(void)ctl_audit_event(c, "token-revoked", json_pack("{s:I, s:s, s:s, "
	    "s:s, s:s}", "uid", (json_int_t)uid, "user", argv[0],
	    "destination", argv[1], "provider", provider, "result",
	    cs_strerror(r)));
	if (r != CS_OK) {
		cs_log(LOG_ERR, "delete: %s", cs_strerror(r));
		return ctl_exit_code(r);
	}
	printf("revoked %s's token for %s (provider: %s)\n", argv[0], argv[1],
	    provider);
	return EX_OK;
}
