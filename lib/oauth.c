/*
 * oauth.c - the parts of OAuth 2.0 that need no network: PKCE, the
 * authorization URL, reading token and device answers, and tokens as JSON.
 * The requests themselves are in oauth_http.c.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "crypto.h"
#include "oauth.h"

static const char oauth_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* cs_b64url - base64url without padding */
cs_result
cs_b64url(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	uint32_t v;

	if (cap < (n * 4 + 2) / 3 + 1)
		return CS_ERR_TOOBIG;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = oauth_b64url_alphabet[v >> 18 & 63];
		out[o++] = oauth_b64url_alphabet[v >> 12 & 63];
		out[o++] = oauth_b64url_alphabet[v >> 6 & 63];
		out[o++] = oauth_b64url_alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = oauth_b64url_alphabet[v >> 18 & 63];
		out[o++] = oauth_b64url_alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = oauth_b64url_alphabet[v >> 18 & 63];
		out[o++] = oauth_b64url_alphabet[v >> 12 & 63];
		out[o++] = oauth_b64url_alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return CS_OK;
}

/* cs_pkce_verifier - 48 random bytes, base64url: 384 bits, 64 characters */
cs_result
cs_pkce_verifier(char out[CS_PKCE_VERIFIER_LEN + 1])
{
	uint8_t raw[48];
	cs_result r;

	if ((r = cs_random(raw, sizeof(raw))) == CS_OK)
		r = cs_b64url(raw, sizeof(raw), out, CS_PKCE_VERIFIER_LEN + 1);
	cs_wipe(raw, sizeof(raw));
	return r;
}

