/*
 * consent.c - consent request records and sealed grants (consent.h).
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "consent.h"
#include "oauth.h"
#include "safefile.h"

#define GRANT_MAGIC "CSGRANT1"
#define GRANT_HDR (8 + CS_X25519_LEN)
#define REQUEST_MAX 2048

static const char grant_info[] = "cloudspool grant v1";

/* consent_hex - lower-case hex of n bytes */
static void
consent_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* cs_consent_hash_hex - the record name of a link token */
cs_result
cs_consent_hash_hex(const char *token, char hex[CS_LINK_HASH_HEX + 1])
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t h[CS_HASH_LEN];

	if (token == NULL || strlen(token) != CS_LINK_TOKEN_LEN ||
	    strspn(token, b64url) != CS_LINK_TOKEN_LEN)
		return CS_ERR_INVAL;
	cs_sha256((const uint8_t *)token, CS_LINK_TOKEN_LEN, h);
	consent_hex(h, sizeof(h), hex);
	return CS_OK;
}

/* cs_consent_token_new - see consent.h */
cs_result
cs_consent_token_new(char token[CS_LINK_TOKEN_LEN + 1],
    char hex[CS_LINK_HASH_HEX + 1])
{
	uint8_t raw[32];
	cs_result r;

	if ((r = cs_random(raw, sizeof(raw))) != CS_OK)
		return r;
	r = cs_b64url(raw, sizeof(raw), token, CS_LINK_TOKEN_LEN + 1);
	cs_wipe(raw, sizeof(raw));
	return r != CS_OK ? r : cs_consent_hash_hex(token, hex);
}

/* cs_consent_request_create - token out, hash-named record in */
cs_result
cs_consent_request_create(int dirfd, mode_t mode,
    const struct cs_consent_req *req, char token[CS_LINK_TOKEN_LEN + 1])
{
	char hex[CS_LINK_HASH_HEX + 1], *json;
	json_t *o;
	cs_result r;

	if ((r = cs_consent_token_new(token, hex)) != CS_OK)
		return r;
	o = json_pack("{s:i, s:s, s:I, s:s, s:I}", "v", 1, "user", req->user,
	    "uid", (json_int_t)req->uid, "destination", req->destination,
	    "expires_at", (json_int_t)req->expires_at);
	if (o == NULL)
		return CS_ERR_INVAL;
	json = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (json == NULL)
		return CS_ERR_NOMEM;
	r = cs_write_file_atomic(dirfd, hex, json, strlen(json), mode);
	free(json);
	return r;
}

/* consent_copy - copy a JSON string member into a fixed buffer */
static int
consent_copy(json_t *o, const char *key, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || *s == '\0' || strlen(s) >= cap)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* cs_consent_request_read - parse the record called hash */
cs_result
cs_consent_request_read(int dirfd, const char *hash,
    struct cs_consent_req *req)
{
	char buf[REQUEST_MAX + 1];
	json_t *o, *uid, *exp;
	size_t len;
	cs_result r;

	memset(req, 0, sizeof(*req));
	if (strlen(hash) != CS_LINK_HASH_HEX ||
	    strspn(hash, "0123456789abcdef") != CS_LINK_HASH_HEX)
		return CS_ERR_INVAL;
	if ((r = cs_read_small_file(dirfd, hash, buf, REQUEST_MAX, &len)) !=
	    CS_OK)
		return r;
	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return CS_ERR_FORMAT;
	uid = json_object_get(o, "uid");
	exp = json_object_get(o, "expires_at");
	if (consent_copy(o, "user", req->user, sizeof(req->user)) ||
	    consent_copy(o, "destination", req->destination,
	    sizeof(req->destination)) || !json_is_integer(uid) ||
	    json_integer_value(uid) < 0 ||
	    json_integer_value(uid) > UINT32_MAX || !json_is_integer(exp))
		r = CS_ERR_FORMAT;
	else {
		req->uid = (uint32_t)json_integer_value(uid);
		req->expires_at = json_integer_value(exp);
	}
	json_decref(o);
	return r;
}

