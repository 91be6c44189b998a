/*
 * stream.h - a chunked AEAD stream over AES-256-GCM.
 *
 * The plaintext is cut into fixed CS_STREAM_CHUNK-byte chunks; only the last
 * (final) chunk may be shorter, and it may be empty. Each chunk is sealed
 * under its own key and nonce, both derived with HKDF-Expand from the
 * stream secret with the chunk index (64-bit) and the final flag bound in:
 *     okm = HKDF-Expand(secret, "cloudspool chunk" || u64be(index) || u8(final), 44)
 *     key = okm[0..32), nonce = okm[32..44)
 * On disk a chunk is a 4-byte big-endian frame word (bit 31 = final flag,
 * bits 0..30 = plaintext length) followed by the ciphertext and 16-byte tag;
 * the frame word is also the AEAD's associated data.
 * So a dropped, duplicated or reordered chunk, a chunk from another stream,
 * a flipped bit or a flipped final flag fails authentication; a stream that
 * ends without a final chunk is CS_ERR_TRUNCATED; anything after the final
 * chunk is CS_ERR_TRAILING.
 *
 * Pure buffer code: I/O belongs to the caller.
 */
#ifndef CS_STREAM_H
#define CS_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include "crypto.h"

#define CS_STREAM_CHUNK 65536u
#define CS_STREAM_FRAME_LEN 4u
#define CS_STREAM_FINAL_BIT 0x80000000u
/* bytes one sealed chunk occupies at most */
#define CS_STREAM_SEALED_MAX (CS_STREAM_FRAME_LEN + CS_STREAM_CHUNK + CS_AEAD_TAG_LEN)

struct cs_stream {
	uint8_t secret[CS_HASH_LEN];
	uint64_t index;		/* index of the next chunk */
	int finished;		/* the final chunk has been sealed/opened */
};

/* cs_stream_init - start a stream (either direction) under a 32-byte secret */
void cs_stream_init(struct cs_stream *s, const uint8_t secret[CS_HASH_LEN]);

/* cs_stream_seal - seal one chunk; len must be CS_STREAM_CHUNK unless final;
 * out must hold CS_STREAM_FRAME_LEN + len + CS_AEAD_TAG_LEN bytes, which is
 * what *out_len receives. CS_ERR_INVAL after the final chunk or on a bad len. */
cs_result cs_stream_seal(struct cs_stream *s, const uint8_t *pt, size_t len,
    int final, uint8_t *out, size_t *out_len);

/* cs_stream_frame - decode a frame word: plaintext length and final flag;
 * CS_ERR_FORMAT when the length is over CS_STREAM_CHUNK, or a non-final
 * chunk is not exactly CS_STREAM_CHUNK */
cs_result cs_stream_frame(const uint8_t frame[CS_STREAM_FRAME_LEN],
    size_t *pt_len, int *final);

/* cs_stream_open - open one chunk: frame word plus ct_len bytes of
 * ciphertext+tag (ct_len must equal pt_len + 16 from cs_stream_frame).
 * pt receives pt_len bytes. CS_ERR_AUTH (naming no detail) on any tamper;
 * CS_ERR_TRAILING when called after the final chunk. */
cs_result cs_stream_open(struct cs_stream *s,
    const uint8_t frame[CS_STREAM_FRAME_LEN], const uint8_t *ct, size_t ct_len,
    uint8_t *pt, size_t *pt_len, int *final);

/* cs_stream_open_buffer - open a whole sealed stream held in memory: walk
 * its frames from index 0 and write the plaintext to out. CS_ERR_TRUNCATED
 * when the input ends before a final chunk (or inside one), CS_ERR_TRAILING
 * on bytes after it, CS_ERR_FORMAT on a bad frame word, CS_ERR_AUTH on a
 * tampered chunk, CS_ERR_TOOBIG when out_cap is too small. On any error
 * *out_len is 0 and what was written to out is wiped: a partial plaintext
 * is never handed out. */
cs_result cs_stream_open_buffer(const uint8_t secret[CS_HASH_LEN],
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len);

/* cs_stream_wipe - forget the secret */
void cs_stream_wipe(struct cs_stream *s);

#endif
