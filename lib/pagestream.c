/*
 * pagestream.c - encode and check page stream headers (pagestream.h).
 *
 * Every reader of a page stream (the setgid drop helper, the sandboxed
 * worker) decodes headers here, so both refuse the same things: unknown
 * magic or version, a layout SANE never produces, sizes that would
 * overflow, and set reserved bytes.
 */
#include <string.h>

#include "pagestream.h"

/* page_put32 - big-endian store */
static void
page_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* page_get32 - big-endian load */
static uint32_t
page_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* cs_page_encode - magic, version, channels, depth, flags, five u32, the
 * encoding (version 2 only), zeros */
void
cs_page_encode(const struct cs_page_hdr *h, uint8_t out[CS_PAGE_HDR_LEN])
{
	memset(out, 0, CS_PAGE_HDR_LEN);
	memcpy(out, CS_PAGE_MAGIC, 4);
	out[4] = h->encoding == CS_PAGE_ENC_RAW ? CS_PAGE_VERSION :
	    CS_PAGE_VERSION_ENC;
	out[28] = h->encoding;
	out[5] = h->channels;
	out[6] = h->depth;
	out[7] = h->flags;
	page_put32(out + 8, h->width);
	page_put32(out + 12, h->height);
	page_put32(out + 16, h->bytes_per_line);
	page_put32(out + 20, h->xres);
	page_put32(out + 24, h->yres);
}

/* cs_page_encode_end - the end magic and zeros */
void
cs_page_encode_end(uint8_t out[CS_PAGE_HDR_LEN])
{
	memset(out, 0, CS_PAGE_HDR_LEN);
	memcpy(out, CS_PAGE_END_MAGIC, 4);
	out[4] = CS_PAGE_VERSION;
}

/* cs_page_min_bpl - ceil(width * samples * depth / 8) for one plane */
uint64_t
cs_page_min_bpl(const struct cs_page_hdr *h)
{
	uint64_t samples = (h->flags & CS_PAGE_PLANAR) ? 1 : h->channels;

	return ((uint64_t)h->width * samples * h->depth + 7) / 8;
}

/* cs_page_data_len - lines times bytes per line, times the planes */
uint64_t
cs_page_data_len(const struct cs_page_hdr *h)
{
	uint64_t planes = (h->flags & CS_PAGE_PLANAR) ? 3 : 1;

	return (uint64_t)h->bytes_per_line * h->height * planes;
}

/* cs_page_enc_max - 2 * raw + 64 KiB; no overflow: raw < 2^62 */
uint64_t
cs_page_enc_max(const struct cs_page_hdr *h)
{
	return 2 * cs_page_data_len(h) + 65536;
}

/* cs_page_put_block - big-endian u32 */
void
cs_page_put_block(uint32_t len, uint8_t out[4])
{
	page_put32(out, len);
}

/* cs_page_get_block - big-endian u32 */
uint32_t
cs_page_get_block(const uint8_t in[4])
{
	return page_get32(in);
}

/* page_enc_ok - what each encoding can carry: G4 bilevel only, JPEG 8-bit
 * interleaved only, and both with unpadded lines (they hold pixels, not
 * SANE's lines) */
static int
page_enc_ok(const struct cs_page_hdr *h, uint64_t min)
{
	switch (h->encoding) {
	case CS_PAGE_ENC_G4:
		return h->depth == 1 && h->flags == 0 &&
		    h->bytes_per_line == min;
	case CS_PAGE_ENC_JPEG:
		return h->depth == 8 && h->flags == 0 &&
		    h->bytes_per_line == min;
	case CS_PAGE_ENC_DEFLATE:
		return 1;
	default:
		return 0;
	}
}

/* page_is_zero - every byte of p[0..n) is zero */
static int
page_is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n-- > 0)
		acc |= *p++;
	return acc == 0;
}

/* cs_page_decode - the one place a page header is believed */
cs_result
cs_page_decode(const uint8_t in[CS_PAGE_HDR_LEN], struct cs_page_hdr *h)
{
	uint64_t min;

	memset(h, 0, sizeof(*h));
	/* the end marker is version 1 whatever its pages' versions */
	if (memcmp(in, CS_PAGE_END_MAGIC, 4) == 0)
		return in[4] == CS_PAGE_VERSION &&
		    page_is_zero(in + 5, CS_PAGE_HDR_LEN - 5) ?
		    CS_ERR_NOTFOUND : CS_ERR_FORMAT;
	if (memcmp(in, CS_PAGE_MAGIC, 4) != 0 || !page_is_zero(in + 29, 3))
		return CS_ERR_FORMAT;
	if (in[4] == CS_PAGE_VERSION && in[28] != CS_PAGE_ENC_RAW)
		return CS_ERR_FORMAT;
	if (in[4] == CS_PAGE_VERSION_ENC && in[28] == CS_PAGE_ENC_RAW)
		return CS_ERR_FORMAT;	/* raw pages are version 1 */
	if (in[4] != CS_PAGE_VERSION && in[4] != CS_PAGE_VERSION_ENC)
		return CS_ERR_FORMAT;
	h->encoding = in[28];
	h->channels = in[5];
	h->depth = in[6];
	h->flags = in[7];
	h->width = page_get32(in + 8);
	h->height = page_get32(in + 12);
	h->bytes_per_line = page_get32(in + 16);
	h->xres = page_get32(in + 20);
	h->yres = page_get32(in + 24);
	if ((h->channels != 1 && h->channels != 3) ||
	    (h->depth != 1 && h->depth != 8 && h->depth != 16) ||
	    (h->depth == 1 && h->channels != 1) ||
	    (h->flags & ~(CS_PAGE_PLANAR | CS_PAGE_NATIVE_LE)) != 0 ||
	    ((h->flags & CS_PAGE_PLANAR) && h->channels != 3))
		return CS_ERR_FORMAT;
	if (h->width == 0 || h->width > CS_PAGE_MAX_DIM || h->height == 0 ||
	    h->height > CS_PAGE_MAX_DIM || h->xres == 0 ||
	    h->xres > CS_PAGE_MAX_RES || h->yres == 0 ||
	    h->yres > CS_PAGE_MAX_RES)
		return CS_ERR_FORMAT;
	min = cs_page_min_bpl(h);
	/* SANE may pad a line (the test backend's ppl-loss); not without end */
	if (h->bytes_per_line < min || h->bytes_per_line > min + 4096)
		return CS_ERR_FORMAT;
	if (h->encoding != CS_PAGE_ENC_RAW && !page_enc_ok(h, min))
		return CS_ERR_FORMAT;
	return CS_OK;
}
