/*
 * test_pageenc.c - encoded pages (page stream version 2) from the front
 * ends' encoder (backend/page_enc.c) through the worker's reader
 * (filters/source_pages.c): every page kind SANE gives (bilevel, gray,
 * colour interleaved and three-pass planar, 16-bit, padded lines) decodes
 * to the same pixels as its raw page when lossless, and to nearly the
 * same when JPEG; each gets the encoding the brief asks for (G4, Deflate,
 * JPEG; Deflate for bilevel noise G4 would inflate and for planar pages
 * JPEG cannot stream); the encoder takes its input cut anywhere; a smooth
 * gray page shrinks; and a cut, bit-flipped, over-long or mislabelled
 * encoded page is refused, never decoded into something else.
 *
 * With CS_PAGEENC_CORPUS=DIR it also writes the encoded streams it makes
 * to DIR (how tests/fuzz/corpus/pages-enc-* were made).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "config.h"
#include "page_enc.h"
#include "pagestream.h"
#include "source.h"

/* A growable byte buffer for streams. */
struct bytes {
	uint8_t *p;
	size_t len, cap;
};

static void
bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* collect - the encoder's output callback */
static int
collect(void *ctx, const void *p, size_t len)
{
	bytes_add(ctx, p, len);
	return 0;
}

static uint32_t rnd_state;

static uint32_t
rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* The size of the pages raw_page makes */
static uint32_t page_w = 301, page_h = 203;

/* Page kinds */
enum kind { BW_TEXT, BW_NOISE, GRAY, RGB, PLANAR, GRAY16, GRAY_PADDED, BLANK16 };

/* raw_page - a raw page stream header and data for kind: smooth
 * gradients with a little noise (like paper), or text-like boxes */
static void
raw_page(enum kind k, struct bytes *out)
{
	struct cs_page_hdr h;
	uint8_t raw[CS_PAGE_HDR_LEN];
	uint32_t w = page_w, ht = page_h, x, y, p;
	uint64_t len;
	uint8_t *d;

	memset(&h, 0, sizeof(h));
	h.width = w;
	h.height = ht;
	h.xres = h.yres = 150;
	h.channels = k == RGB || k == PLANAR ? 3 : 1;
	h.depth = k == BW_TEXT || k == BW_NOISE ? 1 : k == GRAY16 ||
	    k == BLANK16 ? 16 : 8;
	h.flags = k == PLANAR ? CS_PAGE_PLANAR : 0;
	if (k == GRAY16)
		h.flags |= CS_PAGE_NATIVE_LE;
	h.bytes_per_line = (uint32_t)cs_page_min_bpl(&h) +
	    (k == GRAY_PADDED ? 3 : 0);
	cs_page_encode(&h, raw);
	bytes_add(out, raw, sizeof(raw));
	len = cs_page_data_len(&h);
	d = calloc(1, len);
	assert_non_null(d);
	rnd_state = 11;
	for (y = 0; y < ht * (k == PLANAR ? 3 : 1); y++)
		for (x = 0; x < h.bytes_per_line; x++) {
			p = (uint32_t)y * h.bytes_per_line + x;
			if (k == BLANK16)
				d[p] = 0;	/* a few input bytes, long output */
			else if (k == BW_NOISE)
				d[p] = (uint8_t)rnd();
			else if (k == BW_TEXT)
				d[p] = (y % 40 > 25 && x % 7 < 5) ? 0x7e : 0;
			else
				d[p] = (uint8_t)(x / 2 + y / 3 + rnd() % 3);
		}
	bytes_add(out, d, len);
	free(d);
}

/* stream_of - kinds' raw pages and the end marker */
static void
stream_of(const enum kind *k, size_t n, struct bytes *out)
{
	uint8_t end[CS_PAGE_HDR_LEN];
	size_t i;

	for (i = 0; i < n; i++)
		raw_page(k[i], out);
	cs_page_encode_end(end);
	bytes_add(out, end, sizeof(end));
}

