/*
 * page_enc.h - compress a page stream's pages on their way to the drop
 * helper (lib/pagestream.h, doc/SPOOL-FORMAT.md "Encoded pages").
 *
 * The front ends (`cloudspool scan`, `submit --pages`) write the raw page
 * stream they always wrote; this transcoder sits between them and the
 * pipe and turns each raw (version 1) page into an encoded (version 2)
 * one: bilevel pages CCITT G4 (Deflate when G4 would be larger), gray and
 * colour Deflate of filtered rows, or JPEG when the action asks for it.
 * Memory: one row for Deflate and JPEG (plus JPEG's compressed page), one
 * bilevel page for G4. Nothing is written anywhere but to `out`.
 */
#ifndef CS_PAGE_ENC_H
#define CS_PAGE_ENC_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "pagestream.h"

/* Where encoded bytes go: 0, or -1 when they cannot (errno). */
typedef int (*page_enc_out)(void *ctx, const void *p, size_t len);

struct page_jpeg;

struct page_enc {
	int mode;			/* CS_PAGE_COMP_* (config.h) */
	unsigned quality;		/* JPEG quality */
	page_enc_out out;
	void *ctx;
	int state;			/* page_enc.c's PE_* */
	uint8_t hdr[CS_PAGE_HDR_LEN];	/* a header being gathered */
	size_t hlen;
	struct cs_page_hdr in;		/* the raw page's header */
	struct cs_page_hdr enc;		/* the header sent for it */
	uint64_t left;			/* raw bytes of the page still to come */
	uint8_t *row, *prev, *frow;	/* this row, the one above, filtered */
	size_t rowlen;			/* bytes of row gathered */
	size_t rowcap;
	uint64_t rows;			/* rows done */
	z_stream z;
	int z_live;
	uint8_t *zbuf;			/* one Deflate output block */
	uint8_t *page;			/* G4: the bilevel page so far */
	size_t pagelen, pagecap;
	struct page_jpeg *jpeg;
	uint8_t *j8;			/* JPEG: a row in 8 bits */
	unsigned long pages;		/* pages encoded */
	char err[160];			/* why page_enc_write returned -2 */
};

/* page_enc_init - a transcoder for mode (CS_PAGE_COMP_*) and quality
 * (1-100, JPEG) that sends to out(ctx, ...); 0, or -1 (no memory) */
int page_enc_init(struct page_enc *e, int mode, unsigned quality,
    page_enc_out out, void *ctx);

/* page_enc_write - len bytes of a raw page stream, cut anywhere: 0; -1
 * when out failed (errno); -2 when a page could not be encoded (e->err).
 * What is not a page this transcoder understands (a bad header, bytes
 * after the end marker) goes on unchanged: the drop helper refuses it. */
int page_enc_write(struct page_enc *e, const void *p, size_t len);

/* page_enc_free - release, wiping what held pixels */
void page_enc_free(struct page_enc *e);

/* page_jpeg_begin - a JPEG of w x h, 1 or 3 channels, at quality; NULL
 * on failure (page_jpeg.c) */
struct page_jpeg *page_jpeg_begin(uint32_t w, uint32_t h, int channels,
    unsigned quality);

/* page_jpeg_row - the next row of 8-bit samples; 0 or -1 */
int page_jpeg_row(struct page_jpeg *j, const uint8_t *row);

/* page_jpeg_end - finish: the JPEG's bytes (malloc'd) into *out; 0 or -1.
 * j is freed either way. */
int page_jpeg_end(struct page_jpeg *j, uint8_t **out, size_t *outlen);

/* page_jpeg_free - give up on j */
void page_jpeg_free(struct page_jpeg *j);

#endif
