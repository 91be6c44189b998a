/*
 * spoolfmt.c - write and read sealed spool files (see spoolfmt.h and
 * doc/SPOOL-FORMAT.md).
 *
 * The writer holds back a full chunk until it knows whether more data
 * follows, so the last chunk of every section carries the final flag even
 * when the plaintext is an exact multiple of the chunk size.
 */
#include <stdlib.h>
#include <string.h>

#include "bgwriter.h"
#include "safefile.h"
#include "spoolfmt.h"

static const char cs_spool_info_label[] = "cloudspool spool v1";
static const char cs_spool_export_label[] = "cloudspool sections";
static const char cs_spool_section_label[] = "cloudspool section";

struct cs_spool_writer {
	struct cs_bgwriter *out;	/* sealing and writing overlap */
	uint8_t job_secret[CS_HASH_LEN];
	uint32_t next_index;
	int section_open;
	enum cs_section_kind kind;
	struct cs_stream stream;
	uint64_t content_bytes;
	size_t buflen;
	uint8_t buf[CS_STREAM_CHUNK];
};

struct cs_spool_reader {
	int fd;
	uint8_t job_secret[CS_HASH_LEN];
	uint32_t next_index;
	int section_open;
	int section_done;
	int at_end;
	enum cs_section_kind kind;
	struct cs_stream stream;
	size_t bufpos, buflen;
	uint8_t buf[CS_STREAM_CHUNK];
	uint8_t sealed[CS_STREAM_CHUNK + CS_AEAD_TAG_LEN];
};

/* put_be - store v big-endian in n bytes */
static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* get_be - load n big-endian bytes */
static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

/* spool_job_secret - HPKE export of the secret all sections derive from */
static cs_result
spool_job_secret(struct cs_hpke_ctx *ctx, uint8_t out[CS_HASH_LEN])
{
	return cs_hpke_export(ctx, (const uint8_t *)cs_spool_export_label,
	    sizeof(cs_spool_export_label) - 1, out, CS_HASH_LEN);
}

/* spool_info - HPKE info: label || the header's first 24 bytes */
static size_t
spool_info(const uint8_t *hdr, uint8_t *info)
{
	size_t n = sizeof(cs_spool_info_label) - 1;

	memcpy(info, cs_spool_info_label, n);
	memcpy(info + n, hdr, 24);
	return n + 24;
}

/* spool_section_secret - the secret of section (index, kind) */
static cs_result
spool_section_secret(const uint8_t job[CS_HASH_LEN], uint32_t index,
    enum cs_section_kind kind, uint8_t out[CS_HASH_LEN])
{
	uint8_t info[sizeof(cs_spool_section_label) - 1 + 5];
	size_t n = sizeof(cs_spool_section_label) - 1;

	memcpy(info, cs_spool_section_label, n);
	put_be(info + n, index, 4);
	info[n + 4] = (uint8_t)kind;
	return cs_hkdf_expand(job, info, sizeof(info), out, CS_HASH_LEN);
}

/* cs_spool_writer_new - build and write the header, set up HPKE */
cs_result
cs_spool_writer_new(int fd, uint64_t epoch, const uint8_t pk[CS_X25519_LEN],
    struct cs_spool_writer **wp)
{
	struct cs_spool_writer *w;
	struct cs_hpke_ctx ctx;
	uint8_t hdr[CS_SPOOL_HEADER_LEN], info[64];
	cs_result r;

	*wp = NULL;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, CS_SPOOL_MAGIC, 8);
	put_be(hdr + 8, CS_SPOOL_VERSION, 2);
	put_be(hdr + 10, CS_SPOOL_HEADER_LEN, 2);
	put_be(hdr + 16, epoch, 8);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return CS_ERR_NOMEM;
	if ((r = cs_bgwriter_new(fd, &w->out)) != CS_OK) {
		free(w);
		return r;
	}
	r = cs_hpke_setup_base_s(&ctx, hdr + 24, pk, info,
	    spool_info(hdr, info));
	if (r == CS_OK)
		r = spool_job_secret(&ctx, w->job_secret);
	cs_hpke_ctx_wipe(&ctx);
	if (r == CS_OK)
		r = cs_bgwriter_write(w->out, hdr, sizeof(hdr));
	if (r != CS_OK) {
		cs_spool_writer_free(w);
		return r;
	}
	*wp = w;
	return CS_OK;
}

