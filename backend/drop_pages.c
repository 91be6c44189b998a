/*
 * drop_pages.c - cloudspool-drop --pages: seal a page stream page by page.
 *
 * The stream comes from the user's `cloudspool scan` (or anything the user
 * runs), so every header is checked before a byte of its page is sealed,
 * and the limits are enforced from the headers, before the data arrives.
 * An encoded page (version 2 header) is sealed as its blocks come, framing
 * and size checked, never decoded: no image codec runs with the drop
 * group. Memory stays one buffer whatever the page count or size.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "drop_pages.h"
#include "pagestream.h"

/* drop_pages_read - read exactly len bytes; *got short only at end of
 * file; CS_ERR_TEMP when a signal asked us to stop */
static cs_result
drop_pages_read(int fd, uint8_t *buf, size_t len, size_t *got,
    volatile sig_atomic_t *stop)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = read(fd, buf + *got, len - *got);
		if (*stop)
			return CS_ERR_TEMP;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return CS_ERR_IO;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return CS_OK;
}

/* drop_pages_one - seal the data of one page whose header is h */
static cs_result
drop_pages_one(struct cs_spool_writer *w, int in_fd, uint64_t left,
    volatile sig_atomic_t *stop, uint8_t *buf, size_t cap, const char **why)
{
	size_t want, got;
	cs_result r;

	while (left > 0) {
		want = left < cap ? (size_t)left : cap;
		if ((r = drop_pages_read(in_fd, buf, want, &got, stop)) !=
		    CS_OK) {
			*why = r == CS_ERR_TEMP ? "interrupted by a signal" :
			    "reading standard input";
			return r;
		}
		if (got < want) {
			*why = "page stream ended in the middle of a page";
			return CS_ERR_TRUNCATED;
		}
		*why = "writing the spool file";
		if ((r = cs_spool_section_write(w, buf, got)) != CS_OK)
			return r;
		left -= got;
	}
	return CS_OK;
}

/* drop_pages_blocks - seal the blocks of one encoded page, length words
 * included, up to its zero length; at most max bytes of block data. The
 * data is not decoded here (the sandboxed worker does that): only its
 * framing and size are believed. */
static cs_result
drop_pages_blocks(struct cs_spool_writer *w, int in_fd, uint64_t max,
    volatile sig_atomic_t *stop, uint8_t *buf, size_t cap, const char **why)
{
	uint8_t word[4];
	uint64_t used = 0;
	uint32_t len;
	size_t got;
	cs_result r;

	for (;;) {
		if ((r = drop_pages_read(in_fd, word, sizeof(word), &got,
		    stop)) != CS_OK) {
			*why = r == CS_ERR_TEMP ? "interrupted by a signal" :
			    "reading standard input";
			return r;
		}
		if (got < sizeof(word)) {
			*why = "page stream ended in the middle of a page";
			return CS_ERR_TRUNCATED;
		}
		len = cs_page_get_block(word);
		if (len > CS_PAGE_BLOCK_MAX) {
			*why = "bad block length in an encoded page";
			return CS_ERR_FORMAT;
		}
		if ((used += len) > max) {
			*why = "encoded page is larger than its pixels allow";
			return CS_ERR_TOOBIG;
		}
		*why = "writing the spool file";
		if ((r = cs_spool_section_write(w, word, sizeof(word))) != CS_OK)
			return r;
		if (len == 0)
			return CS_OK;
		if ((r = drop_pages_one(w, in_fd, len, stop, buf, cap, why)) !=
		    CS_OK)
			return r;
	}
}

/* drop_pages_seal - header, limits, section, data; until the end marker */
cs_result
drop_pages_seal(struct cs_spool_writer *w, int in_fd,
    const struct drop_pages_limits *lim, volatile sig_atomic_t *stop,
    uint8_t *buf, size_t cap, const char **why)
{
	uint8_t raw[CS_PAGE_HDR_LEN];
	struct cs_page_hdr h;
	uint64_t total = 0, pages = 0, len;
	size_t got;
	cs_result r;

	for (;;) {
		*why = "reading standard input";
		r = drop_pages_read(in_fd, raw, sizeof(raw), &got, stop);
		if (r != CS_OK) {
			if (r == CS_ERR_TEMP)
				*why = "interrupted by a signal";
			return r;
		}
		if (got < sizeof(raw)) {
			*why = "page stream ended without its end marker";
			return CS_ERR_TRUNCATED;
		}
		r = cs_page_decode(raw, &h);
		if (r == CS_ERR_NOTFOUND)
			break;
		if (r != CS_OK) {
			*why = "bad page header in the page stream";
			return CS_ERR_FORMAT;
		}
		len = cs_page_data_len(&h);
		total += CS_PAGE_HDR_LEN + len;
		if (total > lim->max_bytes) {
			*why = "scan is larger than max_job_size";
			return CS_ERR_TOOBIG;
		}
		if (++pages > lim->max_pages) {
			*why = "scan has more pages than max_pages";
			return CS_ERR_TOOBIG;
		}
		*why = "writing the spool file";
		if ((r = cs_spool_section_begin(w, CS_SECTION_PAGE)) != CS_OK ||
		    (r = cs_spool_section_write(w, raw, sizeof(raw))) != CS_OK)
			return r;
		if (h.encoding == CS_PAGE_ENC_RAW)
			r = drop_pages_one(w, in_fd, len, stop, buf, cap, why);
		else
			r = drop_pages_blocks(w, in_fd, cs_page_enc_max(&h),
			    stop, buf, cap, why);
		if (r != CS_OK)
			return r;
		if ((r = cs_spool_section_end(w)) != CS_OK)
			return r;
	}
	if (pages == 0) {
		*why = "page stream holds no page";
		return CS_ERR_FORMAT;
	}
	if ((r = drop_pages_read(in_fd, raw, 1, &got, stop)) != CS_OK || got) {
		*why = r == CS_ERR_TEMP ? "interrupted by a signal" :
		    "data after the page stream's end marker";
		return r != CS_OK ? r : CS_ERR_TRAILING;
	}
	return CS_OK;
}