/* cs_pkce_challenge - S256 of a verifier that RFC 7636 section 4.1 allows */
cs_result
cs_pkce_challenge(const char *verifier, char out[CS_PKCE_CHALLENGE_LEN + 1])
{
	static const char unreserved[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~";
	uint8_t h[CS_HASH_LEN];
	size_t len = strlen(verifier);

	if (len < 43 || len > 128 || strspn(verifier, unreserved) != len)
		return CS_ERR_INVAL;
	cs_sha256((const uint8_t *)verifier, len, h);
	return cs_b64url(h, sizeof(h), out, CS_PKCE_CHALLENGE_LEN + 1);
}

/* oauth_append - append "&name=escaped(value)" (no '&' when first) */
static int
oauth_append(char **buf, size_t *len, const char *sep, const char *name,
    const char *value)
{
	char *esc, *grown;
	size_t add;

	if ((esc = curl_easy_escape(NULL, value, 0)) == NULL)
		return -1;
	add = strlen(sep) + strlen(name) + 1 + strlen(esc);
	if ((grown = realloc(*buf, *len + add + 1)) == NULL) {
		curl_free(esc);
		return -1;
	}
	*buf = grown;
	(void)snprintf(grown + *len, add + 1, "%s%s=%s", sep, name, esc);
	*len += add;
	curl_free(esc);
	return 0;
}

/* cs_oauth_authorize_url - authorize_url plus the code-flow parameters */
cs_result
cs_oauth_authorize_url(const struct cs_oauth_client *c, const char *state,
    const char *challenge, char **out)
{
	char *buf;
	size_t len;
	int bad;

	*out = NULL;
	if (c->authorize_url == NULL || c->client_id == NULL ||
	    c->redirect_uri == NULL || state == NULL || challenge == NULL)
		return CS_ERR_INVAL;
	len = strlen(c->authorize_url);
	if ((buf = strdup(c->authorize_url)) == NULL)
		return CS_ERR_NOMEM;
	/* the configured URL may carry a query of its own */
	bad = oauth_append(&buf, &len, strchr(buf, '?') ? "&" : "?",
	    "response_type", "code") ||
	    oauth_append(&buf, &len, "&", "client_id", c->client_id) ||
	    oauth_append(&buf, &len, "&", "redirect_uri", c->redirect_uri) ||
	    (c->scope != NULL &&
	    oauth_append(&buf, &len, "&", "scope", c->scope)) ||
	    oauth_append(&buf, &len, "&", "state", state) ||
	    oauth_append(&buf, &len, "&", "code_challenge", challenge) ||
	    oauth_append(&buf, &len, "&", "code_challenge_method", "S256");
	if (!bad && c->extra_params != NULL && *c->extra_params != '\0') {
		char *grown = realloc(buf, len + strlen(c->extra_params) + 2);

		if (grown == NULL)
			bad = 1;
		else {
			buf = grown;
			(void)snprintf(buf + len, strlen(c->extra_params) + 2,
			    "&%s", c->extra_params);
		}
	}
	if (bad) {
		free(buf);
		return CS_ERR_NOMEM;
	}
	*out = buf;
	return CS_OK;
}

/* oauth_dup - strdup of a JSON string member, NULL when absent */
static int
oauth_dup(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	return (*out = strdup(json_string_value(v))) == NULL ? -1 : 0;
}

/* oauth_error - map an OAuth error answer to a result, say why */
static cs_result
oauth_error(long status, json_t *o, char *why, size_t whylen)
{
	const char *err = json_string_value(json_object_get(o, "error"));
	const char *desc = json_string_value(json_object_get(o,
	    "error_description"));

	if (err == NULL) {
		(void)snprintf(why, whylen, "HTTP %ld without an OAuth error",
		    status);
		return status >= 500 || status == 429 ? CS_ERR_TEMP :
		    CS_ERR_FORMAT;
	}
	/* provider text is untrusted: capped, and never echoed to users */
	(void)snprintf(why, whylen, "%.40s%s%.120s", err, desc ? ": " : "",
	    desc ? desc : "");
	if (strcmp(err, "invalid_grant") == 0 ||
	    strcmp(err, "expired_token") == 0)
		return CS_ERR_REVOKED;
	if (strcmp(err, "authorization_pending") == 0 ||
	    strcmp(err, "slow_down") == 0 ||
	    strcmp(err, "temporarily_unavailable") == 0 ||
	    strcmp(err, "server_error") == 0)
		return CS_ERR_TEMP;
	if (strcmp(err, "access_denied") == 0 ||
	    strcmp(err, "authorization_declined") == 0)
		return CS_ERR_PERM;
	return CS_ERR_AUTH;
}

/* cs_oauth_parse_token - see oauth.h */
cs_result
cs_oauth_parse_token(long status, const char *body, int64_t now,
    struct cs_token *t, char *why, size_t whylen)
{
	json_t *o, *exp;
	cs_result r = CS_OK;

	memset(t, 0, sizeof(*t));
	if (whylen > 0)
		why[0] = '\0';
	o = json_loads(body != NULL ? body : "", JSON_REJECT_DUPLICATES, NULL);
	if (o == NULL || !json_is_object(o)) {
		(void)snprintf(why, whylen, "HTTP %ld, not a JSON object",
		    status);
		json_decref(o);
		return status >= 500 || status == 429 ? CS_ERR_TEMP :
		    CS_ERR_FORMAT;
	}
	if (status != 200 || json_object_get(o, "error") != NULL) {
		r = oauth_error(status, o, why, whylen);
		json_decref(o);
		return r;
	}
	exp = json_object_get(o, "expires_in");
	if (oauth_dup(o, "access_token", &t->access_token) ||
	    oauth_dup(o, "refresh_token", &t->refresh_token) ||
	    oauth_dup(o, "token_type", &t->token_type) ||
	    oauth_dup(o, "scope", &t->scope) || t->access_token == NULL ||
	    *t->access_token == '\0' || (exp != NULL && !json_is_integer(exp))) {
		(void)snprintf(why, whylen, "token answer without a usable "
		    "access_token");
		r = CS_ERR_FORMAT;
	} else if (t->token_type != NULL &&
	    strcasecmp(t->token_type, "bearer") != 0) {
		(void)snprintf(why, whylen, "token_type %.40s is not bearer",
		    t->token_type);
		r = CS_ERR_FORMAT;
	} else if (exp != NULL && json_integer_value(exp) > 0)
		t->expires_at = now + json_integer_value(exp);
	json_decref(o);
	if (r != CS_OK)
		cs_token_free(t);
	return r;
}

/* cs_oauth_parse_device - RFC 8628 section 3.2 (and Google's alias) */
cs_result
cs_oauth_parse_device(long status, const char *body, int64_t now,
    struct cs_device_auth *dev, char *why, size_t whylen)
{
	json_t *o, *v;
	cs_result r = CS_OK;

	memset(dev, 0, sizeof(*dev));
	o = json_loads(body != NULL ? body : "", JSON_REJECT_DUPLICATES, NULL);
	if (o == NULL || !json_is_object(o)) {
		(void)snprintf(why, whylen, "HTTP %ld, not a JSON object",
		    status);
		json_decref(o);
		return CS_ERR_FORMAT;
	}
	if (status != 200 || json_object_get(o, "error") != NULL) {
		r = oauth_error(status, o, why, whylen);
		json_decref(o);
		return r;
	}
	if (oauth_dup(o, "device_code", &dev->device_code) ||
	    oauth_dup(o, "user_code", &dev->user_code) ||
	    oauth_dup(o, "verification_uri", &dev->verification_uri) ||
	    oauth_dup(o, "verification_uri_complete",
	    &dev->verification_uri_complete))
		r = CS_ERR_FORMAT;
	if (r == CS_OK && dev->verification_uri == NULL &&
	    oauth_dup(o, "verification_url", &dev->verification_uri))
		r = CS_ERR_FORMAT;
	if (r == CS_OK && (dev->device_code == NULL || dev->user_code == NULL ||
	    dev->verification_uri == NULL))
		r = CS_ERR_FORMAT;
	v = json_object_get(o, "interval");
	dev->interval = json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) < 3600 ? (unsigned)json_integer_value(v) : 5;
	v = json_object_get(o, "expires_in");
	dev->expires_at = now + (json_is_integer(v) &&
	    json_integer_value(v) > 0 ? json_integer_value(v) : 900);
	json_decref(o);
	if (r != CS_OK) {
		(void)snprintf(why, whylen, "device authorization answer lacks "
		    "device_code, user_code or verification_uri");
		cs_device_auth_free(dev);
	}
	return r;
}

