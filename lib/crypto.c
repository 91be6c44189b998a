/*
 * crypto.c - cloudspool's primitives on nettle: wipe, constant-time compare,
 * getrandom, SHA-256, HMAC-SHA256, HKDF-SHA256, X25519 and AES-256-GCM.
 *
 * A thin layer so the rest of the tree never touches nettle directly and
 * so every rule that is easy to forget (wipe the cipher context, compare
 * tags in constant time, refuse an all-zero X25519 output, hide plaintext
 * that failed authentication) is kept in one place.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* explicit_bzero */
#endif

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/curve25519.h>
#include <nettle/gcm.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>

#include "crypto.h"

/* cs_wipe - zero memory in a way the compiler may not elide */
void
cs_wipe(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
	explicit_bzero(p, n);
}

/* cs_ct_equal - 1 when equal, 0 otherwise, in time independent of content */
int
cs_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	unsigned int d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	/* d is 0..255: d - 1 wraps to all ones only when d == 0 */
	return (int)(1u & ((d - 1u) >> 8));
}

/* cs_random - fill buf from getrandom(2); CS_ERR_IO on failure */
cs_result
cs_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	ssize_t got;

	while (n > 0) {
		/* flags 0: wait for an initialised pool rather than take
		 * what /dev/urandom would give early in boot; a short read
		 * (signal, or over 32 MiB) just continues */
		got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return CS_ERR_IO;
		}
		if (got == 0)
			return CS_ERR_IO;
		p += got;
		n -= (size_t)got;
	}
	return CS_OK;
}

/* cs_hmac_sha256 - one-shot HMAC-SHA256 */
void
cs_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg,
    size_t msg_len, uint8_t mac[CS_HASH_LEN])
{
	struct hmac_sha256_ctx ctx;

	hmac_sha256_set_key(&ctx, key_len, key);
	if (msg_len > 0)
		hmac_sha256_update(&ctx, msg_len, msg);
	hmac_sha256_digest(&ctx, CS_HASH_LEN, mac);
	cs_wipe(&ctx, sizeof(ctx));
}

/* cs_sha256 - one-shot SHA-256 */
void
cs_sha256(const uint8_t *msg, size_t len, uint8_t out[CS_HASH_LEN])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	if (len > 0)
		sha256_update(&ctx, len, msg);
	sha256_digest(&ctx, CS_HASH_LEN, out);
	/* the message may be a secret (e.g. a key being fingerprinted) */
	cs_wipe(&ctx, sizeof(ctx));
}

/* cs_hkdf_extract - RFC 5869 extract; salt may be NULL (then zeros) */
void
cs_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, uint8_t prk[CS_HASH_LEN])
{
	static const uint8_t zeros[CS_HASH_LEN];

	if (salt == NULL) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	cs_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
}

/* cs_hkdf_expand_pieces - RFC 5869 expand over a pieced info */
cs_result
cs_hkdf_expand_pieces(const uint8_t prk[CS_HASH_LEN],
    const struct cs_piece *info, size_t npc, uint8_t *okm, size_t okm_len)
{
	struct hmac_sha256_ctx ctx;
	uint8_t t[CS_HASH_LEN], ctr;
	size_t i, j, n;

	if (okm_len > CS_HKDF_MAX_OUT)
		return CS_ERR_INVAL;
	hmac_sha256_set_key(&ctx, CS_HASH_LEN, prk);
	/* T(i) = HMAC(prk, T(i-1) || info || i); the digest call re-keys
	 * ctx, so one set_key serves every block */
	for (i = 1; okm_len > 0; i++) {
		if (i > 1)
			hmac_sha256_update(&ctx, CS_HASH_LEN, t);
		for (j = 0; j < npc; j++)
			if (info[j].n > 0)
				hmac_sha256_update(&ctx, info[j].n, info[j].p);
		ctr = (uint8_t)i;	/* i <= 255: okm_len was checked */
		hmac_sha256_update(&ctx, 1, &ctr);
		hmac_sha256_digest(&ctx, CS_HASH_LEN, t);
		n = okm_len < CS_HASH_LEN ? okm_len : CS_HASH_LEN;
		memcpy(okm, t, n);
		okm += n;
		okm_len -= n;
	}
	cs_wipe(t, sizeof(t));
	cs_wipe(&ctx, sizeof(ctx));
	return CS_OK;
}

