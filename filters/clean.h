/*
 * clean.h - page cleanup before OCR: gray, deskew, binarize, despeckle,
 * blank detection.
 */
#ifndef CS_FILTER_CLEAN_H
#define CS_FILTER_CLEAN_H

#include <leptonica/allheaders.h>

struct clean_page {
	PIX *page;		/* the page, deskewed, at its own depth */
	PIX *gray;		/* 8 bpp of page (NULL for bilevel input) */
	PIX *bin;		/* 1 bpp, 1 = ink, despeckled when asked */
	PIX *ocr;		/* 8 bpp for Tesseract: ink as gray, else white */
	float skew;		/* degrees measured (0 when not asked) */
	unsigned marks;		/* character-sized marks */
};

/* clean_run - clean pix (consumed) into c; deskew and despeckle as asked,
 * ocr image only when want_ocr; 0 or -1 (out of memory) */
int clean_run(PIX *pix, int deskew, int despeckle, int want_ocr,
    struct clean_page *c);

/* clean_free - release every image */
void clean_free(struct clean_page *c);

/* clean_to_gray - an 8 bpp view of a 1, 8 or 32 bpp page (new PIX) */
PIX *clean_to_gray(PIX *pix);

/* clean_binarize - ink of a gray page, after normalising its background
 * (tinted paper, uneven light); *norm (may be NULL) gets the normalised
 * gray page on a white background */
PIX *clean_binarize(PIX *gray, PIX **norm);

/* clean_find_skew - the skew of the text in a 1 bpp page, in degrees;
 * 0 when no confident measure */
float clean_find_skew(PIX *bin);

/* clean_despeckle - bin without specks smaller than punctuation */
PIX *clean_despeckle(PIX *bin);

/* clean_count_marks - character-sized connected components of bin, away
 * from the page's edges */
unsigned clean_count_marks(PIX *bin);

#endif
