/*
 * test_pagestream.c - the page stream header: what `cloudspool scan` writes
 * decodes to the same fields; the end marker is recognised; every layout
 * SANE never produces, every size that could overflow and every set
 * reserved byte is refused, because the setgid drop helper and the
 * sandboxed worker both believe a header only through cs_page_decode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pagestream.h"

/* gray - a valid 8-bit gray page header */
static struct cs_page_hdr
gray(void)
{
	struct cs_page_hdr h = { 1, 8, 0, 944, 1181, 944, 300, 300, 0 };

	return h;
}

/* decodes - encode h, decode it: the result */
static cs_result
decodes(const struct cs_page_hdr *h)
{
	uint8_t raw[CS_PAGE_HDR_LEN];
	struct cs_page_hdr out;

	cs_page_encode(h, raw);
	return cs_page_decode(raw, &out);
}

static void
a_header_round_trips(void **state)
{
	struct cs_page_hdr h = gray(), out;
	uint8_t raw[CS_PAGE_HDR_LEN];

	(void)state;
	cs_page_encode(&h, raw);
	assert_int_equal(cs_page_decode(raw, &out), CS_OK);
	assert_int_equal(out.channels, 1);
	assert_int_equal(out.depth, 8);
	assert_int_equal(out.flags, 0);
	assert_int_equal(out.width, 944);
	assert_int_equal(out.height, 1181);
	assert_int_equal(out.bytes_per_line, 944);
	assert_int_equal(out.xres, 300);
	assert_int_equal(out.yres, 300);
	assert_int_equal(cs_page_data_len(&out), 944ULL * 1181);
}

static void
the_end_marker_is_recognised(void **state)
{
	uint8_t raw[CS_PAGE_HDR_LEN];
	struct cs_page_hdr out;

	(void)state;
	cs_page_encode_end(raw);
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_NOTFOUND);
	raw[20] = 1;
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
}

static void
planar_colour_is_three_planes(void **state)
{
	struct cs_page_hdr h = gray();

	(void)state;
	h.channels = 3;
	h.flags = CS_PAGE_PLANAR;
	assert_int_equal(decodes(&h), CS_OK);
	assert_int_equal(cs_page_data_len(&h), 3ULL * 944 * 1181);
	h.channels = 1;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
}

static void
impossible_layouts_are_refused(void **state)
{
	struct cs_page_hdr h;

	(void)state;
	h = gray(); h.depth = 7;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.channels = 2;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.channels = 3; h.depth = 1;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.flags = 0x80;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
}

static void
sizes_out_of_range_are_refused(void **state)
{
	struct cs_page_hdr h;

	(void)state;
	h = gray(); h.width = 0;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.height = CS_PAGE_MAX_DIM + 1;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.xres = 0;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.bytes_per_line = 943;	/* shorter than the pixels */
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.bytes_per_line = 944 + 4097;
	assert_int_equal(decodes(&h), CS_ERR_FORMAT);
	h = gray(); h.bytes_per_line = 944 + 4096;	/* SANE's padding */
	assert_int_equal(decodes(&h), CS_OK);
}

static void
bad_magic_version_or_reserved_bytes_are_refused(void **state)
{
	struct cs_page_hdr h = gray(), out;
	uint8_t raw[CS_PAGE_HDR_LEN];

	(void)state;
	cs_page_encode(&h, raw);
	raw[0] = 'X';
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
	cs_page_encode(&h, raw);
	raw[4] = 2;
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
	cs_page_encode(&h, raw);
	raw[31] = 1;
	assert_int_equal(cs_page_decode(raw, &out), CS_ERR_FORMAT);
}

#define T(f) cmocka_unit_test(f)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_header_round_trips),
		T(the_end_marker_is_recognised),
		T(planar_colour_is_three_planes),
		T(impossible_layouts_are_refused),
		T(sizes_out_of_range_are_refused),
		T(bad_magic_version_or_reserved_bytes_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
