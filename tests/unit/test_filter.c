/*
 * test_filter.c - the document filter's parts on small generated images:
 * the skew of text-like lines is measured to within 0.1 degree, a noisy
 * empty page is blank and a one-line page is not, despeckling keeps
 * punctuation-sized dots, split points fall where the separators are, G4
 * data decodes back to the same pixels, and the PDF writer's output is
 * well-formed (every xref offset lands on its object) and the same bytes
 * on every run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "assemble.h"
#include "clean.h"
#include "encode.h"
#include "opts.h"
#include "pdf.h"
#include "textlayer.h"

/* rnd - a fixed pseudo-random sequence, so every run tests the same page */
static uint32_t rnd_state;

static uint32_t
rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* text_page - 1 bpp, 1200x1600 at 150 dpi: `lines` lines of word-like
 * runs of letter-sized boxes, 1 = ink */
static PIX *
text_page(int lines)
{
	PIX *pix = pixCreate(1200, 1600, 1);
	int l, x, w;

	assert_non_null(pix);
	pixSetResolution(pix, 150, 150);
	rnd_state = 7;
	for (l = 0; l < lines; l++) {
		for (x = 150; x < 1000; x += 14) {
			if (rnd() % 6 == 0) {
				x += 10;	/* a gap between words */
				continue;
			}
			w = 8 + (int)(rnd() % 4);
			pixRasterop(pix, x, 200 + 40 * l + (int)(rnd() % 3), w,
			    16 + (int)(rnd() % 6), PIX_SET, NULL, 0, 0);
		}
	}
	return pix;
}

/* noisy_gray - 8 bpp paper at level bg with +-amp noise */
static PIX *
noisy_gray(int bg, int amp)
{
	PIX *pix = pixCreate(1200, 1600, 8);
	l_uint32 *row;
	int x, y;

	assert_non_null(pix);
	pixSetResolution(pix, 150, 150);
	rnd_state = 11;
	for (y = 0; y < 1600; y++) {
		row = pixGetData(pix) + y * pixGetWpl(pix);
		for (x = 0; x < 1200; x++)
			SET_DATA_BYTE(row, x, bg - amp + (int)(rnd() % (2 *
			    amp + 1)));
	}
	return pix;
}

static void
skew_is_measured_within_a_tenth_of_a_degree(void **state)
{
	const float angles[] = { -2.6f, -1.0f, 0.4f, 1.7f, 2.9f };
	PIX *page = text_page(30), *rot;
	size_t i;
	float got;

	(void)state;
	for (i = 0; i < sizeof(angles) / sizeof(angles[0]); i++) {
		rot = pixRotate(page, angles[i] * (float)M_PI / 180.0f,
		    L_ROTATE_SAMPLING, L_BRING_IN_WHITE, 0, 0);
		assert_non_null(rot);
		got = clean_find_skew(rot);
		/* the correction is the opposite of the rotation */
		assert_true(fabsf(got + angles[i]) < 0.1f);
		pixDestroy(&rot);
	}
	pixDestroy(&page);
}

static void
a_noisy_tinted_empty_page_is_blank_and_a_one_line_page_is_not(void **state)
{
	PIX *paper = noisy_gray(215, 25), *bin, *clean, *line, *gray;
	unsigned blank_marks, line_marks;

	(void)state;
	bin = clean_binarize(paper, NULL);
	assert_non_null(bin);
	clean = clean_despeckle(bin);
	blank_marks = clean_count_marks(clean);
	assert_true(blank_marks < FILTER_DEFAULT_BLANK_LEVEL);
	pixDestroy(&bin);
	pixDestroy(&clean);
	/* one line of ink on the same noisy paper */
	line = text_page(1);
	gray = pixCopy(NULL, paper);
	pixPaintThroughMask(gray, line, 0, 0, 40);
	bin = clean_binarize(gray, NULL);
	clean = clean_despeckle(bin);
	line_marks = clean_count_marks(clean);
	assert_true(line_marks >= 20);
	pixDestroy(&bin);
	pixDestroy(&clean);
	pixDestroy(&gray);
	pixDestroy(&line);
	pixDestroy(&paper);
}

