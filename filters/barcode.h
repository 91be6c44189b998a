/*
 * barcode.h - find a separator barcode on a page (zbar).
 */
#ifndef CS_FILTER_BARCODE_H
#define CS_FILTER_BARCODE_H

#include <leptonica/allheaders.h>

/* barcode_page_has - 1 when the 8 bpp page carries a barcode whose text
 * is exactly text, 0 when not, -1 when memory ran out */
int barcode_page_has(PIX *gray, const char *text);

#endif
