/*
 * submit_png.c - `cloudspool submit --pages`: a PNG image (scanimage
 * --format=png) as one page of the page stream.
 *
 * Runs in the user's own process, never in the setgid helper, which only
 * sees the page stream and checks it again. Rows go to the drop helper as
 * libpng decodes them, so a page costs one row of memory; an interlaced
 * image (never what scanimage writes) is decoded whole first. Bilevel
 * gray becomes SANE's bilevel (1 = black), other gray and colour depth 8
 * or 16 (PNG's 16-bit samples are big-endian, which the page header
 * says); palettes are expanded to RGB, alpha is dropped. The resolution
 * is the pHYs chunk's when it gives one in metres, else the caller's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <png.h>

#include "pagestream.h"
#include "scan.h"

/* What libpng's callbacks share with pngin_pages. */
struct pngin {
	int fd;
	const char *what;
	struct scan_feed *f;
	int feed_gone;			/* the drop helper went away */
	uint8_t *row;			/* one row, or the whole interlaced image */
};

/* pngin_read - libpng's reader: from fd; a short read is an error */
static void
pngin_read(png_structp png, png_bytep out, size_t len)
{
	struct pngin *in = png_get_io_ptr(png);
	ssize_t n;

	while (len > 0) {
		n = read(in->fd, out, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			png_error(png, n == 0 ? "image ends early" :
			    strerror(errno));
		out += n;
		len -= (size_t)n;
	}
}

/* pngin_error - libpng's errors: one line, then back to pngin_pages */
static void
pngin_error(png_structp png, png_const_charp msg)
{
	struct pngin *in = png_get_error_ptr(png);

	fprintf(stderr, "cloudspool: %.200s: PNG: %.200s\n", in->what, msg);
	png_longjmp(png, 1);
}

/* pngin_warning - libpng's warnings are not worth a line */
static void
pngin_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* pngin_transform - the transformations that give SANE's layouts, and
 * the page header that results */
static void
pngin_transform(png_structp png, png_infop info, unsigned dpi,
    struct cs_page_hdr *h)
{
	png_uint_32 rx, ry;
	int unit, ct = png_get_color_type(png, info);
	int bits = png_get_bit_depth(png, info);

	if (ct == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ct & PNG_COLOR_MASK_ALPHA)
		png_set_strip_alpha(png);
	if (ct == PNG_COLOR_TYPE_GRAY && bits == 1)
		png_set_invert_mono(png);	/* PNG's 0 is black */
	else if (bits < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE)
		(void)png_set_interlace_handling(png);
	png_read_update_info(png, info);
	memset(h, 0, sizeof(*h));
	h->channels = (ct & PNG_COLOR_MASK_COLOR) ? 3 : 1;
	h->depth = (uint8_t)png_get_bit_depth(png, info);
	h->width = png_get_image_width(png, info);
	h->height = png_get_image_height(png, info);
	h->bytes_per_line = (uint32_t)png_get_rowbytes(png, info);
	h->xres = h->yres = dpi;
	if (png_get_pHYs(png, info, &rx, &ry, &unit) != 0 &&
	    unit == PNG_RESOLUTION_METER && rx > 0 && ry > 0 &&
	    rx < 4000000 && ry < 4000000) {
		h->xres = (uint32_t)(rx * 0.0254 + 0.5);
		h->yres = (uint32_t)(ry * 0.0254 + 0.5);
	}
}

/* pngin_rows - the page's pixels onto the feed: row by row, or the
 * whole image at once when it is interlaced */
static void
pngin_rows(png_structp png, png_infop info, struct pngin *in,
    const struct cs_page_hdr *h)
{
	size_t bpl = h->bytes_per_line;
	png_bytep *rows;
	uint32_t y;

	if (png_get_interlace_type(png, info) == PNG_INTERLACE_NONE) {
		if ((in->row = malloc(bpl)) == NULL)
			png_error(png, "out of memory");
		for (y = 0; y < h->height; y++) {
			png_read_row(png, in->row, NULL);
			if (scan_feed_write(in->f, in->row, bpl) < 0) {
				in->feed_gone = 1;
				png_longjmp(png, 1);
			}
		}
		return;
	}
	if ((uint64_t)bpl * h->height > SIZE_MAX / 2 ||
	    (in->row = malloc(bpl * h->height + h->height *
	    sizeof(*rows))) == NULL)
		png_error(png, "out of memory for an interlaced image");
	rows = (png_bytep *)(void *)(in->row + bpl * h->height);
	for (y = 0; y < h->height; y++)
		rows[y] = in->row + (size_t)y * bpl;
	png_read_image(png, rows);
	if (scan_feed_write(in->f, in->row, bpl * h->height) < 0) {
		in->feed_gone = 1;
		png_longjmp(png, 1);
	}
}

/* pngin_pages - the PNG image of in_fd (its first prelen bytes, the
 * signature, already read into pre) onto the feed as one page at dpi
 * unless it says its own; EX_OK, EX_DATAERR (said), or -1 when the drop
 * helper went away */
int
pngin_pages(int in_fd, const uint8_t *pre, size_t prelen, const char *what,
    unsigned dpi, struct scan_feed *f, unsigned long *pages)
{
	struct pngin in;
	struct cs_page_hdr h;
	uint8_t raw[CS_PAGE_HDR_LEN];
	png_structp png;
	png_infop info = NULL;
	volatile int rc = EX_DATAERR;	/* read after a longjmp */

	memset(&in, 0, sizeof(in));
	in.fd = in_fd;
	in.what = what;
	in.f = f;
	if (prelen != 8 || png_sig_cmp(pre, 0, 8) != 0 ||
	    (png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &in,
	    pngin_error, pngin_warning)) == NULL) {
		fprintf(stderr, "cloudspool: %.200s: not a PNG image\n", what);
		return EX_DATAERR;
	}
	if ((info = png_create_info_struct(png)) == NULL)
		goto out;
	if (setjmp(png_jmpbuf(png)) != 0) {
		if (in.feed_gone)
			rc = -1;
		goto out;
	}
	png_set_read_fn(png, &in, pngin_read);
	png_set_sig_bytes(png, 8);
	/* a page is at most CS_PAGE_MAX_DIM on a side */
	png_set_user_limits(png, CS_PAGE_MAX_DIM, CS_PAGE_MAX_DIM);
	png_read_info(png, info);
	pngin_transform(png, info, dpi, &h);
	cs_page_encode(&h, raw);
	if (cs_page_decode(raw, &h) != CS_OK)
		png_error(png, "a layout a page cannot take");
	if (scan_feed_write(f, raw, sizeof(raw)) < 0) {
		in.feed_gone = 1;
		png_longjmp(png, 1);
	}
	pngin_rows(png, info, &in, &h);
	png_read_end(png, NULL);
	(*pages)++;
	rc = EX_OK;
out:
	png_destroy_read_struct(&png, info != NULL ? &info : NULL, NULL);
	free(in.row);
	return rc;
}
