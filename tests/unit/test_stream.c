/*
 * test_stream.c - the chunked stream's promises, one test per promise.
 *
 * stream.h claims that a dropped, duplicated, reordered or foreign chunk,
 * a flipped bit or final flag, a missing end and bytes after the end are
 * all caught. Each test below builds an honest sealed stream, damages it
 * in one way and checks that cs_stream_open_buffer names the damage, and
 * that no plaintext leaks out of a failed open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream.h"

#define CHUNK ((size_t)CS_STREAM_CHUNK)
#define OVERHEAD ((size_t)CS_STREAM_FRAME_LEN + CS_AEAD_TAG_LEN)
#define MAX_CHUNKS 8
/* for open_expect: any error will do, as long as it is an error */
#define ANY_ERROR CS_ERR__COUNT

/* a sealed stream and where each of its chunks lies */
struct sealed {
	uint8_t *buf;
	size_t len;
	size_t off[MAX_CHUNKS], clen[MAX_CHUNKS];
	size_t n;
};

static const uint8_t secret_a[CS_HASH_LEN] = { 0xa1, 0xa2, 0xa3 };
static const uint8_t secret_b[CS_HASH_LEN] = { 0xb1, 0xb2, 0xb3 };

/* plaintext - len bytes of a pattern that differs chunk to chunk */
static uint8_t *
plaintext(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + i / CHUNK);
	return p;
}

/* seal_all - seal pt whole; full_final makes a last full chunk final
 * instead of following it with an empty final chunk */
static void
seal_all(const uint8_t *secret, const uint8_t *pt, size_t len,
    int full_final, struct sealed *sd)
{
	struct cs_stream s;
	size_t pos = 0, n, got;
	int final;

	sd->buf = malloc(len + (len / CHUNK + 1) * OVERHEAD);
	assert_non_null(sd->buf);
	sd->len = sd->n = 0;
	cs_stream_init(&s, secret);
	do {
		n = len - pos < CHUNK ? len - pos : CHUNK;
		final = len - pos < CHUNK || (full_final && len - pos == CHUNK);
		assert_true(sd->n < MAX_CHUNKS);
		/* pt is NULL for the empty stream: no arithmetic on it */
		assert_int_equal(cs_stream_seal(&s, n ? pt + pos : pt, n,
		    final, sd->buf + sd->len, &got), CS_OK);
		assert_int_equal(got, n + OVERHEAD);
		sd->off[sd->n] = sd->len;
		sd->clen[sd->n++] = got;
		sd->len += got;
		pos += n;
	} while (!final);
	cs_stream_wipe(&s);
}

/* pick - a new stream of the chunks of sd in the given order */
static uint8_t *
pick(const struct sealed *sd, const size_t *order, size_t n, size_t *len)
{
	uint8_t *b;
	size_t i;

	*len = 0;
	for (i = 0; i < n; i++)
		*len += sd->clen[order[i]];
	b = malloc(*len ? *len : 1);
	assert_non_null(b);
	*len = 0;
	for (i = 0; i < n; i++) {
		memcpy(b + *len, sd->buf + sd->off[order[i]],
		    sd->clen[order[i]]);
		*len += sd->clen[order[i]];
	}
	return b;
}

/* open_expect - open in under secret_a, expect want (or ANY_ERROR); on
 * success the plaintext must be pt, on failure nothing may be returned */
static void
open_expect(const uint8_t *in, size_t in_len, cs_result want,
    const uint8_t *pt, size_t pt_len)
{
	size_t cap = in_len, got = 12345, i;
	uint8_t *out = calloc(1, cap ? cap : 1);
	cs_result r;

	assert_non_null(out);
	r = cs_stream_open_buffer(secret_a, in, in_len, out, cap, &got);
	if (want == ANY_ERROR)
		assert_int_not_equal(r, CS_OK);
	else
		assert_int_equal(r, want);
	if (want == CS_OK) {
		assert_int_equal(got, pt_len);
		if (pt_len > 0)
			assert_memory_equal(out, pt, pt_len);
	} else {
		assert_int_equal(got, 0);
		/* out started zeroed: whatever was written must be wiped */
		for (i = 0; i < cap; i++)
			assert_int_equal(out[i], 0);
	}
	free(out);
}

