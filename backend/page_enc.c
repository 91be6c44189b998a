/*
 * page_enc.c - raw page stream in, encoded page stream out (page_enc.h).
 *
 * A state machine over bytes cut anywhere: gather a header, decide the
 * page's encoding, gather rows, encode them, and at the page's last row
 * send the rest and the zero block that ends it. Deflate and JPEG pages
 * stream (Deflate's blocks leave as they fill; JPEG's compressed page is
 * held until its end, a fraction of the pixels). A bilevel page is held
 * whole (1 bit a pixel: 1 MB at 300 dpi A4), because G4 can come out
 * larger than the pixels on halftones and noise: then the same rows go
 * out as Deflate instead, which cannot grow much.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "g4.h"
#include "page_enc.h"

#define PE_ZBUF (256 * 1024)	/* one Deflate block (<= CS_PAGE_BLOCK_MAX) */

enum {
	PE_HEADER,		/* gathering a header */
	PE_ROWS,		/* gathering a page's rows */
	PE_COPY,		/* copying a raw page's data as it is */
	PE_PASS			/* after the end marker or a bad header */
};

/* page_enc_init - set up; buffers come with the first page */
int
page_enc_init(struct page_enc *e, int mode, unsigned quality,
    page_enc_out out, void *ctx)
{
	memset(e, 0, sizeof(*e));
	e->mode = mode;
	e->quality = quality >= 1 && quality <= 100 ? quality :
	    CS_PAGE_QUALITY_DEFAULT;
	e->out = out;
	e->ctx = ctx;
	e->state = PE_HEADER;
	return 0;
}

/* pe_send - to out: 0 or -1 */
static int
pe_send(struct page_enc *e, const void *p, size_t len)
{
	return len == 0 ? 0 : e->out(e->ctx, p, len);
}

/* pe_block - one data block: its length word, then its bytes */
static int
pe_block(struct page_enc *e, const uint8_t *p, size_t len)
{
	uint8_t word[4];

	cs_page_put_block((uint32_t)len, word);
	if (pe_send(e, word, sizeof(word)) < 0)
		return -1;
	return pe_send(e, p, len);
}

/* pe_blocks - len bytes as blocks of at most CS_PAGE_BLOCK_MAX, then the
 * zero block that ends the page */
static int
pe_blocks(struct page_enc *e, const uint8_t *p, size_t len)
{
	size_t k;

	while (len > 0) {
		k = len < CS_PAGE_BLOCK_MAX ? len : CS_PAGE_BLOCK_MAX;
		if (pe_block(e, p, k) < 0)
			return -1;
		p += k;
		len -= k;
	}
	return pe_block(e, NULL, 0);
}

/* pe_header - the header of the page as it is sent */
static int
pe_header(struct page_enc *e, uint8_t encoding)
{
	uint8_t raw[CS_PAGE_HDR_LEN];

	e->enc = e->in;
	e->enc.encoding = encoding;
	if (encoding == CS_PAGE_ENC_G4 || encoding == CS_PAGE_ENC_JPEG) {
		e->enc.depth = encoding == CS_PAGE_ENC_JPEG ? 8 : 1;
		e->enc.flags = 0;
		e->enc.bytes_per_line = (uint32_t)cs_page_min_bpl(&e->enc);
	}
	cs_page_encode(&e->enc, raw);
	return pe_send(e, raw, sizeof(raw));
}

/* pe_fail - an encoder gave up: say why */
static int
pe_fail(struct page_enc *e, const char *what)
{
	snprintf(e->err, sizeof(e->err), "page %lu: %s", e->pages + 1, what);
	return -2;
}

/* pe_zflush - deflate what is in the stream's input with flush; send
 * each full output block; 0, -1 (out), -2 (zlib) */
