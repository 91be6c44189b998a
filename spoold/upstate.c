/*
 * upstate.c - an uploader's resumable state, sealed into the job's record.
 *
 * The state names a provider session (a Graph uploadUrl is itself a bearer
 * credential), so it is AES-256-GCM sealed under a key derived from the
 * job's epoch secret and its id: destroying the epoch key, as retention
 * does, makes a leftover state as unreadable as the job, and a state
 * copied into another job's record does not open (the id is bound in both
 * the key and the associated data).
 */
#include <string.h>
#include <nettle/base64.h>

#include "daemon.h"

#define UPSTATE_LABEL "cloudspool upload state v1"

/* upstate_key - HKDF(epoch secret; salt = label, info = job id) */
void
upstate_key(const uint8_t sk[CS_X25519_LEN], const char *id,
    uint8_t key[CS_AEAD_KEY_LEN])
{
	uint8_t prk[CS_HASH_LEN];

	cs_hkdf_extract((const uint8_t *)UPSTATE_LABEL,
	    sizeof(UPSTATE_LABEL) - 1, sk, CS_X25519_LEN, prk);
	(void)cs_hkdf_expand(prk, (const uint8_t *)id, strlen(id), key,
	    CS_AEAD_KEY_LEN);
	cs_wipe(prk, sizeof(prk));
}

/* upstate_aad - label, NUL, job id */
static size_t
upstate_aad(const char *id, uint8_t *aad, size_t cap)
{
	size_t l = sizeof(UPSTATE_LABEL), n = strlen(id);

	if (l + n > cap)
		n = cap - l;
	memcpy(aad, UPSTATE_LABEL, l);
	memcpy(aad + l, id, n);
	return l + n;
}

/* upstate_seal - nonce || ciphertext || tag, base64 */
cs_result
upstate_seal(const uint8_t key[CS_AEAD_KEY_LEN], const char *id,
    const char *json, size_t len, struct cs_jobstate *js)
{
	uint8_t raw[CS_AEAD_NONCE_LEN + CS_UPSTATE_MAX + CS_AEAD_TAG_LEN];
	uint8_t aad[128];
	size_t alen, rlen;
	cs_result r;

	if (len > CS_UPSTATE_MAX)
		return CS_ERR_TOOBIG;
	if ((r = cs_random(raw, CS_AEAD_NONCE_LEN)) != CS_OK)
		return r;
	alen = upstate_aad(id, aad, sizeof(aad));
	cs_aead_seal(key, raw, aad, alen, (const uint8_t *)json, len,
	    raw + CS_AEAD_NONCE_LEN);
	rlen = CS_AEAD_NONCE_LEN + len + CS_AEAD_TAG_LEN;
	if (BASE64_ENCODE_RAW_LENGTH(rlen) >= sizeof(js->upload))
		return CS_ERR_TOOBIG;
	base64_encode_raw((char *)js->upload, rlen, raw);
	js->upload[BASE64_ENCODE_RAW_LENGTH(rlen)] = '\0';
	return CS_OK;
}

/* upstate_open - decode, open, parse */
cs_result
upstate_open(const uint8_t key[CS_AEAD_KEY_LEN], const char *id,
    const struct cs_jobstate *js, json_t **state)
{
	uint8_t raw[CS_AEAD_NONCE_LEN + CS_UPSTATE_MAX + CS_AEAD_TAG_LEN];
	uint8_t pt[CS_UPSTATE_MAX], aad[128];
	struct base64_decode_ctx ctx;
	size_t rlen = sizeof(raw), alen, blen = strlen(js->upload);
	cs_result r;

	*state = NULL;
	if (blen == 0)
		return CS_OK;
	base64_decode_init(&ctx);
	if (BASE64_DECODE_LENGTH(blen) > sizeof(raw) ||
	    !base64_decode_update(&ctx, &rlen, raw, blen, js->upload) ||
	    !base64_decode_final(&ctx) ||
	    rlen < CS_AEAD_NONCE_LEN + CS_AEAD_TAG_LEN)
		return CS_ERR_FORMAT;
	alen = upstate_aad(id, aad, sizeof(aad));
	r = cs_aead_open(key, raw, aad, alen, raw + CS_AEAD_NONCE_LEN,
	    rlen - CS_AEAD_NONCE_LEN, pt);
	if (r == CS_OK) {
		*state = json_loadb((const char *)pt, rlen - CS_AEAD_NONCE_LEN -
		    CS_AEAD_TAG_LEN, 0, NULL);
		if (*state == NULL)
			r = CS_ERR_FORMAT;
	}
	cs_wipe(pt, sizeof(pt));
	return r;
}
