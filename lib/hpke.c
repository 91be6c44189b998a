/*
 * hpke.c - HPKE base mode (RFC 9180) for the one suite cloudspool uses:
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
 *
 * One suite only, so there is no negotiation and no table of algorithms:
 * fewer ways to get it wrong. The labelled HKDF calls are built from
 * pieces fed straight into HMAC, so an exporter context or info string of
 * any length needs no allocation and no size cap. Every intermediate
 * secret (DH output, PRKs, shared secret, ephemeral key) is wiped before
 * return, on success and on failure.
 */
#include <string.h>

#include <nettle/hmac.h>

#include "crypto.h"

#define HPKE_NK CS_AEAD_KEY_LEN
#define HPKE_NN CS_AEAD_NONCE_LEN
#define HPKE_NH CS_HASH_LEN
#define HPKE_MODE_BASE 0x00

/* "HPKE-v1", the version label of every labelled HKDF call */
static const uint8_t hpke_v1[] = { 'H', 'P', 'K', 'E', '-', 'v', '1' };

/* suite_id of the KEM: "KEM" || I2OSP(kem_id, 2) */
static const uint8_t hpke_kem_suite[] = { 'K', 'E', 'M', 0x00, 0x20 };

/* suite_id of the key schedule: "HPKE" || kem_id || kdf_id || aead_id */
static const uint8_t hpke_suite[] = {
	'H', 'P', 'K', 'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x02
};

/* one piece of a message fed to HMAC without concatenating */
#define hpke_piece cs_piece

#define HPKE_STR(s) { (const uint8_t *)(s), sizeof(s) - 1 }

/* hpke_update - feed a list of pieces to an HMAC context */
static void
hpke_update(struct hmac_sha256_ctx *ctx, const struct hpke_piece *pc,
    size_t npc)
{
	size_t i;

	for (i = 0; i < npc; i++)
		if (pc[i].n > 0)
			hmac_sha256_update(ctx, pc[i].n, pc[i].p);
}

/* hpke_labeled_extract - LabeledExtract(salt, label, ikm) under suite */
static void
hpke_labeled_extract(const uint8_t *suite, size_t suite_len,
    const uint8_t *salt, size_t salt_len, const struct hpke_piece *label,
    const uint8_t *ikm, size_t ikm_len, uint8_t prk[HPKE_NH])
{
	static const uint8_t zeros[HPKE_NH];
	struct hmac_sha256_ctx ctx;
	const struct hpke_piece pc[] = {
		{ hpke_v1, sizeof(hpke_v1) }, { suite, suite_len }, *label,
		{ ikm, ikm_len }
	};

	/* a missing salt is HashLen zeros (RFC 5869) */
	if (salt == NULL) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	hmac_sha256_set_key(&ctx, salt_len, salt);
	hpke_update(&ctx, pc, sizeof(pc) / sizeof(pc[0]));
	hmac_sha256_digest(&ctx, HPKE_NH, prk);
	cs_wipe(&ctx, sizeof(ctx));
}

/* hpke_labeled_expand - LabeledExpand(prk, label, info, L) under suite */
static cs_result
hpke_labeled_expand(const uint8_t *suite, size_t suite_len,
    const uint8_t prk[HPKE_NH], const struct hpke_piece *label,
    const uint8_t *info, size_t info_len, uint8_t *out, size_t L)
{
	uint8_t len2[2];
	const struct hpke_piece pc[] = {
		{ len2, sizeof(len2) }, { hpke_v1, sizeof(hpke_v1) },
		{ suite, suite_len }, *label, { info, info_len }
	};

	if (L > CS_HKDF_MAX_OUT)
		return CS_ERR_INVAL;
	len2[0] = (uint8_t)(L >> 8);
	len2[1] = (uint8_t)L;
	return cs_hkdf_expand_pieces(prk, pc, sizeof(pc) / sizeof(pc[0]), out,
	    L);
}

/* cs_hpke_derive_keypair - DeriveKeyPair(ikm) for DHKEM(X25519, HKDF-SHA256) */
void
cs_hpke_derive_keypair(const uint8_t *ikm, size_t ikm_len,
    uint8_t sk[CS_X25519_LEN], uint8_t pk[CS_X25519_LEN])
{
	static const struct hpke_piece l_dkp = HPKE_STR("dkp_prk");
	static const struct hpke_piece l_sk = HPKE_STR("sk");
	uint8_t prk[HPKE_NH];

	hpke_labeled_extract(hpke_kem_suite, sizeof(hpke_kem_suite), NULL, 0,
	    &l_dkp, ikm, ikm_len, prk);
	/* 32 bytes never exceeds the HKDF limit */
	(void)hpke_labeled_expand(hpke_kem_suite, sizeof(hpke_kem_suite), prk,
	    &l_sk, NULL, 0, sk, CS_X25519_LEN);
	cs_wipe(prk, sizeof(prk));
	cs_x25519_public(pk, sk);
}

