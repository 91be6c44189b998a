/*
 * docset.c - write and read the worker's result container (docset.h).
 *
 * The writer is used in the sandboxed filter, so it only ever calls write
 * on an fd it was given. The reader trusts nothing the container says:
 * the worker ran a decoder on hostile images, so every length is checked
 * against what is really there before a pointer is handed out.
 */
#include <string.h>

#include "docset.h"
#include "safefile.h"

/* docset_put32 - big-endian store */
static void
docset_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* docset_get32 - big-endian load */
static uint32_t
docset_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* cs_docset_begin - the magic */
cs_result
cs_docset_begin(int fd)
{
	return cs_write_all(fd, CS_DOCSET_MAGIC, CS_DOCSET_MAGIC_LEN);
}

/* cs_docset_put - header, then payload */
cs_result
cs_docset_put(int fd, uint32_t kind, uint32_t index, const void *data,
    uint64_t len)
{
	uint8_t h[CS_DOCSET_HDR_LEN];
	cs_result r;

	if (len > SIZE_MAX || (len > 0 && data == NULL))
		return CS_ERR_INVAL;
	docset_put32(h, kind);
	docset_put32(h + 4, index);
	docset_put32(h + 8, (uint32_t)(len >> 32));
	docset_put32(h + 12, (uint32_t)len);
	if ((r = cs_write_all(fd, h, sizeof(h))) != CS_OK)
		return r;
	return len > 0 ? cs_write_all(fd, data, (size_t)len) : CS_OK;
}

/* cs_docset_finish - the end record */
cs_result
cs_docset_finish(int fd)
{
	return cs_docset_put(fd, CS_DOCSET_END, 0, NULL, 0);
}

/* cs_docset_open - the magic must open the buffer */
cs_result
cs_docset_open(struct cs_docset_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	if (len < CS_DOCSET_MAGIC_LEN)
		return CS_ERR_TRUNCATED;
	if (memcmp(buf, CS_DOCSET_MAGIC, CS_DOCSET_MAGIC_LEN) != 0)
		return CS_ERR_FORMAT;
	r->buf = buf;
	r->len = len;
	r->off = CS_DOCSET_MAGIC_LEN;
	r->next_document = 1;
	return CS_OK;
}

/* docset_check_order - a record's place in the stream is legal */
static cs_result
docset_check_order(struct cs_docset_reader *r, uint32_t kind, uint32_t index)
{
	if (r->saw_report)
		return CS_ERR_FORMAT;	/* the report is the last record */
	switch (kind) {
	case CS_DOCSET_DOCUMENT:
		if (index != r->next_document)
			return CS_ERR_FORMAT;
		r->next_document++;
		return CS_OK;
	case CS_DOCSET_REMOVED:
		return CS_OK;
	case CS_DOCSET_REPORT:
		r->saw_report = 1;
		return CS_OK;
	default:
		return CS_ERR_FORMAT;
	}
}

/* cs_docset_next - one record, checked */
cs_result
cs_docset_next(struct cs_docset_reader *r, struct cs_docset_record *rec)
{
	const uint8_t *h;
	uint64_t len;
	cs_result res;

	if (r->done)
		return CS_ERR_NOTFOUND;
	if (r->len - r->off < CS_DOCSET_HDR_LEN)
		return CS_ERR_TRUNCATED;
	h = r->buf + r->off;
	rec->kind = docset_get32(h);
	rec->index = docset_get32(h + 4);
	len = (uint64_t)docset_get32(h + 8) << 32 | docset_get32(h + 12);
	if (rec->kind == CS_DOCSET_END) {
		if (rec->index != 0 || len != 0 || !r->saw_report)
			return CS_ERR_FORMAT;
		r->off += CS_DOCSET_HDR_LEN;
		r->done = 1;
		return r->off == r->len ? CS_ERR_NOTFOUND : CS_ERR_TRAILING;
	}
	if ((res = docset_check_order(r, rec->kind, rec->index)) != CS_OK)
		return res;
	if (len > r->len - r->off - CS_DOCSET_HDR_LEN)
		return CS_ERR_TOOBIG;
	rec->data = h + CS_DOCSET_HDR_LEN;
	rec->len = len;
	r->off += CS_DOCSET_HDR_LEN + (size_t)len;
	return CS_OK;
}
