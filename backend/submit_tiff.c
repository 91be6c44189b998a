/*
 * submit_tiff.c - `cloudspool submit --pages`: a TIFF file (scanimage
 * --format=tiff, or pages joined with tiffcp), each directory a page of
 * the page stream.
 *
 * Runs in the user's own process, never in the setgid helper, which only
 * sees the page stream and checks it again. libtiff needs to seek: a file
 * is read in place; a pipe is first copied into a memfd (memory, never a
 * disk), at most TIFFIN_MAX_PIPE bytes. Scanlines go to the drop helper
 * one at a time, in any compression libtiff decodes; tiled images and
 * layouts SANE does not make (palettes, CMYK, extra samples, depths other
 * than 1, 8 and 16) are refused. Bilevel and gray min-is-black are turned
 * into SANE's 1 = black; 16-bit samples come from libtiff in host order,
 * which the page header says. The resolution is the file's when it has
 * one in inches or centimetres, else the caller's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <tiffio.h>

#include "pagestream.h"
#include "safefile.h"
#include "scan.h"

#define TIFFIN_MAX_PIPE (UINT64_C(1) << 30)	/* a TIFF read from a pipe */

/* tiffin_message - libtiff's errors, one line each */
static void
tiffin_message(const char *module, const char *fmt, va_list ap)
{
	fprintf(stderr, "cloudspool: TIFF: %.100s: ", module != NULL ? module :
	    "-");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* tiffin_seekable - a copy of fd when it seeks (back to 0), else a
 * memfd holding pre and the rest of fd: libtiff closes what it reads, and
 * fd is the caller's; -1 on an error (said) */
static int
tiffin_seekable(int fd, const uint8_t *pre, size_t prelen, const char *what)
{
	uint8_t buf[65536];
	uint64_t total = prelen;
	ssize_t n;
	int mfd;

	if (lseek(fd, 0, SEEK_SET) == 0) {
		if ((mfd = dup(fd)) < 0)
			fprintf(stderr, "cloudspool: dup: %s\n",
			    strerror(errno));
		return mfd;
	}
	if ((mfd = memfd_create("cloudspool-tiff", MFD_CLOEXEC)) < 0) {
		fprintf(stderr, "cloudspool: memfd_create: %s\n",
		    strerror(errno));
		return -1;
	}
	if (cs_write_all(mfd, pre, prelen) != CS_OK)
		goto fail;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		if ((total += (uint64_t)n) > TIFFIN_MAX_PIPE) {
			fprintf(stderr, "cloudspool: %.200s: a TIFF over 1 GiB "
			    "from a pipe: give it as a file\n", what);
			(void)close(mfd);
			return -1;
		}
		if (cs_write_all(mfd, buf, (size_t)n) != CS_OK)
			goto fail;
	}
	if (lseek(mfd, 0, SEEK_SET) == 0)
		return mfd;
fail:
	fprintf(stderr, "cloudspool: %.200s: %s\n", what, strerror(errno));
	(void)close(mfd);
	return -1;
}

/* tiffin_res - the directory's resolution in dpi, else dflt */
static uint32_t
tiffin_res(TIFF *tif, ttag_t tag, unsigned dflt)
{
	uint16_t unit = RESUNIT_INCH;
	float r = 0;
	double dpi;

	if (TIFFGetField(tif, tag, &r) != 1 || !(r > 0))
		return dflt;
	(void)TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_NONE)
		return dflt;
	dpi = unit == RESUNIT_CENTIMETER ? r * 2.54 : r;
	return dpi >= 1 && dpi <= CS_PAGE_MAX_RES ? (uint32_t)(dpi + 0.5) :
	    dflt;
}

/* tiffin_header - the current directory as a page header; *invert set
 * when its samples must be inverted to read SANE's way; -1 (said) for a
 * layout we do not take */
static int
tiffin_header(TIFF *tif, const char *what, unsigned dpi,
    struct cs_page_hdr *h, int *invert)
{
	uint16_t bps = 1, spp = 1, photo = 0, planar = PLANARCONFIG_CONTIG;
	uint16_t comp = COMPRESSION_NONE;
	uint8_t raw[CS_PAGE_HDR_LEN];
	const uint16_t one = 1;
	uint32_t w = 0, l = 0;

