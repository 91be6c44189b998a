/*
 * encode.h - page images into the compressed data a PDF embeds.
 */
#ifndef CS_FILTER_ENCODE_H
#define CS_FILTER_ENCODE_H

#include <leptonica/allheaders.h>

#include "pdf.h"

/* encode_g4 - a 1 bpp pix (1 = black) as raw CCITT G4 data into im;
 * 0 or -1. No file is touched: libtiff writes into memory. */
int encode_g4(PIX *pix, struct pdf_image *im);

/* encode_jpeg - an 8 bpp gray or 32 bpp RGB pix as JPEG at quality */
int encode_jpeg(PIX *pix, unsigned quality, struct pdf_image *im);

/* encode_g4_tiff - wrap raw G4 data of a width x height page in a one-page
 * TIFF (for tests: Leptonica decodes it back); 0 or -1 */
int encode_g4_tiff(const struct pdf_image *im, struct buf *tiff);

#endif
