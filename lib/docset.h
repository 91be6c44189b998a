/*
 * docset.h - the worker's result container: several documents in one stream.
 *
 * One run of cloudspool-filter can return several documents (a batch split
 * into NAME-1.pdf, NAME-2.pdf ...), the removed pages and a report. They
 * travel back to the daemon in one memfd, framed like this:
 *
 *   "CSDOCSET"                                   8 bytes of magic
 *   record*: u32 kind, u32 index, u64 length     16-byte header, big-endian
 *            then length bytes of payload
 *   end:     a record of kind 0, index 0, length 0
 *
 * Kinds: 1 a document (index 1, 2, ... in order), 2 the removed pages as one
 * PDF, 3 the report (JSON, exactly one, the last record before the end).
 * The reader works on a buffer in memory (the daemon maps the memfd) and
 * hands out pointers into it, so nothing is copied.
 */
#ifndef CS_DOCSET_H
#define CS_DOCSET_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define CS_DOCSET_MAGIC "CSDOCSET"
#define CS_DOCSET_MAGIC_LEN 8
#define CS_DOCSET_HDR_LEN 16

enum cs_docset_kind {
	CS_DOCSET_END = 0,
	CS_DOCSET_DOCUMENT = 1,
	CS_DOCSET_REMOVED = 2,
	CS_DOCSET_REPORT = 3,
};

/* cs_docset_begin - write the magic to fd */
cs_result cs_docset_begin(int fd);

/* cs_docset_put - write one record (header then payload) to fd */
cs_result cs_docset_put(int fd, uint32_t kind, uint32_t index,
    const void *data, uint64_t len);

/* cs_docset_finish - write the end record to fd */
cs_result cs_docset_finish(int fd);

struct cs_docset_record {
	uint32_t kind;
	uint32_t index;
	const uint8_t *data;		/* points into the reader's buffer */
	uint64_t len;
};

struct cs_docset_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int saw_report;
	int done;
	uint32_t next_document;		/* the index the next document must have */
};

/* cs_docset_open - check the magic of buf; CS_ERR_FORMAT without it */
cs_result cs_docset_open(struct cs_docset_reader *r, const void *buf,
    size_t len);

/* cs_docset_next - the next record into rec. CS_ERR_NOTFOUND after the end
 * record (which must close the buffer exactly), CS_ERR_TRUNCATED when the
 * buffer stops inside a record or before the end record, CS_ERR_TOOBIG for a
 * length past the buffer's end, CS_ERR_FORMAT for an unknown kind, documents
 * out of order, a record after the report, or the end without a report,
 * CS_ERR_TRAILING for bytes after the end record. */
cs_result cs_docset_next(struct cs_docset_reader *r,
    struct cs_docset_record *rec);

#endif
