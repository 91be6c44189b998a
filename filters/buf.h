/*
 * buf.h - a growable byte buffer that remembers its first failure.
 *
 * The PDF writer appends hundreds of small pieces; checking each append
 * would bury the logic, so a failed allocation sets `failed` and every
 * later append is a no-op. The caller checks once at the end.
 */
#ifndef CS_FILTER_BUF_H
#define CS_FILTER_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *p;
	size_t len, cap;
	int failed;
};

/* buf_add - append len bytes */
void buf_add(struct buf *b, const void *data, size_t len);

/* buf_str - append a C string */
void buf_str(struct buf *b, const char *s);

/* buf_printf - append formatted text (C locale numbers) */
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* buf_free - release and zero */
void buf_free(struct buf *b);

#endif
