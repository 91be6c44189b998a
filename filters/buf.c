/*
 * buf.c - the growable buffer (buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* buf_reserve - room for more bytes; 0 or -1 (and failed set) */
static int
buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return -1;
	if (more <= b->cap - b->len)
		return 0;
	if (more > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

/* buf_add - append bytes */
void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (len == 0 || buf_reserve(b, len) < 0)
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

/* buf_str - append a string */
void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* buf_printf - format straight into the buffer, growing it once if short */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf_reserve(b, 256) < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (buf_reserve(b, (size_t)n + 1) < 0)
			return;
		va_start(ap, fmt);
		n = vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* buf_free - release */
void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
