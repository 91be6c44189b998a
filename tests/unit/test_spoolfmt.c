/*
 * test_spoolfmt.c - the sealed spool file keeps what it promises: a job
 * written with a META and a DOCUMENT section reads back byte for byte, and
 * every kind of damage an attacker or a crash can do (wrong magic, a
 * version from the future, truncation anywhere, a missing END, flipped
 * header bits, the wrong key, swapped or spliced sections, bytes after
 * END) is refused with the error spoolfmt.h names. Also the job metadata
 * codec (strict decoding), cs_sanitize_name and job ids.
 *
 * Files live in a fresh mkdtemp folder per test; each test seals to a
 * fresh random X25519 key pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "scratch.h"
#include <jansson.h>

#include "crypto.h"
#include "jobmeta.h"
#include "spoolfmt.h"

#define EPOCH 0x0102030405060708ULL
#define META "{\"job\":\"test\"}"
#define BIG (65536 * 3 + 17)

struct fix {
	struct scratch sc;
	unsigned n;			/* files made so far */
	uint8_t sk[CS_X25519_LEN], pk[CS_X25519_LEN];
};

/* A sealed file held in memory, so tests can cut and splice it. */
struct blob {
	uint8_t *p;
	size_t len;
};

/* setup - a fresh folder and key pair */
static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	scratch_make(&f->sc, "spoolfmt");
	assert_int_equal(cs_x25519_keygen(f->sk, f->pk), CS_OK);
	*state = f;
	return 0;
}

/* teardown - remove every file and the folder */
static int
teardown(void **state)
{
	struct fix *f = *state;

	scratch_remove(&f->sc);
	cs_wipe(f->sk, sizeof(f->sk));
	free(f);
	return 0;
}

/* new_file - a fresh read-write file in the folder */
static int
new_file(struct fix *f)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "f%u", f->n++);
	fd = openat(f->sc.dirfd, name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	return fd;
}

/* pattern - deterministic document bytes that differ chunk to chunk */
static uint8_t *
pattern(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len + 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed + (i >> 16) * 7) & 0xff);
	return p;
}

/* seal_blob - seal META and a document to pk; finish adds END */
static struct blob
seal_blob(struct fix *f, const uint8_t *pk, const uint8_t *doc, size_t len,
    int finish)
{
	struct cs_spool_writer *w;
	struct blob b;
	struct stat st;
	size_t got;
	int fd = new_file(f);

	assert_int_equal(cs_spool_writer_new(fd, EPOCH, pk, &w), CS_OK);
	assert_int_equal(cs_spool_section_begin(w, CS_SECTION_META), CS_OK);
	assert_int_equal(cs_spool_section_write(w, META, strlen(META)), CS_OK);
	assert_int_equal(cs_spool_section_end(w), CS_OK);
	assert_int_equal(cs_spool_section_begin(w, CS_SECTION_DOCUMENT), CS_OK);
	/* odd write sizes so chunk boundaries fall inside writes */
	for (got = 0; got < len; got += 1000)
		assert_int_equal(cs_spool_section_write(w, doc + got,
		    len - got < 1000 ? len - got : 1000), CS_OK);
	assert_int_equal(cs_spool_section_end(w), CS_OK);
	assert_int_equal(cs_spool_content_bytes(w), len);
	if (finish)
		assert_int_equal(cs_spool_writer_finish(w), CS_OK);
	cs_spool_writer_free(w);
	assert_int_equal(fstat(fd, &st), 0);
	b.len = (size_t)st.st_size;
	assert_non_null(b.p = malloc(b.len + 1));
	assert_int_equal(pread(fd, b.p, b.len, 0), (ssize_t)b.len);
	close(fd);
	return b;
}

