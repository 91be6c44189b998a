/*
 * source_pages.c - pages of the spool's page stream (lib/pagestream.h),
 * raw (version 1) or encoded (version 2: G4, Deflate, JPEG in blocks).
 *
 * Everything here is hostile input decoded inside the sandbox. The
 * header (checked by cs_page_decode) says what the page must decode to,
 * and nothing is believed beyond it: a page's PIX is sized from the
 * header, block data is capped at cs_page_enc_max before it is held, a
 * JPEG whose own header disagrees is refused before it is decoded, and a
 * Deflate stream (raw, RFC 1951) must produce exactly the page's rows and
 * then end, in its last block, before the zero block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <tiffio.h>

#include "encode.h"
#include "pagestream.h"
#include "source.h"

#define PAGES_ZIN 65536		/* compressed bytes read at a time */

/* A Deflate page being inflated, row by row. */
struct pages_z {
	struct source *s;
	z_stream z;
	int live;
	uint8_t in[PAGES_ZIN];
	uint32_t block_left;		/* bytes of the current block unread */
	int ended;			/* the zero block was read */
	uint64_t used, max;		/* block bytes so far, the cap */
};

/* A way to get the page's next row of bytes_per_line raw bytes. */
typedef int (*pages_line_fn)(void *ctx, uint8_t *line, size_t bpl);

/* pages_put_line - one line of 1 or 8 bit samples into a PIX row:
 * Leptonica's words hold the first pixel in their most significant bits */
static void
pages_put_line(l_uint32 *row, const uint8_t *line, size_t bytes)
{
	size_t i;

	memset(row, 0, (bytes + 3) / 4 * 4);
	for (i = 0; i < bytes; i++)
		row[i / 4] |= (l_uint32)line[i] << (24 - 8 * (i % 4));
}

/* pages_pix - the empty PIX a page header describes */
static PIX *
pages_pix(const struct cs_page_hdr *h)
{
	int d = h->depth == 1 ? 1 : h->channels == 3 ? 32 : 8;

	if ((uint64_t)h->width * h->height > SOURCE_MAX_PIXELS)
		return NULL;
	return pixCreate((l_int32)h->width, (l_int32)h->height, d);
}

/* pages_narrow - a line's samples to 8 bits (16-bit: the high byte) */
static void
pages_narrow(const struct cs_page_hdr *h, uint8_t *line, size_t samples)
{
	size_t i, hi = (h->flags & CS_PAGE_NATIVE_LE) ? 1 : 0;

	for (i = 0; i < samples; i++)
		line[i] = line[2 * i + hi];
}

/* pages_fill - the page's scanlines, as get gives them, into pix */
static int
pages_fill(const struct cs_page_hdr *h, PIX *pix, uint8_t *line,
    pages_line_fn get, void *ctx)
{
	int planes = (h->flags & CS_PAGE_PLANAR) ? 3 : 1, p;
	size_t per_plane = h->channels == 3 && planes == 1 ? 3 : 1;
	size_t samples = (size_t)h->width * per_plane, x;
	l_uint32 *row, wpl = (l_uint32)pixGetWpl(pix);
	uint32_t y;

	for (p = 0; p < planes; p++) {
		for (y = 0; y < h->height; y++) {
			if (get(ctx, line, h->bytes_per_line) < 0)
				return -1;
			if (h->depth == 16)
				pages_narrow(h, line, samples);
			row = pixGetData(pix) + (size_t)y * wpl;
			if (pixGetDepth(pix) != 32) {
				pages_put_line(row, line, h->depth == 1 ?
				    (h->width + 7) / 8 : h->width);
				continue;
			}
			for (x = 0; x < h->width; x++) {
				if (planes == 1)
					composeRGBPixel(line[3 * x],
					    line[3 * x + 1], line[3 * x + 2],
					    &row[x]);
				else
					row[x] = (row[x] & ~(0xffU <<
					    (24 - 8 * p))) | (l_uint32)line[x]
					    << (24 - 8 * p);
			}
		}
	}
	pixSetPadBits(pix, 0);
	return 0;
}

/* pages_raw_line - a raw page's next line, straight from the stream */
static int
pages_raw_line(void *ctx, uint8_t *line, size_t bpl)
{
	return source_stream_read(ctx, line, bpl);
}

/* pages_block - the next block's length into *len (0: the page's end);
 * 0, or -1 for a cut stream, a bad length or too much data */
static int
pages_block(struct source *s, uint64_t *used, uint64_t max, uint32_t *len)
{
	uint8_t word[4];

	if (source_stream_read(s, word, sizeof(word)) < 0)
		return -1;
	*len = cs_page_get_block(word);
	if (*len > CS_PAGE_BLOCK_MAX || *len > max - *used)
		return -1;
	*used += *len;
	return 0;
}

/* pages_z_fill - more compressed input, from the current block or the
 * next; 0 (maybe none left: z->ended), -1 */