/* encode - raw through the encoder in chunks of `chunk` bytes */
static void
encode(const struct bytes *raw, int mode, size_t chunk, struct bytes *out)
{
	struct page_enc e;
	size_t off, k;

	assert_int_equal(page_enc_init(&e, mode, 85, collect, out), 0);
	for (off = 0; off < raw->len; off += k) {
		k = raw->len - off < chunk ? raw->len - off : chunk;
		assert_int_equal(page_enc_write(&e, raw->p + off, k), 0);
	}
	page_enc_free(&e);
}

/* decode - every page of a stream through the worker's reader; the
 * number of pages, or -1 when the reader refused the stream */
static int
decode(const struct bytes *b, PIX **pages, int max)
{
	struct source s;
	int fd = memfd_create("pages", MFD_CLOEXEC), n = 0, rc;
	PIX *pix;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(source_open(&s, fd), 0);
	while ((rc = source_next(&s, &pix)) == 1) {
		if (n < max)
			pages[n] = pix;
		else
			pixDestroy(&pix);
		n++;
	}
	source_close(&s);
	close(fd);
	if (rc < 0) {
		while (n > 0 && n <= max)
			pixDestroy(&pages[--n]);
		return -1;
	}
	return n;
}

/* encodings - the encoding byte of each page header in an encoded stream
 * (walking the blocks), into enc; the count */
static int
encodings(const struct bytes *b, uint8_t *enc, int max)
{
	struct cs_page_hdr h;
	size_t off = 0;
	uint32_t len;
	int n = 0;

	while (off + CS_PAGE_HDR_LEN <= b->len &&
	    cs_page_decode(b->p + off, &h) == CS_OK) {
		off += CS_PAGE_HDR_LEN;
		if (n < max)
			enc[n] = h.encoding;
		n++;
		if (h.encoding == CS_PAGE_ENC_RAW) {
			off += cs_page_data_len(&h);
			continue;
		}
		do {
			len = cs_page_get_block(b->p + off);
			off += 4 + len;
		} while (len != 0);
	}
	return n;
}

/* corpus - the stream into $CS_PAGEENC_CORPUS/name, when set */
static void
corpus(const char *name, const struct bytes *b)
{
	const char *dir = getenv("CS_PAGEENC_CORPUS");
	char path[512];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(b->p, 1, b->len, f), b->len);
	fclose(f);
}

/* mean_diff - mean absolute difference of two 8 or 32 bpp pages, per
 * sample */
static double
mean_diff(PIX *a, PIX *b)
{
	l_int32 w = pixGetWidth(a), h = pixGetHeight(a), x, y, s;
	l_uint32 u, v;
	double sum = 0;
	int n = pixGetDepth(a) == 32 ? 3 : 1;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			pixGetPixel(a, x, y, &u);
			pixGetPixel(b, x, y, &v);
			for (s = 0; s < n; s++) {
				int d = (int)((u >> (8 * (3 - s + (n == 1 ?
				    -3 : 0)))) & 0xff) - (int)((v >> (8 *
				    (3 - s + (n == 1 ? -3 : 0)))) & 0xff);
				sum += d < 0 ? -d : d;
			}
		}
	return sum / ((double)w * h * n);
}

static const enum kind all[] = { BW_TEXT, BW_NOISE, GRAY, RGB, PLANAR,
    GRAY16, GRAY_PADDED, BLANK16 };
#define NALL (sizeof(all) / sizeof(all[0]))