/* blob_fd - a file holding b's bytes, positioned at its start */
static int
blob_fd(struct fix *f, const struct blob *b)
{
	int fd = new_file(f);

	assert_int_equal(pwrite(fd, b->p, b->len, 0), (ssize_t)b->len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* read_section - all plaintext of the current section */
static cs_result
read_section(struct cs_spool_reader *r, uint8_t **out, size_t *len)
{
	size_t cap = 4096, got;
	cs_result res;

	*len = 0;
	assert_non_null(*out = malloc(cap));
	for (;;) {
		if (*len == cap)
			assert_non_null(*out = realloc(*out, cap *= 2));
		res = cs_spool_section_read(r, *out + *len, cap - *len, &got);
		if (res != CS_OK || got == 0)
			return res;
		*len += got;
	}
}

/* read_job - read a whole job; the first error, or CS_OK with the
 * document in *doc (freed by the caller) */
static cs_result
read_job(int fd, const uint8_t *sk, uint8_t **doc, size_t *doclen)
{
	struct cs_spool_header h;
	struct cs_spool_reader *r = NULL;
	enum cs_section_kind k;
	uint8_t *meta = NULL;
	size_t metalen;
	cs_result res;

	*doc = NULL;
	*doclen = 0;
	if ((res = cs_spool_read_header(fd, &h)) != CS_OK)
		return res;
	if ((res = cs_spool_reader_new(fd, &h, sk, &r)) != CS_OK)
		return res;
	if ((res = cs_spool_next_section(r, &k)) == CS_OK &&
	    (res = read_section(r, &meta, &metalen)) == CS_OK &&
	    (k != CS_SECTION_META || metalen != strlen(META) ||
	    memcmp(meta, META, metalen) != 0))
		res = CS_ERR_FORMAT;
	if (res == CS_OK && (res = cs_spool_next_section(r, &k)) == CS_OK &&
	    (res = read_section(r, doc, doclen)) == CS_OK &&
	    k != CS_SECTION_DOCUMENT)
		res = CS_ERR_FORMAT;
	if (res == CS_OK && (res = cs_spool_next_section(r, &k)) == CS_OK &&
	    k != CS_SECTION_END)
		res = CS_ERR_FORMAT;
	free(meta);
	cs_spool_reader_free(r);
	if (res != CS_OK) {
		free(*doc);
		*doc = NULL;
	}
	return res;
}

/* open_blob - read_job on b's bytes with sk, document discarded */
static cs_result
open_blob(struct fix *f, const struct blob *b, const uint8_t *sk)
{
	uint8_t *doc;
	size_t len;
	cs_result r;
	int fd = blob_fd(f, b);

	r = read_job(fd, sk, &doc, &len);
	free(doc);
	close(fd);
	return r;
}

/* roundtrip - seal len bytes and read them back unchanged */
static void
roundtrip(void **state, size_t len)
{
	struct fix *f = *state;
	struct cs_spool_header h;
	uint8_t *doc = pattern(len, 1), *back;
	size_t backlen;
	struct blob b = seal_blob(f, f->pk, doc, len, 1);
	int fd = blob_fd(f, &b);

	assert_int_equal(read_job(fd, f->sk, &back, &backlen), CS_OK);
	assert_int_equal(backlen, len);
	if (len > 0)
		assert_memory_equal(back, doc, len);
	/* nothing of the plaintext shows in the file */
	if (len >= 64)
		assert_null(memmem(b.p, b.len, doc, 64));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cs_spool_read_header(fd, &h), CS_OK);
	assert_int_equal(h.epoch, EPOCH);
	assert_int_equal(h.version, CS_SPOOL_VERSION);
	close(fd);
	free(back);
	free(doc);
	free(b.p);
}

static void roundtrip_empty_document(void **s) { roundtrip(s, 0); }
static void roundtrip_one_byte_document(void **s) { roundtrip(s, 1); }
static void roundtrip_exactly_one_chunk(void **s) { roundtrip(s, 65536); }
static void roundtrip_several_chunks_and_a_tail(void **s) { roundtrip(s, BIG); }

/* with_blob - seal a small job, let edit damage it, check the result */
static void
with_blob(void **state, size_t len, void (*edit)(struct blob *),
    cs_result want)
{
	struct fix *f = *state;
	uint8_t *doc = pattern(len, 2);
	struct blob b = seal_blob(f, f->pk, doc, len, 1);

	edit(&b);
	assert_int_equal(open_blob(f, &b, f->sk), want);
	free(b.p);
	free(doc);
}

static void edit_magic(struct blob *b) { b->p[0] ^= 0x20; }
static void edit_version(struct blob *b) { b->p[9] = CS_SPOOL_VERSION + 1; }
static void edit_flags(struct blob *b) { b->p[15] = 1; }
static void edit_cut_header(struct blob *b) { b->len = 30; }
static void edit_cut_empty(struct blob *b) { b->len = 0; }
static void edit_cut_middle(struct blob *b) { b->len = b->len / 2; }
static void edit_epoch(struct blob *b) { b->p[23] ^= 0x01; }
static void edit_enc(struct blob *b) { b->p[24 + 10] ^= 0x04; }
static void edit_body(struct blob *b) { b->p[b->len / 2] ^= 0x80; }

/* edit_trailing - append one byte after END */
static void
edit_trailing(struct blob *b)
{
	assert_non_null(b->p = realloc(b->p, b->len + 1));
	b->p[b->len++] = 0;
}

static void
wrong_magic_is_a_format_error(void **s)
{
	with_blob(s, 100, edit_magic, CS_ERR_FORMAT);
}

static void
future_version_is_a_version_error(void **s)
{
	with_blob(s, 100, edit_version, CS_ERR_VERSION);
}

static void
nonzero_flags_are_a_format_error(void **s)
{
	with_blob(s, 100, edit_flags, CS_ERR_FORMAT);
}

static void
truncated_header_is_truncated(void **s)
{
	with_blob(s, 100, edit_cut_header, CS_ERR_TRUNCATED);
	with_blob(s, 100, edit_cut_empty, CS_ERR_TRUNCATED);
}

static void
truncated_mid_document_is_truncated(void **s)
{
	with_blob(s, BIG, edit_cut_middle, CS_ERR_TRUNCATED);
}

/* every_proper_prefix_is_truncated - a crash can stop a write anywhere */
static void
every_proper_prefix_is_truncated(void **state)
{
	struct fix *f = *state;
	uint8_t *doc = pattern(300, 3);
	struct blob b = seal_blob(f, f->pk, doc, 300, 1);
	struct blob cut = b;

	for (cut.len = 0; cut.len < b.len; cut.len++)
		assert_int_equal(open_blob(f, &cut, f->sk), CS_ERR_TRUNCATED);
	free(b.p);
	free(doc);
}

/* missing_end_section_is_an_error - a writer that never finished */
static void
missing_end_section_is_an_error(void **state)
{
	struct fix *f = *state;
	uint8_t *doc = pattern(5000, 4);
	struct blob b = seal_blob(f, f->pk, doc, 5000, 0);

	assert_int_equal(open_blob(f, &b, f->sk), CS_ERR_TRUNCATED);
	free(b.p);
	free(doc);
}

static void
flipped_epoch_fails_authentication(void **s)
{
	with_blob(s, 100, edit_epoch, CS_ERR_AUTH);
}

static void
flipped_enc_fails_authentication(void **s)
{
	with_blob(s, 100, edit_enc, CS_ERR_AUTH);
}

static void
flipped_document_bit_fails_authentication(void **s)
{
	with_blob(s, BIG, edit_body, CS_ERR_AUTH);
}

/* wrong_private_key_fails_authentication - another epoch's key */
static void
wrong_private_key_fails_authentication(void **state)
{
	struct fix *f = *state;
	uint8_t sk2[CS_X25519_LEN], pk2[CS_X25519_LEN];
	uint8_t *doc = pattern(100, 5);
	struct blob b = seal_blob(f, f->pk, doc, 100, 1);

	assert_int_equal(cs_x25519_keygen(sk2, pk2), CS_OK);
	assert_int_equal(open_blob(f, &b, sk2), CS_ERR_AUTH);
	assert_int_equal(open_blob(f, &b, f->sk), CS_OK);
	cs_wipe(sk2, sizeof(sk2));
	free(b.p);
	free(doc);
}

/* Layout of a small job (META and document under one chunk each):
 * header, META section, DOCUMENT section, END section. */
#define SEC_OVERHEAD (CS_SPOOL_SECTION_HDR_LEN + CS_STREAM_FRAME_LEN + \
    CS_AEAD_TAG_LEN)
