/*
 * ocr.h - one Tesseract engine per worker thread.
 */
#ifndef CS_FILTER_OCR_H
#define CS_FILTER_OCR_H

#include <stddef.h>
#include <leptonica/allheaders.h>

#include "words.h"

struct ocr_engine {
	void *api;			/* TessBaseAPI */
};

/* ocr_engine_init - load lang's traineddata from tessdata: call before
 * the sandbox (it opens files); 0, or -1 with one line in err */
int ocr_engine_init(struct ocr_engine *e, const char *tessdata,
    const char *lang, char *err, size_t errlen);

/* ocr_page - recognise img (8 bpp) at res dpi into words, giving up after
 * timeout_s seconds: 0 done, 1 deadline passed (words empty), -1 failed */
int ocr_page(struct ocr_engine *e, PIX *img, int res, unsigned timeout_s,
    struct words *words);

/* ocr_engine_free - end the engine */
void ocr_engine_free(struct ocr_engine *e);

#endif
