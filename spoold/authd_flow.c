/*
 * authd_flow.c - the consent flow of cloudspool-authd, without HTTP:
 *
 * /authorize?t=TOKEN  the emailed link. Its SHA-256 names a request the
 *     daemon wrote; it must be unexpired and unused. Use is marked by
 *     creating STATE/used/<hash> with O_EXCL, which exactly one request
 *     can do (single use, also across restarts). A fresh state (256 bits)
 *     and PKCE verifier go to STATE/pending/<sha256(state)>, bound to the
 *     request's user, destination and link; the answer is a redirect to
 *     the destination's configured authorize_url, never anywhere else.
 * /callback?code&state  the state's file is claimed by renaming it into
 *     STATE/claimed/ (one rename wins: single use); an unknown state is
 *     forged, a claimed one replayed, an old one expired. The code is
 *     exchanged with the state's own verifier, so a code issued to another
 *     user's session fails at the provider (PKCE binds it). The tokens are
 *     sealed to the vault's public key with the link token as proof and
 *     dropped in SPOOL/grants/.
 * Every refusal is an event sealed to the daemon, which audits it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "authd.h"
#include "consent.h"
#include "log.h"
#include "oauth.h"
#include "safefile.h"
#include "secretfile.h"

#define AUTHD_SECRET_MAX 1024
#define AUTHD_STATE_MAX 4096

/* authd_event - an audit event, sealed to the daemon */
void
authd_event(struct authd *a, const char *event, const char *reason,
    const char *user, const char *destination, const char *remote)
{
	json_t *o;
	char *json;

	cs_log(LOG_NOTICE, "%s: %.200s (user %.64s, destination %.64s, from "
	    "%.64s)", event, reason ? reason : "-", user ? user : "-",
	    destination ? destination : "-", remote ? remote : "-");
	o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "kind", "event",
	    "event", event, "reason", reason, "user", user, "destination",
	    destination, "remote", remote);
	if (o == NULL || (json = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return;
	}
	json_decref(o);
	if (cs_grant_drop(a->grants_dirfd, a->vault_pk, json) != CS_OK)
		cs_log(LOG_ERR, "cannot drop event %s in grants/", event);
	free(json);
}

/* authd_fail - set a refusal answer */
static void
authd_fail(struct authd_answer *ans, unsigned status, enum authd_page page)
{
	ans->status = status;
	ans->page = page;
	ans->location = NULL;
}

/* authd_load_secrets - see authd.h */
cs_result
authd_load_secrets(struct authd *a, char *why, size_t whylen)
{
	char buf[AUTHD_SECRET_MAX];
	const char *file;
	size_t i;
	cs_result r;

	if (a->cfg.ndestinations == 0)
		return CS_OK;
	if ((a->client_secrets = calloc(a->cfg.ndestinations,
	    sizeof(*a->client_secrets))) == NULL)
		return CS_ERR_NOMEM;
	for (i = 0; i < a->cfg.ndestinations; i++) {
		file = cs_destination_get(&a->cfg.destinations[i],
		    "client_secret_file");
		if (file == NULL)
			continue;
		r = cs_secret_file_read(file, buf, sizeof(buf), why, whylen);
		if (r == CS_OK && (a->client_secrets[i] = strdup(buf)) == NULL)
			r = CS_ERR_NOMEM;
		cs_wipe(buf, sizeof(buf));
		if (r != CS_OK)
			return r;
	}
	return CS_OK;
}

/* authd_free_secrets - wipe and free what authd_load_secrets read */
void
authd_free_secrets(struct authd *a)
{
	size_t i;

	if (a->client_secrets == NULL)
		return;
	for (i = 0; i < a->cfg.ndestinations; i++)
		if (a->client_secrets[i] != NULL)
			cs_free_secret(a->client_secrets[i]);
	free(a->client_secrets);
	a->client_secrets = NULL;
}

/* authd_client - see authd.h */
cs_result
authd_client(struct authd *a, const char *name, struct cs_oauth_client *c,
    char *secret, size_t cap, char *redirect, size_t rcap)
{
	const struct cs_destination *d = NULL;
	const char *known = NULL;
	size_t i;

	for (i = 0; i < a->cfg.ndestinations; i++)
		if (strcmp(a->cfg.destinations[i].name, name) == 0) {
			d = &a->cfg.destinations[i];
			known = a->client_secrets != NULL ?
			    a->client_secrets[i] : NULL;
		}
	if (d == NULL || cs_destination_get(d, "token_url") == NULL)
		return CS_ERR_NOTFOUND;
	memset(c, 0, sizeof(*c));
	c->client_id = cs_destination_get(d, "client_id");
	c->authorize_url = cs_destination_get(d, "authorize_url");
	c->token_url = cs_destination_get(d, "token_url");
	c->device_url = cs_destination_get(d, "device_url");
	c->scope = cs_destination_get(d, "scope");
	c->extra_params = cs_destination_get(d, "auth_params");
	c->ca_file = cs_destination_get(d, "ca_file");
	(void)snprintf(redirect, rcap, "%s/callback", a->cfg.auth.callback_url);
	c->redirect_uri = redirect;
	secret[0] = '\0';
	if (known != NULL) {
		if (strlen(known) >= cap)
			return CS_ERR_TOOBIG;
		memcpy(secret, known, strlen(known) + 1);
		c->client_secret = secret;
	}
	return CS_OK;
}