#define META_OFF CS_SPOOL_HEADER_LEN
#define META_LEN (SEC_OVERHEAD + sizeof(META) - 1)
#define DOC_OFF (META_OFF + META_LEN)

/* swapped_sections_fail - DOCUMENT moved before META, first as is, then
 * with the index fields rewritten to look in order */
static void
swapped_sections_fail(void **state)
{
	struct fix *f = *state;
	const size_t dlen = 200, doclen = SEC_OVERHEAD + 200;
	uint8_t *doc = pattern(dlen, 6);
	struct blob b = seal_blob(f, f->pk, doc, dlen, 1);
	struct blob s;

	assert_non_null(s.p = malloc(b.len));
	s.len = b.len;
	memcpy(s.p, b.p, META_OFF);
	memcpy(s.p + META_OFF, b.p + DOC_OFF, doclen);
	memcpy(s.p + META_OFF + doclen, b.p + META_OFF, META_LEN);
	/* END stays where it was: the two sections fill the same bytes */
	memcpy(s.p + DOC_OFF + doclen, b.p + DOC_OFF + doclen,
	    b.len - DOC_OFF - doclen);
	assert_int_not_equal(open_blob(f, &s, f->sk), CS_OK);
	/* the index is bound into the key too, not just checked */
	s.p[META_OFF + 7] = 0;
	s.p[META_OFF + doclen + 7] = 1;
	assert_int_equal(open_blob(f, &s, f->sk), CS_ERR_AUTH);
	free(s.p);
	free(b.p);
	free(doc);
}