static int
pe_zflush(struct page_enc *e, int flush)
{
	int zr;

	do {
		zr = deflate(&e->z, flush);
		if (zr == Z_STREAM_ERROR)
			return pe_fail(e, "deflate failed");
		if (e->z.avail_out == 0 || (flush == Z_FINISH &&
		    zr == Z_STREAM_END && e->z.avail_out < PE_ZBUF)) {
			if (pe_block(e, e->zbuf, PE_ZBUF - e->z.avail_out) < 0)
				return -1;
			e->z.next_out = e->zbuf;
			e->z.avail_out = PE_ZBUF;
		}
	} while (e->z.avail_in > 0 || (flush == Z_FINISH &&
	    zr != Z_STREAM_END));
	return 0;
}

/* pe_zbegin - a Deflate page: the header now, then rows as they come.
 * Level 1: the gain of higher levels on scans is a few per cent for
 * several times the CPU, and the scan must keep up with the scanner.
 * Raw Deflate (RFC 1951, no zlib header or Adler-32): the sealed section
 * already authenticates every byte, and Adler-32 was a sixth of the
 * encoder's time. */
static int
pe_zbegin(struct page_enc *e)
{
	if (e->zbuf == NULL && (e->zbuf = malloc(PE_ZBUF)) == NULL)
		return pe_fail(e, "out of memory");
	memset(&e->z, 0, sizeof(e->z));
	if (deflateInit2(&e->z, Z_BEST_SPEED, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return pe_fail(e, "deflate cannot start");
	e->z_live = 1;
	e->z.next_out = e->zbuf;
	e->z.avail_out = PE_ZBUF;
	memset(e->prev, 0, e->in.bytes_per_line);
	return pe_header(e, CS_PAGE_ENC_DEFLATE);
}

/* pe_up - f = the "up" filter of row against prev, and prev = row.
 * Eight bytes at a time (SWAR: per-byte subtraction with no borrow
 * between bytes), because GCC does not vectorise the byte loop at -O2
 * and it was a quarter of the encoder's time. */
static void
pe_up(uint8_t *restrict f, const uint8_t *restrict row,
    uint8_t *restrict prev, size_t n)
{
	const uint64_t hi = UINT64_C(0x8080808080808080);
	uint64_t a, b, d;
	size_t i = 0;

	f[0] = CS_PAGE_FILTER_UP;
	for (; i + 8 <= n; i += 8) {
		memcpy(&a, row + i, 8);
		memcpy(&b, prev + i, 8);
		d = ((a | hi) - (b & ~hi)) ^ ((a ^ ~b) & hi);
		memcpy(f + 1 + i, &d, 8);
		memcpy(prev + i, &a, 8);
	}
	for (; i < n; i++) {
		f[1 + i] = (uint8_t)(row[i] - prev[i]);
		prev[i] = row[i];
	}
}

/* pe_zrow - one row, "up"-filtered (the byte above subtracted: scans
 * change slowly down a page, and it costs one subtraction a byte) */
static int
pe_zrow(struct page_enc *e, const uint8_t *row)
{
	size_t n = e->in.bytes_per_line;

	pe_up(e->frow, row, e->prev, n);
	e->z.next_in = e->frow;
	e->z.avail_in = (uInt)(n + 1);
	return pe_zflush(e, Z_NO_FLUSH);
}

/* pe_zend - the end of the zlib stream, the zero block */
static int
pe_zend(struct page_enc *e)
{
	int rc = pe_zflush(e, Z_FINISH);

	(void)deflateEnd(&e->z);
	e->z_live = 0;
	if (rc != 0)
		return rc;
	return pe_block(e, NULL, 0);
}

/* pe_g4_end - G4 of the held bilevel page, or Deflate when that is
 * smaller than what G4 made */
static int
pe_g4_end(struct page_enc *e)
{
	struct buf g4 = { 0 };
	size_t bpl = e->in.bytes_per_line;
	uint32_t y;
	int rc;

	if (g4_encode_rows(e->page, e->in.width, e->in.height, bpl, &g4) < 0 ||
	    g4.failed) {
		buf_free(&g4);
		return pe_fail(e, "CCITT G4 encoding failed");
	}
	if (g4.len <= (uint64_t)cs_page_min_bpl(&e->in) * e->in.height) {
		rc = pe_header(e, CS_PAGE_ENC_G4);
		if (rc == 0)
			rc = pe_blocks(e, g4.p, g4.len);
		memset(g4.p, 0, g4.len);
		buf_free(&g4);
		return rc;
	}
	memset(g4.p, 0, g4.len);
	buf_free(&g4);
	if ((rc = pe_zbegin(e)) != 0)
		return rc;
	for (y = 0; y < e->in.height; y++)
		if ((rc = pe_zrow(e, e->page + (size_t)y * bpl)) != 0)
			return rc;
	return pe_zend(e);
}

/* pe_jrow - one row to the JPEG encoder, 16-bit samples narrowed to
 * their high byte (the worker keeps 8 bits a sample anyway) */
static int
pe_jrow(struct page_enc *e, const uint8_t *row)
{
	size_t i, n = (size_t)e->in.width * e->in.channels;
	size_t hi = (e->in.flags & CS_PAGE_NATIVE_LE) ? 1 : 0;

	if (e->in.depth == 16) {
		for (i = 0; i < n; i++)
			e->j8[i] = row[2 * i + hi];
		row = e->j8;
	}
	if (page_jpeg_row(e->jpeg, row) < 0)
		return pe_fail(e, "JPEG encoding failed");
	return 0;
}

/* pe_jend - the JPEG page, whole, if it is not absurdly large */
static int
pe_jend(struct page_enc *e)
{
	uint8_t *j = NULL;
	size_t len = 0;
	int rc;

	rc = page_jpeg_end(e->jpeg, &j, &len);
	e->jpeg = NULL;
	if (rc < 0)
		return pe_fail(e, "JPEG encoding failed");
	if ((rc = pe_header(e, CS_PAGE_ENC_JPEG)) == 0) {
		e->enc.encoding = CS_PAGE_ENC_JPEG;
		rc = (uint64_t)len > cs_page_enc_max(&e->enc) ?
		    pe_fail(e, "JPEG larger than the page's pixels") :
		    pe_blocks(e, j, len);
	}
	free(j);
	return rc;
}

/* pe_grow - *p at least n bytes; 0 or -1 */
static int
pe_grow(uint8_t **p, size_t n)
{
	uint8_t *q;

	if ((q = realloc(*p, n ? n : 1)) == NULL)
		return -1;
	*p = q;
	return 0;
}

/* pe_begin - a page header arrived: choose its encoding, set up */
static int
pe_begin(struct page_enc *e)
{
	size_t bpl = e->in.bytes_per_line;
	uint64_t raw = cs_page_data_len(&e->in);
	int planar = (e->in.flags & CS_PAGE_PLANAR) != 0;

	e->left = raw;
	e->rows = 0;
	e->rowlen = 0;
	if (e->mode == CS_PAGE_COMP_NONE) {
		e->state = PE_COPY;
		return pe_send(e, e->hdr, sizeof(e->hdr));
	}
	e->state = PE_ROWS;
	if (bpl > e->rowcap) {
		if (pe_grow(&e->row, bpl) < 0 || pe_grow(&e->prev, bpl) < 0 ||
		    pe_grow(&e->frow, bpl + 1) < 0 || pe_grow(&e->j8, bpl) < 0)
			return pe_fail(e, "out of memory");
		e->rowcap = bpl;
	}
	if (e->in.depth == 1) {
		if (raw > SIZE_MAX)
			return pe_fail(e, "page too large");
		if (raw > e->pagecap) {
			if (e->page != NULL)
				memset(e->page, 0, e->pagecap);
			free(e->page);
			e->pagecap = 0;
			if ((e->page = malloc((size_t)raw)) == NULL)
				return pe_fail(e, "out of memory");
			e->pagecap = (size_t)raw;
		}
		e->pagelen = 0;
		return 0;
	}
	/* JPEG's sides stop at 65500 pixels: a longer page goes lossless */
	if (e->mode == CS_PAGE_COMP_JPEG && !planar &&
	    e->in.width <= 65500 && e->in.height <= 65500) {
		e->jpeg = page_jpeg_begin(e->in.width, e->in.height,
		    e->in.channels, e->quality);
		if (e->jpeg == NULL)
			return pe_fail(e, "JPEG encoder cannot start");
		return 0;
	}
	/* planar (three-pass) pages come a plane at a time: JPEG would
	 * need the whole page, so they are stored losslessly */
	return pe_zbegin(e);
}

/* pe_row - a whole row of the page */
static int
pe_row(struct page_enc *e, const uint8_t *row)
{
	if (e->in.depth == 1) {
		memcpy(e->page + e->pagelen, row, e->in.bytes_per_line);
		e->pagelen += e->in.bytes_per_line;
		return 0;
	}
	return e->jpeg != NULL ? pe_jrow(e, row) : pe_zrow(e, row);
}

/* pe_end - the page's last row went in */
static int
pe_end(struct page_enc *e)
{
	int rc;

	if (e->in.depth == 1)
		rc = pe_g4_end(e);
	else if (e->jpeg != NULL)
		rc = pe_jend(e);
	else
		rc = pe_zend(e);
	if (rc == 0)
		e->pages++;
	e->state = PE_HEADER;
	e->hlen = 0;
	return rc;
}

/* pe_header_done - 32 bytes gathered: a page, the end, or not ours */
static int
pe_header_done(struct page_enc *e)
{
	cs_result r = cs_page_decode(e->hdr, &e->in);

	e->hlen = 0;
	if (r == CS_OK && e->in.encoding == CS_PAGE_ENC_RAW)
		return pe_begin(e);
	/* the end marker, an encoded page or garbage: as it is */
	e->state = PE_PASS;
	return pe_send(e, e->hdr, sizeof(e->hdr));
}

/* page_enc_write - feed the state machine */
int
page_enc_write(struct page_enc *e, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t k, bpl;
	int rc;

	while (len > 0) {
		switch (e->state) {
		case PE_PASS:
			return pe_send(e, p, len);
		case PE_HEADER:
			k = sizeof(e->hdr) - e->hlen;
			k = k < len ? k : len;
			memcpy(e->hdr + e->hlen, p, k);
			e->hlen += k;
			p += k;
			len -= k;
			if (e->hlen == sizeof(e->hdr) &&
			    (rc = pe_header_done(e)) != 0)
				return rc;
			break;
		case PE_COPY:
			k = e->left < len ? (size_t)e->left : len;
			if (pe_send(e, p, k) < 0)
				return -1;
			p += k;
			len -= k;
			if ((e->left -= k) == 0) {
				e->state = PE_HEADER;
				e->pages++;
			}
			break;
		default:
			bpl = e->in.bytes_per_line;
			/* whole rows straight from the caller's buffer */
			if (e->rowlen == 0 && len >= bpl) {
				if ((rc = pe_row(e, p)) != 0)
					return rc;
				p += bpl;
				len -= bpl;
			} else {
				k = bpl - e->rowlen < len ? bpl - e->rowlen :
				    len;
				memcpy(e->row + e->rowlen, p, k);
				e->rowlen += k;
				p += k;
				len -= k;
				if (e->rowlen < bpl)
					break;
				e->rowlen = 0;
				if ((rc = pe_row(e, e->row)) != 0)
					return rc;
			}
			e->left -= bpl;
			if (e->left == 0 && (rc = pe_end(e)) != 0)
				return rc;
			break;
		}
	}
	return 0;
}

/* page_enc_free - wipe and free */
void
page_enc_free(struct page_enc *e)
{
	if (e->z_live)
		(void)deflateEnd(&e->z);
	page_jpeg_free(e->jpeg);
	if (e->page != NULL)
		memset(e->page, 0, e->pagecap);
	if (e->row != NULL) {
		memset(e->row, 0, e->rowcap);
		memset(e->prev, 0, e->rowcap);
		memset(e->frow, 0, e->rowcap + 1);
		memset(e->j8, 0, e->rowcap);
	}
	if (e->zbuf != NULL)
		memset(e->zbuf, 0, PE_ZBUF);
	free(e->page);
	free(e->row);
	free(e->prev);
	free(e->frow);
	free(e->j8);
	free(e->zbuf);
	memset(e, 0, sizeof(*e));
}
