/*
 * encode.c - CCITT G4 and JPEG data for the PDF writer (encode.h).
 *
 * G4 through libtiff in memory (g4.c): a single strip of G4 is exactly
 * what PDF's CCITTFaxDecode with K -1 reads. JPEG comes from Leptonica's
 * in-memory writer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "g4.h"

/* encode_g4 - the pix's rows as packed bytes, then libtiff (g4.c) */
int
encode_g4(PIX *pix, struct pdf_image *im)
{
	uint32_t w = (uint32_t)pixGetWidth(pix), h = (uint32_t)pixGetHeight(pix);
	uint32_t y, x, wpl = (uint32_t)pixGetWpl(pix), *row;
	size_t bpl = (size_t)wpl * 4;
	uint8_t *rows, *line;
	int rc;

	if (pixGetDepth(pix) != 1 || (rows = malloc(bpl * h)) == NULL)
		return -1;
	for (y = 0; y < h; y++) {
		/* Leptonica keeps 32-bit words, most significant pixel
		 * first: bytes in big-endian order */
		row = pixGetData(pix) + (size_t)y * wpl;
		line = rows + (size_t)y * bpl;
		for (x = 0; x < wpl; x++) {
			line[4 * x] = (uint8_t)(row[x] >> 24);
			line[4 * x + 1] = (uint8_t)(row[x] >> 16);
			line[4 * x + 2] = (uint8_t)(row[x] >> 8);
			line[4 * x + 3] = (uint8_t)row[x];
		}
	}
	buf_free(&im->data);
	rc = g4_encode_rows(rows, w, h, bpl, &im->data);
	memset(rows, 0, bpl * h);
	free(rows);
	im->kind = PDF_IMAGE_G4;
	im->width = w;
	im->height = h;
	im->color = 0;
	return rc == 0 && !im->data.failed ? 0 : -1;
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
	return g4_wrap_tiff(im->data.p, im->data.len, im->width, im->height,
	    tiff);
}