static void
lossless_pages_decode_to_the_raw_pixels(void **state)
{
	static const size_t chunks[] = { 1, 7, 1000, 1 << 20 };
	static const uint8_t want[] = { CS_PAGE_ENC_G4, CS_PAGE_ENC_DEFLATE,
	    CS_PAGE_ENC_DEFLATE, CS_PAGE_ENC_DEFLATE, CS_PAGE_ENC_DEFLATE,
	    CS_PAGE_ENC_DEFLATE, CS_PAGE_ENC_DEFLATE, CS_PAGE_ENC_DEFLATE };
	struct bytes raw = { 0 }, enc;
	PIX *a[NALL], *b[NALL];
	uint8_t e[NALL];
	size_t c, i;
	l_int32 same;

	(void)state;
	stream_of(all, NALL, &raw);
	assert_int_equal(decode(&raw, a, NALL), NALL);
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		memset(&enc, 0, sizeof(enc));
		encode(&raw, CS_PAGE_COMP_LOSSLESS, chunks[c], &enc);
		assert_int_equal(encodings(&enc, e, NALL), NALL);
		assert_memory_equal(e, want, NALL);
		assert_int_equal(decode(&enc, b, NALL), NALL);
		for (i = 0; i < NALL; i++) {
			assert_int_equal(pixEqual(a[i], b[i], &same), 0);
			assert_true(same);
			assert_int_equal(pixGetXRes(b[i]), 150);
			pixDestroy(&b[i]);
		}
		free(enc.p);
	}
	for (i = 0; i < NALL; i++)
		pixDestroy(&a[i]);
	free(raw.p);
}

static void
jpeg_pages_are_close_and_bilevel_stays_g4(void **state)
{
	static const uint8_t want[] = { CS_PAGE_ENC_G4, CS_PAGE_ENC_DEFLATE,
	    CS_PAGE_ENC_JPEG, CS_PAGE_ENC_JPEG, CS_PAGE_ENC_DEFLATE,
	    CS_PAGE_ENC_JPEG, CS_PAGE_ENC_JPEG, CS_PAGE_ENC_JPEG };
	struct bytes raw = { 0 }, enc = { 0 };
	PIX *a[NALL], *b[NALL];
	uint8_t e[NALL];
	double diff;
	l_int32 same;
	size_t i;

	(void)state;
	stream_of(all, NALL, &raw);
	assert_int_equal(decode(&raw, a, NALL), NALL);
	encode(&raw, CS_PAGE_COMP_JPEG, 4096, &enc);
	assert_int_equal(encodings(&enc, e, NALL), NALL);
	assert_memory_equal(e, want, NALL);
	assert_int_equal(decode(&enc, b, NALL), NALL);
	for (i = 0; i < NALL; i++) {
		assert_int_equal(pixGetWidth(b[i]), pixGetWidth(a[i]));
		assert_int_equal(pixGetHeight(b[i]), pixGetHeight(a[i]));
		assert_int_equal(pixGetDepth(b[i]), pixGetDepth(a[i]));
		if (e[i] != CS_PAGE_ENC_JPEG) {
			assert_int_equal(pixEqual(a[i], b[i], &same), 0);
			assert_true(same);
		} else {
			/* quality 85 on a gradient: a level or two off */
			diff = mean_diff(a[i], b[i]);
			assert_true(diff < 4.0);
		}
		pixDestroy(&a[i]);
		pixDestroy(&b[i]);
	}
	free(raw.p);
	free(enc.p);
}

static void
small_pages_round_trip_for_the_fuzz_corpus(void **state)
{
	static const int modes[] = { CS_PAGE_COMP_LOSSLESS, CS_PAGE_COMP_JPEG };
	static const char *const names[] = { "pages-enc-lossless.csp",
	    "pages-enc-jpeg.csp" };
	struct bytes raw = { 0 }, enc;
	PIX *b[NALL];
	size_t m, i;

	(void)state;
	/* small, so the fuzzer's 64 KiB inputs hold every kind */
	page_w = 37;
	page_h = 23;
	stream_of(all, NALL, &raw);
	page_w = 301;
	page_h = 203;
	for (m = 0; m < 2; m++) {
		memset(&enc, 0, sizeof(enc));
		encode(&raw, modes[m], 100, &enc);
		assert_true(enc.len < 65536);
		corpus(names[m], &enc);
		assert_int_equal(decode(&enc, b, NALL), NALL);
		for (i = 0; i < NALL; i++)
			pixDestroy(&b[i]);
		free(enc.p);
	}
	free(raw.p);
}

