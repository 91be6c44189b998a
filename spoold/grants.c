/*
 * grants.c - the daemon's side of consent: the vault (opened at start),
 * grants dropped by authd (opened, checked against the request they
 * answer, stored), events from authd (audited into the one chain), and
 * the token read every delivery makes (audited; when due, a refresh is
 * started in a child (refresh.c) and the job waits for it).
 *
 * A grant is accepted only with the link token of a live request the
 * daemon itself wrote for that same uid, user and destination, so even a
 * compromised authd can attach tokens only to links users really opened.
 * A device grant (`cloudspool authorize`) has no link: it is bound to the
 * uid authd read with SO_PEERCRED and accepted only for a destination
 * with a device_url (doc/ARCHITECTURE.md weighs that). A revoke request
 * (`cloudspool revoke`) revokes and shreds that uid's own record.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "consent.h"
#include "daemon.h"
#include "log.h"
#include "oauth.h"
#include "privs.h"
#include "safefile.h"

#define GRANTS_REFRESH_MARGIN 60	/* refresh tokens this close to expiry */

/* grants_on_read - the vault's audit hook: every read is a line */
static void
grants_on_read(void *arg, uid_t uid, const char *user, const char *dest,
    const char *reason, const char *job, cs_result r)
{
	struct cs_daemon *d = arg;

	daemon_audit_job(d, "vault-read", job, json_pack("{s:I, s:o, s:s, "
	    "s:s, s:s}", "uid", (json_int_t)uid, "user", cs_audit_str(user, 64),
	    "destination", dest, "why", reason, "result", cs_strerror(r)));
}

/* grants_subdir - open (making it if absent) SPOOL/name */
static cs_result
grants_subdir(struct cs_daemon *d, const char *name, mode_t mode, int *fd)
{
	if (mkdirat(d->sp.root, name, mode) < 0 && errno != EEXIST)
		return cs_errno_result(errno);
	return cs_safe_open_dir(d->sp.root, name, fd);
}

/* grants_read_pin - the PKCS#11 PIN file's first line */
static cs_result
grants_read_pin(const char *path, char *pin, size_t cap)
{
	size_t len;
	cs_result r;

	if ((r = cs_read_small_file(AT_FDCWD, path, pin, cap - 1, &len)) !=
	    CS_OK)
		return r;
	pin[len] = '\0';
	pin[strcspn(pin, "\r\n")] = '\0';
	return CS_OK;
}

/* grants_vault_open - the key file, or the wrapped key in PKCS#11 */
static cs_result
grants_vault_open(struct cs_daemon *d, char *err, size_t errlen)
{
	const struct cs_auth_config *ac = &d->cfg.auth;
	char pin[256] = "";
	cs_result r;
	int kfd = d->sp.dir[CS_DIR_KEYS];

	if (ac->pkcs11_url != NULL) {
		if (ac->pkcs11_pin_file != NULL && grants_read_pin(
		    ac->pkcs11_pin_file, pin, sizeof(pin)) != CS_OK) {
			(void)snprintf(err, errlen, "cannot read pkcs11_pin_file");
			return CS_ERR_CONFIG;
		}
		r = cs_vault_open_p11(&d->vault, d->tokens_dirfd, kfd,
		    "vault.wrapped", ac->pkcs11_url, pin[0] ? pin : NULL, err,
		    errlen);
		cs_wipe(pin, sizeof(pin));
		return r;
	}
	if (ac->vault_key != NULL)
		r = cs_vault_open_file(&d->vault, d->tokens_dirfd, AT_FDCWD,
		    ac->vault_key);
	else if (faccessat(kfd, "vault.wrapped", F_OK, AT_SYMLINK_NOFOLLOW) ==
	    0 && faccessat(kfd, CS_VAULT_KEY_FILE, F_OK, AT_SYMLINK_NOFOLLOW) <
	    0) {
		/* after `cloudspoolctl vault-wrap` and before the config says
		 * pkcs11_url: a new key here would orphan every record */
		(void)snprintf(err, errlen, "keys/vault.wrapped exists: set "
		    "pkcs11_url (and pkcs11_pin_file) in [authorization]");
		return CS_ERR_CONFIG;
	} else {
		r = cs_vault_key_create(kfd, CS_VAULT_KEY_FILE);
		if (r == CS_OK || r == CS_ERR_EXISTS)
			r = cs_vault_open_file(&d->vault, d->tokens_dirfd, kfd,
			    CS_VAULT_KEY_FILE);
	}
	if (r != CS_OK)
		(void)snprintf(err, errlen, "vault key: %s", cs_strerror(r));
	return r;
}

