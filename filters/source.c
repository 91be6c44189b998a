/*
 * source.c - read pages of any supported format (source.h).
 *
 * Every decoder here runs on hostile bytes inside the sandbox, so sizes
 * are checked before anything is allocated from them, Leptonica's own
 * messages are silenced (one line of ours per failure instead), and a
 * page that decodes to something odd (colormap, 16 bits, alpha) is
 * normalised to 1, 8 or 32 bpp before anything else sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tiffio.h>

#include "pagestream.h"
#include "source.h"

/* source_format_of - magic bytes */
enum source_format
source_format_of(const uint8_t *p, size_t len)
{
	if (len >= 4 && (memcmp(p, CS_PAGE_MAGIC, 4) == 0 ||
	    memcmp(p, CS_PAGE_END_MAGIC, 4) == 0))
		return SRC_PAGES;
	if (len >= 4 && (memcmp(p, "II*\0", 4) == 0 ||
	    memcmp(p, "MM\0*", 4) == 0))
		return SRC_TIFF;
	if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return SRC_PNG;
	if (len >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return SRC_JPEG;
	if (len >= 3 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6' &&
	    (p[2] == ' ' || p[2] == '\n' || p[2] == '\r' || p[2] == '\t' ||
	    p[2] == '#'))
		return SRC_PNM;
	return SRC_OTHER;
}

/* source_read - up to len bytes (fewer only at end of input); -1 on error */
static ssize_t
source_read(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* source_slurp - the whole input: mapped when it is a file, else read */
static int
source_slurp(struct source *s)
{
	struct stat st;
	uint8_t *p = NULL, *q;
	size_t cap = 0, len = s->head_len;
	ssize_t n;
	void *m;

	if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= SOURCE_MAX_INPUT) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
		    s->fd, 0);
		if (m != MAP_FAILED) {
			s->data = m;
			s->len = (size_t)st.st_size;
			s->mapped = 1;
			return 0;
		}
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > SOURCE_MAX_INPUT || (q = realloc(p, cap)) ==
			    NULL) {
				free(p);
				snprintf(s->err, sizeof(s->err), "input too "
				    "large to hold in memory");
				return -1;
			}
			p = q;
			if (len == s->head_len)
				memcpy(p, s->head, s->head_len);
		}
		if ((n = source_read(s->fd, p + len, cap - len)) < 0) {
			free(p);
			snprintf(s->err, sizeof(s->err), "cannot read input: %s",
			    strerror(errno));
			return -1;
		}
		len += (size_t)n;
		if (len < cap)
			break;
	}
	s->data = p;
	s->len = len;
	return 0;
}

/* source_quiet - Leptonica prints some messages whatever the severity */
static void
source_quiet(const char *msg)
{
	(void)msg;
}

/* source_open - tell the format, then hold the input as it needs */
int
source_open(struct source *s, int fd)
{
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	/* Leptonica reports to stderr in several lines; we say one */
	setMsgSeverity(L_SEVERITY_NONE);
	leptSetStderrHandler(source_quiet);
	TIFFSetErrorHandler(NULL);
	TIFFSetWarningHandler(NULL);
	if ((n = source_read(fd, s->head, sizeof(s->head))) < 0) {
		snprintf(s->err, sizeof(s->err), "cannot read input: %s",
		    strerror(errno));
		return -1;
	}
	s->head_len = (size_t)n;
	s->format = source_format_of(s->head, s->head_len);
	if (s->format == SRC_PAGES)
		return 0;
	return source_slurp(s);
}

/* source_stream_read - page stream bytes: the head first, then the fd */
int
source_stream_read(struct source *s, uint8_t *p, size_t len)
{
	size_t k = s->head_len - s->head_pos;

	if (k > len)
		k = len;
	memcpy(p, s->head + s->head_pos, k);
	s->head_pos += k;
	if (k < len && source_read(s->fd, p + k, len - k) != (ssize_t)(len - k))
		return -1;
	return 0;
}