/* authd_mark_used - create used/<hash>; CS_ERR_EXISTS when it was */
static cs_result
authd_mark_used(struct authd *a, const char *hash)
{
	cs_result r;
	int fd;

	if ((r = cs_safe_create(a->used_dirfd, hash, 0600, &fd)) != CS_OK)
		return r;
	close(fd);
	return cs_fsync_dir(a->used_dirfd);
}

/* authd_new_state - state and verifier, stored under pending/ */
static cs_result
authd_new_state(struct authd *a, const char *link,
    const struct cs_consent_req *req, char state[CS_LINK_TOKEN_LEN + 1],
    char verifier[CS_PKCE_VERIFIER_LEN + 1])
{
	char hash[CS_LINK_HASH_HEX + 1], *json;
	json_t *o;
	cs_result r;

	if ((r = cs_consent_token_new(state, hash)) != CS_OK ||
	    (r = cs_pkce_verifier(verifier)) != CS_OK)
		return r;
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "verifier", verifier,
	    "link", link, "user", req->user, "uid", (json_int_t)req->uid,
	    "destination", req->destination, "expires_at",
	    (json_int_t)(a->now() + a->state_lifetime));
	if (o == NULL || (json = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return CS_ERR_NOMEM;
	}
	json_decref(o);
	r = cs_write_file_atomic(a->pending_dirfd, hash, json, strlen(json),
	    0600);
	cs_free_secret(json);
	return r;
}

/* authd_authorize - the emailed link */
void
authd_authorize(struct authd *a, const char *token, const char *remote,
    struct authd_answer *ans)
{
	char hash[CS_LINK_HASH_HEX + 1], state[CS_LINK_TOKEN_LEN + 1];
	char verifier[CS_PKCE_VERIFIER_LEN + 1], challenge[CS_PKCE_CHALLENGE_LEN
	    + 1], secret[AUTHD_SECRET_MAX], redirect[512];
	struct cs_consent_req req;
	struct cs_oauth_client c;
	cs_result r;