/* cs_hkdf_expand - RFC 5869 expand */
cs_result
cs_hkdf_expand(const uint8_t prk[CS_HASH_LEN], const uint8_t *info,
    size_t info_len, uint8_t *okm, size_t okm_len)
{
	struct cs_piece pc = { info, info_len };

	return cs_hkdf_expand_pieces(prk, &pc, 1, okm, okm_len);
}

/* cs_x25519_public - public key for a secret scalar (RFC 7748) */
void
cs_x25519_public(uint8_t pk[CS_X25519_LEN], const uint8_t sk[CS_X25519_LEN])
{
	/* nettle clamps the scalar itself (NETTLE_CURVE25519_RFC7748) */
	curve25519_mul_g(pk, sk);
}

/* cs_x25519 - shared secret; CS_ERR_CRYPTO when the result is all zero */
cs_result
cs_x25519(uint8_t out[CS_X25519_LEN], const uint8_t sk[CS_X25519_LEN],
    const uint8_t pk[CS_X25519_LEN])
{
	static const uint8_t zero[CS_X25519_LEN];

	curve25519_mul(out, sk, pk);
	/* an all-zero result means pk was a low-order point: the peer
	 * chose our "shared" secret (RFC 7748 section 6.1) */
	if (cs_ct_equal(out, zero, CS_X25519_LEN)) {
		cs_wipe(out, CS_X25519_LEN);
		return CS_ERR_CRYPTO;
	}
	return CS_OK;
}

/* cs_x25519_keygen - fresh random key pair */
cs_result
cs_x25519_keygen(uint8_t sk[CS_X25519_LEN], uint8_t pk[CS_X25519_LEN])
{
	cs_result r;

	if ((r = cs_random(sk, CS_X25519_LEN)) != CS_OK) {
		cs_wipe(sk, CS_X25519_LEN);
		return r;
	}
	cs_x25519_public(pk, sk);
	return CS_OK;
}

/* aead_start - key the GCM context and feed it nonce and aad */
static void
aead_start(struct gcm_aes256_ctx *ctx, const uint8_t key[CS_AEAD_KEY_LEN],
    const uint8_t nonce[CS_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aad_len)
{
	gcm_aes256_set_key(ctx, key);
	gcm_aes256_set_iv(ctx, CS_AEAD_NONCE_LEN, nonce);
	if (aad_len > 0)
		gcm_aes256_update(ctx, aad_len, aad);
}

/* cs_aead_seal - AES-256-GCM; ct receives len bytes then the 16-byte tag */
void
cs_aead_seal(const uint8_t key[CS_AEAD_KEY_LEN],
    const uint8_t nonce[CS_AEAD_NONCE_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t len, uint8_t *ct)
{
	struct gcm_aes256_ctx ctx;

	aead_start(&ctx, key, nonce, aad, aad_len);
	if (len > 0)
		gcm_aes256_encrypt(&ctx, len, ct, pt);
	gcm_aes256_digest(&ctx, CS_AEAD_TAG_LEN, ct + len);
	cs_wipe(&ctx, sizeof(ctx));
}

/* cs_aead_open - AES-256-GCM; ct_len includes the tag; CS_ERR_AUTH on a bad
 * tag (pt is then wiped); pt receives ct_len - 16 bytes */
cs_result
cs_aead_open(const uint8_t key[CS_AEAD_KEY_LEN],
    const uint8_t nonce[CS_AEAD_NONCE_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	struct gcm_aes256_ctx ctx;
	uint8_t tag[CS_AEAD_TAG_LEN];
	size_t len;
	int ok;

	if (ct_len < CS_AEAD_TAG_LEN)
		return CS_ERR_INVAL;
	len = ct_len - CS_AEAD_TAG_LEN;
	aead_start(&ctx, key, nonce, aad, aad_len);
	if (len > 0)
		gcm_aes256_decrypt(&ctx, len, pt, ct);
	gcm_aes256_digest(&ctx, CS_AEAD_TAG_LEN, tag);
	cs_wipe(&ctx, sizeof(ctx));
	ok = cs_ct_equal(tag, ct + len, CS_AEAD_TAG_LEN);
	cs_wipe(tag, sizeof(tag));
	if (!ok) {
		/* unauthenticated plaintext must never reach the caller */
		cs_wipe(pt, len);
		return CS_ERR_AUTH;
	}
	return CS_OK;
}
