/*
 * up_refresh.c - cloudspool-upload's "refresh" operation: one OAuth 2.0
 * refresh_token grant at a destination's token endpoint, done for the
 * daemon, which holds the spool keys and so speaks no HTTP or TLS itself.
 *
 * The daemon sends one request on the control socket (never argv or the
 * environment: it carries the refresh token and the client secret):
 *
 *   {"op":"refresh","destination":D,"now":T,
 *    "client":{"client_id":..,"token_url":..,"ca_file":..|null},
 *    "secrets":{"client_secret":..}, "token":{what the vault holds}}
 *
 * and gets exactly one answer: {"type":"token","token":{...}} (the new
 * token as cs_token_to_json writes it; the old refresh token kept when
 * the provider did not rotate it) or {"type":"fail","class":C,
 * "reason":R} with C "revoked" (invalid_grant: the grant is gone),
 * "temporary" (5xx, 429, network) or "refused" (TLS/certificate refused,
 * other OAuth errors, an answer that is not a token). The daemon stores
 * the token; this process writes nothing anywhere.
 *
 * {"op":"revoke"} takes the same request (client.revoke_url added) and
 * revokes the token's refresh token there (RFC 7009, after the daemon
 * shredded the record, for a user's `cloudspool revoke`): the answer is
 * {"type":"revoked"} or a "fail" as above.
 *
 * "now" is the daemon's clock: expires_at is computed with it, so both
 * agree even when the daemon's wall clock is not the kernel's (tests run
 * it under libfaketime; this process gets an empty environment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <curl/curl.h>

#include "crypto.h"
#include "oauth.h"
#include "upload.h"

/* up_refresh_str - a string member of o, or NULL */
static const char *
up_refresh_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* up_refresh_class - the answer's class for a cs_oauth_refresh result */
static const char *
up_refresh_class(cs_result r)
{
	switch (r) {
	case CS_ERR_REVOKED:
		return "revoked";
	case CS_ERR_TEMP:
	case CS_ERR_NOMEM:
		return "temporary";
	default:
		return "refused";
	}
}

/* up_refresh_answer - the token, or the failure, as the one message */
static cs_result
up_refresh_answer(cs_result r, const struct cs_token *nt, const char *why)
{
	json_t *msg = NULL, *tok = NULL;
	char *json = NULL;
	cs_result sr;

	if (r == CS_OK && nt != NULL &&
	    (r = cs_token_to_json(nt, &json)) == CS_OK) {
		tok = json_loads(json, 0, NULL);
		cs_free_secret(json);
		if (tok == NULL)
			r = CS_ERR_NOMEM;
	}
	if (r == CS_OK && nt == NULL)
		msg = json_pack("{s:s}", "type", "revoked");
	else if (r == CS_OK)
		msg = json_pack("{s:s, s:o}", "type", "token", "token", tok);
	else
		msg = json_pack("{s:s, s:s, s:s}", "type", "fail", "class",
		    up_refresh_class(r), "reason", why[0] != '\0' ? why :
		    cs_strerror(r));
	if (msg == NULL)
		return CS_ERR_NOMEM;
	sr = up_ctl_send(UP_CTL_FD, msg);
	cs_json_wipe(json_object_get(msg, "token"));
	json_decref(msg);
	return sr;
}

/* up_refresh_run - see upload.h */
int
up_refresh_run(json_t *req)
{
	json_t *cl = json_object_get(req, "client"), *now_v;
	struct cs_oauth_client c;
	struct cs_token old, nt;
	char why[512] = "", *tjson;
	cs_result r;
	int revoke;

	memset(&c, 0, sizeof(c));
	memset(&nt, 0, sizeof(nt));
	c.client_id = up_refresh_str(cl, "client_id");
	c.token_url = up_refresh_str(cl, "token_url");
	c.revoke_url = up_refresh_str(cl, "revoke_url");
	revoke = strcmp(up_refresh_str(req, "op"), "revoke") == 0;
	c.ca_file = up_refresh_str(cl, "ca_file");
	c.client_secret = up_refresh_str(json_object_get(req, "secrets"),
	    "client_secret");
	now_v = json_object_get(req, "now");
	if (c.client_id == NULL || c.token_url == NULL ||
	    (revoke && c.revoke_url == NULL) ||
	    !json_is_integer(now_v) || !json_is_object(json_object_get(req,
	    "token"))) {
		fprintf(stderr, "cloudspool-upload: refresh request needs "
		    "client.client_id, client.token_url (and revoke_url to "
		    "revoke), now and token\n");
		return EX_USAGE;
	}
	if ((tjson = json_dumps(json_object_get(req, "token"),
	    JSON_COMPACT)) == NULL)
		return EX_SOFTWARE;
	r = cs_token_from_json(tjson, strlen(tjson), &old);
	cs_free_secret(tjson);
	if (r != CS_OK) {
		fprintf(stderr, "cloudspool-upload: refresh request: the token "
		    "is not a token (%s)\n", cs_strerror(r));
		return EX_USAGE;
	}
	if (up_sandbox_enter(c.ca_file, why, sizeof(why)) != CS_OK) {
		fprintf(stderr, "cloudspool-upload: %s\n", why);
		cs_token_free(&old);
		return EX_OSERR;
	}
	why[0] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "cloudspool-upload: cannot initialise "
		    "libcurl\n");
		cs_token_free(&old);
		return EX_SOFTWARE;
	}
	if (revoke)
		r = cs_oauth_revoke(&c, &old, why, sizeof(why));
	else
		r = cs_oauth_refresh(&c, &old,
		    (int64_t)json_integer_value(now_v), &nt, why, sizeof(why));
	cs_token_free(&old);
	/* the reason is one line: a server's text may hold newlines */
	why[strcspn(why, "\r\n")] = '\0';
	if (up_refresh_answer(r, revoke ? NULL : &nt, why) != CS_OK) {
		fprintf(stderr, "cloudspool-upload: cannot send the refresh "
		    "answer\n");
		cs_token_free(&nt);
		return EX_IOERR;
	}
	cs_token_free(&nt);
	return 0;
}
