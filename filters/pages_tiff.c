/*
 * pages_tiff.c - turn a page stream into a multi-page TIFF, in the sandbox.
 *
 * Bilevel pages compress with CCITT G4, gray and colour with Deflate and
 * the horizontal predictor (lossless). One scanline buffer is all the
 * memory a page takes here: lines go to libtiff as they are read. libtiff
 * writes through the output fd with write/lseek only (no open), which the
 * seccomp allow-list permits; the daemon's output is a memfd, so it is
 * seekable as TIFF needs. Three-pass scans arrive as three planes and are
 * written as planar TIFF, so no plane is held either.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <tiffio.h>

#include "pages_tiff.h"
#include "pagestream.h"

/* pages_tiff_message - libtiff's errors and warnings, one line each */
static void
pages_tiff_message(const char *module, const char *fmt, va_list ap)
{
	fprintf(stderr, "cloudspool-filter: tiff: %.100s: ", module ? module :
	    "-");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* pages_tiff_read - read exactly len bytes; 0 on success, -1 otherwise */
static int
pages_tiff_read(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* pages_tiff_host_le - 1 when this host stores integers little-endian */
static int
pages_tiff_host_le(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 1;
}

/* pages_tiff_fields - the directory of one page */
static int
pages_tiff_fields(TIFF *tif, const struct cs_page_hdr *h, unsigned page)
{
	int bilevel = h->depth == 1, ok = 1;

	ok &= TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	ok &= TIFFSetField(tif, TIFFTAG_PAGENUMBER, page, 0);
	ok &= TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, h->width);
	ok &= TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h->height);
	ok &= TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, h->depth);
	ok &= TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, h->channels);
	ok &= TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (h->flags &
	    CS_PAGE_PLANAR) ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
	/* SANE's bilevel: 1 is black */
	ok &= TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, bilevel ?
	    PHOTOMETRIC_MINISWHITE : h->channels == 3 ? PHOTOMETRIC_RGB :
	    PHOTOMETRIC_MINISBLACK);
	ok &= TIFFSetField(tif, TIFFTAG_COMPRESSION, bilevel ?
	    COMPRESSION_CCITTFAX4 : COMPRESSION_ADOBE_DEFLATE);
	if (!bilevel)
		ok &= TIFFSetField(tif, TIFFTAG_PREDICTOR,
		    PREDICTOR_HORIZONTAL);
	ok &= TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)h->xres);
	ok &= TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)h->yres);
	ok &= TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	ok &= TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, bilevel ? h->height :
	    TIFFDefaultStripSize(tif, 0));
	ok &= TIFFSetField(tif, TIFFTAG_SOFTWARE, "cloudspool");
	return ok ? 0 : -1;
}

/* pages_tiff_page - the scanlines of one page, plane by plane */
static int
pages_tiff_page(TIFF *tif, int in_fd, const struct cs_page_hdr *h,
    uint8_t *line)
{
	int planes = (h->flags & CS_PAGE_PLANAR) ? 3 : 1, p;
	int swap = h->depth == 16 &&
	    !!(h->flags & CS_PAGE_NATIVE_LE) != pages_tiff_host_le();
	uint32_t row;

	for (p = 0; p < planes; p++) {
		for (row = 0; row < h->height; row++) {
			if (pages_tiff_read(in_fd, line,
			    h->bytes_per_line) < 0) {
				fprintf(stderr, "cloudspool-filter: page "
				    "stream cut short\n");
				return -1;
			}
			if (swap)
				TIFFSwabArrayOfShort((uint16_t *)(void *)line,
				    h->bytes_per_line / 2);
			if (TIFFWriteScanline(tif, line, row, (uint16_t)p) < 0)
				return -1;
		}
	}
	return 0;
}

/* pages_tiff_convert - every page, then the end marker */
int
pages_tiff_convert(int in_fd, int out_fd)
{
	uint8_t raw[CS_PAGE_HDR_LEN], *line;
	struct cs_page_hdr h;
	unsigned page = 0;
	cs_result r;
	TIFF *tif;
	int rc = 1;

	TIFFSetErrorHandler(pages_tiff_message);
	TIFFSetWarningHandler(NULL);
	if (lseek(out_fd, 0, SEEK_SET) < 0) {
		fprintf(stderr, "cloudspool-filter: output must be seekable\n");
		return 1;
	}
	if ((tif = TIFFFdOpen(out_fd, "scan.tif", "w")) == NULL)
		return 1;
	for (;;) {
		if (pages_tiff_read(in_fd, raw, sizeof(raw)) < 0) {
			fprintf(stderr, "cloudspool-filter: page stream has "
			    "no end marker\n");
			break;
		}
		if ((r = cs_page_decode(raw, &h)) == CS_ERR_NOTFOUND) {
			rc = page > 0 ? 0 : 1;
			break;
		}
		if (r != CS_OK) {
			fprintf(stderr, "cloudspool-filter: bad page header "
			    "(page %u)\n", page + 1);
			break;
		}
		if ((line = malloc(h.bytes_per_line)) == NULL)
			break;
		if (pages_tiff_fields(tif, &h, page) < 0 ||
		    pages_tiff_page(tif, in_fd, &h, line) < 0 ||
		    !TIFFWriteDirectory(tif)) {
			free(line);
			break;
		}
		free(line);
		page++;
	}
	/* TIFFClose flushes what is pending and closes out_fd */
	TIFFClose(tif);
	return rc;
}