/* sealed_chunk_matches_format_spec - known answers, computed apart from
 * this code (Python "cryptography"), pin the on-disk format: frame word,
 * HKDF info layout with a big-endian index, final byte, AAD */
static void
sealed_chunk_matches_format_spec(void **state)
{
	static const struct {
		uint64_t index;
		size_t len;
		const char *hex;
	} kat[] = {
		{ 0, 5, "80000005208b66ece4f58a546c03a016d6a578d16996114ec7" },
		{ 0x0102030405060708ull, 5,
		    "80000005c73986af1387bb0d102760653ac90aa4be9bd5ce4f" },
		{ 0x0102030405060708ull, 0,
		    "8000000079abf9fad94894c9d9ea556f22640aa7" },
	};
	uint8_t *pt = plaintext(CHUNK), *out = malloc(CHUNK + OVERHEAD);
	uint8_t *want = malloc(CHUNK + OVERHEAD), okm[44], info[25];
	struct cs_stream s;
	size_t i, got;
	unsigned int b;

	(void)state;
	assert_non_null(out);
	assert_non_null(want);
	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		cs_stream_init(&s, secret_a);
		s.index = kat[i].index;
		assert_int_equal(cs_stream_seal(&s, (const uint8_t *)"hello",
		    kat[i].len, 1, out, &got), CS_OK);
		assert_int_equal(got, strlen(kat[i].hex) / 2);
		for (b = 0; b < got; b++) {
			unsigned int x;

			assert_int_equal(sscanf(kat[i].hex + 2 * b, "%2x", &x),
			    1);
			assert_int_equal(out[b], x);
		}
	}
	/* a non-final chunk, rebuilt from the spec with the primitives */
	memcpy(info, "cloudspool chunk", 16);
	memset(info + 16, 0, 9);
	info[23] = 1;		/* index 1, final byte 0 */
	assert_int_equal(cs_hkdf_expand(secret_a, info, 25, okm, 44), CS_OK);
	memcpy(want, (const uint8_t[]){ 0x00, 0x01, 0x00, 0x00 }, 4);
	cs_aead_seal(okm, okm + 32, want, 4, pt, CHUNK, want + 4);
	cs_stream_init(&s, secret_a);
	s.index = 1;
	assert_int_equal(cs_stream_seal(&s, pt, CHUNK, 0, out, &got), CS_OK);
	assert_int_equal(got, CHUNK + OVERHEAD);
	assert_memory_equal(out, want, got);
	cs_stream_wipe(&s);
	free(want);
	free(out);
	free(pt);
}

/* round_trip_multi_chunk - 3.5 chunks out as they went in, both APIs */
static void
round_trip_multi_chunk(void **state)
{
	size_t len = 3 * CHUNK + CHUNK / 2, pos = 0, off = 0, got;
	uint8_t *pt = plaintext(len), *out = malloc(len);
	struct cs_stream s;
	struct sealed sd;
	int final = 0;

	(void)state;
	assert_non_null(out);
	seal_all(secret_a, pt, len, 0, &sd);
	assert_int_equal(sd.n, 4);
	open_expect(sd.buf, sd.len, CS_OK, pt, len);
	/* one byte short of room: refused, and nothing handed out */
	assert_int_equal(cs_stream_open_buffer(secret_a, sd.buf, sd.len, out,
	    len - 1, &got), CS_ERR_TOOBIG);
	assert_int_equal(got, 0);
	/* chunk by chunk, as a caller reading a file would */
	cs_stream_init(&s, secret_a);
	while (!final) {
		assert_int_equal(cs_stream_open(&s, sd.buf + off,
		    sd.buf + off + 4, sd.clen[s.index] - 4, out + pos, &got,
		    &final), CS_OK);
		pos += got;
		off += got + OVERHEAD;
	}
	assert_int_equal(pos, len);
	assert_memory_equal(out, pt, len);
	cs_stream_wipe(&s);
	free(sd.buf);
	free(pt);
	free(out);
}

/* round_trip_empty_final - a whole number of chunks ends with an empty
 * final chunk, and the empty stream is one empty final chunk */