/* source_normalise - 1, 8 or 32 bpp, no colormap, no alpha, sane dpi */
static PIX *
source_normalise(PIX *pix)
{
	PIX *t = pix, *u;
	int d, xr, yr;

	if (pixGetColormap(t) != NULL) {
		u = pixRemoveColormap(t, REMOVE_CMAP_BASED_ON_SRC);
		pixDestroy(&t);
		if ((t = u) == NULL)
			return NULL;
	}
	d = pixGetDepth(t);
	if (d == 32 && pixGetSpp(t) == 4) {
		u = pixAlphaBlendUniform(t, 0xffffff00);
		pixDestroy(&t);
		if ((t = u) == NULL)
			return NULL;
		pixSetSpp(t, 3);
	} else if (d != 1 && d != 8 && d != 32) {
		u = d == 16 ? pixConvert16To8(t, L_MS_BYTE) :
		    pixConvertTo8(t, 0);
		pixDestroy(&t);
		if ((t = u) == NULL)
			return NULL;
	}
	xr = pixGetXRes(t);
	yr = pixGetYRes(t);
	if (xr < 10 || xr > 10000 || yr < 10 || yr > 10000)
		pixSetResolution(t, SOURCE_DEFAULT_RES, SOURCE_DEFAULT_RES);
	return t;
}

/* source_png_chunks_ok - every chunk's length fits in the buffer. libpng
 * allocates a chunk's declared length before reading it (the fuzzer found
 * a tEXt chunk claiming 1.3 GB in a 400-byte file), so a lying length is
 * refused here, before libpng sees the file. */
static int
source_png_chunks_ok(const uint8_t *p, size_t len)
{
	size_t off = 8;
	uint32_t n;

	while (off + 12 <= len) {
		n = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
		    (uint32_t)p[off + 2] << 8 | p[off + 3];
		if (n > len - off - 12)
			return 0;
		if (memcmp(p + off + 4, "IEND", 4) == 0)
			return 1;
		off += 12 + (size_t)n;
	}
	return 0;
}

/* source_header_ok - refuse a page too big to decode before decoding */
static int
source_header_ok(struct source *s)
{
	l_int32 fmt, w, h, bps, spp, cmap;

	if (s->format == SRC_PNG && !source_png_chunks_ok(s->data, s->len)) {
		snprintf(s->err, sizeof(s->err), "malformed image (a PNG chunk "
		    "runs past the end of the file)");
		return 0;
	}
	if (pixReadHeaderMem(s->data, s->len, &fmt, &w, &h, &bps, &spp,
	    &cmap) != 0 || w <= 0 || h <= 0) {
		snprintf(s->err, sizeof(s->err), "malformed image (cannot read "
		    "its header)");
		return 0;
	}
	if ((uint64_t)w * (uint64_t)h > SOURCE_MAX_PIXELS) {
		snprintf(s->err, sizeof(s->err), "image too large (%dx%d)", w,
		    h);
		return 0;
	}
	return 1;
}

/* source_next - one page of any format */
int
source_next(struct source *s, PIX **pix)
{
	int rc;

	*pix = NULL;
	if (s->done)
		return 0;
	if (s->format == SRC_PAGES) {
		if ((rc = source_pages_next(s, pix)) != 1)
			return rc;
	} else if (s->format == SRC_OTHER) {
		snprintf(s->err, sizeof(s->err), "not an image (TIFF, PNG, "
		    "JPEG, PNM or a page stream)");
		return -1;
	} else {
		if (s->pages == 0 && !source_header_ok(s))
			return -1;
		if (s->format == SRC_TIFF) {
			*pix = pixReadMemFromMultipageTiff(s->data, s->len,
			    &s->tiff_offset);
			s->done = s->tiff_offset == 0;
		} else {
			*pix = pixReadMem(s->data, s->len);
			s->done = 1;
		}
		if (*pix == NULL || pixGetWidth(*pix) <= 0 ||
		    (uint64_t)pixGetWidth(*pix) * (uint64_t)pixGetHeight(*pix) >
		    SOURCE_MAX_PIXELS) {
			pixDestroy(pix);
			snprintf(s->err, sizeof(s->err), "malformed image "
			    "(page %u does not decode)", s->pages + 1);
			return -1;
		}
	}
	if ((*pix = source_normalise(*pix)) == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory (page %u)",
		    s->pages + 1);
		return -1;
	}
	s->pages++;
	return 1;
}

/* source_close - release the input */
void
source_close(struct source *s)
{
	if (s->mapped)
		munmap((void *)(uintptr_t)s->data, s->len);
	else if (s->format != SRC_PAGES)
		free((void *)(uintptr_t)s->data);
	s->data = NULL;
}