/* hpke_extract_and_expand - the KEM's shared secret from dh and enc||pkR */
static void
hpke_extract_and_expand(const uint8_t dh[CS_X25519_LEN],
    const uint8_t enc[CS_X25519_LEN], const uint8_t pkR[CS_X25519_LEN],
    uint8_t shared[HPKE_NH])
{
	static const struct hpke_piece l_eae = HPKE_STR("eae_prk");
	static const struct hpke_piece l_ss = HPKE_STR("shared_secret");
	uint8_t prk[HPKE_NH], kem_context[2 * CS_X25519_LEN];

	memcpy(kem_context, enc, CS_X25519_LEN);
	memcpy(kem_context + CS_X25519_LEN, pkR, CS_X25519_LEN);
	hpke_labeled_extract(hpke_kem_suite, sizeof(hpke_kem_suite), NULL, 0,
	    &l_eae, dh, CS_X25519_LEN, prk);
	(void)hpke_labeled_expand(hpke_kem_suite, sizeof(hpke_kem_suite), prk,
	    &l_ss, kem_context, sizeof(kem_context), shared, HPKE_NH);
	cs_wipe(prk, sizeof(prk));
}

/* hpke_key_schedule - KeySchedule(mode_base, shared_secret, info, "", "") */
static void
hpke_key_schedule(struct cs_hpke_ctx *ctx, const uint8_t shared[HPKE_NH],
    const uint8_t *info, size_t info_len)
{
	static const struct hpke_piece l_psk_id = HPKE_STR("psk_id_hash");
	static const struct hpke_piece l_info = HPKE_STR("info_hash");
	static const struct hpke_piece l_secret = HPKE_STR("secret");
	static const struct hpke_piece l_key = HPKE_STR("key");
	static const struct hpke_piece l_nonce = HPKE_STR("base_nonce");
	static const struct hpke_piece l_exp = HPKE_STR("exp");
	const size_t sl = sizeof(hpke_suite);
	uint8_t ksc[1 + 2 * HPKE_NH], secret[HPKE_NH];

	ksc[0] = HPKE_MODE_BASE;
	hpke_labeled_extract(hpke_suite, sl, NULL, 0, &l_psk_id, NULL, 0,
	    ksc + 1);
	hpke_labeled_extract(hpke_suite, sl, NULL, 0, &l_info, info, info_len,
	    ksc + 1 + HPKE_NH);
	/* base mode: psk is empty, so the ikm of "secret" is empty */
	hpke_labeled_extract(hpke_suite, sl, shared, HPKE_NH, &l_secret, NULL,
	    0, secret);
	(void)hpke_labeled_expand(hpke_suite, sl, secret, &l_key, ksc,
	    sizeof(ksc), ctx->key, HPKE_NK);
	(void)hpke_labeled_expand(hpke_suite, sl, secret, &l_nonce, ksc,
	    sizeof(ksc), ctx->base_nonce, HPKE_NN);
	(void)hpke_labeled_expand(hpke_suite, sl, secret, &l_exp, ksc,
	    sizeof(ksc), ctx->exporter_secret, HPKE_NH);
	ctx->seq = 0;
	cs_wipe(secret, sizeof(secret));
}

/* hpke_setup_s - Encap with the given ephemeral key, then KeySchedule */
static cs_result
hpke_setup_s(struct cs_hpke_ctx *ctx, uint8_t enc[CS_X25519_LEN],
    const uint8_t pkR[CS_X25519_LEN], const uint8_t *info, size_t info_len,
    const uint8_t skE[CS_X25519_LEN], const uint8_t pkE[CS_X25519_LEN])
{
	uint8_t dh[CS_X25519_LEN], shared[HPKE_NH];
	cs_result r;

	/* a low-order pkR would make dh public: refuse it */
	if ((r = cs_x25519(dh, skE, pkR)) != CS_OK) {
		cs_hpke_ctx_wipe(ctx);
		return r;
	}
	memcpy(enc, pkE, CS_X25519_LEN);
	hpke_extract_and_expand(dh, pkE, pkR, shared);
	cs_wipe(dh, sizeof(dh));
	hpke_key_schedule(ctx, shared, info, info_len);
	cs_wipe(shared, sizeof(shared));
	return CS_OK;
}