static void
round_trip_empty_final(void **state)
{
	uint8_t *pt = plaintext(2 * CHUNK);
	struct sealed sd;

	(void)state;
	seal_all(secret_a, pt, 2 * CHUNK, 0, &sd);
	assert_int_equal(sd.n, 3);
	assert_int_equal(sd.clen[2], OVERHEAD);
	open_expect(sd.buf, sd.len, CS_OK, pt, 2 * CHUNK);
	free(sd.buf);
	seal_all(secret_a, NULL, 0, 0, &sd);
	assert_int_equal(sd.len, OVERHEAD);
	open_expect(sd.buf, sd.len, CS_OK, NULL, 0);
	free(sd.buf);
	free(pt);
}

/* truncated_stream_is_rejected - no final chunk, or a cut inside one */
static void
truncated_stream_is_rejected(void **state)
{
	size_t len = 2 * CHUNK + 100, cut;
	uint8_t *pt = plaintext(len);
	struct sealed sd;

	(void)state;
	seal_all(secret_a, pt, len, 0, &sd);
	/* every chunk boundary before the final one, and nothing at all */
	open_expect(sd.buf, sd.off[2], CS_ERR_TRUNCATED, pt, len);
	open_expect(sd.buf, sd.off[1], CS_ERR_TRUNCATED, pt, len);
	open_expect(sd.buf, 0, CS_ERR_TRUNCATED, pt, len);
	/* cut inside a frame word, a ciphertext, a tag */
	for (cut = 1; cut < CS_STREAM_FRAME_LEN; cut++)
		open_expect(sd.buf, sd.off[2] + cut, CS_ERR_TRUNCATED, pt, len);
	open_expect(sd.buf, sd.off[1] + 1000, CS_ERR_TRUNCATED, pt, len);
	open_expect(sd.buf, sd.len - 1, CS_ERR_TRUNCATED, pt, len);
	free(sd.buf);
	free(pt);
}

/* dropped_chunk_is_rejected - chunk 1 of 4 left out */
static void
dropped_chunk_is_rejected(void **state)
{
	static const size_t order[] = { 0, 2, 3 };
	size_t len = 3 * CHUNK + 10, blen;
	uint8_t *pt = plaintext(len), *b;
	struct sealed sd;

	(void)state;
	seal_all(secret_a, pt, len, 0, &sd);
	b = pick(&sd, order, 3, &blen);
	open_expect(b, blen, CS_ERR_AUTH, pt, len);
	free(b);
	free(sd.buf);
	free(pt);
}

/* reordered_chunks_are_rejected - two full chunks swapped */
static void
reordered_chunks_are_rejected(void **state)
{
	static const size_t order[] = { 0, 2, 1, 3 };
	size_t len = 3 * CHUNK + 10, blen;
	uint8_t *pt = plaintext(len), *b;
	struct sealed sd;

	(void)state;
	seal_all(secret_a, pt, len, 0, &sd);
	b = pick(&sd, order, 4, &blen);
	open_expect(b, blen, CS_ERR_AUTH, pt, len);
	free(b);
	free(sd.buf);
	free(pt);
}

/* duplicated_chunk_is_rejected - chunk 1 twice */
static void
duplicated_chunk_is_rejected(void **state)
{
	static const size_t order[] = { 0, 1, 1, 2 };
	size_t len = 2 * CHUNK + 10, blen;
	uint8_t *pt = plaintext(len), *b;
	struct sealed sd;

	(void)state;
	seal_all(secret_a, pt, len, 0, &sd);
	b = pick(&sd, order, 4, &blen);
	open_expect(b, blen, CS_ERR_AUTH, pt, len);
	free(b);
	free(sd.buf);
	free(pt);
}

/* chunk_from_other_stream_is_rejected - same index, other secret */
static void
chunk_from_other_stream_is_rejected(void **state)
{
	size_t len = 2 * CHUNK + 10;
	uint8_t *pt = plaintext(len);
	struct sealed a, b;

	(void)state;
	seal_all(secret_a, pt, len, 0, &a);
	seal_all(secret_b, pt, len, 0, &b);
	assert_int_equal(a.len, b.len);
	/* same plaintext, same position: only the secret differs */
	memcpy(a.buf + a.off[1], b.buf + b.off[1], a.clen[1]);
	open_expect(a.buf, a.len, CS_ERR_AUTH, pt, len);
	/* the final chunk too */
	free(a.buf);
	seal_all(secret_a, pt, len, 0, &a);
	memcpy(a.buf + a.off[2], b.buf + b.off[2], a.clen[2]);
	open_expect(a.buf, a.len, CS_ERR_AUTH, pt, len);
	free(a.buf);
	free(b.buf);
	free(pt);
}

