/*
 * pdf.c - write a PDF page by page (pdf.h).
 *
 * Object numbers 1 (catalog), 2 (page tree) and 3 (info) are reserved at
 * the start and written last, when the pages are known; the font objects
 * are written when the first page with a text layer arrives, and each page
 * adds its image, content and page objects. The text layer follows
 * Tesseract's pdfrenderer: a Type0 font with Identity-H encoding whose CIDs
 * are UTF-16 code units, every CID drawn with glyph 1 of the glyphless
 * font, and a ToUnicode map that is the identity, so text extraction reads
 * the code units back as the words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "font.h"
#include "pdf.h"

#define PDF_OBJ_CATALOG 1
#define PDF_OBJ_PAGES 2
#define PDF_OBJ_INFO 3
#define PDF_OBJ_FIRST_FREE 4

static const char pdf_tounicode[] =
	"/CIDInit /ProcSet findresource begin\n"
	"12 dict begin\nbegincmap\n"
	"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
	"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
	"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
	"1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange\n"
	"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";

/* pdf_new_obj - the next object number */
static unsigned
pdf_new_obj(struct pdf_doc *d)
{
	size_t *o;
	unsigned cap;

	if (d->nobj + 1 >= d->capobj) {
		cap = d->capobj ? d->capobj * 2 : 64;
		if ((o = realloc(d->offsets, cap * sizeof(*o))) == NULL) {
			d->failed = 1;
			return 0;
		}
		memset(o + d->capobj, 0, (cap - d->capobj) * sizeof(*o));
		d->offsets = o;
		d->capobj = cap;
	}
	return ++d->nobj;
}

/* pdf_obj_start - record where object n begins and open it */
static void
pdf_obj_start(struct pdf_doc *d, unsigned n)
{
	if (n == 0 || n >= d->capobj) {
		d->failed = 1;
		return;
	}
	d->offsets[n] = d->out.len;
	buf_printf(&d->out, "%u 0 obj\n", n);
}

/* pdf_stream - a whole stream object; dict is the extra dictionary keys */
static void
pdf_stream(struct pdf_doc *d, unsigned n, const char *dict,
    const void *data, size_t len)
{
	pdf_obj_start(d, n);
	buf_printf(&d->out, "<< %s /Length %zu >>\nstream\n", dict, len);
	buf_add(&d->out, data, len);
	buf_str(&d->out, "\nendstream\nendobj\n");
}

/* pdf_deflated_stream - a stream object, deflated here */
static void
pdf_deflated_stream(struct pdf_doc *d, unsigned n, const void *data,
    size_t len)
{
	uLongf zlen = compressBound(len);
	uint8_t *z = malloc(zlen);

	if (z == NULL || compress2(z, &zlen, data, len, 9) != Z_OK) {
		free(z);
		d->failed = 1;
		return;
	}
	pdf_stream(d, n, "/Filter /FlateDecode", z, zlen);
	free(z);
}

/* pdf_fonts - the Type0 font and its parts, once per document */
static void
pdf_fonts(struct pdf_doc *d)
{
	unsigned type0 = pdf_new_obj(d), cid = pdf_new_obj(d);
	unsigned desc = pdf_new_obj(d), tounicode = pdf_new_obj(d);
	unsigned file = pdf_new_obj(d), gidmap = pdf_new_obj(d);
	uint8_t *map;
	size_t i;
	char dict[64];

	pdf_obj_start(d, type0);
	buf_printf(&d->out, "<< /Type /Font /Subtype /Type0 /BaseFont "
	    "/GlyphLessFont /Encoding /Identity-H /DescendantFonts [%u 0 R] "
	    "/ToUnicode %u 0 R >>\nendobj\n", cid, tounicode);
	pdf_obj_start(d, cid);
	buf_printf(&d->out, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont "
	    "/GlyphLessFont /CIDSystemInfo << /Registry (Adobe) /Ordering "
	    "(Identity) /Supplement 0 >> /FontDescriptor %u 0 R /DW 500 "
	    "/CIDToGIDMap %u 0 R >>\nendobj\n", desc, gidmap);
	pdf_obj_start(d, desc);
	buf_printf(&d->out, "<< /Type /FontDescriptor /FontName /GlyphLessFont "
	    "/Flags 5 /FontBBox [0 0 500 1000] /ItalicAngle 0 /Ascent 1000 "
	    "/Descent 0 /CapHeight 1000 /StemV 80 /FontFile2 %u 0 R >>\n"
	    "endobj\n", file);
	pdf_deflated_stream(d, tounicode, pdf_tounicode,
	    sizeof(pdf_tounicode) - 1);
	snprintf(dict, sizeof(dict), "/Length1 %zu", filter_glyphless_ttf_len);
	pdf_stream(d, file, dict, filter_glyphless_ttf,
	    filter_glyphless_ttf_len);
	/* every CID (2 bytes each) to glyph 1, big-endian */
	if ((map = malloc(2 * 65536)) == NULL) {
		d->failed = 1;
		return;
	}
	for (i = 0; i < 65536; i++) {
		map[2 * i] = 0;
		map[2 * i + 1] = 1;
	}
	pdf_deflated_stream(d, gidmap, map, 2 * 65536);
	free(map);
	d->font_obj = type0;
}

