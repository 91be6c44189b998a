/*
 * up_qxh.h - Microsoft's quickXorHash, the one content hash consumer
 * OneDrive reports for every file (file.hashes.quickXorHash; business
 * drives add sha256Hash, personal ones do not). up_onedrive.c computes it
 * over the document to recognise its own file after an ambiguous end.
 *
 * The algorithm (OneDrive API docs, code-snippets/quickxorhash): a 160-bit
 * register; byte k of the input is XORed in at bit (11 * k) mod 160,
 * wrapping around the register's end; at the end the input's length, as a
 * little-endian 64-bit number, is XORed into the register's last 8 bytes;
 * the 20 bytes (little-endian bit order) are sent base64-encoded.
 */
#ifndef CS_UP_QXH_H
#define CS_UP_QXH_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define UP_QXH_BYTES	20	/* 160 bits */
#define UP_QXH_B64_LEN	28	/* base64 of 20 bytes, with one '=' */

struct up_qxh {
	uint8_t reg[UP_QXH_BYTES];	/* bit i of the register: reg[i/8] bit i%8 */
	uint64_t length;		/* bytes hashed so far */
	unsigned shift;			/* bit position of the next byte */
};

/* up_qxh_init - an empty hash */
void up_qxh_init(struct up_qxh *h);

/* up_qxh_update - hash n more bytes */
void up_qxh_update(struct up_qxh *h, const uint8_t *p, size_t n);

/* up_qxh_final - the 20-byte digest (h is left unusable) */
void up_qxh_final(struct up_qxh *h, uint8_t out[UP_QXH_BYTES]);

/* up_qxh_base64 - the digest as Graph sends it: standard base64 with
 * padding, NUL-terminated (out holds UP_QXH_B64_LEN + 1) */
void up_qxh_base64(const uint8_t dig[UP_QXH_BYTES],
    char out[UP_QXH_B64_LEN + 1]);

/* up_qxh_fd - base64 quickXorHash of the first size bytes of fd, read
 * with pread (the document is never copied whole). CS_ERR_IO when the
 * file is shorter or a read fails. */
cs_result up_qxh_fd(int fd, uint64_t size, char out[UP_QXH_B64_LEN + 1]);

#endif