/* cs_spool_section_begin - write a section header and start its stream */
cs_result
cs_spool_section_begin(struct cs_spool_writer *w, enum cs_section_kind kind)
{
	uint8_t sh[CS_SPOOL_SECTION_HDR_LEN] = { 0 }, secret[CS_HASH_LEN];
	cs_result r;

	if (w->section_open)
		return CS_ERR_INVAL;
	sh[0] = (uint8_t)kind;
	put_be(sh + 4, w->next_index, 4);
	if ((r = spool_section_secret(w->job_secret, w->next_index, kind,
	    secret)) != CS_OK)
		return r;
	cs_stream_init(&w->stream, secret);
	cs_wipe(secret, sizeof(secret));
	if ((r = cs_bgwriter_write(w->out, sh, sizeof(sh))) != CS_OK)
		return r;
	w->next_index++;
	w->section_open = 1;
	w->kind = kind;
	w->buflen = 0;
	return CS_OK;
}

/* writer_seal - seal len bytes at p as the next chunk, straight into the
 * writer thread's batch */
static cs_result
writer_seal(struct cs_spool_writer *w, const uint8_t *p, size_t len,
    int final)
{
	unsigned char *at;
	size_t n;
	cs_result r;

	if ((r = cs_bgwriter_reserve(w->out, CS_STREAM_SEALED_MAX, &at)) !=
	    CS_OK ||
	    (r = cs_stream_seal(&w->stream, p, len, final, at, &n)) != CS_OK)
		return r;
	cs_bgwriter_commit(w->out, n);
	return CS_OK;
}

/* writer_flush - seal the buffered chunk and write it */
static cs_result
writer_flush(struct cs_spool_writer *w, int final)
{
	cs_result r;

	r = writer_seal(w, w->buf, w->buflen, final);
	cs_wipe(w->buf, w->buflen);
	w->buflen = 0;
	return r;
}

/* cs_spool_section_write - buffer, sealing each chunk once more follows */
cs_result
cs_spool_section_write(struct cs_spool_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t take;
	cs_result r;

	if (!w->section_open)
		return CS_ERR_INVAL;
	if (w->kind != CS_SECTION_META && w->kind != CS_SECTION_END)
		w->content_bytes += len;
	while (len > 0) {
		if (w->buflen == CS_STREAM_CHUNK &&
		    (r = writer_flush(w, 0)) != CS_OK)
			return r;
		/* a whole chunk with more after it is not the last: seal it
		 * where it lies (no copy of the plaintext, nothing to wipe) */
		if (w->buflen == 0 && len > CS_STREAM_CHUNK) {
			if ((r = writer_seal(w, p, CS_STREAM_CHUNK, 0)) != CS_OK)
				return r;
			p += CS_STREAM_CHUNK;
			len -= CS_STREAM_CHUNK;
			continue;
		}
		take = CS_STREAM_CHUNK - w->buflen;
		if (take > len)
			take = len;
		memcpy(w->buf + w->buflen, p, take);
		w->buflen += take;
		p += take;
		len -= take;
	}
	return CS_OK;
}

/* cs_spool_section_end - seal what is buffered as the final chunk */
cs_result
cs_spool_section_end(struct cs_spool_writer *w)
{
	cs_result r;

	if (!w->section_open)
		return CS_ERR_INVAL;
	r = writer_flush(w, 1);
	cs_stream_wipe(&w->stream);
	w->section_open = 0;
	return r;
}