/* bit_flip_in_ciphertext_is_rejected - frame, ciphertext and tag bits */
static void
bit_flip_in_ciphertext_is_rejected(void **state)
{
	size_t len = CHUNK + 300, at[16], n = 0, i;
	uint8_t *pt = plaintext(len);
	struct sealed sd;

	(void)state;
	seal_all(secret_a, pt, len, 0, &sd);
	/* ciphertext and tag of both chunks: always an AUTH failure */
	at[n++] = 4;
	at[n++] = 4 + CHUNK / 2;
	at[n++] = 4 + CHUNK - 1;
	at[n++] = 4 + CHUNK;			/* first tag byte */
	at[n++] = sd.clen[0] - 1;		/* last tag byte */
	at[n++] = sd.off[1] + 4;
	at[n++] = sd.off[1] + 4 + 299;
	at[n++] = sd.len - 16;
	at[n++] = sd.len - 1;
	for (i = 0; i < n; i++) {
		sd.buf[at[i]] ^= 0x10;
		open_expect(sd.buf, sd.len, CS_ERR_AUTH, pt, len);
		sd.buf[at[i]] ^= 0x10;
	}
	/* every frame bit of both chunks: a flipped length disagrees with
	 * the data around it, so the error may name the format or the end
	 * instead of the tag; what matters is that it is an error */
	for (i = 0; i < 64; i++) {
		at[0] = (i < 32 ? 0 : sd.off[1]) + i % 32 / 8;
		sd.buf[at[0]] ^= (uint8_t)(0x80u >> (i % 8));
		open_expect(sd.buf, sd.len, ANY_ERROR, pt, len);
		sd.buf[at[0]] ^= (uint8_t)(0x80u >> (i % 8));
	}
	free(sd.buf);
	free(pt);
}

/* final_flag_flip_is_rejected - both directions, keys bind the flag */
static void
final_flag_flip_is_rejected(void **state)
{
	size_t len = 2 * CHUNK;
	uint8_t *pt = plaintext(len);
	struct sealed sd;

	(void)state;
	/* last full chunk is final: clear its flag, stream looks longer */
	seal_all(secret_a, pt, len, 1, &sd);
	assert_int_equal(sd.n, 2);
	sd.buf[sd.off[1]] ^= 0x80;
	open_expect(sd.buf, sd.len, CS_ERR_AUTH, pt, len);
	sd.buf[sd.off[1]] ^= 0x80;
	open_expect(sd.buf, sd.len, CS_OK, pt, len);
	/* set the flag on chunk 0, and cut the stream there */
	sd.buf[0] ^= 0x80;
	open_expect(sd.buf, sd.clen[0], CS_ERR_AUTH, pt, len);
	free(sd.buf);
	free(pt);
}

/* trailing_data_after_final_is_rejected - a byte, or a whole chunk */
static void
trailing_data_after_final_is_rejected(void **state)
{
	static const size_t order[] = { 0, 1, 1 };
	size_t len = CHUNK + 5, blen, got;
	uint8_t *pt = plaintext(len), *b, out[16];
	struct cs_stream s;
	struct sealed sd;
	int final;

	(void)state;
	seal_all(secret_a, pt, len, 0, &sd);
	b = pick(&sd, order, 3, &blen);
	open_expect(b, sd.len + 1, CS_ERR_TRAILING, pt, len);
	open_expect(b, blen, CS_ERR_TRAILING, pt, len);
	/* the one-chunk API refuses anything after the final chunk too */
	cs_stream_init(&s, secret_a);
	s.index = 1;
	assert_int_equal(cs_stream_open(&s, sd.buf + sd.off[1],
	    sd.buf + sd.off[1] + 4, sd.clen[1] - 4, out, &got, &final), CS_OK);
	assert_true(final);
	assert_int_equal(cs_stream_open(&s, sd.buf + sd.off[1],
	    sd.buf + sd.off[1] + 4, sd.clen[1] - 4, out, &got, &final),
	    CS_ERR_TRAILING);
	cs_stream_wipe(&s);
	free(b);
	free(sd.buf);
	free(pt);
}