/* pdf_doc_begin - header, reserved objects */
void
pdf_doc_begin(struct pdf_doc *d, int have_date, int64_t date)
{
	memset(d, 0, sizeof(*d));
	d->have_date = have_date;
	d->date = date;
	/* a binary comment line tells transfer tools the file is binary */
	buf_str(&d->out, "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n");
	while (d->nobj < PDF_OBJ_FIRST_FREE - 1 && !d->failed)
		pdf_new_obj(d);
}

/* pdf_image_obj - the page's image XObject */
static void
pdf_image_obj(struct pdf_doc *d, unsigned n, const struct pdf_image *im)
{
	char dict[256];

	if (im->kind == PDF_IMAGE_G4)
		snprintf(dict, sizeof(dict), "/Type /XObject /Subtype /Image "
		    "/Width %u /Height %u /ColorSpace /DeviceGray "
		    "/BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms "
		    "<< /K -1 /Columns %u /Rows %u /BlackIs1 false >>",
		    im->width, im->height, im->width, im->height);
	else
		snprintf(dict, sizeof(dict), "/Type /XObject /Subtype /Image "
		    "/Width %u /Height %u /ColorSpace /%s /BitsPerComponent 8 "
		    "/Filter /DCTDecode", im->width, im->height,
		    im->color ? "DeviceRGB" : "DeviceGray");
	pdf_stream(d, n, dict, im->data.p, im->data.len);
}

/* pdf_add_kid - remember a page object for the page tree */
static void
pdf_add_kid(struct pdf_doc *d, unsigned n)
{
	unsigned *k;
	size_t cap;

	if (d->nkids == d->capkids) {
		cap = d->capkids ? d->capkids * 2 : 16;
		if ((k = realloc(d->kids, cap * sizeof(*k))) == NULL) {
			d->failed = 1;
			return;
		}
		d->kids = k;
		d->capkids = cap;
	}
	d->kids[d->nkids++] = n;
}

/* pdf_doc_add_page - image, content, page */
void
pdf_doc_add_page(struct pdf_doc *d, const struct pdf_page *p)
{
	unsigned image, content, page;

	if (p->has_text && d->font_obj == 0)
		pdf_fonts(d);
	image = pdf_new_obj(d);
	content = pdf_new_obj(d);
	page = pdf_new_obj(d);
	pdf_image_obj(d, image, &p->image);
	pdf_stream(d, content, "/Filter /FlateDecode", p->content.p,
	    p->content.len);
	pdf_obj_start(d, page);
	buf_printf(&d->out, "<< /Type /Page /Parent %u 0 R /MediaBox [0 0 "
	    "%.3f %.3f] /Contents %u 0 R /Resources << /XObject << /Im1 %u 0 "
	    "R >>", PDF_OBJ_PAGES, p->width_pt, p->height_pt, content, image);
	if (p->has_text)
		buf_printf(&d->out, " /Font << /F1 %u 0 R >>", d->font_obj);
	buf_str(&d->out, " >> >>\nendobj\n");
	pdf_add_kid(d, page);
}

/* pdf_date - D:YYYYMMDDHHmmSSZ, UTC */
static void
pdf_date(int64_t when, char *out, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "D:%Y%m%d%H%M%SZ", &tm) == 0)
		snprintf(out, len, "D:19700101000000Z");
}

/* pdf_doc_finish - the reserved objects, the xref table, the trailer */
int
pdf_doc_finish(struct pdf_doc *d)
{
	char date[32];
	size_t i, xref;

	pdf_obj_start(d, PDF_OBJ_PAGES);
	buf_str(&d->out, "<< /Type /Pages /Kids [");
	for (i = 0; i < d->nkids; i++)
		buf_printf(&d->out, "%s%u 0 R", i ? " " : "", d->kids[i]);
	buf_printf(&d->out, "] /Count %zu >>\nendobj\n", d->nkids);
	pdf_obj_start(d, PDF_OBJ_CATALOG);
	buf_printf(&d->out, "<< /Type /Catalog /Pages %u 0 R >>\nendobj\n",
	    PDF_OBJ_PAGES);
	pdf_obj_start(d, PDF_OBJ_INFO);
	buf_str(&d->out, "<< /Producer (cloudspool)");
	if (d->have_date) {
		pdf_date(d->date, date, sizeof(date));
		buf_printf(&d->out, " /CreationDate (%s) /ModDate (%s)", date,
		    date);
	}
	buf_str(&d->out, " >>\nendobj\n");
	xref = d->out.len;
	buf_printf(&d->out, "xref\n0 %u\n0000000000 65535 f \n", d->nobj + 1);
	for (i = 1; i <= d->nobj && !d->failed; i++)
		buf_printf(&d->out, "%010zu 00000 n \n", d->offsets[i]);
	buf_printf(&d->out, "trailer\n<< /Size %u /Root %u 0 R /Info %u 0 R "
	    ">>\nstartxref\n%zu\n%%%%EOF\n", d->nobj + 1, PDF_OBJ_CATALOG,
	    PDF_OBJ_INFO, xref);
	return d->failed || d->out.failed ? -1 : 0;
}

/* pdf_doc_free - release */
void
pdf_doc_free(struct pdf_doc *d)
{
	buf_free(&d->out);
	free(d->offsets);
	free(d->kids);
	memset(d, 0, sizeof(*d));
}

/* pdf_page_free - release a page */
void
pdf_page_free(struct pdf_page *p)
{
	buf_free(&p->image.data);
	buf_free(&p->content);
}