/* cs_spool_writer_finish - write END: section count and content bytes */
cs_result
cs_spool_writer_finish(struct cs_spool_writer *w)
{
	uint8_t body[12];
	cs_result r;

	if (w->section_open)
		return CS_ERR_INVAL;
	put_be(body, w->next_index, 4);
	put_be(body + 4, w->content_bytes, 8);
	if ((r = cs_spool_section_begin(w, CS_SECTION_END)) != CS_OK ||
	    (r = cs_spool_section_write(w, body, sizeof(body))) != CS_OK ||
	    (r = cs_spool_section_end(w)) != CS_OK)
		return r;
	return cs_bgwriter_flush(w->out);
}

/* cs_spool_content_bytes - plaintext bytes in content sections so far */
uint64_t
cs_spool_content_bytes(const struct cs_spool_writer *w)
{
	return w->content_bytes;
}

/* cs_spool_writer_free - wipe and free */
void
cs_spool_writer_free(struct cs_spool_writer *w)
{
	if (w == NULL)
		return;
	cs_bgwriter_free(w->out);
	cs_wipe(w, sizeof(*w));
	free(w);
}

/* cs_spool_read_header - read and check the fixed header */
cs_result
cs_spool_read_header(int fd, struct cs_spool_header *h)
{
	size_t got;
	cs_result r;

	if ((r = cs_read_full(fd, h->raw, sizeof(h->raw), &got)) != CS_OK)
		return r;
	if (got >= 8 && memcmp(h->raw, CS_SPOOL_MAGIC, 8) != 0)
		return CS_ERR_FORMAT;
	if (got < sizeof(h->raw))
		return CS_ERR_TRUNCATED;
	h->version = (uint16_t)get_be(h->raw + 8, 2);
	if (h->version != CS_SPOOL_VERSION)
		return CS_ERR_VERSION;
	if (get_be(h->raw + 10, 2) != CS_SPOOL_HEADER_LEN ||
	    get_be(h->raw + 12, 4) != 0)
		return CS_ERR_FORMAT;
	h->epoch = get_be(h->raw + 16, 8);
	memcpy(h->enc, h->raw + 24, CS_X25519_LEN);
	return CS_OK;
}

/* cs_spool_reader_new - decapsulate and derive the job secret */
cs_result
cs_spool_reader_new(int fd, const struct cs_spool_header *h,
    const uint8_t sk[CS_X25519_LEN], struct cs_spool_reader **rp)
{
	struct cs_spool_reader *r;
	struct cs_hpke_ctx ctx;
	uint8_t info[64];
	cs_result res;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return CS_ERR_NOMEM;
	r->fd = fd;
	res = cs_hpke_setup_base_r(&ctx, h->enc, sk, info,
	    spool_info(h->raw, info));
	if (res == CS_OK)
		res = spool_job_secret(&ctx, r->job_secret);
	cs_hpke_ctx_wipe(&ctx);
	if (res != CS_OK) {
		cs_spool_reader_free(r);
		return res;
	}
	*rp = r;
	return CS_OK;
}

/* reader_fill - read and open the next chunk of the current section */
static cs_result
reader_fill(struct cs_spool_reader *r)
{
	uint8_t frame[CS_STREAM_FRAME_LEN];
	size_t got, len;
	int final;
	cs_result res;

	if ((res = cs_read_full(r->fd, frame, sizeof(frame), &got)) != CS_OK)
		return res;
	if (got < sizeof(frame))
		return CS_ERR_TRUNCATED;
	if ((res = cs_stream_frame(frame, &len, &final)) != CS_OK)
		return res;
	res = cs_read_full(r->fd, r->sealed, len + CS_AEAD_TAG_LEN, &got);
	if (res != CS_OK)
		return res;
	if (got < len + CS_AEAD_TAG_LEN)
		return CS_ERR_TRUNCATED;
	res = cs_stream_open(&r->stream, frame, r->sealed, got, r->buf,
	    &r->buflen, &final);
	if (res != CS_OK)
		return res;
	r->bufpos = 0;
	r->section_done = final;
	return CS_OK;
}