static void
despeckle_keeps_periods_and_drops_specks(void **state)
{
	PIX *pix = pixCreate(600, 600, 1), *out;
	l_int32 n;

	(void)state;
	pixSetResolution(pix, 300, 300);
	/* ten 4x4 periods, fifty single-pixel and 2x2 specks */
	for (n = 0; n < 10; n++)
		pixRasterop(pix, 40 + 50 * n, 100, 4, 4, PIX_SET, NULL, 0, 0);
	for (n = 0; n < 50; n++)
		pixRasterop(pix, 10 + 11 * n, 300 + (n % 7) * 20, 1 + n % 2,
		    1 + n % 2, PIX_SET, NULL, 0, 0);
	out = clean_despeckle(pix);
	assert_non_null(out);
	assert_int_equal(pixCountConnComp(out, 8, &n), 0);
	assert_int_equal(n, 10);
	pixDestroy(&out);
	pixDestroy(&pix);
}

/* fake_page - a page_out with a tiny real image, flags as given */
static void
fake_page(struct page_out *p, unsigned number, int blank, int barcode)
{
	PIX *pix = pixCreate(64, 64, 1);

	memset(p, 0, sizeof(*p));
	p->number = number;
	p->blank = blank;
	p->barcode = barcode;
	assert_int_equal(encode_g4(pix, &p->pdf.image), 0);
	assert_int_equal(textlayer_content(&p->pdf, 72, 72, NULL), 0);
	pixDestroy(&pix);
}

