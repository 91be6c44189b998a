/*
 * page.h - everything that happens to one page, in a worker thread.
 */
#ifndef CS_FILTER_PAGE_H
#define CS_FILTER_PAGE_H

#include <leptonica/allheaders.h>

#include "ocr.h"
#include "opts.h"
#include "pdf.h"

struct page_out {
	unsigned number;		/* 1-based, in input order */
	int blank;			/* fewer marks than the blank level */
	int barcode;			/* carries the separator barcode */
	int ocr_timeout;		/* OCR gave up at the deadline */
	float skew;			/* degrees measured */
	struct pdf_page pdf;		/* image and content, ready to add */
};

/* page_process - clean, look for blank and barcode, OCR, encode pix
 * (consumed) into out; 0, or -1 with one line in err */
int page_process(PIX *pix, const struct filter_opts *o,
    struct ocr_engine *eng, struct page_out *out, char *err, size_t errlen);

/* page_out_free - release the page's buffers */
void page_out_free(struct page_out *p);

#endif