/* cs_spool_section_read - plaintext of the current section */
cs_result
cs_spool_section_read(struct cs_spool_reader *r, void *buf, size_t cap,
    size_t *got)
{
	size_t n;
	cs_result res;

	*got = 0;
	if (!r->section_open)
		return CS_ERR_INVAL;
	while (r->bufpos == r->buflen) {
		if (r->section_done)
			return CS_OK;
		if ((res = reader_fill(r)) != CS_OK)
			return res;
	}
	n = r->buflen - r->bufpos;
	if (n > cap)
		n = cap;
	memcpy(buf, r->buf + r->bufpos, n);
	cs_wipe(r->buf + r->bufpos, n);
	r->bufpos += n;
	*got = n;
	return CS_OK;
}

/* reader_skip_section - authenticate and discard the rest of a section */
static cs_result
reader_skip_section(struct cs_spool_reader *r)
{
	uint8_t scratch[4096];
	size_t got;
	cs_result res;

	do {
		res = cs_spool_section_read(r, scratch, sizeof(scratch), &got);
	} while (res == CS_OK && got > 0);
	cs_wipe(scratch, sizeof(scratch));
	return res;
}

/* reader_check_end - the END body must count the sections before it, and
 * nothing may follow it */
static cs_result
reader_check_end(struct cs_spool_reader *r)
{
	uint8_t body[12], extra;
	size_t got, more;
	cs_result res;

	if ((res = cs_spool_section_read(r, body, sizeof(body), &got)) != CS_OK)
		return res;
	if ((res = cs_spool_section_read(r, &extra, 1, &more)) != CS_OK)
		return res;
	if (got != sizeof(body) || more != 0 ||
	    get_be(body, 4) != r->next_index - 1)
		return CS_ERR_FORMAT;
	if ((res = cs_read_full(r->fd, &extra, 1, &more)) != CS_OK)
		return res;
	if (more != 0)
		return CS_ERR_TRAILING;
	r->at_end = 1;
	return CS_OK;
}

/* cs_spool_next_section - read the next section header, derive its key */
cs_result
cs_spool_next_section(struct cs_spool_reader *r, enum cs_section_kind *kind)
{
	uint8_t sh[CS_SPOOL_SECTION_HDR_LEN], secret[CS_HASH_LEN];
	size_t got;
	cs_result res;

	if (r->at_end)
		return CS_ERR_TRAILING;
	if (r->section_open && (res = reader_skip_section(r)) != CS_OK)
		return res;
	r->section_open = 0;
	if ((res = cs_read_full(r->fd, sh, sizeof(sh), &got)) != CS_OK)
		return res;
	if (got < sizeof(sh))
		return CS_ERR_TRUNCATED;
	if (sh[1] != 0 || sh[2] != 0 || sh[3] != 0 ||
	    get_be(sh + 4, 4) != r->next_index)
		return CS_ERR_FORMAT;
	switch (sh[0]) {
	case CS_SECTION_META:
	case CS_SECTION_DOCUMENT:
	case CS_SECTION_PAGE:
	case CS_SECTION_STATE:
	case CS_SECTION_END:
		break;
	default:
		return CS_ERR_FORMAT;
	}
	r->kind = (enum cs_section_kind)sh[0];
	res = spool_section_secret(r->job_secret, r->next_index, r->kind,
	    secret);
	if (res != CS_OK)
		return res;
	cs_stream_init(&r->stream, secret);
	cs_wipe(secret, sizeof(secret));
	r->next_index++;
	r->section_open = 1;
	r->section_done = 0;
	r->bufpos = r->buflen = 0;
	*kind = r->kind;
	if (r->kind == CS_SECTION_END)
		return reader_check_end(r);
	return CS_OK;
}

/* cs_spool_reader_free - wipe and free */
void
cs_spool_reader_free(struct cs_spool_reader *r)
{
	if (r == NULL)
		return;
	cs_wipe(r, sizeof(*r));
	free(r);
}