/* oversize_frame_is_rejected - lengths over one chunk never parse */
static void
oversize_frame_is_rejected(void **state)
{
	static const uint8_t frames[][4] = {
		{ 0x80, 0x01, 0x00, 0x01 },	/* final, CHUNK + 1 */
		{ 0xff, 0xff, 0xff, 0xff },	/* final, 2^31 - 1 */
		{ 0x00, 0x01, 0x00, 0x01 },	/* non-final, CHUNK + 1 */
	};
	uint8_t buf[64] = { 0 }, out[64];
	size_t i, len, got;
	int final;

	(void)state;
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		assert_int_equal(cs_stream_frame(frames[i], &len, &final),
		    CS_ERR_FORMAT);
		memcpy(buf, frames[i], 4);
		assert_int_equal(cs_stream_open_buffer(secret_a, buf,
		    sizeof(buf), out, sizeof(out), &got), CS_ERR_FORMAT);
	}
	/* the largest legal final frame still parses */
	memcpy(buf, (const uint8_t[]){ 0x80, 0x01, 0x00, 0x00 }, 4);
	assert_int_equal(cs_stream_frame(buf, &len, &final), CS_OK);
	assert_int_equal(len, CHUNK);
	assert_true(final);
}

/* short_nonfinal_chunk_is_rejected - neither sealed nor parsed */
static void
short_nonfinal_chunk_is_rejected(void **state)
{
	static const uint8_t frame[] = { 0x00, 0x00, 0x00, 0x64 };
	uint8_t *pt = plaintext(CHUNK), *out = malloc(CHUNK + OVERHEAD);
	uint8_t buf[0x64 + OVERHEAD] = { 0 };
	struct cs_stream s;
	size_t got, len;
	int final;

	(void)state;
	assert_non_null(out);
	cs_stream_init(&s, secret_a);
	assert_int_equal(cs_stream_seal(&s, pt, CHUNK - 1, 0, out, &got),
	    CS_ERR_INVAL);
	assert_int_equal(cs_stream_seal(&s, pt, 0, 0, out, &got),
	    CS_ERR_INVAL);
	assert_int_equal(cs_stream_seal(&s, pt, CHUNK + 1, 1, out, &got),
	    CS_ERR_INVAL);
	assert_true(s.index == 0);
	assert_int_equal(cs_stream_frame(frame, &len, &final), CS_ERR_FORMAT);
	memcpy(buf, frame, 4);
	assert_int_equal(cs_stream_open_buffer(secret_a, buf, sizeof(buf), out,
	    CHUNK, &got), CS_ERR_FORMAT);
	cs_stream_wipe(&s);
	free(out);
	free(pt);
}

/* seal_after_final_is_refused - a stream has exactly one end */
static void
seal_after_final_is_refused(void **state)
{
	uint8_t pt[8] = { 0 }, out[8 + OVERHEAD];
	struct cs_stream s;
	size_t got;

	(void)state;
	cs_stream_init(&s, secret_a);
	assert_int_equal(cs_stream_seal(&s, pt, 8, 1, out, &got), CS_OK);
	assert_true(s.finished);
	assert_int_equal(cs_stream_seal(&s, pt, 8, 1, out, &got),
	    CS_ERR_INVAL);
	assert_int_equal(cs_stream_seal(&s, pt, 0, 1, out, &got),
	    CS_ERR_INVAL);
	assert_true(s.index == 1);
	cs_stream_wipe(&s);
}

/* main - run every stream property */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sealed_chunk_matches_format_spec),
		cmocka_unit_test(round_trip_multi_chunk),
		cmocka_unit_test(round_trip_empty_final),
		cmocka_unit_test(truncated_stream_is_rejected),
		cmocka_unit_test(dropped_chunk_is_rejected),
		cmocka_unit_test(reordered_chunks_are_rejected),
		cmocka_unit_test(duplicated_chunk_is_rejected),
		cmocka_unit_test(chunk_from_other_stream_is_rejected),
		cmocka_unit_test(bit_flip_in_ciphertext_is_rejected),
		cmocka_unit_test(final_flag_flip_is_rejected),
		cmocka_unit_test(trailing_data_after_final_is_rejected),
		cmocka_unit_test(oversize_frame_is_rejected),
		cmocka_unit_test(short_nonfinal_chunk_is_rejected),
		cmocka_unit_test(seal_after_final_is_refused),
	};

	return cmocka_run_group_tests_name("stream", tests, NULL, NULL) != 0;
}
