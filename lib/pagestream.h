/*
 * pagestream.h - the plaintext page stream (doc/SCANNING.md).
 *
 * What `cloudspool scan` writes into cloudspool-drop --pages, what the
 * daemon hands the worker, and what the worker turns into a multi-page
 * TIFF. It only ever exists in pipes, memfds and sealed PAGE sections.
 *
 *   page     32-byte header, then bytes_per_line * height raw scanlines
 *            (times 3 when planar: the red, green and blue planes in turn)
 *   end      a 32-byte header with the end magic and every field zero
 *
 * All integers are big-endian. Samples are as SANE delivers them: depth 1
 * is 8 pixels a byte, most significant first, 1 = black; depth 16 is in
 * the scanning host's byte order.
 *
 * Version 2 headers carry an encoding (byte 28): the page's data is then
 * compressed, in blocks (u32 length 1..CS_PAGE_BLOCK_MAX, then that many
 * bytes) ended by a zero length, so a reader finds the page's end without
 * decoding it. Version 1 (raw scanlines) stays valid and is what an
 * unencoded page is still written as. The encodings (doc/SPOOL-FORMAT.md):
 *   G4       CCITT Group 4 (K=-1, no EOL, MSB first, 1 = black) of a
 *            bilevel page, as one strip
 *   DEFLATE  a raw Deflate stream (RFC 1951) of planes * height rows, each
 *            one filter byte
 *            (0 none, 1 sub, 2 up) and bytes_per_line filtered bytes
 *   JPEG     a baseline JFIF of an 8-bit gray or RGB (interleaved) page
 * The header describes the decoded page: for G4 and JPEG bytes_per_line is
 * the fewest the pixels need, and JPEG pages are depth 8.
 */
#ifndef CS_PAGESTREAM_H
#define CS_PAGESTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define CS_PAGE_HDR_LEN 32
#define CS_PAGE_MAGIC "CSPG"
#define CS_PAGE_END_MAGIC "CSPE"
#define CS_PAGE_VERSION 1		/* raw scanlines */
#define CS_PAGE_VERSION_ENC 2		/* encoded data, in blocks */
#define CS_PAGE_BLOCK_MAX (1U << 20)	/* bytes of one data block */

#define CS_PAGE_ENC_RAW 0		/* version 1: raw scanlines */
#define CS_PAGE_ENC_G4 1
#define CS_PAGE_ENC_DEFLATE 2
#define CS_PAGE_ENC_JPEG 3

#define CS_PAGE_FILTER_NONE 0		/* DEFLATE row filters (PNG's) */
#define CS_PAGE_FILTER_SUB 1
#define CS_PAGE_FILTER_UP 2
/* pixels on a side (a 1200 dpi roll 20 m long) */
#define CS_PAGE_MAX_DIM (1U << 20)
#define CS_PAGE_MAX_RES 100000U		/* dots per inch */

#define CS_PAGE_PLANAR 0x01		/* three planes one after the other */
#define CS_PAGE_NATIVE_LE 0x02		/* depth 16 samples are little-endian */

struct cs_page_hdr {
	uint8_t channels;		/* 1 (gray, bilevel) or 3 (RGB) */
	uint8_t depth;			/* bits per sample: 1, 8 or 16 */
	uint8_t flags;			/* CS_PAGE_PLANAR, CS_PAGE_NATIVE_LE */
	uint32_t width;			/* pixels per line */
	uint32_t height;		/* lines */
	uint32_t bytes_per_line;	/* one plane's; may pad the pixels */
	uint32_t xres, yres;		/* dots per inch */
	uint8_t encoding;		/* CS_PAGE_ENC_*: RAW is version 1 */
};

/* cs_page_encode - a page header into out */
void cs_page_encode(const struct cs_page_hdr *h, uint8_t out[CS_PAGE_HDR_LEN]);

/* cs_page_encode_end - the end marker into out */
void cs_page_encode_end(uint8_t out[CS_PAGE_HDR_LEN]);

/* cs_page_decode - check and decode a header: CS_OK for a page,
 * CS_ERR_NOTFOUND for the end marker, CS_ERR_FORMAT for anything else */
cs_result cs_page_decode(const uint8_t in[CS_PAGE_HDR_LEN],
    struct cs_page_hdr *h);

/* cs_page_min_bpl - the fewest bytes a line of one plane can take */
uint64_t cs_page_min_bpl(const struct cs_page_hdr *h);

/* cs_page_data_len - the bytes of pixel data the page holds (raw: that
 * follow the header; encoded: once decoded) */
uint64_t cs_page_data_len(const struct cs_page_hdr *h);

/* cs_page_enc_max - the most encoded bytes (blocks' contents) an encoded
 * page may take: twice its raw size and 64 KiB. Deflate with a filter
 * byte a row stays under it; G4 or JPEG over it is not worth storing */
uint64_t cs_page_enc_max(const struct cs_page_hdr *h);

/* cs_page_put_block - a block length word; cs_page_get_block - its value */
void cs_page_put_block(uint32_t len, uint8_t out[4]);
uint32_t cs_page_get_block(const uint8_t in[4]);

#endif
