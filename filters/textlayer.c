/*
 * textlayer.c - draw the page image and lay the recognised words over it.
 *
 * Each word is one text object in render mode 3 (neither filled nor
 * stroked), at the left end of its box on its line's baseline, with a font
 * size of the line's height and a horizontal scale that stretches its
 * characters (each half an em wide in the glyphless font) to the box's
 * width. So a viewer highlights the word where it is printed, and
 * pdftotext, which groups by baseline and gap, reads the lines in order.
 * Numbers are printed with fixed precision: same words, same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "textlayer.h"

/* textlayer_utf8_next - decode one code point from s (advanced); invalid
 * or non-BMP sequences come back as U+FFFD */
static unsigned
textlayer_utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned cp, need, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f;
		need = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		need = 2;
	} else {
		need = (p[0] & 0xf8) == 0xf0 ? 3 : 0;
		cp = 0x110000;
	}
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s = p + i;
			return 0xfffd;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*s = p + need + 1;
	return cp > 0xffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp;
}

/* textlayer_word - one word: position, scale, hex code units */
static void
textlayer_word(struct buf *b, const struct word *w, double sx, double sy,
    double page_h)
{
	const unsigned char *s = (const unsigned char *)w->text;
	double size = w->line_height * sy, width = (w->x1 - w->x0) * sx;
	unsigned cp, n = 0;
	struct buf hex = { 0 };

	while (*s != '\0') {
		cp = textlayer_utf8_next(&s);
		if (cp < 0x20)
			continue;
		buf_printf(&hex, "%04X", cp);
		n++;
	}
	if (n > 0 && size > 0.5 && width > 0) {
		buf_printf(b, "/F1 %.2f Tf %.2f Tz 1 0 0 1 %.2f %.2f Tm <", size,
		    100.0 * width / (n * size * 0.5), w->x0 * sx,
		    page_h - w->baseline * sy);
		buf_add(b, hex.p, hex.len);
		buf_str(b, "> Tj\n");
	}
	b->failed |= hex.failed;
	buf_free(&hex);
}

/* textlayer_content - image operator, then the words, then deflate */
int
textlayer_content(struct pdf_page *p, double xres, double yres,
    const struct words *words)
{
	struct buf raw = { 0 };
	double sx = 72.0 / xres, sy = 72.0 / yres;
	uLongf zlen;
	size_t i;
	int rc = -1;

	p->width_pt = p->image.width * sx;
	p->height_pt = p->image.height * sy;
	buf_printf(&raw, "q %.3f 0 0 %.3f 0 0 cm /Im1 Do Q\n", p->width_pt,
	    p->height_pt);
	p->has_text = words != NULL && words->n > 0;
	if (p->has_text) {
		buf_str(&raw, "BT 3 Tr\n");
		for (i = 0; i < words->n; i++)
			textlayer_word(&raw, &words->w[i], sx, sy, p->height_pt);
		buf_str(&raw, "ET\n");
	}
	if (raw.failed)
		goto out;
	buf_free(&p->content);
	zlen = compressBound(raw.len);
	if ((p->content.p = malloc(zlen)) == NULL)
		goto out;
	p->content.cap = zlen;
	if (compress2(p->content.p, &zlen, raw.p, raw.len, 6) != Z_OK)
		goto out;
	p->content.len = zlen;
	rc = 0;
out:
	buf_free(&raw);
	return rc;
}
