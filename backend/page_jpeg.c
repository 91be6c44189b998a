/*
 * page_jpeg.c - a page as a baseline JPEG, row by row (page_enc.h).
 *
 * libjpeg compresses into memory (jpeg_mem_dest), so only the compressed
 * page is held, never the pixels nor a file. libjpeg's default error
 * handler exits the process; ours jumps back and the call fails.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

#include "page_enc.h"

struct page_jpeg {
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	jmp_buf fail;
	unsigned char *buf;		/* jpeg_mem_dest's, grown by libjpeg */
	unsigned long len;
	int started;
};

/* jpeg_fail - libjpeg's error_exit: back to the call that failed */
static void
jpeg_fail(j_common_ptr c)
{
	struct page_jpeg *j = (struct page_jpeg *)c->client_data;

	longjmp(j->fail, 1);
}

/* jpeg_quiet - warnings would go to stderr */
static void
jpeg_quiet(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* jpeg_setup - the compressor of j; 0, or -1 when libjpeg failed */
static int
jpeg_setup(struct page_jpeg *j, uint32_t w, uint32_t h, int channels,
    unsigned quality)
{
	if (setjmp(j->fail) != 0)
		return -1;
	jpeg_create_compress(&j->c);
	j->started = 1;
	jpeg_mem_dest(&j->c, &j->buf, &j->len);
	j->c.image_width = w;
	j->c.image_height = h;
	j->c.input_components = channels;
	j->c.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&j->c);
	jpeg_set_quality(&j->c, (int)quality, TRUE);
	jpeg_start_compress(&j->c, TRUE);
	return 0;
}

/* page_jpeg_begin - set up a compressor writing to memory */
struct page_jpeg *
page_jpeg_begin(uint32_t w, uint32_t h, int channels, unsigned quality)
{
	struct page_jpeg *j;

	if (w > JPEG_MAX_DIMENSION || h > JPEG_MAX_DIMENSION ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->c.err = jpeg_std_error(&j->jerr);
	j->jerr.error_exit = jpeg_fail;
	j->jerr.emit_message = jpeg_quiet;
	j->c.client_data = j;
	if (jpeg_setup(j, w, h, channels, quality) < 0) {
		page_jpeg_free(j);
		return NULL;
	}
	return j;
}

/* page_jpeg_row - one row */
int
page_jpeg_row(struct page_jpeg *j, const uint8_t *row)
{
	JSAMPROW r = (JSAMPROW)(uintptr_t)row;

	if (setjmp(j->fail) != 0)
		return -1;
	return jpeg_write_scanlines(&j->c, &r, 1) == 1 ? 0 : -1;
}

/* jpeg_finish - finish_compress; 0, or -1 when libjpeg failed */
static int
jpeg_finish(struct page_jpeg *j)
{
	if (setjmp(j->fail) != 0)
		return -1;
	jpeg_finish_compress(&j->c);
	return 0;
}

/* page_jpeg_end - finish and hand over the buffer */
int
page_jpeg_end(struct page_jpeg *j, uint8_t **out, size_t *outlen)
{
	if (jpeg_finish(j) < 0) {
		page_jpeg_free(j);
		return -1;
	}
	*out = j->buf;
	*outlen = j->len;
	j->buf = NULL;
	jpeg_destroy_compress(&j->c);
	free(j);
	return 0;
}

/* page_jpeg_free - destroy, drop the partial output */
void
page_jpeg_free(struct page_jpeg *j)
{
	if (j == NULL)
		return;
	if (j->started)
		jpeg_destroy_compress(&j->c);
	if (j->buf != NULL)
		memset(j->buf, 0, j->len);
	free(j->buf);
	free(j);
}
