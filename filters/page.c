/*
 * page.c - one page from decoded image to PDF-ready data (page.h).
 *
 * Order matters for speed and quality: the page is deskewed before it is
 * binarized for OCR (Tesseract reads straight lines best), blank and
 * separator pages are recognised before OCR (they are not delivered, so
 * they are not read), and OCR gets the cleaned image (on a noisy page
 * Tesseract spends most of its time on specks).
 */
#include <stdio.h>
#include <string.h>

#include "barcode.h"
#include "clean.h"
#include "encode.h"
#include "page.h"
#include "textlayer.h"

/* page_needs_cleanup - anything that looks at the page's content */
static int
page_needs_cleanup(const struct filter_opts *o)
{
	return o->deskew || o->despeckle || o->bilevel || o->remove_blank ||
	    o->split_blank || o->split_barcode || o->ocr_lang[0] != '\0';
}

/* page_encode - G4 for bilevel delivery, else JPEG at its own depth */
static int
page_encode(const struct filter_opts *o, PIX *page, PIX *bin,
    struct pdf_image *im)
{
	if (pixGetDepth(page) == 1)
		return encode_g4(page, im);
	if (o->bilevel && bin != NULL)
		return encode_g4(bin, im);
	return encode_jpeg(page, o->quality, im);
}

/* page_read_text - OCR unless the page will not be delivered */
static int
page_read_text(const struct filter_opts *o, struct ocr_engine *eng,
    struct clean_page *c, struct page_out *out, struct words *words)
{
	int rc;

	if (o->ocr_lang[0] == '\0' || eng == NULL || out->barcode ||
	    (out->blank && (o->remove_blank || o->split_blank)))
		return 0;
	rc = ocr_page(eng, c->ocr, pixGetXRes(c->page), o->ocr_timeout, words);
	if (rc == 1)
		out->ocr_timeout = 1;
	return rc < 0 ? -1 : 0;
}

/* page_process - the whole path of one page */
int
page_process(PIX *pix, const struct filter_opts *o, struct ocr_engine *eng,
    struct page_out *out, char *err, size_t errlen)
{
	struct clean_page c;
	struct words words = { 0 };
	int rc = -1, xres = pixGetXRes(pix), yres = pixGetYRes(pix), bc;

	memset(&c, 0, sizeof(c));
	if (!page_needs_cleanup(o)) {
		c.page = pix;
	} else if (clean_run(pix, o->deskew, o->despeckle,
	    o->ocr_lang[0] != '\0', &c) < 0) {
		snprintf(err, errlen, "out of memory cleaning page %u",
		    out->number);
		goto out;
	}
	out->skew = c.skew;
	out->blank = c.bin != NULL && c.marks < o->blank_level;
	if (o->split_barcode && c.gray != NULL) {
		if ((bc = barcode_page_has(c.gray, o->barcode_text)) < 0) {
			snprintf(err, errlen, "out of memory reading barcodes "
			    "on page %u", out->number);
			goto out;
		}
		out->barcode = bc;
	}
	if (page_read_text(o, eng, &c, out, &words) < 0) {
		snprintf(err, errlen, "OCR failed on page %u", out->number);
		goto out;
	}
	if (page_encode(o, c.page, c.bin, &out->pdf.image) < 0 ||
	    textlayer_content(&out->pdf, xres, yres, &words) < 0) {
		snprintf(err, errlen, "cannot encode page %u", out->number);
		goto out;
	}
	rc = 0;
out:
	words_free(&words);
	clean_free(&c);
	return rc;
}

/* page_out_free - release */
void
page_out_free(struct page_out *p)
{
	pdf_page_free(&p->pdf);
}
