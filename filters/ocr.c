/*
 * ocr.c - Tesseract through its C API (ocr.h).
 *
 * Each worker thread owns one TessBaseAPI: the API is not thread-safe,
 * and one engine per thread is how pages run in parallel. Initialisation
 * reads LANG.traineddata, so it happens before the sandbox; recognising
 * afterwards needs only memory. The deadline is Tesseract's own progress
 * monitor: past it, recognition stops at the next word and Recognize
 * fails, and the page is delivered as image only.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <tesseract/capi.h>

#include "ocr.h"

/* ocr_engine_init - create, load the languages, quiet the debug output */
int
ocr_engine_init(struct ocr_engine *e, const char *tessdata, const char *lang,
    char *err, size_t errlen)
{
	TessBaseAPI *api;

	e->api = NULL;
	if ((api = TessBaseAPICreate()) == NULL) {
		snprintf(err, errlen, "cannot create a Tesseract engine");
		return -1;
	}
	if (TessBaseAPIInit3(api, tessdata, lang) != 0) {
		TessBaseAPIDelete(api);
		snprintf(err, errlen, "cannot load OCR language \"%.40s\" from "
		    "%.100s", lang, tessdata);
		return -1;
	}
	TessBaseAPISetPageSegMode(api, PSM_AUTO);
	e->api = api;
	return 0;
}

/* ocr_now_ms - monotonic milliseconds */
static long long
ocr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ocr_line_geometry - the current line's baseline (as y at x) and height */
static void
ocr_line_geometry(TessPageIterator *pit, int *bx1, int *by1, int *bx2,
    int *by2, int *height)
{
	int l, t, r, b;

	if (!TessPageIteratorBaseline(pit, RIL_TEXTLINE, bx1, by1, bx2, by2)) {
		*bx1 = *bx2 = 0;
		*by1 = *by2 = -1;
	}
	*height = TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &l, &t, &r,
	    &b) ? b - t : 0;
}

/* ocr_collect - every word with its box and its line's baseline */
static int
ocr_collect(TessBaseAPI *api, struct words *words)
{
	TessResultIterator *it = TessBaseAPIGetIterator(api);
	TessPageIterator *pit;
	int bx1 = 0, by1 = -1, bx2 = 0, by2 = -1, lh = 0, rc = 0;
	struct word w;
	char *text;

	if (it == NULL)
		return 0;
	pit = TessResultIteratorGetPageIterator(it);
	do {
		if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE))
			ocr_line_geometry(pit, &bx1, &by1, &bx2, &by2, &lh);
		if (!TessPageIteratorBoundingBox(pit, RIL_WORD, &w.x0, &w.y0,
		    &w.x1, &w.y1))
			continue;
		if ((text = TessResultIteratorGetUTF8Text(it, RIL_WORD)) ==
		    NULL)
			continue;
		w.line_height = lh > 0 ? lh : w.y1 - w.y0;
		w.baseline = by1 < 0 ? w.y1 : bx2 == bx1 ? by1 :
		    by1 + (by2 - by1) * (w.x0 - bx1) / (bx2 - bx1);
		if (text[0] != '\0' && words_add(words, &w, text) < 0)
			rc = -1;
		TessDeleteText(text);
	} while (rc == 0 && TessResultIteratorNext(it, RIL_WORD));
	TessResultIteratorDelete(it);
	return rc;
}

/* ocr_page - recognise under a deadline */
int
ocr_page(struct ocr_engine *e, PIX *img, int res, unsigned timeout_s,
    struct words *words)
{
	TessBaseAPI *api = e->api;
	ETEXT_DESC *monitor;
	long long start = ocr_now_ms();
	int rc;

	if ((monitor = TessMonitorCreate()) == NULL)
		return -1;
	TessMonitorSetDeadlineMSecs(monitor, (int)(timeout_s * 1000));
	/* the legacy engine adapts to pages it has seen: forget them, so a
	 * page reads the same whichever thread gets it */
	TessBaseAPIClearAdaptiveClassifier(api);
	TessBaseAPISetImage2(api, img);
	TessBaseAPISetSourceResolution(api, res);
	rc = TessBaseAPIRecognize(api, monitor);
	TessMonitorDelete(monitor);
	if (rc != 0) {
		TessBaseAPIClear(api);
		return ocr_now_ms() - start >= (long long)timeout_s * 1000 ?
		    1 : -1;
	}
	rc = ocr_collect(api, words);
	TessBaseAPIClear(api);
	return rc;
}

/* ocr_engine_free - end and delete */
void
ocr_engine_free(struct ocr_engine *e)
{
	if (e->api != NULL) {
		TessBaseAPIEnd(e->api);
		TessBaseAPIDelete(e->api);
	}
	e->api = NULL;
}