static int
pages_z_fill(struct pages_z *z)
{
	size_t k;

	if (z->block_left == 0 && !z->ended) {
		if (pages_block(z->s, &z->used, z->max, &z->block_left) < 0)
			return -1;
		z->ended = z->block_left == 0;
	}
	if (z->ended)
		return 0;
	k = z->block_left < PAGES_ZIN ? z->block_left : PAGES_ZIN;
	if (source_stream_read(z->s, z->in, k) < 0)
		return -1;
	z->block_left -= (uint32_t)k;
	z->z.next_in = z->in;
	z->z.avail_in = (uInt)k;
	return 0;
}

/* pages_z_read - exactly n inflated bytes into out. Input running out
 * is not the end: inflate may still hold output (a long match of a
 * blank page's zeros outlives its few input bytes); only a call that
 * makes no progress with no input left is a cut stream. */
static int
pages_z_read(struct pages_z *z, uint8_t *out, size_t n)
{
	uInt before;
	int r;

	z->z.next_out = out;
	z->z.avail_out = (uInt)n;
	while (z->z.avail_out > 0) {
		if (z->z.avail_in == 0 && !z->ended && pages_z_fill(z) < 0)
			return -1;
		before = z->z.avail_out;
		r = inflate(&z->z, Z_NO_FLUSH);
		if (r == Z_STREAM_END && z->z.avail_out > 0)
			return -1;	/* fewer rows than said */
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			return -1;
		if (z->z.avail_out == before && z->z.avail_in == 0 &&
		    z->ended)
			return -1;	/* cut */
	}
	return 0;
}

/* A Deflate page's line source: rows unfiltered against the one above. */
struct pages_zlines {
	struct pages_z *z;
	uint8_t *above;			/* the row above, unfiltered (zeros
					 * before the first) */
	size_t bpp;			/* bytes a pixel, for "sub" */
};

/* pages_zlines_get - the next row: its filter byte and filtered bytes
 * inflated, then unfiltered (PNG's none, sub, up) */
static int
pages_zlines_get(void *ctx, uint8_t *line, size_t bpl)
{
	struct pages_zlines *l = ctx;
	uint8_t f;
	size_t i;

	if (pages_z_read(l->z, &f, 1) < 0 || pages_z_read(l->z, line, bpl) < 0)
		return -1;
	if (f == CS_PAGE_FILTER_SUB) {
		for (i = l->bpp; i < bpl; i++)
			line[i] = (uint8_t)(line[i] + line[i - l->bpp]);
	} else if (f == CS_PAGE_FILTER_UP) {
		for (i = 0; i < bpl; i++)
			line[i] = (uint8_t)(line[i] + l->above[i]);
	} else if (f != CS_PAGE_FILTER_NONE)
		return -1;
	memcpy(l->above, line, bpl);
	return 0;
}

/* pages_z_end - the zlib stream ends now, its last block with it, and
 * the zero block follows */
static int
pages_z_end(struct pages_z *z)
{
	uint8_t extra;
	uint32_t len;
	int r;

	for (;;) {
		z->z.next_out = &extra;
		z->z.avail_out = 1;
		if (z->z.avail_in == 0 && pages_z_fill(z) < 0)
			return -1;
		r = inflate(&z->z, Z_NO_FLUSH);
		if (r == Z_STREAM_END && z->z.avail_out == 1)
			break;
		if (z->z.avail_out == 0 || (r != Z_OK && r != Z_BUF_ERROR) ||
		    (z->z.avail_in == 0 && z->ended))
			return -1;	/* more pixels than said, or cut */
	}
	if (z->z.avail_in != 0 || z->block_left != 0)
		return -1;		/* bytes after the zlib stream */
	if (z->ended)
		return 0;
	if (pages_block(z->s, &z->used, z->max, &len) < 0 || len != 0)
		return -1;
	return 0;
}

/* pages_deflate - a Deflate page into pix */
static int
pages_deflate(struct source *s, const struct cs_page_hdr *h, PIX *pix,
    uint8_t *line)
{
	struct pages_zlines l;
	struct pages_z *z;
	uint64_t per = (h->flags & CS_PAGE_PLANAR) ? 1 : h->channels;
	int rc = -1;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return -1;
	if ((l.above = calloc(1, h->bytes_per_line)) == NULL) {
		free(z);
		return -1;
	}
	l.z = z;
	z->s = s;
	z->max = cs_page_enc_max(h);
	l.bpp = (size_t)((per * h->depth + 7) / 8);
	if (inflateInit2(&z->z, -15) == Z_OK) {
		z->live = 1;
		if (pages_fill(h, pix, line, pages_zlines_get, &l) == 0 &&
		    pages_z_end(z) == 0)
			rc = 0;
		(void)inflateEnd(&z->z);
	}
	memset(l.above, 0, h->bytes_per_line);
	free(l.above);
	memset(z, 0, sizeof(*z));
	free(z);
	return rc;
}

