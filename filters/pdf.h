/*
 * pdf.h - cloudspool's own small PDF writer.
 *
 * Why our own: Tesseract's renderer reads its images back from files and
 * embeds them uncompressed or re-encoded; we already hold each page as
 * CCITT G4 or JPEG data and only need to wrap it. The writer builds the
 * file in memory, page by page in input order, and writes nothing that
 * varies between runs (no /ID, no clock): the same pages give the same
 * bytes, so the daemon can resume an upload of a re-run at a byte offset.
 */
#ifndef CS_FILTER_PDF_H
#define CS_FILTER_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum pdf_image_kind {
	PDF_IMAGE_G4,			/* bilevel, CCITT group 4, 0 = black */
	PDF_IMAGE_JPEG,			/* DCT, gray or RGB */
};

struct pdf_image {
	enum pdf_image_kind kind;
	uint32_t width, height;		/* pixels */
	int color;			/* JPEG: 1 RGB, 0 gray */
	struct buf data;
};

struct pdf_page {
	double width_pt, height_pt;
	struct pdf_image image;
	struct buf content;		/* the content stream, deflated */
	int has_text;			/* content uses the font /F1 */
};

struct pdf_doc {
	struct buf out;
	size_t *offsets;		/* by object number; 0 = not yet written */
	unsigned nobj, capobj;
	unsigned *kids;			/* page object numbers */
	size_t nkids, capkids;
	unsigned font_obj;		/* the Type0 font, once a page needs it */
	int have_date;
	int64_t date;
	int failed;
};

/* pdf_doc_begin - a new document; date (when have_date) becomes its
 * creation and modification date */
void pdf_doc_begin(struct pdf_doc *d, int have_date, int64_t date);

/* pdf_doc_add_page - append one page (copied into the document) */
void pdf_doc_add_page(struct pdf_doc *d, const struct pdf_page *p);

/* pdf_doc_finish - page tree, catalog, info, xref and trailer; 0, or -1
 * when memory ran out at any point. The file is d->out. */
int pdf_doc_finish(struct pdf_doc *d);

/* pdf_doc_free - release everything */
void pdf_doc_free(struct pdf_doc *d);

/* pdf_page_free - release a page's buffers */
void pdf_page_free(struct pdf_page *p);

#endif
