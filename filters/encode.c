/*
 * encode.c - CCITT G4 and JPEG data for the PDF writer (encode.h).
 *
 * G4: libtiff's fax codec is the well-tested encoder at hand. It writes a
 * one-strip TIFF into a memory buffer through TIFFClientOpen (the sandbox
 * allows no open), and we lift the strip's bytes out: a single strip of
 * G4 is exactly what PDF's CCITTFaxDecode with K -1 reads. JPEG comes from
 * Leptonica's in-memory writer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "encode.h"

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

/* encode_g4_fields - one strip, fax G4, 0 = white in the file */
static int
encode_g4_fields(TIFF *t, uint32_t w, uint32_t h)
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

/* encode_g4_strip - the raw strip of a one-strip TIFF in tiff into im */
static int
encode_g4_strip(struct buf *tiff, struct pdf_image *im)
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
		buf_free(&im->data);
		im->data.p = malloc((size_t)counts[0]);
		if (im->data.p != NULL) {
			im->data.cap = (size_t)counts[0];
			n = TIFFReadRawStrip(t, 0, im->data.p,
			    (tmsize_t)counts[0]);
			if (n == (tmsize_t)counts[0]) {
				im->data.len = (size_t)n;
				rc = 0;
			}
		}
	}
	TIFFClose(t);
	return rc;
}

/* encode_g4 - encode through libtiff, then lift the strip */
int
encode_g4(PIX *pix, struct pdf_image *im)
{
	uint32_t w = (uint32_t)pixGetWidth(pix), h = (uint32_t)pixGetHeight(pix);
	struct buf tiff = { 0 };
	struct memtiff m;
	uint8_t *line;
	uint32_t y, x, wpl = (uint32_t)pixGetWpl(pix), *row;
	TIFF *t;
	int rc = -1;

	if (pixGetDepth(pix) != 1 || (line = malloc(wpl * 4)) == NULL)
		return -1;
	if ((t = memtiff_open(&m, &tiff, "w")) == NULL) {
		free(line);
		return -1;
	}
	if (encode_g4_fields(t, w, h) == 0) {
		for (y = 0; y < h; y++) {
			/* Leptonica keeps 32-bit words, most significant
			 * pixel first: bytes in big-endian order */
			row = pixGetData(pix) + (size_t)y * wpl;
			for (x = 0; x < wpl; x++) {
				line[4 * x] = (uint8_t)(row[x] >> 24);
				line[4 * x + 1] = (uint8_t)(row[x] >> 16);
				line[4 * x + 2] = (uint8_t)(row[x] >> 8);
				line[4 * x + 3] = (uint8_t)row[x];
			}
			if (TIFFWriteScanline(t, line, y, 0) < 0)
				break;
		}
		if (y == h && TIFFWriteDirectory(t))
			rc = 0;
	}
	TIFFClose(t);
	free(line);
	if (rc == 0)
		rc = encode_g4_strip(&tiff, im);
	buf_free(&tiff);
	im->kind = PDF_IMAGE_G4;
	im->width = w;
	im->height = h;
	im->color = 0;
	return rc;
}

/* encode_jpeg - Leptonica's memory writer, baseline (not progressive) */
int
encode_jpeg(PIX *pix, unsigned quality, struct pdf_image *im)
{
	l_uint8 *data = NULL;
	size_t size = 0;
	int d = pixGetDepth(pix);

	if ((d != 8 && d != 32) || pixGetColormap(pix) != NULL)
		return -1;
	if (pixWriteMemJpeg(&data, &size, pix, (l_int32)quality, 0) != 0)
		return -1;
	buf_free(&im->data);
	im->data.p = data;
	im->data.len = im->data.cap = size;
	im->kind = PDF_IMAGE_JPEG;
	im->width = (uint32_t)pixGetWidth(pix);
	im->height = (uint32_t)pixGetHeight(pix);
	im->color = d == 32;
	return 0;
}

/* encode_g4_tiff - the strip back into a TIFF, for a decoder to check */
int
encode_g4_tiff(const struct pdf_image *im, struct buf *tiff)
{
	struct memtiff m;
	TIFF *t;
	int rc = -1;

	if ((t = memtiff_open(&m, tiff, "w")) == NULL)
		return -1;
	if (encode_g4_fields(t, im->width, im->height) == 0 &&
	    TIFFWriteRawStrip(t, 0, im->data.p, (tmsize_t)im->data.len) >= 0 &&
	    TIFFWriteDirectory(t))
		rc = 0;
	TIFFClose(t);
	return rc;
}