/* pages_slurp - a G4 or JPEG page's blocks, whole, into *out */
static int
pages_slurp(struct source *s, const struct cs_page_hdr *h, uint8_t **out,
    size_t *outlen)
{
	uint64_t used = 0, max = cs_page_enc_max(h);
	uint8_t *p = NULL, *q;
	size_t len = 0;
	uint32_t n;

	for (;;) {
		if (pages_block(s, &used, max, &n) < 0)
			goto fail;
		if (n == 0)
			break;
		if ((q = realloc(p, len + n)) == NULL)
			goto fail;
		p = q;
		if (source_stream_read(s, p + len, n) < 0)
			goto fail;
		len += n;
	}
	if (len == 0)
		goto fail;
	*out = p;
	*outlen = len;
	return 0;
fail:
	free(p);
	return -1;
}

/* pages_g4 - a G4 page: wrapped in a one-strip TIFF of the header's size,
 * decoded by libtiff through Leptonica */
static PIX *
pages_g4(const struct cs_page_hdr *h, uint8_t *data, size_t len)
{
	struct pdf_image im;
	struct buf tiff = { 0 };
	PIX *pix = NULL;

	memset(&im, 0, sizeof(im));
	im.kind = PDF_IMAGE_G4;
	im.width = h->width;
	im.height = h->height;
	im.data.p = data;
	im.data.len = im.data.cap = len;
	if (encode_g4_tiff(&im, &tiff) == 0 && !tiff.failed)
		pix = pixReadMemTiff(tiff.p, tiff.len, 0);
	buf_free(&tiff);
	if (pix != NULL && (pixGetDepth(pix) != 1 ||
	    pixGetWidth(pix) != (l_int32)h->width ||
	    pixGetHeight(pix) != (l_int32)h->height))
		pixDestroy(&pix);
	return pix;
}

/* pages_jpeg - a JPEG page, its own header checked against ours first */
static PIX *
pages_jpeg(const struct cs_page_hdr *h, const uint8_t *data, size_t len)
{
	l_int32 w, ht, spp;
	PIX *pix;

	if (readHeaderMemJpeg(data, len, &w, &ht, &spp, NULL, NULL) != 0 ||
	    w != (l_int32)h->width || ht != (l_int32)h->height ||
	    spp != h->channels)
		return NULL;
	if ((pix = pixReadMemJpeg(data, len, 0, 1, NULL, 0)) == NULL)
		return NULL;
	if (pixGetWidth(pix) != w || pixGetHeight(pix) != ht ||
	    pixGetDepth(pix) != (h->channels == 3 ? 32 : 8) ||
	    pixGetColormap(pix) != NULL)
		pixDestroy(&pix);
	return pix;
}

/* pages_whole - a G4 or JPEG page */
static PIX *
pages_whole(struct source *s, const struct cs_page_hdr *h)
{
	uint8_t *data;
	size_t len;
	PIX *pix;

	if ((uint64_t)h->width * h->height > SOURCE_MAX_PIXELS ||
	    pages_slurp(s, h, &data, &len) < 0)
		return NULL;
	pix = h->encoding == CS_PAGE_ENC_G4 ? pages_g4(h, data, len) :
	    pages_jpeg(h, data, len);
	memset(data, 0, len);
	free(data);
	return pix;
}

/* pages_lines - a raw or Deflate page: a PIX from the header, filled */
static PIX *
pages_lines(struct source *s, const struct cs_page_hdr *h)
{
	uint8_t *line;
	PIX *pix;
	int rc;

	if ((pix = pages_pix(h)) == NULL)
		return NULL;
	if ((line = malloc(h->bytes_per_line)) == NULL) {
		pixDestroy(&pix);
		return NULL;
	}
	rc = h->encoding == CS_PAGE_ENC_RAW ?
	    pages_fill(h, pix, line, pages_raw_line, s) :
	    pages_deflate(s, h, pix, line);
	memset(line, 0, h->bytes_per_line);
	free(line);
	if (rc < 0)
		pixDestroy(&pix);
	return pix;
}

/* source_pages_next - one page of the stream */
int
source_pages_next(struct source *s, PIX **pix)
{
	uint8_t raw[CS_PAGE_HDR_LEN];
	struct cs_page_hdr h;
	cs_result r;

	if (source_stream_read(s, raw, sizeof(raw)) < 0) {
		snprintf(s->err, sizeof(s->err), "page stream cut short "
		    "(after page %u)", s->pages);
		return -1;
	}
	if ((r = cs_page_decode(raw, &h)) == CS_ERR_NOTFOUND) {
		s->done = 1;
		return 0;
	}
	if (r != CS_OK) {
		snprintf(s->err, sizeof(s->err), "bad page header (page %u)",
		    s->pages + 1);
		return -1;
	}
	*pix = h.encoding == CS_PAGE_ENC_RAW ||
	    h.encoding == CS_PAGE_ENC_DEFLATE ? pages_lines(s, &h) :
	    pages_whole(s, &h);
	if (*pix == NULL) {
		snprintf(s->err, sizeof(s->err), "page %u does not decode "
		    "(cut short, malformed or too large)", s->pages + 1);
		return -1;
	}
	pixSetResolution(*pix, (l_int32)h.xres, (l_int32)h.yres);
	return 1;
}
