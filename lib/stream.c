/*
 * stream.c - the chunked AEAD stream described in stream.h.
 *
 * Each chunk gets its own key and nonce from HKDF-Expand over the chunk
 * index and final flag, so the position of a chunk and whether it ends
 * the stream are authenticated without any counter on disk: a chunk that
 * moved, came from another stream or had its final flag flipped simply
 * fails to open. The frame word is the AAD, so its length bits are
 * authenticated too. No I/O here; cs_stream_open_buffer is the one walker
 * over a whole in-memory stream, for callers and tests that hold it all.
 */
#include <string.h>

#include "stream.h"

#define STREAM_LABEL "cloudspool chunk"
#define STREAM_LABEL_LEN (sizeof(STREAM_LABEL) - 1)
#define STREAM_INFO_LEN (STREAM_LABEL_LEN + 8 + 1)
#define STREAM_OKM_LEN (CS_AEAD_KEY_LEN + CS_AEAD_NONCE_LEN)
#define STREAM_LEN_MASK 0x7fffffffu

/* stream_chunk_keys - key and nonce of chunk index (final or not) */
static void
stream_chunk_keys(const uint8_t secret[CS_HASH_LEN], uint64_t index,
    int final, uint8_t okm[STREAM_OKM_LEN])
{
	uint8_t info[STREAM_INFO_LEN];
	size_t i;

	memcpy(info, STREAM_LABEL, STREAM_LABEL_LEN);
	for (i = 0; i < 8; i++)
		info[STREAM_LABEL_LEN + i] = (uint8_t)(index >> (56 - 8 * i));
	info[STREAM_INFO_LEN - 1] = final ? 1 : 0;
	/* 44 bytes is far under the HKDF limit, so this cannot fail */
	(void)cs_hkdf_expand(secret, info, sizeof(info), okm, STREAM_OKM_LEN);
}

/* stream_put_frame - encode the frame word big-endian */
static void
stream_put_frame(uint8_t frame[CS_STREAM_FRAME_LEN], size_t len, int final)
{
	uint32_t w = (uint32_t)len | (final ? CS_STREAM_FINAL_BIT : 0);

	frame[0] = (uint8_t)(w >> 24);
	frame[1] = (uint8_t)(w >> 16);
	frame[2] = (uint8_t)(w >> 8);
	frame[3] = (uint8_t)w;
}

/* cs_stream_init - start a stream (either direction) under a 32-byte secret */
void
cs_stream_init(struct cs_stream *s, const uint8_t secret[CS_HASH_LEN])
{
	memcpy(s->secret, secret, CS_HASH_LEN);
	s->index = 0;
	s->finished = 0;
}

/* cs_stream_seal - seal one chunk; len must be CS_STREAM_CHUNK unless final */
cs_result
cs_stream_seal(struct cs_stream *s, const uint8_t *pt, size_t len,
    int final, uint8_t *out, size_t *out_len)
{
	uint8_t okm[STREAM_OKM_LEN];

	if (s->finished || len > CS_STREAM_CHUNK ||
	    (!final && len != CS_STREAM_CHUNK))
		return CS_ERR_INVAL;
	/* the next index would wrap and reuse chunk 0's key and nonce */
	if (s->index == UINT64_MAX)
		return CS_ERR_TOOBIG;
	stream_put_frame(out, len, final);
	stream_chunk_keys(s->secret, s->index, final, okm);
	cs_aead_seal(okm, okm + CS_AEAD_KEY_LEN, out, CS_STREAM_FRAME_LEN,
	    pt, len, out + CS_STREAM_FRAME_LEN);
	cs_wipe(okm, sizeof(okm));
	s->index++;
	s->finished = final ? 1 : 0;
	*out_len = CS_STREAM_FRAME_LEN + len + CS_AEAD_TAG_LEN;
	return CS_OK;
}

