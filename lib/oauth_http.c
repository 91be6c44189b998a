/*
 * oauth_http.c - the OAuth requests: code exchange, refresh, revocation,
 * device authorization and device polling. Each is one form POST over
 * libcurl with the TLS policy (https only, certificate verified, TLS 1.2+
 * forward-secret AEAD), a capped answer, and a client secret sent in the
 * body (client_secret_post), never in a URL or a log.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS_TLS_WITH_CURL
#include "crypto.h"
#include "oauth.h"
#include "tls.h"

#define OAUTH_TIMEOUT_S 30L

struct oauth_buf {
	char *p;
	size_t len;
	int over;
};

/* oauth_write - curl write callback: keep at most CS_OAUTH_REPLY_MAX */
static size_t
oauth_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct oauth_buf *b = arg;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n > CS_OAUTH_REPLY_MAX) {
		b->over = 1;
		return 0;
	}
	if ((grown = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	b->p = grown;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* oauth_form - "k=v&k=v" from pairs (NULL value: skipped); wipe+free it */
static char *
oauth_form(CURL *curl, const char *const *kv, size_t npairs)
{
	char *out = NULL, *esc, *grown;
	size_t i, len = 0, add;

	for (i = 0; i < npairs; i++) {
		if (kv[2 * i + 1] == NULL)
			continue;
		if ((esc = curl_easy_escape(curl, kv[2 * i + 1], 0)) == NULL)
			goto fail;
		add = strlen(kv[2 * i]) + strlen(esc) + 2;
		if ((grown = realloc(out, len + add + 1)) == NULL) {
			cs_free_secret(esc);
			goto fail;
		}
		out = grown;
		(void)snprintf(out + len, add + 1, "%s%s=%s", len ? "&" : "",
		    kv[2 * i], esc);
		len += strlen(out + len);
		cs_wipe(esc, strlen(esc));
		curl_free(esc);
	}
	if (out == NULL)
		out = strdup("");
	return out;
fail:
	if (out != NULL)
		cs_free_secret(out);
	return NULL;
}

/* oauth_post - POST a form to url; *status and *body (malloc'd) */
static cs_result
oauth_post(const struct cs_oauth_client *c, const char *url,
    const char *const *kv, size_t npairs, long *status, char **body,
    char *why, size_t whylen)
{
	struct curl_slist *hdr = NULL;
	struct oauth_buf b = { NULL, 0, 0 };
	char *form = NULL, err[CURL_ERROR_SIZE] = "";
	CURL *curl;
	CURLcode cc;
	cs_result r;

	*body = NULL;
	*status = 0;
	if (url == NULL)
		return CS_ERR_CONFIG;
	if ((curl = curl_easy_init()) == NULL)
		return CS_ERR_NOMEM;
	if ((r = cs_tls_curl(curl, c->ca_file, "https")) != CS_OK) {
		(void)snprintf(why, whylen, "cannot apply the TLS policy");
		goto out;
	}
	r = CS_ERR_NOMEM;
	if ((form = oauth_form(curl, kv, npairs)) == NULL ||
	    (hdr = curl_slist_append(hdr, "Accept: application/json")) == NULL)
		goto out;
	if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, oauth_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT, OAUTH_TIMEOUT_S) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK) {
		r = CS_ERR_CONFIG;
		goto out;
	}
	/* a token endpoint never redirects; following one could leak the
	 * code or the secret to wherever it points */
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		/* a refused certificate or TLS version is not transient */
		r = cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_SSL_CACERT_BADFILE
		    ? CS_ERR_AUTH : CS_ERR_TEMP;
		/* the same words as the uploader's reasons, for the audit */
		(void)snprintf(why, whylen, "%s: %s%s", url, r == CS_ERR_AUTH ?
		    "TLS/certificate failure: " : "", b.over ?
		    "answer too large" : err[0] ? err : curl_easy_strerror(cc));
		goto out;
	}
	(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	*body = b.p != NULL ? b.p : strdup("");
	b.p = NULL;
	r = *body != NULL ? CS_OK : CS_ERR_NOMEM;
out:
	if (b.p != NULL)
		cs_free_secret(b.p);
	if (form != NULL)
		cs_free_secret(form);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	return r;
}

/* oauth_token_request - POST to the token endpoint and parse the answer */
static cs_result
oauth_token_request(const struct cs_oauth_client *c, const char *const *kv,
    size_t npairs, int64_t now, struct cs_token *t, char *why, size_t whylen)
{
	char *body;
	long status;
	cs_result r;

	memset(t, 0, sizeof(*t));
	r = oauth_post(c, c->token_url, kv, npairs, &status, &body, why,
	    whylen);
	if (r != CS_OK)
		return r;
	r = cs_oauth_parse_token(status, body, now, t, why, whylen);
	cs_free_secret(body);
	return r;
}

