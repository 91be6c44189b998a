/*
 * clean.c - page cleanup with Leptonica (clean.h).
 *
 * Binarization: the background is normalised first (a smooth map of the
 * paper's brightness divided out), so tinted paper, uneven lighting and
 * bleed-through all sit near one level, and then a fixed threshold below
 * it separates ink. Faint text stays (it is still well below the paper);
 * bleed-through, lighter than any printed ink, goes.
 *
 * Deskew: Leptonica's sweep-and-binary-search of line projections on the
 * binarized page, measured to 0.01 degree; the original page (gray or
 * colour) is then rotated by area mapping, so the delivered image is not
 * the jagged result of rotating a bilevel page.
 *
 * Despeckle: connected components no bigger than SPECK in both directions
 * go. At 300 dpi a period in 6-point type is 3-4 pixels across, the specks
 * of scanner noise 1-2, so the cut is resolution-scaled between them.
 *
 * Blank detection counts character-sized marks (not ink pixels): a noisy
 * empty page has thousands of specks but no marks; a page with one line
 * of text has dozens.
 */
#include <math.h>
#include <string.h>

#include "clean.h"

#define CLEAN_BG_LEVEL 200	/* background after normalisation */
#define CLEAN_INK_BELOW 150	/* and ink below this */

/* clean_res - the page's resolution (set by source.c, so sane) */
static int
clean_res(PIX *pix)
{
	int r = pixGetXRes(pix);

	return r > 0 ? r : 300;
}

/* clean_to_gray - 8 bpp, black ink on white */
PIX *
clean_to_gray(PIX *pix)
{
	switch (pixGetDepth(pix)) {
	case 1:
		return pixConvert1To8(NULL, pix, 255, 0);
	case 32:
		return pixConvertRGBToLuminance(pix);
	default:
		return pixCopy(NULL, pix);
	}
}

/* clean_binarize - normalise the background, then threshold */
PIX *
clean_binarize(PIX *gray, PIX **norm)
{
	PIX *n, *bin;

	n = pixBackgroundNorm(gray, NULL, NULL, 10, 15, 100, 50,
	    CLEAN_BG_LEVEL, 2, 1);
	if (n == NULL)
		return NULL;
	bin = pixThresholdToBinary(n, CLEAN_INK_BELOW);
	if (norm != NULL && bin != NULL) {
		/* stretch the paper level to white for the OCR image */
		*norm = pixGammaTRC(NULL, n, 1.0, 0, CLEAN_BG_LEVEL);
		if (*norm == NULL)
			pixDestroy(&bin);
	}
	pixDestroy(&n);
	return bin;
}

/* clean_find_skew - sweep at 4x reduction, search at 2x, +-5 degrees */
float
clean_find_skew(PIX *bin)
{
	l_float32 angle = 0, conf = 0;

	if (pixFindSkewSweepAndSearch(bin, &angle, &conf, 4, 2, 5.0, 1.0,
	    0.01) != 0 || conf < 3.0 || fabsf(angle) > 5.0f)
		return 0;
	return angle;
}

/* clean_despeckle - drop components within SPECK x SPECK pixels */
PIX *
clean_despeckle(PIX *bin)
{
	int speck = clean_res(bin) / 150;

	if (speck < 1)
		speck = 1;
	return pixSelectBySize(bin, speck, speck, 8, L_SELECT_IF_EITHER,
	    L_SELECT_IF_GT, NULL);
}

/* clean_count_marks - components 1/40 to 1/2 inch tall, at most an inch
 * wide, not within 1/4 inch of an edge (scanner shadows, punch holes
 * are at the edges) */
unsigned
clean_count_marks(PIX *bin)
{
	int res = clean_res(bin), w = pixGetWidth(bin), h = pixGetHeight(bin);
	int i, n, bx, by, bw, bh, margin = res / 4;
	unsigned marks = 0;
	BOXA *boxa;

	if ((boxa = pixConnCompBB(bin, 8)) == NULL)
		return 0;
	n = boxaGetCount(boxa);
	for (i = 0; i < n; i++) {
		if (boxaGetBoxGeometry(boxa, i, &bx, &by, &bw, &bh) != 0)
			continue;
		if (bh < res / 40 || bh > res / 2 || bw > res)
			continue;
		if (bx < margin || by < margin || bx + bw > w - margin ||
		    by + bh > h - margin)
			continue;
		marks++;
	}
	boxaDestroy(&boxa);
	return marks;
}

/* clean_rotate - the page rotated by the measured skew about its centre,
 * same size (width and height 0: the corners are clipped, not the page
 * enlarged, so the page keeps its paper size) */
static PIX *
clean_rotate(PIX *pix, float degrees)
{
	return pixRotate(pix, degrees * (float)M_PI / 180.0f,
	    L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
}

/* clean_ocr_image - the normalised gray where there is ink (dilated by a
 * pixel, to keep the strokes' soft edges), white elsewhere: the noise is
 * gone, the strokes keep the gray levels Tesseract's recognizer reads */
static PIX *
clean_ocr_image(PIX *norm, PIX *bin)
{
	PIX *mask = pixDilateBrick(NULL, bin, 3, 3);

	if (mask == NULL)
		return NULL;
	pixInvert(mask, mask);
	pixPaintThroughMask(norm, mask, 0, 0, 255);
	pixDestroy(&mask);
	return pixClone(norm);
}

/* clean_run - the whole cleanup of one page */
int
clean_run(PIX *pix, int deskew, int despeckle, int want_ocr,
    struct clean_page *c)
{
	PIX *bin, *t, *norm = NULL;

	memset(c, 0, sizeof(*c));
	c->page = pix;
	if ((c->gray = clean_to_gray(pix)) == NULL)
		return -1;
	if (deskew) {
		if ((bin = clean_binarize(c->gray, NULL)) == NULL)
			return -1;
		c->skew = clean_find_skew(bin);
		pixDestroy(&bin);
		if (c->skew != 0) {
			if ((t = clean_rotate(c->page, c->skew)) == NULL)
				return -1;
			pixDestroy(&c->page);
			c->page = t;
			pixDestroy(&c->gray);
			if ((c->gray = clean_to_gray(c->page)) == NULL)
				return -1;
		}
	}
	if (pixGetDepth(c->page) == 1) {
		/* already bilevel: its ink is the scanner's decision */
		c->bin = pixCopy(NULL, c->page);
		if (want_ocr && (norm = pixCopy(NULL, c->gray)) == NULL)
			return -1;
	} else {
		c->bin = clean_binarize(c->gray, want_ocr ? &norm : NULL);
	}
	if (c->bin == NULL)
		return -1;
	if (despeckle) {
		if ((t = clean_despeckle(c->bin)) == NULL) {
			pixDestroy(&norm);
			return -1;
		}
		pixDestroy(&c->bin);
		c->bin = t;
	}
	c->marks = clean_count_marks(c->bin);
	if (want_ocr) {
		c->ocr = clean_ocr_image(norm, c->bin);
		pixDestroy(&norm);
		if (c->ocr == NULL)
			return -1;
	}
	return 0;
}

/* clean_free - release */
void
clean_free(struct clean_page *c)
{
	pixDestroy(&c->page);
	pixDestroy(&c->gray);
	pixDestroy(&c->bin);
	pixDestroy(&c->ocr);
}