/* consent_open - see daemon.h */
cs_result
consent_open(struct cs_daemon *d, char *err, size_t errlen)
{
	cs_result r;

	d->tokens_dirfd = d->consent_dirfd = d->grants_dirfd = -1;
	if (!d->cfg.auth.present)
		return CS_OK;
	/* consent/ and grants/ get their group (authd's) from authd, which
	 * starts as root; made here too so the daemon can start first */
	if ((r = grants_subdir(d, "tokens", 0700, &d->tokens_dirfd)) != CS_OK ||
	    (r = grants_subdir(d, "consent", 0750, &d->consent_dirfd)) !=
	    CS_OK ||
	    (r = grants_subdir(d, "grants", 0770, &d->grants_dirfd)) != CS_OK) {
		(void)snprintf(err, errlen, "consent folders: %s",
		    cs_strerror(r));
		return r;
	}
	if ((r = grants_vault_open(d, err, errlen)) != CS_OK)
		return r;
	d->vault.tokens_dirfd = d->tokens_dirfd;
	d->vault.on_read = grants_on_read;
	d->vault.on_read_arg = d;
	/* A public key, readable by all who may enter consent/ (its group
	 * is authd's). Not group-readable only: when the daemon starts
	 * before authd first ran, consent/ has no setgid bit yet, the file
	 * gets the daemon's group, and authd could not read it (seen in CI).
	 * The umask would take the bits off: fchmodat sets them. */
	if ((r = cs_vault_publish(&d->vault, d->consent_dirfd,
	    CS_VAULT_PUB_FILE, 0644)) != CS_OK ||
	    (fchmodat(d->consent_dirfd, CS_VAULT_PUB_FILE, 0644, 0) < 0 &&
	    (r = cs_errno_result(errno)) != CS_OK)) {
		(void)snprintf(err, errlen, "consent/%s: %s", CS_VAULT_PUB_FILE,
		    cs_strerror(r));
		return r;
	}
	d->consent_on = 1;
	return CS_OK;
}

/* consent_close - see daemon.h */
void
consent_close(struct cs_daemon *d)
{
	cs_vault_close(&d->vault);
	if (d->tokens_dirfd >= 0)
		close(d->tokens_dirfd);
	if (d->consent_dirfd >= 0)
		close(d->consent_dirfd);
	if (d->grants_dirfd >= 0)
		close(d->grants_dirfd);
	d->consent_on = 0;
}

/* grants_event - an authd event, into the audit chain */
static void
grants_event(struct cs_daemon *d, json_t *o)
{
	const char *ev = json_string_value(json_object_get(o, "event"));
	const char *keys[] = { "reason", "user", "destination", "remote" };
	json_t *f = json_pack("{s:s}", "source", "authd");
	char name[64];
	size_t i;

	(void)snprintf(name, sizeof(name), "%.40s", ev ? ev : "authd-event");
	/* only events authd may send: a name outside its set is recorded
	 * under a neutral name, never as one of the daemon's own */
	if (strncmp(name, "consent-", 8) != 0)
		(void)snprintf(name, sizeof(name), "authd-event");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_is_string(json_object_get(o, keys[i])))
			json_object_set_new(f, keys[i], cs_audit_str(
			    json_string_value(json_object_get(o, keys[i])), 200));
	daemon_audit_job(d, name, NULL, f);
}

/* grants_store - a token object into the vault as (uid, user, dest) */
static const char *
grants_store(struct cs_daemon *d, uint32_t uid, const char *user,
    const char *dest, json_t *tok)
{
	struct cs_token t;
	char *tjson;
	cs_result r;

	if ((tjson = json_dumps(tok, JSON_COMPACT)) == NULL)
		return "no token";
	r = cs_token_from_json(tjson, strlen(tjson), &t);
	cs_token_free(&t);
	if (r == CS_OK)
		r = cs_vault_put(&d->vault, uid, user, dest,
		    (const uint8_t *)tjson, strlen(tjson));
	cs_free_secret(tjson);
	if (r != CS_OK)
		return "token unusable or vault write failed";
	/* a refresh of the old grant still running must not touch this one */
	refresh_forget(d, uid, dest);
	return NULL;
}

