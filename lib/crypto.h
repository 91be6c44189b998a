/*
 * crypto.h - the primitives cloudspool uses, on nettle: X25519, HKDF-SHA256,
 * HMAC-SHA256, AES-256-GCM, and HPKE base mode (RFC 9180) with the suite
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM.
 *
 * Knows nothing of the spool. Every secret a caller holds is wiped with
 * cs_wipe(); every tag or MAC comparison is constant-time.
 */
#ifndef CS_CRYPTO_H
#define CS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include "result.h"

#define CS_X25519_LEN 32
#define CS_HASH_LEN 32
#define CS_AEAD_KEY_LEN 32
#define CS_AEAD_NONCE_LEN 12
#define CS_AEAD_TAG_LEN 16
#define CS_HKDF_MAX_OUT (255 * CS_HASH_LEN)

/* HPKE suite identifiers (RFC 9180 section 7) */
#define CS_HPKE_KEM_X25519_SHA256 0x0020
#define CS_HPKE_KDF_HKDF_SHA256 0x0001
#define CS_HPKE_AEAD_AES256GCM 0x0002

/* cs_wipe - zero memory in a way the compiler may not elide */
void cs_wipe(void *p, size_t n);

/* cs_ct_equal - 1 when equal, 0 otherwise, in time independent of content */
int cs_ct_equal(const void *a, const void *b, size_t n);

/* cs_random - fill buf from getrandom(2); CS_ERR_IO on failure */
cs_result cs_random(void *buf, size_t n);

/* cs_hmac_sha256 - one-shot HMAC-SHA256 */
void cs_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg,
    size_t msg_len, uint8_t mac[CS_HASH_LEN]);

/* cs_sha256 - one-shot SHA-256 */
void cs_sha256(const uint8_t *msg, size_t len, uint8_t out[CS_HASH_LEN]);

/* cs_hkdf_extract - RFC 5869 extract; salt may be NULL (then zeros) */
void cs_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, uint8_t prk[CS_HASH_LEN]);

/* A piece of a message fed to a hash without concatenating it first. */
struct cs_piece {
	const uint8_t *p;
	size_t n;
};

/* cs_hkdf_expand_pieces - RFC 5869 expand whose info is the concatenation
 * of npc pieces (HPKE's labeled info is built this way) */
cs_result cs_hkdf_expand_pieces(const uint8_t prk[CS_HASH_LEN],
    const struct cs_piece *info, size_t npc, uint8_t *okm, size_t okm_len);

/* cs_hkdf_expand - RFC 5869 expand; CS_ERR_INVAL when okm_len > 255*32 */
cs_result cs_hkdf_expand(const uint8_t prk[CS_HASH_LEN], const uint8_t *info,
    size_t info_len, uint8_t *okm, size_t okm_len);

/* cs_x25519_public - public key for a secret scalar (RFC 7748) */
void cs_x25519_public(uint8_t pk[CS_X25519_LEN], const uint8_t sk[CS_X25519_LEN]);

/* cs_x25519 - shared secret; CS_ERR_CRYPTO when the result is all zero */
cs_result cs_x25519(uint8_t out[CS_X25519_LEN], const uint8_t sk[CS_X25519_LEN],
    const uint8_t pk[CS_X25519_LEN]);

/* cs_x25519_keygen - fresh random key pair */
cs_result cs_x25519_keygen(uint8_t sk[CS_X25519_LEN], uint8_t pk[CS_X25519_LEN]);

/* cs_aead_seal - AES-256-GCM; ct receives len bytes then the 16-byte tag */
void cs_aead_seal(const uint8_t key[CS_AEAD_KEY_LEN],
    const uint8_t nonce[CS_AEAD_NONCE_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t len, uint8_t *ct);

/* cs_aead_open - AES-256-GCM; ct_len includes the tag; CS_ERR_AUTH on a bad
 * tag (pt is then wiped); pt receives ct_len - 16 bytes */
cs_result cs_aead_open(const uint8_t key[CS_AEAD_KEY_LEN],
    const uint8_t nonce[CS_AEAD_NONCE_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *ct, size_t ct_len, uint8_t *pt);

/* An HPKE context (RFC 9180 section 5.1), sender or recipient side. */
struct cs_hpke_ctx {
	uint8_t key[CS_AEAD_KEY_LEN];
	uint8_t base_nonce[CS_AEAD_NONCE_LEN];
	uint8_t exporter_secret[CS_HASH_LEN];
	uint64_t seq;
};

/* cs_hpke_derive_keypair - DeriveKeyPair(ikm) for DHKEM(X25519, HKDF-SHA256) */
void cs_hpke_derive_keypair(const uint8_t *ikm, size_t ikm_len,
    uint8_t sk[CS_X25519_LEN], uint8_t pk[CS_X25519_LEN]);

/* cs_hpke_setup_base_s - SetupBaseS with a fresh random ephemeral key */
cs_result cs_hpke_setup_base_s(struct cs_hpke_ctx *ctx, uint8_t enc[CS_X25519_LEN],
    const uint8_t pkR[CS_X25519_LEN], const uint8_t *info, size_t info_len);

/* cs_hpke_setup_base_s_derand - SetupBaseS with the ephemeral key derived
 * from ikmE (test vectors only) */
cs_result cs_hpke_setup_base_s_derand(struct cs_hpke_ctx *ctx,
    uint8_t enc[CS_X25519_LEN], const uint8_t pkR[CS_X25519_LEN],
    const uint8_t *info, size_t info_len, const uint8_t *ikmE, size_t ikmE_len);

/* cs_hpke_setup_base_r - SetupBaseR */
cs_result cs_hpke_setup_base_r(struct cs_hpke_ctx *ctx,
    const uint8_t enc[CS_X25519_LEN], const uint8_t skR[CS_X25519_LEN],
    const uint8_t *info, size_t info_len);

/* cs_hpke_seal - ContextS.Seal; ct gets len + 16 bytes; advances seq */
cs_result cs_hpke_seal(struct cs_hpke_ctx *ctx, const uint8_t *aad,
    size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct);

/* cs_hpke_open - ContextR.Open; advances seq only on success */
cs_result cs_hpke_open(struct cs_hpke_ctx *ctx, const uint8_t *aad,
    size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt);

/* cs_hpke_export - Context.Export(exporter_context, L) */
cs_result cs_hpke_export(const struct cs_hpke_ctx *ctx,
    const uint8_t *exporter_context, size_t ctx_len, uint8_t *out, size_t L);

/* cs_hpke_ctx_wipe - wipe every secret in the context */
void cs_hpke_ctx_wipe(struct cs_hpke_ctx *ctx);

#endif
