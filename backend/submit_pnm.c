/*
 * submit_pnm.c - `cloudspool submit --pages`: PNM images (scanimage
 * --format=pnm, one or more pages a file or stream) into one page stream.
 *
 * Runs in the user's own process with the user's own files, never in the
 * setgid helper, which only ever sees the page stream and checks it again.
 * PBM (P4) is SANE's bilevel layout already (1 = black); PGM (P5) and PPM
 * (P6) with maxval 255 or 65535 map to depth 8 or 16 (PNM's 16-bit
 * samples are big-endian, which the page header says). PNM carries no
 * resolution: the caller gives one.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pagestream.h"
#include "scan.h"

#define PNM_BUF 65536

struct pnm_in {
	int fd;
	size_t pos, len;
	unsigned char buf[PNM_BUF];
};

/* pnm_getc - the next byte, or -1 at end of file or on an error */
static int
pnm_getc(struct pnm_in *in)
{
	ssize_t n;

	if (in->pos == in->len) {
		do
			n = read(in->fd, in->buf, sizeof(in->buf));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		in->pos = 0;
		in->len = (size_t)n;
	}
	return in->buf[in->pos++];
}

/* pnm_number - skip white space and comments, read a decimal number */
static int
pnm_number(struct pnm_in *in, uint32_t *v)
{
	int c, digits = 0;

	do {
		c = pnm_getc(in);
		if (c == '#')
			while (c != '\n' && c != -1)
				c = pnm_getc(in);
	} while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	for (*v = 0; c >= '0' && c <= '9'; c = pnm_getc(in), digits++) {
		if (*v > 100000000)
			return -1;
		*v = *v * 10 + (uint32_t)(c - '0');
	}
	/* exactly one white space byte ends the header's last number */
	return digits > 0 && (c == ' ' || c == '\t' || c == '\n' ||
	    c == '\r') ? 0 : -1;
}

/* pnm_header - one image's header into a page header; 1 at a clean end
 * of the input, 0 for a page, -1 for anything else */
static int
pnm_header(struct pnm_in *in, unsigned dpi, struct cs_page_hdr *h)
{
	uint32_t maxval = 1;
	int c, kind;
	uint8_t raw[CS_PAGE_HDR_LEN];

	do
		c = pnm_getc(in);
	while (c == '\n' || c == ' ' || c == '\r' || c == '\t');
	if (c == -1)
		return 1;
	kind = pnm_getc(in);
	if (c != 'P' || (kind != '4' && kind != '5' && kind != '6'))
		return -1;
	memset(h, 0, sizeof(*h));
	if (pnm_number(in, &h->width) < 0 || pnm_number(in, &h->height) < 0 ||
	    (kind != '4' && pnm_number(in, &maxval) < 0))
		return -1;
	if (maxval != 1 && maxval != 255 && maxval != 65535)
		return -1;
	if (kind != '4' && maxval == 1)
		return -1;
	h->channels = kind == '6' ? 3 : 1;
	h->depth = kind == '4' ? 1 : maxval == 255 ? 8 : 16;
	h->xres = h->yres = dpi;
	h->bytes_per_line = (uint32_t)(((uint64_t)h->width * h->channels *
	    h->depth + 7) / 8);
	cs_page_encode(h, raw);
	return cs_page_decode(raw, h) == CS_OK ? 0 : -1;
}

/* pnm_pages - every image of in_fd (its first prelen bytes already read
 * into pre) onto the feed; EX_OK, EX_DATAERR (a bad image, said), or the
 * status that made the feed fail (-1 said) */
int
pnm_pages(int in_fd, const uint8_t *pre, size_t prelen, const char *what,
    unsigned dpi, struct scan_feed *f, unsigned long *pages)
{
	static struct pnm_in in;	/* 64 KiB: not on the stack */
	uint8_t raw[CS_PAGE_HDR_LEN];
	struct cs_page_hdr h;
	uint64_t left;
	unsigned long here = 0;
	size_t take;
	int rc;

	memset(&in, 0, offsetof(struct pnm_in, buf));
	in.fd = in_fd;
	if (prelen > sizeof(in.buf))
		return EX_SOFTWARE;
	memcpy(in.buf, pre, prelen);
	in.len = prelen;
	while ((rc = pnm_header(&in, dpi, &h)) == 0) {
		cs_page_encode(&h, raw);
		if (scan_feed_write(f, raw, sizeof(raw)) < 0)
			return -1;
		for (left = cs_page_data_len(&h); left > 0; left -= take) {
			if (in.pos == in.len && pnm_getc(&in) >= 0)
				in.pos--;	/* refilled: put it back */
			if (in.pos == in.len) {
				fprintf(stderr, "cloudspool: %.200s: image "
				    "ends early\n", what);
				return EX_DATAERR;
			}
			take = in.len - in.pos;
			if (take > left)
				take = (size_t)left;
			if (scan_feed_write(f, in.buf + in.pos, take) < 0)
				return -1;
			in.pos += take;
		}
		here++;
	}
	*pages += here;
	if (rc < 0 || here == 0) {
		fprintf(stderr, "cloudspool: %.200s: not a PBM, PGM or PPM "
		    "image with maxval 255 or 65535, nor a PNG or TIFF\n",
		    what);
		return EX_DATAERR;
	}
	return EX_OK;
}