/* grants_accept - check a grant against its request, store the token */
static const char *
grants_accept(struct cs_daemon *d, const struct cs_grant_msg *m)
{
	char hash[CS_LINK_HASH_HEX + 1];
	struct cs_consent_req req;
	const char *why;

	if (cs_consent_hash_hex(m->link, hash) != CS_OK ||
	    cs_consent_request_read(d->consent_dirfd, hash, &req) != CS_OK)
		return "no such consent request";
	if (strcmp(m->user, req.user) != 0 ||
	    strcmp(m->destination, req.destination) != 0 || m->uid != req.uid)
		return "grant does not match its request's user and destination";
	if (d->now >= req.expires_at)
		return "consent request expired";
	if ((why = grants_store(d, req.uid, req.user, req.destination,
	    m->token)) != NULL)
		return why;
	(void)cs_shred(d->consent_dirfd, hash);
	daemon_audit_job(d, "granted", NULL, json_pack("{s:I, s:o, s:s, s:s}",
	    "uid", (json_int_t)req.uid, "user", cs_audit_str(req.user, 64),
	    "destination", req.destination, "via", "link"));
	return NULL;
}

/* grants_device_destination - dest when it offers the device grant */
static const struct cs_destination *
grants_device_destination(struct cs_daemon *d, const char *dest)
{
	const struct cs_destination *ds = cs_consent_destination(&d->cfg, dest);

	return ds != NULL && cs_destination_get(ds, "device_url") != NULL ?
	    ds : NULL;
}

/* grants_device - a device grant: bound to the uid authd saw on its
 * socket; only for destinations that offer the device grant */
static const char *
grants_device(struct cs_daemon *d, const struct cs_grant_msg *m)
{
	char user[256], hash[CS_LINK_HASH_HEX + 1];
	const char *why;

	if (grants_device_destination(d, m->destination) == NULL)
		return "device grant for a destination without device_url";
	if (cs_user_name(m->uid, user, sizeof(user)) != CS_OK)
		return "device grant for a uid with no user";
	if (!cs_consent_user_may_send(&d->cfg, m->destination, user))
		return "device grant for a destination no action of the "
		    "user's sends to";
	if ((why = grants_store(d, m->uid, user, m->destination, m->token)) !=
	    NULL)
		return why;
	/* a link emailed for this pair has nothing left to do */
	if (cs_consent_request_find(d->consent_dirfd, m->uid, m->destination,
	    d->now, hash) == CS_OK)
		(void)cs_shred(d->consent_dirfd, hash);
	daemon_audit_job(d, "granted", NULL, json_pack("{s:I, s:o, s:s, s:s}",
	    "uid", (json_int_t)m->uid, "user", cs_audit_str(user, 64),
	    "destination", m->destination, "via", "device"));
	return NULL;
}

/* grants_revoke - a user's own revocation: the record is read (audited,
 * why "revocation") and shredded at once, here; the provider's RFC 7009
 * revocation of its refresh token runs in a child like a refresh (the
 * daemon speaks no HTTP), audited token-revoked-at-provider when done */
static const char *
grants_revoke(struct cs_daemon *d, const struct cs_grant_msg *m)
{
	const struct cs_destination *ds;
	const char *provider = "no revoke_url";
	char user[256], why[256] = "";
	uint8_t *data = NULL;
	size_t len = 0;
	cs_result r, rr;

	if ((ds = cs_consent_destination(&d->cfg, m->destination)) == NULL)
		return "revoke request for a destination that needs no consent";
	if (cs_user_name(m->uid, user, sizeof(user)) != CS_OK)
		return "revoke request for a uid with no user";
	rr = cs_vault_get(&d->vault, m->uid, user, m->destination,
	    "revocation", NULL, &data, &len);
	/* shredded whatever the provider will say: a provider that is down
	 * must not keep the grant alive here */
	r = cs_vault_delete(&d->vault, m->uid, m->destination);
	if (r == CS_ERR_NOTFOUND)
		provider = "not called: no record";
	else if (rr != CS_OK)
		provider = "not called: the record did not open";
	else if (cs_destination_get(ds, "revoke_url") != NULL) {
		provider = refresh_start_revoke(d, m->uid, user,
		    m->destination, data, len, why, sizeof(why)) == CS_OK ?
		    "requested" : why;
	}
	if (data != NULL) {
		cs_wipe(data, len);
		free(data);
	}
	daemon_audit_job(d, "token-revoked", NULL, json_pack("{s:I, s:o, "
	    "s:s, s:s, s:s, s:s}", "uid", (json_int_t)m->uid, "user",
	    cs_audit_str(user, 64), "destination", m->destination, "by",
	    "user", "provider", provider, "result", cs_strerror(r)));
	return NULL;
}