/* cs_oauth_exchange - authorization_code grant with the PKCE verifier */
cs_result
cs_oauth_exchange(const struct cs_oauth_client *c, const char *code,
    const char *verifier, int64_t now, struct cs_token *t, char *why,
    size_t whylen)
{
	const char *kv[] = {
		"grant_type", "authorization_code",
		"code", code,
		"redirect_uri", c->redirect_uri,
		"client_id", c->client_id,
		"client_secret", c->client_secret,
		"code_verifier", verifier,
	};

	return oauth_token_request(c, kv, sizeof(kv) / sizeof(kv[0]) / 2, now,
	    t, why, whylen);
}

/* cs_oauth_refresh - refresh_token grant; keep the old refresh token when
 * the provider does not rotate it */
cs_result
cs_oauth_refresh(const struct cs_oauth_client *c, const struct cs_token *old,
    int64_t now, struct cs_token *t, char *why, size_t whylen)
{
	const char *kv[] = {
		"grant_type", "refresh_token",
		"refresh_token", old->refresh_token,
		"client_id", c->client_id,
		"client_secret", c->client_secret,
	};
	cs_result r;

	if (old->refresh_token == NULL) {
		(void)snprintf(why, whylen, "no refresh token stored");
		return CS_ERR_REVOKED;
	}
	r = oauth_token_request(c, kv, sizeof(kv) / sizeof(kv[0]) / 2, now, t,
	    why, whylen);
	if (r == CS_OK && t->refresh_token == NULL &&
	    (t->refresh_token = strdup(old->refresh_token)) == NULL) {
		cs_token_free(t);
		r = CS_ERR_NOMEM;
	}
	return r;
}

/* cs_oauth_revoke - RFC 7009; 200 is success whatever the token was */
cs_result
cs_oauth_revoke(const struct cs_oauth_client *c, const struct cs_token *t,
    char *why, size_t whylen)
{
	const char *kv[] = {
		"token", t->refresh_token ? t->refresh_token : t->access_token,
		"token_type_hint", t->refresh_token ? "refresh_token" :
		    "access_token",
		"client_id", c->client_id,
		"client_secret", c->client_secret,
	};
	char *body;
	long status;
	cs_result r;

	if (c->revoke_url == NULL)
		return CS_ERR_NOTFOUND;
	r = oauth_post(c, c->revoke_url, kv, sizeof(kv) / sizeof(kv[0]) / 2,
	    &status, &body, why, whylen);
	if (r != CS_OK)
		return r;
	cs_free_secret(body);
	if (status == 200)
		return CS_OK;
	(void)snprintf(why, whylen, "revocation endpoint answered HTTP %ld",
	    status);
	return status >= 500 || status == 429 ? CS_ERR_TEMP : CS_ERR_AUTH;
}

/* cs_oauth_device_start - RFC 8628 section 3.1 */
cs_result
cs_oauth_device_start(const struct cs_oauth_client *c, int64_t now,
    struct cs_device_auth *dev, char *why, size_t whylen)
{
	const char *kv[] = {
		"client_id", c->client_id,
		"client_secret", c->client_secret,
		"scope", c->scope,
	};
	char *body;
	long status;
	cs_result r;

	memset(dev, 0, sizeof(*dev));
	if (c->device_url == NULL) {
		(void)snprintf(why, whylen, "this destination has no device "
		    "grant (no device_url)");
		return CS_ERR_NOTFOUND;
	}
	r = oauth_post(c, c->device_url, kv, sizeof(kv) / sizeof(kv[0]) / 2,
	    &status, &body, why, whylen);
	if (r != CS_OK)
		return r;
	r = cs_oauth_parse_device(status, body, now, dev, why, whylen);
	free(body);
	return r;
}

/* cs_oauth_device_poll - RFC 8628 section 3.4/3.5 */
cs_result
cs_oauth_device_poll(const struct cs_oauth_client *c,
    struct cs_device_auth *dev, int64_t now, struct cs_token *t, char *why,
    size_t whylen)
{
	const char *kv[] = {
		"grant_type", "urn:ietf:params:oauth:grant-type:device_code",
		"device_code", dev->device_code,
		"client_id", c->client_id,
		"client_secret", c->client_secret,
	};
	cs_result r;

	if (now >= dev->expires_at) {
		(void)snprintf(why, whylen, "expired_token: the user code "
		    "expired");
		return CS_ERR_REVOKED;
	}
	r = oauth_token_request(c, kv, sizeof(kv) / sizeof(kv[0]) / 2, now, t,
	    why, whylen);
	/* RFC 8628 3.5: slow_down adds 5 seconds to every later poll */
	if (r == CS_ERR_TEMP && strncmp(why, "slow_down", 9) == 0)
		dev->interval += 5;
	return r;
}
