/*
 * textlayer.h - a page's content stream: the scan, then the invisible words.
 */
#ifndef CS_FILTER_TEXTLAYER_H
#define CS_FILTER_TEXTLAYER_H

#include "pdf.h"
#include "words.h"

/* textlayer_content - fill p->content (deflated) and p->has_text for an
 * image of p->image's size shown over the whole page at xres x yres dpi,
 * with words (may be NULL); 0 or -1 when memory ran out */
int textlayer_content(struct pdf_page *p, double xres, double yres,
    const struct words *words);

#endif
