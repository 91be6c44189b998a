/*
 * source.h - where pages come from: one input, read page by page.
 *
 * The format is told by its first bytes, never by a name: the spool's
 * page stream ("CSPG"), TIFF (one or many pages), PNG, JPEG, PNM. A page
 * stream is read from the fd as pages are asked for, so a long scan is
 * never held whole; the other formats are mapped (regular files, memfds)
 * or read whole (pipes) and decoded one page at a time by Leptonica.
 * Anything else is FILTER_SRC_OTHER: the worker passes it through.
 */
#ifndef CS_FILTER_SOURCE_H
#define CS_FILTER_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <leptonica/allheaders.h>

enum source_format {
	SRC_OTHER,
	SRC_PAGES,
	SRC_TIFF,
	SRC_PNG,
	SRC_JPEG,
	SRC_PNM,
};

#define SOURCE_MAX_INPUT (UINT64_C(1) << 31)	/* bytes held in memory */
#define SOURCE_MAX_PIXELS (UINT64_C(1) << 28)	/* per page: 256 Mpixel */
#define SOURCE_DEFAULT_RES 300			/* when the file has none */

struct source {
	enum source_format format;
	int fd;
	const uint8_t *data;		/* whole input unless SRC_PAGES */
	size_t len;
	int mapped;			/* data is an mmap (else malloc'd) */
	uint8_t head[8];		/* SRC_PAGES: bytes read to tell it */
	size_t head_len, head_pos;
	size_t tiff_offset;		/* next TIFF directory; 0 at the start */
	int done;
	unsigned pages;			/* pages handed out so far */
	char err[160];			/* why the last call failed */
};

/* source_open - tell the format of fd's content; 0, or -1 with s->err */
int source_open(struct source *s, int fd);

/* source_next - the next page as a 1, 8 or 32 bpp PIX with its resolution
 * set: 1 with *pix, 0 after the last page, -1 on malformed input (s->err) */
int source_next(struct source *s, PIX **pix);

/* source_close - unmap or free */
void source_close(struct source *s);

/* source_stream_read - exactly len bytes of a page stream (the bytes read
 * to tell the format first); 0, or -1 when it ends or fails */
int source_stream_read(struct source *s, uint8_t *p, size_t len);

/* source_pages_next - the next page of a page stream, raw or encoded, as
 * source_next returns it, not yet normalised (source_pages.c) */
int source_pages_next(struct source *s, PIX **pix);

/* source_format_of - the format a buffer's first bytes announce */
enum source_format source_format_of(const uint8_t *p, size_t len);

#endif