/* cs_consent_request_find - a live request for (uid, destination) */
cs_result
cs_consent_request_find(int dirfd, uint32_t uid, const char *destination,
    int64_t now, char hash[CS_LINK_HASH_HEX + 1])
{
	struct cs_consent_req req;
	struct dirent *de;
	cs_result r = CS_ERR_NOTFOUND;
	DIR *d;
	int fd;

	if ((fd = dup(dirfd)) < 0)
		return CS_ERR_IO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return CS_ERR_IO;
	}
	rewinddir(d);
	while (r == CS_ERR_NOTFOUND && (de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != CS_LINK_HASH_HEX ||
		    cs_consent_request_read(dirfd, de->d_name, &req) != CS_OK)
			continue;
		if (req.uid == uid && strcmp(req.destination, destination) ==
		    0 && now < req.expires_at) {
			memcpy(hash, de->d_name, CS_LINK_HASH_HEX + 1);
			r = CS_OK;
		}
	}
	closedir(d);
	return r;
}

/* cs_grant_seal - HPKE base mode, one message */
cs_result
cs_grant_seal(const uint8_t pk[CS_X25519_LEN], const char *json,
    uint8_t **out, size_t *len)
{
	struct cs_hpke_ctx ctx;
	size_t n = strlen(json);
	uint8_t *buf;
	cs_result r;

	*out = NULL;
	if (n > CS_GRANT_MAX - GRANT_HDR - CS_AEAD_TAG_LEN)
		return CS_ERR_TOOBIG;
	if ((buf = malloc(GRANT_HDR + n + CS_AEAD_TAG_LEN)) == NULL)
		return CS_ERR_NOMEM;
	memcpy(buf, GRANT_MAGIC, 8);
	r = cs_hpke_setup_base_s(&ctx, buf + 8, pk,
	    (const uint8_t *)grant_info, sizeof(grant_info) - 1);
	if (r == CS_OK)
		r = cs_hpke_seal(&ctx, (const uint8_t *)GRANT_MAGIC, 8,
		    (const uint8_t *)json, n, buf + GRANT_HDR);
	cs_hpke_ctx_wipe(&ctx);
	if (r != CS_OK) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = GRANT_HDR + n + CS_AEAD_TAG_LEN;
	return CS_OK;
}

/* cs_grant_open - the daemon's side */
cs_result
cs_grant_open(const uint8_t sk[CS_X25519_LEN], const uint8_t *in, size_t len,
    char **json)
{
	struct cs_hpke_ctx ctx;
	size_t n;
	char *pt;
	cs_result r;

	*json = NULL;
	if (len < GRANT_HDR + CS_AEAD_TAG_LEN || len > CS_GRANT_MAX ||
	    memcmp(in, GRANT_MAGIC, 8) != 0)
		return CS_ERR_FORMAT;
	n = len - GRANT_HDR - CS_AEAD_TAG_LEN;
	if ((pt = malloc(n + 1)) == NULL)
		return CS_ERR_NOMEM;
	r = cs_hpke_setup_base_r(&ctx, in + 8, sk, (const uint8_t *)grant_info,
	    sizeof(grant_info) - 1);
	if (r == CS_OK)
		r = cs_hpke_open(&ctx, (const uint8_t *)GRANT_MAGIC, 8,
		    in + GRANT_HDR, len - GRANT_HDR, (uint8_t *)pt);
	cs_hpke_ctx_wipe(&ctx);
	if (r != CS_OK) {
		free(pt);
		return r;
	}
	pt[n] = '\0';
	*json = pt;
	return CS_OK;
}

/* cs_grant_name_ok - "g-" and 32 lower-case hex digits */
int
cs_grant_name_ok(const char *name)
{
	return strlen(name) == 34 && strncmp(name, "g-", 2) == 0 &&
	    strspn(name + 2, "0123456789abcdef") == 32;
}

/* cs_grant_drop - a new, randomly named grant file */
cs_result
cs_grant_drop(int dirfd, const uint8_t pk[CS_X25519_LEN], const char *json)
{
	uint8_t rnd[16], *sealed;
	char name[40];
	size_t len;
	cs_result r;

	if ((r = cs_random(rnd, sizeof(rnd))) != CS_OK)
		return r;
	memcpy(name, "g-", 2);
	consent_hex(rnd, sizeof(rnd), name + 2);
	if ((r = cs_grant_seal(pk, json, &sealed, &len)) != CS_OK)
		return r;
	/* readable by all is harmless (sealed, in a folder only the daemon
	 * and authd can reach) and lets the daemon, not the owner, read it */
	r = cs_write_file_atomic(dirfd, name, sealed, len, 0644);
	free(sealed);
	return r;
}