/* spliced_section_fails - another job's DOCUMENT section (same key, same
 * sizes) put in place of this one's */
static void
spliced_section_fails(void **state)
{
	struct fix *f = *state;
	uint8_t *doc = pattern(200, 7), *doc2 = pattern(200, 8);
	struct blob a = seal_blob(f, f->pk, doc, 200, 1);
	struct blob b = seal_blob(f, f->pk, doc2, 200, 1);

	assert_int_equal(a.len, b.len);
	memcpy(a.p + DOC_OFF, b.p + DOC_OFF, SEC_OVERHEAD + 200);
	assert_int_equal(open_blob(f, &a, f->sk), CS_ERR_AUTH);
	/* and another job's whole body behind this header */
	memcpy(b.p, a.p, CS_SPOOL_HEADER_LEN);
	assert_int_equal(open_blob(f, &b, f->sk), CS_ERR_AUTH);
	free(a.p);
	free(b.p);
	free(doc);
	free(doc2);
}

static void
trailing_garbage_after_end_is_trailing(void **s)
{
	with_blob(s, 100, edit_trailing, CS_ERR_TRAILING);
}

/* sample_meta - a fully populated metadata record */
static void
sample_meta(struct cs_jobmeta *m)
{
	memset(m, 0, sizeof(*m));
	assert_int_equal(cs_job_id_new(m->job_id), CS_OK);
	snprintf(m->user, sizeof(m->user), "alice");
	m->uid = 1001;
	snprintf(m->submitter, sizeof(m->submitter), "lp");
	m->submitter_uid = 7;
	snprintf(m->email, sizeof(m->email), "alice@example.org");
	snprintf(m->locale, sizeof(m->locale), "de_DE.UTF-8");
	snprintf(m->action, sizeof(m->action), "drive");
	snprintf(m->name, sizeof(m->name), "Quartalsbericht \xc3\xbc.pdf");
	m->submitted = 1700000000;
	snprintf(m->origin, sizeof(m->origin), "cups job 42");
}

/* jobmeta_round_trip - encode then decode gives the same record */
static void
jobmeta_round_trip(void **state)
{
	struct cs_jobmeta m, back;
	char buf[CS_META_MAX];
	size_t len;

	(void)state;
	sample_meta(&m);
	assert_int_equal(cs_jobmeta_encode(&m, buf, sizeof(buf), &len), CS_OK);
	assert_int_equal(strlen(buf), len);
	assert_int_equal(cs_jobmeta_decode(buf, len, &back), CS_OK);
	assert_memory_equal(&m, &back, sizeof(m));
	/* too small a buffer is an error, not a cut record */
	assert_int_equal(cs_jobmeta_encode(&m, buf, 40, &len), CS_ERR_TOOBIG);
}

/* decode_edited - decode the sample after setting key to v (NULL: delete) */
static cs_result
decode_edited(const char *key, json_t *v)
{
	struct cs_jobmeta m;
	char buf[CS_META_MAX], *text;
	size_t len;
	json_t *o;
	cs_result r;

	sample_meta(&m);
	assert_int_equal(cs_jobmeta_encode(&m, buf, sizeof(buf), &len), CS_OK);
	assert_non_null(o = json_loadb(buf, len, 0, NULL));
	if (v == NULL)
		assert_int_equal(json_object_del(o, key), 0);
	else
		assert_int_equal(json_object_set_new(o, key, v), 0);
	assert_non_null(text = json_dumps(o, JSON_COMPACT));
	r = cs_jobmeta_decode(text, strlen(text), &m);
	free(text);
	json_decref(o);
	return r;
}