/* cs_hpke_setup_base_s - SetupBaseS with a fresh random ephemeral key */
cs_result
cs_hpke_setup_base_s(struct cs_hpke_ctx *ctx, uint8_t enc[CS_X25519_LEN],
    const uint8_t pkR[CS_X25519_LEN], const uint8_t *info, size_t info_len)
{
	uint8_t skE[CS_X25519_LEN], pkE[CS_X25519_LEN];
	cs_result r;

	if ((r = cs_x25519_keygen(skE, pkE)) != CS_OK) {
		cs_hpke_ctx_wipe(ctx);
		return r;
	}
	r = hpke_setup_s(ctx, enc, pkR, info, info_len, skE, pkE);
	cs_wipe(skE, sizeof(skE));
	return r;
}

/* cs_hpke_setup_base_s_derand - SetupBaseS with the ephemeral key derived
 * from ikmE (test vectors only) */
cs_result
cs_hpke_setup_base_s_derand(struct cs_hpke_ctx *ctx,
    uint8_t enc[CS_X25519_LEN], const uint8_t pkR[CS_X25519_LEN],
    const uint8_t *info, size_t info_len, const uint8_t *ikmE, size_t ikmE_len)
{
	uint8_t skE[CS_X25519_LEN], pkE[CS_X25519_LEN];
	cs_result r;

	cs_hpke_derive_keypair(ikmE, ikmE_len, skE, pkE);
	r = hpke_setup_s(ctx, enc, pkR, info, info_len, skE, pkE);
	cs_wipe(skE, sizeof(skE));
	return r;
}

/* cs_hpke_setup_base_r - SetupBaseR */
cs_result
cs_hpke_setup_base_r(struct cs_hpke_ctx *ctx,
    const uint8_t enc[CS_X25519_LEN], const uint8_t skR[CS_X25519_LEN],
    const uint8_t *info, size_t info_len)
{
	uint8_t dh[CS_X25519_LEN], pkR[CS_X25519_LEN], shared[HPKE_NH];
	cs_result r;

	if ((r = cs_x25519(dh, skR, enc)) != CS_OK) {
		cs_hpke_ctx_wipe(ctx);
		return r;
	}
	cs_x25519_public(pkR, skR);
	hpke_extract_and_expand(dh, enc, pkR, shared);
	cs_wipe(dh, sizeof(dh));
	hpke_key_schedule(ctx, shared, info, info_len);
	cs_wipe(shared, sizeof(shared));
	return CS_OK;
}

/* hpke_nonce - ComputeNonce(seq): base_nonce XOR I2OSP(seq, Nn) */
static void
hpke_nonce(const struct cs_hpke_ctx *ctx, uint8_t nonce[HPKE_NN])
{
	size_t i;

	memcpy(nonce, ctx->base_nonce, HPKE_NN);
	/* seq is 64 bits, so only the low 8 of the 12 bytes change */
	for (i = 0; i < 8; i++)
		nonce[HPKE_NN - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

/* cs_hpke_seal - ContextS.Seal; ct gets len + 16 bytes; advances seq */
cs_result
cs_hpke_seal(struct cs_hpke_ctx *ctx, const uint8_t *aad,
    size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct)
{
	uint8_t nonce[HPKE_NN];

	/* RFC 9180 caps seq below 2^96 - 1; our counter is 64 bits, and
	 * letting it wrap would reuse a nonce, so stop one short of it */
	if (ctx->seq == UINT64_MAX)
		return CS_ERR_TOOBIG;
	hpke_nonce(ctx, nonce);
	cs_aead_seal(ctx->key, nonce, aad, aad_len, pt, len, ct);
	ctx->seq++;
	return CS_OK;
}

/* cs_hpke_open - ContextR.Open; advances seq only on success */
cs_result
cs_hpke_open(struct cs_hpke_ctx *ctx, const uint8_t *aad,
    size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	uint8_t nonce[HPKE_NN];
	cs_result r;

	if (ctx->seq == UINT64_MAX)
		return CS_ERR_TOOBIG;
	hpke_nonce(ctx, nonce);
	r = cs_aead_open(ctx->key, nonce, aad, aad_len, ct, ct_len, pt);
	if (r == CS_OK)
		ctx->seq++;
	return r;
}

/* cs_hpke_export - Context.Export(exporter_context, L) */
cs_result
cs_hpke_export(const struct cs_hpke_ctx *ctx,
    const uint8_t *exporter_context, size_t ctx_len, uint8_t *out, size_t L)
{
	static const struct hpke_piece l_sec = HPKE_STR("sec");

	return hpke_labeled_expand(hpke_suite, sizeof(hpke_suite),
	    ctx->exporter_secret, &l_sec, exporter_context, ctx_len, out, L);
}

/* cs_hpke_ctx_wipe - wipe every secret in the context */
void
cs_hpke_ctx_wipe(struct cs_hpke_ctx *ctx)
{
	cs_wipe(ctx, sizeof(*ctx));
}