static void
blank_pages_decode_whatever_their_size(void **state)
{
	static const enum kind k[] = { BLANK16 };
	static const uint32_t sizes[][2] = { { 118, 88 }, { 301, 203 },
	    { 1, 1 }, { 2550, 40 } };
	struct bytes raw, enc;
	PIX *a, *b;
	l_int32 same;
	size_t i;

	(void)state;
	/* a few bytes of Deflate stand for many rows of zeros: the reader
	 * must keep inflating after its input ran out (t-scan's blank
	 * 16-bit PNM page found this) */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&raw, 0, sizeof(raw));
		memset(&enc, 0, sizeof(enc));
		page_w = sizes[i][0];
		page_h = sizes[i][1];
		stream_of(k, 1, &raw);
		encode(&raw, CS_PAGE_COMP_LOSSLESS, 65536, &enc);
		assert_int_equal(decode(&raw, &a, 1), 1);
		assert_int_equal(decode(&enc, &b, 1), 1);
		assert_int_equal(pixEqual(a, b, &same), 0);
		assert_true(same);
		pixDestroy(&a);
		pixDestroy(&b);
		free(raw.p);
		free(enc.p);
	}
	page_w = 301;
	page_h = 203;
}

static void
none_keeps_version_1_pages_byte_for_byte(void **state)
{
	struct bytes raw = { 0 }, enc = { 0 };

	(void)state;
	stream_of(all, NALL, &raw);
	encode(&raw, CS_PAGE_COMP_NONE, 333, &enc);
	assert_int_equal(enc.len, raw.len);
	assert_memory_equal(enc.p, raw.p, raw.len);
	free(raw.p);
	free(enc.p);
}

static void
a_smooth_gray_page_shrinks(void **state)
{
	static const enum kind k[] = { GRAY };
	struct bytes raw = { 0 }, enc = { 0 };

	(void)state;
	stream_of(k, 1, &raw);
	encode(&raw, CS_PAGE_COMP_LOSSLESS, 65536, &enc);
	/* 2 bits of noise a pixel are left: well under half */
	assert_true(enc.len * 2 < raw.len);
	free(raw.p);
	free(enc.p);
}

/* refused - the reader refuses b */
static void
refused(const struct bytes *b)
{
	PIX *p[4];

	assert_int_equal(decode(b, p, 4), -1);
}

/* refused_or_sized - the reader refuses b, or gives pages of the raw
 * page's size */
static void
refused_or_sized(const struct bytes *b)
{
	PIX *p[4];
	int n = decode(b, p, 4), i;

	assert_true(n == -1 || n == 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(pixGetWidth(p[i]), (l_int32)page_w);
		assert_int_equal(pixGetHeight(p[i]), (l_int32)page_h);
		pixDestroy(&p[i]);
	}
}