static const char *const meta_keys[] = {
	"v", "job", "user", "uid", "submitter", "submitter_uid", "email",
	"locale", "action", "name", "submitted", "origin"
};
static const int meta_is_int[] = { 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0 };
#define NKEYS (sizeof(meta_keys) / sizeof(meta_keys[0]))

static void
jobmeta_decode_rejects_missing_fields(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		assert_int_equal(decode_edited(meta_keys[i], NULL),
		    CS_ERR_FORMAT);
}

static void
jobmeta_decode_rejects_wrong_types(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++) {
		assert_int_equal(decode_edited(meta_keys[i], meta_is_int[i] ?
		    json_string("1") : json_integer(1)), CS_ERR_FORMAT);
		assert_int_equal(decode_edited(meta_keys[i], json_null()),
		    CS_ERR_FORMAT);
	}
	assert_int_equal(decode_edited("uid", json_integer(-1)), CS_ERR_FORMAT);
	assert_int_equal(decode_edited("uid", json_integer(UINT32_MAX)),
	    CS_ERR_FORMAT);
	assert_int_equal(decode_edited("uid", json_real(5.0)), CS_ERR_FORMAT);
	assert_int_equal(decode_edited("v", json_integer(2)), CS_ERR_FORMAT);
}

/* long_string - n copies of 'a' */
static json_t *
long_string(size_t n)
{
	char *s = malloc(n + 1);
	json_t *j;

	assert_non_null(s);
	memset(s, 'a', n);
	s[n] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

static void
jobmeta_decode_rejects_oversize_and_bad_strings(void **state)
{
	(void)state;
	assert_int_equal(decode_edited("user", long_string(CS_USER_MAX - 1)),
	    CS_OK);
	assert_int_equal(decode_edited("user", long_string(CS_USER_MAX)),
	    CS_ERR_FORMAT);
	assert_int_equal(decode_edited("name", long_string(CS_NAME_MAX + 1)),
	    CS_ERR_FORMAT);
	assert_int_equal(decode_edited("email", long_string(256)),
	    CS_ERR_FORMAT);
	assert_int_equal(decode_edited("origin", long_string(100000)),
	    CS_ERR_FORMAT);
	assert_int_equal(decode_edited("user", json_string("")), CS_ERR_FORMAT);
	assert_int_equal(decode_edited("job", json_string("../../x")),
	    CS_ERR_FORMAT);
	assert_int_equal(decode_edited("user", json_stringn("a\0b", 3)),
	    CS_ERR_FORMAT);
}

static void
jobmeta_decode_rejects_non_objects_and_duplicates(void **state)
{
	struct cs_jobmeta m;
	char buf[CS_META_MAX];
	size_t len;

	(void)state;
	assert_int_equal(cs_jobmeta_decode("[]", 2, &m), CS_ERR_FORMAT);
	assert_int_equal(cs_jobmeta_decode("", 0, &m), CS_ERR_FORMAT);
	assert_int_equal(cs_jobmeta_decode("{\"v\":1", 6, &m), CS_ERR_FORMAT);
	sample_meta(&m);
	assert_int_equal(cs_jobmeta_encode(&m, buf, sizeof(buf), &len), CS_OK);
	/* a second "user" after the first: which one would win? neither */
	memcpy(buf + len - 1, ",\"user\":\"root\"}", 16);
	assert_int_equal(cs_jobmeta_decode(buf, len + 14, &m), CS_ERR_FORMAT);
}

/* utf8_ok - 1 when s is valid UTF-8 (no overlongs, no surrogates) */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	size_t n, i;

	while (*p != '\0') {
		if (*p < 0x80)
			n = 1;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 4;
		else
			return 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		p += n;
	}
	return 1;
}