/* cs_stream_frame - decode a frame word: plaintext length and final flag */
cs_result
cs_stream_frame(const uint8_t frame[CS_STREAM_FRAME_LEN], size_t *pt_len,
    int *final)
{
	uint32_t w, len;

	w = (uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 |
	    (uint32_t)frame[2] << 8 | frame[3];
	len = w & STREAM_LEN_MASK;
	if (len > CS_STREAM_CHUNK)
		return CS_ERR_FORMAT;
	/* the writer never makes a short non-final chunk, so one is damage;
	 * refusing it here, before any read or decrypt, also keeps every
	 * chunk's offset a plain function of its index */
	if (!(w & CS_STREAM_FINAL_BIT) && len != CS_STREAM_CHUNK)
		return CS_ERR_FORMAT;
	*pt_len = len;
	*final = (w & CS_STREAM_FINAL_BIT) != 0;
	return CS_OK;
}

/* cs_stream_open - open one chunk: frame word plus ciphertext and tag */
cs_result
cs_stream_open(struct cs_stream *s,
    const uint8_t frame[CS_STREAM_FRAME_LEN], const uint8_t *ct, size_t ct_len,
    uint8_t *pt, size_t *pt_len, int *final)
{
	uint8_t okm[STREAM_OKM_LEN];
	size_t len;
	int fin;
	cs_result r;

	*pt_len = 0;
	if (s->finished)
		return CS_ERR_TRAILING;
	if (s->index == UINT64_MAX)
		return CS_ERR_TOOBIG;
	if ((r = cs_stream_frame(frame, &len, &fin)) != CS_OK)
		return r;
	if (ct_len != len + CS_AEAD_TAG_LEN)
		return CS_ERR_INVAL;
	/* the flag read from the frame picks the key: a flipped flag
	 * opens under the wrong key and fails like any other tamper */
	stream_chunk_keys(s->secret, s->index, fin, okm);
	r = cs_aead_open(okm, okm + CS_AEAD_KEY_LEN, frame, CS_STREAM_FRAME_LEN,
	    ct, ct_len, pt);
	cs_wipe(okm, sizeof(okm));
	if (r != CS_OK)
		return CS_ERR_AUTH;
	s->index++;
	s->finished = fin;
	*pt_len = len;
	*final = fin;
	return CS_OK;
}

/* stream_walk - open every chunk of in into out; the body of open_buffer */
static cs_result
stream_walk(struct cs_stream *s, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t out_cap, size_t *out_len)
{
	size_t pos = 0, len, got;
	uint8_t *dst;
	int final = 0;
	cs_result r;

	while (!final) {
		if (in_len - pos < CS_STREAM_FRAME_LEN)
			return CS_ERR_TRUNCATED;
		if ((r = cs_stream_frame(in + pos, &len, &final)) != CS_OK)
			return r;
		if (in_len - pos - CS_STREAM_FRAME_LEN < len + CS_AEAD_TAG_LEN)
			return CS_ERR_TRUNCATED;
		if (out_cap - *out_len < len)
			return CS_ERR_TOOBIG;
		/* an empty final chunk may come with out == NULL */
		dst = len > 0 ? out + *out_len : out;
		r = cs_stream_open(s, in + pos, in + pos + CS_STREAM_FRAME_LEN,
		    len + CS_AEAD_TAG_LEN, dst, &got, &final);
		if (r != CS_OK)
			return r;
		*out_len += got;
		pos += CS_STREAM_FRAME_LEN + len + CS_AEAD_TAG_LEN;
	}
	if (pos != in_len)
		return CS_ERR_TRAILING;
	return CS_OK;
}

/* cs_stream_open_buffer - open a whole sealed stream held in memory */
cs_result
cs_stream_open_buffer(const uint8_t secret[CS_HASH_LEN], const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct cs_stream s;
	cs_result r;

	*out_len = 0;
	cs_stream_init(&s, secret);
	r = stream_walk(&s, in, in_len, out, out_cap, out_len);
	cs_stream_wipe(&s);
	if (r != CS_OK) {
		/* the chunks before a bad one did verify, but a stream is
		 * only authentic as a whole */
		cs_wipe(out, *out_len);
		*out_len = 0;
	}
	return r;
}

/* cs_stream_wipe - forget the secret */
void
cs_stream_wipe(struct cs_stream *s)
{
	cs_wipe(s, sizeof(*s));
}
