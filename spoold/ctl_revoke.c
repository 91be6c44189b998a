/*
 * ctl_revoke.c - "cloudspoolctl revoke USER DESTINATION": an admin ends a
 * user's consent, the way lib/revoke.c does it (audited read, RFC 7009 at
 * the provider, record shredded whatever the provider said), audited
 * with the admin's name.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "consent.h"
#include "ctl.h"
#include "log.h"
#include "oauth.h"
#include "privs.h"
#include "revoke.h"
#include "safefile.h"
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
	const struct cs_destination *d;
	struct cs_vault v;
	char why[256] = "";
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
	if ((d = cs_consent_destination(&c->cfg, argv[1])) == NULL) {
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
	r = cs_revoke_grant(&v, d, uid, argv[0], &provider, why, sizeof(why));
	cs_vault_close(&v);
	close(tfd);
	if (r == CS_ERR_NOTFOUND) {
		cs_log(LOG_ERR, "%.64s has no token for %.64s", argv[0],
		    argv[1]);
		return 1;
	}
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
