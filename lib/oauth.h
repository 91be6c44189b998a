/*
 * oauth.h - the OAuth 2.0 client side cloudspool needs: PKCE (RFC 7636,
 * S256 only), the authorization URL, the code exchange, refresh with
 * rotated refresh tokens kept, revocation (RFC 7009) and the device grant
 * (RFC 8628), over libcurl with the project's TLS policy (tls.h).
 *
 * Knows nothing of the spool or the vault: tokens go in and out as
 * struct cs_token, and as JSON for whoever stores them. Every string in a
 * cs_token is a secret: cs_token_free wipes it.
 */
#ifndef CS_OAUTH_H
#define CS_OAUTH_H

#include <stddef.h>
#include <stdint.h>
#include "result.h"

#define CS_PKCE_VERIFIER_LEN 64		/* 48 random bytes, base64url */
#define CS_PKCE_CHALLENGE_LEN 43	/* base64url(SHA-256), no padding */
#define CS_OAUTH_REPLY_MAX (64 * 1024)	/* a token endpoint's whole answer */

/* One client registration at one provider (a destination's keys). */
struct cs_oauth_client {
	const char *client_id;
	const char *client_secret;	/* NULL: public client (PKCE only) */
	const char *authorize_url;
	const char *token_url;
	const char *revoke_url;		/* NULL: no revocation endpoint */
	const char *device_url;		/* NULL: no device grant */
	const char *scope;		/* space-separated, least privilege */
	const char *redirect_uri;	/* <callback_base>/callback */
	const char *extra_params;	/* appended to the authorize URL as is,
					 * e.g. "access_type=offline&prompt=consent"
					 * for Google; NULL for none */
	const char *ca_file;		/* NULL: the system store */
};

struct cs_token {
	char *access_token;
	char *refresh_token;		/* NULL when the provider gave none */
	char *token_type;
	char *scope;
	int64_t expires_at;		/* 0: the provider did not say */
};

/* The device grant's first answer (RFC 8628 section 3.2). */
struct cs_device_auth {
	char *device_code;
	char *user_code;
	char *verification_uri;		/* Google calls it verification_url */
	char *verification_uri_complete;	/* may be NULL */
	int64_t expires_at;
	unsigned interval;		/* seconds between polls */
};

/* cs_b64url - base64url without padding; out needs (4n+2)/3 + 1 bytes;
 * CS_ERR_TOOBIG when cap is short */
cs_result cs_b64url(const uint8_t *in, size_t n, char *out, size_t cap);

/* cs_pkce_verifier - a fresh verifier, 64 characters of [A-Za-z0-9-_] */
cs_result cs_pkce_verifier(char out[CS_PKCE_VERIFIER_LEN + 1]);

/* cs_pkce_challenge - S256: base64url(SHA-256(ASCII(verifier))); refuses
 * a verifier outside RFC 7636's 43-128 unreserved characters */
cs_result cs_pkce_challenge(const char *verifier,
    char out[CS_PKCE_CHALLENGE_LEN + 1]);

/* cs_oauth_authorize_url - the provider's authorization URL for the code
 * flow with PKCE; *out is malloc'd. Every value is percent-encoded. */
cs_result cs_oauth_authorize_url(const struct cs_oauth_client *c,
    const char *state, const char *challenge, char **out);

/* cs_oauth_parse_token - a token endpoint's answer (status and body) into
 * t. CS_ERR_REVOKED for error=invalid_grant, CS_ERR_TEMP for 5xx, 429 and
 * authorization_pending/slow_down (why names which), CS_ERR_AUTH for any
 * other OAuth error, CS_ERR_FORMAT for a body that is not a token. */
cs_result cs_oauth_parse_token(long status, const char *body, int64_t now,
    struct cs_token *t, char *why, size_t whylen);

/* cs_oauth_exchange - trade an authorization code (with its PKCE
 * verifier) for tokens */
cs_result cs_oauth_exchange(const struct cs_oauth_client *c, const char *code,
    const char *verifier, int64_t now, struct cs_token *t, char *why,
    size_t whylen);

/* cs_oauth_refresh - new access token for old->refresh_token into t; when
 * the provider sends no new refresh token the old one is kept (RFC 6749
 * section 6); CS_ERR_REVOKED when the grant is gone */
cs_result cs_oauth_refresh(const struct cs_oauth_client *c,
    const struct cs_token *old, int64_t now, struct cs_token *t, char *why,
    size_t whylen);

/* cs_oauth_revoke - RFC 7009: revoke the refresh token (or the access
 * token when there is none); CS_ERR_NOTFOUND when no revoke_url */
cs_result cs_oauth_revoke(const struct cs_oauth_client *c,
    const struct cs_token *t, char *why, size_t whylen);

/* cs_oauth_device_start - RFC 8628 device authorization request */
cs_result cs_oauth_device_start(const struct cs_oauth_client *c, int64_t now,
    struct cs_device_auth *dev, char *why, size_t whylen);

/* cs_oauth_parse_device - the device authorization answer into dev */
cs_result cs_oauth_parse_device(long status, const char *body, int64_t now,
    struct cs_device_auth *dev, char *why, size_t whylen);

/* cs_oauth_device_poll - one poll of the token endpoint: CS_OK with t,
 * CS_ERR_TEMP while pending (dev->interval grows by 5 s on slow_down),
 * CS_ERR_PERM on access_denied/authorization_declined, CS_ERR_REVOKED on
 * expired_token */
cs_result cs_oauth_device_poll(const struct cs_oauth_client *c,
    struct cs_device_auth *dev, int64_t now, struct cs_token *t, char *why,
    size_t whylen);

/* cs_token_to_json - serialize (malloc'd, NUL-terminated; wipe then free) */
cs_result cs_token_to_json(const struct cs_token *t, char **out);

/* cs_token_from_json - parse what cs_token_to_json wrote */
cs_result cs_token_from_json(const char *json, size_t len, struct cs_token *t);

/* cs_token_free - wipe and free every member */
void cs_token_free(struct cs_token *t);

/* cs_device_auth_free - free every member */
void cs_device_auth_free(struct cs_device_auth *dev);

/* cs_json_wipe - overwrite every string inside a jansson value in place
 * (tokens and client secrets pass through jansson's private copies) */
struct json_t;
void cs_json_wipe(struct json_t *v);

/* cs_free_secret - wipe a NUL-terminated string, then free it */
void cs_free_secret(char *s);

#endif
