/*
 * up_sigv4.c - AWS Signature Version 4 (see up_sigv4.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "up_sigv4.h"

/* up_sigv4_hex - see up_sigv4.h */
void
up_sigv4_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* up_sigv4_hmac - HMAC-SHA256 of a string */
static void
up_sigv4_hmac(const uint8_t *key, size_t klen, const char *msg,
    uint8_t out[CS_HASH_LEN])
{
	cs_hmac_sha256(key, klen, (const uint8_t *)msg, strlen(msg), out);
}

/* up_sigv4_canonical - the canonical request (malloc'd) and the
 * signed-headers list in signed */
static char *
up_sigv4_canonical(const char *method, const char *uri, const char *query,
    const struct up_sigv4_header *h, size_t nh, const char *payload_hash,
    char *signed_hdrs, size_t slen)
{
	size_t i, len, used = 0;
	char *out;
	int n;

	len = strlen(method) + strlen(uri) + strlen(query) +
	    strlen(payload_hash) + 8 + slen;
	for (i = 0; i < nh; i++)
		len += strlen(h[i].name) + strlen(h[i].value) + 2;
	if ((out = malloc(len)) == NULL)
		return NULL;
	signed_hdrs[0] = '\0';
	n = snprintf(out, len, "%s\n%s\n%s\n", method, uri, query);
	used = (size_t)n;
	for (i = 0; i < nh; i++) {
		n = snprintf(out + used, len - used, "%s:%s\n", h[i].name,
		    h[i].value);
		used += (size_t)n;
		(void)snprintf(signed_hdrs + strlen(signed_hdrs),
		    slen - strlen(signed_hdrs), "%s%s", i > 0 ? ";" : "",
		    h[i].name);
	}
	(void)snprintf(out + used, len - used, "\n%s\n%s", signed_hdrs,
	    payload_hash);
	return out;
}

/* up_sigv4_authorization - see up_sigv4.h */
cs_result
up_sigv4_authorization(const struct up_sigv4_key *key, const char *amz_date,
    const char *method, const char *uri, const char *query,
    const struct up_sigv4_header *headers, size_t nh,
    const char *payload_hash, char *out, size_t outlen)
{
	char signed_hdrs[512], date[9], scope[128], hash_hex[65], sts[512];
	char sig_hex[65], *canon, *k0;
	uint8_t hash[CS_HASH_LEN], k[CS_HASH_LEN], k2[CS_HASH_LEN];
	size_t k0len;
	int n;

	if (strlen(amz_date) != 16)
		return CS_ERR_INVAL;
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	canon = up_sigv4_canonical(method, uri, query, headers, nh,
	    payload_hash, signed_hdrs, sizeof(signed_hdrs));
	if (canon == NULL)
		return CS_ERR_NOMEM;
	cs_sha256((const uint8_t *)canon, strlen(canon), hash);
	free(canon);
	up_sigv4_hex(hash, sizeof(hash), hash_hex);
	(void)snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date,
	    key->region, key->service);
	(void)snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s",
	    amz_date, scope, hash_hex);
	k0len = strlen(key->secret_key) + 5;
	if ((k0 = malloc(k0len)) == NULL)
		return CS_ERR_NOMEM;
	(void)snprintf(k0, k0len, "AWS4%s", key->secret_key);
	up_sigv4_hmac((const uint8_t *)k0, k0len - 1, date, k);
	cs_wipe(k0, k0len);
	free(k0);
	up_sigv4_hmac(k, sizeof(k), key->region, k2);
	up_sigv4_hmac(k2, sizeof(k2), key->service, k);
	up_sigv4_hmac(k, sizeof(k), "aws4_request", k2);
	up_sigv4_hmac(k2, sizeof(k2), sts, k);
	up_sigv4_hex(k, sizeof(k), sig_hex);
	cs_wipe(k2, sizeof(k2));
	cs_wipe(k, sizeof(k));
	n = snprintf(out, outlen, "AWS4-HMAC-SHA256 Credential=%s/%s, "
	    "SignedHeaders=%s, Signature=%s", key->access_key, scope,
	    signed_hdrs, sig_hex);
	return n > 0 && (size_t)n < outlen ? CS_OK : CS_ERR_TOOBIG;
}