	/* a used link says so, even after the daemon has removed its
	 * request (it does once the consent is stored) */
	if (cs_consent_hash_hex(token, hash) == CS_OK &&
	    faccessat(a->used_dirfd, hash, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		authd_event(a, "consent-refused", "link already used (replay)",
		    NULL, NULL, remote);
		authd_fail(ans, 409, AUTHD_PAGE_LINK_USED);
		return;
	}
	if (cs_consent_hash_hex(token, hash) != CS_OK ||
	    cs_consent_request_read(a->consent_dirfd, hash, &req) != CS_OK) {
		authd_event(a, "consent-refused", "unknown or malformed link",
		    NULL, NULL, remote);
		authd_fail(ans, 404, AUTHD_PAGE_BAD_LINK);
		return;
	}
	if (a->now() >= req.expires_at) {
		authd_event(a, "consent-refused", "link expired", req.user,
		    req.destination, remote);
		authd_fail(ans, 410, AUTHD_PAGE_LINK_EXPIRED);
		return;
	}
	if ((r = authd_mark_used(a, hash)) != CS_OK) {
		authd_event(a, "consent-refused", r == CS_ERR_EXISTS ?
		    "link already used (replay)" : "cannot record link use",
		    req.user, req.destination, remote);
		authd_fail(ans, r == CS_ERR_EXISTS ? 409 : 500, r ==
		    CS_ERR_EXISTS ? AUTHD_PAGE_LINK_USED : AUTHD_PAGE_FAILED);
		return;
	}
	if (authd_client(a, req.destination, &c, secret, sizeof(secret),
	    redirect, sizeof(redirect)) != CS_OK ||
	    authd_new_state(a, token, &req, state, verifier) != CS_OK ||
	    cs_pkce_challenge(verifier, challenge) != CS_OK ||
	    cs_oauth_authorize_url(&c, state, challenge, &ans->location) !=
	    CS_OK) {
		cs_wipe(secret, sizeof(secret));
		cs_wipe(verifier, sizeof(verifier));
		authd_event(a, "consent-failed", "destination not configured "
		    "for consent, or state not stored", req.user,
		    req.destination, remote);
		authd_fail(ans, 500, AUTHD_PAGE_FAILED);
		return;
	}
	cs_wipe(secret, sizeof(secret));
	cs_wipe(verifier, sizeof(verifier));
	authd_event(a, "consent-link-opened", NULL, req.user, req.destination,
	    remote);
	ans->status = 302;
	ans->page = AUTHD_PAGE_REDIRECT;
}

/* authd_claim_state - move pending/<hash> to claimed/<hash> and read it */
static enum authd_page
authd_claim_state(struct authd *a, const char *state, json_t **out)
{
	char hash[CS_LINK_HASH_HEX + 1], buf[AUTHD_STATE_MAX + 1];
	size_t len;

	*out = NULL;
	if (cs_consent_hash_hex(state, hash) != CS_OK)
		return AUTHD_PAGE_BAD_STATE;
	if (renameat2(a->pending_dirfd, hash, a->claimed_dirfd, hash,
	    RENAME_NOREPLACE) < 0) {
		if (errno == ENOENT && faccessat(a->claimed_dirfd, hash, F_OK,
		    AT_SYMLINK_NOFOLLOW) == 0)
			return AUTHD_PAGE_STATE_USED;
		return errno == EEXIST ? AUTHD_PAGE_STATE_USED :
		    AUTHD_PAGE_BAD_STATE;
	}
	(void)cs_fsync_dir(a->claimed_dirfd);
	if (cs_read_small_file(a->claimed_dirfd, hash, buf, AUTHD_STATE_MAX,
	    &len) != CS_OK ||
	    (*out = json_loadb(buf, len, 0, NULL)) == NULL) {
		cs_wipe(buf, sizeof(buf));
		return AUTHD_PAGE_FAILED;
	}
	cs_wipe(buf, sizeof(buf));
	/* the verifier is spent: keep only the claim, as replay evidence */
	(void)cs_write_file_atomic(a->claimed_dirfd, hash, "{}", 2, 0600);
	return AUTHD_PAGE_DONE;
}

/* authd_drop_grant - seal the tokens with the link as proof */
static cs_result
authd_drop_grant(struct authd *a, json_t *st, const struct cs_token *t)
{
	char *tok_json, *json;
	json_t *o;
	cs_result r;

	if ((r = cs_token_to_json(t, &tok_json)) != CS_OK)
		return r;
	o = json_pack("{s:s, s:O, s:O, s:O, s:O, s:o}", "kind", "grant",
	    "link", json_object_get(st, "link"), "user",
	    json_object_get(st, "user"), "uid", json_object_get(st, "uid"),
	    "destination", json_object_get(st, "destination"), "token",
	    json_loads(tok_json, 0, NULL));
	cs_free_secret(tok_json);
	if (o == NULL || (json = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return CS_ERR_NOMEM;
	}
	json_decref(o);
	r = cs_grant_drop(a->grants_dirfd, a->vault_pk, json);
	cs_free_secret(json);
	return r;
}

/* authd_callback - the provider sends the user back here */
void
authd_callback(struct authd *a, const char *code, const char *state,
    const char *error, const char *remote, struct authd_answer *ans)
{
	char secret[AUTHD_SECRET_MAX], redirect[512], why[256];
	const char *user, *dest, *verifier;
	struct cs_oauth_client c;
	struct cs_token t;
	enum authd_page p;
	json_t *st;
	cs_result r;

	p = authd_claim_state(a, state, &st);
	if (p != AUTHD_PAGE_DONE) {
		authd_event(a, "consent-refused", p == AUTHD_PAGE_STATE_USED ?
		    "state already used (replay)" : p == AUTHD_PAGE_BAD_STATE ?
		    "unknown state (forged)" : "state unreadable", NULL, NULL,
		    remote);
		authd_fail(ans, p == AUTHD_PAGE_FAILED ? 500 : p ==
		    AUTHD_PAGE_STATE_USED ? 409 : 400, p);
		return;
	}
	user = json_string_value(json_object_get(st, "user"));
	dest = json_string_value(json_object_get(st, "destination"));
	verifier = json_string_value(json_object_get(st, "verifier"));
	if (a->now() >= json_integer_value(json_object_get(st, "expires_at"))) {
		authd_event(a, "consent-refused", "state expired", user, dest,
		    remote);
		authd_fail(ans, 410, AUTHD_PAGE_STATE_EXPIRED);
	} else if (error != NULL || code == NULL) {
		authd_event(a, "consent-declined", error ? "provider said "
		    "error (e.g. access_denied)" : "no code", user, dest,
		    remote);
		authd_fail(ans, 403, AUTHD_PAGE_DECLINED);
	} else if (user == NULL || dest == NULL || verifier == NULL ||
	    authd_client(a, dest, &c, secret, sizeof(secret), redirect,
	    sizeof(redirect)) != CS_OK) {
		authd_event(a, "consent-failed", "state or destination "
		    "unusable", user, dest, remote);
		authd_fail(ans, 500, AUTHD_PAGE_FAILED);
	} else {
		r = cs_oauth_exchange(&c, code, verifier, a->now(), &t, why,
		    sizeof(why));
		cs_wipe(secret, sizeof(secret));
		if (r == CS_OK)
			r = authd_drop_grant(a, st, &t);
		cs_token_free(&t);
		if (r != CS_OK) {
			authd_event(a, "consent-failed", why[0] ? why :
			    cs_strerror(r), user, dest, remote);
			authd_fail(ans, 400, AUTHD_PAGE_FAILED);
		} else {
			ans->status = 200;
			ans->page = AUTHD_PAGE_DONE;
			ans->location = NULL;
		}
	}
	if (verifier != NULL)
		cs_wipe((char *)(uintptr_t)verifier, strlen(verifier));
	json_decref(st);
}
