/*
 * up_qxh.c - quickXorHash (see up_qxh.h for the algorithm and why).
 *
 * Written from the published description, one byte at a time: byte k
 * lands at bit (11 * k) mod 160 of a 160-bit circular register, so its 8
 * bits touch one register byte, or two when it straddles a byte border
 * (the second being byte 0 again when it straddles the register's end).
 * Byte-wise work costs about 1 ns a byte, which is nothing beside the
 * network for the documents we send, and it is only run after an
 * ambiguous end on a drive without sha256Hash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "up_qxh.h"

#define QXH_BITS	160u
#define QXH_SHIFT	11u
#define QXH_READ	(1u << 20)	/* one pread */

/* up_qxh_init - an empty hash */
void
up_qxh_init(struct up_qxh *h)
{
	memset(h, 0, sizeof(*h));
}

/* up_qxh_update - hash n more bytes */
void
up_qxh_update(struct up_qxh *h, const uint8_t *p, size_t n)
{
	unsigned shift = h->shift, i, b;
	size_t k;

	for (k = 0; k < n; k++) {
		i = shift >> 3;
		b = shift & 7;
		h->reg[i] ^= (uint8_t)(p[k] << b);
		if (b != 0)	/* the high bits go to the next byte, 0 after 19 */
			h->reg[i + 1 < UP_QXH_BYTES ? i + 1 : 0] ^=
			    (uint8_t)(p[k] >> (8 - b));
		shift += QXH_SHIFT;
		if (shift >= QXH_BITS)
			shift -= QXH_BITS;
	}
	h->shift = shift;
	h->length += n;
}

/* up_qxh_final - the digest: the register with the length (64-bit,
 * little-endian) XORed into its last 8 bytes */
void
up_qxh_final(struct up_qxh *h, uint8_t out[UP_QXH_BYTES])
{
	unsigned i;

	memcpy(out, h->reg, UP_QXH_BYTES);
	for (i = 0; i < 8; i++)
		out[UP_QXH_BYTES - 8 + i] ^= (uint8_t)(h->length >> (8 * i));
	memset(h, 0, sizeof(*h));
}

/* up_qxh_base64 - standard base64 (RFC 4648 section 4) with padding */
void
up_qxh_base64(const uint8_t dig[UP_QXH_BYTES], char out[UP_QXH_B64_LEN + 1])
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= UP_QXH_BYTES; i += 3) {
		v = (uint32_t)dig[i] << 16 | (uint32_t)dig[i + 1] << 8 |
		    dig[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	/* 20 = 6 * 3 + 2: two bytes left, one '=' */
	v = (uint32_t)dig[i] << 16 | (uint32_t)dig[i + 1] << 8;
	out[o++] = abc[v >> 18 & 63];
	out[o++] = abc[v >> 12 & 63];
	out[o++] = abc[v >> 6 & 63];
	out[o++] = '=';
	out[o] = '\0';
}

/* up_qxh_fd - base64 quickXorHash of fd's first size bytes (pread) */
cs_result
up_qxh_fd(int fd, uint64_t size, char out[UP_QXH_B64_LEN + 1])
{
	uint8_t *buf;
	struct up_qxh h;
	uint8_t dig[UP_QXH_BYTES];
	uint64_t off = 0;
	ssize_t n;
	size_t want;

	if ((buf = malloc(QXH_READ)) == NULL)
		return CS_ERR_NOMEM;
	up_qxh_init(&h);
	while (off < size) {
		want = size - off < QXH_READ ? (size_t)(size - off) : QXH_READ;
		n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {	/* an error, or shorter than size */
			free(buf);
			return CS_ERR_IO;
		}
		up_qxh_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	explicit_bzero(buf, QXH_READ);	/* document bytes */
	free(buf);
	up_qxh_final(&h, dig);
	up_qxh_base64(dig, out);
	return CS_OK;
}
