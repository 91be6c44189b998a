/*
 * page_g4.c - a bilevel page as raw CCITT G4 (page_enc.h).
 *
 * libtiff's fax codec is the encoder at hand. It writes a one-strip TIFF
 * through TIFFClientOpen into a growable memory buffer (no temporary
 * file: the page is plaintext), and the strip's bytes are lifted out by
 * reading that TIFF back: one strip of G4 is what the worker's reader
 * wraps in a TIFF again to decode, and what PDF's CCITTFaxDecode takes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "page_enc.h"

struct g4mem {
	uint8_t *p;
	size_t len, cap;
	toff_t pos;
	int failed;
};

/* g4mem_read - TIFF read proc over the buffer */
static tmsize_t
g4mem_read(thandle_t h, void *p, tmsize_t n)
{
	struct g4mem *m = h;

	if (n < 0 || m->pos >= m->len)
		return 0;
	if ((size_t)n > m->len - m->pos)
		n = (tmsize_t)(m->len - m->pos);
	memcpy(p, m->p + m->pos, (size_t)n);
	m->pos += (toff_t)n;
	return n;
}

/* g4mem_write - TIFF write proc: grow, zero any hole, copy */
static tmsize_t
g4mem_write(thandle_t h, void *p, tmsize_t n)
{
	struct g4mem *m = h;
	size_t end, cap;
	uint8_t *q;

	if (n < 0 || m->failed || m->pos > SIZE_MAX - (size_t)n)
		return -1;
	end = (size_t)m->pos + (size_t)n;
	if (end > m->cap) {
		cap = m->cap ? m->cap : 65536;
		while (cap < end)
			cap *= 2;
		if ((q = realloc(m->p, cap)) == NULL) {
			m->failed = 1;
			return -1;
		}
		m->p = q;
		m->cap = cap;
	}
	if (m->pos > m->len)
		memset(m->p + m->len, 0, (size_t)m->pos - m->len);
	memcpy(m->p + m->pos, p, (size_t)n);
	if (end > m->len)
		m->len = end;
	m->pos = (toff_t)end;
	return n;
}

/* g4mem_seek - TIFF seek proc */
static toff_t
g4mem_seek(thandle_t h, toff_t off, int whence)
{
	struct g4mem *m = h;

	if (whence == SEEK_CUR)
		off += m->pos;
	else if (whence == SEEK_END)
		off += m->len;
	m->pos = off;
	return off;
}

/* g4mem_close - the buffer outlives the handle */
static int
g4mem_close(thandle_t h)
{
	(void)h;
	return 0;
}

/* g4mem_size - TIFF size proc */
static toff_t
g4mem_size(thandle_t h)
{
	return ((struct g4mem *)h)->len;
}

/* g4mem_open - a TIFF handle over m in mode "r" or "w" */
static TIFF *
g4mem_open(struct g4mem *m, const char *mode)
{
	m->pos = 0;
	return TIFFClientOpen("page", mode, m, g4mem_read, g4mem_write,
	    g4mem_seek, g4mem_close, g4mem_size, NULL, NULL);
}

/* g4_write - the page into a one-strip G4 TIFF in m; 0 or -1 */
static int
g4_write(struct g4mem *m, const uint8_t *page, uint32_t w, uint32_t h,
    size_t bpl)
{
	size_t minbpl = ((size_t)w + 7) / 8;
	uint8_t *line;
	uint32_t y;
	TIFF *t;
	int ok = 1;

	/* libtiff may use the scanline buffer as scratch: give it a copy */
	if ((line = malloc(minbpl)) == NULL)
		return -1;
	if ((t = g4mem_open(m, "w")) == NULL) {
		free(line);
		return -1;
	}
	ok &= TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
	ok &= TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
	ok &= TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	ok &= TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	/* SANE's 1 = black is TIFF's min-is-white */
	ok &= TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	ok &= TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	ok &= TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	ok &= TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
	ok &= TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	for (y = 0; ok && y < h; y++) {
		memcpy(line, page + (size_t)y * bpl, minbpl);
		if (TIFFWriteScanline(t, line, y, 0) < 0)
			ok = 0;
	}
	if (ok && !TIFFWriteDirectory(t))
		ok = 0;
	TIFFClose(t);
	memset(line, 0, minbpl);
	free(line);
	return ok && !m->failed ? 0 : -1;
}

/* g4_strip - the one strip of the TIFF in m into *out */
static int
g4_strip(struct g4mem *m, uint8_t **out, size_t *outlen)
{
	uint64_t *counts = NULL;
	uint8_t *p;
	TIFF *t;
	int rc = -1;

	if ((t = g4mem_open(m, "r")) == NULL)
		return -1;
	if (TIFFNumberOfStrips(t) == 1 &&
	    TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts) && counts &&
	    counts[0] > 0 && counts[0] < SIZE_MAX &&
	    (p = malloc((size_t)counts[0])) != NULL) {
		if (TIFFReadRawStrip(t, 0, p, (tmsize_t)counts[0]) ==
		    (tmsize_t)counts[0]) {
			*out = p;
			*outlen = (size_t)counts[0];
			rc = 0;
		} else
			free(p);
	}
	TIFFClose(t);
	return rc;
}

/* page_g4_encode - encode through libtiff in memory, lift the strip */
int
page_g4_encode(const uint8_t *page, uint32_t w, uint32_t h, size_t bpl,
    uint8_t **out, size_t *outlen)
{
	struct g4mem m;
	int rc;

	memset(&m, 0, sizeof(m));
	/* libtiff's messages would go to stderr as several lines */
	TIFFSetErrorHandler(NULL);
	TIFFSetWarningHandler(NULL);
	rc = g4_write(&m, page, w, h, bpl);
	if (rc == 0)
		rc = g4_strip(&m, out, outlen);
	if (m.p != NULL)
		memset(m.p, 0, m.len);
	free(m.p);
	return rc;
}