static void
separators_split_and_are_dropped(void **state)
{
	/* pages: 1 barcode, 2, 3 blank, 4, 5 barcode, 6 barcode, 7, 8, 9 */
	const int blank[] = { 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	const int barcode[] = { 1, 0, 0, 0, 1, 1, 0, 0, 0 };
	struct filter_opts o;
	struct assembly a;
	struct page_out p;
	char err[100];
	char *argv[] = { "f", "--split-barcode", "--split-blank",
	    "--split-every", "2", NULL };
	unsigned i;

	(void)state;
	assert_int_equal(filter_opts_parse(5, argv, &o, err, sizeof(err)), 0);
	assembly_init(&a, &o);
	for (i = 0; i < 9; i++) {
		fake_page(&p, i + 1, blank[i], barcode[i]);
		assert_int_equal(assembly_page(&a, &p), 0);
	}
	assert_int_equal(assembly_finish(&a), 0);
	/* [2] [4] [7 8] [9]: separators never make empty documents */
	assert_int_equal(a.ndocs, 4);
	assert_int_equal(a.docs[0].nkids, 1);
	assert_int_equal(a.docs[1].nkids, 1);
	assert_int_equal(a.docs[2].nkids, 2);
	assert_int_equal(a.docs[3].nkids, 1);
	assert_int_equal(a.removed_pages.n, 4);
	assert_int_equal(a.removed_pages.v[0], 1);
	assert_int_equal(a.removed_pages.v[1], 3);
	assert_int_equal(a.removed_pages.v[3], 6);
	assert_int_equal(a.pages_out, 5);
	assembly_free(&a);
}

static void
g4_data_decodes_to_the_same_pixels(void **state)
{
	PIX *pix = text_page(12), *back;
	struct pdf_image im = { 0 };
	struct buf tiff = { 0 };
	l_int32 same = 0;

	(void)state;
	pixRasterop(pix, 0, 0, 5, 1600, PIX_SET, NULL, 0, 0);	/* edge ink */
	assert_int_equal(encode_g4(pix, &im), 0);
	assert_true(im.data.len > 100 && im.data.len < 1200 * 1600 / 8 / 4);
	assert_int_equal(encode_g4_tiff(&im, &tiff), 0);
	back = pixReadMemTiff(tiff.p, tiff.len, 0);
	assert_non_null(back);
	assert_int_equal(pixEqual(pix, back, &same), 0);
	assert_true(same);
	pixDestroy(&back);
	pixDestroy(&pix);
	buf_free(&tiff);
	buf_free(&im.data);
}

/* two_page_pdf - a document of a G4 page and a JPEG page with words */
static void
two_page_pdf(struct pdf_doc *d)
{
	struct pdf_page p = { 0 };
	struct words ws = { 0 };
	struct word w = { 10, 10, 90, 30, 28, 22, NULL };
	PIX *bin = text_page(3), *gray = noisy_gray(200, 10);

	pdf_doc_begin(d, 1, 1700000000);
	assert_int_equal(encode_g4(bin, &p.image), 0);
	assert_int_equal(textlayer_content(&p, 150, 150, NULL), 0);
	pdf_doc_add_page(d, &p);
	pdf_page_free(&p);
	assert_int_equal(encode_jpeg(gray, 75, &p.image), 0);
	assert_int_equal(words_add(&ws, &w, "Hello"), 0);
	assert_int_equal(textlayer_content(&p, 150, 150, &ws), 0);
	assert_true(p.has_text);
	pdf_doc_add_page(d, &p);
	pdf_page_free(&p);
	words_free(&ws);
	assert_int_equal(pdf_doc_finish(d), 0);
	pixDestroy(&bin);
	pixDestroy(&gray);
}

static void
the_pdf_is_well_formed_and_the_same_every_time(void **state)
{
	struct pdf_doc d1, d2;
	const char *s, *x;
	char want[32];
	unsigned long off, startxref;
	unsigned n, count = 0;

	(void)state;
	two_page_pdf(&d1);
	two_page_pdf(&d2);
	assert_int_equal(d1.out.len, d2.out.len);
	assert_memory_equal(d1.out.p, d2.out.p, d1.out.len);
	s = (const char *)d1.out.p;
	assert_memory_equal(s, "%PDF-1.5\n", 9);
	assert_memory_equal(s + d1.out.len - 6, "%%EOF\n", 6);
	x = strstr(s + d1.out.len - 64, "startxref\n");
	assert_non_null(x);
	startxref = strtoul(x + 10, NULL, 10);
	assert_memory_equal(s + startxref, "xref\n0 ", 7);
	x = s + startxref + 7;
	n = (unsigned)strtoul(x, (char **)&x, 10);
	assert_int_equal(n, d1.nobj + 1);
	x = strstr(x, "65535 f \n") + 9;
	for (count = 1; count < n; count++, x += 20) {
		off = strtoul(x, NULL, 10);
		snprintf(want, sizeof(want), "%u 0 obj\n", count);
		assert_memory_equal(s + off, want, strlen(want));
	}
	assert_non_null(memmem(s, d1.out.len, "/Count 2", 8));
	assert_non_null(memmem(s, d1.out.len, "/CCITTFaxDecode", 15));
	assert_non_null(memmem(s, d1.out.len, "/DCTDecode", 10));
	assert_non_null(memmem(s, d1.out.len, "(D:20231114221320Z)", 19));
	assert_null(memmem(s, d1.out.len, "/ID", 3));
	pdf_doc_free(&d1);
	pdf_doc_free(&d2);
}

static void
ocr_languages_are_checked(void **state)
{
	struct filter_opts o;
	char err[100];
	char *good[] = { "f", "--ocr", "eng+chi_sim", NULL };
	char *bad1[] = { "f", "--ocr", "../etc", NULL };
	char *bad2[] = { "f", "--ocr", "eng++deu", NULL };
	char *bad3[] = { "f", "--jobs", "0", NULL };

	(void)state;
	assert_int_equal(filter_opts_parse(3, good, &o, err, sizeof(err)), 0);
	assert_string_equal(o.ocr_lang, "eng+chi_sim");
	assert_int_equal(filter_opts_parse(3, bad1, &o, err, sizeof(err)), -1);
	assert_int_equal(filter_opts_parse(3, bad2, &o, err, sizeof(err)), -1);
	assert_int_equal(filter_opts_parse(3, bad3, &o, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skew_is_measured_within_a_tenth_of_a_degree),
		cmocka_unit_test(a_noisy_tinted_empty_page_is_blank_and_a_one_line_page_is_not),
		cmocka_unit_test(despeckle_keeps_periods_and_drops_specks),
		cmocka_unit_test(separators_split_and_are_dropped),
		cmocka_unit_test(g4_data_decodes_to_the_same_pixels),
		cmocka_unit_test(the_pdf_is_well_formed_and_the_same_every_time),
		cmocka_unit_test(ocr_languages_are_checked),
	};

	setMsgSeverity(L_SEVERITY_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