/* name_safe - what cs_sanitize_name promises for any input */
static void
name_safe(const char *out)
{
	const unsigned char *p;

	assert_true(strlen(out) > 0 && strlen(out) <= CS_NAME_MAX);
	assert_null(strchr(out, '/'));
	assert_true(out[0] != '.');
	for (p = (const unsigned char *)out; *p != '\0'; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
	assert_true(utf8_ok(out));
}

/* sanitize - run cs_sanitize_name into a full-size buffer, check it */
static const char *
sanitize(const char *in, char out[CS_NAME_MAX + 1])
{
	cs_sanitize_name(in, out, CS_NAME_MAX + 1, "document");
	name_safe(out);
	return out;
}

static void
sanitize_name_cases(void **state)
{
	char out[CS_NAME_MAX + 1];

	(void)state;
	sanitize("../../etc/passwd", out);
	assert_string_equal(sanitize(".bashrc", out), "_bashrc");
	assert_string_equal(sanitize("..", out), "_.");
	assert_string_equal(sanitize("a\nb", out), "a_b");
	assert_string_equal(sanitize("\x1b[31mred\x7f", out), "_[31mred_");
	assert_string_equal(sanitize("a\\b", out), "a_b");
	assert_string_equal(sanitize("a\xff" "b", out), "a_b");
	assert_string_equal(sanitize("ab\xc3", out), "ab_");
	assert_string_equal(sanitize("\xc0\xaf", out), "__");
	assert_string_equal(sanitize("\xed\xa0\x80", out), "___");
	assert_string_equal(sanitize("Bericht \xc3\xbc \xe2\x82\xac.pdf", out),
	    "Bericht \xc3\xbc \xe2\x82\xac.pdf");
	assert_string_equal(sanitize("", out), "document");
	/* a small buffer caps the result too */
	cs_sanitize_name("abcdefghijkl", out, 8, "x");
	assert_string_equal(out, "abcdefg");
}

/* sanitize_caps_long_titles_on_a_character_boundary - 64 KB titles made
 * of 1-, 2-, 3- and 4-byte characters */
static void
sanitize_caps_long_titles_on_a_character_boundary(void **state)
{
	static const char *const ch[] = { "a", "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80" };
	static const size_t want[] = { 255, 254, 255, 252 };
	char out[CS_NAME_MAX + 1], *in;
	size_t i, n, k;

	(void)state;
	assert_non_null(in = malloc(65536 + 1));
	for (i = 0; i < 4; i++) {
		n = strlen(ch[i]);
		for (k = 0; k + n <= 65536; k += n)
			memcpy(in + k, ch[i], n);
		in[k] = '\0';
		sanitize(in, out);
		assert_int_equal(strlen(out), want[i]);
	}
	free(in);
}

static void
job_ids_have_their_shape(void **state)
{
	char a[CS_JOB_ID_MAX], b[CS_JOB_ID_MAX];

	(void)state;
	assert_int_equal(cs_job_id_new(a), CS_OK);
	assert_int_equal(cs_job_id_new(b), CS_OK);
	assert_true(cs_job_id_valid(a));
	assert_true(cs_job_id_valid(b));
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(a), 27);
	assert_true(cs_job_id_valid("20240101120000-0123456789ab"));
	assert_false(cs_job_id_valid(""));
	assert_false(cs_job_id_valid("20240101120000"));
	assert_false(cs_job_id_valid("20240101120000-0123456789AB"));
	assert_false(cs_job_id_valid("20240101120000-0123456789abc"));
	assert_false(cs_job_id_valid("20240101120000-0123456789a"));
	assert_false(cs_job_id_valid("20240101120000_0123456789ab"));
	assert_false(cs_job_id_valid("2024010112000x-0123456789ab"));
	assert_false(cs_job_id_valid("../../../../../../etc/passwd"));
	assert_false(cs_job_id_valid("20240101120000-0123456789ab.state"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define U(name) cmocka_unit_test(name)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(roundtrip_empty_document),
		T(roundtrip_one_byte_document),
		T(roundtrip_exactly_one_chunk),
		T(roundtrip_several_chunks_and_a_tail),
		T(wrong_magic_is_a_format_error),
		T(future_version_is_a_version_error),
		T(nonzero_flags_are_a_format_error),
		T(truncated_header_is_truncated),
		T(truncated_mid_document_is_truncated),
		T(every_proper_prefix_is_truncated),
		T(missing_end_section_is_an_error),
		T(flipped_epoch_fails_authentication),
		T(flipped_enc_fails_authentication),
		T(flipped_document_bit_fails_authentication),
		T(wrong_private_key_fails_authentication),
		T(swapped_sections_fail),
		T(spliced_section_fails),
		T(trailing_garbage_after_end_is_trailing),
		U(jobmeta_round_trip),
		U(jobmeta_decode_rejects_missing_fields),
		U(jobmeta_decode_rejects_wrong_types),
		U(jobmeta_decode_rejects_oversize_and_bad_strings),
		U(jobmeta_decode_rejects_non_objects_and_duplicates),
		U(sanitize_name_cases),
		U(sanitize_caps_long_titles_on_a_character_boundary),
		U(job_ids_have_their_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
