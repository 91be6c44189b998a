/*
 * test_docset.c - the worker's result container (lib/docset.h): what the
 * writer puts in a memfd reads back record for record; a truncated stream,
 * a wrong magic, a length past the end, documents out of order, a missing
 * report and bytes after the end record are all refused, because the daemon
 * believes a sandboxed decoder's output only through cs_docset_next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "docset.h"

#define REPORT "{\"pages_in\":3}"

/* written - a container with two documents, removed pages and a report;
 * its bytes in *buf (malloc'd), its length returned */
static size_t
written(uint8_t **buf)
{
	int fd = memfd_create("docset", MFD_CLOEXEC);
	off_t len;

	assert_true(fd >= 0);
	assert_int_equal(cs_docset_begin(fd), CS_OK);
	assert_int_equal(cs_docset_put(fd, CS_DOCSET_DOCUMENT, 1, "%PDF-one", 8),
	    CS_OK);
	assert_int_equal(cs_docset_put(fd, CS_DOCSET_DOCUMENT, 2, "%PDF-2", 6),
	    CS_OK);
	assert_int_equal(cs_docset_put(fd, CS_DOCSET_REMOVED, 1, "", 0), CS_OK);
	assert_int_equal(cs_docset_put(fd, CS_DOCSET_REPORT, 0, REPORT,
	    strlen(REPORT)), CS_OK);
	assert_int_equal(cs_docset_finish(fd), CS_OK);
	len = lseek(fd, 0, SEEK_END);
	assert_true(len > 0);
	*buf = malloc((size_t)len);
	assert_non_null(*buf);
	assert_int_equal(pread(fd, *buf, (size_t)len, 0), len);
	close(fd);
	return (size_t)len;
}

/* drain - read records until an error or the end: the last result */
static cs_result
drain(const uint8_t *buf, size_t len, unsigned *records)
{
	struct cs_docset_reader r;
	struct cs_docset_record rec;
	cs_result res;

	*records = 0;
	if ((res = cs_docset_open(&r, buf, len)) != CS_OK)
		return res;
	while ((res = cs_docset_next(&r, &rec)) == CS_OK)
		(*records)++;
	return res;
}

static void
a_container_round_trips(void **state)
{
	struct cs_docset_reader r;
	struct cs_docset_record rec;
	uint8_t *buf;
	size_t len = written(&buf);

	(void)state;
	assert_int_equal(len, 8 + 4 * 16 + 8 + 6 + 0 + strlen(REPORT) + 16);
	assert_int_equal(cs_docset_open(&r, buf, len), CS_OK);
	assert_int_equal(cs_docset_next(&r, &rec), CS_OK);
	assert_int_equal(rec.kind, CS_DOCSET_DOCUMENT);
	assert_int_equal(rec.index, 1);
	assert_int_equal(rec.len, 8);
	assert_memory_equal(rec.data, "%PDF-one", 8);
	assert_int_equal(cs_docset_next(&r, &rec), CS_OK);
	assert_int_equal(rec.index, 2);
	assert_memory_equal(rec.data, "%PDF-2", 6);
	assert_int_equal(cs_docset_next(&r, &rec), CS_OK);
	assert_int_equal(rec.kind, CS_DOCSET_REMOVED);
	assert_int_equal(rec.len, 0);
	assert_int_equal(cs_docset_next(&r, &rec), CS_OK);
	assert_int_equal(rec.kind, CS_DOCSET_REPORT);
	assert_memory_equal(rec.data, REPORT, strlen(REPORT));
	assert_int_equal(cs_docset_next(&r, &rec), CS_ERR_NOTFOUND);
	assert_int_equal(cs_docset_next(&r, &rec), CS_ERR_NOTFOUND);
	free(buf);
}

static void
every_truncation_is_refused(void **state)
{
	uint8_t *buf;
	size_t len = written(&buf), cut;
	unsigned n;
	cs_result res;

	(void)state;
	for (cut = 0; cut < len; cut++) {
		res = drain(buf, cut, &n);
		assert_true(res == CS_ERR_TRUNCATED || res == CS_ERR_TOOBIG);
	}
	assert_int_equal(drain(buf, len, &n), CS_ERR_NOTFOUND);
	assert_int_equal(n, 4);
	free(buf);
}

static void
a_bad_magic_is_refused(void **state)
{
	uint8_t *buf;
	size_t len = written(&buf);
	unsigned n;

	(void)state;
	buf[0] = 'X';
	assert_int_equal(drain(buf, len, &n), CS_ERR_FORMAT);
	free(buf);
}

static void
an_overlong_length_is_refused(void **state)
{
	uint8_t *buf;
	size_t len = written(&buf);
	unsigned n;

	(void)state;
	/* the first record's length: its high word to 0x7fffffff */
	memset(buf + 8 + 8, 0x7f, 1);
	assert_int_equal(drain(buf, len, &n), CS_ERR_TOOBIG);
	memset(buf + 8 + 8, 0xff, 8);
	assert_int_equal(drain(buf, len, &n), CS_ERR_TOOBIG);
	assert_int_equal(n, 0);
	free(buf);
}

static void
documents_out_of_order_are_refused(void **state)
{
	uint8_t *buf;
	size_t len = written(&buf);
	unsigned n;

	(void)state;
	buf[8 + 7] = 2;		/* the first document claims index 2 */
	assert_int_equal(drain(buf, len, &n), CS_ERR_FORMAT);
	free(buf);
}

static void
an_end_without_report_and_trailing_bytes_are_refused(void **state)
{
	uint8_t end[8 + 16] = "CSDOCSET", *buf, *longer;
	size_t len = written(&buf);
	unsigned n;

	(void)state;
	assert_int_equal(drain(end, sizeof(end), &n), CS_ERR_FORMAT);
	longer = malloc(len + 1);
	assert_non_null(longer);
	memcpy(longer, buf, len);
	longer[len] = 0;
	assert_int_equal(drain(longer, len + 1, &n), CS_ERR_TRAILING);
	free(longer);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_container_round_trips),
		cmocka_unit_test(every_truncation_is_refused),
		cmocka_unit_test(a_bad_magic_is_refused),
		cmocka_unit_test(an_overlong_length_is_refused),
		cmocka_unit_test(documents_out_of_order_are_refused),
		cmocka_unit_test(an_end_without_report_and_trailing_bytes_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