/* cs_token_to_json - the vault's plaintext form of a token */
cs_result
cs_token_to_json(const struct cs_token *t, char **out)
{
	json_t *o;

	o = json_pack("{s:s, s:s?, s:s?, s:s?, s:I}", "access_token",
	    t->access_token, "refresh_token", t->refresh_token, "token_type",
	    t->token_type, "scope", t->scope, "expires_at",
	    (json_int_t)t->expires_at);
	if (o == NULL)
		return CS_ERR_INVAL;
	*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return *out != NULL ? CS_OK : CS_ERR_NOMEM;
}

/* cs_token_from_json - parse what cs_token_to_json wrote */
cs_result
cs_token_from_json(const char *json, size_t len, struct cs_token *t)
{
	json_t *o, *exp;
	cs_result r = CS_OK;

	memset(t, 0, sizeof(*t));
	if ((o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return CS_ERR_FORMAT;
	exp = json_object_get(o, "expires_at");
	if (oauth_dup(o, "access_token", &t->access_token) ||
	    oauth_dup(o, "refresh_token", &t->refresh_token) ||
	    oauth_dup(o, "token_type", &t->token_type) ||
	    oauth_dup(o, "scope", &t->scope) || t->access_token == NULL ||
	    !json_is_integer(exp))
		r = CS_ERR_FORMAT;
	else
		t->expires_at = json_integer_value(exp);
	json_decref(o);
	if (r != CS_OK)
		cs_token_free(t);
	return r;
}

/* cs_json_wipe - see oauth.h */
void
cs_json_wipe(json_t *v)
{
	const char *key;
	json_t *m;

	if (json_is_string(v)) {
		/* jansson owns a private copy; wiping it in place is safe */
		cs_wipe((char *)json_string_value(v), json_string_length(v));
		return;
	}
	json_object_foreach(v, key, m)
		cs_json_wipe(m);
}

/* cs_free_secret - wipe, then free */
void
cs_free_secret(char *s)
{
	if (s == NULL)
		return;
	cs_wipe(s, strlen(s));
	free(s);
}

/* cs_token_free - wipe and free every member */
void
cs_token_free(struct cs_token *t)
{
	cs_free_secret(t->access_token);
	cs_free_secret(t->refresh_token);
	free(t->token_type);
	free(t->scope);
	memset(t, 0, sizeof(*t));
}

/* cs_device_auth_free - free every member */
void
cs_device_auth_free(struct cs_device_auth *dev)
{
	cs_free_secret(dev->device_code);
	free(dev->user_code);
	free(dev->verification_uri);
	free(dev->verification_uri_complete);
	memset(dev, 0, sizeof(*dev));
}