	memset(h, 0, sizeof(*h));
	(void)TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
	(void)TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &l);
	(void)TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
	(void)TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	(void)TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
	(void)TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
	if (TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo) != 1)
		photo = spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISWHITE;
	if (photo == PHOTOMETRIC_YCBCR && comp == COMPRESSION_JPEG &&
	    TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB) == 1)
		photo = PHOTOMETRIC_RGB;	/* libtiff converts */
	*invert = photo == (bps == 1 ? PHOTOMETRIC_MINISBLACK :
	    PHOTOMETRIC_MINISWHITE);
	h->channels = (uint8_t)spp;
	h->depth = (uint8_t)bps;
	h->flags = planar == PLANARCONFIG_SEPARATE && spp == 3 ?
	    CS_PAGE_PLANAR : 0;
	if (bps == 16 && *(const uint8_t *)&one == 1)
		h->flags |= CS_PAGE_NATIVE_LE;
	h->width = w;
	h->height = l;
	h->bytes_per_line = (uint32_t)cs_page_min_bpl(h);
	h->xres = tiffin_res(tif, TIFFTAG_XRESOLUTION, dpi);
	h->yres = tiffin_res(tif, TIFFTAG_YRESOLUTION, dpi);
	cs_page_encode(h, raw);
	if (TIFFIsTiled(tif) || (bps != 1 && bps != 8 && bps != 16) ||
	    !((spp == 1 && (photo == PHOTOMETRIC_MINISWHITE ||
	    photo == PHOTOMETRIC_MINISBLACK)) || (spp == 3 && bps != 1 &&
	    photo == PHOTOMETRIC_RGB)) || cs_page_decode(raw, h) != CS_OK ||
	    (uint64_t)TIFFScanlineSize64(tif) != h->bytes_per_line) {
		fprintf(stderr, "cloudspool: %.200s: a TIFF page this takes "
		    "not (%ux%u, %u bits, %u samples, photometric %u%s)\n",
		    what, w, l, bps, spp, photo, TIFFIsTiled(tif) ? ", tiled" :
		    "");
		return -1;
	}
	return 0;
}

/* tiffin_page - the current directory's scanlines (each plane in turn
 * when planar) onto the feed; EX_OK, EX_DATAERR (said) or -1 */
static int
tiffin_page(TIFF *tif, const char *what, const struct cs_page_hdr *h,
    int invert, uint8_t *line, struct scan_feed *f)
{
	uint16_t s, planes = (h->flags & CS_PAGE_PLANAR) ? 3 : 1;
	uint32_t y, i;

	for (s = 0; s < planes; s++)
		for (y = 0; y < h->height; y++) {
			if (TIFFReadScanline(tif, line, y, s) != 1) {
				fprintf(stderr, "cloudspool: %.200s: bad TIFF "
				    "data at line %u\n", what, y);
				return EX_DATAERR;
			}
			for (i = 0; invert && i < h->bytes_per_line; i++)
				line[i] = (uint8_t)~line[i];
			if (scan_feed_write(f, line, h->bytes_per_line) < 0)
				return -1;
		}
	return EX_OK;
}

/* tiffin_pages - every directory of the TIFF in_fd (its first prelen
 * bytes already read into pre) onto the feed as a page; EX_OK,
 * EX_DATAERR (said), EX_OSERR, or -1 when the drop helper went away */
int
tiffin_pages(int in_fd, const uint8_t *pre, size_t prelen, const char *what,
    unsigned dpi, struct scan_feed *f, unsigned long *pages)
{
	uint8_t raw[CS_PAGE_HDR_LEN], *line = NULL;
	struct cs_page_hdr h;
	TIFF *tif;
	int fd, invert, rc = EX_OK;

	(void)TIFFSetErrorHandler(tiffin_message);
	(void)TIFFSetWarningHandler(NULL);
	if ((fd = tiffin_seekable(in_fd, pre, prelen, what)) < 0)
		return EX_OSERR;
	/* "m": no memory map, so a file changing under us is a read error */
	if ((tif = TIFFFdOpen(fd, what, "rm")) == NULL) {
		(void)close(fd);	/* TIFFClose would have */
		return EX_DATAERR;
	}
	do {
		if (tiffin_header(tif, what, dpi, &h, &invert) < 0) {
			rc = EX_DATAERR;
			break;
		}
		free(line);
		if ((line = malloc(h.bytes_per_line)) == NULL) {
			rc = EX_OSERR;
			break;
		}
		cs_page_encode(&h, raw);
		if (scan_feed_write(f, raw, sizeof(raw)) < 0) {
			rc = -1;
			break;
		}
		if ((rc = tiffin_page(tif, what, &h, invert, line, f)) != EX_OK)
			break;
		(*pages)++;
		if (TIFFLastDirectory(tif))
			break;
		/* a next directory that does not read is an error, not the end */
		if (TIFFReadDirectory(tif) != 1) {
			rc = EX_DATAERR;
			break;
		}
	} while (rc == EX_OK);
	TIFFClose(tif);		/* closes fd */
	free(line);
	return rc;
}
