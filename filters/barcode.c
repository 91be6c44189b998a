/*
 * barcode.c - separator sheets by barcode (barcode.h), as paperless-ngx
 * does with PATCHT: zbar reads every 1D and QR symbology it knows from
 * the page's gray image. A scanner and a decoder image are made per call,
 * so threads share nothing; zbar needs only memory, which suits the
 * sandbox.
 */
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#include "barcode.h"

/* barcode_page_has - scan, compare each symbol's text */
int
barcode_page_has(PIX *gray, const char *text)
{
	int w = pixGetWidth(gray), h = pixGetHeight(gray), x, y, found = 0;
	zbar_image_scanner_t *sc;
	const zbar_symbol_t *sym;
	zbar_image_t *img;
	l_uint32 *row;
	uint8_t *y800;

	if (pixGetDepth(gray) != 8 ||
	    (y800 = malloc((size_t)w * (size_t)h)) == NULL)
		return -1;
	for (y = 0; y < h; y++) {
		row = pixGetData(gray) + (size_t)y * pixGetWpl(gray);
		for (x = 0; x < w; x++)
			y800[(size_t)y * w + x] = GET_DATA_BYTE(row, x);
	}
	if ((sc = zbar_image_scanner_create()) == NULL ||
	    (img = zbar_image_create()) == NULL) {
		if (sc != NULL)
			zbar_image_scanner_destroy(sc);
		free(y800);
		return -1;
	}
	zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 1);
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, (unsigned)w, (unsigned)h);
	zbar_image_set_data(img, y800, (unsigned long)w * h, NULL);
	if (zbar_scan_image(sc, img) > 0) {
		for (sym = zbar_image_first_symbol(img); sym != NULL && !found;
		    sym = zbar_symbol_next(sym))
			found = strcmp(zbar_symbol_get_data(sym), text) == 0;
	}
	zbar_image_destroy(img);
	zbar_image_scanner_destroy(sc);
	free(y800);
	return found;
}