/* grants_one - open one grant file, act on it, shred it */
static void
grants_one(struct cs_daemon *d, const char *name)
{
	uint8_t *buf;
	size_t len;
	char *json = NULL;
	const char *why = NULL;
	struct cs_grant_msg m;
	json_t *o = NULL;

	if ((buf = malloc(CS_GRANT_MAX + 1)) == NULL)
		return;
	if (cs_read_small_file(d->grants_dirfd, name, buf, CS_GRANT_MAX,
	    &len) != CS_OK)
		why = "unreadable grant file";
	else if (cs_grant_open(d->vault.sk, buf, len, &json) != CS_OK)
		why = "grant does not open with the vault key";
	else if ((o = json_loads(json, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		why = "grant is not JSON";
	free(buf);
	if (why == NULL && cs_grant_parse(o, &m, &why) == CS_OK) {
		if (m.kind == CS_GRANT_EVENT)
			grants_event(d, o);
		else if (m.kind == CS_GRANT_LINK)
			why = grants_accept(d, &m);
		else if (m.kind == CS_GRANT_DEVICE)
			why = grants_device(d, &m);
		else
			why = grants_revoke(d, &m);
	}
	if (why != NULL)
		daemon_audit_job(d, "grant-refused", NULL, json_pack("{s:s, "
		    "s:s}", "file", name, "reason", why));
	json_decref(o);
	if (json != NULL)
		cs_free_secret(json);
	if (cs_shred(d->grants_dirfd, name) != CS_OK)
		cs_log(LOG_ERR, "cannot remove grants/%s", name);
}

/* grants_pickup - see daemon.h */
void
grants_pickup(struct cs_daemon *d)
{
	char **names;
	size_t n, i;

	if (!d->consent_on || dir_list(d->grants_dirfd, &names, &n) != CS_OK)
		return;
	for (i = 0; i < n; i++)
		if (cs_grant_name_ok(names[i]))
			grants_one(d, names[i]);
	dir_list_free(names, n);
}

/* vault_token_stale - see daemon.h */
void
vault_token_stale(struct cs_daemon *d, uint32_t uid, const char *dest,
    const char *job)
{
	char user[256], *json = NULL;
	struct cs_token t;
	uint8_t *data;
	size_t len;

	if (!d->consent_on || cs_user_name(uid, user, sizeof(user)) != CS_OK ||
	    cs_vault_get(&d->vault, uid, user, dest, "the provider refused "
	    "the access token: mark it for refresh", job, &data, &len) != CS_OK)
		return;
	if (cs_token_from_json((const char *)data, len, &t) == CS_OK) {
		/* expired: the next read refreshes it before any upload */
		t.expires_at = 1;
		if (cs_token_to_json(&t, &json) == CS_OK) {
			(void)cs_vault_update(&d->vault, uid, user, dest,
			    (const uint8_t *)json, strlen(json));
			cs_free_secret(json);
		}
		cs_token_free(&t);
	}
	cs_wipe(data, len);
	free(data);
}

/* vault_token_for_job - see daemon.h */
cs_result
vault_token_for_job(struct cs_daemon *d, uint32_t uid, const char *dest,
    const char *job, char **access_token, char *why, size_t whylen)
{
	char user[256];
	struct cs_token t;
	uint8_t *data;
	size_t len;
	int fresh;
	cs_result r;

	*access_token = NULL;
	why[0] = '\0';
	if (!d->consent_on)
		return CS_ERR_CONFIG;
	/* a refresh running, or one that just failed: answered without a
	 * vault read (and its audit line) on every pass */
	if ((r = refresh_check(d, uid, dest, &fresh, why, whylen)) != CS_OK)
		return r;
	if ((r = cs_user_name(uid, user, sizeof(user))) != CS_OK)
		return r;
	r = cs_vault_get(&d->vault, uid, user, dest, "delivery", job, &data,
	    &len);
	if (r != CS_OK)
		return r;
	r = cs_token_from_json((const char *)data, len, &t);
	/* due: refreshed by a child (refresh.c), the job waits for it. A
	 * token the provider has just issued is used while it is valid,
	 * even inside the margin (some live less than the margin). */
	if (r == CS_OK && t.expires_at != 0 &&
	    t.expires_at - d->now < GRANTS_REFRESH_MARGIN &&
	    !(fresh && t.expires_at > d->now)) {
		r = refresh_start(d, uid, user, dest, job, data, len, why,
		    whylen);
		if (r == CS_OK) {
			(void)snprintf(why, whylen, "token refresh started");
			r = CS_ERR_BUSY;
		}
	}
	cs_wipe(data, len);
	free(data);
	if (r == CS_OK && (*access_token = strdup(t.access_token)) == NULL)
		r = CS_ERR_NOMEM;
	cs_token_free(&t);
	return r;
}
