/*
 * g4.c - CCITT G4 through libtiff, in memory (g4.h).
 *
 * libtiff's fax codec is the well-tested encoder at hand. It writes a
 * one-strip TIFF into a memory buffer through TIFFClientOpen (the filter's
 * sandbox allows no open, and the front end's pages are plaintext that
 * must not touch a file), and the strip's bytes are lifted out: a single
 * strip of G4 is exactly what PDF's CCITTFaxDecode with K -1 reads, and
 * what the spool's G4 pages carry. Shared by the filter (PDF images, the
 * spool page reader) and the front end's page encoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "g4.h"

struct memtiff {
	struct buf *b;
	toff_t pos;
};

/* memtiff_read - TIFF read proc over the buffer */
static tmsize_t
memtiff_read(thandle_t h, void *p, tmsize_t n)
{
	struct memtiff *m = h;

	if (n < 0 || m->pos >= m->b->len)
		return 0;
	if ((size_t)n > m->b->len - m->pos)
		n = (tmsize_t)(m->b->len - m->pos);
	memcpy(p, m->b->p + m->pos, (size_t)n);
	m->pos += (toff_t)n;
	return n;
}

/* memtiff_write - TIFF write proc: grow the buffer, fill holes with 0 */
static tmsize_t
memtiff_write(thandle_t h, void *p, tmsize_t n)
{
	struct memtiff *m = h;
	static const uint8_t zero[256];
	size_t gap;

	if (n < 0)
		return -1;
	while (m->b->len < m->pos && !m->b->failed) {
		gap = m->pos - m->b->len;
		buf_add(m->b, zero, gap < sizeof(zero) ? gap : sizeof(zero));
	}
	if (m->pos == m->b->len) {
		buf_add(m->b, p, (size_t)n);
	} else {
		if ((size_t)n > m->b->len - m->pos)
			buf_add(m->b, zero, (size_t)n - (m->b->len - m->pos));
		if (!m->b->failed)
			memcpy(m->b->p + m->pos, p, (size_t)n);
	}
	if (m->b->failed)
		return -1;
	m->pos += (toff_t)n;
	return n;
}

/* memtiff_seek - TIFF seek proc */
static toff_t
memtiff_seek(thandle_t h, toff_t off, int whence)
{
	struct memtiff *m = h;

	if (whence == SEEK_CUR)
		off += m->pos;
	else if (whence == SEEK_END)
		off += m->b->len;
	m->pos = off;
	return off;
}

/* memtiff_close - nothing to close */
static int
memtiff_close(thandle_t h)
{
	(void)h;
	return 0;
}

/* memtiff_size - TIFF size proc */
static toff_t
memtiff_size(thandle_t h)
{
	return ((struct memtiff *)h)->b->len;
}

/* memtiff_open - a TIFF handle over b in mode "r" or "w" */
static TIFF *
memtiff_open(struct memtiff *m, struct buf *b, const char *mode)
{
	m->b = b;
	m->pos = 0;
	return TIFFClientOpen("page", mode, m, memtiff_read, memtiff_write,
	    memtiff_seek, memtiff_close, memtiff_size, NULL, NULL);
}

/* g4_fields - one strip, fax G4, 0 = white in the file */
static int
g4_fields(TIFF *t, uint32_t w, uint32_t h)
{
	int ok = 1;

	ok &= TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
	ok &= TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
	ok &= TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	ok &= TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	ok &= TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	ok &= TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	ok &= TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	ok &= TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
	ok &= TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	return ok ? 0 : -1;
}

/* g4_strip - the raw strip of the one-strip TIFF in tiff into strip */
static int
g4_strip(struct buf *tiff, struct buf *strip)
{
	struct memtiff m;
	TIFF *t;
	uint64_t *counts = NULL;
	tmsize_t n;
	int rc = -1;

	if ((t = memtiff_open(&m, tiff, "r")) == NULL)
		return -1;
	if (TIFFNumberOfStrips(t) == 1 &&
	    TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts) && counts &&
	    counts[0] > 0 && counts[0] < SIZE_MAX) {
		buf_free(&(*strip));
		(*strip).p = malloc((size_t)counts[0]);
		if ((*strip).p != NULL) {
			(*strip).cap = (size_t)counts[0];
			n = TIFFReadRawStrip(t, 0, (*strip).p,
			    (tmsize_t)counts[0]);
			if (n == (tmsize_t)counts[0]) {
				(*strip).len = (size_t)n;
				rc = 0;
			}
		}
	}
	TIFFClose(t);
	return rc;
}

/* g4_wipe_free - buffers that held a page: zero before release */
static void
g4_wipe_free(struct buf *b)
{
	if (b->p != NULL)
		memset(b->p, 0, b->cap);
	buf_free(b);
}

/* g4_encode_rows - see g4.h */
int
g4_encode_rows(const uint8_t *rows, uint32_t w, uint32_t h, size_t bpl,
    struct buf *strip)
{
	size_t minbpl = ((size_t)w + 7) / 8;
	struct buf tiff = { 0 };
	struct memtiff m;
	uint8_t *line;
	uint32_t y;
	TIFF *t;
	int rc = -1;

	if (w == 0 || h == 0 || bpl < minbpl)
		return -1;
	/* libtiff may use the scanline buffer as scratch: give it a copy */
	if ((line = malloc(minbpl)) == NULL)
		return -1;
	if ((t = memtiff_open(&m, &tiff, "w")) == NULL) {
		free(line);
		return -1;
	}
	if (g4_fields(t, w, h) == 0) {
		for (y = 0; y < h; y++) {
			memcpy(line, rows + (size_t)y * bpl, minbpl);
			if (TIFFWriteScanline(t, line, y, 0) < 0)
				break;
		}
		if (y == h && TIFFWriteDirectory(t))
			rc = 0;
	}
	TIFFClose(t);
	memset(line, 0, minbpl);
	free(line);
	if (rc == 0 && tiff.failed)
		rc = -1;
	if (rc == 0)
		rc = g4_strip(&tiff, strip);
	g4_wipe_free(&tiff);
	return rc;
}

/* g4_wrap_tiff - see g4.h */
int
g4_wrap_tiff(const uint8_t *strip, size_t len, uint32_t w, uint32_t h,
    struct buf *tiff)
{
	struct memtiff m;
	TIFF *t;
	int rc = -1;

	if ((t = memtiff_open(&m, tiff, "w")) == NULL)
		return -1;
	if (g4_fields(t, w, h) == 0 &&
	    TIFFWriteRawStrip(t, 0, (void *)strip, (tmsize_t)len) >= 0 &&
	    TIFFWriteDirectory(t))
		rc = 0;
	TIFFClose(t);
	return rc == 0 && !tiff->failed ? 0 : -1;
}