static void
damaged_encoded_pages_are_refused(void **state)
{
	static const enum kind k[] = { GRAY, BW_TEXT };
	struct bytes raw = { 0 }, enc = { 0 }, bad = { 0 };
	uint8_t hdr[CS_PAGE_HDR_LEN];
	struct cs_page_hdr h;
	size_t cut, first;
	uint32_t len;

	(void)state;
	stream_of(k, 2, &raw);
	encode(&raw, CS_PAGE_COMP_LOSSLESS, 65536, &enc);
	/* the first page: header, blocks, zero block */
	first = CS_PAGE_HDR_LEN;
	do {
		len = cs_page_get_block(enc.p + first);
		first += 4 + len;
	} while (len != 0);
	/* cut anywhere: in the first page's data, in the second's */
	for (cut = CS_PAGE_HDR_LEN + 2; cut < enc.len - CS_PAGE_HDR_LEN;
	    cut += (enc.len / 7) | 1) {
		bad.len = 0;
		bytes_add(&bad, enc.p, cut);
		refused(&bad);
	}
	/* a flipped bit in the Deflate data: raw Deflate has no checksum
	 * (the spool's AEAD has), so the reader may refuse it or decode a
	 * page, but one of the header's size, and never crash */
	bad.len = 0;
	bytes_add(&bad, enc.p, enc.len);
	bad.p[CS_PAGE_HDR_LEN + 4 + 40] ^= 0x10;
	refused_or_sized(&bad);
	/* a header flipped to a Deflate block type that does not exist */
	bad.len = 0;
	bytes_add(&bad, enc.p, enc.len);
	bad.p[CS_PAGE_HDR_LEN + 4] |= 0x06;
	refused(&bad);
	/* a block length over the maximum */
	bad.len = 0;
	bytes_add(&bad, enc.p, enc.len);
	cs_page_put_block(CS_PAGE_BLOCK_MAX + 1, bad.p + CS_PAGE_HDR_LEN);
	refused(&bad);
	/* the zero block missing: the next header read as block data */
	bad.len = 0;
	bytes_add(&bad, enc.p, first - 4);
	bytes_add(&bad, enc.p + first, enc.len - first);
	refused(&bad);
	/* a page that says one line less: its stream has data left over */
	bad.len = 0;
	bytes_add(&bad, enc.p, enc.len);
	assert_int_equal(cs_page_decode(bad.p, &h), CS_OK);
	h.height--;
	cs_page_encode(&h, hdr);
	memcpy(bad.p, hdr, sizeof(hdr));
	refused(&bad);
	/* one line more: the stream ends early */
	h.height += 2;
	cs_page_encode(&h, hdr);
	memcpy(bad.p, hdr, sizeof(hdr));
	refused(&bad);
	/* the G4 page relabelled Deflate: zlib refuses G4 data */
	bad.len = 0;
	bytes_add(&bad, enc.p, enc.len);
	bad.p[first + 28] = CS_PAGE_ENC_DEFLATE;
	refused(&bad);
	free(raw.p);
	free(enc.p);
	free(bad.p);
}

static void
headers_say_what_an_encoding_may_carry(void **state)
{
	struct cs_page_hdr h, out;
	uint8_t raw[CS_PAGE_HDR_LEN];

	(void)state;
	memset(&h, 0, sizeof(h));
	h.channels = 1;
	h.depth = 8;
	h.width = 100;
	h.height = 10;
	h.bytes_per_line = 100;
	h.xres = h.yres = 300;
	h.encoding = CS_PAGE_ENC_DEFLATE;
	cs_page_encode(&h, raw);
	assert_int_equal(raw[4], CS_PAGE_VERSION_ENC);
	assert_int_equal(cs_page_decode(raw, &out), CS_OK);
	assert_int_equal(out.encoding, CS_PAGE_ENC_DEFLATE);
	h.encoding = CS_PAGE_ENC_G4;		/* G4 of 8-bit gray */
	cs_page_encode(&h, raw);
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
	h.encoding = CS_PAGE_ENC_JPEG;
	h.bytes_per_line = 104;			/* JPEG with padded lines */
	cs_page_encode(&h, raw);
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
	h.bytes_per_line = 100;
	h.encoding = 4;				/* unknown */
	cs_page_encode(&h, raw);
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
	h.encoding = CS_PAGE_ENC_RAW;		/* version 1, byte 28 set */
	cs_page_encode(&h, raw);
	raw[28] = CS_PAGE_ENC_DEFLATE;
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
	raw[28] = 0;				/* version 2 with no encoding */
	raw[4] = CS_PAGE_VERSION_ENC;
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
	assert_int_equal(cs_page_enc_max(&h), 2 * 1000 + 65536);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lossless_pages_decode_to_the_raw_pixels),
		cmocka_unit_test(jpeg_pages_are_close_and_bilevel_stays_g4),
		cmocka_unit_test(small_pages_round_trip_for_the_fuzz_corpus),
		cmocka_unit_test(blank_pages_decode_whatever_their_size),
		cmocka_unit_test(none_keeps_version_1_pages_byte_for_byte),
		cmocka_unit_test(a_smooth_gray_page_shrinks),
		cmocka_unit_test(damaged_encoded_pages_are_refused),
		cmocka_unit_test(headers_say_what_an_encoding_may_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
