/*
 * spoolfmt.h - the sealed spool file (doc/SPOOL-FORMAT.md).
 *
 *   header   56 bytes: magic "CLDSPOOL", u16 version, u16 header length,
 *            u32 flags (0), u64 key epoch, 32-byte HPKE encapsulated key
 *   sections each: 8-byte section header (u8 kind, u8 0, u16 0, u32 index)
 *            then one chunked AEAD stream (stream.h) under a section secret
 *   END      a last section whose sealed body carries the section count
 *
 * HPKE base mode to the spool's epoch public key, info = "cloudspool spool
 * v1" || header[0..24). job secret = Export("cloudspool sections", 32);
 * section secret = HKDF-Expand(job secret, "cloudspool section" ||
 * u32be(index) || u8(kind), 32). Sections are numbered from 0 and must be
 * read in order; kind and index are bound into the secret, so swapping,
 * dropping or splicing sections fails authentication, and a file without
 * its END section is truncated.
 */
#ifndef CS_SPOOLFMT_H
#define CS_SPOOLFMT_H

#include <stddef.h>
#include <stdint.h>
#include "crypto.h"
#include "stream.h"

#define CS_SPOOL_MAGIC "CLDSPOOL"
#define CS_SPOOL_VERSION 1
#define CS_SPOOL_HEADER_LEN 56
#define CS_SPOOL_SECTION_HDR_LEN 8

enum cs_section_kind {
	CS_SECTION_META = 1,		/* JSON metadata (jobmeta.h) */
	CS_SECTION_DOCUMENT = 2,	/* one whole document, any format */
	CS_SECTION_PAGE = 3,		/* one page image (scans; later issues) */
	CS_SECTION_STATE = 4,		/* delivery state (later issues) */
	CS_SECTION_END = 0x7f		/* u32be section count, u64be content bytes */
};

struct cs_spool_header {
	uint16_t version;
	uint64_t epoch;
	uint8_t enc[CS_X25519_LEN];
	uint8_t raw[CS_SPOOL_HEADER_LEN];
};

/* The writer and reader carry 64 KiB buffers: allocate them with _new. */
struct cs_spool_writer;
struct cs_spool_reader;

/* cs_spool_writer_new - a writer that seals to (epoch, pk) and writes to fd;
 * writes the header at once */
cs_result cs_spool_writer_new(int fd, uint64_t epoch,
    const uint8_t pk[CS_X25519_LEN], struct cs_spool_writer **wp);

/* cs_spool_section_begin - start the next section of the given kind */
cs_result cs_spool_section_begin(struct cs_spool_writer *w,
    enum cs_section_kind kind);

/* cs_spool_section_write - append plaintext to the open section */
cs_result cs_spool_section_write(struct cs_spool_writer *w, const void *data,
    size_t len);

/* cs_spool_section_end - seal the open section's final chunk */
cs_result cs_spool_section_end(struct cs_spool_writer *w);

/* cs_spool_writer_finish - write the END section and wait until every
 * byte reached fd (a second thread writes while the caller seals); the file
 * is then whole (the caller fsyncs and renames it) */
cs_result cs_spool_writer_finish(struct cs_spool_writer *w);

/* cs_spool_content_bytes - plaintext bytes written to content sections */
uint64_t cs_spool_content_bytes(const struct cs_spool_writer *w);

/* cs_spool_writer_free - wipe and free (NULL is fine) */
void cs_spool_writer_free(struct cs_spool_writer *w);

/* cs_spool_read_header - read and check the header (no key needed):
 * CS_ERR_FORMAT for a wrong magic or length, CS_ERR_VERSION for a version
 * this build does not read, CS_ERR_TRUNCATED for a short file */
cs_result cs_spool_read_header(int fd, struct cs_spool_header *h);

/* cs_spool_reader_new - open the sealed body after the header with the
 * epoch's private key */
cs_result cs_spool_reader_new(int fd, const struct cs_spool_header *h,
    const uint8_t sk[CS_X25519_LEN], struct cs_spool_reader **rp);

/* cs_spool_next_section - move to the next section; *kind receives its
 * kind. At END the END body is checked and *kind is CS_SECTION_END.
 * Unread data of the current section is authenticated and skipped. */
cs_result cs_spool_next_section(struct cs_spool_reader *r,
    enum cs_section_kind *kind);

/* cs_spool_section_read - read plaintext of the current section; *got == 0
 * at its (authenticated) end */
cs_result cs_spool_section_read(struct cs_spool_reader *r, void *buf,
    size_t cap, size_t *got);

/* cs_spool_reader_free - wipe and free (NULL is fine) */
void cs_spool_reader_free(struct cs_spool_reader *r);

#endif
